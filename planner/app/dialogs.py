"""Every question the app asks the user, behind one injectable object.

The main window never calls a dialog directly: it asks its :class:`Prompter`.
Tests pass a :class:`ScriptedPrompter` with the answers, so no modal dialog ever
blocks a test run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from planner.core.model import Finding

PLAN_FILTER = "Siting plans (*.plan.geojson *.geojson);;All files (*)"
PACK_FILTER = "Data packs (*.gpkg);;All files (*)"
LAYER_FILTER = "GIS layers (*.geojson *.json *.gpkg *.zip *.shp);;All files (*)"


class JustificationDialog(QDialog):
    """Asks why a ``warn`` placement is acceptable; OK only with some text."""

    def __init__(self, prompt: str, findings: Sequence[Finding],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Justify this placement")
        lay = QVBoxLayout(self)
        text = QLabel(prompt)
        text.setWordWrap(True)
        lay.addWidget(text)
        details = QLabel("\n".join(f"\u2022 {f.message}" for f in findings))
        details.setWordWrap(True)
        lay.addWidget(details)
        self.edit = QPlainTextEdit()
        self.edit.setPlaceholderText("Required: the reason, recorded in the plan's audit trail")
        lay.addWidget(self.edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(False)
        self.edit.textChanged.connect(lambda: ok.setEnabled(bool(self.edit.toPlainText().strip())))

    def text(self) -> str:
        return self.edit.toPlainText().strip()


class Prompter:
    """Real dialogs, parented to the main window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent

    def justify(self, prompt: str, findings: Sequence[Finding]) -> str | None:
        dlg = JustificationDialog(prompt, findings, self.parent)
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.text():
            return dlg.text()
        return None

    def offer_recovery(self, original: Path | None, saved_at: str) -> bool:
        name = str(original) if original else "an unsaved plan"
        answer = QMessageBox.question(
            self.parent, "Recover unsaved work?",
            f"The planner did not close cleanly. Unsaved changes to {name} "
            f"(autosaved {saved_at}) can be recovered.\n\nRecover them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        return answer == QMessageBox.StandardButton.Yes

    def unsaved_changes(self, name: str) -> str:
        """``"save"``, ``"discard"`` or ``"cancel"``."""
        answer = QMessageBox.warning(
            self.parent, "Unsaved changes", f"Save the changes to {name}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    def open_path(self, title: str, filters: str, folder: str = "") -> Path | None:
        name, _ = QFileDialog.getOpenFileName(self.parent, title, folder, filters)
        return Path(name) if name else None

    def save_path(self, title: str, filters: str, suggestion: str = "") -> Path | None:
        name, _ = QFileDialog.getSaveFileName(self.parent, title, suggestion, filters)
        if not name:
            return None
        path = Path(name)
        if not path.name.endswith(".geojson"):
            path = path.with_name(path.name + ".plan.geojson")
        return path

    def error(self, title: str, text: str) -> None:
        QMessageBox.critical(self.parent, title, text)


class ScriptedPrompter(Prompter):
    """Answers from attributes; records what was asked (tests, screenshots)."""

    def __init__(self, *, justification: str | None = None, recover: bool = False,
                 unsaved: str = "discard", open_path: Path | None = None,
                 save_path: Path | None = None) -> None:
        super().__init__(None)
        self.justification = justification
        self.recover = recover
        self.unsaved = unsaved
        self.next_open = open_path
        self.next_save = save_path
        self.asked: list[tuple[str, str]] = []

    def justify(self, prompt: str, findings: Sequence[Finding]) -> str | None:
        self.asked.append(("justify", prompt))
        return self.justification

    def offer_recovery(self, original: Path | None, saved_at: str) -> bool:
        self.asked.append(("recovery", str(original)))
        return self.recover

    def unsaved_changes(self, name: str) -> str:
        self.asked.append(("unsaved", name))
        return self.unsaved

    def open_path(self, title: str, filters: str, folder: str = "") -> Path | None:
        self.asked.append(("open", title))
        return self.next_open

    def save_path(self, title: str, filters: str, suggestion: str = "") -> Path | None:
        self.asked.append(("save", title))
        return self.next_save

    def error(self, title: str, text: str) -> None:
        self.asked.append(("error", f"{title}: {text}"))
