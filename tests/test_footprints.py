"""Compact building footprints: WKB spans, the bounds index, and the chunked pack reader."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import numpy as np
import pytest
import shapely

from planner.core.buildings import BoundsIndex, BuildingIndex, Footprints, FootprintsBuilder
from planner.core.crs import Projector
from planner.core.errors import InputError
from planner.io.datapack import query_buildings
from planner.io.datapack.query import read_pack_buildings
from planner.io.datapack.store import read_pack, write_pack


def _random_polygons(n: int, seed: int = 3) -> np.ndarray:
    """Boxes, rotated squares with holes and two-part multipolygons around San José."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        x, y = -121.9 + rng.uniform(0, 0.05), 37.3 + rng.uniform(0, 0.05)
        size = 10 ** rng.uniform(-5, -2.3)  # 1 m to 500 m
        box = shapely.box(x, y, x + size, y + size * rng.uniform(0.3, 2))
        if k % 3 == 1:
            box = shapely.Polygon(box.exterior, [box.buffer(-size / 4).exterior.coords])
        elif k % 3 == 2:
            box = shapely.MultiPolygon([box, shapely.box(x - 2 * size, y, x - size, y + size)])
        out.append(box)
    return np.array(out, dtype=object)


def test_footprints_give_back_every_polygon_exactly_in_order() -> None:
    geoms = _random_polygons(300)
    fp = Footprints.from_geometries(geoms)
    assert len(fp) == 300
    idx = np.array([299, 0, 17, 17, 150])
    assert all(shapely.equals_exact(fp.take(idx), geoms[idx], tolerance=0.0))
    np.testing.assert_array_equal(fp.bounds, shapely.bounds(geoms))
    both = Footprints.concat([fp, Footprints.from_geometries(geoms[:5])])
    assert len(both) == 305
    assert all(shapely.equals_exact(both.take(np.arange(300, 305)), geoms[:5], tolerance=0.0))
    assert len(Footprints.from_geometries([])) == 0
    assert Footprints.from_geometries([]).take([]).shape == (0,)


def test_spans_may_skip_bytes_between_polygons() -> None:
    # A GeoPackage chunk keeps its 40-byte blob headers between the WKB spans.
    a, b = shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 7)
    junk = b"GP\x00\x03" + bytes(36)
    buffer = junk + a.wkb + junk + b.wkb
    starts = np.array([40, 40 + len(a.wkb) + 40])
    ends = starts + np.array([len(a.wkb), len(b.wkb)])
    builder = FootprintsBuilder()
    builder.append(np.array([shapely.box(9, 9, 10, 10)], dtype=object))
    builder.append_wkb(buffer, starts, ends, shapely.bounds([a, b]))
    fp = builder.build()
    assert [g.bounds for g in fp.geometries()] == [(9, 9, 10, 10), a.bounds, b.bounds]
    assert len(builder.build()) == 0  # the builder was emptied


def _brute(bounds: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = box
    hit = (bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0)
    return np.flatnonzero(hit)


def test_bounds_index_answers_what_a_scan_of_every_box_answers() -> None:
    rng = np.random.default_rng(11)
    # Tiny, cell-sized and huge boxes (one spans the whole area), some on cell edges.
    x = rng.uniform(-122.0, -121.7, 5000)
    y = rng.uniform(37.2, 37.45, 5000)
    w = 10 ** rng.uniform(-6, -1, 5000)
    x[:50] = np.round(x[:50] / 0.002) * 0.002
    bounds = np.column_stack([x, y, x + w, y + w * rng.uniform(0.2, 3, 5000)])
    bounds[7] = (-122.1, 37.1, -121.6, 37.5)
    index = BoundsIndex(bounds)
    for _ in range(300):
        qx, qy = rng.uniform(-122.0, -121.7), rng.uniform(37.2, 37.45)
        qw = 10 ** rng.uniform(-5, -1.5)
        box = (qx, qy, qx + qw, qy + qw)
        np.testing.assert_array_equal(index.query(box), _brute(bounds, box))
    # a box touching another one's edge meets it
    np.testing.assert_array_equal(
        index.query(tuple(bounds[3, [2, 3, 2, 3]])), _brute(bounds, tuple(bounds[3, [2, 3, 2, 3]]))
    )
    assert len(BoundsIndex(np.empty((0, 4))).query((0, 0, 1, 1))) == 0


def test_building_index_candidates_hold_every_building_meeting_the_region() -> None:
    geoms = _random_polygons(400, seed=5)
    proj = Projector.from_crs(32610)
    index = BuildingIndex.from_geometries(geoms, projector=proj)
    projected = proj.project(geoms)
    rng = np.random.default_rng(2)
    for _ in range(50):
        x, y = proj.point(-121.9 + rng.uniform(0, 0.05), 37.3 + rng.uniform(0, 0.05))
        region = shapely.Point(x, y).buffer(rng.uniform(5, 300))
        want = set(np.flatnonzero(shapely.intersects(projected, region)).tolist())
        got = index.query(region)
        assert want <= set(got.tolist())
        local = index.local(got)
        assert all(
            shapely.equals_exact(
                local.geoms,
                shapely.orient_polygons(projected[got], exterior_cw=True),
                tolerance=1e-6,
            )
        )


# -- the chunked pack reader ------------------------------------------------------------


def _pack(tmp_path: Path, n: int = 40) -> Path:
    import geopandas as gpd

    geoms = _random_polygons(n, seed=9)
    buildings = gpd.GeoDataFrame(
        {"building_id": [f"b{i}" for i in range(n)], "height": [5.0] * n},
        geometry=list(geoms),
        crs="EPSG:4326",
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["church"], "category": ["place_of_worship"], "name": ["c"]},
        geometry=[shapely.Point(-121.88, 37.33)],
        crs="EPSG:4326",
    )
    path = tmp_path / "pack.gpkg"
    write_pack(path, {"buildings": buildings, "sites": sites}, {})
    return path


def _set_blob(path: Path, building_id: str, blob: bytes | None) -> None:
    con = sqlite3.connect(path)
    for (name,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'buildings'"
    ).fetchall():
        con.execute(f'DROP TRIGGER "{name}"')
    con.execute("UPDATE buildings SET geom = ? WHERE building_id = ?", (blob, building_id))
    con.commit()
    con.close()


def _blob(
    geom: shapely.Geometry, *, envelope: tuple[float, ...] | None, big: bool = False
) -> bytes:
    order = ">" if big else "<"
    flags = (0 if big else 1) | ((1 << 1) if envelope is not None else 0)
    head = b"GP\x00" + bytes([flags]) + struct.pack(order + "i", 4326)
    if envelope is not None:
        head += struct.pack(order + "4d", *envelope)
    return head + shapely.to_wkb(geom, byte_order=0 if big else 1)


def _wkbs(fp: Footprints) -> list[bytes]:
    return sorted(shapely.to_wkb(shapely.normalize(fp.geometries())).tolist())


@pytest.mark.parametrize("chunk", [7, 16_384])
def test_chunked_read_equals_the_full_reader_trusted_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(query_buildings, "CHUNK_ROWS", chunk)
    path = _pack(tmp_path)
    full = read_pack(path).buildings
    want = sorted(shapely.to_wkb(shapely.normalize(np.asarray(full.geometry.values))).tolist())
    checked, warnings = read_pack_buildings(path, regions=None, validate=True)
    trusted, _ = read_pack_buildings(path, regions=None, validate=False)
    assert warnings == []
    assert _wkbs(checked) == _wkbs(trusted) == want
    np.testing.assert_allclose(np.sort(trusted.bounds, axis=0), np.sort(checked.bounds, axis=0))
    near, _ = read_pack_buildings(path, regions=[(-121.9, 37.3, -121.875, 37.325)], validate=True)
    assert 0 < len(near) < len(checked)


def test_chunked_read_repairs_skips_and_names_rows_like_the_full_reader(tmp_path: Path) -> None:
    path = _pack(tmp_path)
    bowtie = shapely.Polygon([(-121.9, 37.3), (-121.89, 37.31), (-121.9, 37.31), (-121.89, 37.3)])
    before = len(read_pack_buildings(path, regions=None, validate=True)[0])
    _set_blob(path, "b3", _blob(bowtie, envelope=None))
    _set_blob(path, "b4", None)
    fp, warnings = read_pack_buildings(path, regions=None, validate=True)
    assert len(fp) == before - 1
    assert any("building_id 'b3'" in w and "invalid polygon repaired" in w for w in warnings)
    assert any("1 features without geometry skipped" in w for w in warnings)
    assert all(shapely.is_valid(fp.geometries()))
    full = read_pack(path)
    assert len(full.buildings) == len(fp)
    assert sorted(w.split(": ", 1)[1] for w in full.warnings) == sorted(
        w.split(": ", 1)[1] for w in warnings
    )


def test_trusted_read_takes_bounds_from_headers_or_from_the_geometry(tmp_path: Path) -> None:
    path = _pack(tmp_path)
    square = shapely.box(-121.95, 37.25, -121.949, 37.251)
    _set_blob(path, "b0", _blob(square, envelope=None))  # no envelope
    _set_blob(path, "b1", _blob(square, envelope=(-121.95, -121.949, 37.25, 37.251), big=True))
    for validate in (True, False):
        fp, _ = read_pack_buildings(path, regions=None, validate=validate)
        index = BoundsIndex(fp.bounds)
        hits = index.query((-121.9502, 37.2498, -121.9498, 37.2502))
        assert len(hits) == 2, validate
        np.testing.assert_allclose(fp.bounds[hits], [square.bounds, square.bounds])


def test_an_envelope_that_lies_about_its_geometry_is_refused(tmp_path: Path) -> None:
    path = _pack(tmp_path)
    far = shapely.box(-121.95, 37.25, -121.949, 37.251)
    # The header says the footprint is a kilometre away: a trusted read would miss it.
    _set_blob(path, "b3", _blob(far, envelope=(-121.94, -121.939, 37.26, 37.261)))
    with pytest.raises(InputError, match=r"feature 5 \(building_id 'b3'\).*envelope"):
        read_pack_buildings(path, regions=None, validate=True)


@pytest.mark.parametrize(
    ("cell", "match"),
    [
        ("text", "not a GeoPackage geometry \\(a str value\\)"),
        (b"XY\x00\x01" + bytes(20), "not a GeoPackage geometry"),
        (b"GP\x00\x01\xe6\x10\x00\x00\x01\x03", "unreadable geometry"),
        (
            _blob(shapely.LineString([(0, 0), (1, 1)]), envelope=None),
            "LineString geometry is not allowed",
        ),
        (_blob(shapely.box(500, 0, 501, 1), envelope=None), "outside lon"),
    ],
)
def test_a_bad_building_row_is_one_line_naming_it(tmp_path: Path, cell: object, match: str) -> None:
    path = _pack(tmp_path)
    _set_blob(path, "b4", cell)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=match) as err:
        read_pack_buildings(path, regions=None, validate=True)
    assert "\n" not in str(err.value)
    assert "feature 6" in str(err.value)
