"""Opening a data pack to read it: the file checks, its layers, its metadata table.

A pack is a file a user names, so before GDAL reads it: it must be a regular file
holding an SQLite database, with no indirection to other files and no driver but
GeoPackage's (SPEC 7); then its ``pack_metadata`` must say it is a pack of a format
this planner reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from planner.core.errors import InputError
from planner.io.datapack.layout import METADATA_LAYER, PACK_FORMAT, PACK_FORMAT_VERSION
from planner.io.safety.common import parse_json_cell


def check_gpkg(path: Path) -> None:
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


def list_layers(path: Path) -> dict[str, str | None]:
    try:
        listed = pyogrio.list_layers(path)
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise InputError(path, "", f"not a readable GeoPackage ({exc})") from None
    return {str(name): gtype for name, gtype in listed}


def read_metadata_table(path: Path, available: Mapping[str, Any]) -> dict[str, Any]:
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
