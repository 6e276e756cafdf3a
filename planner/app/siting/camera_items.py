"""Cameras on the map: bodies, cones, handles, allowed-heading arcs, and the siting gestures.

Scene coordinates are projected metres with ``scene y = -northing`` (the canvas
convention). A camera is drawn as three kinds of items:

- :class:`ConeItem`, the visible cone in scene units, filled by status with a colour
  AND a pattern (block: red cross-hatch, warn: amber diagonal hatch, clear: light
  green solid; unchecked: grey dots), so status never rests on colour alone;
- :class:`CameraItem`, the body: a fixed-size symbol (shape by lifecycle status,
  a mark by check status) that is selected, dragged and nudged;
- :class:`HandleItem`, fixed-size handles for the single selected camera: rotate,
  field of view and range.

:class:`SitingController` owns them, follows the document's signals and turns
gestures into proposals to :meth:`PlanDocument.propose`. During a drag the latest
pose is stored and re-checked at most once per frame by a coalescing timer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from planner.app.siting.document import PlanDocument, moved, rotated
from planner.app.siting.wording import view_note
from planner.core.geometry import angular_difference, bearing_deg
from planner.core.model import Camera, CameraResult, CameraStatus, Severity

#: A press that moves less than this many pixels before release is a click, not a drag.
CLICK_SLOP_PX = 3.0
Z_CONE = 50.0
Z_ARCS = 55.0
Z_CAMERA = 60.0
Z_HANDLE = 70.0

#: status -> (colour, pattern); None means "not checked yet".
STATUS_STYLE: dict[Severity | None, tuple[QColor, Qt.BrushStyle]] = {
    Severity.BLOCK: (QColor(215, 25, 28), Qt.BrushStyle.DiagCrossPattern),
    Severity.WARN: (QColor(230, 145, 0), Qt.BrushStyle.BDiagPattern),
    Severity.CLEAR: (QColor(26, 150, 65), Qt.BrushStyle.SolidPattern),
    None: (QColor(120, 120, 120), Qt.BrushStyle.Dense6Pattern),
}


def paint_status_swatch(
    p: QPainter, path: QPainterPath, status: Severity | None, *, hatch_alpha: int, pen_width: float
) -> None:
    """Fill ``path`` as a cone of ``status`` is drawn: a light tint, the status hatch, an outline.

    Legends and report maps draw their cone swatches with this, so a symbol means the
    same thing everywhere.
    """
    colour, pattern = STATUS_STYLE[status]
    tint = QColor(colour)
    tint.setAlpha(60)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(tint)
    p.drawPath(path)
    if pattern is not Qt.BrushStyle.SolidPattern:
        hatch = QColor(colour)
        hatch.setAlpha(hatch_alpha)
        p.setBrush(QBrush(hatch, pattern))
        p.drawPath(path)
    p.setPen(QPen(colour, pen_width))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)


#: Drawing order by check status: where symbols crowd (a city of cameras at city zoom),
#: a blocked camera is drawn over a warned one, a warned over a clear one, a clear over
#: one not checked yet, whatever else (editable or not) tells them apart.
STATUS_Z = {None: 0.0, Severity.CLEAR: 1.0, Severity.WARN: 2.0, Severity.BLOCK: 3.0}
#: At city zoom (one symbol a dot), half the side of each status' symbol, pixels: blocked
#: and warned cameras are larger so they show among hundreds of clear ones.
DOT_HALF_PX = {None: 4.0, Severity.CLEAR: 4.0, Severity.WARN: 5.5, Severity.BLOCK: 6.5}


def status_mark_path(status: Severity | None, s: float) -> QPainterPath:
    """The ✕ / ! / ✓ / ? mark of ``status`` as strokes inside a square of half side ``s``.

    Drawn as lines, not glyphs, so the mark still reads on a symbol a few pixels wide
    (city zoom), where a font's ✓ is a smudge: the status never rests on colour alone.
    """
    path = QPainterPath()
    k = s * 0.55
    if status is Severity.BLOCK:
        path.moveTo(-k, -k)
        path.lineTo(k, k)
        path.moveTo(k, -k)
        path.lineTo(-k, k)
    elif status is Severity.WARN:
        path.moveTo(0.0, -k * 1.2)
        path.lineTo(0.0, k * 0.15)
        path.moveTo(0.0, k * 0.85)
        path.lineTo(0.0, k * 0.9)
    elif status is Severity.CLEAR:
        path.moveTo(-k, 0.0)
        path.lineTo(-k * 0.25, k * 0.7)
        path.lineTo(k, -k * 0.75)
    else:
        # not checked yet: a short bar, "nothing known"
        path.moveTo(-k * 0.7, 0.0)
        path.lineTo(k * 0.7, 0.0)
    return path


#: Camera labels are drawn up to this many metres per pixel (the selection always).
LABEL_MAX_RES = 2.5
#: Up to this many metres per pixel a camera is its full symbol; beyond, a small dot.
SYMBOL_MAX_RES = 12.0


def _label_font() -> QFont:
    font = QFont()
    font.setPixelSize(10)
    return font


def to_scene(x: float, y: float) -> QPointF:
    return QPointF(x, -y)


def from_scene(pt: QPointF) -> tuple[float, float]:
    return pt.x(), -pt.y()


def geometry_path(geom: Any, *, origin: tuple[float, float] = (0.0, 0.0)) -> QPainterPath:
    """A painter path of a projected (Multi)Polygon, relative to ``origin``, y flipped."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    if geom is None or geom.is_empty:
        return path
    ox, oy = origin
    polys = shapely.get_parts(geom)
    for poly in polys:
        if poly.geom_type not in ("Polygon",):
            continue
        for ring in (poly.exterior, *poly.interiors):
            coords = np.asarray(ring.coords)
            pts = [QPointF(px - ox, oy - py) for px, py in coords]
            path.addPolygon(QPolygonF(pts))
            path.closeSubpath()
    return path


def plain_cone_path(cam: Camera) -> QPainterPath:
    """The unchecked cone (SPEC 4.1) drawn with Qt's own arc, relative to the camera.

    Until the check has clipped a cone, its shape is known exactly: an arc is cheaper to
    build and to draw than the polygon (a citywide plan has hundreds of them at once).
    """
    r = cam.range_m
    rect = QRectF(-r, -r, 2.0 * r, 2.0 * r)
    path = QPainterPath()
    if cam.heading_deg is None or cam.fov_deg >= 360.0:
        path.addEllipse(rect)
        return path
    path.moveTo(0.0, 0.0)
    # Qt counts degrees anticlockwise from 3 o'clock on screen; a heading clockwise from north
    path.arcTo(rect, 90.0 - (cam.heading_deg - cam.fov_deg / 2.0), -cam.fov_deg)
    path.closeSubpath()
    return path


class ConeItem(QGraphicsPathItem):
    """A camera's (visible) cone, styled by check status."""

    def __init__(self, camera_id: str) -> None:
        super().__init__()
        self.camera_id = camera_id
        self.status: Severity | None = None
        self.removed = False
        self.setZValue(Z_CONE)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_status(self, status: Severity | None, *, removed: bool = False) -> None:
        self.status, self.removed = status, removed
        # a blocked cone is drawn over a clear one, never under it
        self.setZValue(Z_CONE + STATUS_Z[status])
        self.update()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colour, pattern = STATUS_STYLE[self.status]
        path = self.path()
        pen = QPen(colour, 1.5)
        pen.setCosmetic(True)
        if self.removed:
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            return
        tint = QColor(colour)
        tint.setAlpha(45 if pattern is Qt.BrushStyle.SolidPattern else 35)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(tint))
        painter.drawPath(path)
        if pattern is not Qt.BrushStyle.SolidPattern:
            hatch = QColor(colour)
            hatch.setAlpha(170)
            brush = QBrush(hatch, pattern)
            # Keep the hatch a fixed size on screen whatever the zoom.
            brush.setTransform(painter.worldTransform().inverted()[0])
            painter.setBrush(brush)
            painter.drawPath(path)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)


class _DragForwarding:
    """Forwards a press-started drag to the controller; one drag is one undo step."""

    _dragging: bool
    controller: SitingController

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._dragging:
            self.controller.drag_to(event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._dragging:
            self._dragging = False
            self.controller.drag_to(event.scenePos())
            self.controller.end_drag()


class CameraItem(_DragForwarding, QGraphicsObject):
    """The body of a camera: a fixed-size, selectable, draggable symbol."""

    SIZE = 9.0

    def __init__(self, controller: SitingController, camera: Camera, *, editable: bool) -> None:
        super().__init__()
        self.controller = controller
        self.camera = camera
        self.camera_id = camera.id
        self.editable = editable
        self.status: Severity | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self._set_z()
        self.setCursor(Qt.CursorShape.SizeAllCursor if editable else Qt.CursorShape.ArrowCursor)
        self.setToolTip(camera.label or camera.id)
        self._dragging = False

    def _label(self) -> str:
        return self.camera.label or self.camera.id

    def label_text(self) -> str:
        """The label shown beside the symbol: the camera's label, else its id."""
        return self._label()

    def _detail(self) -> int:
        """2: symbol and label; 1: symbol; 0: a small dot (city zoom)."""
        res = self.controller.resolution
        if res <= LABEL_MAX_RES or self.isSelected():
            return 2
        return 1 if res <= SYMBOL_MAX_RES else 0

    def shows_label(self) -> bool:
        """Whether the camera is labelled at this zoom (the selection always is)."""
        return self._detail() == 2

    def paints_label(self) -> bool:
        """Whether the item paints its own label; False where the map places every
        label together (:mod:`planner.app.siting.map_labels`)."""
        return bool(getattr(self.controller, "item_labels", True))

    def symbol_half_px(self) -> float:
        """Half the side of the square (view pixels) the symbol covers at this zoom."""
        return self.SIZE + 3 if self._detail() else DOT_HALF_PX[self.status] + 1.0

    def label_sides(self) -> tuple[str, ...]:
        """Where the label may go, best first: away from the cone and the handles."""
        heading = self.camera.heading_deg
        east = heading is not None and 0.0 < heading % 360.0 < 180.0
        first, second = ("left", "right") if east else ("right", "left")
        return (
            first,
            second,
            "above",
            "below",
            f"below_{first}",
            f"above_{first}",
            f"below_{second}",
            f"above_{second}",
        )

    def _label_rect(self) -> QRectF:
        """Beside the body, on the side away from the cone and the handles."""
        s = self.SIZE
        w = QFontMetricsF(_label_font()).horizontalAdvance(self._label()) + 8
        x = -s - 4 - w if self.label_sides()[0] == "left" else s + 4
        return QRectF(x, -8, w, 16)

    def boundingRect(self) -> QRectF:
        s = self.SIZE + 3
        box = QRectF(-s, -s, 2 * s, 2 * s)
        if self.paints_label():
            box = box.united(self._label_rect())
        return box.adjusted(-1, -1, 1, 1)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        s = self.SIZE + 3
        path.addRect(QRectF(-s, -s, 2 * s, 2 * s))
        return path

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colour, _ = STATUS_STYLE[self.status]
        detail = self._detail()
        s = self.SIZE if detail else DOT_HALF_PX[self.status]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.isSelected():
            painter.setPen(QPen(QColor(0, 120, 215), 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), s + 3, s + 3)
        painter.setPen(QPen(QColor(20, 20, 20), 1.5 if detail else 1.0))
        painter.setBrush(QBrush(colour))
        life = self.camera.status
        if life is CameraStatus.EXISTING:
            painter.drawRect(QRectF(-s, -s, 2 * s, 2 * s))
        elif life is CameraStatus.APPROVED:
            painter.drawPolygon(
                QPolygonF(
                    [QPointF(0, -s - 2), QPointF(s + 2, 0), QPointF(0, s + 2), QPointF(-s - 2, 0)]
                )
            )
        else:
            painter.drawEllipse(QPointF(0, 0), s, s)
        # the status mark at every zoom: strokes read even on a city-zoom dot
        painter.setPen(
            QPen(
                QColor(255, 255, 255),
                2.0 if detail else 1.6,
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin,
            )
        )
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(status_mark_path(self.status, s))
        if self.camera.status is CameraStatus.REMOVED:
            painter.setPen(QPen(QColor(20, 20, 20), 2))
            painter.drawLine(QPointF(-s, -s), QPointF(s, s))
        if detail < 2 or not self.paints_label():
            return
        # a light halo keeps the label readable over streets, cones and other labels
        rect = self._label_rect()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 200))
        painter.drawRoundedRect(rect, 3, 3)
        painter.setPen(QPen(QColor(20, 20, 20)))
        painter.setFont(_label_font())
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._label())

    def refresh_geometry(self) -> None:
        """The label or the zoom changed: the bounding rectangle may change with it."""
        self.prepareGeometryChange()
        self.update()

    def set_status(self, status: Severity | None) -> None:
        self.status = status
        self._set_z()
        self.update()

    def _set_z(self) -> None:
        # severity first (a clear camera never covers a blocked one), then the plan's own
        # cameras over the pack's
        self.setZValue(Z_CAMERA + STATUS_Z[self.status] + (0.5 if self.editable else 0.0))

    # -- gestures --------------------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        multi = bool(
            event.modifiers()
            & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        )
        scene = self.scene()
        if multi:
            self.setSelected(not self.isSelected())
        elif not self.isSelected() and scene is not None:
            scene.clearSelection()
            self.setSelected(True)
        event.accept()
        if self.isSelected() and self.editable:
            self._dragging = self.controller.begin_drag(event.scenePos())

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.controller.properties_requested.emit(self.camera_id)


class HandleItem(_DragForwarding, QGraphicsObject):
    """A fixed-size handle of the selected camera: ``rotate``, ``fov`` or ``range``."""

    def __init__(self, controller: SitingController, role: str) -> None:
        super().__init__()
        self.controller = controller
        self.role = role
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setZValue(Z_HANDLE)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip(
            {
                "rotate": "Drag to rotate",
                "fov": "Drag to widen or narrow the view",
                "range": "Drag to change the range",
            }[role]
        )
        self._dragging = False

    def boundingRect(self) -> QRectF:
        return QRectF(-8, -8, 16, 16)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(0, 90, 180), 2))
        painter.setBrush(QBrush(QColor(255, 255, 255)))
        if self.role == "rotate":
            painter.drawEllipse(QPointF(0, 0), 6, 6)
            painter.drawArc(QRectF(-3, -3, 6, 6), 0, 270 * 16)
        elif self.role == "fov":
            painter.drawPolygon(
                QPolygonF([QPointF(0, -6), QPointF(6, 0), QPointF(0, 6), QPointF(-6, 0)])
            )
        else:
            painter.drawRect(QRectF(-5, -5, 10, 10))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        event.accept()
        self._dragging = self.controller.begin_handle(self.role, event.scenePos())


class SitingController(QObject):
    """Keeps the camera items in step with the document and runs the siting gestures.

    Parameters
    ----------
    doc
        The document; all changes go through :meth:`PlanDocument.propose`.
    scene
        The canvas scene the items live in.
    frame_ms
        The live re-check coalescing interval during drags (one frame).
    """

    properties_requested = Signal(str)
    selection_changed = Signal()
    drag_status = Signal(str, object)  # camera id, live Severity
    #: A camera symbol or label moved, changed, came or went (the map places labels again).
    labels_changed = Signal()

    def __init__(
        self,
        doc: PlanDocument,
        scene: QGraphicsScene,
        *,
        frame_ms: int = 16,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.scene = scene
        self.bodies: dict[str, CameraItem] = {}
        self.cones: dict[str, ConeItem] = {}
        self.handles = {role: HandleItem(self, role) for role in ("rotate", "fov", "range")}
        for h in self.handles.values():
            scene.addItem(h)
            h.hide()
        self.arcs = QGraphicsPathItem()
        self.arcs.setZValue(Z_ARCS)
        self.arcs.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        pen = QPen(QColor(0, 140, 70, 220), 7)
        pen.setCosmetic(True)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        self.arcs.setPen(pen)
        scene.addItem(self.arcs)
        self.arcs.hide()
        self.show_allowed = False
        self.resolution = 1.0  # metres per pixel of the view, for the cameras' detail
        #: Whether the camera items paint their own labels (the map places them instead
        #: once :func:`planner.app.siting.map_labels.connect_map_labels` is called).
        self.item_labels = True
        self.recheck_ms: list[float] = []  # live re-check durations, for the benchmark
        self._drag: dict[str, Any] | None = None
        self._pending: list[Camera] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(frame_ms)
        self._timer.timeout.connect(self._live_recheck)
        doc.camera_added.connect(self._on_added)
        doc.camera_removed.connect(self._on_removed)
        doc.camera_changed.connect(self._on_changed)
        doc.result_changed.connect(self._on_result)
        doc.results_reset.connect(self._on_results_reset)
        doc.plan_reset.connect(self.rebuild)
        scene.selectionChanged.connect(self._on_selection)
        self.rebuild()

    # -- building items --------------------------------------------------------------------
    def rebuild(self) -> None:
        for cid in list(self.bodies):
            self._drop_items(cid)
        if self.doc.projector is None:
            return
        editable = set(self.doc.plan.ids())  # one set, not a scan of the plan per camera
        for cam in self.doc.all_cameras():
            self._make_items(cam, editable=cam.id in editable)  # with their current results

    def _make_items(self, cam: Camera, *, editable: bool | None = None) -> None:
        if editable is None:
            editable = self.doc.is_editable(cam.id)
        body = CameraItem(self, cam, editable=editable)
        cone = ConeItem(cam.id)
        self.scene.addItem(cone)
        self.scene.addItem(body)
        self.bodies[cam.id], self.cones[cam.id] = body, cone
        self._place(cam)

    def _drop_items(self, cid: str) -> None:
        for store in (self.bodies, self.cones):
            item = store.pop(cid, None)
            if item is not None:
                self.scene.removeItem(item)
        self.labels_changed.emit()

    def _place(
        self, cam: Camera, result: CameraResult | None = None, *, preview: bool = False
    ) -> None:
        """Put ``cam``'s items at its pose; cone from ``result`` or the plain cone."""
        proj = self.doc.projector
        body, cone = self.bodies.get(cam.id), self.cones.get(cam.id)
        if proj is None or body is None or cone is None:
            return
        x, y = proj.point(cam.lon, cam.lat)
        if body.camera.label != cam.label or body.camera.heading_deg != cam.heading_deg:
            body.camera = cam
            body.refresh_geometry()
        body.camera = cam
        body.setPos(to_scene(x, y))
        if result is None and not preview:
            result = self.doc.results.get(cam.id)
        geom = (
            None
            if result is None
            else (result.visible if result.visible is not None else result.cone)
        )
        cone.setPath(plain_cone_path(cam) if geom is None else geometry_path(geom, origin=(x, y)))
        cone.setPos(to_scene(x, y))
        removed = cam.status is CameraStatus.REMOVED
        if result is not None:
            cone.set_status(result.status, removed=removed)
            body.set_status(result.status)
            # hovering a camera with no cone drawn says why (a bare ✓ would not)
            note = view_note(result)
            name = cam.label or cam.id
            body.setToolTip(f"{name}: {note}" if note else name)
        body.update()
        self.labels_changed.emit()
        if body.isSelected():
            # The allowed-heading arcs cost up to ~50 ms on a citywide pack: not every
            # drag frame; they are hidden while dragging and redrawn on the drop.
            self._place_handles(cam, arcs=not preview)

    def _place_handles(self, cam: Camera | None, *, arcs: bool = True) -> None:
        proj = self.doc.projector
        if cam is None or proj is None or not self.doc.is_editable(cam.id):
            for h in self.handles.values():
                h.hide()
            self.arcs.hide()
            return
        x, y = proj.point(cam.lon, cam.lat)
        heading = cam.heading_deg or 0.0
        r = cam.range_m

        def at(bearing: float, dist: float) -> QPointF:
            b = math.radians(bearing)
            return to_scene(x + dist * math.sin(b), y + dist * math.cos(b))

        self.handles["rotate"].setPos(at(heading, r * 0.55))
        self.handles["range"].setPos(at(heading, r))
        self.handles["fov"].setPos(at(heading + min(cam.fov_deg, 359.0) / 2.0, r * 0.8))
        for h in self.handles.values():
            h.show()
        if arcs:
            self._update_arcs(cam)
        else:
            self.arcs.hide()

    def _update_arcs(self, cam: Camera) -> None:
        checker = self.doc.checker
        if not self.show_allowed or checker is None:
            self.arcs.hide()
            return
        proj = self.doc.projector
        assert proj is not None  # a checker comes with its data
        x, y = proj.point(cam.lon, cam.lat)
        radius = cam.range_m * 1.08
        path = QPainterPath()
        for start, end in checker.allowed_headings(cam):
            span = (end - start) % 360.0 or 360.0
            n = max(2, int(span / 2.0) + 1)
            bearings = np.radians(start + np.linspace(0.0, span, n))
            pts = [QPointF(radius * math.sin(b), -radius * math.cos(b)) for b in bearings]
            path.moveTo(pts[0])
            for p in pts[1:]:
                path.lineTo(p)
        self.arcs.setPath(path)
        self.arcs.setPos(to_scene(x, y))
        self.arcs.setToolTip("Compliant headings from here")
        self.arcs.show()

    # -- document signals ------------------------------------------------------------------
    def _on_added(self, cid: str) -> None:
        if cid not in self.bodies and self.doc.projector is not None:
            self._make_items(self.doc.any_camera(cid))

    def _on_removed(self, cid: str) -> None:
        self._drop_items(cid)
        self._on_selection()

    def _on_changed(self, cid: str) -> None:
        if cid in self.bodies:
            self._place(self.doc.any_camera(cid))

    def _on_result(self, cid: str) -> None:
        if cid in self.bodies and (self._drag is None or cid not in self._drag["ids"]):
            self._place(self.doc.any_camera(cid))

    def _on_results_reset(self) -> None:
        for cid in self.bodies:
            self._place(self.doc.any_camera(cid))

    def _on_selection(self) -> None:
        try:
            sel = self.selected_ids()
        except RuntimeError:  # the scene is being destroyed with its items
            return
        self._place_handles(
            self.doc.camera(sel[0]) if len(sel) == 1 and self.doc.has_camera(sel[0]) else None
        )
        self.labels_changed.emit()  # the selection is labelled at every zoom
        self.selection_changed.emit()

    # -- selection -------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return [cid for cid, item in self.bodies.items() if item.isSelected()]

    def selected_editable(self) -> list[str]:
        return [cid for cid in self.selected_ids() if self.doc.is_editable(cid)]

    def select(self, ids: Sequence[str]) -> None:
        self.scene.clearSelection()
        for cid in ids:
            if cid in self.bodies:
                self.bodies[cid].setSelected(True)

    def select_in_rect(self, rect: QRectF, extend: bool = False) -> list[str]:
        """Select the cameras whose position lies in the scene ``rect`` (a rubber band).

        With ``extend`` they are added to the selection; otherwise they replace it.
        Returns the selected ids.
        """
        inside = [
            cid
            for cid, body in self.bodies.items()
            if body.isVisible() and rect.contains(body.pos())
        ]
        keep = self.selected_ids() if extend else []
        self.select(list(dict.fromkeys([*keep, *inside])))
        return self.selected_ids()

    def select_next(self, step: int = 1) -> str | None:
        ids = self.doc.plan.ids()
        if not ids:
            return None
        sel = self.selected_ids()
        i = ids.index(sel[0]) + step if sel and sel[0] in ids else 0
        cid = ids[i % len(ids)]
        self.select([cid])
        return cid

    def set_resolution(self, m_per_px: float) -> None:
        """The view's zoom changed: cameras drop labels, then symbols, as it widens."""
        self.resolution = float(m_per_px)
        for body in self.bodies.values():
            body.refresh_geometry()

    def set_show_allowed(self, on: bool) -> None:
        self.show_allowed = on
        self._on_selection()

    # -- drags -----------------------------------------------------------------------------
    def begin_drag(self, scene_pos: QPointF) -> bool:
        ids = self.selected_editable()
        if not ids or self.doc.projector is None:
            return False
        self._drag = {
            "kind": "move",
            "ids": ids,
            "start": from_scene(scene_pos),
            "press": from_scene(scene_pos),
            "moved": False,
            "before": [self.doc.camera(i) for i in ids],
        }
        return True

    def begin_handle(self, role: str, scene_pos: QPointF | None = None) -> bool:
        ids = self.selected_editable()
        if len(ids) != 1:
            return False
        press = None if scene_pos is None else from_scene(scene_pos)
        self._drag = {
            "kind": role,
            "ids": ids,
            "start": None,
            "press": press,
            "moved": press is None,
            "before": [self.doc.camera(ids[0])],
        }
        return True

    def _moved_enough(self, scene_pos: QPointF) -> bool:
        """Whether the pointer left the click slop around the press (a real drag)."""
        assert self._drag is not None
        if self._drag["moved"]:
            return True
        px, py = self._drag["press"]
        mx, my = from_scene(scene_pos)
        if math.hypot(mx - px, my - py) / max(self.resolution, 1e-9) >= CLICK_SLOP_PX:
            self._drag["moved"] = True
        return self._drag["moved"]

    def _preview_poses(self, scene_pos: QPointF) -> list[Camera]:
        assert self._drag is not None
        proj = self.doc.projector
        assert proj is not None  # cameras on the map come with their data
        mx, my = from_scene(scene_pos)
        kind, before = self._drag["kind"], self._drag["before"]
        if kind == "move":
            sx, sy = self._drag["start"]
            return [moved(c, proj, mx - sx, my - sy) for c in before]
        cam = before[0]
        x, y = proj.point(cam.lon, cam.lat)
        if kind == "rotate":
            return [cam.with_pose(heading_deg=round(bearing_deg(x, y, mx, my), 1))]
        if kind == "fov":
            half = angular_difference(bearing_deg(x, y, mx, my), cam.heading_deg or 0.0)
            return [cam.with_pose(fov_deg=round(min(360.0, max(1.0, 2.0 * half)), 1))]
        dist = math.hypot(mx - x, my - y)
        return [cam.with_pose(range_m=round(min(2000.0, max(1.0, dist)), 1))]

    def drag_to(self, scene_pos: QPointF) -> None:
        """Show the new pose at once (plain cone) and queue a live re-check for this frame."""
        if self._drag is None or not self._moved_enough(scene_pos):
            return  # still a click: nothing changes, nothing is previewed
        poses = self._preview_poses(scene_pos)
        self._pending = poses
        self._drag["last"] = poses
        for cam in poses:
            self._place(cam, preview=True)
        if not self._timer.isActive():
            self._timer.start()

    def _live_recheck(self) -> None:
        poses, self._pending = self._pending, None
        if not poses:
            return
        for cam in poses:
            t0 = time.perf_counter()
            result = self.doc.evaluate(cam)
            self.recheck_ms.append((time.perf_counter() - t0) * 1000.0)
            if result is not None:
                self._place(cam, result, preview=True)
                self.drag_status.emit(cam.id, result.status)

    def end_drag(self) -> bool:
        """Commit the drag through the gate; a refused one snaps back. Returns committed."""
        drag, self._drag = self._drag, None
        self._timer.stop()
        poses, self._pending = self._pending, None
        if drag is None:
            return False
        before: list[Camera] = drag["before"]
        if not drag["moved"]:
            return False  # a click selects, nothing more
        after = poses or drag.get("last") or before
        if all(a.pose == b.pose for a, b in zip(after, before, strict=True)):
            for cam in before:
                self._place(cam)
            return False
        kind = drag["kind"]
        text = {
            "move": "Move",
            "rotate": "Rotate",
            "fov": "Change field of view of",
            "range": "Change range of",
        }[kind]
        label = ", ".join(c.id for c in before)
        outcome = self.doc.propose(before, after, action=kind, text=f"{text} {label}")
        if not outcome.committed:
            for cam in before:  # back to the last committed pose
                self._place(self.doc.camera(cam.id))
        return outcome.committed

    @property
    def dragging(self) -> bool:
        return self._drag is not None

    # -- keyboard --------------------------------------------------------------------------
    def nudge(self, dx: float, dy: float) -> bool:
        ids = self.selected_editable()
        proj = self.doc.projector
        if not ids or proj is None:
            return False
        before = [self.doc.camera(i) for i in ids]
        after = [moved(c, proj, dx, dy) for c in before]
        out = self.doc.propose(
            before,
            after,
            action="move",
            text=f"Nudge {', '.join(ids)}",
            merge_key="nudge:" + ",".join(ids),
        )
        return out.committed

    def rotate_selected(self, delta_deg: float) -> bool:
        ids = self.selected_editable()
        if not ids:
            return False
        before = [self.doc.camera(i) for i in ids]
        after = [rotated(c, delta_deg) for c in before]
        out = self.doc.propose(
            before,
            after,
            action="rotate",
            text=f"Rotate {', '.join(ids)}",
            merge_key="rotate:" + ",".join(ids),
        )
        return out.committed

    def rotate_to_allowed(self) -> bool:
        ids = self.selected_editable()
        checker = self.doc.checker
        if len(ids) != 1 or checker is None:
            return False
        cam = self.doc.camera(ids[0])
        heading = checker.nearest_allowed_heading(cam)
        if heading is None:
            self.doc.set_message(f"No compliant heading for {cam.id} at this position")
            return False
        out = self.doc.propose(
            [cam],
            [cam.with_pose(heading_deg=float(heading))],
            action="rotate",
            text=f"Rotate {cam.id} to an allowed heading",
        )
        return out.committed

    # -- adding ----------------------------------------------------------------------------
    def add_camera_at(
        self,
        x: float,
        y: float,
        *,
        fov_deg: float,
        range_m: float,
        model: str | None = None,
        capabilities: Sequence[str] = (),
    ) -> str | None:
        """Add a camera at the street point nearest (x, y), facing along the street."""
        proj = self.doc.projector
        if proj is None:
            return None
        heading: float | None = 0.0
        data = self.doc.data
        network = None if data is None else data.street_network
        snap = None if network is None else network.snap(x, y)
        if snap is not None:
            x, y, heading = snap.x, snap.y, float(snap.bearing_deg) % 360.0
        lon, lat = proj.lonlat(x, y)
        cid = self.doc.plan.next_id()
        cam = Camera(
            id=cid,
            lon=lon,
            lat=lat,
            heading_deg=heading,
            fov_deg=fov_deg,
            range_m=range_m,
            model=model,
            capabilities=tuple(capabilities),
            label=cid if snap is None else f"{cid} {snap.name}".strip(),
        )
        out = self.doc.propose([], [cam], action="add", text=f"Add camera {cid}", add=True)
        if not out.committed:
            return None
        self.select([cid])
        return cid
