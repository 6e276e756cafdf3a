"""The review window's map: the layers the re-check read and every camera on them,
read-only (no camera can be dragged), in the planner's display units."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QRectF, Signal
from PySide6.QtWidgets import QWidget

from planner.app.map.canvas import MapCanvas
from planner.app.review.camera_symbols import MapCamera, camera_items


class _Controller(QObject):
    """What a camera symbol asks of its controller: the zoom, and where to send a double click."""

    properties_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.resolution = 1.0
        #: The map places the camera labels with its own (planner.app.siting.map_labels).
        self.item_labels = False


class ReviewMap(QObject):
    """The map canvas of a review and the camera symbols on it, by camera id.

    A child of the window: its connections end with the window.
    """

    def __init__(self, parent: QWidget, *, settings: Any) -> None:
        super().__init__(parent)
        self.canvas = MapCanvas(parent)
        # the scale bar (and every distance shown) in the planner's display units
        from planner.app.common import units
        from planner.app.siting import canvas_bridge

        unit = str(getattr(settings, "units", units.current_units()))
        if unit in units.UNITS:
            units.set_units(unit)
            canvas_bridge.set_units(self.canvas, unit)
        units.notifier.changed.connect(self._units_changed)
        self.controller = _Controller()
        self.bodies: dict[str, MapCamera] = {}
        # camera labels are placed with the site and district names, clear of every symbol
        from planner.app.siting.map_labels import CameraLabels

        self.canvas.add_label_source(CameraLabels(lambda: self.bodies.values()))
        self.canvas.scene().selectionChanged.connect(self.canvas.invalidate_labels)

    def _units_changed(self, unit: str) -> None:
        from planner.app.siting import canvas_bridge

        canvas_bridge.set_units(self.canvas, unit)
        self.canvas.viewport().update()

    def show_layers(self, rc: Any, layers: Any) -> None:
        """The static layers the re-check ``rc`` read; buildings streamed from its index."""
        canvas = self.canvas
        canvas.set_projector(rc.checker.projector)
        canvas.set_layers(
            streets=layers.streets,
            buildings=layers.buildings,
            sites=layers.sites,
            zones=layers.zones,
        )
        index = getattr(rc.checker, "buildings", None)
        if layers.buildings is None and index is not None and len(index):
            from planner.app.map.canvas.stream import BuildingStream

            # the checker's own footprints: the map draws what was checked
            canvas.set_building_stream(BuildingStream(index, rc.checker.projector))
        if getattr(layers, "boundaries", None) is not None:
            canvas.set_boundaries(layers.boundaries)

    def show_cameras(self, rc: Any, xy: dict[str, tuple[float, float]]) -> None:
        """Every camera's cone and read-only symbol at its projected ``xy``; all in view."""
        results = {r.camera_id: r for r in rc.result.results}
        canvas = self.canvas
        scene = canvas.scene()
        for cam in rc.plan.cameras:
            cone, body = camera_items(self.controller, cam, results[cam.id], xy[cam.id])
            scene.addItem(cone)
            scene.addItem(body)
            self.bodies[cam.id] = body
        canvas.invalidate_labels()
        canvas.zoom_to_fit()
        self.controller.resolution = canvas.resolution()
        canvas.scale_changed.connect(self._scale_changed)

    def _scale_changed(self, res: float) -> None:
        self.controller.resolution = res
        for b in self.bodies.values():
            b.refresh_geometry()

    def select(self, cid: str) -> None:
        """Camera ``cid`` alone selected, without a selection signal (the table leads)."""
        body = self.bodies[cid]
        scene = self.canvas.scene()
        scene.blockSignals(True)
        scene.clearSelection()
        body.setSelected(True)
        scene.blockSignals(False)

    def zoom_to(self, cid: str, range_m: float) -> None:
        """Camera ``cid`` with all it can see (``range_m`` around it)."""
        centre = self.bodies[cid].pos()
        r = max(range_m, 30.0) * 1.3
        self.canvas.zoom_to_rect(QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r))

    def picked(self) -> list[str]:
        """The cameras selected on the map."""
        return [cid for cid, b in self.bodies.items() if b.isSelected()]
