"""Read OpenStreetMap sources into the layers of a data pack.

:func:`read_osm_source` reads a local file; :func:`planner.io.openstreetmap.download.fetch_osm`
downloads an area with osmnx. Both return :class:`~planner.io.openstreetmap.frames.OsmLayers`:
streets, buildings, protected sites with their entrances, and the ALPR cameras already
mapped, as GeoDataFrames in EPSG:4326 with fixed columns.

Sources, chosen by file name and checked by content:

- OSM XML (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.xml``): read by the safe
  streaming parser in :mod:`planner.io.openstreetmap.xml_reader` (no DOCTYPE, no entities);
- ``.osm.pbf``: read with ``osmium`` (pyosmium) when it is installed
  (:mod:`planner.io.openstreetmap.pbf_reader`);
- osmnx GraphML (``.graphml``): streets only (:mod:`planner.io.openstreetmap.graphml`);
- an Overpass API JSON response (``.json``, ``.json.gz``);
- an ALPR GeoJSON dump (``.geojson``; features with ``properties.tags``, as made
  from OSM by the nightly Overpass dumps): existing cameras only.

Each layer is built by its own module from the parsed OSM objects
(:func:`layers_from_osm_data`): :mod:`~planner.io.openstreetmap.streets` (the drivable
network, as osmnx builds it), :mod:`~planner.io.openstreetmap.buildings`,
:mod:`~planner.io.openstreetmap.sites` (with their entrances) and
:mod:`~planner.io.openstreetmap.cameras`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import shapely

from planner.core.errors import InputError
from planner.io.openstreetmap.buildings import buildings_from_osm_data
from planner.io.openstreetmap.cameras import cameras_from_alpr_geojson, cameras_from_osm_data
from planner.io.openstreetmap.data import (
    OsmData,
    check_bbox,
    check_cancel,
    load_json_file,
    osm_data_from_overpass,
)
from planner.io.openstreetmap.frames import CancelFn, OsmLayers, ProgressFn
from planner.io.openstreetmap.graphml import load_street_graphml
from planner.io.openstreetmap.pbf_reader import read_pbf
from planner.io.openstreetmap.rules import CategoryRules, load_category_rules
from planner.io.openstreetmap.sites import entrances_for_sites, sites_from_osm_data
from planner.io.openstreetmap.streets import street_graph, streets_from_graph
from planner.io.openstreetmap.xml_reader import open_maybe_compressed, read_osm_xml


def clip_to_bbox(frame: gpd.GeoDataFrame, bbox: tuple[float, float, float, float] | None) -> Any:
    """The rows of ``frame`` meeting ``bbox`` (all of them without one)."""
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
    graph, _drive = street_graph(data, bbox)
    layers.streets = streets_from_graph(graph)
    check_cancel(cancel)
    say("reading buildings", 0.7)
    layers.buildings = clip_to_bbox(buildings_from_osm_data(data, layers.warnings), bbox)
    check_cancel(cancel)
    say("finding protected sites", 0.8)
    layers.sites = clip_to_bbox(sites_from_osm_data(data, rules, layers.warnings), bbox)
    check_cancel(cancel)
    say("finding site entrances", 0.9)
    layers.entrances = entrances_for_sites(data, layers.sites)
    check_cancel(cancel)
    say("reading existing cameras", 0.95)
    layers.cameras_existing = clip_to_bbox(cameras_from_osm_data(data, catalogue=catalogue), bbox)
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
    check_bbox(bbox)
    kind = _source_kind(path)
    say = progress or (lambda _m, _f: None)
    say(f"reading {path.name}", 0.0)
    if kind == "graphml":
        layers = _graphml_layers(path, bbox, rules)
    elif kind == "json":
        layers = _json_layers(
            path, bbox=bbox, rules=rules, catalogue=catalogue, progress=progress, cancel=cancel
        )
    else:
        data = _osm_objects(path, kind, say, cancel)
        layers = layers_from_osm_data(
            data, bbox=bbox, rules=rules, catalogue=catalogue, progress=progress, cancel=cancel
        )
    _refuse_empty(layers, path, bbox)
    return layers


def _refuse_empty(
    layers: OsmLayers, path: Path, bbox: tuple[float, float, float, float] | None
) -> None:
    """A source (or the part of it inside ``bbox``) with nothing to import is an error."""
    if layers.is_empty():
        where = "bbox " + " ".join(f"{v:g}" for v in bbox) if bbox is not None else ""
        what = (
            "no streets, buildings, sites or cameras inside the bounding box"
            if bbox is not None
            else "no streets, buildings, sites or cameras in this file"
        )
        raise InputError(str(path), where, what)


def _source_kind(path: Path) -> str:
    """The kind of an existing file (see :func:`_sniff`); a missing file or a folder is refused."""
    file = str(path)
    if not path.exists():
        msg = "file not found"
        raise InputError(file, "", msg)
    if path.is_dir():
        msg = "is a folder, not an OSM file"
        raise InputError(file, "", msg)
    return _sniff(path)


def _graphml_layers(
    path: Path, bbox: tuple[float, float, float, float] | None, rules: CategoryRules | None
) -> OsmLayers:
    """An osmnx GraphML file: streets only, cut to ``bbox``."""
    graph = load_street_graphml(path)
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
    return layers


def _json_layers(
    path: Path,
    *,
    bbox: tuple[float, float, float, float] | None,
    rules: CategoryRules | None,
    catalogue: Any,
    progress: ProgressFn | None,
    cancel: CancelFn | None,
) -> OsmLayers:
    """An Overpass API response (every layer) or an ALPR GeoJSON dump (cameras only)."""
    file = str(path)
    doc = load_json_file(path)
    if isinstance(doc, Mapping) and "elements" in doc:
        data = osm_data_from_overpass(doc, source=file, cancel=cancel)
        if progress is not None:
            progress("parsed Overpass JSON", 0.5)
        return layers_from_osm_data(
            data, bbox=bbox, rules=rules, catalogue=catalogue, progress=progress, cancel=cancel
        )
    if isinstance(doc, Mapping) and doc.get("type") == "FeatureCollection":
        layers = OsmLayers(rules_used=(rules or load_category_rules()).as_dict())
        layers.cameras_existing = clip_to_bbox(
            cameras_from_alpr_geojson(doc, source=file, catalogue=catalogue), bbox
        )
        return layers
    msg = "neither an Overpass API response ('elements') nor a GeoJSON FeatureCollection"
    raise InputError(file, "", msg)


def _osm_objects(path: Path, kind: str, say: ProgressFn, cancel: CancelFn | None) -> OsmData:
    """The OSM objects of an XML or PBF file; a file with none is refused."""
    file = str(path)
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
        data = read_pbf(path, cancel)
    if data.is_empty():
        msg = "the file holds no OSM nodes, ways or relations"
        raise InputError(file, "", msg)
    return data
