"""Repairing a protected site's geometry without ever losing its protection.

SPEC 7 says invalid polygons are repaired and reported. For a *protected site* the
repair must never make it smaller than what the file drew, and must stay cheap:

- a polygon with no area (all positions on a line, a ring of three positions, one
  repeated position) is not dropped: it is protected by its outline, buffered by
  :data:`OUTLINE_BUFFER_DEG` (about a centimetre) so it stays a polygon;
- a part of a multipolygon that collapses keeps its outline the same way;
- a polygon so tangled that ``make_valid`` would take minutes and gigabytes (its
  cost grows with the square of the self-intersections: a random 2,000-vertex ring
  takes about 30 s) is protected by its convex hull, which covers everything drawn;
- a polygon with more than :data:`MAX_SITE_VERTICES` positions is refused.

Every repair is reported as a warning naming the file and the site.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from planner.core.errors import InputError

#: A site polygon with more positions than this is refused (a whole campus drawn in
#: OSM has a few thousand; 50,000 is the mark of a generated or broken file).
MAX_SITE_VERTICES = 50_000
#: Proper self-intersections beyond which ``make_valid`` is not attempted.
MAX_REPAIR_CROSSINGS = 500
#: Outline buffer that turns a zero-area site into a polygon (degrees, ~1 cm).
OUTLINE_BUFFER_DEG = 1e-7

_CHUNK = 32


def count_crossings(geom: BaseGeometry, *, limit: int) -> int:
    """Pairs of crossing ring segments in ``geom``, counted up to just past ``limit``.

    Memory stays bounded: segments are queried a few at a time and counting stops as
    soon as the limit is passed.
    """
    rings = shapely.get_rings(shapely.get_parts(geom))
    segments = []
    for ring in rings:
        xy = shapely.get_coordinates(ring)
        if len(xy) >= 2:
            segments.append(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
    if not segments:
        return 0
    segs = np.concatenate(segments)
    tree = shapely.STRtree(segs)
    found = 0
    start, chunk = 0, 1
    while start < len(segs) and found <= limit:
        pairs = tree.query(segs[start : start + chunk], predicate="crosses")
        found += int((pairs[1] > pairs[0] + start).sum())
        start += chunk
        # Small chunks first: a tangled ring passes the limit within a few segments.
        chunk = min(chunk * 2, _CHUNK)
    return found


def polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of ``geom`` (an empty polygon when it has none)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [
        q
        for p in shapely.get_parts(geom)
        if p.geom_type in ("Polygon", "MultiPolygon")
        for q in shapely.get_parts(p)
    ]
    if not polys:
        return shapely.Polygon()
    return shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]


def outline_polygon(geom: BaseGeometry) -> BaseGeometry:
    """A thin polygon around every position of ``geom``: the protection of a collapsed site."""
    xy = shapely.get_coordinates(geom)
    unique = np.unique(xy, axis=0)
    line = shapely.Point(unique[0]) if len(unique) == 1 else shapely.LineString(xy)
    return shapely.buffer(line, OUTLINE_BUFFER_DEG, quad_segs=2)


def protect_site_geometry(
    geom: BaseGeometry, source: str, where: str, warnings: list[str] | None
) -> BaseGeometry:
    """A valid geometry covering at least what ``geom`` draws; each repair reported.

    Raises
    ------
    InputError
        For more than :data:`MAX_SITE_VERTICES` positions, or geometry GEOS cannot
        handle at all.
    """
    if geom.geom_type == "Point":
        return geom
    n = int(shapely.get_num_coordinates(geom))
    if n > MAX_SITE_VERTICES:
        msg = f"polygon has {n:,} positions; the limit for a site is {MAX_SITE_VERTICES:,}"
        raise InputError(source, where, msg)
    try:
        if geom.is_valid:
            return geom
        if count_crossings(geom, limit=MAX_REPAIR_CROSSINGS) > MAX_REPAIR_CROSSINGS:
            hull = geom.convex_hull
            fixed = hull if hull.area > 0 else outline_polygon(geom)
            what = (
                f"invalid polygon with more than {MAX_REPAIR_CROSSINGS} self-intersections: "
                "protected by its convex hull, which covers all of it"
            )
        else:
            reason = shapely.is_valid_reason(geom)
            fixed, collapsed = _repair_parts(geom)
            what = f"invalid polygon repaired ({reason})"
            if collapsed:
                what += (
                    f"; {collapsed} part(s) with no area kept as their outline, "
                    "so the site stays protected"
                )
    except GEOSException as exc:
        first = str(exc).splitlines()[0] if str(exc) else "GEOS error"
        raise InputError(source, where, f"geometry cannot be processed ({first})") from None
    if warnings is not None:
        warnings.append(f"{source}: {where}: {what}")
    return fixed


def _repair_parts(geom: BaseGeometry) -> tuple[BaseGeometry, int]:
    """``make_valid`` part by part; a part left with no area becomes its outline."""
    fixed_parts = []
    collapsed = 0
    for part in shapely.get_parts(geom):
        fixed = polygonal_part(shapely.make_valid(part, method="structure", keep_collapsed=False))
        if fixed.is_empty or fixed.area == 0:
            fixed = outline_polygon(part)
            collapsed += 1
        fixed_parts.append(fixed)
    out = fixed_parts[0] if len(fixed_parts) == 1 else shapely.union_all(fixed_parts)
    return polygonal_part(out), collapsed
