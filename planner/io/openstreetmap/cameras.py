"""The existing cameras layer: ALPR cameras mapped in OSM or in an ALPR GeoJSON dump.

One row per camera head (a ``;`` list of directions is several heads); the field of
view and range come from the catalogue by model or brand, else the worst case; an
unknown or unreadable direction is unknown (NaN), never 0.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import geopandas as gpd
import shapely

from planner.core.errors import InputError
from planner.io.openstreetmap.data import OsmData, check_tags
from planner.io.openstreetmap.directions import parse_direction
from planner.io.openstreetmap.frames import make_layer

#: Worst case for a camera whose model is not in the catalogue (and when no
#: catalogue can be read): the catalogue's "unknown fixed ALPR" figures.
WORST_CASE_FOV_DEG = 60.0
WORST_CASE_RANGE_M = 80.0


def is_alpr(tags: Mapping[str, str]) -> bool:
    """``man_made=surveillance`` with ``surveillance:type=ALPR`` (or the UK's ANPR)."""
    return tags.get("man_made") == "surveillance" and tags.get(
        "surveillance:type", ""
    ).strip().upper() in ("ALPR", "ANPR")


def _catalogue_lookup(catalogue: Any) -> Callable[[str], tuple[float, float]]:
    """Map a brand/model name to (fov, range), falling back to the worst case."""
    if catalogue is None:
        try:
            from planner.io.formats.catalogue import builtin_catalogue

            catalogue = builtin_catalogue()
        except (ImportError, InputError):
            catalogue = None
    worst = (WORST_CASE_FOV_DEG, WORST_CASE_RANGE_M)
    if catalogue is not None:
        try:
            w = catalogue.worst_case
            worst = (float(w.fov_deg), float(w.range_m))
        except (AttributeError, KeyError):
            pass

    def lookup(name: str) -> tuple[float, float]:
        model = catalogue.find(name) if catalogue is not None and name else None
        return (float(model.fov_deg), float(model.range_m)) if model is not None else worst

    return lookup


def camera_rows(
    cameras: Iterable[tuple[str, float, float, Mapping[str, str]]],
    *,
    catalogue: Any = None,
    source: str = "",
) -> gpd.GeoDataFrame:
    """The cameras layer from ``(source_id, lon, lat, tags)``, one row per head."""
    lookup = _catalogue_lookup(catalogue)
    rows, geoms = [], []
    for source_id, lon, lat, tags in cameras:
        raw = tags.get("camera:direction") or tags.get("direction")
        brand = tags.get("brand") or tags.get("manufacturer") or ""
        model_name = tags.get("model") or tags.get("camera:model") or ""
        fov, rng = lookup(model_name) if model_name else lookup(brand)
        if model_name and (fov, rng) == lookup(""):
            fov, rng = lookup(brand)
        tag_json = json.dumps(dict(sorted(tags.items())), ensure_ascii=False)
        try:
            heads = parse_direction(raw)
        except ValueError as exc:
            key = "camera:direction" if tags.get("camera:direction") else "direction"
            where = f"camera {source_id}, {key}"
            raise InputError(source or source_id, where, str(exc)) from None
        for i, head in enumerate(heads, start=1):
            rows.append(
                {
                    "camera_id": source_id if i == 1 else f"{source_id}#{i}",
                    "heading_deg": math.nan if head.heading_deg is None else head.heading_deg,
                    "fov_deg": min(fov + head.fov_extra_deg, 360.0),
                    "range_m": rng,
                    "brand": brand,
                    "direction_raw": raw or "",
                    "operator": tags.get("operator", ""),
                    "source_id": source_id,
                    "tags": tag_json,
                }
            )
            geoms.append(shapely.Point(lon, lat))
    return make_layer("cameras_existing", rows, geoms)


def cameras_from_osm_data(data: OsmData, *, catalogue: Any = None) -> gpd.GeoDataFrame:
    cams = (
        (f"node/{n}", *data.nodes[n], t)
        for n, t in data.node_tags.items()
        if is_alpr(t) and n in data.nodes
    )
    return camera_rows(cams, catalogue=catalogue, source=data.source)


def cameras_from_alpr_geojson(doc: Any, *, source: str, catalogue: Any = None) -> gpd.GeoDataFrame:
    """Cameras from an ALPR GeoJSON dump (features carrying raw OSM ``properties.tags``)."""
    feats = doc.get("features") if isinstance(doc, Mapping) else None
    if not isinstance(feats, list):
        msg = "not a GeoJSON FeatureCollection (no 'features' array)"
        raise InputError(source, "", msg)
    cams = []
    for i, feat in enumerate(feats):
        where = f"feature {i}"
        props = feat.get("properties") if isinstance(feat, Mapping) else None
        geom = feat.get("geometry") if isinstance(feat, Mapping) else None
        if not isinstance(props, Mapping) or not isinstance(props.get("tags"), Mapping):
            msg = "no properties.tags object: not an OSM ALPR dump"
            raise InputError(source, where, msg)
        if not isinstance(geom, Mapping) or geom.get("type") != "Point":
            msg = "geometry must be a Point"
            raise InputError(source, where, msg)
        coords = geom.get("coordinates")
        try:
            lon, lat = float(coords[0]), float(coords[1])  # type: ignore[index]
        except (TypeError, ValueError, IndexError):
            msg = f"bad Point coordinates {coords!r}"
            raise InputError(source, where, msg) from None
        if not (
            math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90
        ):
            msg = f"coordinates out of range: lon={lon}, lat={lat}"
            raise InputError(source, where, msg)
        tags = {str(k): str(v) for k, v in props["tags"].items() if v is not None}
        check_tags(source, where, tags)
        if not is_alpr(tags):
            continue
        oid = props.get("id", feat.get("id"))
        source_id = (
            f"node/{oid}"
            if isinstance(oid, int) or str(oid).isdigit()
            else str(oid if oid is not None else f"feature/{i}")
        )
        cams.append((source_id, lon, lat, tags))
    ids = [c[0] for c in cams]
    if len(set(ids)) != len(ids):
        dup = next(x for x in ids if ids.count(x) > 1)
        msg = f"duplicate camera id {dup!r}"
        raise InputError(source, "features", msg)
    return camera_rows(cams, catalogue=catalogue, source=source)
