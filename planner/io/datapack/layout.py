"""The fixed layout of a data pack, and frames conformed to it.

The layout is fixed because other tools (QGIS, ``check --data``, the desktop app)
rely on it:

=====================  =========================================================
layer                  contents
=====================  =========================================================
``streets``            drivable edges (LineString): u, v, key, osmid, name,
                       highway, lanes, oneway, maxspeed, length_m
``buildings``          footprints (Polygon/MultiPolygon): building_id, height
                       (NaN unknown), source
``sites``              protected sites (Point, Polygon or MultiPolygon in one
                       layer, GeoPackage type GEOMETRY): site_id, category, name,
                       source, source_id, tags (JSON), verified
``entrances``          vehicle entrances (Point): entrance_id, site_id, basis
``cameras_existing``   deployed cameras (Point): camera_id, heading_deg (NaN
                       unknown), fov_deg, range_m, brand, direction_raw,
                       operator, source_id, tags (JSON)
``boundaries``         optional: city limits, council districts: name, kind
``addresses``          optional: address points: address, housenumber, street, unit...
``pack_metadata``      attribute table of ``key`` / ``value`` (JSON text) rows:
                       sources with sha256, OSM timestamp, import time, tool
                       version, tag rules, attribution
=====================  =========================================================

Every layer is EPSG:4326 with a spatial index, so the file opens as-is in QGIS.

:func:`conform_layer` gives any frame exactly a layer's columns, :func:`repair_layer`
checks its geometry types and repairs invalid polygons, saying so; :func:`check_ids` and
:func:`where_in_layer` are the id checks and row names both the writer and the reader use.
"""

from __future__ import annotations

import json
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.core.errors import InputError
from planner.io.datapack.layer_geoms import (
    check_layer_geoms,
    repair_layer_polygons,
    repair_messages,
)

PACK_FORMAT = "siting-planner-pack"
PACK_FORMAT_VERSION = 1
ATTRIBUTION = "© OpenStreetMap contributors"
METADATA_LAYER = "pack_metadata"

#: Column name -> kind ("str", "int", "float", "bool", "json") per spatial layer, in order.
SCHEMAS: dict[str, dict[str, str]] = {
    "streets": {
        "u": "int",
        "v": "int",
        "key": "int",
        "osmid": "str",
        "name": "str",
        "highway": "str",
        "lanes": "str",
        "oneway": "bool",
        "maxspeed": "str",
        "length_m": "float",
    },
    "buildings": {"building_id": "str", "height": "float", "source": "str"},
    "sites": {
        "site_id": "str",
        "category": "str",
        "name": "str",
        "source": "str",
        "source_id": "str",
        "tags": "json",
        "verified": "nbool",
        "footprint_protected": "bool",
    },
    "entrances": {"entrance_id": "str", "site_id": "str", "basis": "str"},
    "cameras_existing": {
        "camera_id": "str",
        "heading_deg": "float",
        "fov_deg": "float",
        "range_m": "float",
        "brand": "str",
        "direction_raw": "str",
        "operator": "str",
        "source_id": "str",
        "tags": "json",
    },
    "boundaries": {"name": "str", "kind": "str"},
    "addresses": {
        "address": "str",
        "housenumber": "str",
        "street": "str",
        "unit": "str",
        "postcode": "str",
        "city": "str",
        "source": "str",
    },
}
#: Columns added after packs were first written: a pack without one reads as the default.
OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {"sites": frozenset({"footprint_protected"})}
REQUIRED_LAYERS: tuple[str, ...] = (
    "streets",
    "buildings",
    "sites",
    "entrances",
    "cameras_existing",
)
OPTIONAL_LAYERS: tuple[str, ...] = ("boundaries", "addresses")
#: Optional layers read_pack loads only when asked by name (the app's search reads
#: the 100,000+ addresses itself, on a worker).
ON_REQUEST_LAYERS = {"addresses"}
SPATIAL_LAYERS: tuple[str, ...] = REQUIRED_LAYERS + OPTIONAL_LAYERS

#: Allowed shapely geometry type ids per layer; the GeoPackage geometry type written.
POINT, LINE, POLY, MLINE, MPOLY = 0, 1, 3, 5, 6
GEOM_TYPES: dict[str, tuple[set[int], str]] = {
    "streets": ({LINE, MLINE}, "LineString"),
    # Multi-part footprints are split on writing: a plain Polygon layer opens
    # cleanly in QGIS and its WKB decodes about a third faster.
    "buildings": ({POLY, MPOLY}, "Polygon"),
    "sites": ({POINT, POLY, MPOLY}, "Unknown"),
    "entrances": ({POINT}, "Point"),
    "cameras_existing": ({POINT}, "Point"),
    "boundaries": ({POLY, MPOLY}, "MultiPolygon"),
    "addresses": ({POINT}, "Point"),
}
POLYGON_LAYERS = {"buildings", "sites", "boundaries"}
#: Layers small enough to validate geometry on every read; the large ones are validated
#: when written and re-validated only if the file was changed since (see read_pack).
LARGE_LAYERS = {"streets", "buildings"}

#: Columns read_pack loads into DataPack.streets / DataPack.buildings.
STREET_COLUMNS = ("u", "v", "key", "name", "highway", "lanes", "oneway", "maxspeed", "length_m")
BUILDING_COLUMNS = ("building_id", "height")


def empty_layer(name: str) -> gpd.GeoDataFrame:
    """An empty frame with the fixed columns of layer ``name``."""
    return conform_layer(name, None)


def _coerce(kind: str, values: pd.Series | None, n: int) -> pd.Series | np.ndarray:
    if values is None:
        if kind == "int":
            return np.zeros(n, dtype=np.int64)
        if kind == "float":
            return np.full(n, np.nan)
        if kind == "bool":
            return np.zeros(n, dtype=bool)
        if kind == "nbool":
            return pd.array([pd.NA] * n, dtype="boolean")
        if kind == "json":
            return np.full(n, "{}", dtype=object)
        return np.full(n, None, dtype=object)
    if kind == "int":
        return pd.to_numeric(values, errors="coerce").fillna(0).astype(np.int64).to_numpy()
    if kind == "float":
        return pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    if kind == "bool":
        return values.fillna(False).astype(bool).to_numpy()
    if kind == "nbool":
        return pd.array([None if isnull(v) else bool(v) for v in values], dtype="boolean")
    if kind == "json":
        return np.array(
            [
                v if isinstance(v, str) else json.dumps({} if isnull(v) else v, sort_keys=True)
                for v in values
            ],
            dtype=object,
        )
    return np.array([None if isnull(v) else str(v) for v in values], dtype=object)


def isnull(value: Any) -> bool:
    """None, pandas' NA or a float NaN: a cell with no value."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def conform_layer(name: str, frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Return ``frame`` with exactly the fixed columns of layer ``name``, in EPSG:4326.

    Missing columns get a neutral value (null text, NaN, False); extra columns are
    dropped, because the layout is a contract.
    """
    schema = SCHEMAS[name]
    if frame is None:
        frame = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    elif not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    n = len(frame)
    data = {
        col: _coerce(kind, frame[col] if col in frame.columns else None, n)
        for col, kind in schema.items()
    }
    return gpd.GeoDataFrame(
        data, geometry=np.asarray(frame.geometry.values, dtype=object), crs="EPSG:4326"
    )


def where_in_layer(
    layer: str, i: int, frame: pd.DataFrame | None = None, id_col: str | None = None
) -> str:
    """Row ``i`` of a layer for a message, with its id when the frame has one."""
    where = f"layer {layer}, feature {i + 1}"
    if frame is not None and id_col is not None and id_col in frame.columns and i < len(frame):
        value = frame[id_col].iloc[i]
        if not isnull(value):
            where += f" ({id_col} {str(value)!r})"
    return where


def check_ids(name: str, frame: gpd.GeoDataFrame, *, file: str) -> None:
    """Every row of a layer with ids has one, and no two the same."""
    id_col = {"sites": "site_id", "entrances": "entrance_id", "cameras_existing": "camera_id"}.get(
        name
    )
    if id_col is None or len(frame) == 0:
        return
    ids = frame[id_col]
    null = ids.isna().to_numpy()
    if null.any():
        i = int(np.flatnonzero(null)[0])
        raise InputError(file, where_in_layer(name, i), f"{id_col} is missing")
    dup = ids.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(file, where_in_layer(name, i), f"duplicate {id_col} {ids.iloc[i]!r}")


def repair_layer(
    name: str, frame: gpd.GeoDataFrame, *, file: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Validate the geometry of one layer; repair invalid polygons and say so."""
    allowed, _ = GEOM_TYPES[name]
    id_col = next(iter(SCHEMAS[name]))
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if len(geoms) == 0:
        return frame, []

    def where(i: int) -> str:
        return where_in_layer(name, i, frame, id_col)

    types = check_layer_geoms(name, geoms, allowed=allowed, file=file, where=where)
    if name not in POLYGON_LAYERS:
        return frame, []
    geoms, idx, collapsed, reasons = repair_layer_polygons(
        name, geoms, types, file=file, where=where
    )
    if not len(idx):
        return frame, []
    messages = repair_messages(file, idx[:20], collapsed, reasons[:20], where)
    if len(idx) > 20:
        messages.append(f"{file}: layer {name}: {len(idx) - 20} more invalid polygons repaired")
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    if len(collapsed):
        # A footprint with no area hides nothing; it is listed above, not silently lost.
        frame = frame.drop(index=frame.index[collapsed]).reset_index(drop=True)
    return frame, messages
