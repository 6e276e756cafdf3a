"""Cones and bearings in a projected, metric CRS (SPEC 3 and 4.1).

Compass bearings (0 = north, clockwise) are converted to the math convention only
here, so the rest of the code can think in compass degrees.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon

#: Largest angular step between arc vertices. SPEC 3 allows 2°; one degree keeps
#: drawn cones smooth at street zoom for a few more vertices.
ARC_STEP_DEG = 1.0


def normalize_bearing(deg: float) -> float:
    """Bring a bearing into [0, 360)."""
    b = math.fmod(deg, 360.0)
    if b < 0:
        b += 360.0
    # fmod can return 360.0 - eps rounded to 360.0 for tiny negatives
    return 0.0 if b >= 360.0 else b


def bearing_deg(x0: float, y0: float, x1: float, y1: float) -> float:
    """Compass bearing from (x0, y0) to (x1, y1) on the projected grid."""
    return normalize_bearing(math.degrees(math.atan2(x1 - x0, y1 - y0)))


def angular_difference(a: float, b: float) -> float:
    """Smallest absolute difference between two bearings, in [0, 180]."""
    d = abs(normalize_bearing(a) - normalize_bearing(b))
    return min(d, 360.0 - d)


def arc_points(
    x: float, y: float, *, start_deg: float, span_deg: float, radius: float
) -> np.ndarray:
    """Vertices of a circumscribing polyline for the arc from ``start_deg`` clockwise.

    The vertices sit at ``radius / cos(step / 2)`` so every chord is tangent to the
    true circle: the polygon contains the exact sector and never under-reports
    what a camera sees, while staying within a centimetre of it at our ranges.
    """
    n = max(1, math.ceil(span_deg / ARC_STEP_DEG - 1e-9))
    step = span_deg / n
    r = radius / math.cos(math.radians(step) / 2.0)
    bearings = np.radians(start_deg + step * np.arange(n + 1))
    return np.column_stack([x + r * np.sin(bearings), y + r * np.cos(bearings)])


def cone_polygon(
    x: float, y: float, *, heading_deg: float | None, fov_deg: float, range_m: float
) -> Polygon:
    """The camera's cone before occlusion (SPEC 4.1).

    A full disc when ``fov_deg >= 360`` or the heading is unknown.
    """
    if heading_deg is None or fov_deg >= 360.0:
        ring = arc_points(x, y, start_deg=0.0, span_deg=360.0, radius=range_m)
        return shapely.polygons(ring[:-1])
    start = heading_deg - fov_deg / 2.0
    arc = arc_points(x, y, start_deg=start, span_deg=fov_deg, radius=range_m)
    return shapely.polygons(np.vstack([[x, y], arc]))


def sector_contains_bearing(heading_deg: float, fov_deg: float, b: float) -> bool:
    """Whether bearing ``b`` lies within the cone's angular span."""
    if fov_deg >= 360.0:
        return True
    return angular_difference(heading_deg, b) <= fov_deg / 2.0 + 1e-9
