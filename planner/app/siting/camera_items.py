"""A camera drawn on the map: its cone, its symbol and the handles of the selected one.

Scene coordinates are projected metres with ``scene y = -northing`` (the canvas
convention). A camera is drawn as three kinds of items:

- :class:`ConeItem`, the visible cone in scene units, filled by status with a colour
  AND a pattern (see :mod:`planner.app.siting.camera_style`);
- :class:`CameraItem`, the body: a fixed-size symbol (shape by lifecycle status,
  a mark by check status) that is selected, dragged and nudged;
- :class:`HandleItem`, fixed-size handles for the single selected camera: rotate,
  field of view and range.

The items only forward gestures; :class:`planner.app.siting.siting_controller.SitingController`
owns them and turns the gestures into proposals to the document.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from planner.app.siting.camera_style import (
    DOT_HALF_PX,
    LABEL_MAX_RES,
    STATUS_STYLE,
    STATUS_Z,
    SYMBOL_MAX_RES,
    Z_CAMERA,
    Z_CONE,
    Z_HANDLE,
    label_font,
    status_mark_path,
)
from planner.core.model import Camera, CameraStatus, Severity


class Gestures(Protocol):
    """What the items ask of the controller that owns them (the siting controller).

    A protocol, so the items need not import the controller that creates them.
    """

    #: Metres per pixel of the view, for the symbols' detail.
    resolution: float

    @property
    def properties_requested(self) -> Any:
        """Signal(str): a camera's properties were asked for (a double click)."""

    def begin_drag(self, scene_pos: QPointF) -> bool:
        """A press on a selected camera: True when a drag of the selection starts."""

    def begin_handle(self, role: str, scene_pos: QPointF | None = None) -> bool:
        """A press on a handle: True when a rotate, field-of-view or range drag starts."""

    def drag_to(self, scene_pos: QPointF) -> None:
        """The pointer moved during a drag."""

    def end_drag(self) -> bool:
        """The drag ended: the new pose is proposed; True when it was committed."""


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
    controller: Gestures

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

    def __init__(self, controller: Gestures, camera: Camera, *, editable: bool) -> None:
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
        w = QFontMetricsF(label_font()).horizontalAdvance(self._label()) + 8
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
        painter.setFont(label_font())
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

    def __init__(self, controller: Gestures, role: str) -> None:
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
