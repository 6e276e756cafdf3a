"""Projected geometry as scene points and painter paths.

Scene coordinates are projected metres with ``scene y = -northing`` (the canvas
convention); every map of the app and of the review report converts with these.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainterPath, QPolygonF

from planner.core.model import Camera


def to_scene(x: float, y: float) -> QPointF:
    """The scene point of projected metres ``(x, y)``."""
    return QPointF(x, -y)


def from_scene(pt: QPointF) -> tuple[float, float]:
    """Projected metres of the scene point ``pt``."""
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
