"""Dock panels: layers, findings and camera properties."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from planner.app.common import units
from planner.app.siting import wording
from planner.app.siting.document import PlanDocument
from planner.core.model import Camera, CameraStatus, Finding, Severity

Index = QModelIndex | QPersistentModelIndex
KNOWN_CAPABILITIES = (
    "plate_read",
    "vehicle_fingerprint",
    "facial_recognition",
    "biometric_analysis",
)


# -- layers ---------------------------------------------------------------------------------
class LayersPanel(QWidget):
    """Layer list: visibility checkbox and legend symbol per row, opacity slider below.

    Layers are ``(key, title, icon)``; the main window connects the signals to the canvas.
    """

    visibility_changed = Signal(str, bool)
    opacity_changed = Signal(str, float)

    KEY_ROLE = Qt.ItemDataRole.UserRole + 1
    OPACITY_ROLE = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QStandardItemModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setObjectName("layers_view")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(100)
        self.slider.setEnabled(False)
        self.slider.setObjectName("layer_opacity")
        self.slider.setAccessibleName("Layer opacity")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.view)
        row = QHBoxLayout()
        row.addWidget(QLabel("Opacity"))
        row.addWidget(self.slider)
        lay.addLayout(row)
        self.model.itemChanged.connect(self._item_changed)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.slider.valueChanged.connect(self._slider_moved)

    def set_layers(self, layers: Sequence[tuple[str, str, QIcon | None, bool, float]]) -> None:
        """``(key, title, legend icon, visible, opacity)`` per layer, top first."""
        self.model.blockSignals(True)
        self.model.clear()
        for key, title, icon, visible, opacity in layers:
            item = QStandardItem(title)
            item.setCheckable(True)
            item.setEditable(False)
            item.setCheckState(Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
            if icon is not None:
                item.setIcon(icon)
            item.setData(key, self.KEY_ROLE)
            item.setData(float(opacity), self.OPACITY_ROLE)
            self.model.appendRow(item)
        self.model.blockSignals(False)
        self.view.reset()

    def keys(self) -> list[str]:
        return [self.model.item(r).data(self.KEY_ROLE) for r in range(self.model.rowCount())]

    def _item_changed(self, item: QStandardItem) -> None:
        self.visibility_changed.emit(
            item.data(self.KEY_ROLE), item.checkState() == Qt.CheckState.Checked
        )

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.slider.setEnabled(current.isValid())
        if current.isValid():
            self.slider.blockSignals(True)
            self.slider.setValue(round(100 * float(current.data(self.OPACITY_ROLE) or 1.0)))
            self.slider.blockSignals(False)

    def _slider_moved(self, value: int) -> None:
        index = self.view.currentIndex()
        if not index.isValid():
            return
        self.model.setData(index, value / 100.0, self.OPACITY_ROLE)
        self.opacity_changed.emit(index.data(self.KEY_ROLE), value / 100.0)


# -- findings -------------------------------------------------------------------------------
class FindingsModel(QAbstractTableModel):
    """Every finding of every checked camera, one row each."""

    COLUMNS = ("Severity", "Camera", "Rule", "Site", "Category", "Entrances", "Distance", "Message")
    SORT_ROLE = Qt.ItemDataRole.UserRole + 1
    FINDING_ROLE = Qt.ItemDataRole.UserRole + 2

    def __init__(self, doc: PlanDocument, parent: Any = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.rows: list[Finding] = []
        doc.results_reset.connect(self.refresh)
        doc.result_changed.connect(self.refresh)
        doc.camera_removed.connect(self.refresh)
        units.notifier.changed.connect(self.refresh)
        self.sentences: list[str] = []
        self.refresh()

    def refresh(self, *_args: object) -> None:
        self.beginResetModel()
        order = {cid: i for i, cid in enumerate(c.id for c in self.doc.all_cameras())}
        results = sorted(self.doc.results.values(), key=lambda r: order.get(r.camera_id, 1 << 30))
        self.rows = [f for r in results for f in r.findings]
        # in plain words, in the display unit (the core's messages are metric, for files)
        self.sentences = [self.doc.describe(f) for f in self.rows]
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.COLUMNS) - 1)

    def site_text(self, f: Finding) -> str:
        name = f.site_name or f.site_id or ""
        site = self.doc.site(f.site_id)
        return f"{name} (unverified)" if site is not None and site.verified is False else name

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if self.COLUMNS[section] == "Distance":
                return f"Distance ({units.unit_symbol()})"
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        f = self.rows[index.row()]
        col = index.column()
        if role == self.FINDING_ROLE:
            return f
        if role == self.SORT_ROLE:
            if col == 0:
                return f.severity.rank
            if col == 6:
                return -1.0 if f.distance_m is None else f.distance_m
            return str(self.data(index) or "")
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                str(f.severity).upper(),
                f.camera_id,
                str(f.rule),
                self.site_text(f),
                f.category or "",
                ", ".join(f.entrance_ids),
                "" if f.distance_m is None else f"{units.to_display(f.distance_m):.1f}",
                self.sentences[index.row()],
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 0:
            return QColor(190, 20, 20) if f.severity is Severity.BLOCK else QColor(170, 100, 0)
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and col == 3
            and self.site_text(f).endswith("(unverified)")
        ):
            return QColor(140, 40, 140)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.sentences[index.row()]
        return None


class FindingsPanel(QWidget):
    """Sortable findings table; click selects and zooms, double-click opens properties."""

    finding_clicked = Signal(object)
    finding_activated = Signal(object)

    def __init__(self, doc: PlanDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FindingsModel(doc, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(FindingsModel.SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter findings")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = QTableView()
        self.view.setObjectName("findings_view")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.view.horizontalHeader()
        # every column but the message as wide as its longest cell (rule ids, categories
        # and entrance ids must read whole); the message takes the rest, in a tooltip too
        for col in range(len(FindingsModel.COLUMNS) - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(FindingsModel.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        # one line of text per row, tight: the dock shows six findings at its default size
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        self.summary = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        # the filter and the summary share a row: every pixel of height is a row of findings
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.summary, 2)
        lay.addLayout(top)
        lay.addWidget(self.view)
        self.view.clicked.connect(lambda i: self.finding_clicked.emit(self.finding_at(i)))
        self.view.doubleClicked.connect(lambda i: self.finding_activated.emit(self.finding_at(i)))
        self.model.modelReset.connect(self._update_summary)
        self._update_summary()

    def finding_at(self, proxy_index: QModelIndex) -> Finding:
        return self.proxy.data(proxy_index, FindingsModel.FINDING_ROLE)

    def set_unchecked_reason(self, reason: str) -> None:
        """Why the plan has no result (shown instead of a count that would read "0 blocked")."""
        self._unchecked = reason
        self._update_summary()

    def _update_summary(self) -> None:
        n, n_block, n_warn, n_clear = self.model.doc.status_counts()
        if not n:
            reason = getattr(self, "_unchecked", "")
            self.summary.setText(f"Not checked. {reason}" if reason else "Not checked.")
            return
        blind = sum(bool(wording.view_note(r)) for r in self.model.doc.results.values())
        # a clear camera that sees nothing has no finding: the summary still says so
        extra = f"; {blind} with the {wording.VIEW_BLOCKED}" if blind else ""
        counts = (
            f"{n_block} blocked, {n_warn} warned, {n_clear} clear; "
            f"{len(self.model.rows)} findings{extra}"
        )
        doc = self.model.doc
        if not doc.plan.cameras:
            # an empty plan over a pack: the cameras checked are the pack's, say whose
            data = doc.data
            pack = data.pack_path if data is not None else None
            where = Path(pack).name if pack is not None else "the data"
            self.summary.setText(
                f"No cameras in this plan yet. {n} existing cameras in {where}: {counts}"
            )
            return
        self.summary.setText(f"{n} cameras checked: {counts}")


# -- camera properties ---------------------------------------------------------------------
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
        self.title = QLabel("No camera selected")
        self.title.setObjectName("properties_title")
        self.note = QLabel()
        self.note.setObjectName("properties_note")
        self.note.setWordWrap(True)
        self.label = QLineEdit()
        self.model_box = QComboBox()
        self.model_box.addItem("(none)", None)
        if catalogue is not None:
            for m in catalogue.models:
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
        self.caps: dict[str, QCheckBox] = {}
        caps_box = QGroupBox("Capabilities")
        caps_lay = QVBoxLayout(caps_box)
        for cap in KNOWN_CAPABILITIES:
            cb = QCheckBox(cap.replace("_", " "))
            self.caps[cap] = cb
            caps_lay.addWidget(cb)
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
        for w in (self.label, self.heading, self.fov, self.range):
            w.returnPressed.connect(self._apply)  # Return in a field is Apply
            w.textEdited.connect(self._clear_marks)
        self.heading_unknown.toggled.connect(
            lambda on: self.heading.setEnabled(not on and self._editable())
        )
        self.model_box.activated.connect(self._model_chosen)
        self.apply_button.clicked.connect(self._apply)
        self.revert_button.clicked.connect(lambda: self.set_camera(self.camera_id))
        doc.camera_changed.connect(self._doc_changed)
        doc.camera_removed.connect(self._doc_changed)
        doc.result_changed.connect(self._result_changed)
        doc.plan_reset.connect(lambda: self.set_camera(None))
        # a bound method (not a lambda): Qt drops the connection when the panel goes
        units.notifier.changed.connect(self._units_changed)
        self.set_camera(None)

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
