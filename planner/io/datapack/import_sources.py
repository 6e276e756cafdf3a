"""An import's sources: files or downloads read into layers, and the record of each.

A SOURCE is a file (OSM XML, PBF, GraphML, Overpass JSON, an ALPR dump) or, when no
such file exists and it does not look like a path, a place name or ``W,S,E,N`` to
download. Every file read is recorded in the pack's metadata with its sha256, size
and date (:func:`file_info`), so a report can say what the data dates from.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import geopandas as gpd

from planner.io.datapack.addresses import address_layer_of, read_address_points
from planner.io.datapack.basis import file_date
from planner.io.datapack.import_merge import ID_COLUMNS, BBox
from planner.io.datapack.store import Cancel, Progress
from planner.io.openstreetmap.data import check_bbox
from planner.io.safety.common import sha256_file

#: File name endings that mark a SOURCE as a file (so a typo is "file not found",
#: not a place name sent to a geocoder).
_FILE_HINTS = (
    ".osm",
    ".pbf",
    ".bz2",
    ".gz",
    ".xml",
    ".graphml",
    ".json",
    ".geojson",
    ".gpkg",
    ".zip",
)
_BBOX_RE = re.compile(r"^\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*$")


def is_online(source: str) -> bool:
    """True when ``source`` is a place name or ``W,S,E,N`` rather than a file."""
    if Path(source).exists() or source.startswith("/vsi"):
        return False
    if _BBOX_RE.match(source):
        return True
    looks_like_file = "/" in source or "\\" in source or source.lower().endswith(_FILE_HINTS)
    return not looks_like_file


def read_source(
    source: str, *, bbox: BBox | None, progress: Progress, cancel: Cancel | None
) -> tuple[Any, dict[str, Any]]:
    """One SOURCE's layers (downloaded or read from the file) and its metadata record."""
    from planner.io.openstreetmap import download
    from planner.io.openstreetmap import layers as osm

    if is_online(source):
        m = _BBOX_RE.match(source)
        target: str | BBox = check_bbox([float(g) for g in m.groups()]) if m else source  # type: ignore[assignment]
        layers = download.fetch_osm(target, progress=progress, cancel=cancel)
        if bbox is not None:
            layers = _clip_layers(layers, bbox)
        info: dict[str, Any] = {
            "path": source,
            "kind": "online",
            "sha256": None,
            "fetched": now_text(),
        }
    else:
        path = Path(source)
        layers = osm.read_osm_source(path, bbox=bbox, progress=progress, cancel=cancel)
        info = {
            "path": str(path),
            "name": path.name,
            "kind": "osm",
            "sha256": sha256_file(path),
            "size_bytes": path.stat().st_size,
            "file_date": file_date(path),
        }
    info["osm_timestamp"] = getattr(layers, "osm_timestamp", None)
    info["features"] = {name: len(getattr(layers, name)) for name in ID_COLUMNS}
    return layers, info


def _clip_layers(layers: Any, bbox: BBox) -> Any:
    import shapely

    box = shapely.box(*bbox)
    for name in ID_COLUMNS:
        frame = getattr(layers, name)
        if len(frame):
            setattr(layers, name, frame[frame.intersects(box)].reset_index(drop=True))
    return layers


def now_text() -> str:
    """The time now in UTC, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def address_points(
    layer: str | Path, box: BBox | None, source_info: list[dict[str, Any]]
) -> gpd.GeoDataFrame | None:
    """The address points that ship beside a buildings layer (a GeoPackage's second layer)."""
    name = address_layer_of(layer)
    if name is None:
        return None
    frame = read_address_points(layer, layer=name, bbox=box)
    source_info[-1]["address_points"] = {"layer": name, "features": len(frame)}
    return frame


def file_info(
    path: str, kind: str, features: int, *, mapping: dict[str, str] | None = None
) -> dict[str, Any]:
    """The metadata record of a GIS file: path, kind, features, sha256, size and date."""
    p = Path(path)
    real = p if p.exists() else None
    if real is None and path.startswith("/vsizip/"):
        # The hash is of the archive the user named.
        zip_part = path[len("/vsizip/") :].split(".zip", 1)[0] + ".zip"
        real = Path(zip_part) if Path(zip_part).exists() else None
    info: dict[str, Any] = {
        "path": path,
        "name": p.name,
        "kind": kind,
        "features": features,
        "sha256": sha256_file(real) if real else None,
    }
    if real is not None:
        info["size_bytes"] = real.stat().st_size
        # what the report says the site data dates from, beside an OSM timestamp
        info["file_date"] = file_date(real)
    if mapping:
        info["mapping"] = dict(mapping)
    return info
