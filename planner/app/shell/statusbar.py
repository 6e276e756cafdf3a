"""A status bar whose messages never run into its permanent widgets.

``QStatusBar`` draws a temporary message (an action's status tip, "Saved ...")
from the left edge up to 2 px before the first permanent widget and simply cuts
it there, so a long message reads into the next label ("...e lon -121.9").
:class:`StatusBar` draws the message elided with "…" and a clear gap instead, and
:class:`ElidedLabel` keeps a permanent label of variable text inside its width.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

#: Pixels kept free between the message and the first permanent widget.
MESSAGE_GAP = 16


class ElidedLabel(QLabel):
    """A one-line label that elides its text to its width and shows the whole in a tooltip."""

    def __init__(
        self, text: str = "", parent: QWidget | None = None, *, max_width: int = 320
    ) -> None:
        super().__init__(parent)
        self._full = ""
        self.setMaximumWidth(max_width)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def text(self) -> str:
        """The whole text (what is drawn may be elided)."""
        return self._full

    def shown_text(self) -> str:
        """The text as drawn, perhaps elided."""
        return super().text()

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text_width(self, text: str) -> int:
        m = self.contentsMargins()
        return self.fontMetrics().horizontalAdvance(text) + m.left() + m.right() + 10

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        hint.setWidth(min(self.maximumWidth(), self.text_width(self._full)))
        return hint

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        hint.setWidth(min(self.maximumWidth(), self.text_width(self._full[:12] + "\u2026")))
        return hint

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        m = self.contentsMargins()
        room = max(0, self.width() - m.left() - m.right() - 4)
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, room)
        super().setText(shown)
        self.updateGeometry()


class StatusBar(QStatusBar):
    """``QStatusBar`` that elides its temporary message before the permanent widgets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._permanent: list[QWidget] = []
        self.setStyleSheet("QStatusBar::item { border: none; }")
        self.messageChanged.connect(lambda _text: self.update())

    def addPermanentWidget(self, widget: QWidget, stretch: int | None = 0) -> None:
        super().addPermanentWidget(widget, stretch)
        self._permanent.append(widget)

    def insertPermanentWidget(self, index: int, widget: QWidget, stretch: int | None = 0) -> int:
        at = super().insertPermanentWidget(index, widget, stretch)
        self._permanent.append(widget)
        return at

    def message_rect(self) -> QRect:
        """Where the temporary message is drawn: left of every visible permanent widget."""
        right = self.width() - 12
        for w in self._permanent:
            if w.isVisible():
                right = min(right, w.x())
        left = 6
        return QRect(left, 0, max(0, right - MESSAGE_GAP - left), self.height())

    def shown_message(self) -> str:
        """The temporary message as drawn (elided to :meth:`message_rect`)."""
        text = " ".join(self.currentMessage().split())
        return self.fontMetrics().elidedText(
            text, Qt.TextElideMode.ElideRight, self.message_rect().width()
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.currentMessage():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(
            self.message_rect(),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine,
            self.shown_message(),
        )
        painter.end()
