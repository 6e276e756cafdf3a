"""Offline basemap files are hostile too: bounded reads, checked zooms, no crash later.

Each test builds a small MBTiles or PMTiles file by hand and goes through the
functions the app's "Offline basemap file…" action and its tile threads use
(:func:`planner.app.map.basemap.source_for_file`, :class:`planner.app.map.basemap.TileFetcher`),
or through the window itself for the remembered choice.
"""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests import app_support

app_env = app_support.app_env
window = app_support.window


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels (the data is a few bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def small_png() -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage

    img = QImage(256, 256, QImage.Format.Format_RGB32)
    img.fill(QColor("#88aacc"))
    buf = QByteArray()
    dev = QBuffer(buf)
    dev.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(dev, "PNG")
    return bytes(buf.data())


def mbtiles(path: Path, meta: dict[str, str], *, tile: bytes = b"", metadata_sql: str = "") -> Path:
    con = sqlite3.connect(path)
    if metadata_sql:
        con.executescript(metadata_sql)
    else:
        con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        con.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
    con.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
        "tile_data BLOB)"
    )
    if tile:
        con.execute("INSERT INTO tiles VALUES (0, 0, 0, ?)", (tile,))
    con.commit()
    con.close()
    return path


def pmtiles(
    path: Path,
    *,
    root: bytes | None = None,
    metadata: bytes | None = None,
    tile: bytes = b"",
    min_zoom: int = 0,
    max_zoom: int = 2,
) -> Path:
    """A PMTiles v3 file: header, root directory, metadata, tile data (gzip inside)."""
    from pmtiles.tile import Compression, Entry, TileType, serialize_directory, serialize_header

    if root is None:
        root = serialize_directory([Entry(0, 0, len(tile), 1)])
    if metadata is None:
        metadata = gzip.compress(json.dumps({"attribution": "test"}).encode())
    header = {
        "root_offset": 127,
        "root_length": len(root),
        "metadata_offset": 127 + len(root),
        "metadata_length": len(metadata),
        "leaf_directory_offset": 127 + len(root) + len(metadata),
        "leaf_directory_length": 0,
        "tile_data_offset": 127 + len(root) + len(metadata),
        "tile_data_length": len(tile),
        "addressed_tiles_count": 1,
        "tile_entries_count": 1,
        "tile_contents_count": 1,
        "clustered": True,
        "internal_compression": Compression.GZIP,
        "tile_compression": Compression.NONE,
        "tile_type": TileType.PNG,
        "min_zoom": min_zoom,
        "max_zoom": max_zoom,
        "min_lon_e7": -1800000000,
        "min_lat_e7": -850000000,
        "max_lon_e7": 1800000000,
        "max_lat_e7": 850000000,
        "center_zoom": 0,
        "center_lon_e7": 0,
        "center_lat_e7": 0,
    }
    path.write_bytes(serialize_header(header) + root + metadata + tile)
    return path


def gzip_bomb(n_bytes: int) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as fh:
        block = b"\0" * (1 << 20)
        for _ in range(n_bytes >> 20):
            fh.write(block)
    return out.getvalue()


@pytest.mark.parametrize(("lo", "hi"), [("-5", "14"), ("0", "2000"), ("9", "3"), ("x", "4")])
def test_mbtiles_zooms_out_of_range_are_refused(tmp_path: Path, lo: str, hi: str) -> None:
    from planner.app.map.basemap import source_for_file

    path = mbtiles(tmp_path / "z.mbtiles", {"minzoom": lo, "maxzoom": hi})
    with pytest.raises(ValueError, match=r"z\.mbtiles: metadata (minzoom|maxzoom)"):
        source_for_file(path)


def test_pmtiles_zoom_past_24_is_refused(tmp_path: Path) -> None:
    from planner.app.map.basemap import source_for_file

    path = pmtiles(tmp_path / "z.pmtiles", tile=small_png(), max_zoom=200)
    with pytest.raises(ValueError, match="maxzoom 200 is not a zoom level"):
        source_for_file(path)


def test_a_remembered_zoom_of_2000_never_reaches_the_paint() -> None:
    from planner.app.map.basemap import BasemapSource

    with pytest.raises(ValueError, match="zoom levels"):
        BasemapSource(name="x", url="http://127.0.0.1/{z}/{x}/{y}", attribution="", max_zoom=2000)


def test_a_recursive_view_as_metadata_is_refused_at_once(tmp_path: Path) -> None:
    from planner.app.map.basemap import source_for_file

    sql = (
        "CREATE VIEW metadata AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
        "SELECT 'name' || n AS name, hex(randomblob(1000)) AS value FROM r;"
    )
    path = mbtiles(tmp_path / "v.mbtiles", {}, metadata_sql=sql)
    with pytest.raises(ValueError, match="its metadata is a view"):
        source_for_file(path)


def test_a_slow_tiles_view_is_interrupted(tmp_path: Path) -> None:
    from planner.io.formats.tiles import MbtilesFile, TileFileError

    path = mbtiles(tmp_path / "s.mbtiles", {"minzoom": "0", "maxzoom": "2"})
    con = sqlite3.connect(path)
    con.executescript(
        "DROP TABLE tiles; CREATE VIEW tiles AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL "
        "SELECT n + 1 FROM r) SELECT 0 AS zoom_level, 0 AS tile_column, 0 AS tile_row, "
        "zeroblob(10) AS tile_data FROM r WHERE n < 0;"
    )
    con.close()
    reader = MbtilesFile(path)
    try:
        with pytest.raises(TileFileError, match="cannot read a tile"):
            reader.get(0, 0, 0)
    finally:
        reader.close()


def test_pmtiles_metadata_bomb_is_refused(tmp_path: Path) -> None:
    from planner.app.map.basemap import source_for_file

    path = pmtiles(tmp_path / "m.pmtiles", tile=small_png(), metadata=gzip_bomb(64 << 20))
    with pytest.raises(ValueError, match="metadata expands past"):
        source_for_file(path)


def test_pmtiles_directory_bomb_stops_at_the_cap(tmp_path: Path) -> None:
    from planner.io.formats.tiles import PmtilesFile, TileFileError

    path = pmtiles(tmp_path / "d.pmtiles", tile=small_png(), root=gzip_bomb(64 << 20))
    pm = PmtilesFile(path)
    try:
        with pytest.raises(TileFileError, match="directory"):
            pm.get(0, 0, 0)
    finally:
        pm.close()


def test_a_good_pmtiles_file_serves_its_tile(tmp_path: Path) -> None:
    from planner.app.map.basemap import decode_tile, source_for_file
    from planner.io.formats.tiles import PmtilesFile

    png = small_png()
    path = pmtiles(tmp_path / "ok.pmtiles", tile=png)
    src = source_for_file(path)
    assert (src.min_zoom, src.max_zoom, src.attribution) == (0, 2, "test")
    pm = PmtilesFile(path)
    try:
        assert pm.get(0, 0, 0) == png
        assert pm.get(1, 0, 0) is None
    finally:
        pm.close()
    assert decode_tile(png).width() == 256


def test_a_tile_that_decodes_to_8000_pixels_is_not_decoded(tmp_path: Path) -> None:
    from planner.app.map.basemap import decode_tile

    assert decode_tile(png_header(8000, 8000)).isNull()
    assert decode_tile(b"not an image").isNull()


def test_a_remembered_basemap_file_that_fails_is_forgotten(window: Any, tmp_path: Path) -> None:
    path = mbtiles(tmp_path / "bad.mbtiles", {"minzoom": "-5", "maxzoom": "2000"})
    store = window.settings.store
    store.setValue("basemap/source", f"mbtiles\nbad\n{path}\n\n2000")
    window.gis._restore_basemap()
    assert window.canvas.basemap is None
    assert store.value("basemap/source") is None


def test_choosing_a_bad_basemap_file_says_so_and_remembers_nothing(
    window: Any, tmp_path: Path
) -> None:
    path = mbtiles(tmp_path / "bad.mbtiles", {"minzoom": "0", "maxzoom": "2000"})
    window.prompter.next_open = path
    window.gis._file_basemap()
    window.wait_idle(10)  # the file is read on a worker
    errors = [t for k, t in window.prompter.asked if k == "error"]
    assert errors and "maxzoom 2000" in errors[-1]
    assert window.settings.store.value("basemap/source") is None


def test_choosing_a_good_basemap_file_shows_and_remembers_it(window: Any, tmp_path: Path) -> None:
    path = mbtiles(tmp_path / "ok.mbtiles", {"minzoom": "0", "maxzoom": "3"}, tile=small_png())
    window.prompter.next_open = path
    window.gis._file_basemap()
    window.wait_idle(10)
    assert window.canvas.basemap is not None
    assert (window.canvas.basemap.source.min_zoom, window.canvas.basemap.source.max_zoom) == (0, 3)
    assert str(path) in str(window.settings.store.value("basemap/source"))
