"""Read OpenStreetMap sources into the layers of a data pack.

:func:`read_osm_source` reads a local file; :func:`fetch_osm` downloads an area
with osmnx. Both return :class:`OsmLayers`: streets, buildings, protected sites
with their entrances, and the ALPR cameras already mapped, as GeoDataFrames in
EPSG:4326 with fixed columns (see :data:`COLUMNS`).

Sources, chosen by file name and checked by content:

- OSM XML (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.xml``): read by the safe
  streaming parser in :mod:`planner.io.openstreetmap.xml_reader` (no DOCTYPE, no entities);
- ``.osm.pbf``: read with ``osmium`` (pyosmium) when it is installed;
- osmnx GraphML (``.graphml``): streets only;
- an Overpass API JSON response (``.json``, ``.json.gz``);
- an ALPR GeoJSON dump (``.geojson``; features with ``properties.tags``, as made
  from OSM by the nightly Overpass dumps): existing cameras only.

Streets are the drivable network with osmnx ``network_type="drive"`` semantics.
Like :func:`osmnx.graph_from_xml`, the graph is built from the drivable ways and
every way that shares a node with one (so a footway, driveway or railway crossing
a street still splits it there), reduced to its largest weakly connected
component and simplified without ever merging a drivable way with a non-drivable
one; then only the drivable edges are kept. On the downtown San José extract this
gives the 1,195 edges of the osmnx GraphML in the shared data, 1,193 of them
identical (the GraphML merged one street with the service road continuing it).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from planner.core.errors import InputError
from planner.io.formats.site_geometry import (
    MAX_REPAIR_CROSSINGS,
    count_crossings,
    outline_polygon,
    protect_site_geometry,
)
from planner.io.openstreetmap.data import (
    MAX_WAY_NODES,
    OsmData,
    check_cancel,
    check_lonlat,
    check_tags,
    load_json_file,
    osm_data_from_overpass,
)
from planner.io.openstreetmap.directions import parse_direction
from planner.io.openstreetmap.entrances import find_entrances
from planner.io.openstreetmap.rules import CategoryRules, load_category_rules
from planner.io.openstreetmap.xml_reader import (
    check_xml_prolog,
    open_maybe_compressed,
    read_osm_xml,
)

CRS = "EPSG:4326"
#: Worst case for a camera whose model is not in the catalogue (and when no
#: catalogue can be read): the catalogue's "unknown fixed ALPR" figures.
WORST_CASE_FOV_DEG = 60.0
WORST_CASE_RANGE_M = 80.0

COLUMNS: dict[str, dict[str, str]] = {
    "streets": {
        "u": "int64", "v": "int64", "key": "int64", "osmid": "object", "name": "object",
        "highway": "object", "lanes": "object", "oneway": "bool", "maxspeed": "object",
        "length_m": "float64",
    },
    "buildings": {"building_id": "object", "height": "float64", "source": "object"},
    "sites": {
        "site_id": "object", "category": "object", "name": "object", "source": "object",
        "source_id": "object", "tags": "object", "verified": "bool",
    },
    "entrances": {"entrance_id": "object", "site_id": "object", "basis": "object"},
    "cameras_existing": {
        "camera_id": "object", "heading_deg": "float64", "fov_deg": "float64",
        "range_m": "float64", "brand": "object", "direction_raw": "object",
        "operator": "object", "source_id": "object", "tags": "object",
    },
}  # fmt: skip

_NAME_KEYS = frozenset({"name", "brand", "operator"})

ProgressFn = Callable[[str, float], None]
CancelFn = Callable[[], bool]


def empty_layer(kind: str) -> gpd.GeoDataFrame:
    """An empty layer of ``kind`` with its columns and dtypes."""
    cols = COLUMNS[kind]
    frame = pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)


def _layer(kind: str, rows: list[dict[str, Any]], geoms: list[BaseGeometry]) -> gpd.GeoDataFrame:
    if not rows:
        return empty_layer(kind)
    cols = COLUMNS[kind]
    frame = pd.DataFrame(rows, columns=list(cols)).astype(cols)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


@dataclass
class OsmLayers:
    """Layers read from one OSM source; every frame in EPSG:4326."""

    streets: gpd.GeoDataFrame = field(default_factory=lambda: empty_layer("streets"))
    buildings: gpd.GeoDataFrame = field(default_factory=lambda: empty_layer("buildings"))
    sites: gpd.GeoDataFrame = field(default_factory=lambda: empty_layer("sites"))
    entrances: gpd.GeoDataFrame = field(default_factory=lambda: empty_layer("entrances"))
    cameras_existing: gpd.GeoDataFrame = field(
        default_factory=lambda: empty_layer("cameras_existing")
    )
    osm_timestamp: str | None = None
    rules_used: dict[str, Any] = field(default_factory=dict)
    #: Things repaired or skipped on the way (invalid polygons made valid ...).
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "streets": len(self.streets),
            "buildings": len(self.buildings),
            "sites": len(self.sites),
            "entrances": len(self.entrances),
            "cameras_existing": len(self.cameras_existing),
        }

    def is_empty(self) -> bool:
        return not any(self.counts().values())


# --------------------------------------------------------------------------- streets


@cache
def _drive_filter() -> tuple[tuple[str, str, re.Pattern[str] | None], ...]:
    """osmnx's ``network_type="drive"`` Overpass filter as (key, op, regex) tests.

    Taken from osmnx itself so the network matches what osmnx downloads online.
    """
    from osmnx import _overpass

    text = _overpass._get_network_filter("drive")
    clauses = re.findall(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]', text)
    if not clauses:  # pragma: no cover - guards an osmnx change
        msg = f"cannot read osmnx's drive filter {text!r}"
        raise RuntimeError(msg)
    return tuple((k, op, re.compile(p) if op else None) for k, op, p in clauses)


def is_drivable(tags: Mapping[str, str]) -> bool:
    """Whether a way passes osmnx's ``drive`` filter (public, drivable, not service)."""
    for key, op, pattern in _drive_filter():
        value = tags.get(key)
        if not op:
            if value is None:
                return False
        elif op == "!~":
            if value is not None and pattern is not None and pattern.search(value):
                return False
        elif value is None or pattern is None or not pattern.search(value):
            return False
    return True


def _in_bbox(bbox: tuple[float, float, float, float] | None) -> Callable[[float, float], bool]:
    if bbox is None:
        return lambda _lon, _lat: True
    w, s, e, n = bbox
    return lambda lon, lat: w <= lon <= e and s <= lat <= n


def _runs(refs: list[int], keep: Callable[[int], bool]) -> Iterable[list[int]]:
    """Maximal runs of consecutive kept nodes, so a way is cut, not bridged, at a gap."""
    run: list[int] = []
    for n in refs:
        if keep(n):
            run.append(n)
        else:
            if len(run) >= 2:
                yield run
            run = []
    if len(run) >= 2:
        yield run


def _street_graph(
    data: OsmData, bbox: tuple[float, float, float, float] | None
) -> tuple[nx.MultiDiGraph, set[int]]:
    from osmnx import distance, simplification, truncate
    from osmnx import graph as oxgraph

    drive = {w for w, t in data.way_tags.items() if is_drivable(t)}
    drive_nodes = {n for w in drive for n in data.ways[w]}
    used = [w for w, refs in data.ways.items() if w in drive or any(n in drive_nodes for n in refs)]
    inside = _in_bbox(bbox)

    def keep(n: int) -> bool:
        pt = data.nodes.get(n)
        return pt is not None and inside(*pt)

    nodes: dict[int, dict[str, Any]] = {}
    paths = []
    for w in used:
        tags = data.way_tags.get(w, {})
        for run in _runs(data.ways[w], keep):
            # osmnx's own converters, so edge attributes match graph_from_xml's.
            path = oxgraph._convert_path({"id": w, "nodes": run, "tags": tags})
            path["drivable"] = w in drive
            paths.append(path)
            for n in run:
                if n not in nodes:
                    lon, lat = data.nodes[n]
                    nodes[n] = oxgraph._convert_node(
                        {"lon": lon, "lat": lat, "tags": data.node_tags.get(n, {})}
                    )
    graph = nx.MultiDiGraph(crs="epsg:4326")
    graph.add_nodes_from(nodes.items())
    oxgraph._add_paths(graph, paths, False)
    if graph.number_of_edges() == 0:
        return graph, drive
    graph = distance.add_edge_lengths(graph)
    graph = truncate.largest_component(graph, strongly=False)
    # Never merge a drivable way with a footway or driveway that continues it:
    # a street edge must be street all along.
    graph = simplification.simplify_graph(graph, edge_attrs_differ=["drivable"])
    drop = [(u, v, k) for u, v, k, ok in graph.edges(keys=True, data="drivable") if ok is not True]
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    return graph, drive


def _text(value: Any) -> str:
    """An OSM attribute as text: lists (merged ways) joined with ';', missing as ''."""
    if isinstance(value, list | tuple | set):
        return ";".join(dict.fromkeys(_text(v) for v in value if _text(v)))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _oneway(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(_oneway(v) for v in value)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "-1")
    return bool(value) if value is not None and value == value else False


def streets_from_graph(graph: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    """The streets layer from an osmnx graph (lon/lat, simplified or not)."""
    import osmnx as ox

    if graph.number_of_edges() == 0:
        return empty_layer("streets")
    edges = ox.convert.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True).reset_index()
    if edges.crs is not None and not edges.crs.equals(CRS):
        edges = edges.to_crs(CRS)

    def col(name: str) -> list[Any]:
        return list(edges[name]) if name in edges.columns else [None] * len(edges)

    lengths = [float(x) if x is not None and x == x else 0.0 for x in col("length")]
    rows = [
        {
            "u": int(u), "v": int(v), "key": int(k), "osmid": _text(osmid), "name": _text(name),
            "highway": _text(hw), "lanes": _text(lanes), "oneway": _oneway(ow),
            "maxspeed": _text(ms), "length_m": length,
        }
        for u, v, k, osmid, name, hw, lanes, ow, ms, length in zip(
            col("u"), col("v"), col("key"), col("osmid"), col("name"), col("highway"),
            col("lanes"), col("oneway"), col("maxspeed"), lengths, strict=True,
        )
    ]  # fmt: skip
    return _layer("streets", rows, list(edges.geometry))


# ------------------------------------------------------------------------ geometry


def _way_coords(data: OsmData, refs: list[int]) -> list[tuple[float, float]]:
    return [data.nodes[n] for n in refs if n in data.nodes]


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygonal part of ``geom`` (after make_valid), or ``None``."""
    if geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def _valid(geom: BaseGeometry, label: str, warnings: list[str]) -> BaseGeometry | None:
    """A building made valid; ``None`` (and a warning) when nothing or too much is left."""
    if geom.is_valid:
        return geom
    if count_crossings(geom, limit=MAX_REPAIR_CROSSINGS) > MAX_REPAIR_CROSSINGS:
        # make_valid's cost grows with the square of the crossings; a building left
        # out hides nothing, which errs on the side of protection.
        warnings.append(f"{label}: building outline too tangled to repair, left out")
        return None
    fixed = _polygonal(shapely.make_valid(geom))
    warnings.append(f"{label}: invalid polygon repaired (make_valid)")
    return fixed


def _way_polygon(data: OsmData, way: int) -> BaseGeometry | None:
    refs = data.ways.get(way, [])
    coords = _way_coords(data, refs)
    if len(refs) >= 4 and refs[0] == refs[-1] and len(coords) == len(refs):
        return shapely.Polygon(coords)
    return None


def _relation_polygon(data: OsmData, rel: int) -> BaseGeometry | None:
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
    shell = _polygonal(shapely.polygonize(outer))
    if shell is None:
        return None
    if inner:
        holes = _polygonal(shapely.polygonize(inner))
        if holes is not None:
            shell = shell.difference(holes)
    return shell if not shell.is_empty else None


def _object_geometry(data: OsmData, kind: str, oid: int) -> BaseGeometry | None:
    if kind == "node":
        pt = data.nodes.get(oid)
        return shapely.Point(pt) if pt is not None else None
    if kind == "way":
        poly = _way_polygon(data, oid)
        if poly is not None:
            return poly
        # An open way (or one cut at the edge of the extract) tagged as a site:
        # its convex hull is the best area we have; a single point is a point.
        coords = _way_coords(data, data.ways.get(oid, []))
        return _hull(coords)
    poly = _relation_polygon(data, oid)
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


def _is_area_relation(tags: Mapping[str, str]) -> bool:
    return tags.get("type") in ("multipolygon", "boundary")


# ----------------------------------------------------------------------- buildings


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


def buildings_from_osm_data(data: OsmData, warnings: list[str]) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    candidates: Sequence[tuple[str, int, Mapping[str, str]]] = [
        ("way", w, t) for w, t in data.way_tags.items()
    ] + [("relation", r, t) for r, t in data.relation_tags.items() if _is_area_relation(t)]
    open_ways = 0
    for kind, oid, tags in candidates:
        if tags.get("building", "no") == "no":
            continue
        geom = _way_polygon(data, oid) if kind == "way" else _relation_polygon(data, oid)
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
    return _layer("buildings", rows, geoms)


# --------------------------------------------------------------------------- sites


def sites_from_osm_data(
    data: OsmData, rules: CategoryRules, warnings: list[str]
) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    candidates: Sequence[tuple[str, int, Mapping[str, str]]] = (
        [("node", n, t) for n, t in data.node_tags.items()]
        + [("way", w, t) for w, t in data.way_tags.items()]
        + [("relation", r, t) for r, t in data.relation_tags.items() if _is_area_relation(t)]
    )
    # A multipolygon's outer ways sometimes repeat the relation's tags (old
    # tagging style); the relation is the site, so its members are skipped.
    member_of_site: set[int] = set()
    for rid, rel_tags in data.relation_tags.items():
        if _is_area_relation(rel_tags) and rules.classify(rel_tags) is not None:
            member_of_site.update(ref for t, ref, _ in data.relations[rid] if t == "way")
    for kind, oid, tags in candidates:
        rule = rules.classify(tags)
        if rule is None or (kind == "way" and oid in member_of_site):
            continue
        geom = _object_geometry(data, kind, oid)
        if geom is None:
            warnings.append(f"{kind}/{oid}: {rule.category} site without usable geometry skipped")
            continue
        if geom.geom_type != "Point":
            # Never dropped: a site with no area keeps its outline (see site_geometry).
            geom = protect_site_geometry(geom, data.source, f"{kind}/{oid}", warnings)
        site_id = f"{kind}/{oid}"
        rows.append(
            {
                "site_id": site_id,
                "category": rule.category,
                "name": tags.get("name", ""),
                "source": "osm",
                "source_id": site_id,
                "tags": json.dumps(dict(sorted(tags.items())), ensure_ascii=False),
                "verified": rule.verified,
            }
        )
        geoms.append(geom)
    return _layer("sites", rows, geoms)


def entrances_for_sites(data: OsmData, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if sites.empty:
        return empty_layer("entrances")
    public = {w for w, t in data.way_tags.items() if is_drivable(t)}
    found = find_entrances(
        data, list(zip(sites["site_id"], sites.geometry, strict=True)), public_way_ids=public
    )
    rows = [{"entrance_id": e.entrance_id, "site_id": e.site_id, "basis": e.basis} for e in found]
    return _layer("entrances", rows, [shapely.Point(e.lon, e.lat) for e in found])


# ------------------------------------------------------------------------- cameras


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
    return _layer("cameras_existing", rows, geoms)


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


# ---------------------------------------------------------------------- pipeline


def _check_bbox(bbox: tuple[float, float, float, float] | None) -> None:
    if bbox is None:
        return
    try:
        w, s, e, n = (float(v) for v in bbox)
    except (TypeError, ValueError):
        msg = f"must be four numbers W S E N, got {bbox!r}"
        raise InputError("--bbox", "", msg) from None
    if not all(math.isfinite(v) for v in (w, s, e, n)) or not (
        -180 <= w < e <= 180 and -90 <= s < n <= 90
    ):
        msg = f"must be W S E N with W < E and S < N in degrees, got {w} {s} {e} {n}"
        raise InputError("--bbox", "", msg)


def _clip(frame: gpd.GeoDataFrame, bbox: tuple[float, float, float, float] | None) -> Any:
    if bbox is None or frame.empty:
        return frame
    return frame[frame.intersects(shapely.box(*bbox))].reset_index(drop=True)


def layers_from_osm_data(
    data: OsmData,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    rules: CategoryRules | None = None,
    catalogue: Any = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> OsmLayers:
    """Build every layer from parsed OSM objects."""
    rules = rules or load_category_rules()
    say = progress or (lambda _m, _f: None)
    layers = OsmLayers(osm_timestamp=data.timestamp, rules_used=rules.as_dict())
    say("building the street network", 0.55)
    graph, _drive = _street_graph(data, bbox)
    layers.streets = streets_from_graph(graph)
    check_cancel(cancel)
    say("reading buildings", 0.7)
    layers.buildings = _clip(buildings_from_osm_data(data, layers.warnings), bbox)
    check_cancel(cancel)
    say("finding protected sites", 0.8)
    layers.sites = _clip(sites_from_osm_data(data, rules, layers.warnings), bbox)
    check_cancel(cancel)
    say("finding site entrances", 0.9)
    layers.entrances = entrances_for_sites(data, layers.sites)
    check_cancel(cancel)
    say("reading existing cameras", 0.95)
    layers.cameras_existing = _clip(cameras_from_osm_data(data, catalogue=catalogue), bbox)
    say("done", 1.0)
    return layers


def _sniff(path: Path) -> str:
    """The source kind from the file name, checked against the first bytes."""
    name = path.name.lower()
    if name.endswith(".pbf"):
        return "pbf"
    if name.endswith(".graphml") or name.endswith(".graphml.gz"):
        return "graphml"
    if name.endswith((".geojson", ".geojson.gz", ".json", ".json.gz")):
        return "json"
    if name.endswith((".osm", ".osm.bz2", ".osm.gz", ".osm.xz", ".xml", ".xml.bz2", ".xml.gz")):
        return "xml"
    msg = (
        "unknown OSM source type; expected .osm, .osm.bz2, .osm.pbf, .graphml, "
        ".json/.json.gz (Overpass) or .geojson (ALPR dump)"
    )
    raise InputError(str(path), "", msg)


def _first_byte(path: Path) -> bytes:
    try:
        with open_maybe_compressed(path) as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        msg = "file not found"
        raise InputError(str(path), "", msg) from None
    except (OSError, EOFError) as exc:
        msg = f"cannot read the file (truncated, or not compressed as its name says?): {exc}"
        raise InputError(str(path), "", msg) from None
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1]


#: A GraphML street file larger than this is refused (a whole city is ~100 MB).
MAX_GRAPHML_BYTES = 1024**3


def load_street_graphml(path: str | Path) -> nx.MultiDiGraph:
    """Read an osmnx street GraphML file safely and validate every coordinate.

    The file goes through the same DOCTYPE/ENTITY refusal as OSM XML before osmnx
    parses it; then every node needs finite ``x``/``y`` in lon [-180, 180] / lat
    [-90, 90] (an edge naming a node the file does not define creates a node
    without them), every edge geometry the same, and the graph at least one edge.
    """
    import osmnx as ox

    path = Path(path)
    file = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(file, "", f"cannot read: {exc.strerror or exc}") from None
    if size > MAX_GRAPHML_BYTES:
        msg = f"file is too large ({size:,} bytes; the limit is {MAX_GRAPHML_BYTES:,})"
        raise InputError(file, "", msg)
    root = check_xml_prolog(path, kind="GraphML file")
    if root.split("}")[-1] != "graphml":
        msg = f"not a GraphML file (the root element is <{root}>)"
        raise InputError(file, "", msg)
    try:
        graph = ox.load_graphml(path)
    except Exception as exc:  # networkx/osmnx raise many types for bad GraphML
        first = str(exc).splitlines()[0] if str(exc) else ""
        msg = f"not an osmnx street GraphML file: {type(exc).__name__}: {first}"
        raise InputError(file, "", msg) from None
    _check_graph(graph, file)
    return graph


def _check_graph(graph: nx.MultiDiGraph, file: str) -> None:
    for node, attrs in graph.nodes(data=True):
        x, y = attrs.get("x"), attrs.get("y")
        where = f"node {str(node)[:40]!r}"
        if x is None or y is None:
            msg = "has no x/y coordinates (an edge refers to a node the file does not define?)"
            raise InputError(file, where, msg)
        try:
            lon, lat = float(x), float(y)
        except (TypeError, ValueError):
            raise InputError(file, where, f"x/y must be numbers, got {x!r}, {y!r}") from None
        check_lonlat(file, where, lon, lat)
    if graph.number_of_edges() == 0:
        raise InputError(file, "", "the graph has no edges (no streets)")
    for u, v, k, geom in graph.edges(keys=True, data="geometry"):
        if geom is None:
            continue
        where = f"edge {str(u)[:20]}-{str(v)[:20]} key {k}"
        if not isinstance(geom, BaseGeometry) or geom.geom_type != "LineString":
            raise InputError(file, where, "geometry must be a LineString")
        xy = shapely.get_coordinates(geom)
        if len(xy) > MAX_WAY_NODES:
            msg = f"geometry has {len(xy):,} positions (the limit is {MAX_WAY_NODES:,})"
            raise InputError(file, where, msg)
        for lon, lat in xy:
            check_lonlat(file, where, float(lon), float(lat))


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    return load_street_graphml(path)


def read_graphml_streets(path: str | Path) -> gpd.GeoDataFrame:
    """The street edges of a validated osmnx GraphML file, in EPSG:4326."""
    import osmnx as ox

    graph = load_street_graphml(path)
    try:
        edges = ox.convert.graph_to_gdfs(graph, nodes=False).reset_index()
    except Exception as exc:  # osmnx raises ValueError/KeyError for inconsistent graphs
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(str(path), "", f"not a usable street graph: {first}") from None
    return edges.to_crs(CRS) if edges.crs is not None else edges


def _read_pbf(path: Path, cancel: CancelFn | None) -> OsmData:
    try:
        import osmium
    except ImportError:
        msg = "reading .osm.pbf needs the 'osmium' package (pip install osmium)"
        raise InputError(str(path), "", msg) from None
    data = OsmData(source=str(path))
    try:
        header = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING).header()
        base = header.get("osmosis_replication_timestamp", "")
        data.base_timestamp = base or None
        data.generator = header.get("generator", "")
        for count, obj in enumerate(osmium.FileProcessor(str(path))):
            if count % 100_000 == 0:
                check_cancel(cancel)
            if not isinstance(obj, osmium.osm.Node | osmium.osm.Way | osmium.osm.Relation):
                continue  # areas and changesets: a plain read yields neither
            tags = {t.k: t.v for t in obj.tags}
            ts = obj.timestamp
            if ts is not None and ts.year > 1970:
                data.note_timestamp(ts.strftime("%Y-%m-%dT%H:%M:%SZ"))
            if isinstance(obj, osmium.osm.Node):
                if obj.location.valid():
                    data.nodes[obj.id] = (obj.location.lon, obj.location.lat)
                if tags:
                    data.node_tags[obj.id] = tags
            elif isinstance(obj, osmium.osm.Way):
                data.ways[obj.id] = [n.ref for n in obj.nodes]
                data.way_tags[obj.id] = tags
            elif isinstance(obj, osmium.osm.Relation):
                kinds = {"n": "node", "w": "way", "r": "relation"}
                data.relations[obj.id] = [
                    (kinds[m.type], m.ref, m.role) for m in obj.members if m.type in kinds
                ]
                data.relation_tags[obj.id] = tags
    except RuntimeError as exc:
        msg = f"cannot read the PBF file: {exc}"
        raise InputError(str(path), "", msg) from None
    return data


def read_osm_source(
    source: str | Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    rules: CategoryRules | None = None,
    catalogue: Any = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> OsmLayers:
    """Read one local OSM source into pack layers.

    Parameters
    ----------
    source
        The file (see the module docstring for the formats).
    bbox
        ``(west, south, east, north)`` in degrees; everything outside is dropped.
    rules
        Category rules; by default ``data/osm_categories.toml``.
    catalogue
        Camera catalogue for fov/range by brand; by default the built-in one.
    progress
        Called with a message and the fraction done (0..1).
    cancel
        Polled now and then; when it returns true, :class:`CheckCancelled` is raised.

    Returns
    -------
    OsmLayers

    Raises
    ------
    InputError
        For a missing, malformed, truncated or unsafe file, a file that is not OSM
        data, or an area (bbox) with nothing in it.
    """
    path = Path(source)
    file = str(path)
    _check_bbox(bbox)
    say = progress or (lambda _m, _f: None)
    if not path.exists():
        msg = "file not found"
        raise InputError(file, "", msg)
    if path.is_dir():
        msg = "is a folder, not an OSM file"
        raise InputError(file, "", msg)
    kind = _sniff(path)
    say(f"reading {path.name}", 0.0)
    if kind == "graphml":
        graph = _read_graphml(path)
        if bbox is not None:
            from osmnx import truncate

            try:
                graph = truncate.truncate_graph_bbox(graph, bbox)
            except ValueError:  # osmnx raises when nothing is left
                graph = nx.MultiDiGraph()
        layers = OsmLayers(rules_used=(rules or load_category_rules()).as_dict())
        layers.streets = streets_from_graph(graph)
        created = graph.graph.get("created_date")
        layers.osm_timestamp = str(created) if created else None
    elif kind == "json":
        doc = load_json_file(path)
        if isinstance(doc, Mapping) and "elements" in doc:
            data = osm_data_from_overpass(doc, source=file, cancel=cancel)
            say("parsed Overpass JSON", 0.5)
            layers = layers_from_osm_data(
                data,
                bbox=bbox,
                rules=rules,
                catalogue=catalogue,
                progress=progress,
                cancel=cancel,
            )
        elif isinstance(doc, Mapping) and doc.get("type") == "FeatureCollection":
            layers = OsmLayers(rules_used=(rules or load_category_rules()).as_dict())
            layers.cameras_existing = _clip(
                cameras_from_alpr_geojson(doc, source=file, catalogue=catalogue), bbox
            )
        else:
            msg = "neither an Overpass API response ('elements') nor a GeoJSON FeatureCollection"
            raise InputError(file, "", msg)
    else:
        if kind == "xml":
            first = _first_byte(path)
            if first != b"<":
                what = "empty" if not first else f"it starts with {first!r}, not '<'"
                msg = f"not an OSM XML file ({what})"
                raise InputError(file, "line 1", msg)
            data = read_osm_xml(
                path, progress=lambda f: say(f"reading {path.name}", 0.5 * f), cancel=cancel
            )
        else:
            data = _read_pbf(path, cancel)
        if data.is_empty():
            msg = "the file holds no OSM nodes, ways or relations"
            raise InputError(file, "", msg)
        layers = layers_from_osm_data(
            data, bbox=bbox, rules=rules, catalogue=catalogue, progress=progress, cancel=cancel
        )
    if layers.is_empty():
        where = "bbox " + " ".join(f"{v:g}" for v in bbox) if bbox is not None else ""
        what = (
            "no streets, buildings, sites or cameras inside the bounding box"
            if bbox is not None
            else "no streets, buildings, sites or cameras in this file"
        )
        raise InputError(file, where, what)
    return layers


def fetch_osm(
    place_or_bbox: str | tuple[float, float, float, float],
    *,
    rules: CategoryRules | None = None,
    catalogue: Any = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> OsmLayers:
    """Download an area from the Overpass API with osmnx and build its layers.

    Parameters
    ----------
    place_or_bbox
        A place name osmnx can geocode (``"San José, California"``) or a bbox
        ``(west, south, east, north)``.

    The download is the union of every highway way in the area (osmnx's ``all``
    network, which includes the service roads entrances need) and the objects
    that can be sites, buildings, gates and ALPR cameras, each with its nodes and
    member ways; the result then goes through the same pipeline as a file.
    """
    from planner.io.config.network import require

    # Before osmnx is imported: its geocoder and Overpass calls are the connections.
    target = place_or_bbox if isinstance(place_or_bbox, str) else ",".join(map(str, place_or_bbox))
    require("osm", target)
    try:
        return _download_osm(
            place_or_bbox, rules=rules, catalogue=catalogue, progress=progress, cancel=cancel
        )
    except _download_errors() as exc:
        # a failed download is the user's input (a place, a bbox, the network), said in
        # one line, never an internal error
        raise InputError(
            "Overpass API", target, f"the download failed: {type(exc).__name__}: {exc}"
        ) from None


def _download_errors() -> tuple[type[BaseException], ...]:
    import requests
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    return (requests.RequestException, InsufficientResponseError, ResponseStatusCodeError)


def _download_osm(
    place_or_bbox: str | tuple[float, float, float, float],
    *,
    rules: CategoryRules | None,
    catalogue: Any,
    progress: ProgressFn | None,
    cancel: CancelFn | None,
) -> OsmLayers:
    from osmnx import _overpass, geocoder

    say = progress or (lambda _m, _f: None)
    if isinstance(place_or_bbox, str):
        say(f"geocoding {place_or_bbox}", 0.0)
        polygon = geocoder.geocode_to_gdf(place_or_bbox).geometry.iloc[0]
        bbox = None
        label = place_or_bbox
    else:
        _check_bbox(place_or_bbox)
        w, s, e, n = (float(v) for v in place_or_bbox)
        bbox = (w, s, e, n)
        polygon = shapely.box(*bbox)
        label = "bbox " + " ".join(f"{v:g}" for v in bbox)
    rules = rules or load_category_rules()
    feature_tags: dict[str, bool | str | list[str]] = {
        "building": True,
        "barrier": True,
        "entrance": True,
        "man_made": "surveillance",
    }
    for rule in rules.rules:
        for test in (*rule.all, *(t for group in rule.any for t in group)):
            # Asking Overpass for every named object would download the whole
            # area; name/brand rules still apply to the clinics fetched by tag.
            if test.key not in _NAME_KEYS:
                feature_tags.setdefault(test.key, True)
    data = OsmData(source=f"Overpass API ({label})")
    say("downloading streets", 0.05)
    responses = list(_overpass._download_overpass_network(polygon, "all", None))
    check_cancel(cancel)
    say("downloading sites, buildings and cameras", 0.3)
    responses += list(_overpass._download_overpass_features(polygon, feature_tags))
    for resp in responses:
        part = osm_data_from_overpass(resp, source=data.source, cancel=cancel)
        data.nodes.update(part.nodes)
        data.node_tags.update(part.node_tags)
        data.ways.update(part.ways)
        data.way_tags.update(part.way_tags)
        data.relations.update(part.relations)
        data.relation_tags.update(part.relation_tags)
        data.base_timestamp = max(
            filter(None, [data.base_timestamp, part.base_timestamp]), default=None
        )
        data.note_timestamp(part.newest_timestamp)
    if data.is_empty():
        msg = "Overpass returned no OSM data for this area"
        raise InputError(data.source, "", msg)
    layers = layers_from_osm_data(
        data, bbox=bbox, rules=rules, catalogue=catalogue, progress=progress, cancel=cancel
    )
    return layers
