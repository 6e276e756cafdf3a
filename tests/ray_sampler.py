"""An independent visibility reference for tests and the stress run: dense ray casting.

Written from SPEC 4.2 alone, sharing no code with ``planner.core``: rays leave the
camera every ``step_deg``; each stops where it first crosses an edge of a building
that is not the camera's mount (the buildings containing the camera, else the one
nearest within 5 cm). Coordinates carry float noise, so a camera within
``ON_WALL_M`` of an outline stands on it: it is contained only from deeper inside,
distances that close tie (the lowest index is the mount), and a ray that leaves the
outline into the material of a building that is not the mount is blocked at once
(probed just off the nearest outline point, or the corner within ``ON_WALL_M``).
Blocked rays are no part of the view. The union of the rays approximates the visible cone from
inside, so the distance it gives to a zone is never smaller than the true one, and
larger by at most about ``range * step`` (the gap between neighbouring rays),
unless a visible strip is narrower than that gap; :func:`zone_distance` can zoom in
on a bearing to rule that out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops
from pyproj import Transformer

MOUNT_TOLERANCE_M = 0.05
ON_WALL_M = 1e-3
#: How far off the outline a ray is probed for entering the material at once.
PROBE_M = 1e-4
#: A ray passing this close to a building corner touches it.
GRAZE_M = 1e-7


def utm_transformer(lon: float, lat: float) -> Transformer:
    zone = int((lon + 180.0) // 6.0) + 1
    epsg = (32600 if lat >= 0 else 32700) + zone
    return Transformer.from_crs(4326, epsg, always_xy=True)


@dataclass
class Scene:
    """One camera in metres (its own UTM zone) with the buildings around it."""

    x: float
    y: float
    heading: float | None
    fov: float
    rng: float
    edges: np.ndarray  # (n, 4) ax, ay, bx, by relative to the camera, mount excluded
    walls: list[tuple[float, float, shapely.Geometry]]  # (qx, qy, building) stood on


def make_scene(
    tr: Transformer,
    lon: float,
    lat: float,
    heading: float | None,
    fov: float,
    rng: float,
    buildings_lonlat: np.ndarray,
) -> Scene:
    x, y = tr.transform(lon, lat)
    near = buildings_lonlat
    polys = shapely.transform(near, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    polys = polys[shapely.dwithin(polys, shapely.Point(x, y), rng + 1.0)]
    pt = shapely.Point(x, y)
    # Contained: inside the outline shrunk by ON_WALL_M.
    inside = shapely.contains_xy(shapely.buffer(polys, -ON_WALL_M), x, y)
    d = shapely.distance(polys, pt)
    if inside.any():
        mount = inside
    else:
        mount = np.zeros(len(polys), dtype=bool)
        if len(d) and d.min() <= MOUNT_TOLERANCE_M:
            ties = [i for i in range(len(d)) if d[i] <= min(d.min() + ON_WALL_M, MOUNT_TOLERANCE_M)]
            mount[ties[0]] = True
    rings = shapely.get_rings(shapely.get_parts(polys[~mount]))
    coords, idx = shapely.get_coordinates(rings, return_index=True)
    same = idx[:-1] == idx[1:]
    edges = np.hstack([coords[:-1][same], coords[1:][same]]) - np.array([x, y, x, y])
    walls = []
    for poly in polys[~mount & (d <= ON_WALL_M)]:
        q = shapely.ops.nearest_points(poly.boundary, pt)[0]
        corners = shapely.points(shapely.get_coordinates(poly.boundary))
        off = shapely.distance(corners, q)
        if off.min() <= ON_WALL_M:
            q = corners[int(np.argmin(off))]
        walls.append((q.x - x, q.y - y, poly))
    if walls:
        # Edges through the camera are what the probes stand for.
        segs = shapely.linestrings(edges.reshape(-1, 2, 2))
        edges = edges[shapely.distance(segs, shapely.Point(0.0, 0.0)) > ON_WALL_M]
    return Scene(x, y, heading, fov, rng, edges, walls)


def ray_lengths(scene: Scene, bearings_deg: np.ndarray) -> np.ndarray:
    """How far each ray sees: to the first building edge it crosses, at most the range."""
    out = np.full(len(bearings_deg), scene.rng)
    b = np.radians(bearings_deg)
    for qx, qy, poly in scene.walls:
        probe_x = scene.x + qx + PROBE_M * np.sin(b)
        probe_y = scene.y + qy + PROBE_M * np.cos(b)
        out[shapely.contains_xy(poly, probe_x, probe_y)] = 0.0
    if len(scene.edges) == 0:
        return out
    ax, ay, bx, by = scene.edges.T
    ex, ey = bx - ax, by - ay
    for start in range(0, len(bearings_deg), 256):
        b = np.radians(bearings_deg[start : start + 256])[:, None]
        dx, dy = np.sin(b), np.cos(b)
        denom = dx * ey - dy * ex
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (ax * ey - ay * ex) / denom
            s = (ax * dy - ay * dx) / denom
        hit = (np.abs(denom) > 1e-15) & (s >= 0.0) & (s <= 1.0) & (t > 1e-9)
        t = np.where(hit, t, np.inf).min(axis=1)
        # A ray through a corner stops there. Touching a corner hides nothing, but
        # where two corners line up with the camera the ray threads a gap of no
        # width (SPEC 4.2: not part of the view), and float noise decides whether
        # it misses both; a lone grazing ray loses at most one step of view.
        along = ax * dx + ay * dy
        graze = (np.abs(ax * dy - ay * dx) < GRAZE_M) & (along > 1e-9)
        t = np.minimum(t, np.where(graze, along, np.inf).min(axis=1))
        out[start : start + 256] = np.minimum(t, out[start : start + 256])
    return out


def bearings(scene: Scene, step_deg: float) -> np.ndarray:
    if scene.heading is None or scene.fov >= 360.0:
        return np.arange(0.0, 360.0, step_deg)
    n = max(2, math.ceil(scene.fov / step_deg) + 1)
    return np.linspace(scene.heading - scene.fov / 2, scene.heading + scene.fov / 2, n)


def zone_distance(scene: Scene, core_xy: shapely.Geometry, bs: np.ndarray) -> tuple[float, float]:
    """Distance from the sampled view to ``core_xy`` (metres, camera CRS), and its bearing.

    Infinite when every ray is blocked at the camera: a point sees nothing.
    """
    t = ray_lengths(scene, bs)
    seen = t > 0.0
    if not seen.any():
        return math.inf, float(bs[0])
    t, bs = t[seen], bs[seen]
    r = np.radians(bs)
    ends = np.column_stack([scene.x + t * np.sin(r), scene.y + t * np.cos(r)])
    segs = shapely.linestrings(
        np.stack([np.broadcast_to([scene.x, scene.y], ends.shape), ends], axis=1)
    )
    d = shapely.distance(segs, core_xy)
    k = int(np.argmin(d))
    return float(d[k]), float(bs[k])


def refined_distance(
    scene: Scene, core_xy: shapely.Geometry, around_deg: float, *, half_width: float = 0.6
) -> float:
    """Zoom in: rays every 0.0005° within ``half_width`` of a bearing (inside the cone)."""
    bs = np.arange(around_deg - half_width, around_deg + half_width, 0.0005)
    if scene.heading is not None and scene.fov < 360.0:
        off = (bs - scene.heading + 180.0) % 360.0 - 180.0
        bs = bs[np.abs(off) <= scene.fov / 2]
    if len(bs) == 0:
        return math.inf
    return zone_distance(scene, core_xy, bs)[0]
