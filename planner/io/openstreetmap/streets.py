"""The streets layer: the drivable network, with osmnx ``network_type="drive"`` semantics.

Like :func:`osmnx.graph_from_xml`, the graph is built from the drivable ways and
every way that shares a node with one (so a footway, driveway or railway crossing
a street still splits it there), reduced to its largest weakly connected
component and simplified without ever merging a drivable way with a non-drivable
one; then only the drivable edges are kept. On the downtown San José extract this
gives the 1,195 edges of the osmnx GraphML in the shared data, 1,193 of them
identical (the GraphML merged one street with the service road continuing it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

import geopandas as gpd
import networkx as nx

from planner.io.openstreetmap.data import OsmData
from planner.io.openstreetmap.frames import CRS, empty_layer, make_layer


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


def street_graph(
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
    """An OSM attribute as text: lists (merged ways) joined with ';', missing as ''.

    A merged way's values are sorted: osmnx gathers them through a set, whose order
    follows the interpreter's hash seed, and a pack must not change from one import of
    the same sources to the next.
    """
    if isinstance(value, list | tuple | set):
        return ";".join(sorted({_text(v) for v in value} - {""}))
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
    return make_layer("streets", rows, list(edges.geometry))
