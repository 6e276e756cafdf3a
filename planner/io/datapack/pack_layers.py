"""The layers of a data pack as GeoDataFrames, their geometry validated.

One pyogrio read per layer (only the columns asked for, only a bounding box when
given), the WKB decoded by shapely in one call, then every geometry checked and
invalid polygons repaired (:func:`planner.io.datapack.layout.repair_layer`), except the
large layers of a file this planner validated before.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyogrio.raw import read as read_raw

from planner.core.errors import InputError
from planner.io.datapack.layout import (
    BUILDING_COLUMNS,
    LARGE_LAYERS,
    OPTIONAL_COLUMNS,
    SCHEMAS,
    STREET_COLUMNS,
    repair_layer,
)


def read_frames(
    path: Path,
    steps: Collection[str],
    *,
    bbox: tuple[float, float, float, float] | None,
    trusted: bool,
    warnings: list[str],
    progress: Callable[[str, float], None] | None,
) -> dict[str, gpd.GeoDataFrame]:
    """Read and validate each layer in ``steps``; repairs go to ``warnings``."""
    frames: dict[str, gpd.GeoDataFrame] = {}
    # Hundreds of thousands of new geometry objects would set off the cyclic garbage
    # collector again and again, for nothing (they hold no cycles): about a third of
    # the load time of a citywide pack.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for k, name in enumerate(steps):
            if progress is not None:
                progress(f"reading {name}", k / len(steps))
            columns = {"streets": STREET_COLUMNS, "buildings": BUILDING_COLUMNS}.get(
                name, tuple(SCHEMAS[name])
            )
            frame = _read_layer(path, name, columns, bbox=bbox)
            full = name not in LARGE_LAYERS or not trusted
            frames[name], messages = _validate_geoms(name, frame, path, full=full)
            warnings.extend(messages)
    finally:
        if gc_was_enabled:
            gc.enable()
    return frames


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
    frame, repaired = repair_layer(name, frame, file=str(path))
    return frame, messages + repaired
