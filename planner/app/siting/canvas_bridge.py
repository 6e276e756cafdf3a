"""The one place that knows the canvas' API: create it, feed it layers, zoom it."""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from planner.app.map.canvas import MapCanvas
from planner.app.siting.document import DataContext, PlanDocument


def make_canvas(parent: QWidget | None = None) -> MapCanvas:
    return MapCanvas(parent)


def show_data(canvas: MapCanvas, data: DataContext) -> None:
    """Give the canvas the projector and static layers of ``data``.

    Each layer says whether it is OSM-derived (``data.osm_layers``, from the data
    pack's metadata), so the canvas shows the OSM attribution only over OSM data.
    """
    osm = data.osm_layers
    canvas.set_projector(data.projector)
    ready = data.canvas_layers  # prepared on the worker (see loading.load_data_context)
    if ready is not None:
        canvas.set_streets(ready.streets, osm="streets" in osm)
        index = getattr(data.checker, "buildings", None)
        if ready.buildings is None and index is not None and len(index):
            from planner.app.map.canvas.stream import BuildingStream

            # the checker's own footprints: the map draws what was checked
            canvas.set_building_stream(
                BuildingStream(index, data.projector), osm="buildings" in osm
            )
        else:
            canvas.set_buildings(ready.buildings, osm="buildings" in osm)
        canvas.set_sites(ready.sites, osm="sites" in osm)
        canvas.set_zones(ready.zones)
        canvas.set_boundaries(getattr(ready, "boundaries", None))
        return
    canvas.set_streets(data.streets, osm="streets" in osm)
    canvas.set_buildings(data.buildings, osm="buildings" in osm)
    canvas.set_sites(data.sites, osm="sites" in osm)
    canvas.set_zones(getattr(data.checker, "zones", ()))


def layer_entries(canvas: MapCanvas) -> list[tuple[str, str, QIcon | None, bool, float]]:
    """``(key, title, legend icon, visible, opacity)`` for the layers panel, top first."""
    out: list[tuple[str, str, QIcon | None, bool, float]] = []
    for lid in canvas.layer_ids():
        info = canvas.layer_info(lid)
        if info.features:
            out.append((lid, info.name, QIcon(canvas.legend_icon(lid)), info.visible, info.opacity))
    return out


def set_layer_visible(canvas: MapCanvas, key: str, visible: bool) -> None:
    canvas.set_layer_visible(key, visible)


def set_layer_opacity(canvas: MapCanvas, key: str, opacity: float) -> None:
    canvas.set_layer_opacity(key, opacity)


def zoom_to_rect(canvas: MapCanvas, rect: QRectF) -> None:
    canvas.zoom_to_rect(rect)


def set_units(canvas: MapCanvas, units: str) -> None:
    """``"metres"`` or ``"feet"`` (the settings' words) for the scale bar."""
    canvas.set_units("ft" if units == "feet" else "m")


def zoom_to_fit(canvas: MapCanvas, doc: PlanDocument) -> None:
    """Fit the data layers and the cameras with their ranges."""
    proj = doc.projector
    rect = QRectF()
    bounds = canvas.data_bounds()  # projected (minx, miny, maxx, maxy); scene y = -northing
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        rect = QRectF(minx, -maxy, maxx - minx, maxy - miny)
    if proj is not None:
        for cam in doc.all_cameras():
            x, y = proj.point(cam.lon, cam.lat)
            r = cam.range_m
            rect = rect.united(QRectF(x - r, -y - r, 2 * r, 2 * r))
    if rect.isNull():
        canvas.zoom_to_fit()
        return
    scene = canvas.sceneRect()
    if not scene.contains(rect):
        # cameras without data layers (the plan's pack is missing): the canvas sizes
        # its scene from the layers only, so make room for the cameras
        canvas.setSceneRect(scene.united(rect.adjusted(-5e4, -5e4, 5e4, 5e4)))
    # a little room for the camera labels at the edges; zoom moves in sqrt(2) steps,
    # so a generous margin would often cost a whole level (a city drawn at half size)
    pad = max(rect.width(), rect.height()) * 0.02
    canvas.zoom_to_rect(rect.adjusted(-pad, -pad, pad, pad), margin=0.01)


def wait_for_tiles(canvas: MapCanvas, timeout_s: float = 20.0) -> None:
    """Render the visible tiles before a screenshot."""
    canvas.set_synchronous(True)  # the grab that follows renders every tile it needs
    canvas.viewport().repaint()
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline and canvas.pending_tiles():
        QApplication.processEvents()
        time.sleep(0.005)
