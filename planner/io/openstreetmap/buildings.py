"""The buildings layer from OSM: closed ways and multipolygons tagged ``building``.

A footprint that is not closed (usually cut at the edge of an extract) is left out
and counted; an invalid one is repaired, or left out when too tangled to repair;
``height`` is read in metres or feet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from planner.io.formats.site_geometry import MAX_REPAIR_CROSSINGS, count_crossings
from planner.io.openstreetmap.data import OsmData
from planner.io.openstreetmap.frames import make_layer
from planner.io.openstreetmap.geometry import (
    is_area_relation,
    polygonal_part,
    relation_polygon,
    way_polygon,
)


def _parse_height(raw: str | None) -> float:
    """``height`` tag in metres: "12", "12 m", "12.5m", "40'", "40 ft"; else NaN."""
    if not raw:
        return math.nan
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(m|ft|'|feet)?\s*", raw.lower())
    if m is None:
        return math.nan
    value = float(m.group(1))
    if m.group(2) in ("ft", "'", "feet"):
        value *= 0.3048
    return value if math.isfinite(value) and value >= 0 else math.nan


def _valid(geom: BaseGeometry, label: str, warnings: list[str]) -> BaseGeometry | None:
    """A building made valid; ``None`` (and a warning) when nothing or too much is left."""
    if geom.is_valid:
        return geom
    if count_crossings(geom, limit=MAX_REPAIR_CROSSINGS) > MAX_REPAIR_CROSSINGS:
        # make_valid's cost grows with the square of the crossings; a building left
        # out hides nothing, which errs on the side of protection.
        warnings.append(f"{label}: building outline too tangled to repair, left out")
        return None
    fixed = polygonal_part(shapely.make_valid(geom))
    warnings.append(f"{label}: invalid polygon repaired (make_valid)")
    return fixed


def buildings_from_osm_data(data: OsmData, warnings: list[str]) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    candidates: Sequence[tuple[str, int, Mapping[str, str]]] = [
        ("way", w, t) for w, t in data.way_tags.items()
    ] + [("relation", r, t) for r, t in data.relation_tags.items() if is_area_relation(t)]
    open_ways = 0
    for kind, oid, tags in candidates:
        if tags.get("building", "no") == "no":
            continue
        geom = way_polygon(data, oid) if kind == "way" else relation_polygon(data, oid)
        if geom is None:
            # Usually a way cut at the edge of an extract: closing it would invent
            # a wall, so it is left out and counted.
            open_ways += 1
            continue
        geom = _valid(geom, f"{kind}/{oid}", warnings)
        if geom is None:
            continue
        rows.append(
            {
                "building_id": f"{kind}/{oid}",
                "height": _parse_height(tags.get("height")),
                "source": "osm",
            }
        )
        geoms.append(geom)
    if open_ways:
        warnings.append(
            f"{open_ways} building outline(s) not closed or missing nodes (cut at the "
            "edge of the extract?) left out"
        )
    return make_layer("buildings", rows, geoms)
