"""The review report as a public record: a tagged, archival PDF (PDF/UA-1, PDF/A-2a).

The demo report is checked with poppler (``pdfinfo``, ``pdftotext``) and pikepdf
(structure tree, outlines, XMP); the real San José existing-cameras plan (363 cameras)
for ids printed exactly once per place and the signage list's count.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from planner.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "data" / "demo" / "demo.plan.geojson"
DEMO_PACK = ROOT / "data" / "demo" / "demo.gpkg"

pikepdf = pytest.importorskip("pikepdf", reason="pikepdf (test extra) reads the PDF's tags")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    done = subprocess.run(
        [tool, *args], check=True, capture_output=True, text=True, errors="replace"
    )
    return done.stdout


def structure(pdf: pikepdf.Pdf) -> list[tuple[str, str | None]]:
    """Every structure element of the tag tree: (type, alt text)."""
    out: list[tuple[str, str | None]] = []
    todo = [pdf.Root.StructTreeRoot]
    seen: set[tuple[int, int]] = set()
    while todo:
        node = todo.pop()
        if isinstance(node, pikepdf.Array):
            todo.extend(node)
            continue
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        if "/S" in node:
            alt = str(node.Alt) if "/Alt" in node else None
            out.append((str(node.S).lstrip("/"), alt))
        if "/K" in node:
            todo.append(node.K)
    return out


def outline_titles(pdf: pikepdf.Pdf) -> list[str]:
    titles: list[str] = []
    with pdf.open_outline() as outline:
        todo = list(outline.root)
        while todo:
            item = todo.pop(0)
            assert item.destination is not None or item.action is not None, item.title
            titles.append(item.title)
            todo.extend(item.children)
    return titles


@pytest.fixture(scope="module")
def demo_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tagged") / "review.pdf"
    code, _, err = run(
        "report",
        str(DEMO_PLAN),
        "--data",
        str(DEMO_PACK),
        "-o",
        str(out),
        "--reviewer",
        "Dana DPO",
        "-q",
    )
    assert code == 0, err
    return out


def test_pdf_is_tagged_with_headings_tables_lists_and_figures_with_alt(demo_pdf: Path) -> None:
    info = poppler("pdfinfo", str(demo_pdf))
    assert re.search(r"^Tagged:\s+yes", info, re.M)
    tree = poppler("pdfinfo", "-struct", str(demo_pdf))
    for tag in ("H1", "H2", "H3", "Table", "TH", "TD", "L", "LI", "Link", "Figure"):
        assert re.search(rf"^\s*{tag}\b", tree, re.M), tag
    with pikepdf.open(demo_pdf) as pdf:
        elements = structure(pdf)
        figures = [alt for kind, alt in elements if kind == "Figure"]
        # the overview and one map per camera, each with words saying what it shows
        assert len(figures) == 1 + 6
        assert all(alt and len(alt) > 40 for alt in figures), figures
        assert any("camera C-1" in alt and "St. Example Church" in alt for alt in figures)
        assert any(alt.startswith("Overview map of all 6 cameras") for alt in figures)
        assert str(pdf.Root.Lang) == "en-US"
        assert Counter(kind for kind, _ in elements)["H1"] == 1


def test_pdf_is_pdf_a_2a_and_pdf_ua_1_with_bookmarks_and_internal_links(demo_pdf: Path) -> None:
    with pikepdf.open(demo_pdf) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "A"
        assert meta["pdfuaid:part"] == "1"
        assert meta["dc:title"] == "Review of Demo Town (synthetic): proposed cameras"
        intents = pdf.Root.OutputIntents
        assert len(intents) >= 1 and str(intents[0].S) == "/GTS_PDFA1"
        assert "/DestOutputProfile" in intents[0]
        titles = outline_titles(pdf)
        for section in ("Overview map", "Cameras", "Appendix A. Audit trail"):
            assert section in titles
        for n in range(1, 7):  # one bookmark per camera
            assert any(t.startswith(f"Camera C-{n} ") for t in titles), titles
        # contents -> sections and camera index -> cameras: links to places in the file
        links = [
            annot
            for page in pdf.pages
            for annot in page.get("/Annots", [])
            if annot.get("/Subtype") == "/Link"
        ]
        internal = [a for a in links if "/Dest" in a or a.get("/A", {}).get("/S") == "/GoTo"]
        assert len(internal) >= 6 + 6  # contents (sections) and camera index (cameras)
        for page in pdf.pages:  # PDF/UA: tab order follows the structure
            if "/Annots" in page:
                assert page.get("/Tabs") == "/S"


def test_pdf_text_has_no_status_marks_and_every_font_embedded(demo_pdf: Path) -> None:
    text = poppler("pdftotext", str(demo_pdf), "-")
    # the symbols are graphics: their ✕ ! ✓ marks never read as text
    assert not set("✕✓!") & set(text)
    for line in poppler("pdffonts", str(demo_pdf)).splitlines()[2:]:
        assert line.split()[-5] == "yes", line


@pytest.mark.realdata
@pytest.mark.slow
def test_real_report_lists_each_id_once_per_place_and_every_unsigned_camera(
    shared_data: Path, tmp_path: Path
) -> None:
    """363 real cameras: index, section, callout key and signage list name each id once."""
    pack, plan = tmp_path / "sj.gpkg", tmp_path / "sj.plan.geojson"
    code, _, err = run(
        "import",
        str(shared_data / "alpr_sanjose_osm_2025-10-04.geojson"),
        str(shared_data / "osm_sj_downtown_merged.osm.bz2"),
        "--sites",
        str(shared_data / "sj_sensitive_sites.geojson"),
        "--boundaries",
        str(shared_data / "sj_city_limits_2016.geojson"),
        "--boundaries",
        str(shared_data / "sj_council_districts_2016.geojson"),
        "-o",
        str(pack),
        "--existing-plan",
        str(plan),
        "-q",
    )
    assert code == 0, err
    pdf = tmp_path / "review.pdf"
    code, _, err = run("report", str(plan), "--data", str(pack), "-o", str(pdf), "-q")
    assert code == 0, err
    check = json.loads(run("check", str(plan), "--data", str(pack), "--format", "json")[1])
    status = {c["id"]: c["status"] for c in check["cameras"]}
    assert len(status) > 300
    text = poppler("pdftotext", str(pdf), "-")
    called_out = sum(1 for s in status.values() if s in ("block", "warn"))
    assert called_out

    def count(cid: str) -> int:
        return len(re.findall(rf"(?<![\w/]){re.escape(cid)}(?![\w/])", text))

    # camera index, the camera's heading, the signage list; the callout key if numbered
    wrong = {
        cid: count(cid) for cid, s in status.items() if count(cid) != 3 + (s in ("block", "warn"))
    }
    assert not wrong, list(wrong.items())[:10]
    # the cameras with no intersection: the sentence's count is the ids listed after it
    m = re.search(r"(\d+) of (\d+) cameras have no named intersection", text)
    assert m and int(m.group(2)) == len(status)
    tail = text[m.end() :].split("Entry signs", 1)[0]
    listed = re.findall(r"node/\d+", tail)
    assert len(listed) == len(set(listed)) == int(m.group(1))
    with pikepdf.open(pdf) as doc:
        titles = outline_titles(doc)
        alts = [alt or "" for kind, alt in structure(doc) if kind == "Figure"]
    # the overview, its detail where the numbers crowd downtown, one map per camera
    assert len(alts) == 2 + len(status)
    assert sum(a.startswith("Detail of the overview map") for a in alts) == 1
    for cid in status:
        assert sum(1 for t in titles if t.split(" · ")[0] == f"Camera {cid}") == 1, cid


def test_report_text_enters_typst_as_literals_never_as_markup(tmp_path: Path) -> None:
    """A hostile plan text is printed as it is: Typst never reads it as code or markup."""
    import typst

    from planner.report.typst_source import label_name, lit

    hostile = '#import "x": * ] [ = Heading <lab> @ref $x$ \\ " * _ `raw` // c\n\x07\u202e'
    src = f'#set text(lang: "en")\n#{lit(hostile)}\n'
    out = typst.compile(src.encode(), format="pdf")
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(out)
    text = poppler("pdftotext", str(pdf), "-")
    assert '#import "x": * ] [ = Heading <lab> @ref $x$ \\ " * _ `raw` // c' in text
    ids = ["a/b", "a_2f_b", "a b", "node/1", "node_1", "x.y:z-1"]
    names = [label_name(i) for i in ids]
    assert len(set(names)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_.:-]+", n) for n in names)


def test_hostile_or_undrawable_label_still_makes_the_archival_pdf(tmp_path: Path) -> None:
    """Controls and bidi overrides show as escapes; a character no font has (U+0378,
    unassigned) as its code point: the PDF/A is still written, exit 0."""
    data = json.loads(DEMO_PLAN.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["label"] = "Bad\x07 <&> \u202e \u0378 end"
    plan = tmp_path / "hostile.plan.geojson"
    plan.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "r.pdf"
    code, _, err = run("report", str(plan), "--data", str(DEMO_PACK), "-o", str(out), "-q")
    assert code == 0, err
    text = poppler("pdftotext", str(out), "-")
    assert "Bad\\x07 <&> \\u202e \\u0378 end" in text
    assert "\x07" not in text and "\u202e" not in text
    with pikepdf.open(out) as pdf:
        assert pdf.open_metadata()["pdfuaid:part"] == "1"


def test_typst_lays_the_pdf_out_in_a_child_process(tmp_path):
    """The compile's memory goes back when its child exits: the calling process never
    imports Typst (the main window's peak after a report depends on it)."""
    src = tmp_path / "t.typ"
    src.write_text('#set document(title: "t")\n#set text(lang: "en")\n= Title\nHello.\n')
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from planner.report.typst_compile import compile_pdf\n"
        f"err = compile_pdf(Path({str(src)!r}), Path({str(tmp_path / 'o.pdf')!r}),"
        f" root=Path({str(tmp_path)!r}), standards=['a-2a', 'ua-1'])\n"
        "print(err, 'typst' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["None", "False"], out.stdout + out.stderr
    assert (tmp_path / "o.pdf").read_bytes().startswith(b"%PDF")
