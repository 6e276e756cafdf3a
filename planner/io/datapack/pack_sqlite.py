"""A data pack opened with :mod:`sqlite3`: the checks, the metadata, rows and blobs.

What the sqlite3 readers (:mod:`planner.io.datapack.query` and the modules it reads
each kind of layer with) share: a read-only connection that refuses anything but an
SQLite file and runs no function a hostile file's views or triggers name; the
``pack_metadata`` checks of :func:`planner.io.datapack.store.read_pack`; a layer's
rows in fid order; GeoPackage blobs decoded to shapely; the id and point checks.
No pandas or GDAL is imported here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from planner.core.errors import InputError
from planner.io.datapack.gpkg_blobs import split_blobs
from planner.io.safety.common import parse_json_cell

PACK_FORMAT = "siting-planner-pack"
PACK_FORMAT_VERSION = 1
REQUIRED_LAYERS = ("streets", "buildings", "sites", "entrances", "cameras_existing")
POLYGONAL = {3, 6}
LINES = {1, 5}
SITE_TYPES = {0, 3, 6}


@contextmanager
def reading(path: Path, *, where: str = "") -> Iterator[sqlite3.Connection]:
    """A read-only connection to a pack; SQLite's and UTF-8 failures become InputError."""
    con = connect(path)
    try:
        yield con
    except sqlite3.DatabaseError as exc:
        raise InputError(path, where, f"not a readable GeoPackage ({exc})") from None
    except UnicodeDecodeError as exc:
        # sqlite3 decodes TEXT as UTF-8; a damaged page yields bytes that are not.
        raise InputError(
            path, where, f"not a readable GeoPackage (text is not UTF-8: {exc.reason})"
        ) from None
    finally:
        con.close()


def connect(path: Path) -> sqlite3.Connection:
    """Open a pack read-only after checking it is a non-empty SQLite file."""
    try:
        if not path.is_file():
            raise InputError(path, "", "file not found" if not path.exists() else "not a file")
        if path.stat().st_size == 0:
            raise InputError(path, "", "file is empty")
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise InputError(path, "", f"cannot read: {exc.strerror or exc}") from None
    if head != b"SQLite format 3\x00":
        raise InputError(
            path, "", "not a GeoPackage data pack (expected an SQLite/GeoPackage file)"
        )
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    # Views and triggers in a hostile file must not run functions with side effects.
    con.execute("PRAGMA trusted_schema = OFF")
    return con


def read_metadata(con: sqlite3.Connection, path: Path) -> dict[str, Any]:
    """The ``pack_metadata`` table; refused unless it names a pack format this reads."""
    where = "layer pack_metadata"
    try:
        rows = con.execute('SELECT "key", "value" FROM pack_metadata').fetchall()
    except sqlite3.DatabaseError:
        raise InputError(path, where, "missing: this is not a data pack made by import") from None
    meta: dict[str, Any] = {}
    for i, (key, value) in enumerate(rows):
        row = f"{where}, row {i + 1} ({key!r})"
        meta[str(key)] = parse_json_cell(value, path, row) if isinstance(value, str) else None
    if meta.get("format") != PACK_FORMAT:
        raise InputError(path, where, f"format must be {PACK_FORMAT!r}, got {meta.get('format')!r}")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InputError(path, where, f"format_version must be an integer, got {version!r}")
    if version > PACK_FORMAT_VERSION:
        raise InputError(
            path,
            where,
            f"pack format_version {version} is newer than this tool reads "
            f"({PACK_FORMAT_VERSION}); update the planner",
        )
    return meta


def count_rows(con: sqlite3.Connection, path: Path, name: str) -> int:
    """How many rows layer ``name`` has."""
    try:
        row = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
    except sqlite3.DatabaseError as exc:
        raise InputError(path, f"layer {name}", f"unreadable ({exc})") from None
    return int(row[0])


def decode_blobs(
    blobs: Sequence[Any], path: Path, layer: str, *, features: Sequence[int] | None = None
) -> np.ndarray:
    """GeoPackage geometry blobs to shapely (None for a missing or empty geometry).

    ``features`` numbers the rows in messages (their fids); by default 1, 2, ...
    """
    chunk = split_blobs(
        blobs, path=path, layer=layer, features=features or range(1, len(blobs) + 1)
    )
    view = memoryview(chunk.buffer)
    wkb = [
        None if gone else view[a:b].tobytes()
        for a, b, gone in zip(
            chunk.starts.tolist(), chunk.ends.tolist(), chunk.missing.tolist(), strict=True
        )
    ]
    try:
        return np.asarray(shapely.from_wkb(wkb), dtype=object)
    except shapely.errors.GEOSException as exc:
        first = str(exc).splitlines()[0] if str(exc) else "GEOS error"
        raise InputError(path, f"layer {layer}", f"unreadable geometry ({first})") from None


def check_point_geoms(geoms: np.ndarray, ids: Sequence[Any], path: Path, layer: str) -> None:
    """Geometries present, of the layer's types (points; sites also polygons), in range."""
    types = shapely.get_type_id(geoms)
    allowed = SITE_TYPES if layer == "sites" else {0}
    for i in range(len(geoms)):
        where = f"layer {layer}, feature {i + 1} ({ids[i]!r})"
        if geoms[i] is None or shapely.is_empty(geoms[i]):
            raise InputError(path, where, "geometry is missing or empty")
        if int(types[i]) not in allowed:
            raise InputError(path, where, f"{geoms[i].geom_type} geometry is not allowed")
    if len(geoms):
        b = shapely.bounds(geoms)
        bad = ~np.isfinite(b).all(axis=1) | (b[:, 0] < -180) | (b[:, 2] > 180)
        bad |= (b[:, 1] < -90) | (b[:, 3] > 90)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                path,
                f"layer {layer}, feature {i + 1} ({ids[i]!r})",
                "coordinates outside lon [-180, 180] / lat [-90, 90]",
            )


def check_unique(ids: Sequence[Any], path: Path, layer: str, col: str) -> None:
    """Every id present and none twice."""
    seen: set[str] = set()
    for i, v in enumerate(ids):
        where = f"layer {layer}, feature {i + 1}"
        if v is None or str(v) == "":
            raise InputError(path, where, f"{col} is missing")
        if str(v) in seen:
            raise InputError(path, f"{where} ({col} {str(v)!r})", f"duplicate {col}")
        seen.add(str(v))


def layer_rows(
    con: sqlite3.Connection, path: Path, layer: str, columns: Sequence[str], *, required: bool
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Rows ``(geom, *columns)`` of a layer, in fid order; a required column must exist."""
    present = {str(r[1]) for r in con.execute(f'PRAGMA table_info("{layer}")')}
    missing = [c for c in columns if c not in present]
    if missing and required:
        raise InputError(path, f"layer {layer}", f"missing column(s): {', '.join(missing)}")
    cols = [c for c in columns if c in present]
    select = ", ".join(f'"{c}"' for c in ["geom", *cols])
    try:
        rows = con.execute(f'SELECT {select} FROM "{layer}" ORDER BY fid').fetchall()
    except sqlite3.DatabaseError as exc:
        raise InputError(path, f"layer {layer}", f"unreadable ({exc})") from None
    return cols, rows


def row_columns(cols: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> dict[str, np.ndarray]:
    """The attribute columns of :func:`layer_rows` rows (after the geometry) as object arrays."""
    transposed = list(zip(*rows, strict=True))[1:] if rows else [()] * len(cols)
    out = {}
    for c, values in zip(cols, transposed, strict=True):
        col = np.empty(len(values), dtype=object)
        col[:] = values  # element by element: a list or tuple cell stays one value
        out[c] = col
    return out
