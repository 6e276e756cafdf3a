"""Data packs: layout, round trip, validation, atomic writing, fast bbox reads."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from planner.core.errors import CheckCancelled, InputError
from planner.core.model import CameraStatus
from planner.io.datapack import store as pack_mod
from planner.io.datapack.gis_layers import read_building_layer
from planner.io.datapack.layout import ATTRIBUTION, REQUIRED_LAYERS, SCHEMAS, STREET_COLUMNS
from planner.io.datapack.store import read_metadata, read_pack, write_pack

BOWTIE = shapely.Polygon([(0, 0), (0.001, 0.001), (0.001, 0), (0, 0.001), (0, 0)])


def _layers() -> dict[str, gpd.GeoDataFrame]:
    lon0, lat0 = -121.89, 37.33
    streets = gpd.GeoDataFrame(
        {
            "u": [1, 2],
            "v": [2, 1],
            "key": [0, 0],
            "osmid": ["10", "10"],
            "name": ["Main Street", None],
            "highway": ["primary", "primary"],
            "lanes": ["4", None],
            "oneway": [False, True],
            "maxspeed": ["35 mph", None],
            "length_m": [88.5, 88.5],
        },
        geometry=[
            shapely.LineString([(lon0, lat0), (lon0 + 0.001, lat0)]),
            shapely.LineString([(lon0 + 0.001, lat0), (lon0, lat0)]),
        ],
        crs="EPSG:4326",
    )
    buildings = gpd.GeoDataFrame(
        {"building_id": ["b1", "b2"], "height": [12.5, np.nan], "source": ["x", "x"]},
        geometry=[
            shapely.box(lon0, lat0 + 0.0002, lon0 + 0.0003, lat0 + 0.0004),
            shapely.MultiPolygon(
                [
                    shapely.box(lon0 + 0.0005, lat0 + 0.0002, lon0 + 0.0006, lat0 + 0.0003),
                    shapely.box(lon0 + 0.0007, lat0 + 0.0002, lon0 + 0.0008, lat0 + 0.0003),
                ]
            ),
        ],
        crs="EPSG:4326",
    )
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["way/1", "node/2", "rel/3"],
            "category": ["place_of_worship", "abortion_provider", "consulate"],
            "name": ["Church", "Clinic", None],
            "source": ["osm", "osm", "city"],
            "source_id": ["way/1", "node/2", "3"],
            "tags": [{"amenity": "place_of_worship"}, '{"brand": "Planned Parenthood"}', None],
            "verified": [True, False, None],
        },
        geometry=[
            shapely.box(lon0, lat0 - 0.0005, lon0 + 0.0004, lat0 - 0.0002),
            shapely.Point(lon0 + 0.002, lat0),
            shapely.MultiPolygon([shapely.box(lon0 + 0.003, lat0, lon0 + 0.0035, lat0 + 0.0004)]),
        ],
        crs="EPSG:4326",
    )
    entrances = gpd.GeoDataFrame(
        {
            "entrance_id": ["way/1/e1", "way/1/e2"],
            "site_id": ["way/1", "way/1"],
            "basis": ["driveway", "entrance_node"],
        },
        geometry=[shapely.Point(lon0 + 0.0002, lat0), shapely.Point(lon0, lat0 - 0.0003)],
        crs="EPSG:4326",
    )
    cameras = gpd.GeoDataFrame(
        {
            "camera_id": ["node/5", "node/6"],
            "heading_deg": [90.0, np.nan],
            "fov_deg": [20.0, 60.0],
            "range_m": [25.0, 80.0],
            "brand": ["Flock Safety", None],
            "direction_raw": ["E", None],
            "operator": ["SJPD", None],
            "source_id": ["node/5", "node/6"],
            "tags": [{"man_made": "surveillance"}, "{}"],
        },
        geometry=[
            shapely.Point(lon0 + 0.0001, lat0 + 0.0001),
            shapely.Point(lon0 + 0.003, lat0 - 0.001),
        ],
        crs="EPSG:4326",
    )
    boundaries = gpd.GeoDataFrame(
        {"name": ["District 3"], "kind": ["council_district"]},
        geometry=[shapely.box(lon0 - 0.01, lat0 - 0.01, lon0 + 0.01, lat0 + 0.01)],
        crs="EPSG:4326",
    )
    return {
        "streets": streets,
        "buildings": buildings,
        "sites": sites,
        "entrances": entrances,
        "cameras_existing": cameras,
        "boundaries": boundaries,
    }


META = {
    "sources": [{"path": "a.osm", "sha256": "ab" * 32}],
    "osm_timestamp": "2017-07-25T05:43:06Z",
    "tag_rules": {"place_of_worship": ["amenity=place_of_worship"]},
}


@pytest.fixture
def pack_path(tmp_path: Path) -> Path:
    path = tmp_path / "city.gpkg"
    write_pack(path, _layers(), META)
    return path


def test_round_trip_every_layer(pack_path: Path) -> None:
    pack = read_pack(pack_path)
    assert pack.warnings == []
    assert len(pack.sha256) == 64
    sites = {s.id: s for s in pack.sites}
    assert set(sites) == {"way/1", "node/2", "rel/3"}
    church = sites["way/1"]
    assert church.category == "place_of_worship"
    assert church.geometry.geom_type == "Polygon"
    assert [e.id for e in church.entrances] == ["way/1/e1", "way/1/e2"]
    assert [e.basis for e in church.entrances] == ["driveway", "entrance_node"]
    assert church.entrances[0].lon == pytest.approx(-121.8898)
    assert church.tags == {"amenity": "place_of_worship"}
    assert church.verified is True
    clinic = sites["node/2"]
    assert clinic.geometry.geom_type == "Point" and clinic.entrances == ()
    assert clinic.verified is False
    assert clinic.tags == {"brand": "Planned Parenthood"}
    assert sites["rel/3"].verified is None and sites["rel/3"].name == ""
    assert sites["rel/3"].geometry.geom_type == "MultiPolygon"

    cams = {c.id: c for c in pack.cameras_existing}
    assert cams["node/5"].heading_deg == 90.0
    assert cams["node/6"].heading_deg is None
    assert all(c.status is CameraStatus.EXISTING for c in cams.values())
    assert cams["node/5"].extra["brand"] == "Flock Safety"
    assert cams["node/5"].extra["direction_raw"] == "E"
    assert cams["node/6"].fov_deg == 60.0 and cams["node/6"].range_m == 80.0

    assert list(pack.streets.columns) == [*STREET_COLUMNS, "geometry"]
    assert pack.streets["name"].tolist()[0] == "Main Street"
    assert pack.streets["oneway"].tolist() == [False, True]
    assert pack.streets["u"].dtype == np.int64
    assert pack.streets.crs.to_epsg() == 4326
    # The two-part footprint is split into two polygons with derived ids.
    assert sorted(pack.buildings["building_id"]) == ["b1", "b2/1", "b2/2"]
    assert set(pack.buildings.geometry.geom_type) == {"Polygon"}
    heights = dict(zip(pack.buildings["building_id"], pack.buildings["height"], strict=True))
    assert heights["b1"] == 12.5 and np.isnan(heights["b2/2"])
    assert pack.boundaries is not None and pack.boundaries["name"].tolist() == ["District 3"]

    meta = pack.metadata
    assert meta["attribution"] == ATTRIBUTION
    assert meta["tool_version"] == __import__("planner").__version__
    assert meta["sources"] == META["sources"]
    assert meta["osm_timestamp"] == META["osm_timestamp"]
    assert meta["tag_rules"] == META["tag_rules"]
    assert meta["import_time"]
    assert meta["feature_counts"]["sites"] == 3
    assert read_metadata(pack_path)["format"] == "siting-planner-pack"


def test_pack_is_a_standard_geopackage(pack_path: Path) -> None:
    layers = dict(pyogrio.list_layers(pack_path))
    assert set(layers) == {*REQUIRED_LAYERS, "boundaries", "pack_metadata"}
    assert layers["pack_metadata"] is None  # an attribute table
    con = sqlite3.connect(pack_path)
    try:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        types = dict(
            con.execute("SELECT table_name, geometry_type_name FROM gpkg_geometry_columns")
        )
        assert types["sites"] == "GEOMETRY"  # points and polygons in one layer
        assert types["streets"] == "LINESTRING"
        assert types["buildings"] == "POLYGON"
        assert types["entrances"] == types["cameras_existing"] == "POINT"
        srs = {r[0] for r in con.execute("SELECT srs_id FROM gpkg_geometry_columns")}
        assert srs == {4326}
        indexed = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index'"
            )
        }
        assert indexed == {*REQUIRED_LAYERS, "boundaries"}
        kinds = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
        assert kinds["pack_metadata"] == "attributes"
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    for name, schema in SCHEMAS.items():
        if name == "addresses":  # optional, and this pack has none
            continue
        info = pyogrio.read_info(pack_path, layer=name)
        assert list(info["fields"]) == list(schema), name


def test_empty_layers_keep_their_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    layers = _layers()
    write_pack(path, {"sites": layers["sites"]}, {})
    for name in REQUIRED_LAYERS:
        assert list(pyogrio.read_info(path, layer=name)["fields"]) == list(SCHEMAS[name])
    pack = read_pack(path)
    assert len(pack.sites) == 3 and all(s.entrances == () for s in pack.sites)
    assert len(pack.streets) == 0 and len(pack.buildings) == 0 and pack.cameras_existing == []
    assert pack.boundaries is None  # optional layer not written


def test_layers_and_bbox_selection(pack_path: Path) -> None:
    pack = read_pack(pack_path, layers={"sites"})
    assert pack.buildings is None and pack.streets is None and pack.cameras_existing == []
    assert len(pack.sites) == 3 and len(pack.sites[0].entrances) == 2
    near = read_pack(pack_path, bbox=(-121.8905, 37.3295, -121.8885, 37.3305))
    assert {s.id for s in near.sites} == {"way/1"}
    assert {c.id for c in near.cameras_existing} == {"node/5"}
    with pytest.raises(ValueError, match="unknown pack layer"):
        read_pack(pack_path, layers={"roads"})


def test_invalid_polygon_on_write_is_repaired_and_reported(tmp_path: Path) -> None:
    layers = _layers()
    sites = layers["sites"]
    sites.loc[0, "geometry"] = shapely.affinity.translate(BOWTIE, -121.89, 37.329)
    path = tmp_path / "bow.gpkg"
    meta = write_pack(path, layers, {})
    assert any("way/1" in m and "repaired" in m for m in meta["repairs"])
    pack = read_pack(path)
    church = next(s for s in pack.sites if s.id == "way/1")
    assert church.geometry.is_valid and church.geometry.area > 0
    assert "repaired" in " ".join(pack.metadata["repairs"])


def test_invalid_polygon_edited_into_pack_is_repaired_on_read(pack_path: Path) -> None:
    # As if someone edited the pack in QGIS: a self-intersecting building appears.
    bad = gpd.GeoDataFrame(
        {"building_id": ["bow"], "height": [3.0], "source": ["edit"]},
        geometry=[shapely.affinity.translate(BOWTIE, -121.89, 37.3302)],
        crs="EPSG:4326",
    )
    pyogrio.write_dataframe(bad, pack_path, layer="buildings", append=True)
    pack = read_pack(pack_path)
    assert any("bow" in w and "repaired" in w for w in pack.warnings), pack.warnings
    fixed = pack.buildings.loc[pack.buildings["building_id"] == "bow"].geometry.iloc[0]
    assert fixed.is_valid and fixed.area > 0  # repaired, not dropped


def test_not_a_geopackage(tmp_path: Path) -> None:
    text = tmp_path / "notes.gpkg"
    text.write_text("hello")
    with pytest.raises(InputError, match="not a GeoPackage") as err:
        read_pack(text)
    assert err.value.file == str(text)
    with pytest.raises(InputError, match="file not found"):
        read_pack(tmp_path / "missing.gpkg")
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_pack(empty)


def test_plain_geopackage_is_not_a_pack(tmp_path: Path) -> None:
    path = tmp_path / "plain.gpkg"
    pyogrio.write_dataframe(_layers()["sites"].assign(tags="{}"), path, layer="sites")
    with pytest.raises(InputError, match="pack_metadata") as err:
        read_pack(path)
    assert "not a data pack" in str(err.value)


def _copy_without(src: Path, dst: Path, *, drop: str | None = None, mutate=None) -> None:
    for name, _ in pyogrio.list_layers(src):
        if name == drop:
            continue
        frame = pyogrio.read_dataframe(src, layer=name)
        if mutate is not None:
            frame = mutate(name, frame)
        kwargs = {"geometry_type": "Unknown"} if name == "sites" else {}
        pyogrio.write_dataframe(frame, dst, layer=name, **kwargs)


def test_missing_layer(pack_path: Path, tmp_path: Path) -> None:
    dst = tmp_path / "nolayer.gpkg"
    _copy_without(pack_path, dst, drop="entrances")
    with pytest.raises(InputError, match="layer entrances: missing required layer"):
        read_pack(dst)


def test_wrong_columns(pack_path: Path, tmp_path: Path) -> None:
    dst = tmp_path / "nocat.gpkg"
    _copy_without(
        pack_path, dst, mutate=lambda n, f: f.drop(columns=["category"]) if n == "sites" else f
    )
    with pytest.raises(InputError, match=r"layer sites: missing column\(s\): category"):
        read_pack(dst)


def test_newer_format_version(pack_path: Path, tmp_path: Path) -> None:
    dst = tmp_path / "future.gpkg"

    def bump(name, frame):
        if name == "pack_metadata":
            frame.loc[frame["key"] == "format_version", "value"] = "99"
        return frame

    _copy_without(pack_path, dst, mutate=bump)
    with pytest.raises(InputError, match="newer than this tool"):
        read_pack(dst)


def test_entrance_of_unknown_site(pack_path: Path, tmp_path: Path) -> None:
    dst = tmp_path / "orphan.gpkg"

    def orphan(name, frame):
        if name == "entrances":
            frame.loc[1, "site_id"] = "way/404"
        return frame

    _copy_without(pack_path, dst, mutate=orphan)
    with pytest.raises(InputError, match=r"feature 2.*unknown site_id 'way/404'"):
        read_pack(dst)


def test_bad_camera_values_name_the_row(pack_path: Path, tmp_path: Path) -> None:
    dst = tmp_path / "badcam.gpkg"

    def bad(name, frame):
        if name == "cameras_existing":
            frame.loc[1, "heading_deg"] = 400.0
        return frame

    _copy_without(pack_path, dst, mutate=bad)
    with pytest.raises(
        InputError, match=r"feature 2 \(camera_id 'node/6'\): heading_deg must be in \[0, 360\)"
    ):
        read_pack(dst)


def test_duplicate_ids_rejected_on_write(tmp_path: Path) -> None:
    layers = _layers()
    layers["sites"].loc[2, "site_id"] = "way/1"
    with pytest.raises(InputError, match="duplicate site_id 'way/1'"):
        write_pack(tmp_path / "dup.gpkg", layers, {})
    assert list(tmp_path.iterdir()) == []


def test_bad_coordinates_rejected_on_write(tmp_path: Path) -> None:
    layers = _layers()
    layers["entrances"].loc[0, "geometry"] = shapely.Point(200.0, 37.0)
    with pytest.raises(InputError, match="outside lon"):
        write_pack(tmp_path / "x.gpkg", layers, {})
    layers = _layers()
    layers["sites"].loc[0, "geometry"] = shapely.LineString([(0, 0), (1, 1)])
    with pytest.raises(InputError, match="not allowed in layer 'sites'"):
        write_pack(tmp_path / "x.gpkg", layers, {})
    assert list(tmp_path.iterdir()) == []


def test_cancel_leaves_nothing_and_keeps_older_pack(pack_path: Path) -> None:
    before = pack_path.read_bytes()
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 8  # cancel midway through writing the layers

    with pytest.raises(CheckCancelled):
        write_pack(pack_path, _layers(), META, cancel=cancel)
    assert calls["n"] > 8
    assert pack_path.read_bytes() == before
    assert sorted(p.name for p in pack_path.parent.iterdir()) == ["city.gpkg"]


def test_error_while_writing_leaves_no_temp_file(pack_path: Path, monkeypatch) -> None:
    before = pack_path.read_bytes()
    real = pyogrio.write_dataframe

    def failing(df, path, **kwargs):
        if kwargs.get("layer") == "entrances":
            raise OSError("disk full")
        return real(df, path, **kwargs)

    monkeypatch.setattr(pack_mod.pyogrio, "write_dataframe", failing)
    with pytest.raises(InputError, match="cannot write: disk full"):
        write_pack(pack_path, _layers(), META)
    assert pack_path.read_bytes() == before
    assert sorted(p.name for p in pack_path.parent.iterdir()) == ["city.gpkg"]


def test_progress_reports_stages(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    write_pack(tmp_path / "p.gpkg", _layers(), {}, progress=lambda s, f: seen.append((s, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("buildings" in s for s, _ in seen)
    seen.clear()
    read_pack(tmp_path / "p.gpkg", progress=lambda s, f: seen.append((s, f)))
    assert seen[-1] == ("pack loaded", 1.0)
    assert {s for s, _ in seen} >= {"reading sites", "reading buildings", "reading streets"}


def test_accepts_an_object_with_layer_attributes(tmp_path: Path) -> None:
    class Layers:
        pass

    obj = Layers()
    for name, frame in _layers().items():
        setattr(obj, name, frame)
    write_pack(tmp_path / "o.gpkg", obj, {})
    assert len(read_pack(tmp_path / "o.gpkg").sites) == 3


@pytest.mark.realdata
def test_citywide_buildings_clipped_to_bbox(shared_data: Path, tmp_path: Path) -> None:
    bbox = (-121.895, 37.330, -121.885, 37.340)
    warnings: list[str] = []
    t = time.perf_counter()
    frame = read_building_layer(
        shared_data / "sj_buildings_city_all.gpkg.zip", bbox=bbox, warnings=warnings
    )
    elapsed = time.perf_counter() - t
    assert 300 < len(frame) < 5000  # a few downtown blocks, not the 324,221 of the city
    assert elapsed < 20  # the spatial index does the clipping, not a full read
    assert frame["building_id"].is_unique
    assert frame.intersects(shapely.box(*bbox)).all()
    assert (frame["height"].dropna() >= 0).all()
    path = tmp_path / "clip.gpkg"
    write_pack(
        path, {"buildings": frame}, {"sources": [{"path": "sj_buildings_city_all.gpkg.zip"}]}
    )
    pack = read_pack(path)
    assert len(pack.buildings) >= len(frame)
    assert pack.buildings.geometry.is_valid.all()
    assert json.loads(json.dumps(pack.metadata))["feature_counts"]["buildings"] == len(
        pack.buildings
    )


def test_reads_without_pyarrow(pack_path: Path, monkeypatch) -> None:
    # pyarrow is not a dependency: with it blocked (and whether or not it is installed,
    # when pandas would use it for strings) the pack reads the same.
    fast = read_pack(pack_path)
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)
    slow = read_pack(pack_path)
    assert slow.sites == fast.sites and slow.cameras_existing == fast.cameras_existing
    assert slow.streets["name"].tolist()[0] == "Main Street"
    assert sorted(slow.buildings["building_id"]) == sorted(fast.buildings["building_id"])
    assert slow.buildings.geometry.geom_equals(fast.buildings.geometry).all()


def test_polygon_without_area(tmp_path: Path) -> None:
    flat = shapely.Polygon(
        [(-121.89, 37.33), (-121.889, 37.33), (-121.888, 37.33), (-121.89, 37.33)]
    )
    layers = _layers()
    layers["buildings"].loc[0, "geometry"] = flat
    meta = write_pack(tmp_path / "flat.gpkg", layers, {})
    # A building with no area hides nothing: skipped, and said so.
    assert any("b1" in m and "no area left, skipped" in m for m in meta["repairs"]), meta["repairs"]
    assert "b1" not in set(read_pack(tmp_path / "flat.gpkg").buildings["building_id"])
    # A protected site with no area is never dropped: it keeps its outline.
    layers = _layers()
    layers["sites"].loc[0, "geometry"] = flat
    write_pack(tmp_path / "flat2.gpkg", layers, {})
    site = next(s for s in read_pack(tmp_path / "flat2.gpkg").sites if s.id == "way/1")
    assert site.geometry.area > 0
    assert site.geometry.covers(shapely.Point(-121.889, 37.33))
