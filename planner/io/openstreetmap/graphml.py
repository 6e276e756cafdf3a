"""osmnx street GraphML files, read safely and checked.

The file goes through the same DOCTYPE/ENTITY refusal as OSM XML before osmnx parses
it, and every coordinate and edge geometry is checked before the graph is used.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import shapely
from shapely.geometry.base import BaseGeometry

from planner.core.errors import InputError
from planner.io.openstreetmap.data import MAX_WAY_NODES, check_lonlat
from planner.io.openstreetmap.frames import CRS
from planner.io.openstreetmap.xml_reader import check_xml_prolog

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
