"""Camera poses as the siting gestures change them and as the plan file stores them."""

from __future__ import annotations

import dataclasses
import math

from planner.core.crs import Projector
from planner.core.model import Camera


def quantize(camera: Camera) -> Camera:
    """Round a pose to what the plan file stores, so save and reopen give the same plan."""
    h = camera.heading_deg
    heading = None if h is None else round(h, 2) % 360.0
    return camera.with_pose(
        lon=round(camera.lon, 8),
        lat=round(camera.lat, 8),
        heading_deg=heading,
        fov_deg=round(camera.fov_deg, 2),
        range_m=round(camera.range_m, 2),
    )


def moved(camera: Camera, projector: Projector, dx: float, dy: float) -> Camera:
    """``camera`` shifted by (dx, dy) metres on the projected grid."""
    x, y = projector.point(camera.lon, camera.lat)
    lon, lat = projector.lonlat(x + dx, y + dy)
    return camera.with_pose(lon=lon, lat=lat)


def rotated(camera: Camera, delta_deg: float) -> Camera:
    heading = 0.0 if camera.heading_deg is None else camera.heading_deg
    return camera.with_pose(heading_deg=math.fmod(heading + delta_deg + 720.0, 360.0))


def same_pose(a: Camera, b: Camera) -> bool:
    return dataclasses.astuple(a)[:6] == dataclasses.astuple(b)[:6]
