"""The Layers dock: a visibility checkbox and legend symbol per layer, opacity below."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QIcon, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListView, QSlider, QVBoxLayout, QWidget


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
