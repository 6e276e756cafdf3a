"""The review report (PDF and HTML) on the demo, and the signage geometry it lists."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import LineString, box

from planner.cli import main
from planner.core.signage import IntersectionIndex, boundary_crossings, intersections
from tests.signing_support import make_signer, write_allowed

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "data" / "demo" / "demo.plan.geojson"
DEMO_PACK = ROOT / "data" / "demo" / "demo.gpkg"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return subprocess.run([tool, *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demo plan reviewed, then one decided camera edited by hand; both reports."""
    tmp = tmp_path_factory.mktemp("report")
    plan = tmp / "demo.plan.geojson"
    shutil.copyfile(DEMO_PLAN, plan)
    dana = make_signer(tmp / "keys", "dana.dpo@sanjoseca.gov", name="Dana DPO")
    allowed = write_allowed(tmp / "allowed_signers", dana.signer_line())
    trust = ("--allowed-signers", str(allowed))
    code, _, err = run(
        "review",
        str(plan),
        "--data",
        str(DEMO_PACK),
        *trust,
        "--key",
        str(dana.key),
        "--reviewer",
        dana.principal,
        "--decide",
        "C-1=reject:captures the church driveway",
        "--decide",
        "C-2=needs_changes:turn it east",
        "--decide",
        "C-3=approve",
        "--decide",
        "C-4=approve",
    )
    assert code == 0, err
    reviewed_hash = json.loads(
        run("check", str(plan), "--data", str(DEMO_PACK), "--format", "json")[1]
    )["plan"]["canonical_sha256"]
    data = json.loads(plan.read_text())
    for f in data["features"]:
        if f["id"] == "C-4":  # a hand edit after the decision: re-aimed by 30 degrees
            f["properties"]["heading_deg"] = (f["properties"]["heading_deg"] + 30.0) % 360.0
    plan.write_text(json.dumps(data, indent=1))
    check = json.loads(
        run("check", str(plan), "--data", str(DEMO_PACK), "--format", "json", *trust)[1]
    )
    pdf, html = tmp / "review.pdf", tmp / "review.html"
    for out in (pdf, html):
        code, stdout, err = run(
            "report", str(plan), "--data", str(DEMO_PACK), *trust, "-o", str(out), "-q"
        )
        assert code == 0, err
        assert "wrote" in stdout
    return {
        "plan": plan,
        "check": check,
        "pdf": pdf,
        "html": html,
        "reviewed_hash": reviewed_hash,
        "key": dana.fingerprint(),
    }


def test_pdf_text_holds_ids_sites_decisions_stale_marks_and_hashes(reviewed: dict) -> None:
    # NFKC: the PDF's fonts set "fi" as one ligature glyph
    raw = poppler("pdftotext", "-layout", str(reviewed["pdf"]), "-")
    text = " ".join(unicodedata.normalize("NFKC", raw).split())
    check = reviewed["check"]
    for cam in check["cameras"]:
        assert cam["id"] in text
    names = {f["site_name"] for f in check["findings"] if f["site_name"]}
    assert names, "the demo must have findings that name sites"
    for name in names:
        assert name in text
    assert "Rejected (reject), current, signature verified" in text
    assert "Needs changes (needs_changes), current, signature verified" in text
    assert "Approved (approve), current, signature verified" in text  # C-3
    # C-4 was edited after its decision: a claim with its reason, not counted
    assert "Claimed Approved (approve), STALE, not counted" in text
    assert (
        "Camera C-4: the recorded approve by dana.dpo@sanjoseca.gov is a claim, not counted: "
        "camera changed since the decision" in text
    )
    assert "1 approved, 1 rejected, 1 needs changes, 1 stale" in text
    assert "chosen by the user" in text and "Trusted reviewers" in text
    # the filed copy says who signed and with which key, as the web page does
    assert "dana.dpo@sanjoseca.gov (Dana DPO)" in text
    # a fingerprint may wrap at its "/" or "+" (as the hashes below wrap): read the cells
    # in reading order, not laid out beside their neighbours
    flowing = "".join(poppler("pdftotext", str(reviewed["pdf"]), "-").split())
    assert flowing.count(reviewed["key"]) >= 4, "each decision names its signing key"
    assert check["plan"]["canonical_sha256"] in text.replace(" ", "")
    assert check["plan"]["sha256"] in text.replace(" ", "")
    # the hand edit shows as a hash mismatch and in the change list
    assert reviewed["reviewed_hash"] in text.replace(" ", "")
    assert "DIFFERENT: the plan changed since" in text
    assert re.search(r"C-4 re-aimed 30°", text)
    assert "captures the driveway entrance of St. Example Church" in text
    assert "Page 1 of" in text and "Appendix B. Signage list" in text


def test_pdf_embeds_every_font_and_names_title_and_author(reviewed: dict) -> None:
    fonts = poppler("pdffonts", str(reviewed["pdf"])).splitlines()[2:]
    assert fonts
    for line in fonts:
        assert line.split()[-5] == "yes", line  # the "emb" column
    info = poppler("pdfinfo", str(reviewed["pdf"]))
    assert re.search(r"^Title:\s+Review of Demo Town", info, re.M)
    assert re.search(r"^Author:\s+dana.dpo@sanjoseca.gov", info, re.M)


def test_html_is_self_contained(reviewed: dict) -> None:
    page = reviewed["html"].read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page)
    images = re.findall(r'<img src="data:image/jpeg;base64,', page)
    assert len(images) == len(reviewed["check"]["cameras"]) + 1  # overview and one per camera
    for cam in reviewed["check"]["cameras"]:
        assert f"Camera {cam['id']}" in page
    assert reviewed["check"]["plan"]["canonical_sha256"] in page


def test_report_refuses_to_overwrite_an_input_or_an_unknown_format(tmp_path: Path) -> None:
    plan = tmp_path / "p.plan.geojson"
    shutil.copyfile(DEMO_PLAN, plan)
    before = plan.read_bytes()
    code, _, err = run("report", str(plan), "--data", str(DEMO_PACK), "-o", str(plan), "-q")
    assert code == 2 and err.startswith("error: ")
    assert plan.read_bytes() == before
    code, _, err = run(
        "report", str(plan), "--data", str(DEMO_PACK), "-o", str(tmp_path / "r.docx"), "-q"
    )
    assert code == 2 and ".pdf or .html" in err


# -- signage on a hand-made grid ----------------------------------------------------------


def grid() -> tuple[np.ndarray, list[object]]:
    """Two east-west streets and three north-south avenues, 100 m blocks, node to node,
    plus an overpass with no node at the crossings and an unnamed alley."""
    lines, names = [], []
    for y, name in ((0.0, "A Street"), (100.0, "B Street")):
        for x in (0.0, 100.0):
            lines.append(LineString([(x, y), (x + 100, y)]))
            names.append(name)
    for x, name in ((0.0, "1st Avenue"), (100.0, "2nd Avenue"), (200.0, "3rd Avenue")):
        lines.append(LineString([(x, 0), (x, 100)]))
        names.append(name)
    lines.append(LineString([(50, -80), (50, 180)]))
    names.append(["Skyway", "SR 99"])  # osmnx merges names into lists
    lines.append(LineString([(150, 0), (150, 300)]))
    names.append(None)
    return np.array(lines, dtype=object), names


def test_intersections_are_the_named_nodes() -> None:
    lines, names = grid()
    found = {(round(i.x), round(i.y)): i.label for i in intersections(lines, names)}
    assert found == {
        (0, 0): "1st Avenue & A Street",
        (100, 0): "2nd Avenue & A Street",
        (200, 0): "3rd Avenue & A Street",
        (0, 100): "1st Avenue & B Street",
        (100, 100): "2nd Avenue & B Street",
        (200, 100): "3rd Avenue & B Street",
    }


def test_nearest_intersections_hand_computed() -> None:
    lines, names = grid()
    index = IntersectionIndex(intersections(lines, names))
    near = index.nearest(30.0, 20.0, k=2)
    # (0, 0): sqrt(30² + 20²) = 36.06 m at bearing 236.3° (south-west);
    # (100, 0): sqrt(70² + 20²) = 72.80 m at 105.9° (east); (0, 100) is 85.44 m
    assert [n.intersection.label for n in near] == [
        "1st Avenue & A Street",
        "2nd Avenue & A Street",
    ]
    assert near[0].distance_m == pytest.approx(36.056, abs=1e-3)
    assert near[0].bearing_deg == pytest.approx(236.31, abs=0.01)
    assert near[1].distance_m == pytest.approx(72.801, abs=1e-3)
    assert near[0].describe() == "1st Avenue & A Street, 36 m south-west"
    assert index.nearest(5000.0, 5000.0) == []


def test_boundary_crossings_hand_computed() -> None:
    lines, names = grid()
    limits = box(-50, -50, 150 - 1e-9 + 10, 150)  # x from -50 to 160
    found = sorted(
        (c.name, round(c.x), round(c.y)) for c in boundary_crossings(lines, names, limits)
    )
    assert found == [
        ("A Street", 160, 0),
        ("B Street", 160, 100),
        ("Skyway / SR 99", 50, -50),
        ("Skyway / SR 99", 50, 150),
    ]


def test_a_camera_marked_approved_is_a_claim_checked_against_the_recheck(tmp_path: Path) -> None:
    plan = tmp_path / "p.plan.geojson"
    data = json.loads(DEMO_PLAN.read_text())
    for f in data["features"]:
        if f["id"] in ("C-1", "C-3"):  # C-1 is blocked by the re-check, C-3 clear
            f["properties"]["status"] = "approved"
    plan.write_text(json.dumps(data))
    out = tmp_path / "r.html"
    assert run("report", str(plan), "--data", str(DEMO_PACK), "-o", str(out), "-q")[0] == 0
    page = out.read_text(encoding="utf-8")
    assert "Camera C-1 is marked approved in the plan, but the re-check blocks it." in page
    assert "Camera C-3 is marked approved in the plan, but no current approval" in page


def test_camera_maps_paint_their_neighbours_as_the_scene_does(qtbot) -> None:
    """A camera map paints only the cameras near it; it must look as the whole scene's."""
    import argparse

    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter

    from planner.app.review.map_frame import MapFrame
    from planner.app.review.maps import MapOptions, ReportMaps, fit_extent
    from planner.io.checking.recheck import recheck

    ns = argparse.Namespace(
        plan=DEMO_PLAN, data=DEMO_PACK, sites=[], buildings=[], streets=None, policy=None
    )
    rc = recheck(ns, with_geometry=True)
    maps = ReportMaps(
        checker=rc.checker,
        cameras=rc.plan.cameras,
        result=rc.result,
        streets=rc.inputs.streets,
        buildings=rc.inputs.buildings,
    )

    def whole_scene(painter: QPainter, f: MapFrame) -> None:
        maps.scene.render(
            painter,
            QRectF(0, 0, f.width, f.height),
            QRectF(f.x0, f.y0, f.width * f.res, f.height * f.res),
            Qt.AspectRatioMode.IgnoreAspectRatio,
        )

    def pixels(img: QImage) -> np.ndarray:
        raw = np.frombuffer(img.constBits(), dtype=np.uint8)
        return raw.reshape(img.height(), img.bytesPerLine())[:, : img.width() * 4].astype(int)

    for cam in rc.plan.cameras:
        # wide enough that neighbours (C-1's church, C-2's clinic) come into view
        x, y = maps.xy[cam.id]
        extent = fit_extent((x - 250, y - 250, x + 250, y + 250), aspect=250 / 190)
        options = MapOptions(width=250, height=190, subject=cam.id, extent=extent)
        near = pixels(maps.image(options, scale=1.5))
        maps._paint_near = whole_scene  # type: ignore[method-assign]
        try:
            scene = pixels(maps.image(options, scale=1.5))
        finally:
            del maps._paint_near
        # anti-aliasing may round a few edge pixels differently; symbols may not move
        assert (np.abs(near - scene) > 8).sum() < 300, cam.id


def test_osm_multi_names_are_split_and_never_paired_with_themselves() -> None:
    """ "A;B" meeting "B" is A & B; a "A;B" way meeting itself is no intersection."""
    from planner.core.signage import street_names

    assert street_names("East Saint John Street;North 8th Street") == (
        "East Saint John Street",
        "North 8th Street",
    )
    assert street_names(["Main  Street", "Main Street;1st Street"]) == (
        "Main Street",
        "1st Street",
    )
    lines = np.array(
        [
            LineString([(0, 0), (100, 0)]),  # a way named with both streets
            LineString([(100, 0), (200, 0)]),  # the same way, next edge
            LineString([(200, 0), (300, 0)]),  # the 8th Street alone, going on
        ],
        dtype=object,
    )
    names = [
        "East Saint John Street;North 8th Street",
        "East Saint John Street; North 8th Street",
        "North 8th Street",
    ]
    found = {(round(i.x), round(i.y)): i.label for i in intersections(lines, names)}
    assert found == {(200, 0): "East Saint John Street & North 8th Street"}


def test_camera_index_marks_a_stale_decision_in_both_formats(reviewed: dict) -> None:
    """C-4 was re-aimed after its approval: the index says so, not just "Approved"."""
    text = " ".join(poppler("pdftotext", "-layout", str(reviewed["pdf"]), "-").split())
    assert re.search(r"C-4 (Blocked|Warning|Clear) Approved, STALE \d+", text)
    assert re.search(r"C-3 (Blocked|Warning|Clear) Approved \d+", text)
    page = reviewed["html"].read_text(encoding="utf-8")
    assert re.search(r'href="#cam-C-4">C-4</a></td><td>.*?</td><td>Approved, STALE</td>', page)
