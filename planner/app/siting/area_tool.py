"""Draw an area on the map: the polygon the Propose panel limits its targets to.

Polygon digitising as in QGIS: each left click adds a vertex, a double-click or
Enter closes the ring, Backspace removes the last vertex, Esc cancels. While
drawing, a rubber band follows the mouse; the closed area stays drawn as an outline
until it is cleared or replaced. Vertices are projected metres of the pack's CRS
(the checker's home CRS), so the polygon is the engine's ``targets`` as it is.
Drawing an area is view state, not a plan edit: nothing here touches the document.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPen

#: Vertices one drawn area may hold (a hand-drawn area has tens).
MAX_VERTICES = 10_000
_ACCENT = QColor("#e65100")
_CLOSE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_TOOL_KEYS = (*_CLOSE_KEYS, Qt.Key.Key_Backspace, Qt.Key.Key_Escape)


def area_polygon(points: list[tuple[float, float]]) -> tuple[Any, str]:
    """The polygon through ``points``, made valid; ``(None, why)`` when it has no area.

    A self-intersecting ring (a bow tie) becomes its valid polygonal parts, as
    ``propose --targets`` makes a layer's polygons valid; fewer than three
    distinct vertices, or no area left, is refused with the reason.
    """
    import shapely

    distinct = list(dict.fromkeys(points))
    if len(distinct) < 3:
        return None, f"An area needs at least 3 vertices (got {len(distinct)})."
    ring = shapely.Polygon(points)
    geom = ring if ring.is_valid else shapely.make_valid(ring)
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    area = shapely.union_all(parts) if parts else shapely.Polygon()
    if area.is_empty or area.area <= 0.0:
        return None, "The drawn area has no area (its vertices lie on one line)."
    return area, ""


class AreaTool(QObject):
    """Digitises one polygon over ``canvas`` while active; keeps the last one drawn.

    Signals
    -------
    finished(polygon)
        A closed, valid area (shapely, projected metres).
    refused(text)
        Closing was refused (too few vertices, no area); drawing goes on.
    cancelled()
        Esc dropped the vertices; the previous area, if any, stays.
    """

    finished = Signal(object)
    refused = Signal(str)
    cancelled = Signal()

    def __init__(self, canvas: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.points: list[tuple[float, float]] = []
        self.hover: tuple[float, float] | None = None
        self.area: Any = None
        self.active = False
        canvas.add_overlay(self.draw)

    # -- state ------------------------------------------------------------------

    def set_active(self, on: bool) -> None:
        """Start or stop listening to the map; stopping drops unfinished vertices."""
        if on == self.active:
            return
        self.active = on
        viewport = self.canvas.viewport()
        if on:
            viewport.installEventFilter(self)
            self.canvas.installEventFilter(self)
            viewport.setCursor(Qt.CursorShape.CrossCursor)
            self.canvas.setFocus()
        else:
            viewport.removeEventFilter(self)
            self.canvas.removeEventFilter(self)
            viewport.unsetCursor()
        self.points, self.hover = [], None
        self._repaint()

    def clear(self) -> None:
        """Forget the drawn area (and any vertices being drawn)."""
        self.area, self.points, self.hover = None, [], None
        self._repaint()

    def add_vertex(self, x: float, y: float) -> None:
        if len(self.points) < MAX_VERTICES:
            self.points.append((x, y))
        self._repaint()

    def undo_vertex(self) -> None:
        if self.points:
            self.points.pop()
        self._repaint()

    def close(self) -> bool:
        """Close the ring: the area replaces the previous one, and the tool stops."""
        area, why = area_polygon(self.points)
        if area is None:
            self.refused.emit(why)
            return False
        self.area = area
        self.set_active(False)
        self.finished.emit(area)
        return True

    def cancel(self) -> None:
        self.set_active(False)
        self.cancelled.emit()

    def _repaint(self) -> None:
        self.canvas.viewport().update()

    # -- events -------------------------------------------------------------------

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        et = event.type()
        if isinstance(event, QKeyEvent) and event.key() in _TOOL_KEYS:
            if et == QEvent.Type.ShortcutOverride:
                # Backspace is also Delete camera: while drawing, the key is the tool's.
                event.accept()
                return True
            if et == QEvent.Type.KeyPress:
                self._key(event.key())
                return True
        if obj is not self.canvas.viewport() or not isinstance(event, QMouseEvent):
            return False
        if et == QEvent.Type.MouseMove:
            if self.points:
                self.hover = self.canvas.xy_at(event.position())
                self._repaint()
            return False
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if et == QEvent.Type.MouseButtonPress:
            self.add_vertex(*self.canvas.xy_at(event.position()))
        elif et == QEvent.Type.MouseButtonDblClick:
            # The double-click's first press placed its vertex on a real mouse; a
            # double-click delivered alone (some platforms, tests) places it here.
            if not self._is_last_vertex(event.position()):
                self.add_vertex(*self.canvas.xy_at(event.position()))
            self.close()
        # presses and releases are the tool's: they never select or move a camera
        return et in (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonDblClick,
            QEvent.Type.MouseButtonRelease,
        )

    def _is_last_vertex(self, pos: QPointF) -> bool:
        if not self.points:
            return False
        x, y = self.points[-1]
        at = self.canvas.scene_to_view(QPointF(x, -y))
        return (at - pos).manhattanLength() <= 3.0

    def _key(self, key: int) -> None:
        if key in _CLOSE_KEYS:
            self.close()
        elif key == Qt.Key.Key_Backspace:
            self.undo_vertex()
        else:
            self.cancel()

    # -- drawing --------------------------------------------------------------------

    def draw(self, painter: QPainter) -> None:
        """The finished area's outline, and while drawing the rubber band."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self.area is not None:
            path = self._area_path()
            painter.setPen(QPen(QColor(255, 255, 255, 220), 5))
            painter.drawPath(path)
            painter.setPen(QPen(_ACCENT, 2.5, Qt.PenStyle.DashLine))
            painter.drawPath(path)
        pts = list(self.points) + ([self.hover] if self.hover is not None else [])
        if not self.active or not pts:
            return
        view = [self.canvas.scene_to_view(QPointF(x, -y)) for x, y in pts]
        band = QPainterPath(view[0])
        for p in view[1:]:
            band.lineTo(p)
        if len(view) >= 3:
            band.closeSubpath()
        painter.setBrush(QColor(230, 81, 0, 40))
        painter.setPen(QPen(_ACCENT, 2, Qt.PenStyle.DashLine))
        painter.drawPath(band)
        painter.setPen(QPen(_ACCENT, 2))
        painter.setBrush(QColor("#ffffff"))
        for p in view[: len(self.points)]:
            painter.drawEllipse(p, 4, 4)

    def _area_path(self) -> QPainterPath:
        import shapely

        path = QPainterPath()
        for poly in shapely.get_parts(self.area):
            for ring in (poly.exterior, *poly.interiors):
                coords = [self.canvas.scene_to_view(QPointF(x, -y)) for x, y in ring.coords]
                path.moveTo(coords[0])
                for p in coords[1:]:
                    path.lineTo(p)
                path.closeSubpath()
        return path


__all__ = ["MAX_VERTICES", "AreaTool", "area_polygon"]
