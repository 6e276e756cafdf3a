"""Banners laid over the top of the map: they never push the map down.

Two are used: the *data banner* (the plan's data pack is missing or changed, no
result is shown until the user decides) and the *notice* (a refusal, a recovery,
an open error). A banner holds plain text, buttons for the ways out, and a close
button when it may be dismissed. It stays until dismissed or replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

STYLES = {
    "notice": ("#fff4d6", "#5a3b00", "#e0a000"),
    "error": ("#fde2e1", "#6b0f0f", "#c62828"),
}
MARGIN = 8


class Banner(QFrame):
    """A word-wrapped message with action buttons, overlaid on ``host``.

    Parameters
    ----------
    host
        The widget it floats over (the map canvas); it follows the host's width.
    kind
        ``"notice"`` (amber) or ``"error"`` (red).
    below
        Another banner to stack under, when both show.
    """

    dismissed = Signal()

    def __init__(
        self,
        host: QWidget,
        *,
        kind: str = "notice",
        below: Banner | None = None,
        name: str = "banner",
    ) -> None:
        super().__init__(host)
        self.setObjectName(name)
        self.host = host
        self.below = below
        bg, fg, border = STYLES[kind]
        self.setStyleSheet(
            f"#{name} {{ background: {bg}; border: 1px solid {border}; border-radius: 4px; }}"
            f" #{name} QLabel {{ color: {fg}; font-weight: bold; background: transparent; }}"
        )
        self.setAutoFillBackground(True)
        self.label = QLabel()
        self.label.setObjectName(f"{name}_text")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.close_button = QToolButton()
        self.close_button.setText("\u2715")
        self.close_button.setToolTip("Dismiss (Esc)")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.dismiss)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.label, 1)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        lay.addLayout(top)
        lay.addLayout(self.buttons)
        self._text = ""
        self.action_buttons: list[QPushButton] = []
        host.installEventFilter(self)
        if below is not None:
            below.installEventFilter(self)
        self.hide()

    def text(self) -> str:
        return self._text

    def show_message(
        self,
        text: str,
        *,
        actions: Sequence[tuple[str, Callable[[], object]]] = (),
        dismissible: bool = True,
    ) -> None:
        """Show ``text`` with a button per ``(label, slot)``; replaces what was shown."""
        self._text = text
        self.label.setText(text)
        self.setToolTip(text)
        while self.buttons.count():
            item = self.buttons.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.action_buttons = []
        for label, slot in actions:
            b = QPushButton(label)
            b.clicked.connect(lambda _c=False, f=slot: f())
            self.buttons.addWidget(b)
            self.action_buttons.append(b)
        if actions:
            self.buttons.addStretch(1)
        self.close_button.setVisible(dismissible)
        self.show()
        self.raise_()
        self.place()

    def button(self, label: str) -> QPushButton | None:
        return next((b for b in self.action_buttons if b.text() == label), None)

    def dismiss(self) -> None:
        if self.isVisible():
            self.hide()
            self.dismissed.emit()

    def clear(self) -> None:
        self._text = ""
        self.hide()

    def place(self) -> None:
        """Across the top of the host (under the other banner when it shows)."""
        width = max(100, self.host.width() - 2 * MARGIN - 16)
        y = MARGIN
        if self.below is not None and self.below.isVisible():
            y = self.below.geometry().bottom() + 4
        self.setFixedWidth(width)
        # the height the wrapped text needs at this width (sizeHint wraps narrower); the
        # style sheet's bold font must be applied first or the text measures short
        self.ensurePolished()
        self.label.ensurePolished()
        lay = self.layout()
        assert lay is not None  # set in __init__
        lay.invalidate()
        height = lay.heightForWidth(width) if lay.hasHeightForWidth() else -1
        if height > 0:
            self.setFixedHeight(height)
            lay.activate()
            # the label may still be short by a line's leading: grow by what it lacks
            short = self.label.heightForWidth(self.label.width()) - self.label.height()
            if short > 0:
                self.setFixedHeight(height + short + 2)
        else:
            self.adjustSize()
        self.move(MARGIN, y)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            event.type()
            in (QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.Move)
            and self.isVisible()
        ):
            self.place()
        return False
