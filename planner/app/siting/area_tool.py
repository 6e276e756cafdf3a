"""Draw a target area on the map: a polygon digitised by clicks, as in a desktop GIS.

Each left click adds a vertex; a double-click, a right click or Enter closes the
polygon; Backspace takes back the last vertex; Esc cancels. The rubber band (the
vertices so far and the leg to the cursor) is drawn while digitising, and the
finished area stays on the map as an outline until it is cleared or replaced.
Coordinates are the map's projected metres (the checker's CRS), so the polygon
limits proposals exactly as a ``propose --targets`` layer does.

Drawing an area is view state, not a plan edit: nothing goes on the undo stack and
the plan is not marked modified. A polygon with fewer than three distinct vertices
is refused; one whose outline crosses itself is made valid (its polygonal parts
kept) and the user is told so.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPen

#: The outline's colour: the proposals' purple family, apart from the measure pink.
_OUTLINE = QColor("#5e35b1")
_KEYS_FINISH = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_TOOL_KEYS = (*_KEYS_FINISH, Qt.Key.Key_Backspace, Qt.Key.Key_Escape)
#: Clicks that close the polygon: a left double-click or a right click (as in QGIS).
_CLOSING = {
    QEvent.Type.MouseButtonDblClick: Qt.MouseButton.LeftButton,
    QEvent.Type.MouseButtonPress: Qt.MouseButton.RightButton,
}


def polygon_from_vertices(points: list[tuple[float, float]]) -> tuple[Any, str]:
    """The polygon ``points`` outline, or ``None`` with the reason it is refused.

    Returns ``(polygon, note)``: ``note`` says what was done to an outline that
    crossed itself, or why there is no polygon.
    """
    import shapely

    distinct = list(dict.fromkeys(points))
    if len(distinct) < 3:
        return None, "An area needs at least three distinct points."
    poly = shapely.Polygon(points)
    note = ""
    if not poly.is_valid:
        fixed = shapely.make_valid(poly)
        parts = [g for g in shapely.get_parts(fixed) if g.geom_type == "Polygon" and g.area > 0]
        if not parts:
            return None, "The outline encloses no area."
        poly = shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
        note = f"The outline crossed itself: kept as {len(parts)} part(s)."
    if poly.area <= 0:
        return None, "The outline encloses no area."
    return poly, note


class AreaTool(QObject):
    """Digitises one polygon on ``canvas`` (a :class:`planner.app.map.canvas.view.MapCanvas`).

    Signals
    -------
    drawn(polygon)
        A finished area (shapely, projected metres).
    message(text)
        What to tell the user (refusals, notes, hints).
    """

    drawn = Signal(object)
    message = Signal(str)

    def __init__(self, canvas: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.points: list[tuple[float, float]] = []
        self.hover: tuple[float, float] | None = None
        self.area: Any = None
        self.active = False
        canvas.add_overlay(self.draw)

    # -- life cycle -------------------------------------------------------------

    def start(self) -> None:
        """Begin digitising (the last finished area stays until a new one replaces it)."""
        if self.active:
            return
        self.active = True
        self.points, self.hover = [], None
        self.canvas.viewport().installEventFilter(self)
        self.canvas.installEventFilter(self)
        self.canvas.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
        self.message.emit(
            "Draw the area: click each corner; double-click or Enter closes it, "
            "Backspace takes back a point, Esc cancels."
        )

    def stop(self) -> None:
        """Stop digitising, dropping the unfinished vertices."""
        if not self.active:
            return
        self.active = False
        self.points, self.hover = [], None
        self.canvas.viewport().removeEventFilter(self)
        self.canvas.removeEventFilter(self)
        self.canvas.viewport().unsetCursor()
        self._repaint()

    def cancel(self) -> None:
        self.stop()
        self.message.emit("Drawing cancelled.")

    def clear(self) -> None:
        """Forget the finished area."""
        self.area = None
        self._repaint()

    # -- digitising -------------------------------------------------------------

    def add(self, x: float, y: float) -> None:
        self.points.append((x, y))
        self._repaint()

    def undo_vertex(self) -> None:
        if self.points:
            self.points.pop()
            self._repaint()

    def finish(self) -> bool:
        """Close the polygon; False (still digitising) when it is refused."""
        poly, note = polygon_from_vertices(self.points)
        if poly is None:
            self.message.emit(note)
            return False
        self.stop()
        self.area = poly
        self._repaint()
        self.drawn.emit(poly)
        if note:
            self.message.emit(note)
        return True

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if isinstance(event, QKeyEvent) and kind == QEvent.Type.ShortcutOverride:
            # Backspace and Esc are the window's shortcuts too (delete, deselect):
            # while digitising they are the tool's keys.
            if event.key() in _TOOL_KEYS:
                event.accept()
                return True
            return False
        if isinstance(event, QKeyEvent) and kind == QEvent.Type.KeyPress:
            return self._key(event)
        if not isinstance(event, QMouseEvent):
            return False
        pt = self.canvas.mapToScene(event.position().toPoint())
        x, y = pt.x(), -pt.y()
        if kind == QEvent.Type.MouseMove:
            self.hover = (x, y)
            self._repaint()
            return False  # the status bar still follows the cursor
        button = event.button()
        if kind == QEvent.Type.MouseButtonPress and button == Qt.MouseButton.LeftButton:
            self.add(x, y)
        elif kind in _CLOSING and button == _CLOSING[kind]:
            self.finish()
        # Every click while digitising is the tool's: no pan, no selection.
        return kind in (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonRelease,
            QEvent.Type.MouseButtonDblClick,
        )

    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in _KEYS_FINISH:
            self.finish()
        elif key == Qt.Key.Key_Backspace:
            self.undo_vertex()
        elif key == Qt.Key.Key_Escape:
            self.cancel()
        else:
            return False
        return True

    # -- drawing ----------------------------------------------------------------

    def _repaint(self) -> None:
        self.canvas.viewport().update()

    def _path(self, coords: list[tuple[float, float]], *, close: bool) -> QPainterPath:
        view = [self.canvas.scene_to_view(QPointF(x, -y)) for x, y in coords]
        path = QPainterPath(view[0])
        for p in view[1:]:
            path.lineTo(p)
        if close:
            path.closeSubpath()
        return path

    def draw(self, painter: QPainter) -> None:
        """Overlay: the finished area's outline, then the rubber band while digitising."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self.area is not None:
            import shapely

            for part in shapely.get_parts(self.area):
                path = self._path(list(part.exterior.coords), close=True)
                painter.setPen(QPen(QColor(255, 255, 255, 220), 5))
                painter.drawPath(path)
                painter.setPen(QPen(_OUTLINE, 2.5))
                painter.drawPath(path)
        pts = self.points + ([self.hover] if self.hover is not None and self.points else [])
        if not self.active or not pts:
            return
        band = self._path(pts, close=len(pts) > 2)
        painter.setBrush(QColor(94, 53, 177, 40))
        painter.setPen(QPen(_OUTLINE, 2, Qt.PenStyle.DashLine))
        painter.drawPath(band)
        painter.setPen(QPen(_OUTLINE, 2))
        painter.setBrush(QColor("#ffffff"))
        for x, y in self.points:
            painter.drawEllipse(self.canvas.scene_to_view(QPointF(x, -y)), 4, 4)


__all__ = ["AreaTool", "polygon_from_vertices"]
