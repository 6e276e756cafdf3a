"""A minimal map view used only while :mod:`planner.app.canvas` is unavailable.

Same conventions as the real canvas: projected metres, ``scene y = -northing``.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget


class MapCanvas(QGraphicsView):
    cursor_moved = Signal(float, float)
    scale_changed = Signal(float)
    clicked_empty = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setMouseTracking(True)
        self.projector = None
        self._press: QPointF | None = None

    def set_projector(self, projector: object) -> None:
        self.projector = projector

    def to_scene(self, x: float, y: float) -> QPointF:
        return QPointF(x, -y)

    def from_scene(self, pt: QPointF) -> tuple[float, float]:
        return pt.x(), -pt.y()

    def m_per_px(self) -> float:
        return 1.0 / max(self.transform().m11(), 1e-9)

    def zoom_to_rect(self, rect: QRectF) -> None:
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self.scale_changed.emit(self.m_per_px())

    def zoom_to_fit(self) -> None:
        rect = self.scene().itemsBoundingRect()
        if not rect.isEmpty():
            self.zoom_to_rect(rect.adjusted(-50, -50, 50, 50))

    def wheelEvent(self, event: QWheelEvent) -> None:
        f = 1.25 if event.angleDelta().y() > 0 else 0.8
        self.scale(f, f)
        self.scale_changed.emit(self.m_per_px())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._press = event.position()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if self.projector is not None:
            x, y = self.from_scene(self.mapToScene(event.position().toPoint()))
            lon, lat = self.projector.lonlat(x, y)
            self.cursor_moved.emit(lon, lat)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if self._press is not None and (event.position() - self._press).manhattanLength() < 4:
            item = self.itemAt(event.position().toPoint())
            if item is None or not (item.flags() & item.GraphicsItemFlag.ItemIsSelectable):
                x, y = self.from_scene(self.mapToScene(event.position().toPoint()))
                self.clicked_empty.emit(x, y)
        self._press = None
