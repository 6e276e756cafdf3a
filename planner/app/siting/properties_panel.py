"""The Properties dock: one camera's values, checked against SPEC 5.1, applied through the gate."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from planner.app.common import units
from planner.app.siting import wording
from planner.app.siting.document import PlanDocument
from planner.core.model import Camera, CameraStatus

KNOWN_CAPABILITIES = (
    "plate_read",
    "vehicle_fingerprint",
    "facial_recognition",
    "biometric_analysis",
)
#: SPEC 5.1 ranges: (low, high, low included, high included).
HEADING_RANGE = (0.0, 360.0, True, False)
FOV_RANGE = (0.0, 360.0, False, True)
RANGE_M = (0.0, 2000.0, False, True)
_ERROR_STYLE = "QLineEdit { border: 2px solid #c62828; }"


def parse_number(text: str, *, units_suffixes: Sequence[str] = ()) -> float | None:
    """A number typed by a person ("40", "40.5", "40 °", "120 ft"), or None."""
    t = text.strip()
    for suffix in (*units_suffixes, "\u00b0", "deg"):
        if t.lower().endswith(suffix):
            t = t[: -len(suffix)].strip()
    t = t.replace(",", "") if t.count(",") and t.count(".") else t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _in_range(value: float, bounds: tuple[float, float, bool, bool]) -> bool:
    lo, hi, lo_in, hi_in = bounds
    return (value >= lo if lo_in else value > lo) and (value <= hi if hi_in else value < hi)


class PropertiesPanel(QWidget):
    """Edits one camera of the plan; one Apply is one undoable command through the gate.

    Typed values are validated against SPEC 5.1's ranges and never clamped: a value
    out of range is marked and explained, and nothing is applied. Distances are in
    the display unit. With no camera selected every field is empty; an existing
    camera from the data pack is shown read-only, with the reason.
    """

    def __init__(
        self, doc: PlanDocument, catalogue: Any = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.catalogue = catalogue
        self.camera_id: str | None = None
        self._loading = False
        self._build_fields()
        caps_box = self._build_capabilities()
        self._build_notes_and_buttons()
        self._build_layout(self._build_form(), caps_box)
        self._connect_signals()
        self.set_camera(None)

    def _build_fields(self) -> None:
        """The title, the note and one editor per camera value."""
        self.title = QLabel("No camera selected")
        self.title.setObjectName("properties_title")
        self.note = QLabel()
        self.note.setObjectName("properties_note")
        self.note.setWordWrap(True)
        self.label = QLineEdit()
        self.model_box = QComboBox()
        self.model_box.addItem("(none)", None)
        if self.catalogue is not None:
            for m in self.catalogue.models:
                self.model_box.addItem(m.label, m.key)
        self.heading = QLineEdit()
        self.heading.setObjectName("heading_edit")
        self.heading_unknown = QCheckBox("unknown")
        self.fov = QLineEdit()
        self.fov.setObjectName("fov_edit")
        self.range = QLineEdit()
        self.range.setObjectName("range_edit")
        self.range_unit = QLabel()
        self.status = QComboBox()
        for s in CameraStatus:
            self.status.addItem(str(s), s)

    def _build_capabilities(self) -> QGroupBox:
        """One checkbox per known capability, in a group."""
        self.caps: dict[str, QCheckBox] = {}
        box = QGroupBox("Capabilities")
        lay = QVBoxLayout(box)
        for cap in KNOWN_CAPABILITIES:
            cb = QCheckBox(cap.replace("_", " "))
            self.caps[cap] = cb
            lay.addWidget(cb)
        return box

    def _build_notes_and_buttons(self) -> None:
        """The notes, the error line and the Apply and Revert buttons."""
        self.notes = QPlainTextEdit()
        self.notes.setMaximumHeight(70)
        self.error = QLabel()
        self.error.setObjectName("properties_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("QLabel { color: #b71c1c; font-weight: bold; }")
        self.error.hide()
        self.apply_button = QPushButton("Apply")
        self.apply_button.setDefault(True)
        self.revert_button = QPushButton("Revert")

    def _build_form(self) -> QFormLayout:
        """The labelled rows of values, each unit beside its field."""
        form = QFormLayout()
        form.addRow("Label", self.label)
        form.addRow("Model", self.model_box)
        hrow = QHBoxLayout()
        hrow.addWidget(self.heading)
        hrow.addWidget(QLabel("\u00b0"))
        hrow.addWidget(self.heading_unknown)
        form.addRow("Heading", hrow)
        frow = QHBoxLayout()
        frow.addWidget(self.fov)
        frow.addWidget(QLabel("\u00b0"))
        form.addRow("Field of view", frow)
        rrow = QHBoxLayout()
        rrow.addWidget(self.range)
        rrow.addWidget(self.range_unit)
        form.addRow("Range", rrow)
        form.addRow("Status", self.status)
        self.heading.setToolTip(
            "Compass bearing of the view's axis: 0 north, 90 east; at least 0 and less than 360"
        )
        self.fov.setToolTip("Horizontal field of view: more than 0, at most 360 (a full circle)")
        return form

    def _build_layout(self, form: QFormLayout, caps_box: QGroupBox) -> None:
        """Title and note, the values, capabilities, notes, error, then the buttons."""
        buttons = QHBoxLayout()
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.apply_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.title)
        lay.addWidget(self.note)
        lay.addLayout(form)
        lay.addWidget(caps_box)
        lay.addWidget(QLabel("Notes"))
        lay.addWidget(self.notes)
        lay.addWidget(self.error)
        lay.addLayout(buttons)
        lay.addStretch(1)

    def _connect_signals(self) -> None:
        """Return applies, typing clears the marks; the panel follows the document and units."""
        for w in (self.label, self.heading, self.fov, self.range):
            w.returnPressed.connect(self._apply)  # Return in a field is Apply
            w.textEdited.connect(self._clear_marks)
        self.heading_unknown.toggled.connect(
            lambda on: self.heading.setEnabled(not on and self._editable())
        )
        self.model_box.activated.connect(self._model_chosen)
        self.apply_button.clicked.connect(self._apply)
        self.revert_button.clicked.connect(lambda: self.set_camera(self.camera_id))
        self.doc.camera_changed.connect(self._doc_changed)
        self.doc.camera_removed.connect(self._doc_changed)
        self.doc.result_changed.connect(self._result_changed)
        self.doc.plan_reset.connect(lambda: self.set_camera(None))
        # a bound method (not a lambda): Qt drops the connection when the panel goes
        units.notifier.changed.connect(self._units_changed)

    def _units_changed(self, _unit: str) -> None:
        self.set_camera(self.camera_id)

    def _result_changed(self, camera_id: str) -> None:
        # the note follows the check (typed but unapplied values stay as they are)
        if camera_id == self.camera_id:
            self._update_note()

    def _editable(self) -> bool:
        return self.camera_id is not None and self.doc.is_editable(self.camera_id)

    def set_camera(self, camera_id: str | None) -> None:
        """Show ``camera_id`` (a plan camera: editable; a pack camera: read-only) or nothing."""
        cam = None
        if camera_id is not None:
            try:
                cam = self.doc.any_camera(camera_id)
            except KeyError:
                camera_id = None
        self.camera_id = camera_id
        self._clear_marks()
        self.range_unit.setText(units.unit_symbol())
        editable = self._editable()
        self.setEnabled(cam is not None)
        for w in (
            self.label,
            self.model_box,
            self.heading,
            self.heading_unknown,
            self.fov,
            self.range,
            self.status,
            self.notes,
            self.apply_button,
            self.revert_button,
            *self.caps.values(),
        ):
            w.setEnabled(editable)
        if cam is None:
            self.title.setText("No camera selected")
            self.note.setText("Select a camera on the map to see and edit its properties.")
            self._loading = True
            for edit in (self.label, self.heading, self.fov, self.range):
                edit.clear()
            self.notes.clear()
            self.model_box.setCurrentIndex(-1)
            self.status.setCurrentIndex(-1)
            self.heading_unknown.setChecked(False)
            for cb in self.caps.values():
                cb.setChecked(False)
            self._loading = False
            return
        self._update_note()
        self._load(cam)
        self.heading.setEnabled(editable and cam.heading_deg is not None)

    def _update_note(self) -> None:
        """Whose camera it is, and what the check says of its view when the map cannot."""
        cid = self.camera_id
        if cid is None:
            return
        parts = []
        if not self._editable():
            pack = self.doc.data.pack_path if self.doc.data is not None else None
            where = f"the data pack {pack.name}" if pack is not None else "the data"
            parts.append(f"Existing camera from {where}, not part of this plan: read-only here.")
        blocked = wording.view_note(self.doc.results.get(cid))
        if blocked:
            # the map shows a ✓ and no cone: say why, in words
            parts.append(f"Check: clear, {blocked}.")
        self.note.setText(" ".join(parts))

    def _load(self, cam: Camera) -> None:
        self._loading = True
        try:
            self.title.setText(f"Camera {cam.id}")
            self.label.setText(cam.label)
            i = self.model_box.findData(cam.model)
            if i < 0 and cam.model:
                self.model_box.addItem(cam.model, cam.model)
                i = self.model_box.count() - 1
            self.model_box.setCurrentIndex(max(i, 0))
            self.heading_unknown.setChecked(cam.heading_deg is None)
            self.heading.setText("" if cam.heading_deg is None else f"{cam.heading_deg:g}")
            self.fov.setText(f"{cam.fov_deg:g}")
            self.range.setText(f"{round(units.to_display(cam.range_m), 1):g}")
            self.status.setCurrentIndex(max(self.status.findData(cam.status), 0))
            for cap, cb in self.caps.items():
                cb.setChecked(cap in cam.capabilities)
            self.notes.setPlainText(cam.notes)
        finally:
            self._loading = False

    def _doc_changed(self, camera_id: str) -> None:
        if camera_id == self.camera_id:
            self.set_camera(camera_id)

    def _model_chosen(self) -> None:
        """A catalogue model fills field of view, range and capabilities (applied with Apply)."""
        key = self.model_box.currentData()
        if self.catalogue is not None and key:
            model = self.catalogue.find(key)
            if model is not None:
                self.fov.setText(f"{model.fov_deg:g}")
                self.range.setText(f"{round(units.to_display(model.range_m), 1):g}")
                for cap, cb in self.caps.items():
                    cb.setChecked(cap in model.capabilities)

    def _clear_marks(self, *_args: object) -> None:
        for w in (self.heading, self.fov, self.range):
            w.setStyleSheet("")
        self.error.clear()
        self.error.hide()

    def validation_errors(self) -> dict[str, str]:
        """``{field: message}`` for every typed value out of SPEC 5.1's ranges."""
        errors: dict[str, str] = {}
        unit = units.unit_symbol()
        if not self.heading_unknown.isChecked():
            h = parse_number(self.heading.text())
            if h is None or not _in_range(h, HEADING_RANGE):
                errors["heading"] = (
                    f"Heading must be at least 0\u00b0 and less than 360\u00b0;"
                    f" got {self.heading.text().strip() or 'nothing'}."
                )
        f = parse_number(self.fov.text())
        if f is None or not _in_range(f, FOV_RANGE):
            errors["fov"] = (
                f"Field of view must be more than 0\u00b0 and at most 360\u00b0;"
                f" got {self.fov.text().strip() or 'nothing'}."
            )
        r = parse_number(self.range.text(), units_suffixes=(unit,))
        if r is None or not _in_range(units.from_display(r), RANGE_M):
            top = units.format_distance(RANGE_M[1])
            errors["range"] = (
                f"Range must be more than 0 and at most {top};"
                f" got {self.range.text().strip() or 'nothing'}."
            )
        return errors

    def edited_camera(self) -> Camera | None:
        """The camera as the fields describe it (None: no camera, or a value is invalid)."""
        if not self._editable() or self.validation_errors():
            return None
        assert self.camera_id is not None
        cam = self.doc.camera(self.camera_id)
        extra_caps = tuple(c for c in cam.capabilities if c not in self.caps)
        caps = tuple(c for c, cb in self.caps.items() if cb.isChecked()) + extra_caps

        def same(new: float, old: float | None, shown: float | None = None) -> float:
            # keep the exact stored value when the shown (rounded) value was not changed
            if old is None:
                return new
            return old if round(old if shown is None else shown, 1) == round(new, 1) else new

        heading = None
        if not self.heading_unknown.isChecked():
            heading = same(parse_number(self.heading.text()) or 0.0, cam.heading_deg)
        typed_range = parse_number(self.range.text(), units_suffixes=(units.unit_symbol(),))
        assert typed_range is not None
        shown_range = units.to_display(cam.range_m)
        range_m = (
            cam.range_m
            if round(shown_range, 1) == round(typed_range, 1)
            else units.from_display(typed_range)
        )
        return cam.replace(
            label=self.label.text().strip(),
            model=self.model_box.currentData(),
            heading_deg=heading,
            fov_deg=same(parse_number(self.fov.text()) or 0.0, cam.fov_deg),
            range_m=range_m,
            status=self.status.currentData(),
            capabilities=caps if set(caps) != set(cam.capabilities) else cam.capabilities,
            notes=self.notes.toPlainText(),
        )

    def _apply(self, *_args: object) -> None:
        if self._loading or not self._editable():
            return
        errors = self.validation_errors()
        self._clear_marks()
        if errors:
            fields = {"heading": self.heading, "fov": self.fov, "range": self.range}
            for key in errors:
                fields[key].setStyleSheet(_ERROR_STYLE)
            self.error.setText("Not applied. " + " ".join(errors.values()))
            self.error.show()
            return
        assert self.camera_id is not None
        before = self.doc.camera(self.camera_id)
        after = self.edited_camera()
        if after is None or after == before:
            return
        outcome = self.doc.edit_properties(before, after)
        if not outcome.committed and outcome.changed:
            self.error.setText(
                "Not applied: see the message over the map. Revert restores the camera's values."
            )
            self.error.show()
