"""Offline basemap files (MBTiles, PMTiles), read with every size bounded.

A basemap file comes from anywhere, so nothing in it is trusted: the metadata's
zoom levels must be zoom levels (0 to :data:`MAX_ZOOM`), MBTiles' ``metadata`` must
be a plain table (a recursive view would run for minutes) and every SQLite
statement stops after :data:`SQL_BUDGET_S`; PMTiles directories and metadata are
decompressed up to a cap (a gzip bomb stops there), and no tile larger than
:data:`MAX_TILE_BYTES` is read. Decoding the image, and refusing one whose header
claims a huge size, is the app's part (:mod:`planner.app.map.basemap`).
"""

from __future__ import annotations

import contextlib
import io
import mmap
import sqlite3
import threading
import time
import zlib
from pathlib import Path
from typing import Any

#: Web map zoom levels run 0 (the world) to about 22; nothing serves more than 24.
MAX_ZOOM = 24
MAX_TILE_BYTES = 4 * 1024 * 1024
#: Compressed and decompressed caps of a PMTiles directory and of the metadata.
MAX_DIRECTORY_BYTES = 16 * 1024 * 1024
MAX_METADATA_BYTES = 1024 * 1024
#: Longest any one SQLite statement may run on a basemap file.
SQL_BUDGET_S = 2.0
#: The metadata rows read at most, and their longest value.
MAX_METADATA_ROWS = 1_000
MAX_METADATA_VALUE = 64 * 1024


class TileFileError(ValueError):
    """A basemap file that cannot be used (the message names the file)."""


def check_zoom_range(path: Path, min_zoom: Any, max_zoom: Any) -> tuple[int, int]:
    """Zoom levels from a file's metadata as ints, or :class:`TileFileError`."""
    out = []
    for name, value in (("minzoom", min_zoom), ("maxzoom", max_zoom)):
        try:
            z = int(str(value).strip()) if not isinstance(value, int) else value
        except ValueError:
            msg = f"{path}: metadata {name} is not a whole number: {str(value)[:40]!r}"
            raise TileFileError(msg) from None
        if isinstance(value, bool) or not 0 <= z <= MAX_ZOOM:
            msg = f"{path}: metadata {name} {z} is not a zoom level (0 to {MAX_ZOOM})"
            raise TileFileError(msg)
        out.append(z)
    if out[0] > out[1]:
        msg = f"{path}: metadata minzoom {out[0]} is above maxzoom {out[1]}"
        raise TileFileError(msg)
    return out[0], out[1]


# --------------------------------------------------------------------------- MBTiles


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True,
                          check_same_thread=False)  # fmt: skip
    return con


@contextlib.contextmanager
def _budget(con: sqlite3.Connection, seconds: float = SQL_BUDGET_S) -> Any:
    """Interrupt any statement of the block that runs past ``seconds``."""
    deadline = time.monotonic() + seconds
    con.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        yield
    finally:
        con.set_progress_handler(None, 0)


def _plain_table(con: sqlite3.Connection, name: str) -> str | None:
    row = con.execute("SELECT type FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row[0])


def mbtiles_metadata(path: Path) -> dict[str, Any]:
    """The ``metadata`` table of an MBTiles file (bounded), or :class:`TileFileError`."""
    try:
        con = _connect(path)
    except sqlite3.Error as exc:
        msg = f"{path}: not an MBTiles file ({exc})"
        raise TileFileError(msg) from None
    try:
        with _budget(con):
            kind = _plain_table(con, "metadata")
            if kind != "table":
                what = "has no metadata table" if kind is None else f"its metadata is a {kind}"
                msg = f"{path}: not an MBTiles file ({what})"
                raise TileFileError(msg)
            tiles = _plain_table(con, "tiles")
            if tiles not in ("table", "view"):  # MBTiles allows a view over deduplicated images
                msg = f"{path}: not an MBTiles file (no tiles table)"
                raise TileFileError(msg)
            rows = con.execute(
                "SELECT name, value FROM metadata WHERE length(value) <= ? LIMIT ?",
                (MAX_METADATA_VALUE, MAX_METADATA_ROWS),
            ).fetchall()
    except sqlite3.Error as exc:
        msg = f"{path}: not a usable MBTiles file ({exc})"
        raise TileFileError(msg) from None
    finally:
        con.close()
    return {str(k): v for k, v in rows}


class MbtilesFile:
    """Tiles of an MBTiles file; each read bounded in time and size. Thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None

    def get(self, z: int, x: int, y: int) -> bytes | None:
        with self._lock:
            if self._con is None:
                self._con = _connect(self.path)
            con = self._con
            try:
                with _budget(con):
                    row = con.execute(
                        "SELECT length(tile_data), CASE WHEN length(tile_data) <= ? "
                        "THEN tile_data END FROM tiles WHERE zoom_level=? AND tile_column=? "
                        "AND tile_row=?",
                        (MAX_TILE_BYTES, z, x, (1 << z) - 1 - y),
                    ).fetchone()
            except sqlite3.Error as exc:
                msg = f"{self.path}: cannot read a tile ({exc})"
                raise TileFileError(msg) from None
        if row is None or row[1] is None:
            if row is not None and row[0]:
                msg = f"{self.path}: a tile is larger than {MAX_TILE_BYTES // 2**20} MB"
                raise TileFileError(msg)
            return None
        return bytes(row[1])

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con = None


# --------------------------------------------------------------------------- PMTiles


def _gunzip(data: bytes, limit: int, what: str, path: Path) -> bytes:
    d = zlib.decompressobj(wbits=47)  # gzip or zlib, detected from the header
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as exc:
        msg = f"{path}: {what} is not valid gzip ({exc})"
        raise TileFileError(msg) from None
    if len(out) > limit:
        msg = f"{path}: {what} expands past {limit // 2**20} MB"
        raise TileFileError(msg)
    return out


class PmtilesFile:
    """Tiles and metadata of a PMTiles v3 file, with every expansion capped. Thread-safe."""

    def __init__(self, path: Path) -> None:
        from pmtiles.tile import Compression, deserialize_header

        self.path = Path(path)
        self._lock = threading.Lock()
        self._file = self.path.open("rb")
        try:
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
            head = self._map[:127]
            if len(head) < 127 or head[:7] != b"PMTiles" or head[7] != 3:
                msg = f"{path}: not a PMTiles version 3 file"
                raise TileFileError(msg)
            self.header = deserialize_header(head)
        except (ValueError, OSError, KeyError) as exc:
            self.close()
            if isinstance(exc, TileFileError):
                raise
            msg = f"{path}: not a PMTiles file ({exc})"
            raise TileFileError(msg) from None
        self._gzip = self.header["internal_compression"] == Compression.GZIP
        self._plain = self.header["internal_compression"] == Compression.NONE
        if not (self._gzip or self._plain):
            msg = f"{path}: directories compressed other than by gzip are not supported"
            self.close()
            raise TileFileError(msg)

    def _bytes(self, offset: int, length: int, limit: int, what: str) -> bytes:
        if length < 0 or offset < 0 or length > limit or offset + length > len(self._map):
            msg = f"{self.path}: {what} lies outside the file or is too large"
            raise TileFileError(msg)
        return self._map[offset : offset + length]

    def _internal(self, data: bytes, limit: int, what: str) -> bytes:
        return _gunzip(data, limit, what, self.path) if self._gzip else data

    def metadata(self) -> dict[str, Any]:
        """The JSON metadata (decompressed and parsed within bounds)."""
        h = self.header
        raw = self._bytes(
            h["metadata_offset"], h["metadata_length"], MAX_METADATA_BYTES, "the metadata"
        )
        text = self._internal(raw, MAX_METADATA_BYTES, "the metadata")
        if not text.strip():
            return {}
        from planner.io.safety.common import parse_json

        value = parse_json(text, self.path)
        return value if isinstance(value, dict) else {}

    def _directory(self, offset: int, length: int) -> list[Any]:
        from pmtiles.tile import Entry, read_varint

        raw = self._bytes(offset, length, MAX_DIRECTORY_BYTES, "a directory")
        buf = io.BytesIO(self._internal(raw, MAX_DIRECTORY_BYTES, "a directory"))
        try:
            n = read_varint(buf)
            # each entry takes at least four bytes: a count beyond that is a lie
            if n > len(buf.getbuffer()):
                msg = f"{self.path}: a directory claims {n:,} entries"
                raise TileFileError(msg)
            entries = [Entry(0, 0, 0, 0) for _ in range(n)]
            last = 0
            for e in entries:
                last += read_varint(buf)
                e.tile_id = last
            for e in entries:
                e.run_length = read_varint(buf)
            for e in entries:
                e.length = read_varint(buf)
            for i, e in enumerate(entries):
                v = read_varint(buf)
                e.offset = entries[i - 1].offset + entries[i - 1].length if i and v == 0 else v - 1
        except EOFError:
            msg = f"{self.path}: a directory ends early"
            raise TileFileError(msg) from None
        return entries

    def get(self, z: int, x: int, y: int) -> bytes | None:
        from pmtiles.tile import find_tile, zxy_to_tileid

        with self._lock:
            h = self.header
            tile_id = zxy_to_tileid(z, x, y)
            offset, length = h["root_offset"], h["root_length"]
            for _ in range(4):  # the format's deepest directory tree
                entry = find_tile(self._directory(offset, length), tile_id)
                if entry is None:
                    return None
                if entry.run_length == 0:
                    offset = h["leaf_directory_offset"] + entry.offset
                    length = entry.length
                    continue
                return bytes(
                    self._bytes(
                        h["tile_data_offset"] + entry.offset, entry.length, MAX_TILE_BYTES, "a tile"
                    )
                )
            return None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._map.close()
        with contextlib.suppress(Exception):
            self._file.close()


def pmtiles_metadata(path: Path) -> dict[str, Any]:
    """Metadata of a PMTiles file, with the header's zooms under ``minzoom``/``maxzoom``."""
    pm = PmtilesFile(path)
    try:
        meta = dict(pm.metadata())
        meta.setdefault("minzoom", pm.header.get("min_zoom", 0))
        meta.setdefault("maxzoom", pm.header.get("max_zoom", 19))
        return meta
    finally:
        pm.close()


__all__ = [
    "MAX_TILE_BYTES",
    "MAX_ZOOM",
    "MbtilesFile",
    "PmtilesFile",
    "TileFileError",
    "check_zoom_range",
    "mbtiles_metadata",
    "pmtiles_metadata",
]
