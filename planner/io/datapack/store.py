"""Data packs: one GeoPackage holding everything the planner needs about a city.

:func:`write_pack` writes one atomically (its fixed layout is
:mod:`planner.io.datapack.layout`): the metadata record, the layers conformed,
validated and repaired, then the layers and the metadata table into a temporary file
that replaces the target only when complete. :func:`read_pack` reads one back into
GeoDataFrames and model objects: the file checks and metadata
(:mod:`planner.io.datapack.pack_open`), the layers asked for, their geometry
validated, and the rows of sites and cameras as model objects
(:mod:`planner.io.datapack.pack_rows`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

import planner
from planner.core.errors import CheckCancelled, InputError
from planner.core.model import Camera, Site
from planner.io.datapack.layout import (
    ATTRIBUTION,
    GEOM_TYPES,
    LARGE_LAYERS,
    METADATA_LAYER,
    MLINE,
    MPOLY,
    ON_REQUEST_LAYERS,
    OPTIONAL_LAYERS,
    PACK_FORMAT,
    PACK_FORMAT_VERSION,
    REQUIRED_LAYERS,
    SPATIAL_LAYERS,
    check_ids,
    conform_layer,
    repair_layer,
)
from planner.io.datapack.pack_layers import read_frames
from planner.io.datapack.pack_open import check_gpkg, list_layers, read_metadata_table
from planner.io.datapack.pack_rows import cameras_from_frame, sites_from_frames
from planner.io.safety.common import sha256_file

#: ``progress(stage, fraction)``: a short label for what is being done and 0..1.
Progress = Callable[[str, float], None]
Cancel = Callable[[], bool]


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
        (such as :class:`planner.io.openstreetmap.frames.OsmLayers`). Missing layers are written
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
    meta = _pack_metadata(metadata)
    prepared = _prepare_layers(_layer_frames(layers), meta, file=str(target), cancel=cancel)
    target, tmp = _temporary_for(target)
    try:
        fraction = _write_layers(tmp, prepared, progress=progress, cancel=cancel)
        _check_cancel(cancel)
        _report(progress, "writing metadata", fraction)
        _write_metadata(tmp, meta)
        _check_cancel(cancel)
        with tmp.open("rb+") as fh:  # GDAL does not fsync; a crash must leave old or new
            os.fsync(fh.fileno())
        tmp.replace(target)
    except BaseException as exc:
        for p in _sidecars(tmp):
            with contextlib.suppress(OSError):
                p.unlink()
        error = _write_error(exc, target)
        if error is None:
            raise
        raise error from None
    _written(target)
    _report(progress, "pack written", 1.0)
    return meta


def _written(target: Path) -> None:
    """The new pack made durable and recorded as validated (its layers were, above)."""
    from planner.io.datapack.hash_cache import cached_sha256
    from planner.io.datapack.validated import remember_validated
    from planner.io.safety.atomic import fsync_dir

    fsync_dir(target.parent)
    # Reading these exact bytes back needs no repeat of the validation.
    remember_validated(cached_sha256(target))


def _pack_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's metadata over the defaults; the attribution always kept in it."""
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
    return meta


def _prepare_layers(
    frames: Mapping[str, gpd.GeoDataFrame | None],
    meta: dict[str, Any],
    *,
    file: str,
    cancel: Cancel | None,
) -> dict[str, gpd.GeoDataFrame]:
    """Every layer to write, conformed to the layout, validated and repaired.

    The repairs and the feature counts go into ``meta``.
    """
    to_write = [n for n in SPATIAL_LAYERS if n in REQUIRED_LAYERS or frames.get(n) is not None]
    prepared: dict[str, gpd.GeoDataFrame] = {}
    repairs: list[str] = list(meta.get("repairs", []))
    for name in to_write:
        _check_cancel(cancel)
        frame = conform_layer(name, frames.get(name))
        frame, msgs = repair_layer(name, frame, file=file)
        repairs.extend(msgs)
        check_ids(name, frame, file=file)
        if name == "buildings":
            frame = _explode_buildings(frame)
        prepared[name] = frame
    meta["repairs"] = repairs
    meta["feature_counts"] = {n: len(f) for n, f in prepared.items()}
    return prepared


def _temporary_for(target: Path) -> tuple[Path, Path]:
    """The checked target and a free temporary name beside it (no file there yet)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    from planner.io.safety.atomic import (
        create_temporary,
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
    return target, tmp


def _write_layers(
    tmp: Path,
    prepared: Mapping[str, gpd.GeoDataFrame],
    *,
    progress: Progress | None,
    cancel: Cancel | None,
) -> float:
    """Write every spatial layer with its spatial index; the fraction of the work done."""
    total = sum(max(len(f), 1) for f in prepared.values()) + 1
    done = 0
    for name, frame in prepared.items():
        _check_cancel(cancel)
        _report(progress, f"writing {name}", done / total)
        _, gtype = GEOM_TYPES[name]
        promote = gtype.startswith("Multi")
        if (
            name == "streets"
            and (shapely.get_type_id(np.asarray(frame.geometry.values)) == MLINE).any()
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
    return done / total


def _write_metadata(tmp: Path, meta: dict[str, Any]) -> None:
    """The ``pack_metadata`` table: one row per key, its value as JSON text."""
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


def _write_error(exc: BaseException, target: Path) -> InputError | None:
    """A failed write as one line for the user, or None for an error to pass on."""
    from planner.io.safety.outputs import cannot_write

    if isinstance(exc, OSError):  # a full disk while writing: the old pack stays
        return InputError(target, "", cannot_write(exc, target))
    if type(exc).__module__.startswith("pyogrio"):  # GDAL's write errors (disk full)
        why = str(exc).rsplit(") failed: ", 1)[-1].strip() or type(exc).__name__
        return InputError(target, "", f"cannot write: {why[:200]}")
    return None


def _explode_buildings(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per polygon; the parts of a multi-part footprint get ids ``<id>/<k>``."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    multi = shapely.get_type_id(geoms) == MPOLY
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


# --------------------------------------------------------------------------- reading


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
    check_gpkg(p)
    available = list_layers(p)
    meta = read_metadata_table(p, available)
    steps = _layers_to_read(p, layers, available)
    # The large layers are validated in full unless this planner itself validated a
    # file with exactly these bytes before (its own record, never the pack's word:
    # gpkg_contents.last_change is whatever the last editor left there).
    from planner.io.datapack.hash_cache import cached_sha256
    from planner.io.datapack.validated import remember_validated, was_validated

    digest = cached_sha256(p)
    trusted = was_validated(digest)
    pack = DataPack(path=p, metadata=meta, _sha256=digest)
    frames = read_frames(
        p, steps, bbox=bbox, trusted=trusted, warnings=pack.warnings, progress=progress
    )
    _fill_pack(pack, frames)
    if not trusted and bbox is None and set(frames) >= LARGE_LAYERS:
        remember_validated(digest)
    _report(progress, "pack loaded", 1.0)
    return pack


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read only the ``pack_metadata`` table of a pack (cheap)."""
    p = Path(path)
    check_gpkg(p)
    return read_metadata_table(p, list_layers(p))


def _layers_to_read(
    path: Path, layers: Collection[str] | None, available: Mapping[str, Any]
) -> list[str]:
    """The layers asked for (sites bring their entrances) that the pack has, in reading order."""
    wanted = (
        set(SPATIAL_LAYERS) - {"entrances"} - ON_REQUEST_LAYERS if layers is None else set(layers)
    )
    unknown = wanted - set(SPATIAL_LAYERS)
    if unknown:
        msg = f"unknown pack layer(s): {', '.join(sorted(unknown))}"
        raise ValueError(msg)
    if "sites" in wanted:
        wanted.add("entrances")
    for name in REQUIRED_LAYERS:
        if name not in available:
            raise InputError(path, f"layer {name}", "missing required layer")
    order = (
        "buildings",
        "streets",
        "sites",
        "entrances",
        "cameras_existing",
        "boundaries",
        "addresses",
    )
    return [n for n in order if n in wanted and (n not in OPTIONAL_LAYERS or n in available)]


def _fill_pack(pack: DataPack, frames: Mapping[str, gpd.GeoDataFrame]) -> None:
    """The frames read into ``pack``: layers as frames, sites and cameras as model objects."""
    if "streets" in frames:
        pack.streets = frames["streets"]
    if "buildings" in frames:
        pack.buildings = frames["buildings"]
    if "boundaries" in frames:
        pack.boundaries = frames["boundaries"]
    if "addresses" in frames:
        pack.addresses = frames["addresses"]
    if "sites" in frames:
        pack.sites = sites_from_frames(pack.path, frames["sites"], frames["entrances"])
    if "cameras_existing" in frames:
        pack.cameras_existing = cameras_from_frame(pack.path, frames["cameras_existing"])
