"""The cameras as the review window and the report's maps draw them: the app's own
symbol and cone, read-only, stacked so that blocked and warned cameras stay on top."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF
from shapely.geometry.base import BaseGeometry

from planner.app.siting.camera_items import CameraItem, ConeItem
from planner.app.siting.scene_paths import geometry_path, to_scene
from planner.core.model import Camera, CameraResult, CameraStatus


class MapCamera(CameraItem):
    """The app's camera symbol with its bounding box cached.

    A scene must ask every zoom-independent item for its box on each render; the app's
    item measures its label text each time, 360 cameras times 360 maps.
    """

    _box: QRectF | None = None

    def boundingRect(self) -> QRectF:
        if self._box is None:
            self._box = super().boundingRect()
        return self._box

    def refresh_geometry(self) -> None:
        self._box = None
        super().refresh_geometry()

    def _detail(self) -> int:
        # on a camera's own map the neighbours keep their symbol but not their label,
        # so the labels never hide each other (the box stays the labelled one: a superset)
        detail = super()._detail()
        subject = getattr(self.controller, "subject", None)
        return min(detail, 1) if subject not in (None, self.camera_id) else detail


def view_geometry(result: CameraResult | None) -> BaseGeometry | None:
    """What the camera sees (its cone cut by the buildings), or its cone; None if nothing."""
    if result is None:
        return None
    geom = result.visible if result.visible is not None else result.cone
    return None if geom is None or geom.is_empty else geom


def camera_items(
    controller: Any, cam: Camera, result: CameraResult | None, xy: tuple[float, float]
) -> tuple[ConeItem, MapCamera]:
    """The read-only cone and symbol of ``cam`` at projected ``xy``, coloured by ``result``.

    ``controller`` is what the symbol asks for the map's zoom (a stand-in for the
    planner's siting controller: nothing here can be edited).
    """
    x, y = xy
    geom = view_geometry(result)
    status = None if result is None else result.status
    cone = ConeItem(cam.id)
    if geom is not None:
        cone.setPath(geometry_path(geom, origin=(x, y)))
    cone.setPos(to_scene(x, y))
    cone.set_status(status, removed=cam.status is CameraStatus.REMOVED)
    body = MapCamera(controller, cam, editable=False)
    body.setPos(to_scene(x, y))
    body.set_status(status)
    # blocked and warned cameras stay on top where symbols crowd
    rank = 0 if status is None else status.rank
    body.setZValue(body.zValue() + 0.1 * rank)
    cone.setZValue(cone.zValue() + 0.1 * rank)
    return cone, body
