"""Files from other departments are hostile: one test (or more) per class found.

Each test drives the real command (``planner.cli.main``) or reader with a crafted
file and checks the contract: a one-line ``error:`` and exit 2, or the right result;
never exit 3, never a traceback, never a request, never a destroyed input.
"""

from __future__ import annotations

import bz2
import gzip
import http.server
import json
import os
import sqlite3
import stat
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import shapely

from planner.cli import main
from planner.core.errors import InputError

# --------------------------------------------------------------------------- helpers

CHURCH_LON, CHURCH_LAT = -121.8895, 37.3300


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code: int, err: str, file: str | Path | None = None) -> str:
    """Exit 2 and exactly one ``error:`` line naming ``file``."""
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "internal error" not in err and "Traceback" not in err
    if file is not None:
        assert str(file) in lines[0], err
    return lines[0]


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def plan_doc(
    cameras: list[tuple[str, float, float, float]] | None = None, **meta: Any
) -> dict[str, Any]:
    cams = cameras or [("C-1", -121.8900, 37.3300, 90.0)]
    return {
        "type": "FeatureCollection",
        "siting_plan": {"format": "siting-plan", "format_version": 1, "name": "t", **meta},
        "features": [
            {
                "type": "Feature",
                "id": cid,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"heading_deg": heading, "fov_deg": 40, "range_m": 100},
            }
            for cid, lon, lat, heading in cams
        ],
    }


def site_feature(sid: str, geometry: dict[str, Any], name: str = "") -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"id": sid, "category": "place_of_worship", "name": name},
        "geometry": geometry,
    }


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def zero_area_church() -> dict[str, Any]:
    """Three collinear positions east of the camera: a polygon with no area."""
    ring = [[CHURCH_LON, CHURCH_LAT], [CHURCH_LON + 0.0002, CHURCH_LAT]]
    ring += [[CHURCH_LON + 0.0004, CHURCH_LAT], [CHURCH_LON, CHURCH_LAT]]
    return {"type": "Polygon", "coordinates": [ring]}


def sites_doc(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    return write_json(tmp_path / "p.plan.geojson", plan_doc())


@pytest.fixture
def sites(tmp_path: Path) -> Path:
    return write_json(
        tmp_path / "sites.geojson",
        sites_doc([site_feature("far", point(-121.95, 37.40), "Far chapel")]),
    )


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request it receives."""
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ 1. GDAL indirection


def _vrt(source: str) -> str:
    return (
        '<OGRVRTDataSource><OGRVRTLayer name="sites">'
        f"<SrcDataSource>{source}</SrcDataSource>"
        "<GeometryType>wkbPoint</GeometryType></OGRVRTLayer></OGRVRTDataSource>"
    )


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp", ".fgb"])
def test_vrt_behind_any_name_makes_no_request(
    tmp_path: Path,
    suffix: str,
    plan: Path,
    sites: Path,
    loopback: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, hits = loopback
    vrt = tmp_path / f"evil{suffix}"
    vrt.write_text(_vrt(f"/vsicurl/{url}/x.csv"), encoding="utf-8")
    for argv in (
        ["check", str(plan), "--sites", str(vrt)],
        ["check", str(plan), "--sites", str(sites), "--buildings", str(vrt)],
        ["check", str(plan), "--sites", str(sites), "--streets", str(vrt)],
        ["import", "--buildings", str(vrt), "-o", str(tmp_path / "o.gpkg"), "-q"],
        ["import", "--sites", f"{vrt}:category=consulate", "-o", str(tmp_path / "o.gpkg"), "-q"],
    ):
        code, _, err = run(argv, capsys)
        assert_refused(code, err, vrt)
    time.sleep(0.2)
    assert hits == []
    assert not (tmp_path / "o.gpkg").exists()


def test_csv_etc_passwd_never_reaches_the_report(
    tmp_path: Path, plan: Path, sites: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vrt = tmp_path / "sites.gpkg"
    vrt.write_text(_vrt("CSV:/etc/passwd"), encoding="utf-8")
    code, out, err = run(["check", str(plan), "--sites", str(vrt)], capsys)
    assert_refused(code, err, vrt)
    assert "root:x:" not in out + err
    for name in ("CSV:/etc/passwd", "/vsicurl/http://127.0.0.1:9/x.gpkg", "/vsizip//etc/x.zip/a"):
        code, out, err = run(["import", "--sites", f"{name}:category=consulate", "-o",
                              str(tmp_path / "o.gpkg"), "-q"], capsys)  # fmt: skip
        assert_refused(code, err)
        assert "driver prefixes" in err
        code, out, err = run(["check", str(plan), "--buildings", name, "--sites", str(sites)],
                             capsys)  # fmt: skip
        assert_refused(code, err)
        assert "root:x:" not in out


def _gpkg_with(tmp_path: Path, sql: str) -> Path:
    path = tmp_path / "v.gpkg"
    con = sqlite3.connect(path)
    con.execute("PRAGMA application_id = 1196444487")
    con.execute("CREATE TABLE gpkg_contents (table_name TEXT)")
    con.execute(sql)
    con.commit()
    con.close()
    return path


def test_geopackage_with_a_virtual_table_is_refused(
    tmp_path: Path, plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _gpkg_with(tmp_path, "CREATE VIRTUAL TABLE t USING fts5(a)")
    code, _, err = run(["check", str(plan), "--sites", str(path)], capsys)
    assert "virtual table" in assert_refused(code, err, path)


def test_sqlite_that_is_not_a_geopackage_is_refused(tmp_path: Path) -> None:
    from planner.io.safety.vector_source import vector_source

    path = tmp_path / "plain.gpkg"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (a)")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="not a GeoPackage"):
        vector_source(path)


def test_zip_member_names_are_checked(tmp_path: Path) -> None:
    import zipfile

    from planner.io.safety.vector_source import vector_source

    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../etc/sites.gpkg", b"SQLite format 3\x00")
    with pytest.raises(InputError, match="not a plain relative file name"):
        vector_source(archive)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("inner.gpkg", _vrt("CSV:/etc/passwd"))
    with pytest.raises(InputError, match="VRT"):
        vector_source(archive)


# ------------------------------------------------------------ 2. outputs never destroy inputs


def test_check_output_onto_its_own_inputs_is_refused(
    tmp_path: Path, plan: Path, sites: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p: p.read_bytes() for p in (plan, sites)}
    link = tmp_path / "link.geojson"
    link.symlink_to(plan)
    dotted = tmp_path / "sub" / ".." / plan.name
    (tmp_path / "sub").mkdir()
    for out in (plan, sites, link, dotted):
        code, _, err = run(
            ["check", str(plan), "--sites", str(sites), "--output", str(out)], capsys
        )
        assert "destroy an input" in assert_refused(code, err)
    hard = tmp_path / "hard.geojson"
    os.link(plan, hard)
    code, _, err = run(["check", str(plan), "--sites", str(sites), "--output", str(hard)], capsys)
    assert_refused(code, err)
    assert {p: p.read_bytes() for p in (plan, sites)} == before


def test_import_outputs_onto_inputs_or_each_other_are_refused(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "alpr.geojson"
    src.write_bytes((shared_data / "alpr_sanjose_osm_2025-10-04.geojson").read_bytes())
    before = src.read_bytes()
    pack = tmp_path / "p.gpkg"
    for argv in (
        [str(src), "-o", str(pack), "--existing-plan", str(src)],
        [str(src), "-o", str(pack), "--existing-plan", str(pack)],
    ):
        code, _, err = run(["import", *argv, "-q"], capsys)
        assert "destroy an input" in assert_refused(code, err)
    assert src.read_bytes() == before
    assert not pack.exists()


def test_output_to_a_fifo_is_written_as_a_stream(
    tmp_path: Path, plan: Path, sites: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = run(["check", str(plan), "--sites", str(sites), "--output", str(fifo)], capsys)
    reader.join(10)
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert b"1 cameras" in got[0]


def test_atomic_write_never_renames_over_a_device_or_folder(tmp_path: Path) -> None:
    from planner.io.safety.atomic import atomic_write_text

    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    for target in (fifo, tmp_path):
        with pytest.raises(InputError):
            atomic_write_text(target, "x")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# ------------------------------------------------------------- 3. terminal and line injection

HOSTILE = "St. Mary\x1b]0;pwned\x07\x1b[2J\nBLOCK  C-9\u202egnp.exe\x9b31m"


def test_control_characters_are_escaped_in_the_text_report(
    tmp_path: Path, plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    church = site_feature("church", point(CHURCH_LON, CHURCH_LAT), HOSTILE)
    sites = write_json(tmp_path / "s.geojson", sites_doc([church]))
    code, out, err = run(["check", str(plan), "--sites", str(sites)], capsys)
    assert code == 1, err
    for bad in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert bad not in out
    assert "\\e]0;pwned\\x07" in out
    assert not any(line.startswith("BLOCK  C-9") for line in out.splitlines())
    code, out, _ = run(["check", str(plan), "--sites", str(sites), "--format", "json"], capsys)
    assert "\x1b" not in out and "\u202e" not in out and "\x9b" not in out
    names = [f["site_name"] for f in json.loads(out)["findings"]]
    assert names == [HOSTILE]  # escaped, not altered


def test_an_error_is_always_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = plan_doc()
    doc["features"][0]["id"] = "C-1\nerror: forged\x1b[31m"
    doc["features"][0]["properties"]["fov_deg"] = 400
    bad = write_json(tmp_path / "bad\nname.plan.geojson", doc)
    code, _, err = run(["check", str(bad), "--no-sites"], capsys)
    line = assert_refused(code, err)
    assert "\x1b" not in line and "\\n" in line


# ---------------------------------------------------------------------- 4. GraphML streets

GRAPHML_HEAD = (
    '<?xml version="1.0"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
    '<key id="x" for="node" attr.name="x" attr.type="string"/>'
    '<key id="y" for="node" attr.name="y" attr.type="string"/>'
    '<graph edgedefault="directed">'
)


def _node(nid: str, x: str, y: str) -> str:
    return f'<node id="{nid}"><data key="x">{x}</data><data key="y">{y}</data></node>'


_EDGE = '<edge source="1" target="2"/>'
_ONE = _node("1", "-121.89", "37.33")


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (_ONE + _node("2", "nan", "37.33") + _EDGE, "out of range"),
        (_ONE + _node("2", "1e400", "37.33") + _EDGE, "out of range"),
        (_ONE + _node("2", "-121.89", "95") + _EDGE, "out of range"),
        (_ONE + '<edge source="1" target="9"/>', "no x/y"),
        (_ONE, "no edges"),
    ],
    ids=["nan", "1e400", "lat-95", "edge-to-missing-node", "empty-graph"],
)
def test_bad_graphml_streets_are_refused(
    tmp_path: Path, plan: Path, sites: Path, body: str, what: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = tmp_path / "s.graphml"
    path.write_text(GRAPHML_HEAD + body + "</graph></graphml>", encoding="utf-8")
    code, _, err = run(["check", str(plan), "--sites", str(sites), "--streets", str(path)], capsys)
    assert what in assert_refused(code, err, path)


def test_graphml_entities_are_refused_by_check(
    tmp_path: Path, plan: Path, sites: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bomb.graphml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE g [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph>'
        '<node id="&b;"/></graph></graphml>',
        encoding="utf-8",
    )
    code, _, err = run(["check", str(plan), "--sites", str(sites), "--streets", str(path)], capsys)
    assert "DOCTYPE" in assert_refused(code, err, path)


# -------------------------------------------------------------- 5. pack paths, Save As name


def test_pack_paths_are_classified_without_touching_them(tmp_path: Path) -> None:
    from planner.io.safety.paths import PackLocation, classify_pack_path

    def where(text: str) -> PackLocation:
        return classify_pack_path(text, plan_folder=tmp_path).location

    assert where("city.gpkg") is PackLocation.INSIDE
    assert where("packs/city.gpkg") is PackLocation.INSIDE
    assert where(str(tmp_path / "city.gpkg")) is PackLocation.INSIDE
    assert where("../city.gpkg") is PackLocation.OUTSIDE
    assert where("packs/../../city.gpkg") is PackLocation.OUTSIDE
    assert where("/etc/city.gpkg") is PackLocation.OUTSIDE
    assert where("\\\\host\\share\\city.gpkg") is PackLocation.NETWORK
    assert where("//host/share/city.gpkg") is PackLocation.NETWORK
    assert where("\\\\?\\UNC\\host\\share\\city.gpkg") is PackLocation.NETWORK
    assert where("https://host/city.gpkg") is PackLocation.NETWORK
    (tmp_path / "escape.gpkg").symlink_to("/etc/hostname")
    assert where("escape.gpkg") is PackLocation.OUTSIDE
    assert classify_pack_path("../x.gpkg", plan_folder=tmp_path).needs_confirmation


def test_save_as_suggestion_is_a_bare_file_name() -> None:
    from planner.io.safety.paths import suggested_file_name

    assert suggested_file_name("../../etc/cron.d/x") == "x.plan.geojson"
    assert suggested_file_name("..\\..\\Windows\\x") == "x.plan.geojson"
    assert suggested_file_name("..") == "plan.plan.geojson"
    assert suggested_file_name("CON") == "plan.plan.geojson"
    assert suggested_file_name("a\x1b[2Jb") == "a_[2Jb.plan.geojson"
    assert suggested_file_name("Phase 2.plan.geojson") == "Phase 2.plan.geojson"


# ------------------------------------------------------------ 6. degenerate sites keep protection


@pytest.mark.parametrize("n_far", [0, 1200], ids=["few-sites", "over-1000-sites"])
def test_zero_area_church_still_blocks_the_camera_facing_it(
    tmp_path: Path, plan: Path, n_far: int, capsys: pytest.CaptureFixture[str]
) -> None:
    far = [
        site_feature(f"far{i}", point(-121.6 + (i % 40) * 0.001, 37.0 + (i // 40) * 0.001))
        for i in range(n_far)
    ]
    sites = write_json(
        tmp_path / "s.geojson", sites_doc([site_feature("church", zero_area_church()), *far])
    )
    code, out, err = run(["check", str(plan), "--sites", str(sites), "--format", "json"], capsys)
    assert code == 1, err
    report = json.loads(out)
    assert [f["site_id"] for f in report["findings"]] == ["church"]
    assert any("kept as their outline" in w for w in report["warnings"])


def test_three_position_ring_is_kept_as_its_outline(tmp_path: Path) -> None:
    from planner.io.formats.sites import read_sites

    ring = [[CHURCH_LON, CHURCH_LAT], [CHURCH_LON + 0.0004, CHURCH_LAT], [CHURCH_LON, CHURCH_LAT]]
    geom = {"type": "Polygon", "coordinates": [ring]}
    path = write_json(tmp_path / "s.geojson", sites_doc([site_feature("tri", geom)]))
    warnings: list[str] = []
    (site,) = read_sites(path, warnings=warnings)
    assert site.geometry.is_valid and site.geometry.area > 0
    assert site.geometry.covers(shapely.LineString(ring[:2]))
    assert warnings


def test_osm_import_keeps_a_zero_area_site(tmp_path: Path) -> None:
    from planner.io.datapack.store import read_pack

    nodes = "".join(
        f'<node id="{i}" lat="{CHURCH_LAT}" lon="{CHURCH_LON + i * 0.0001}"/>' for i in (1, 2, 3)
    )
    osm = tmp_path / "z.osm"
    osm.write_text(
        f'<osm version="0.6">{nodes}<way id="7"><nd ref="1"/><nd ref="2"/><nd ref="3"/>'
        '<nd ref="1"/><tag k="amenity" v="place_of_worship"/><tag k="name" v="Flat"/></way></osm>',
        encoding="utf-8",
    )
    out = tmp_path / "z.gpkg"
    assert main(["import", str(osm), "-o", str(out), "-q"]) == 0
    (site,) = read_pack(out, layers={"sites"}).sites
    assert site.id == "way/7"
    assert site.geometry.area > 0
    assert site.geometry.covers(shapely.Point(CHURCH_LON + 0.0002, CHURCH_LAT))


# ---------------------------------------------------------------- 7. bounded decompression


def _osm_xml_bomb(path: Path, filler_mb: int, *, one_tag: bool = False) -> None:
    """An OSM XML bomb: one giant attribute, or a flood of small valid elements."""
    with bz2.open(path, "wb") as fh:
        fh.write(b'<osm version="0.6">')
        if one_tag:
            fh.write(b'<node id="1" lat="37.33" lon="-121.89"><tag k="note" v="')
            for _ in range(filler_mb):
                fh.write(b"a" * (1 << 20))
            fh.write(b'"/></node>')
        else:
            node = b'<node id="1" lat="37.33" lon="-121.89"/>\n'
            chunk = node * ((1 << 20) // len(node))
            for _ in range(filler_mb):
                fh.write(chunk)
        fh.write(b"</osm>")


def test_one_giant_xml_tag_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = tmp_path / "tag.osm.bz2"
    _osm_xml_bomb(bomb, 20, one_tag=True)
    started = time.monotonic()
    code, _, err = run(["import", str(bomb), "-o", str(tmp_path / "o.gpkg"), "-q"], capsys)
    assert "XML tag longer" in assert_refused(code, err, bomb)
    assert time.monotonic() - started < 30


def test_bz2_bomb_is_refused_quickly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.io.openstreetmap import data as osm_data

    # The real allowance is 64 MiB; a smaller one keeps the test fast.
    monkeypatch.setattr(osm_data, "MIN_DECOMPRESSED_ALLOWANCE", 2 << 20)
    bomb = tmp_path / "bomb.osm.bz2"
    _osm_xml_bomb(bomb, 3)
    assert bomb.stat().st_size < 5000  # 3 MB of valid OSM XML
    started = time.monotonic()
    code, _, err = run(["import", str(bomb), "-o", str(tmp_path / "o.gpkg"), "-q"], capsys)
    assert "decompression bomb" in assert_refused(code, err, bomb)
    assert time.monotonic() - started < 30


def test_gzip_overpass_bomb_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = tmp_path / "bomb.json.gz"
    with gzip.open(bomb, "wb") as fh:
        fh.write(b'{"elements": [')
        fh.write(b"[]," * (40 << 20))
        fh.write(b"[]]}")
    code, _, err = run(["import", str(bomb), "-o", str(tmp_path / "o.gpkg"), "-q"], capsys)
    assert_refused(code, err, bomb)


def test_200000_direction_values_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cam.osm.bz2"
    direction = ";".join(["90"] * 200_000)
    with bz2.open(path, "wt", encoding="utf-8") as fh:
        fh.write(
            '<osm version="0.6"><node id="1" lat="37.33" lon="-121.89">'
            '<tag k="man_made" v="surveillance"/><tag k="surveillance:type" v="ALPR"/>'
            f'<tag k="camera:direction" v="{direction}"/></node></osm>'
        )
    started = time.monotonic()
    code, _, err = run(["import", str(path), "-o", str(tmp_path / "o.gpkg"), "-q"], capsys)
    assert_refused(code, err, path)
    assert time.monotonic() - started < 30


def test_parse_direction_refuses_too_many_heads_in_linear_time() -> None:
    from planner.io.openstreetmap.directions import MAX_HEADS, parse_direction

    assert len(parse_direction(";".join(["90"] * MAX_HEADS))) == MAX_HEADS
    with pytest.raises(ValueError, match="direction values"):
        parse_direction(";".join(["90"] * 200_000))


def test_way_with_too_many_nodes_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "w.osm"
    path.write_text(
        '<osm version="0.6"><node id="1" lat="37.33" lon="-121.89"/><way id="1">'
        + '<nd ref="1"/>' * 20_000
        + '<tag k="building" v="yes"/></way></osm>',
        encoding="utf-8",
    )
    code, _, err = run(["import", str(path), "-o", str(tmp_path / "o.gpkg"), "-q"], capsys)
    assert "20,000" not in err or "limit" in err
    assert_refused(code, err, path)


# ------------------------------------------------------------ 8. huge self-intersecting sites


def test_100000_vertex_site_is_refused_past_the_limit(
    tmp_path: Path, plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    xy = np.column_stack(
        [CHURCH_LON + rng.random(100_000) * 0.01, CHURCH_LAT + rng.random(100_000) * 0.01]
    )
    ring = [*xy.round(7).tolist(), xy[0].round(7).tolist()]
    sites = write_json(
        tmp_path / "s.geojson",
        sites_doc([site_feature("big", {"type": "Polygon", "coordinates": [ring]})]),
    )
    started = time.monotonic()
    code, _, err = run(["check", str(plan), "--sites", str(sites)], capsys)
    assert "limit for a site is 50,000" in assert_refused(code, err, sites)
    assert time.monotonic() - started < 30


def test_tangled_site_is_protected_by_its_hull_quickly() -> None:
    from planner.io.formats.site_geometry import protect_site_geometry

    rng = np.random.default_rng(0)
    xy = rng.random((20_000, 2)) * 0.01
    tangled = shapely.Polygon(np.vstack([xy, xy[:1]]))
    warnings: list[str] = []
    started = time.monotonic()
    fixed = protect_site_geometry(tangled, "f", "site", warnings)
    assert time.monotonic() - started < 20
    assert fixed.is_valid
    assert fixed.covers(tangled.boundary)
    assert "convex hull" in warnings[0]


# ------------------------------------------------------------------ 9. the exit-2 contract


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(
    "text",
    [
        '{"heading_deg": ' + "9" * 400 + "}",
        '{"heading_deg": ' + "9" * 5000 + "}",
        '{"unknown": ' + _deep(995) + "}",
        '{"unknown": ' + _deep(70) + "}",
    ],
    ids=["400-digits", "5000-digits", "nesting-995", "nesting-70"],
)
def test_hostile_numbers_and_nesting_in_a_plan(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.dumps(plan_doc())
    doc = doc.replace('"heading_deg": 90.0', text[1:-1], 1)
    path = tmp_path / "p.plan.geojson"
    path.write_text(doc, encoding="utf-8")
    code, _, err = run(["check", str(path), "--no-sites"], capsys)
    assert_refused(code, err, path)


def test_lone_surrogate_in_an_id_is_refused(
    tmp_path: Path, sites: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.plan.geojson"
    path.write_text(json.dumps(plan_doc()).replace('"C-1"', '"C-\\ud800"'), encoding="utf-8")
    code, _, err = run(["check", str(path), "--sites", str(sites)], capsys)
    assert "surrogate" in assert_refused(code, err, path)


@pytest.mark.parametrize(
    "toml",
    [
        "entrance_radius_m = " + "9" * 400,
        "entrance_radius_m = " + "9" * 5000,
        "x = " + _deep(995),
        "title = 1e400",
    ],
    ids=["400-digits", "5000-digits", "nesting-995", "inf"],
)
def test_hostile_policy_values(
    tmp_path: Path, plan: Path, sites: Path, toml: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        f'id = "x"\nversion = "1"\n{toml}\n[categories.place_of_worship]\naction = "block"\n',
        encoding="utf-8",
    )
    code, _, err = run(["check", str(plan), "--sites", str(sites), "--policy", str(path)], capsys)
    assert_refused(code, err, path)


def test_pack_with_emptied_gpkg_contents_is_refused(
    tmp_path: Path, plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = _small_pack(tmp_path)
    con = sqlite3.connect(pack)
    con.execute("DELETE FROM gpkg_contents")
    con.commit()
    con.close()
    code, _, err = run(["check", str(plan), "--data", str(pack)], capsys)
    assert_refused(code, err, pack)


def _small_pack(tmp_path: Path) -> Path:
    import geopandas as gpd

    from planner.io.datapack.store import write_pack

    buildings = gpd.GeoDataFrame(
        {"building_id": ["b1", "b2"], "height": [5.0, 6.0]},
        geometry=[shapely.box(-121.891, 37.331, -121.8905, 37.3315), shapely.box(0, 0, 1, 1)],
        crs="EPSG:4326",
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["church"], "category": ["place_of_worship"], "name": ["c"]},
        geometry=[shapely.Point(CHURCH_LON, CHURCH_LAT)],
        crs="EPSG:4326",
    )
    pack = tmp_path / "pack.gpkg"
    write_pack(pack, {"buildings": buildings, "sites": sites}, {})
    return pack


# ------------------------------------------------------- 10. 1e400 anywhere; pack timestamps


@pytest.mark.parametrize("where", ["property", "metadata"])
def test_1e400_anywhere_in_a_plan_is_refused(
    tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = plan_doc(extra_key=0.5) if where == "metadata" else plan_doc()
    if where == "property":
        doc["features"][0]["properties"]["my_field"] = 0.5
    text = json.dumps(doc).replace(": 0.5", ": 1e400")
    path = tmp_path / "p.plan.geojson"
    path.write_text(text, encoding="utf-8")
    code, _, err = run(["check", str(path), "--no-sites"], capsys)
    assert "overflows" in assert_refused(code, err, path)


def _gpkg_blob(geom: shapely.Geometry) -> bytes:
    # GeoPackage binary: magic, version 0, flags (little-endian, no envelope), srs_id.
    return b"GP\x00\x01" + struct.pack("<i", 4326) + shapely.to_wkb(geom, byte_order=1)


def test_pack_edit_without_last_change_is_still_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.io.datapack.store import read_pack

    monkeypatch.setenv("SITING_PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    pack = _small_pack(tmp_path)
    read_pack(pack)  # validated in full once: remembered by content hash
    from planner.io.datapack.query import read_pack_subset

    assert read_pack_subset(pack, regions=None).buildings_validated
    con = sqlite3.connect(pack)
    stamps = con.execute("SELECT table_name, last_change FROM gpkg_contents").fetchall()
    for (name,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'buildings'"
    ).fetchall():
        con.execute(f'DROP TRIGGER "{name}"')
    off_globe = shapely.box(500, 0, 501, 1)
    con.execute("UPDATE buildings SET geom = ? WHERE building_id = 'b2'", (_gpkg_blob(off_globe),))
    for name, stamp in stamps:
        con.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (stamp, name))
    con.commit()
    con.close()
    with pytest.raises(InputError, match="outside lon"):
        read_pack(pack)
    # The quick reader of `check` does not take the pack's word either.
    assert not read_pack_subset(pack, regions=None).buildings_validated


# ------------------------------------------------------------------ 11. stale temporaries


def test_stale_temporaries_are_removed_on_the_next_save(tmp_path: Path) -> None:
    from planner.io.safety import atomic

    target = tmp_path / "a.plan.geojson"
    old = tmp_path / ".a.plan.geojson.k1l2m3.tmp"
    young = tmp_path / ".a.plan.geojson.n4o5p6.tmp"
    stranger = tmp_path / ".b.plan.geojson.k1l2m3.tmp"
    for p in (old, young, stranger):
        p.write_text("half a plan")
    past = time.time() - 2 * atomic.STALE_AFTER_S
    os.utime(old, (past, past))
    os.utime(stranger, (past, past))
    atomic.atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert not old.exists()
    assert young.exists()  # perhaps a save still running in another process
    assert stranger.exists()  # not ours to remove: another file's temporary


def test_stale_pack_temporaries_are_removed_and_the_folder_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.io.safety import atomic

    synced: list[Path] = []
    real = atomic.fsync_dir
    monkeypatch.setattr(atomic, "fsync_dir", lambda d: (synced.append(Path(d)), real(d)))
    leftovers = [
        tmp_path / ".pack.gpkg.abc123.tmp.gpkg",
        tmp_path / ".pack.gpkg.abc123.tmp.gpkg-journal",
    ]
    past = time.time() - 2 * atomic.STALE_AFTER_S
    for p in leftovers:
        p.write_bytes(b"x")
        os.utime(p, (past, past))
    _small_pack(tmp_path)
    assert not any(p.exists() for p in leftovers)
    assert tmp_path in synced


# ------------------------------------------------- classes found by the fuzzing campaign


def test_geometry_type_that_is_not_a_string(
    tmp_path: Path, plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    geom = {"type": [-121.89, 37.33], "coordinates": [-121.89, 37.33]}
    sites = write_json(tmp_path / "s.geojson", sites_doc([site_feature("x", geom)]))
    code, _, err = run(["check", str(plan), "--sites", str(sites)], capsys)
    assert "Point, Polygon or MultiPolygon" in assert_refused(code, err, sites)


@pytest.mark.parametrize("kind", ["graphml", "osm"])
def test_xml_naming_an_unknown_encoding(
    tmp_path: Path, plan: Path, sites: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"x.{kind}"
    root = "graphml" if kind == "graphml" else "osm"
    path.write_text(f'<?xml version="1.0" encoding="UTs-8"?><{root}/>', encoding="utf-8")
    argv = (
        ["check", str(plan), "--sites", str(sites), "--streets", str(path)]
        if kind == "graphml"
        else ["import", str(path), "-o", str(tmp_path / "o.gpkg"), "-q"]
    )
    code, _, err = run(argv, capsys)
    assert "encoding" in assert_refused(code, err, path)


@pytest.mark.parametrize("value", ["inf", 1.5, '{"a": 1}'], ids=["text", "real", "json"])
def test_pack_geometry_cell_that_is_not_a_blob(
    tmp_path: Path, plan: Path, value: object, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = _small_pack(tmp_path)
    con = sqlite3.connect(pack)
    for table in ("sites", "buildings"):
        for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
        ).fetchall():
            con.execute(f'DROP TRIGGER "{name}"')
        con.execute(f'UPDATE "{table}" SET geom = ? WHERE rowid = 1', (value,))
    con.commit()
    con.close()
    code, _, err = run(["check", str(plan), "--data", str(pack)], capsys)
    assert_refused(code, err, pack)


def test_csv_field_past_the_csv_module_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "places.csv"
    path.write_text("name,lon,lat\n" + "A" * 200_000 + ",-121.89,37.33\n", encoding="utf-8")
    argv = ["import", "--sites", f"{path}:category=consulate", "-o", str(tmp_path / "o.gpkg")]
    code, _, err = run([*argv, "-q"], capsys)
    assert "field larger" in assert_refused(code, err, path)


def test_a_network_pack_link_is_not_touched_before_consent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.io.formats.plan import PackLink

    touched: list[str] = []
    real = Path.is_file
    monkeypatch.setattr(Path, "is_file", lambda self: touched.append(str(self)) or real(self))
    found = PackLink(path="//host/share/city.gpkg").resolve(plan_path=tmp_path / "p.geojson")
    assert str(found) == "//host/share/city.gpkg"
    assert touched == []


def test_building_height_that_is_not_a_number(
    tmp_path: Path, plan: Path, sites: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ring = [[-121.8898, 37.33], [-121.8896, 37.33], [-121.8896, 37.3301], [-121.8898, 37.33]]
    feats = [
        {"type": "Feature", "properties": {"height": h},
         "geometry": {"type": "Polygon", "coordinates": [[[x + k * 0.01, y] for x, y in ring]]}}
        for k, h in enumerate([[[[]]], "12", {"a": 1}])
    ]  # fmt: skip
    path = write_json(tmp_path / "b.geojson", {"type": "FeatureCollection", "features": feats})
    code, _, err = run(
        ["check", str(plan), "--sites", str(sites), "--buildings", str(path)], capsys
    )
    assert code == 0, err
    from planner.io.formats.buildings import read_buildings

    heights = read_buildings(path).heights
    assert heights is not None
    assert np.isnan(heights[0]) and heights[1] == 12.0
