"""The map canvas's navigation: zoom levels, panning, the wheel and keys, clicks and the
rubber band that selects an area.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QResizeEvent, QTransform, QWheelEvent
from PySide6.QtWidgets import QApplication, QGraphicsView, QRubberBand
from shapely.geometry.base import BaseGeometry

from planner.app.map.canvas.render import MAX_LEVEL, MIN_LEVEL, RenderState, TileKey, level_res

if TYPE_CHECKING:
    _ViewBase = QGraphicsView
else:
    _ViewBase = object


class CanvasNavigation(_ViewBase):
    """Part of :class:`~planner.app.map.canvas.view.MapCanvas`: zoom, pan, clicks, rubber band."""

    # what this part uses of the rest of the canvas
    _band: QRubberBand | None
    _band_extend: bool
    _band_origin: QPoint | None
    _item_takes_mouse: Callable[[QPoint], bool]
    _level: int
    _moved: bool
    _panning: bool
    _press: QPoint | None
    _queue: list[TileKey]
    _state: RenderState
    _wheel_acc: int
    area_selected: Signal
    clicked_empty: Signal
    cursor_moved: Signal
    lonlat_at: Callable[[QPoint | QPointF], tuple[float, float] | None]
    scale_changed: Signal
    scene_to_view: Callable[[QPointF], QPointF]
    to_scene: Callable[[float, float], QPointF]
    view_to_scene: Callable[[QPoint | QPointF], QPointF]
    xy_at: Callable[[QPoint | QPointF], tuple[float, float]]

    def _init_navigation(self) -> None:
        """At level 0, with no press, pan or rubber band under way."""
        self._level = 0
        self._wheel_acc = 0
        self._press = None
        self._panning = False
        self._moved = False
        self._band = None
        self._band_origin = None
        self._band_extend = False

    def data_bounds(self) -> tuple[float, float, float, float] | None:
        """Projected bounds (minx, miny, maxx, maxy) of every non-empty layer."""
        s = self._state
        boxes = []
        for layer in (s.buildings, s.streets, s.zones, s.site_outlines, s.boundaries):
            if layer is not None and (b := layer.bounds) is not None:
                boxes.append(b)
        for pts in (s.sites, s.entrances):
            if pts is not None and len(pts):
                boxes.append((*pts.xy.min(axis=0), *pts.xy.max(axis=0)))
        if not boxes:
            return None
        a = np.array(boxes, dtype=float)
        # scene y is -northing
        return (a[:, 0].min(), -a[:, 3].max(), a[:, 2].max(), -a[:, 1].min())

    def resolution(self) -> float:
        """Metres per screen pixel."""
        return 1.0 / self.transform().m11()

    def level(self) -> int:
        return self._level

    def set_level(self, level: int, *, anchor: QPoint | QPointF | None = None) -> None:
        """Zoom to ``level`` keeping the scene point under ``anchor`` (view centre) still."""
        self._apply_level(level, anchor)

    def zoom_in(self, steps: int = 1, *, anchor: QPoint | QPointF | None = None) -> None:
        self._apply_level(self._level - steps, anchor)

    def zoom_out(self, steps: int = 1, *, anchor: QPoint | QPointF | None = None) -> None:
        self._apply_level(self._level + steps, anchor)

    def zoom_to_rect(self, rect: QRectF, *, margin: float = 0.05) -> None:
        """Show a scene rectangle whole, at the closest level that fits."""
        if rect.isNull() or not rect.isValid():
            rect = QRectF(rect.center() - QPointF(50, 50), rect.center() + QPointF(50, 50))
        vw, vh = max(1, self.viewport().width()), max(1, self.viewport().height())
        need = max(rect.width() / vw, rect.height() / vh, 1e-3) * (1.0 + 2 * margin)
        level = math.ceil(2.0 * math.log2(need) - 1e-9)
        self._apply_level(level)
        self.center_on_scene(rect.center())

    def zoom_to_geometry(
        self, geometry: BaseGeometry | Sequence[float], *, min_size_m: float = 120.0
    ) -> None:
        """Show projected bounds ``(minx, miny, maxx, maxy)`` or a projected geometry."""
        if isinstance(geometry, BaseGeometry):
            minx, miny, maxx, maxy = geometry.bounds
        else:
            minx, miny, maxx, maxy = (float(v) for v in geometry)
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        w, h = max(maxx - minx, min_size_m), max(maxy - miny, min_size_m)
        self.zoom_to_rect(QRectF(cx - w / 2, -cy - h / 2, w, h))

    def zoom_to_fit(self) -> None:
        """Show every layer."""
        bounds = self.data_bounds()
        if bounds is not None:
            self.zoom_to_geometry(bounds, min_size_m=200.0)

    def center_on(self, x: float, y: float) -> None:
        """Centre the view on projected metres."""
        self.center_on_scene(self.to_scene(x, y))

    def center_on_scene(self, point: QPointF) -> None:
        center = QPointF(self.viewport().width() / 2, self.viewport().height() / 2)
        delta = self.scene_to_view(point) - center
        self.pan_by(round(delta.x()), round(delta.y()))

    def center(self) -> tuple[float, float]:
        """Projected metres at the view centre."""
        return self.xy_at(QPointF(self.viewport().width() / 2, self.viewport().height() / 2))

    def pan_by(self, dx: int, dy: int) -> None:
        """Move the view by whole pixels (positive dx shows what lies east)."""
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + int(dx))
        v.setValue(v.value() + int(dy))

    def _update_scene_rect(self) -> None:
        bounds = self.data_bounds()
        if bounds is None:
            cx, cy, half = 0.0, 0.0, 1e5
        else:
            minx, miny, maxx, maxy = bounds
            cx, cy = (minx + maxx) / 2, -(miny + maxy) / 2
            half = max(maxx - minx, maxy - miny) / 2 + 5e4
        current = self.sceneRect()
        wanted = QRectF(cx - half, cy - half, 2 * half, 2 * half)
        if not current.contains(wanted):
            self.setSceneRect(wanted)

    def _apply_level(self, level: int, anchor: QPoint | QPointF | None = None) -> None:
        level = max(MIN_LEVEL, min(MAX_LEVEL, int(level)))
        if anchor is None:
            anchor = QPointF(self.viewport().width() / 2, self.viewport().height() / 2)
        anchor = QPointF(anchor)
        target = self.view_to_scene(anchor)
        changed = level != self._level or abs(self.transform().m11() * level_res(level) - 1) > 1e-9
        self._level = level
        s = 1.0 / level_res(level)
        self.setTransform(QTransform.fromScale(s, s))
        delta = self.scene_to_view(target) - anchor
        self.pan_by(round(delta.x()), round(delta.y()))
        if changed:
            self._queue.clear()
            self.scale_changed.emit(level_res(level))
            self.viewport().update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        self._wheel_acc += event.angleDelta().y()
        steps = int(self._wheel_acc / 120)
        if steps:
            self._wheel_acc -= steps * 120
            self.zoom_in(steps, anchor=event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        arrows: dict[int, tuple[int, int]] = {
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
        }
        if key in arrows:
            # a focused item (a selected camera being nudged) gets the keys first
            scene = self.scene()
            if scene is not None and scene.focusItem() is not None:
                event.ignore()
                QApplication.sendEvent(scene, event)
                if event.isAccepted():
                    return
            dx, dy = arrows[key]
            step = max(32, min(self.viewport().width(), self.viewport().height()) // 6)
            self.pan_by(dx * step, dy * step)
            event.accept()
            return
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
            event.accept()
            return
        if key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
            event.accept()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        mods = event.modifiers()
        if (
            event.button() == Qt.MouseButton.LeftButton
            and mods & Qt.KeyboardModifier.ShiftModifier
            and not self._item_takes_mouse(event.position().toPoint())
        ):
            # Shift+drag on the map selects with a rubber band; a plain drag pans.
            self._band_origin = event.position().toPoint()
            self._band_extend = bool(mods & Qt.KeyboardModifier.ControlModifier)
            if self._band is None:
                self._band = QRubberBand(QRubberBand.Shape.Rectangle, self.viewport())
            self._band.setGeometry(QRect(self._band_origin, QSize()))
            self._band.show()
            event.accept()
            return
        super().mousePressEvent(event)
        scene = self.scene()
        grabbed = scene is not None and scene.mouseGrabberItem() is not None
        if event.button() == Qt.MouseButton.LeftButton and not grabbed:
            self._press = event.position().toPoint()
            self._panning = True
            self._moved = False
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        ll = self.lonlat_at(pos)
        if ll is not None:
            self.cursor_moved.emit(ll[0], ll[1])
        if self._band_origin is not None and self._band is not None:
            self._band.setGeometry(QRect(self._band_origin, pos.toPoint()).normalized())
            event.accept()
            return
        if self._panning and self._press is not None:
            now = pos.toPoint()
            delta = now - self._press
            if not self._moved and delta.manhattanLength() < QApplication.startDragDistance():
                return
            if not self._moved:
                self._moved = True
                self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            self._press = now
            self.pan_by(-delta.x(), -delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._band_origin is not None and event.button() == Qt.MouseButton.LeftButton:
            rect = QRect(self._band_origin, event.position().toPoint()).normalized()
            self._band_origin = None
            if self._band is not None:
                self._band.hide()
            scene_rect = QRectF(
                self.view_to_scene(rect.topLeft()), self.view_to_scene(rect.bottomRight())
            ).normalized()
            self.area_selected.emit(scene_rect, self._band_extend)
            event.accept()
            return
        if self._panning and event.button() == Qt.MouseButton.LeftButton:
            self._panning = False
            self._press = None
            self.viewport().unsetCursor()
            if not self._moved:
                x, y = self.xy_at(event.position())
                self.clicked_empty.emit(x, y)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.viewport().update()
