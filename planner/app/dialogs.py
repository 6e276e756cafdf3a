"""Every question the app asks the user, behind one injectable object.

The main window never calls a dialog directly: it asks its :class:`Prompter`.
Tests pass a :class:`ScriptedPrompter` with the answers, so no modal dialog ever
blocks a test run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from planner.app.wording import justification_problem
from planner.core.model import Finding

PLAN_FILTER = "Siting plans (*.plan.geojson *.geojson);;All files (*)"
PACK_FILTER = "Data packs (*.gpkg);;All files (*)"
LAYER_FILTER = "GIS layers (*.geojson *.json *.gpkg *.zip *.shp);;All files (*)"


class JustificationDialog(QDialog):
    """Asks why a ``warn`` placement is acceptable.

    Shows each finding it justifies in plain words (with the "unverified" note of a
    site whose category a person must confirm); OK is enabled only for a real
    sentence (:func:`planner.app.wording.justification_problem`).
    """

    def __init__(
        self,
        prompt: str,
        findings: Sequence[Finding],
        parent: QWidget | None = None,
        *,
        sentences: Sequence[str] = (),
        camera_ids: Sequence[str] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Justify this placement")
        self.setMinimumWidth(520)
        self.camera_ids = list(camera_ids) or sorted({f.camera_id for f in findings})
        lay = QVBoxLayout(self)
        text = QLabel(prompt)
        text.setWordWrap(True)
        lay.addWidget(text)
        lines = list(sentences) or [f.message for f in findings]
        self.details = QLabel("\n".join(f"\u2022 {line}" for line in lines))
        self.details.setObjectName("justify_findings")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setStyleSheet("QLabel { background: #fff4d6; padding: 6px; }")
        lay.addWidget(self.details)
        self.edit = QPlainTextEdit()
        self.edit.setPlaceholderText(
            "Required: why this placement is acceptable, in a full sentence. "
            "It is recorded in the plan's audit trail with your name and the time."
        )
        lay.addWidget(self.edit)
        self.hint = QLabel()
        self.hint.setObjectName("justify_hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("QLabel { color: #8a1c1c; }")
        lay.addWidget(self.hint)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Record justification")
        self.edit.textChanged.connect(self._validate)
        self._validate()

    def problem(self) -> str | None:
        return justification_problem(self.edit.toPlainText(), camera_ids=self.camera_ids)

    def _validate(self) -> None:
        problem = self.problem()
        self.ok.setEnabled(problem is None)
        self.hint.setText(problem or "")

    def text(self) -> str:
        return " ".join(self.edit.toPlainText().split())


class PlanPropertiesDialog(QDialog):
    """The plan's name, author and department (stored in ``siting_plan``)."""

    def __init__(
        self, *, name: str, author: str, department: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Plan properties")
        self.setMinimumWidth(420)
        self.name = QLineEdit(name)
        self.author = QLineEdit(author)
        self.department = QLineEdit(department)
        self.author.setPlaceholderText("Who prepared the plan")
        self.department.setPlaceholderText("e.g. Police Department, Traffic")
        form = QFormLayout(self)
        form.addRow("Plan &name", self.name)
        form.addRow("&Author", self.author)
        form.addRow("&Department", self.department)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, str]:
        return {
            "name": self.name.text(),
            "author": self.author.text(),
            "department": self.department.text(),
        }


class Prompter:
    """Real dialogs, parented to the main window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent

    def justify(
        self, prompt: str, findings: Sequence[Finding], sentences: Sequence[str] = ()
    ) -> str | None:
        dlg = JustificationDialog(prompt, findings, self.parent, sentences=sentences)
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.text():
            return dlg.text()
        return None

    def ask_identity(self, current: str, suggestion: str) -> str | None:
        """Who the user is, for the audit trail; None when cancelled."""
        text, ok = QInputDialog.getText(
            self.parent,
            "User identity",
            "Your name as it should appear in the plan's audit trail and in review "
            'decisions (e.g. "A. Rivera, SJPD Traffic"):',
            QLineEdit.EchoMode.Normal,
            current or suggestion,
        )
        return " ".join(text.split()) if ok and text.strip() else None

    def plan_properties(self, *, name: str, author: str, department: str) -> dict[str, str] | None:
        dlg = PlanPropertiesDialog(
            name=name, author=author, department=department, parent=self.parent
        )
        return dlg.values() if dlg.exec() == QDialog.DialogCode.Accepted else None

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(
            self.parent,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def offer_recovery(self, original: Path | None, saved_at: str) -> bool:
        name = str(original) if original else "an unsaved plan"
        answer = QMessageBox.question(
            self.parent,
            "Recover unsaved work?",
            f"The planner did not close cleanly. Unsaved changes to {name} "
            f"(autosaved {saved_at}) can be recovered.\n\nRecover them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        return answer == QMessageBox.StandardButton.Yes

    def unsaved_changes(self, name: str) -> str:
        """``"save"``, ``"discard"`` or ``"cancel"``."""
        answer = QMessageBox.warning(
            self.parent,
            "Unsaved changes",
            f"Save the changes to {name}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(answer, "cancel")

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

    def error_box(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(
            QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self.parent
        )
        # the whole one-line message, selectable, never cut: wide enough for a path
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 560px; }")
        return box

    def error(self, title: str, text: str) -> None:
        self.error_box(title, text).exec()


class ScriptedPrompter(Prompter):
    """Answers from attributes; records what was asked (tests, screenshots)."""

    def __init__(
        self,
        *,
        justification: str | None = None,
        recover: bool = False,
        unsaved: str = "discard",
        open_path: Path | None = None,
        save_path: Path | None = None,
        identity: str | None = None,
        properties: dict[str, str] | None = None,
        confirm: bool = True,
    ) -> None:
        super().__init__(None)
        self.identity = identity
        self.properties = properties
        self.confirm_answer = confirm
        self.justification = justification
        self.recover = recover
        self.unsaved = unsaved
        self.next_open = open_path
        self.next_save = save_path
        self.asked: list[tuple[str, str]] = []

    def justify(
        self, prompt: str, findings: Sequence[Finding], sentences: Sequence[str] = ()
    ) -> str | None:
        self.asked.append(("justify", prompt))
        self.justified_sentences = list(sentences)
        return self.justification

    def ask_identity(self, current: str, suggestion: str) -> str | None:
        self.asked.append(("identity", current or suggestion))
        return self.identity

    def plan_properties(self, *, name: str, author: str, department: str) -> dict[str, str] | None:
        self.asked.append(("properties", name))
        return self.properties

    def confirm(self, title: str, text: str) -> bool:
        self.asked.append(("confirm", f"{title}: {text}"))
        return self.confirm_answer

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
        self.asked.append(("save", f"{title}: {suggestion}"))
        return self.next_save

    def error(self, title: str, text: str) -> None:
        self.asked.append(("error", f"{title}: {text}"))
