"""Data packs: one GeoPackage holding everything the planner needs about a city.

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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import math
import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyogrio.raw import read as read_raw

import planner
from planner.core.errors import CheckCancelled, InputError
from planner.core.model import Camera, Entrance, Site
from planner.io.datapack.layer_geoms import (
    check_layer_geoms,
    repair_layer_polygons,
    repair_messages,
)
from planner.io.safety.common import parse_json_cell, sha256_file

#: ``progress(stage, fraction)``: a short label for what is being done and 0..1.
Progress = Callable[[str, float], None]
Cancel = Callable[[], bool]

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
_ON_REQUEST_LAYERS = {"addresses"}
SPATIAL_LAYERS: tuple[str, ...] = REQUIRED_LAYERS + OPTIONAL_LAYERS

#: Allowed shapely geometry type ids per layer; the GeoPackage geometry type written.
_POINT, _LINE, _POLY, _MLINE, _MPOLY = 0, 1, 3, 5, 6
_GEOM_TYPES: dict[str, tuple[set[int], str]] = {
    "streets": ({_LINE, _MLINE}, "LineString"),
    # Multi-part footprints are split on writing: a plain Polygon layer opens
    # cleanly in QGIS and its WKB decodes about a third faster.
    "buildings": ({_POLY, _MPOLY}, "Polygon"),
    "sites": ({_POINT, _POLY, _MPOLY}, "Unknown"),
    "entrances": ({_POINT}, "Point"),
    "cameras_existing": ({_POINT}, "Point"),
    "boundaries": ({_POLY, _MPOLY}, "MultiPolygon"),
    "addresses": ({_POINT}, "Point"),
}
_POLYGON_LAYERS = {"buildings", "sites", "boundaries"}
#: Layers small enough to validate geometry on every read; the large ones are validated
#: when written and re-validated only if the file was changed since (see read_pack).
_LARGE_LAYERS = {"streets", "buildings"}

#: Columns read_pack loads into DataPack.streets / DataPack.buildings.
STREET_COLUMNS = ("u", "v", "key", "name", "highway", "lanes", "oneway", "maxspeed", "length_m")
BUILDING_COLUMNS = ("building_id", "height")


@dataclass
class DataPack:
    """A data pack read into model objects.

    ``warnings`` lists every repair made while reading (invalid polygons made valid,
    empty building rows skipped) so that nothing changes silently (SPEC 7).
    ``sha256`` (of the whole file) is computed on first use: hashing a citywide pack
    costs as much CPU as decoding its streets, and many loads never need it.
    """

    path: Path
    sites: list[Site] = field(default_factory=list)
    buildings: gpd.GeoDataFrame | None = None
    streets: gpd.GeoDataFrame | None = None
    cameras_existing: list[Camera] = field(default_factory=list)
    boundaries: gpd.GeoDataFrame | None = None
    addresses: gpd.GeoDataFrame | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _sha256: str | None = field(default=None, repr=False, compare=False)
    _sha_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def sha256(self) -> str:
        """SHA-256 of the pack file as read (hex)."""
        with self._sha_lock:
            if self._sha256 is None:
                self._sha256 = sha256_file(self.path)
            return self._sha256


# --------------------------------------------------------------------------- helpers


def _report(progress: Progress | None, stage: str, fraction: float) -> None:
    if progress is not None:
        progress(stage, max(0.0, min(1.0, fraction)))


def _check_cancel(cancel: Cancel | None) -> None:
    if cancel is not None and cancel():
        msg = "cancelled"
        raise CheckCancelled(msg)


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
        return pd.array([None if _isnull(v) else bool(v) for v in values], dtype="boolean")
    if kind == "json":
        return np.array(
            [
                v if isinstance(v, str) else json.dumps({} if _isnull(v) else v, sort_keys=True)
                for v in values
            ],
            dtype=object,
        )
    return np.array([None if _isnull(v) else str(v) for v in values], dtype=object)


def _isnull(value: Any) -> bool:
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


def _repair(name: str, frame: gpd.GeoDataFrame, *, file: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Validate the geometry of one layer; repair invalid polygons and say so."""
    allowed, _ = _GEOM_TYPES[name]
    id_col = next(iter(SCHEMAS[name]))
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if len(geoms) == 0:
        return frame, []

    def where(i: int) -> str:
        return _where(name, i, frame, id_col)

    types = check_layer_geoms(name, geoms, allowed=allowed, file=file, where=where)
    if name not in _POLYGON_LAYERS:
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


def _where(layer: str, i: int, frame: pd.DataFrame | None = None, id_col: str | None = None) -> str:
    where = f"layer {layer}, feature {i + 1}"
    if frame is not None and id_col is not None and id_col in frame.columns and i < len(frame):
        value = frame[id_col].iloc[i]
        if not _isnull(value):
            where += f" ({id_col} {str(value)!r})"
    return where


def _layer_frames(layers: Any) -> dict[str, gpd.GeoDataFrame | None]:
    """Accept a mapping of layer name to frame, or an object with layer attributes (OsmLayers)."""
    if isinstance(layers, Mapping):
        return {name: layers.get(name) for name in SPATIAL_LAYERS}
    return {name: getattr(layers, name, None) for name in SPATIAL_LAYERS}


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, set | tuple):
        return list(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    msg = f"cannot store {type(value).__name__} in pack metadata"
    raise TypeError(msg)


def _sidecars(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))]


def _layer_state(path: Path) -> dict[str, str]:
    """``last_change`` of every table in ``gpkg_contents``, to spot edits after writing."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    con = sqlite3.connect(uri, uri=True)
    try:
        return {
            str(t): str(c)
            for t, c in con.execute("SELECT table_name, last_change FROM gpkg_contents")
        }
    except sqlite3.DatabaseError:
        return {}
    finally:
        con.close()


# --------------------------------------------------------------------------- writing


def write_pack(
    path: str | os.PathLike[str],
    layers: Any,
    metadata: Mapping[str, Any],
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> dict[str, Any]:
    """Write a data pack atomically.

    Parameters
    ----------
    path
        The ``.gpkg`` to write. An existing file there is replaced only when the
        whole pack has been written.
    layers
        A mapping of layer name to GeoDataFrame, or an object with those attributes
        (such as :class:`planner.io.openstreetmap.layers.OsmLayers`). Missing layers are written
        empty, with their columns; ``boundaries`` is written only when given.
    metadata
        JSON-serialisable provenance: ``sources`` (list of dicts with ``path``,
        ``sha256``...), ``osm_timestamp``, ``tag_rules``... Format, tool version,
        import time and attribution are filled in when absent.
    progress, cancel
        ``progress(stage, fraction)`` is called per layer; when ``cancel()`` returns
        true, :class:`CheckCancelled` is raised and nothing is left on disk.

    Returns
    -------
    dict
        The metadata as written (with feature counts and repair messages).
    """
    target = Path(path)
    frames = _layer_frames(layers)
    meta: dict[str, Any] = {
        "format": PACK_FORMAT,
        "format_version": PACK_FORMAT_VERSION,
        "tool": {"name": "siting-planner", "version": planner.__version__},
        "tool_version": planner.__version__,
        "import_time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "attribution": ATTRIBUTION,
        "osm_timestamp": None,
        "sources": [],
        "tag_rules": {},
    }
    meta.update(dict(metadata))
    meta.setdefault("attribution", ATTRIBUTION)
    if ATTRIBUTION not in str(meta["attribution"]):
        meta["attribution"] = f"{meta['attribution']}; {ATTRIBUTION}"

    to_write = [n for n in SPATIAL_LAYERS if n in REQUIRED_LAYERS or frames.get(n) is not None]
    prepared: dict[str, gpd.GeoDataFrame] = {}
    repairs: list[str] = list(meta.get("repairs", []))
    for name in to_write:
        _check_cancel(cancel)
        frame = conform_layer(name, frames.get(name))
        frame, msgs = _repair(name, frame, file=str(target))
        repairs.extend(msgs)
        _check_ids(name, frame, file=str(target))
        if name == "buildings":
            frame = _explode_buildings(frame)
        prepared[name] = frame
    meta["repairs"] = repairs
    meta["feature_counts"] = {n: len(f) for n, f in prepared.items()}

    target.parent.mkdir(parents=True, exist_ok=True)
    from planner.io.safety.atomic import (
        create_temporary,
        fsync_dir,
        remove_stale_temporaries,
        replace_target,
    )
    from planner.io.safety.outputs import cannot_write

    # Never rename over a folder, device or pipe; clear leftovers of killed imports.
    target = replace_target(target)
    remove_stale_temporaries(target, suffix=".tmp.gpkg")
    try:
        fd, tmp = create_temporary(target, suffix=".tmp.gpkg")
    except OSError as exc:  # a read-only folder: one line, before any work is lost
        raise InputError(target, "", cannot_write(exc, target)) from None
    os.close(fd)
    tmp.unlink()  # GDAL must create the GeoPackage itself
    total = sum(max(len(f), 1) for f in prepared.values()) + 1
    done = 0
    try:
        for name, frame in prepared.items():
            _check_cancel(cancel)
            _report(progress, f"writing {name}", done / total)
            _, gtype = _GEOM_TYPES[name]
            promote = gtype.startswith("Multi")
            if (
                name == "streets"
                and (shapely.get_type_id(np.asarray(frame.geometry.values)) == _MLINE).any()
            ):
                gtype, promote = "MultiLineString", True
            pyogrio.write_dataframe(
                frame,
                tmp,
                layer=name,
                driver="GPKG",
                geometry_type=gtype,
                promote_to_multi=promote,
                layer_options={"SPATIAL_INDEX": "YES"},
            )
            done += max(len(frame), 1)
        _check_cancel(cancel)
        _report(progress, "writing metadata", done / total)
        # For information only: a reader never trusts it (anyone editing the file
        # can leave it as it was); see planner.io.datapack.validated.
        meta["layer_state"] = _layer_state(tmp)
        table = pd.DataFrame(
            {
                "key": list(meta),
                "value": [
                    json.dumps(v, ensure_ascii=False, default=_json_default) for v in meta.values()
                ],
            }
        )
        pyogrio.write_dataframe(table, tmp, layer=METADATA_LAYER, driver="GPKG")
        _check_cancel(cancel)
        with tmp.open("rb+") as fh:  # GDAL does not fsync; a crash must leave old or new
            os.fsync(fh.fileno())
        tmp.replace(target)
    except BaseException as exc:
        for p in _sidecars(tmp):
            with contextlib.suppress(OSError):
                p.unlink()
        if isinstance(exc, OSError):  # a full disk while writing: the old pack stays
            raise InputError(target, "", cannot_write(exc, target)) from None
        if type(exc).__module__.startswith("pyogrio"):  # GDAL's write errors (disk full)
            why = str(exc).rsplit(") failed: ", 1)[-1].strip() or type(exc).__name__
            raise InputError(target, "", f"cannot write: {why[:200]}") from None
        raise
    fsync_dir(target.parent)
    # Every layer was validated above: reading these exact bytes back needs no repeat.
    from planner.io.datapack.hash_cache import cached_sha256
    from planner.io.datapack.validated import remember_validated

    remember_validated(cached_sha256(target))
    _report(progress, "pack written", 1.0)
    return meta


def _explode_buildings(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per polygon; the parts of a multi-part footprint get ids ``<id>/<k>``."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    multi = shapely.get_type_id(geoms) == _MPOLY
    if not multi.any():
        return frame
    parts, index = shapely.get_parts(geoms, return_index=True)
    out = frame.iloc[index].reset_index(drop=True)
    ids = out["building_id"].to_numpy(dtype=object).copy()
    was_multi = multi[index]
    k = pd.Series(index).groupby(index).cumcount().to_numpy() + 1
    ids[was_multi] = [f"{i}/{n}" for i, n in zip(ids[was_multi], k[was_multi], strict=True)]
    out["building_id"] = ids
    return out.set_geometry(gpd.GeoSeries(parts, crs="EPSG:4326"))


def _check_ids(name: str, frame: gpd.GeoDataFrame, *, file: str) -> None:
    id_col = {"sites": "site_id", "entrances": "entrance_id", "cameras_existing": "camera_id"}.get(
        name
    )
    if id_col is None or len(frame) == 0:
        return
    ids = frame[id_col]
    null = ids.isna().to_numpy()
    if null.any():
        i = int(np.flatnonzero(null)[0])
        raise InputError(file, _where(name, i), f"{id_col} is missing")
    dup = ids.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(file, _where(name, i), f"duplicate {id_col} {ids.iloc[i]!r}")


# --------------------------------------------------------------------------- reading


def _check_gpkg(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(path, "", "file not found") from None
    except OSError as exc:
        raise InputError(path, "", f"cannot read: {exc.strerror or exc}") from None
    if path.is_dir():
        raise InputError(path, "", "is a folder, not a data pack")
    if st.st_size == 0:
        raise InputError(path, "", "file is empty")
    with path.open("rb") as fh:
        head = fh.read(100)
    if not head.startswith(b"SQLite format 3\x00"):
        raise InputError(
            path, "", "not a GeoPackage data pack (expected an SQLite/GeoPackage file)"
        )
    # No GDAL driver but GeoPackage's, nothing that reads other files (SPEC 7).
    from planner.io.safety.vector_source import check_geopackage, refuse_indirection

    refuse_indirection(str(path), what="data pack")
    if not path.is_file():
        raise InputError(path, "", "is not a regular file (a device, pipe or socket)")
    check_geopackage(path)


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read only the ``pack_metadata`` table of a pack (cheap)."""
    p = Path(path)
    _check_gpkg(p)
    return _read_metadata(p, _list_layers(p))


def _list_layers(path: Path) -> dict[str, str | None]:
    try:
        listed = pyogrio.list_layers(path)
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise InputError(path, "", f"not a readable GeoPackage ({exc})") from None
    return {str(name): gtype for name, gtype in listed}


def _read_metadata(path: Path, available: Mapping[str, Any]) -> dict[str, Any]:
    if METADATA_LAYER not in available:
        raise InputError(
            path, f"layer {METADATA_LAYER}", "missing: this is not a data pack made by import"
        )
    try:
        table = pyogrio.read_dataframe(path, layer=METADATA_LAYER, read_geometry=False)
    except (DataSourceError, DataLayerError) as exc:
        raise InputError(path, f"layer {METADATA_LAYER}", f"unreadable ({exc})") from None
    if not {"key", "value"} <= set(table.columns):
        raise InputError(path, f"layer {METADATA_LAYER}", "must have columns 'key' and 'value'")
    meta: dict[str, Any] = {}
    for i, (key, value) in enumerate(zip(table["key"], table["value"], strict=True)):
        where = f"layer {METADATA_LAYER}, row {i + 1} ({key!r})"
        meta[str(key)] = parse_json_cell(value, path, where) if isinstance(value, str) else None
    fmt = meta.get("format")
    if fmt != PACK_FORMAT:
        raise InputError(
            path, f"layer {METADATA_LAYER}", f"format must be {PACK_FORMAT!r}, got {fmt!r}"
        )
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InputError(
            path, f"layer {METADATA_LAYER}", f"format_version must be an integer, got {version!r}"
        )
    if version > PACK_FORMAT_VERSION:
        raise InputError(
            path,
            f"layer {METADATA_LAYER}",
            f"pack format_version {version} is newer than this tool reads ({PACK_FORMAT_VERSION}); "
            "update the planner",
        )
    return meta


def _read_table(
    path: Path,
    name: str,
    columns: Collection[str],
    *,
    bbox: tuple[float, float, float, float] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Some columns of one layer as a DataFrame, and the geometries as WKB.

    pyogrio's plain reader, not its Arrow one: pyarrow is not a dependency (it was
    109 MB of the installed bundle), and the app and ``check`` read packs with
    :mod:`planner.io.datapack.query`; what is read here whole is small layers.
    """
    kwargs: dict[str, Any] = {"layer": name, "columns": list(columns)}
    if bbox is not None:
        kwargs["bbox"] = tuple(bbox)
    try:
        _, _, wkb, values = read_raw(path, **kwargs)
    except (DataSourceError, DataLayerError) as exc:
        raise InputError(path, f"layer {name}", f"unreadable ({exc})") from None
    return pd.DataFrame(dict(zip(columns, values, strict=True))), wkb


def _read_layer(
    path: Path,
    name: str,
    columns: Collection[str],
    *,
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Read some columns of one layer: one pyogrio read, WKB decoded by shapely in one call.

    Threads do not help here: creating a Python object per geometry needs the GIL.
    """
    info = pyogrio.read_info(path, layer=name)
    fields = {str(f) for f in info["fields"]}
    optional = OPTIONAL_COLUMNS.get(name, frozenset())
    columns = [c for c in columns if c in fields or c not in optional]
    missing = [c for c in columns if c not in fields]
    if missing:
        raise InputError(path, f"layer {name}", f"missing column(s): {', '.join(missing)}")
    attrs, wkb = _read_table(path, name, columns, bbox=bbox)
    try:
        geoms = shapely.from_wkb(wkb)
    except shapely.errors.GEOSException as exc:
        first = str(exc).splitlines()[0] if str(exc) else "GEOS error"
        raise InputError(path, f"layer {name}", f"unreadable geometry ({first})") from None
    return gpd.GeoDataFrame(attrs, geometry=geoms, crs="EPSG:4326")


def _text(value: Any) -> str:
    return "" if _isnull(value) else str(value)


def _flag(value: Any) -> bool:
    return False if _isnull(value) else bool(value)


def _json_tags(value: Any, path: Path, where: Callable[[], str]) -> dict[str, Any]:
    """Parse a tags cell; ``where`` is called only to name the row in an error."""
    if _isnull(value) or value == "":
        return {}
    if not isinstance(value, str):
        raise InputError(path, where(), "tags must be JSON text")
    tags = parse_json_cell(value, path, where())
    if not isinstance(tags, dict):
        raise InputError(path, where(), "tags must be a JSON object")
    return tags


def _validate_geoms(
    name: str, frame: gpd.GeoDataFrame, path: Path, *, full: bool
) -> tuple[gpd.GeoDataFrame, list[str]]:
    geoms = np.asarray(frame.geometry.values, dtype=object)
    messages: list[str] = []
    if name == "buildings":
        # A footprint with no geometry cannot occlude anything: skip it, but say so.
        empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if empty.any():
            messages.append(
                f"{path}: layer buildings: {int(empty.sum())} features without geometry skipped"
            )
            frame = frame.loc[~empty].reset_index(drop=True)
    if not full:
        return frame, messages
    frame, repaired = _repair(name, frame, file=str(path))
    return frame, messages + repaired


def read_pack(
    path: str | os.PathLike[str],
    *,
    layers: Collection[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    progress: Progress | None = None,
) -> DataPack:
    """Read a data pack into model objects.

    Parameters
    ----------
    path
        The pack (``.gpkg``) written by :func:`write_pack`.
    layers
        Which of ``streets``, ``buildings``, ``sites``, ``cameras_existing`` and
        ``boundaries`` to load (``sites`` brings its entrances); default all.
        Those not loaded are ``None`` / empty.
    bbox
        ``(west, south, east, north)``: read only features intersecting it.
    progress
        ``progress(stage, fraction)``.

    Raises
    ------
    InputError
        Not a GeoPackage, not a pack, a newer format, a missing layer or column,
        a duplicate id, an entrance of an unknown site, or a bad geometry. Invalid
        polygons are repaired and listed in ``DataPack.warnings`` instead.
    """
    p = Path(path)
    _check_gpkg(p)
    available = _list_layers(p)
    meta = _read_metadata(p, available)
    wanted = (
        set(SPATIAL_LAYERS) - {"entrances"} - _ON_REQUEST_LAYERS if layers is None else set(layers)
    )
    unknown = wanted - set(SPATIAL_LAYERS)
    if unknown:
        msg = f"unknown pack layer(s): {', '.join(sorted(unknown))}"
        raise ValueError(msg)
    if "sites" in wanted:
        wanted.add("entrances")
    for name in REQUIRED_LAYERS:
        if name not in available:
            raise InputError(p, f"layer {name}", "missing required layer")
    # The large layers are validated in full unless this planner itself validated a
    # file with exactly these bytes before (its own record, never the pack's word:
    # gpkg_contents.last_change is whatever the last editor left there).
    from planner.io.datapack.hash_cache import cached_sha256
    from planner.io.datapack.validated import remember_validated, was_validated

    digest = cached_sha256(p)
    trusted = was_validated(digest)
    pack = DataPack(path=p, metadata=meta, _sha256=digest)
    order = (
        "buildings",
        "streets",
        "sites",
        "entrances",
        "cameras_existing",
        "boundaries",
        "addresses",
    )
    steps = [n for n in order if n in wanted and (n not in OPTIONAL_LAYERS or n in available)]
    frames: dict[str, gpd.GeoDataFrame] = {}
    # Hundreds of thousands of new geometry objects would set off the cyclic garbage
    # collector again and again, for nothing (they hold no cycles): about a third of
    # the load time of a citywide pack.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for k, name in enumerate(steps):
            _report(progress, f"reading {name}", k / len(steps))
            columns = {"streets": STREET_COLUMNS, "buildings": BUILDING_COLUMNS}.get(
                name, tuple(SCHEMAS[name])
            )
            frame = _read_layer(p, name, columns, bbox=bbox)
            full = name not in _LARGE_LAYERS or not trusted
            frames[name], messages = _validate_geoms(name, frame, p, full=full)
            pack.warnings.extend(messages)
    finally:
        if gc_was_enabled:
            gc.enable()
    if "streets" in frames:
        pack.streets = frames["streets"]
    if "buildings" in frames:
        pack.buildings = frames["buildings"]
    if "boundaries" in frames:
        pack.boundaries = frames["boundaries"]
    if "addresses" in frames:
        pack.addresses = frames["addresses"]
    if "sites" in frames:
        pack.sites = _sites(p, frames["sites"], frames["entrances"])
    if "cameras_existing" in frames:
        pack.cameras_existing = _cameras(p, frames["cameras_existing"])
    if not trusted and bbox is None and set(frames) >= _LARGE_LAYERS:
        remember_validated(digest)
    _report(progress, "pack loaded", 1.0)
    return pack


def _sites(path: Path, sites: gpd.GeoDataFrame, entrances: gpd.GeoDataFrame) -> list[Site]:
    _check_ids("sites", sites, file=str(path))
    _check_ids("entrances", entrances, file=str(path))
    site_ids = set(sites["site_id"])
    by_site: dict[str, list[Entrance]] = {}
    for i, (eid, sid, basis, geom) in enumerate(
        zip(
            entrances["entrance_id"],
            entrances["site_id"],
            entrances["basis"],
            entrances.geometry,
            strict=True,
        )
    ):
        if _isnull(sid) or sid not in site_ids:
            raise InputError(
                path, _where("entrances", i, entrances, "entrance_id"), f"unknown site_id {sid!r}"
            )
        by_site.setdefault(sid, []).append(
            Entrance(
                id=str(eid),
                site_id=str(sid),
                lon=geom.x,
                lat=geom.y,
                basis=_text(basis) or "manual",
            )
        )
    out: list[Site] = []
    for i, row in enumerate(sites.itertuples(index=False)):
        if _isnull(row.category) or not str(row.category):
            raise InputError(path, _where("sites", i, sites, "site_id"), "category is missing")
        verified = None if _isnull(row.verified) else bool(row.verified)
        source = _text(row.source)
        if _text(row.source_id):
            source = f"{source}:{row.source_id}" if source else _text(row.source_id)
        out.append(
            Site(
                id=str(row.site_id),
                category=str(row.category),
                geometry=row.geometry,
                name=_text(row.name),
                entrances=tuple(by_site.get(str(row.site_id), ())),
                verified=verified,
                source=source,
                tags=_json_tags(row.tags, path, partial(_where, "sites", i, sites, "site_id")),
                footprint_protected=_flag(getattr(row, "footprint_protected", False)),
            )
        )
    return out


def _cameras(path: Path, cams: gpd.GeoDataFrame) -> list[Camera]:
    from planner.io.datapack.query import camera_from_row

    _check_ids("cameras_existing", cams, file=str(path))
    out: list[Camera] = []
    for i, row in enumerate(cams.itertuples(index=False)):
        values = {k: None if _isnull(v) else v for k, v in row._asdict().items()}
        out.append(camera_from_row(path, i, values, row.geometry))
    return out
