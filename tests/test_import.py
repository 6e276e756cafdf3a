"""``siting-planner import``: sources to a data pack, bad input, cancel, GIS layers."""

from __future__ import annotations

import argparse
import bz2
import hashlib
import io
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from planner.commands.import_data import TerminalProgress, configure_parser, run
from planner.core.errors import CheckCancelled, InputError
from planner.core.model import CameraStatus
from planner.io.datapack import gis_layers, importer
from planner.io.datapack.gis_layers import parse_layer_spec, read_site_layer
from planner.io.datapack.importer import run_import
from planner.io.datapack.layout import ATTRIBUTION
from planner.io.datapack.store import read_pack, write_pack

MINI_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="37.3300" lon="-121.8900" version="1" timestamp="2020-01-01T00:00:00Z"/>
  <node id="2" lat="37.3300" lon="-121.8880" version="1" timestamp="2020-01-01T00:00:00Z"/>
  <node id="3" lat="37.3310" lon="-121.8880" version="1" timestamp="2020-01-01T00:00:00Z"/>
  <node id="4" lat="37.3305" lon="-121.8890" version="1" timestamp="2021-06-01T00:00:00Z">
    <tag k="amenity" v="place_of_worship"/><tag k="name" v="Test Chapel"/>
  </node>
  <node id="5" lat="37.3301" lon="-121.8885" version="1" timestamp="2020-01-01T00:00:00Z">
    <tag k="man_made" v="surveillance"/><tag k="surveillance:type" v="ALPR"/>
    <tag k="camera:direction" v="90"/>
  </node>
  <way id="10" version="1" timestamp="2020-01-01T00:00:00Z">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="name" v="Test Street"/>
  </way>
</osm>
"""

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<osm version="0.6"><node id="1" lat="37.33" lon="-121.89"><tag k="name" v="&lol3;"/></node></osm>
"""


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure_parser(parser)
    return parser.parse_args(["-q", *argv])


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def mini_osm(tmp_path: Path) -> Path:
    path = tmp_path / "mini.osm"
    path.write_text(MINI_OSM)
    return path


@pytest.fixture
def old_pack(tmp_path: Path) -> Path:
    """An older pack at the output path, which a failed import must not touch."""
    path = tmp_path / "out.gpkg"
    sites = gpd.GeoDataFrame(
        {"site_id": ["old"], "category": ["embassy"]},
        geometry=[shapely.Point(-121.9, 37.3)],
        crs="EPSG:4326",
    )
    write_pack(path, {"sites": sites}, {})
    return path


def _only(folder: Path, *names: str) -> None:
    assert sorted(
        p.name for p in folder.iterdir() if not p.name.endswith((".osm", ".csv", ".json"))
    ) == sorted(names)


def test_import_small_osm_file_via_cli(mini_osm: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "pack.gpkg"
    plan = tmp_path / "existing.plan.geojson"
    code = run(_args(str(mini_osm), "-o", str(out), "--existing-plan", str(plan)))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "wrote" in captured.out and ATTRIBUTION in captured.out
    pack = read_pack(out)
    assert [s.name for s in pack.sites] == ["Test Chapel"]
    assert len(pack.streets) >= 2
    assert [c.heading_deg for c in pack.cameras_existing] == [90.0]
    src = pack.metadata["sources"][0]
    assert src["sha256"] == _sha(mini_osm) and src["kind"] == "osm"
    assert pack.metadata["osm_timestamp"] is not None
    assert pack.metadata["attribution"] == ATTRIBUTION

    from planner.io.formats.plan import read_plan

    existing = read_plan(plan)
    assert [c.status for c in existing.cameras] == [CameraStatus.EXISTING]
    assert existing.cameras[0].heading_deg == 90.0


@pytest.mark.realdata
def test_import_downtown_extract_end_to_end(shared_data: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "downtown.gpkg"
    plan = tmp_path / "existing.plan.geojson"
    districts = (
        f"{shared_data / 'sj_council_districts_2016.geojson'}:kind=council_district,name=DISTRICTS"
    )
    code = run(
        _args(
            str(shared_data / "osm_sj_downtown_merged.osm.bz2"),
            str(shared_data / "alpr_sanjose_osm_2025-10-04.geojson"),
            "-o", str(out),
            "--sites", str(shared_data / "sj_sensitive_sites.geojson"),
            "--boundaries", districts,
            "--existing-plan", str(plan),
        )
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    pack = read_pack(out)
    assert abs(len(pack.streets) - 1195) <= 30
    pow_osm = [
        s for s in pack.sites if s.category == "place_of_worship" and s.source.startswith("osm")
    ]
    assert len(pow_osm) == 13
    assert sum(len(s.entrances) for s in pack.sites) >= 1
    # 12 of its 17 sites are the downtown churches the OSM extract already gave: kept once
    assert len([s for s in pack.sites if s.id.startswith("sj_sensitive_sites:")]) == 5
    assert len(pack.cameras_existing) == 363
    assert sum(c.heading_deg is None for c in pack.cameras_existing) == 11
    assert pack.boundaries is not None and sorted(pack.boundaries["name"], key=int) == [
        str(i) for i in range(1, 11)
    ]
    kinds = [s["kind"] for s in pack.metadata["sources"]]
    assert kinds == ["osm", "osm", "sites", "boundaries"]
    assert pack.metadata["sources"][0]["sha256"] == _sha(
        shared_data / "osm_sj_downtown_merged.osm.bz2"
    )
    assert pack.metadata["tag_rules"]  # the category rules used are recorded


@pytest.mark.realdata
def test_merging_the_same_source_twice_deduplicates(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "osm_west_oakland.osm.bz2"
    once = run_import([src], tmp_path / "once.gpkg")
    twice = run_import([src, src], tmp_path / "twice.gpkg")
    assert once.counts == twice.counts
    assert once.counts["sites"] >= 3


def _write_truncated(shared: Path, path: Path) -> None:
    data = bz2.decompress((shared / "osm_sj_downtown_merged.osm.bz2").read_bytes())
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    "kind", ["truncated", "bomb", "not_osm", "empty_area", "missing", "empty_file"]
)
def test_bad_sources_exit_2_and_leave_the_old_pack(
    kind: str, tmp_path: Path, old_pack: Path, mini_osm: Path, shared_data_or_none, capsys
) -> None:
    before = old_pack.read_bytes()
    extra: list[str] = []
    if kind == "truncated":
        src = tmp_path / "truncated.osm"
        if shared_data_or_none is None:
            src.write_text(MINI_OSM[: len(MINI_OSM) // 2])
        else:
            _write_truncated(shared_data_or_none, src)
    elif kind == "bomb":
        src = tmp_path / "bomb.osm"
        src.write_text(BOMB)
    elif kind == "not_osm":
        src = tmp_path / "photo.osm"
        src.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    elif kind == "empty_area":
        src = mini_osm
        extra = ["--bbox", "10", "10", "10.01", "10.01"]
    elif kind == "missing":
        src = tmp_path / "nowhere.osm"
    else:
        src = tmp_path / "empty.osm"
        src.write_bytes(b"")
    code = run(_args(str(src), "-o", str(old_pack), *extra))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith(f"error: {src}: "), err
    assert "Traceback" not in err[0]
    assert old_pack.read_bytes() == before
    _only(tmp_path, "out.gpkg")


@pytest.fixture
def shared_data_or_none():
    from tests.shared_data import locate_shared_data

    return locate_shared_data()


def test_bad_source_leaves_no_file_when_none_was_there(tmp_path: Path, capsys) -> None:
    src = tmp_path / "bomb.osm"
    src.write_text(BOMB)
    out = tmp_path / "new.gpkg"
    assert run(_args(str(src), "-o", str(out))) == 2
    assert "error:" in capsys.readouterr().err
    assert not out.exists()
    _only(tmp_path)


def test_bad_arguments_exit_2(mini_osm: Path, tmp_path: Path, capsys) -> None:
    assert (
        run(_args(str(mini_osm), "-o", str(tmp_path / "x.gpkg"), "--bbox", "1", "2", "0", "3")) == 2
    )
    assert capsys.readouterr().err.startswith("error: --bbox: ")
    assert run(_args(str(mini_osm), "-o", str(tmp_path / "x.txt"))) == 2
    assert "must be a .gpkg" in capsys.readouterr().err
    assert run(_args(str(mini_osm), "-o", str(tmp_path / "no" / "x.gpkg"))) == 2
    assert "does not exist" in capsys.readouterr().err
    assert run(_args("-o", str(tmp_path / "x.gpkg"))) == 2
    assert "at least one source" in capsys.readouterr().err
    _only(tmp_path)


def test_cancel_leaves_nothing(mini_osm: Path, old_pack: Path, tmp_path: Path) -> None:
    before = old_pack.read_bytes()
    for stop_after in (1, 3, 6, 12):
        calls = {"n": 0}

        def cancel(stop_after: int = stop_after, calls: dict = calls) -> bool:
            calls["n"] += 1
            return calls["n"] >= stop_after

        with pytest.raises(CheckCancelled):
            run_import(
                [mini_osm], old_pack, existing_plan=tmp_path / "e.plan.geojson", cancel=cancel
            )
        assert old_pack.read_bytes() == before
        _only(tmp_path, "out.gpkg")


def test_ctrl_c_exits_130(
    mini_osm: Path, old_pack: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    before = old_pack.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(importer.gis_layers, "read_building_layer", interrupted)
    code = run(_args(str(mini_osm), "-o", str(old_pack), "--buildings", str(mini_osm)))
    assert code == 130
    assert "cancelled" in capsys.readouterr().err
    assert old_pack.read_bytes() == before
    _only(tmp_path, "out.gpkg")


def test_progress_callback_is_monotonic(mini_osm: Path, tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    run_import([mini_osm], tmp_path / "p.gpkg", progress=lambda s, f: seen.append((s, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0 and fractions[0] < 0.1
    assert any("writing" in s for s, _ in seen)


def test_terminal_progress_bar() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = TerminalProgress(tty, width=10)
    bar("reading", 0.5)
    bar("done", 1.0)
    assert "\r[#####-----]  50% reading" in tty.getvalue()
    assert tty.getvalue().endswith("\n")
    plain = io.StringIO()
    bar = TerminalProgress(plain)
    for f in (0.0, 0.1, 0.2):
        bar("reading", f)
    bar("writing", 0.9)
    assert plain.getvalue() == "  0% reading\n 90% writing\n"


def test_online_sources_go_to_osmnx(mini_osm: Path, tmp_path: Path, monkeypatch) -> None:
    from planner.io.openstreetmap import download
    from planner.io.openstreetmap import layers as osm

    calls: list[object] = []

    def fake_fetch(target, **kwargs):
        calls.append(target)
        return osm.read_osm_source(mini_osm)

    monkeypatch.setattr(download, "fetch_osm", fake_fetch)
    summary = run_import(
        ["San José, California", "-121.9,37.32,-121.88,37.34"], tmp_path / "online.gpkg"
    )
    assert calls == ["San José, California", (-121.9, 37.32, -121.88, 37.34)]
    assert summary.sources[0]["kind"] == "online" and summary.sources[0]["sha256"] is None
    assert summary.counts["sites"] == 1  # the same data twice, deduplicated
    # A file name that does not exist is a missing file, never a place name to geocode.
    with pytest.raises(InputError, match="file not found"):
        run_import(["downtwon.osm.bz2"], tmp_path / "typo.gpkg")
    assert len(calls) == 2


CSV = """OBJECTID,NAME,LON,LAT,DENOMINATION
1,First Church,-121.8890,37.3305,baptist
2,Second Temple,-121.8870,37.3310,
3,Third Mosque,-121.8850,37.3320,sunni
"""


def test_csv_site_layer_with_field_mapping(tmp_path: Path, mini_osm: Path) -> None:
    csv_path = tmp_path / "places.csv"
    csv_path.write_text(CSV)
    spec = f"{csv_path}:category=place_of_worship,name=NAME,id=OBJECTID,lon=LON,lat=LAT"
    out = tmp_path / "p.gpkg"
    summary = run_import([mini_osm], out, site_layers=[spec])
    pack = read_pack(out)
    city = {s.id: s for s in pack.sites if s.id.startswith("places:")}
    assert sorted(city) == ["places:1", "places:2", "places:3"]
    assert city["places:1"].name == "First Church"
    assert city["places:1"].category == "place_of_worship"
    assert city["places:3"].geometry.equals(shapely.Point(-121.885, 37.332))
    assert city["places:1"].tags["DENOMINATION"] == "baptist"
    assert summary.sources[1]["mapping"]["name"] == "NAME"
    assert summary.sources[1]["sha256"] == _sha(csv_path)


def test_csv_only_import_with_bbox(tmp_path: Path) -> None:
    csv_path = tmp_path / "places.csv"
    csv_path.write_text(CSV)
    out = tmp_path / "p.gpkg"
    run_import(
        [],
        out,
        site_layers=[f"{csv_path}:category=place_of_worship,name=NAME,id=OBJECTID"],
        bbox=(-121.8895, 37.33, -121.8860, 37.3315),
    )
    assert [s.name for s in read_pack(out).sites] == ["First Church", "Second Temple"]


@pytest.mark.parametrize(
    ("content", "spec", "message"),
    [
        (
            "ID,NAME,X,Y\n1,a,1,2\n",
            "category=place_of_worship,lon=LON,lat=LAT",
            r"line 1 \(header\): missing column 'LON' for lon; columns are: ID, NAME, X, Y",
        ),
        (
            CSV.replace("-121.8870,37.3310", "-121.8870,north"),
            "category=place_of_worship,id=OBJECTID",
            r"line 3 \(row 2\): LAT must be a number, got 'north'",
        ),
        (
            CSV.replace("37.3320", "97.3320"),
            "category=place_of_worship",
            r"line 4 \(row 3\): LAT must be a latitude in \[-90, 90\], got 97.332",
        ),
        (
            CSV.replace("\n2,", "\n1,"),
            "category=place_of_worship,id=OBJECTID",
            r"line 3 \(row 2\): duplicate id '1' \(also on row 1\)",
        ),
        (CSV, "category=Place Of Worship", r"category must be a key like place_of_worship"),
        ("OBJECTID,LON,LAT\n", "category=embassy", r"no data rows"),
    ],
)
def test_bad_csv_names_the_row(
    tmp_path: Path, content: str, spec: str, message: str, capsys
) -> None:
    csv_path = tmp_path / "places.csv"
    csv_path.write_text(content)
    with pytest.raises(InputError, match=message) as err:
        read_site_layer(f"{csv_path}:{spec}")
    assert err.value.file == str(csv_path)
    out = tmp_path / "p.gpkg"
    assert run(_args("-o", str(out), "--sites", f"{csv_path}:{spec}")) == 2
    assert capsys.readouterr().err.startswith(f"error: {csv_path}: ")
    assert not out.exists()


def test_geojson_layer_with_category_field(tmp_path: Path) -> None:
    path = tmp_path / "city_sites.geojson"
    gpd.GeoDataFrame(
        {"KIND": ["consulate", "embassy"], "LABEL": ["A", "B"], "OBJECTID": [7, 8]},
        geometry=[shapely.box(-121.89, 37.33, -121.888, 37.332), shapely.Point(-121.88, 37.34)],
        crs="EPSG:4326",
    ).to_file(path)
    sites, entrances = read_site_layer(
        f"{path}:category_field=KIND,name=LABEL,id=OBJECTID,verified=false"
    )
    assert sites["site_id"].tolist() == ["city_sites:7", "city_sites:8"]
    assert sites["category"].tolist() == ["consulate", "embassy"]
    assert sites["verified"].tolist() == [False, False]
    assert len(entrances) == 0
    with pytest.raises(InputError, match="missing field 'NAME' for name"):
        read_site_layer(f"{path}:category=embassy,name=NAME")


def test_layer_spec_parsing() -> None:
    spec = parse_layer_spec("C:/data/places.csv:category=place_of_worship,name=NAME")
    assert spec.path == Path("C:/data/places.csv")
    assert spec.mapping == {"category": "place_of_worship", "name": "NAME"}
    assert parse_layer_spec("/vsizip//a/b.zip/c.gpkg").source == "/vsizip//a/b.zip/c.gpkg"
    assert parse_layer_spec("plain.geojson").mapping == {}
    with pytest.raises(InputError, match="unknown key 'colour'"):
        parse_layer_spec("x.csv:colour=red")


def test_zip_without_vector_file(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    with pytest.raises(InputError, match="holds no vector file"):
        gis_layers.gdal_path(path)
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    with pytest.raises(InputError, match="not a valid zip"):
        gis_layers.gdal_path(bad)


@pytest.mark.realdata
def test_sites_spec_file_and_zipped_buildings(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.gpkg"
    bbox = (-121.90, 37.32, -121.88, 37.34)
    summary = run_import(
        [],
        out,
        bbox=bbox,
        site_layers=[shared_data / "sj_sensitive_sites.geojson"],
        building_layers=[shared_data / "sj_buildings_city_all.gpkg.zip"],
        boundary_layers=[
            f"{shared_data / 'sj_city_limits_2016.geojson'}:kind=city_limits,name=INCORP"
        ],
    )
    pack = read_pack(out)
    assert 0 < len(pack.sites) < 17  # only those in the box
    assert len(pack.buildings) > 1000
    assert pack.boundaries["name"].tolist() == ["San Jose"]
    src = {s["kind"]: s for s in summary.sources}
    assert src["buildings"]["sha256"] == _sha(shared_data / "sj_buildings_city_all.gpkg.zip")


def test_bad_source_gives_exactly_one_error_line_off_a_terminal(tmp_path: Path, capsys) -> None:
    # pytest captures stderr, so it is not a TTY: no stage lines unless --progress.
    src = tmp_path / "bomb.osm"
    src.write_text(BOMB)
    parser = argparse.ArgumentParser()
    configure_parser(parser)
    assert run(parser.parse_args([str(src), "-o", str(tmp_path / "x.gpkg")])) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {src}: ")


def test_progress_option_prints_stage_lines_for_logs(tmp_path: Path, capsys) -> None:
    src = tmp_path / "bomb.osm"
    src.write_text(BOMB)
    parser = argparse.ArgumentParser()
    configure_parser(parser)
    assert run(parser.parse_args([str(src), "-o", str(tmp_path / "x.gpkg"), "--progress"])) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith(f"error: {src}: ")
    assert [ln for ln in lines if ln.startswith("error:")] == [lines[-1]]
    assert len(lines) >= 2 and all("%" in ln for ln in lines[:-1])
