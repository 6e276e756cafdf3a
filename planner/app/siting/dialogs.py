"""Every question the app asks the user, behind one injectable object.

The main window never calls a dialog directly: it asks its :class:`Prompter`.
Tests pass a :class:`ScriptedPrompter` with the answers, so no modal dialog ever
blocks a test run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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

from planner.app.siting.wording import justification_problem, local_time_text, plain_message
from planner.core.model import Finding

PLAN_FILTER = "Siting plans (*.plan.geojson *.geojson);;All files (*)"
PACK_FILTER = "Data packs (*.gpkg);;All files (*)"
LAYER_FILTER = "GIS layers (*.geojson *.json *.gpkg *.zip *.shp);;All files (*)"


def filter_suffixes(name_filter: str) -> list[str]:
    """The file endings one name filter names, lower case with the dot.

    ``"PDF document (*.pdf)"`` gives ``[".pdf"]``, ``"Siting plans (*.plan.geojson
    *.geojson)"`` gives ``[".plan.geojson", ".geojson"]`` and ``"All files (*)"`` none.
    """
    match = re.search(r"\(([^)]*)\)", name_filter)
    patterns = match.group(1).split() if match else []
    return [p[1:].lower() for p in patterns if p.startswith("*.") and "*" not in p[1:]]


def resolve_save_name(name: str, filters: str, selected: str) -> Path:
    """The file a save dialog's answer means: the typed name with the right ending.

    A name that already ends as the selected filter says is kept; so is a name that
    ends with another offered format (the user typed ``view.pdf`` with the PNG
    filter showing: they asked for a PDF). Otherwise the selected filter's first
    ending is appended (the first filter's when "All files" is selected), so
    ``plan`` becomes ``plan.plan.geojson`` only where plans are saved.
    """
    path = Path(name)
    lower = path.name.lower()
    chosen = filter_suffixes(selected)
    known = [s for f in filters.split(";;") for s in filter_suffixes(f)]
    for suffix in (*chosen, *known):
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return path
    suffix = (chosen or known or [""])[0]
    return path.with_name(path.name + suffix)


class JustificationDialog(QDialog):
    """Asks why a ``warn`` placement is acceptable.

    Shows each finding it justifies in plain words (with the "unverified" note of a
    site whose category a person must confirm); OK is enabled only for a real
    sentence (:func:`planner.app.siting.wording.justification_problem`).
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
    """Real dialogs, parented to the main window.

    Parameters
    ----------
    parent
        The window the dialogs belong to.
    settings
        Where the last folder of each kind of file is remembered
        (:meth:`planner.app.common.settings.AppSettings.last_folder`); None remembers nothing.
    plan_folder
        The folder of the plan being worked on, asked when a file dialog opens.

    A file dialog starts in the folder last used for that kind of file, else the
    plan's folder, else the user's Documents: never the program's working directory.
    """

    #: Options of every file dialog; tests add ``DontUseNativeDialog`` to fill Qt's own in.
    dialog_options: QFileDialog.Option = QFileDialog.Option(0)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        settings: Any = None,
        plan_folder: Callable[[], Path | None] | None = None,
    ) -> None:
        self.parent = parent
        self.settings = settings
        self.plan_folder = plan_folder

    def start_folder(self, kind: str) -> Path:
        """Where a file dialog for ``kind`` opens (see the class notes)."""
        from planner.app.siting.loading import user_documents_dir

        candidates = [
            self.settings.last_folder(kind) if self.settings is not None else None,
            self.plan_folder() if self.plan_folder is not None else None,
        ]
        for folder in candidates:
            if folder is not None and Path(folder).is_dir():
                return Path(folder)
        return user_documents_dir()

    def _file_dialog(self, title: str, filters: str, folder: Path, *, save: bool) -> QFileDialog:
        dlg = QFileDialog(self.parent, title, str(folder), filters)
        dlg.setObjectName("file_dialog")
        dlg.setOptions(self.dialog_options)
        if save:
            dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dlg.setFileMode(QFileDialog.FileMode.AnyFile)
        else:
            dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
            dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        return dlg

    def _remember(self, kind: str, path: Path) -> None:
        if self.settings is not None:
            self.settings.remember_folder(kind, path.parent)

    def justify(
        self, prompt: str, findings: Sequence[Finding], sentences: Sequence[str] = ()
    ) -> str | None:
        dlg = JustificationDialog(prompt, findings, self.parent, sentences=sentences)
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.text():
            return dlg.text()
        return None

    def ask_identity(self, current: str, suggestion: str = "") -> str | None:
        """Who the user is, for the audit trail; None when cancelled.

        Pre-filled only with a name the user gave before: the operating system's
        login (``root``, ``jdoe1``) is not a person's name in an audit trail.
        """
        dlg = QInputDialog(self.parent)
        dlg.setObjectName("identity_dialog")
        dlg.setWindowTitle("User identity")
        dlg.setLabelText(
            "Your name as it should appear in the plan's audit trail and in review "
            'decisions (e.g. "A. Rivera, SJPD Traffic"):'
        )
        dlg.setTextValue(current)
        edit = dlg.findChild(QLineEdit)
        if edit is not None:
            edit.setPlaceholderText("First name or initial, last name, team")
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        text = dlg.textValue()
        return " ".join(text.split()) if text.strip() else None

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
            f"(autosaved {local_time_text(saved_at)}) can be recovered.\n\nRecover them?",
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

    def open_path(
        self, title: str, filters: str, folder: str = "", *, kind: str = "plan"
    ) -> Path | None:
        """The file to open, or None; starts in ``folder`` when given."""
        start = Path(folder) if folder and Path(folder).is_dir() else self.start_folder(kind)
        dlg = self._file_dialog(title, filters, start, save=False)
        if dlg.exec() != QDialog.DialogCode.Accepted or not dlg.selectedFiles():
            return None
        path = Path(dlg.selectedFiles()[0])
        self._remember(kind, path)
        return path

    def save_path(
        self, title: str, filters: str, suggestion: str = "", *, kind: str = "plan"
    ) -> Path | None:
        """The file to write, with the ending of the format chosen (:func:`resolve_save_name`).

        ``suggestion`` is a file name (placed in :meth:`start_folder`) or a whole path.
        The filter whose ending the suggestion has is selected first, and choosing
        another filter changes the ending of the typed name, as Qt's dialog does.
        """
        hint = Path(suggestion) if suggestion else None
        if hint is not None and hint.parent != Path() and hint.parent.is_dir():
            folder, name = hint.parent, hint.name
        else:
            folder, name = self.start_folder(kind), hint.name if hint is not None else ""
        dlg = self._file_dialog(title, filters, folder, save=True)
        offered = filters.split(";;")
        first = next(
            (f for f in offered if any(name.lower().endswith(s) for s in filter_suffixes(f))),
            offered[0],
        )
        dlg.selectNameFilter(first)

        def use_filter(selected: str) -> None:
            suffixes = filter_suffixes(selected)
            dlg.setDefaultSuffix(suffixes[0].lstrip(".") if suffixes else "")

        use_filter(first)
        dlg.filterSelected.connect(use_filter)
        if name:
            dlg.selectFile(name)
        if dlg.exec() != QDialog.DialogCode.Accepted or not dlg.selectedFiles():
            return None
        typed = dlg.selectedFiles()[0]
        path = resolve_save_name(typed, filters, dlg.selectedNameFilter())
        # the dialog asked before overwriting what was typed; the ending added here is new
        if (
            path != Path(typed)
            and path.exists()
            and not self.confirm("Replace file?", f"{path} already exists. Replace it?")
        ):
            return None
        self._remember(kind, path)
        return path

    def error_box(self, title: str, text: str) -> QMessageBox:
        # the file format's wording (fov_deg, interval notation) in the app's words
        text = plain_message(text)
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

    def ask_identity(self, current: str, suggestion: str = "") -> str | None:
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

    def open_path(
        self, title: str, filters: str, folder: str = "", *, kind: str = "plan"
    ) -> Path | None:
        self.asked.append(("open", title))
        return self.next_open

    def save_path(
        self, title: str, filters: str, suggestion: str = "", *, kind: str = "plan"
    ) -> Path | None:
        self.asked.append(("save", f"{title}: {suggestion}"))
        return self.next_save

    def error(self, title: str, text: str) -> None:
        self.asked.append(("error", f"{title}: {text}"))
