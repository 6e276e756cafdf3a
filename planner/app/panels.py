"""Dock panels: layers, findings and camera properties."""

from __future__ import annotations

from collections.abc import Sequence
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
    QDoubleSpinBox,
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

from planner.app.document import PlanDocument
from planner.core.model import Camera, CameraStatus, Finding, Severity

Index = QModelIndex | QPersistentModelIndex
KNOWN_CAPABILITIES = ("plate_read", "vehicle_fingerprint", "facial_recognition",
                      "biometric_analysis")


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
        self.visibility_changed.emit(item.data(self.KEY_ROLE),
                                     item.checkState() == Qt.CheckState.Checked)

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

    COLUMNS = ("Severity", "Camera", "Rule", "Site", "Category", "Entrances", "Distance (m)",
               "Message")
    SORT_ROLE = Qt.ItemDataRole.UserRole + 1
    FINDING_ROLE = Qt.ItemDataRole.UserRole + 2

    def __init__(self, doc: PlanDocument, parent: Any = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.rows: list[Finding] = []
        doc.results_reset.connect(self.refresh)
        doc.result_changed.connect(self.refresh)
        doc.camera_removed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args: object) -> None:
        self.beginResetModel()
        order = {cid: i for i, cid in enumerate(c.id for c in self.doc.all_cameras())}
        results = sorted(self.doc.results.values(), key=lambda r: order.get(r.camera_id, 1 << 30))
        self.rows = [f for r in results for f in r.findings]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
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
                str(f.severity).upper(), f.camera_id, str(f.rule), f.site_name or f.site_id or "",
                f.category or "", ", ".join(f.entrance_ids),
                "" if f.distance_m is None else f"{f.distance_m:.1f}", f.message,
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 0:
            return QColor(190, 20, 20) if f.severity is Severity.BLOCK else QColor(170, 100, 0)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f.message
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
        header.setSectionResizeMode(len(FindingsModel.COLUMNS) - 1,
                                    QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.summary = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.filter)
        lay.addWidget(self.view)
        lay.addWidget(self.summary)
        self.view.clicked.connect(lambda i: self.finding_clicked.emit(self.finding_at(i)))
        self.view.doubleClicked.connect(lambda i: self.finding_activated.emit(self.finding_at(i)))
        self.model.modelReset.connect(self._update_summary)
        self._update_summary()

    def finding_at(self, proxy_index: QModelIndex) -> Finding:
        return self.proxy.data(proxy_index, FindingsModel.FINDING_ROLE)

    def _update_summary(self) -> None:
        statuses = [r.status for r in self.model.doc.results.values()]
        n_block = sum(s is Severity.BLOCK for s in statuses)
        n_warn = sum(s is Severity.WARN for s in statuses)
        self.summary.setText(
            f"{len(statuses)} cameras checked: {n_block} blocked, {n_warn} warned, "
            f"{len(statuses) - n_block - n_warn} clear; {len(self.model.rows)} findings"
        )


# -- camera properties ---------------------------------------------------------------------
class PropertiesPanel(QWidget):
    """Edits one camera; every change becomes an undoable command through the gate."""

    def __init__(self, doc: PlanDocument, catalogue: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.catalogue = catalogue
        self.camera_id: str | None = None
        self._loading = False
        self.title = QLabel("No camera selected")
        self.label = QLineEdit()
        self.model_box = QComboBox()
        self.model_box.addItem("(none)", None)
        if catalogue is not None:
            for m in catalogue.models:
                self.model_box.addItem(m.label, m.key)
        self.heading = self._spin(0.0, 359.9, " °", wrap=True)
        self.heading_unknown = QCheckBox("unknown")
        self.fov = self._spin(1.0, 360.0, " °")
        self.range = self._spin(1.0, 2000.0, " m")
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
            cb.toggled.connect(self._apply)
        self.notes = QPlainTextEdit()
        self.notes.setMaximumHeight(70)
        self.apply_button = QPushButton("Apply")
        form = QFormLayout()
        form.addRow("Label", self.label)
        form.addRow("Model", self.model_box)
        hrow = QHBoxLayout()
        hrow.addWidget(self.heading)
        hrow.addWidget(self.heading_unknown)
        form.addRow("Heading", hrow)
        form.addRow("Field of view", self.fov)
        form.addRow("Range", self.range)
        form.addRow("Status", self.status)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.title)
        lay.addLayout(form)
        lay.addWidget(caps_box)
        lay.addWidget(QLabel("Notes"))
        lay.addWidget(self.notes)
        lay.addWidget(self.apply_button)
        lay.addStretch(1)
        for w in (self.label, self.heading, self.fov, self.range):
            w.editingFinished.connect(self._apply)
        self.heading_unknown.toggled.connect(self._apply)
        self.status.activated.connect(self._apply)
        self.model_box.activated.connect(self._model_chosen)
        self.apply_button.clicked.connect(self._apply)
        doc.camera_changed.connect(self._doc_changed)
        doc.camera_removed.connect(self._doc_changed)
        doc.plan_reset.connect(lambda: self.set_camera(None))
        self.set_camera(None)

    @staticmethod
    def _spin(lo: float, hi: float, suffix: str, *, wrap: bool = False) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(lo, hi)
        box.setDecimals(1)
        box.setSuffix(suffix)
        box.setWrapping(wrap)
        box.setKeyboardTracking(False)
        return box

    def set_camera(self, camera_id: str | None) -> None:
        if camera_id is not None and not self.doc.has_camera(camera_id):
            camera_id = None
        self.camera_id = camera_id
        self.setEnabled(camera_id is not None)
        if camera_id is None:
            self.title.setText("No camera selected")
            self._loading = True
            self.label.clear()
            self.notes.clear()
            for cb in self.caps.values():
                cb.setChecked(False)
            self._loading = False
            return
        self._load(self.doc.camera(camera_id))

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
            self.heading.setEnabled(cam.heading_deg is not None)
            self.heading.setValue(cam.heading_deg or 0.0)
            self.fov.setValue(cam.fov_deg)
            self.range.setValue(cam.range_m)
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
        key = self.model_box.currentData()
        if self.catalogue is not None and key:
            model = self.catalogue.find(key)
            if model is not None:
                self._loading = True
                self.fov.setValue(model.fov_deg)
                self.range.setValue(model.range_m)
                for cap, cb in self.caps.items():
                    cb.setChecked(cap in model.capabilities)
                self._loading = False
        self._apply()

    def edited_camera(self) -> Camera | None:
        if self.camera_id is None:
            return None
        cam = self.doc.camera(self.camera_id)
        extra_caps = tuple(c for c in cam.capabilities if c not in self.caps)
        caps = tuple(c for c, cb in self.caps.items() if cb.isChecked()) + extra_caps
        heading = None if self.heading_unknown.isChecked() else round(self.heading.value(), 1)

        def same(new: float, old: float | None) -> float:
            # keep the exact stored value when the 0.1-step spin box did not change it
            return old if old is not None and round(old, 1) == new else new

        return cam.replace(
            label=self.label.text().strip(),
            model=self.model_box.currentData(),
            heading_deg=None if heading is None else same(heading, cam.heading_deg),
            fov_deg=same(round(self.fov.value(), 1), cam.fov_deg),
            range_m=same(round(self.range.value(), 1), cam.range_m),
            status=self.status.currentData(),
            capabilities=caps if set(caps) != set(cam.capabilities) else cam.capabilities,
            notes=self.notes.toPlainText(),
        )

    def _apply(self, *_args: object) -> None:
        if self._loading or self.camera_id is None:
            return
        self.heading.setEnabled(not self.heading_unknown.isChecked())
        before = self.doc.camera(self.camera_id)
        after = self.edited_camera()
        if after is None or after == before:
            return
        outcome = self.doc.edit_properties(before, after)
        if not outcome.committed:
            self._load(self.doc.camera(self.camera_id))
