"""The geometry of an OSM object: a node's point, a closed way's polygon, a relation's area.

A multipolygon relation's member ways are joined into rings; an open way or a
relation whose members close no ring stands for the convex hull of its positions
(a site's area must never be lost because the extract cut its outline).
"""

from __future__ import annotations

from collections.abc import Mapping

import shapely
from shapely.geometry.base import BaseGeometry

from planner.io.formats.site_geometry import outline_polygon
from planner.io.openstreetmap.data import OsmData


def _way_coords(data: OsmData, refs: list[int]) -> list[tuple[float, float]]:
    return [data.nodes[n] for n in refs if n in data.nodes]


def polygonal_part(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygonal part of ``geom`` (after make_valid), or ``None``."""
    if geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def way_polygon(data: OsmData, way: int) -> BaseGeometry | None:
    refs = data.ways.get(way, [])
    coords = _way_coords(data, refs)
    if len(refs) >= 4 and refs[0] == refs[-1] and len(coords) == len(refs):
        return shapely.Polygon(coords)
    return None


def relation_polygon(data: OsmData, rel: int) -> BaseGeometry | None:
    """A multipolygon relation's area: outer rings minus inner rings.

    Member ways may each be a part of a ring; :func:`shapely.polygonize` joins them.
    """
    outer: list[BaseGeometry] = []
    inner: list[BaseGeometry] = []
    seen: set[int] = set()
    for mtype, ref, role in data.relations.get(rel, []):
        if mtype != "way" or ref not in data.ways or ref in seen:
            continue
        seen.add(ref)
        coords = _way_coords(data, data.ways[ref])
        if len(coords) < 2:
            continue
        (inner if role == "inner" else outer).append(shapely.LineString(coords))
    if not outer:
        return None
    shell = polygonal_part(shapely.polygonize(outer))
    if shell is None:
        return None
    if inner:
        holes = polygonal_part(shapely.polygonize(inner))
        if holes is not None:
            shell = shell.difference(holes)
    return shell if not shell.is_empty else None


def object_geometry(data: OsmData, kind: str, oid: int) -> BaseGeometry | None:
    if kind == "node":
        pt = data.nodes.get(oid)
        return shapely.Point(pt) if pt is not None else None
    if kind == "way":
        poly = way_polygon(data, oid)
        if poly is not None:
            return poly
        # An open way (or one cut at the edge of the extract) tagged as a site:
        # its convex hull is the best area we have; a single point is a point.
        coords = _way_coords(data, data.ways.get(oid, []))
        return _hull(coords)
    poly = relation_polygon(data, oid)
    if poly is not None:
        return poly
    # Member ways that form no closed ring: the hull of all their positions.
    coords = [
        pt
        for mtype, ref, _ in data.relations.get(oid, [])
        if mtype == "way"
        for pt in _way_coords(data, data.ways.get(ref, []))
    ]
    return _hull(coords)


def _hull(coords: list[tuple[float, float]]) -> BaseGeometry | None:
    """The area a set of positions marks: their convex hull, or their outline if flat."""
    if not coords:
        return None
    if len(set(coords)) == 1:
        return shapely.Point(coords[0])
    hull = shapely.MultiPoint(coords).convex_hull
    return hull if hull.geom_type == "Polygon" else outline_polygon(shapely.MultiPoint(coords))


def is_area_relation(tags: Mapping[str, str]) -> bool:
    return tags.get("type") in ("multipolygon", "boundary")
