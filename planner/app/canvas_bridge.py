"""The one place that knows the canvas' API: create it, feed it layers, zoom it.

Uses :mod:`planner.app.canvas` (the tiled QGIS-style canvas) when it is importable
and falls back to :mod:`planner.app.canvas_stub` with simple path items otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QGraphicsPathItem, QWidget

from planner.app.document import DataContext, PlanDocument

try:  # the canvas helper's package
    from planner.app.canvas import MapCanvas as _RealCanvas
except ImportError:  # pragma: no cover - only while the canvas is being written
    _RealCanvas = None


def make_canvas(parent: QWidget | None = None) -> Any:
    if _RealCanvas is not None:
        return _RealCanvas(parent)
    from planner.app.canvas_stub import MapCanvas

    return MapCanvas(parent)


def _is_real(canvas: Any) -> bool:
    return _RealCanvas is not None and isinstance(canvas, _RealCanvas)


# -- stub layers ----------------------------------------------------------------------------
def _lines_path(geoms: np.ndarray) -> QPainterPath:
    path = QPainterPath()
    for line in shapely.get_parts(geoms):
        coords = shapely.get_coordinates(line)
        if len(coords) < 2:
            continue
        path.moveTo(QPointF(coords[0, 0], -coords[0, 1]))
        for x, y in coords[1:]:
            path.lineTo(QPointF(x, -y))
    return path


def _polys_path(geoms: np.ndarray) -> QPainterPath:
    path = QPainterPath()
    for poly in shapely.get_parts(geoms):
        if poly.geom_type != "Polygon":
            continue
        coords = shapely.get_coordinates(poly.exterior)
        path.addPolygon(QPolygonF([QPointF(x, -y) for x, y in coords]))
    return path


def _stub_show(canvas: Any, data: DataContext) -> None:
    scene = canvas.scene()
    for item in getattr(canvas, "_static_items", {}).values():
        scene.removeItem(item)
    items: dict[str, QGraphicsPathItem] = {}
    proj = data.projector
    canvas.set_projector(proj)

    def add(key: str, path: QPainterPath, pen: QPen, brush: QBrush | None, z: float) -> None:
        pen.setCosmetic(True)
        item = QGraphicsPathItem(path)
        item.setPen(pen)
        item.setBrush(brush or QBrush(Qt.BrushStyle.NoBrush))
        item.setZValue(z)
        item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        scene.addItem(item)
        items[key] = item

    if data.buildings is not None and len(data.buildings):
        geoms = data.buildings.geometry.values if hasattr(data.buildings, "geometry") \
            else np.asarray(data.buildings)
        add("buildings", _polys_path(np.asarray(proj.project(np.asarray(geoms)))),
            QPen(QColor(150, 150, 150), 0.5), QBrush(QColor(215, 212, 205)), 10)
    if data.streets is not None and len(data.streets):
        geoms = np.asarray(proj.project(np.asarray(data.streets.geometry.values)))
        add("streets", _lines_path(geoms), QPen(QColor(120, 120, 120), 2.0), None, 20)
    zones = getattr(data.checker, "zones", ())
    if zones:
        path = _polys_path(np.array([z.geometry for z in zones], dtype=object))
        add("zones", path, QPen(QColor(120, 30, 160), 1.0, Qt.PenStyle.DashLine),
            QBrush(QColor(150, 60, 200, 50)), 30)
    if data.sites:
        path = QPainterPath()
        ents = QPainterPath()
        for site in data.sites:
            g = proj.project(site.geometry)
            if g.geom_type == "Point":
                path.addRect(QRectF(g.x - 4, -g.y - 4, 8, 8))
            else:
                path.addPath(_polys_path(np.array([g], dtype=object)))
            for e in site.entrances:
                ex, ey = proj.point(e.lon, e.lat)
                ents.addEllipse(QPointF(ex, -ey), 2.5, 2.5)
        add("sites", path, QPen(QColor(120, 30, 160), 1.5), QBrush(QColor(150, 60, 200, 90)), 35)
        add("entrances", ents, QPen(QColor(90, 0, 120), 1.5), QBrush(QColor(255, 255, 255)), 36)
    canvas._static_items = items


_TITLES = {"buildings": "Buildings", "streets": "Streets", "zones": "Capture zones",
           "sites": "Protected sites", "entrances": "Entrances"}


def _icon(item: QGraphicsPathItem) -> QIcon:
    pix = QPixmap(16, 16)
    pix.fill(QColor(0, 0, 0, 0))
    from PySide6.QtGui import QPainter

    p = QPainter(pix)
    p.setPen(QPen(item.pen().color(), 2))
    p.setBrush(item.brush())
    p.drawRect(2, 2, 12, 12)
    p.end()
    return QIcon(pix)


# -- public adapter -------------------------------------------------------------------------
def show_data(canvas: Any, data: DataContext) -> None:
    """Give the canvas the projector and static layers of ``data``."""
    if _is_real(canvas):
        canvas.set_projector(data.projector)
        canvas.set_layers(streets=data.streets, buildings=data.buildings, sites=data.sites,
                          zones=getattr(data.checker, "zones", ()))
        return
    _stub_show(canvas, data)


def layer_entries(canvas: Any) -> list[tuple[str, str, QIcon | None, bool, float]]:
    """``(key, title, legend icon, visible, opacity)`` for the layers panel, top first."""
    if _is_real(canvas):
        out = []
        for lid in canvas.layer_ids():
            info = canvas.layer_info(lid)
            if info.features:
                out.append((lid, info.name, QIcon(canvas.legend_icon(lid)), info.visible,
                            info.opacity))
        return out
    items = getattr(canvas, "_static_items", {})
    out = [(k, _TITLES.get(k, k), _icon(it), it.isVisible(), it.opacity())
           for k, it in items.items()]
    return out[::-1]


def set_layer_visible(canvas: Any, key: str, visible: bool) -> None:
    if _is_real(canvas):
        canvas.set_layer_visible(key, visible)
        return
    item = getattr(canvas, "_static_items", {}).get(key)
    if item is not None:
        item.setVisible(visible)


def set_layer_opacity(canvas: Any, key: str, opacity: float) -> None:
    if _is_real(canvas):
        canvas.set_layer_opacity(key, opacity)
        return
    item = getattr(canvas, "_static_items", {}).get(key)
    if item is not None:
        item.setOpacity(opacity)


def zoom_to_rect(canvas: Any, rect: QRectF) -> None:
    canvas.zoom_to_rect(rect)


def set_units(canvas: Any, units: str) -> None:
    """``"metres"`` or ``"feet"`` (the settings' words) for the scale bar."""
    if _is_real(canvas):
        canvas.set_units("ft" if units == "feet" else "m")


def attribution_drawn(canvas: Any) -> bool:
    """Whether the canvas draws the OSM attribution itself."""
    return _is_real(canvas) and canvas.attribution_shown()


def zoom_to_fit(canvas: Any, doc: PlanDocument) -> None:
    """Fit the plan's cameras with their ranges, else the data."""
    proj = doc.projector
    cams = doc.all_cameras()
    if proj is not None and cams:
        rect = QRectF()
        for cam in cams:
            x, y = proj.point(cam.lon, cam.lat)
            r = cam.range_m
            rect = rect.united(QRectF(x - r, -y - r, 2 * r, 2 * r))
        canvas.zoom_to_rect(rect.adjusted(-40, -40, 40, 40))
        return
    canvas.zoom_to_fit()


def wait_for_tiles(canvas: Any, timeout_s: float = 20.0) -> None:
    """Render the visible tiles before a screenshot."""
    if not _is_real(canvas):
        return
    import time

    from PySide6.QtWidgets import QApplication

    canvas.set_synchronous(True)  # the grab that follows renders every tile it needs
    canvas.viewport().repaint()
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline and getattr(canvas, "_queue", None):
        QApplication.processEvents()
        time.sleep(0.005)
