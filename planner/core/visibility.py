"""Occlusion: what part of a cone a camera actually sees (SPEC 4.2).

The checker talks to an :class:`Occluder`; :class:`ShadowOccluder` is the exact
algorithm used today and can be swapped for a faster one without touching callers.

Algorithm (exact, vectorised):

A point P is hidden when the segment from the camera A to P passes through the
interior of a building. Walking from A towards a hidden P, the segment first enters
a building through an edge that faces A, so the hidden region is the union, over
the edges that face A, of each edge's *shadow*: the part of the edge's angular
wedge beyond the edge. Each shadow is a pentagon ``a, b, b', m', a'`` whose far
vertices lie on the rays through ``a``, ``b`` and their bisector, far enough that
the far chords stay outside the cone's range. Only edges that face A, come within
the range and overlap the cone's angular span are used, which keeps the union
small. Segments from A to cone points are radial, so they never leave the cone;
that is why buildings outside the cone can be ignored.

Regular sets (SPEC 4.2): where two shadows meet along (almost) the same ray, at a
corner two buildings share or along collinear walls, floating-point overlay leaves
strips a nanometre wide and as long as the range. They have no area but would count
for distances. :func:`regularize` snap-rounds the result to a 0.1 mm grid, which
collapses every strip narrower than the grid, and drops what is not polygonal or
smaller than 1e-6 m². Every consumer (checker, drawing, heading sweeps, overlap
areas) gets the visible cone from here, so none of them can see a sliver.

Mount (SPEC 4.2): buildings that contain the camera do not occlude; when none does,
the single nearest building whose outline lies within 5 cm is the mount. Any other
building occludes, however close (a shared wall).

On the wall: a camera placed on an outline lands a nanometre inside or outside it
after the lon/lat round trip, and exactly on a corner its walls are seen edge-on, so
no edge "faces" it. Within :data:`ON_WALL_M` of an outline the camera therefore
stands *on* it: such a building contains it only if it is deeper inside than that,
and distances that close count as equal (the lowest index is the mount). A building
the camera stands on that is not its mount hides every direction that goes into its
material from the nearest point of its outline (from the corner, when that point is
within :data:`ON_WALL_M` of one): a wedge from the camera, see :func:`wall_wedges`.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from planner.core.buildings import LocalBuildings

#: A building this close to the camera counts as the one it is mounted on (SPEC 4.2).
WALL_TOLERANCE_M = 0.05
#: A camera this close to an outline stands on it (see the module docstring): far
#: above the float noise of a lon/lat round trip, far below the 5 cm wall tolerance.
ON_WALL_M = 1e-3
#: Grid (metres) the visible cone is snap-rounded to. Strips narrower than this
#: collapse; no vertex moves by more than 0.07 mm, far below SPEC 3's 1 m.
SNAP_GRID_M = 1e-4
#: Polygon parts smaller than this are dropped after snapping. A surviving part is
#: at least a grid cell wide, so this only removes parts under about 1 cm long.
MIN_PART_AREA_M2 = 1e-6
#: Shadows subtracted per overlay step (see ShadowOccluder.visible).
_BATCH = 8


class BuildingSource(Protocol):
    """Projected building candidates for a region (see planner.core.buildings)."""

    def query(self, region: BaseGeometry) -> np.ndarray: ...

    def local(self, idx: np.ndarray) -> LocalBuildings: ...


def regularize(geom: BaseGeometry) -> BaseGeometry:
    """The regular (closure of the interior) polygonal part of ``geom`` (SPEC 4.2).

    Snap-rounds to :data:`SNAP_GRID_M`, which removes zero-area strips and spikes
    even where they touch a real part, then keeps only polygons of at least
    :data:`MIN_PART_AREA_M2`. Always returns a Polygon or MultiPolygon.
    """
    if geom.is_empty:
        return shapely.Polygon()
    return _solid_parts(shapely.set_precision(geom, SNAP_GRID_M))


def regular_intersection(a: BaseGeometry, b: BaseGeometry) -> BaseGeometry:
    """``regularize(a & b)`` in one snap-rounded overlay (as fast as a plain one)."""
    return _solid_parts(shapely.intersection(a, b, grid_size=SNAP_GRID_M))


def _solid_parts(snapped: BaseGeometry) -> BaseGeometry:
    parts = shapely.get_parts(snapped)
    types = shapely.get_type_id(parts)
    polys = parts[types == shapely.GeometryType.POLYGON]
    if len(polys) == 0:
        return shapely.Polygon()
    polys = polys[shapely.area(polys) >= MIN_PART_AREA_M2]
    if len(polys) == 0:
        return shapely.Polygon()
    if len(polys) == 1:
        return polys[0]
    return shapely.MultiPolygon(list(polys))


def mount_buildings(geoms: np.ndarray, x: float, y: float) -> np.ndarray:
    """Indices into ``geoms`` of the buildings a camera at ``(x, y)`` is mounted on.

    Every building containing the camera deeper than :data:`ON_WALL_M`; when none
    does, the one nearest building whose outline lies within
    :data:`WALL_TOLERANCE_M` (saved coordinates are rounded, so a camera on a wall
    may sit a few millimetres outside it). Distances within :data:`ON_WALL_M` of
    the nearest count as ties, which go to the lowest index: float noise never
    picks the mount, and the answer never depends on the order of a query.
    """
    if len(geoms) == 0:
        return np.empty(0, dtype=np.intp)
    pt = shapely.Point(x, y)
    deep = shapely.contains_xy(geoms, x, y)
    if deep.any():
        deep[deep] = shapely.distance(shapely.boundary(geoms[deep]), pt) > ON_WALL_M
        if deep.any():
            return np.flatnonzero(deep)
    d = shapely.distance(geoms, pt)  # 0 on or inside the outline
    near = (d <= WALL_TOLERANCE_M) & (d <= d.min() + ON_WALL_M)
    return np.flatnonzero(near)[:1].astype(np.intp)


def wall_wedges(geoms: np.ndarray, x: float, y: float, *, far: float) -> np.ndarray:
    """What the buildings ``geoms`` hide from a camera standing on their walls.

    For each building whose outline lies within :data:`ON_WALL_M` of ``(x, y)``,
    the wedge (apex at the camera, reaching ``far * cos(22.5°)`` at least) of the
    directions that go into its material from the nearest point of its outline, or
    from the corner when that point is within :data:`ON_WALL_M` of one: a half-plane
    on a wall, the interior angle on a corner. ``geoms`` must be oriented with the
    material on the right of every ring (``shapely.orient_polygons(..., exterior_cw=True)``).
    """
    out = []
    pt = shapely.Point(x, y)
    close = np.flatnonzero(shapely.distance(geoms, pt) <= ON_WALL_M)
    for g in geoms[close]:
        sweep = _into_material(g, x, y)
        if sweep is not None:
            out.append(_wedge(x, y, *sweep, far=far))
    return np.array(out, dtype=object)


def _into_material(geom: BaseGeometry, x: float, y: float) -> tuple[float, float] | None:
    """``(start, sweep)``: bearings (degrees clockwise) into ``geom`` from its outline.

    Seen from the point of the outline nearest ``(x, y)``, snapped to a corner of
    that edge within :data:`ON_WALL_M`. Rings have the material on their right.
    """
    nearest = math.inf
    found: tuple[np.ndarray, int, np.ndarray] | None = None
    for ring in shapely.get_rings(shapely.get_parts(geom)):
        c = shapely.get_coordinates(ring)
        # Repeated vertices would make edges of no direction.
        c = c[np.r_[True, (np.diff(c, axis=0) != 0).any(axis=1)]]
        if len(c) < 4:
            continue
        v, ab = c[:-1], np.diff(c, axis=0)
        t = ((x - v[:, 0]) * ab[:, 0] + (y - v[:, 1]) * ab[:, 1]) / (ab**2).sum(axis=1)
        q = v + np.clip(t, 0.0, 1.0)[:, None] * ab
        d = np.hypot(q[:, 0] - x, q[:, 1] - y)
        k = int(np.argmin(d))
        if d[k] < nearest:
            nearest, found = float(d[k]), (v, k, q[k])
    if found is None:
        return None
    v, k, q = found
    n = len(v)
    ends = np.hypot(v[[k, (k + 1) % n], 0] - q[0], v[[k, (k + 1) % n], 1] - q[1])
    if ends.min() <= ON_WALL_M:
        # On a corner: between the edge leaving it and the one arriving.
        j = k if ends[0] <= ends[1] else (k + 1) % n
        ahead, back = v[(j + 1) % n] - v[j], v[j - 1] - v[j]
    else:
        ahead = v[(k + 1) % n] - v[k]
        back = -ahead
    start = math.degrees(math.atan2(ahead[0], ahead[1]))
    sweep = (math.degrees(math.atan2(back[0], back[1])) - start) % 360.0
    return (start, sweep) if sweep > 0.0 else None


def _wedge(x: float, y: float, start: float, sweep: float, *, far: float) -> BaseGeometry:
    """The wedge of bearings ``start .. start + sweep`` from ``(x, y)``, reaching ``far``."""
    n = max(1, math.ceil(sweep / 45.0))
    b = np.radians(start + np.linspace(0.0, sweep, n + 1))
    # At ``far``, like the far vertices of the shadows (see ShadowOccluder), at
    # most 45° apart: every chord stays beyond far * cos(22.5°).
    ring = np.vstack([[x, y], np.column_stack([x + far * np.sin(b), y + far * np.cos(b)]), [x, y]])
    return shapely.Polygon(ring)


class Occluder(Protocol):
    """Anything that can cut a cone down to what the camera sees."""

    def visible(
        self,
        x: float,
        y: float,
        cone: BaseGeometry,
        *,
        range_m: float,
        heading_deg: float | None,
        fov_deg: float,
    ) -> BaseGeometry:
        """The part of ``cone`` (apex at ``x, y``) visible from the apex."""
        ...


class NoOcclusion:
    """Used when no building layer is given (SPEC 4.2: occlusion only with buildings)."""

    def visible(
        self,
        x: float,
        y: float,
        cone: BaseGeometry,
        *,
        range_m: float,
        heading_deg: float | None,
        fov_deg: float,
    ) -> BaseGeometry:
        return cone


class ShadowOccluder:
    """Exact occlusion by the union of the shadows of camera-facing building edges.

    ``buildings`` is a :class:`~planner.core.buildings.BuildingIndex` or one of its
    per-CRS views; cone coordinates are in that source's CRS.
    """

    def __init__(self, buildings: BuildingSource) -> None:
        self.buildings = buildings

    def shadow_polygons(
        self,
        x: float,
        y: float,
        cone: BaseGeometry,
        *,
        range_m: float,
        heading_deg: float | None,
        fov_deg: float,
    ) -> np.ndarray:
        """The shadow pentagons that may cut ``cone``, as a shapely array."""
        b = self.buildings
        cand = b.query(cone)
        if len(cand) == 0:
            return np.empty(0, dtype=object)
        ax, ay, bx, by, stood_on = _casting_edges(
            b.local(cand), x, y, range_m=range_m, heading_deg=heading_deg, fov_deg=fov_deg
        )
        ra = np.hypot(ax, ay)
        rb = np.hypot(bx, by)
        # Far enough that every far chord (half the edge's angle, < 90°) stays
        # beyond the range: far * cos(45°) > range for far >= 2 * range, and
        # beyond both endpoints so the pentagon is simple. One distance for all:
        # two shadows meeting along a ray (corners in line with the camera) then
        # share their far vertex up to float noise, and the zero-width gap between
        # them snaps away; far vertices at different distances would snap apart
        # into a sliver as wide as the grid.
        far = max(2.0 * range_m, float(np.max(np.maximum(ra, rb), initial=0.0)) + range_m)
        wedges = wall_wedges(stood_on, x, y, far=far) if len(stood_on) else stood_on
        if len(ax) == 0:
            return wedges
        return np.concatenate([wedges, _pentagons(ax, ay, bx, by, ra, rb, x, y, far)])

    def visible(
        self,
        x: float,
        y: float,
        cone: BaseGeometry,
        *,
        range_m: float,
        heading_deg: float | None,
        fov_deg: float,
    ) -> BaseGeometry:
        shadows = self.shadow_polygons(
            x, y, cone, range_m=range_m, heading_deg=heading_deg, fov_deg=fov_deg
        )
        if len(shadows) == 0:
            return cone
        # Nearest shadows first, in small batches: near buildings hide most of the
        # cone, and a batch that no longer touches what is left is skipped. That
        # keeps the overlay small; one big union_all is several times slower at p95.
        first = shapely.get_coordinates(shapely.get_point(shapely.get_exterior_ring(shadows), 0))
        order = np.argsort(np.hypot(first[:, 0] - x, first[:, 1] - y))
        shadows = shadows[order]
        vis = cone
        cut = False
        for i in range(0, len(shadows), _BATCH):
            batch = shadows[i : i + _BATCH]
            shapely.prepare(vis)
            hit = batch[shapely.intersects(vis, batch)]
            if len(hit) == 0:
                continue
            vis = shapely.difference(vis, hit[0] if len(hit) == 1 else shapely.union_all(hit))
            cut = True
            if vis.is_empty:
                break
        # The cone itself is regular; only an overlay can leave slivers.
        return regularize(vis) if cut else cone


def _overlaps_span(
    ax: np.ndarray,
    ay: np.ndarray,
    bx: np.ndarray,
    by: np.ndarray,
    start_deg: float,
    span_deg: float,
) -> np.ndarray:
    """Which edges' angular extents (seen from the origin) overlap a bearing span."""
    ba = np.degrees(np.arctan2(ax, ay))
    bb = np.degrees(np.arctan2(bx, by))
    ra = np.mod(ba - start_deg, 360.0)
    d = np.mod(bb - ba + 180.0, 360.0) - 180.0  # signed sweep a->b, |d| < 180
    lo = np.where(d >= 0, ra, np.mod(ra + d, 360.0))
    width = np.abs(d)
    # Overlap with [0, span] on the circle; small slack keeps grazing edges.
    eps = 1e-9
    hit: np.ndarray = (lo <= span_deg + eps) | (lo + width >= 360.0 - eps)
    return hit


def _casting_edges(
    local: LocalBuildings,
    x: float,
    y: float,
    *,
    range_m: float,
    heading_deg: float | None,
    fov_deg: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The building edges that cast a shadow, relative to the camera, and the walls stood on.

    Returns the edges' ends ``a`` and ``b`` as ``ax, ay, bx, by`` (camera at the
    origin) and the buildings the camera stands on (their shadows are wedges).
    """
    # The mount does not occlude. "On the wall" must not depend on float noise:
    # a camera placed on a wall projects a nanometre inside or outside it, and a
    # save rounds it by a millimetre; hence the tolerance, for one building only.
    mount = mount_buildings(local.geoms, x, y)
    other = ~np.isin(local.edge_owner, mount)
    e, owner = local.edges[other], local.edge_owner[other]
    ax, ay = e[:, 0] - x, e[:, 1] - y
    bx, by = e[:, 2] - x, e[:, 3] - y
    # Distance from the camera to each edge segment.
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    t = np.clip(-(ax * dx + ay * dy) / np.where(len2 > 0, len2, 1.0), 0.0, 1.0)
    dist = np.hypot(ax + t * dx, ay + t * dy)
    # A building the camera stands on hides the directions into it: a wedge. Its
    # edges through the camera are seen edge-on and would only add noise.
    on_wall = dist <= ON_WALL_M
    stood_on = local.geoms[np.unique(owner[on_wall])]
    # Material is on the right of a->b, so the edge faces the camera when the
    # camera (origin) is on its left: cross(b - a, 0 - a) > 0.
    faces = (bx - ax) * (-ay) - (by - ay) * (-ax) > 1e-12
    use = faces & ~on_wall & (dist < range_m)
    ax, ay, bx, by = ax[use], ay[use], bx[use], by[use]
    if heading_deg is not None and fov_deg < 360.0 and len(ax):
        keep = _overlaps_span(ax, ay, bx, by, heading_deg - fov_deg / 2.0, fov_deg)
        ax, ay, bx, by = ax[keep], ay[keep], bx[keep], by[keep]
    return ax, ay, bx, by, stood_on


def _pentagons(
    ax: np.ndarray,
    ay: np.ndarray,
    bx: np.ndarray,
    by: np.ndarray,
    ra: np.ndarray,
    rb: np.ndarray,
    x: float,
    y: float,
    far: float,
) -> np.ndarray:
    """Each edge's shadow: the edge, its ends pushed out to ``far`` and the far middle."""
    ua_x, ua_y = ax / ra, ay / ra
    ub_x, ub_y = bx / rb, by / rb
    mx, my = ua_x + ub_x, ua_y + ub_y
    mn = np.hypot(mx, my)
    mx, my = mx / mn, my / mn
    ring = np.empty((len(ax), 6, 2))
    ring[:, 0, 0], ring[:, 0, 1] = ax, ay
    ring[:, 1, 0], ring[:, 1, 1] = bx, by
    ring[:, 2, 0], ring[:, 2, 1] = ub_x * far, ub_y * far
    ring[:, 3, 0], ring[:, 3, 1] = mx * far, my * far
    ring[:, 4, 0], ring[:, 4, 1] = ua_x * far, ua_y * far
    ring[:, 5] = ring[:, 0]
    ring[:, :, 0] += x
    ring[:, :, 1] += y
    out: np.ndarray = shapely.polygons(ring)
    return out
