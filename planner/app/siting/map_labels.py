"""Camera labels placed by the map together with its own labels.

An item that paints its own label knows nothing of the other labels, of the site and
district names or of the view's edge: at city zoom, tags lay over camera symbols and
labels over each other. So camera labels (and the "? unverified" tags of
:mod:`planner.app.siting.site_marks`) are label sources of the canvas (see
:mod:`planner.app.map.canvas.label_layer`), which places every label in one pass, around
every symbol, and hides what does not fit at that zoom.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem

from planner.app.map.canvas.label_layer import LabelBatch, ToView
from planner.app.map.canvas.labels import PRIORITY, LabelRequest, LabelStyle

if TYPE_CHECKING:
    from planner.app.map.canvas import MapCanvas
    from planner.app.siting.camera_items import CameraItem
    from planner.app.siting.site_marks import UnverifiedMarks
    from planner.app.siting.siting_controller import SitingController

#: As the camera item painted its label: dark text on a light box.
CAMERA_STYLE = LabelStyle(
    font_px=10, colour=QColor(20, 20, 20), box=QColor(255, 255, 255, 200), pad=(8.0, 4.0)
)
#: A symbol this many pixels outside the area still pushes labels inside it away.
REACH_PX = 40.0


class CameraLabels:
    """Label source of camera symbols: each visible symbol is an obstacle; each camera
    labelled at this zoom asks for a label beside it.

    ``bodies`` gives the camera items; ``symbols`` other fixed-size items no label may
    cover (the selected camera's handles).
    """

    def __init__(
        self,
        bodies: Callable[[], Iterable[CameraItem]],
        symbols: Callable[[], Iterable[QGraphicsItem]] = tuple,
    ) -> None:
        self.bodies = bodies
        self.symbols = symbols

    def __call__(self, rect: QRectF, res: float, to_view: ToView) -> LabelBatch:
        batch = LabelBatch()
        reach = REACH_PX * res
        area = rect.adjusted(-reach, -reach, reach, reach)
        for item in self.symbols():
            if item.isVisible() and area.contains(item.pos()):
                batch.obstacles.append(item.boundingRect().translated(to_view(item.pos())))
        for body in self.bodies():
            pos = body.pos()
            if not body.isVisible() or not area.contains(pos):
                continue
            p = to_view(pos)
            half = body.symbol_half_px()
            batch.obstacles.append(QRectF(p.x() - half, p.y() - half, 2 * half, 2 * half))
            if not body.shows_label():
                continue
            text = body.label_text()
            if body.isSelected():
                priority = PRIORITY["selected"]
            else:
                # a blocked or warned camera is the one a planner looks for
                rank = 0 if body.status is None else body.status.rank
                priority = PRIORITY["camera"] + rank + (0.5 if body.editable else 0.0)
            batch.requests.append(
                LabelRequest(
                    text,
                    p,
                    CAMERA_STYLE.size(text),
                    priority=priority,
                    radius=half,
                    role="camera",
                    style=CAMERA_STYLE,
                    positions=body.label_sides(),
                )
            )
        return batch


def connect_map_labels(
    canvas: MapCanvas,
    *,
    controller: SitingController | None = None,
    marks: UnverifiedMarks | None = None,
) -> None:
    """Let ``canvas`` place the camera labels of ``controller`` and the tags of
    ``marks`` with its own labels, and place them again whenever they change."""
    if controller is not None:
        controller.item_labels = False
        for body in controller.bodies.values():
            body.refresh_geometry()
        canvas.add_label_source(
            CameraLabels(lambda: controller.bodies.values(), lambda: controller.handles.values())
        )
        controller.labels_changed.connect(canvas.invalidate_labels)
    if marks is not None:
        canvas.add_label_source(marks.map_labels)
        marks.changed.connect(canvas.invalidate_labels)


__all__ = ["CAMERA_STYLE", "CameraLabels", "connect_map_labels"]
