"""The HTML review report meets WCAG 2.1 AA: checked by axe-core in headless Chromium
(offline; skipped with the reason when either is not installed) and by the rules a
parser can check without a browser (language, landmarks, heading order, header cells,
alt text, status in words)."""

from __future__ import annotations

import contextlib
import io
import itertools
from html.parser import HTMLParser
from pathlib import Path

import pytest

from planner.cli import main
from tests import a11y

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "data" / "demo" / "demo.plan.geojson"
DEMO_PACK = ROOT / "data" / "demo" / "demo.gpkg"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("a11y") / "review.html"
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["report", str(DEMO_PLAN), "--data", str(DEMO_PACK), "-o", str(out), "-q"])
    assert code == 0, err.getvalue()
    return out


def test_axe_core_finds_no_wcag_21_aa_violation(page: Path) -> None:
    found = a11y.checker()
    if isinstance(found, str):
        pytest.skip(found)
    # WCAG 2.1 A and AA, and axe's best practices (landmarks, heading order) too
    bad = a11y.violations(page, tags=[*a11y.WCAG_21_AA, "best-practice"])
    assert bad == [], "\n".join(f"{v['id']}: {v['help']}: {v['nodes'][:3]}" for v in bad)


def test_axe_core_check_can_fail(page: Path, tmp_path: Path) -> None:
    """The check above is live: a page without language and alt text fails it."""
    found = a11y.checker()
    if isinstance(found, str):
        pytest.skip(found)
    broken = tmp_path / "broken.html"
    text = page.read_text(encoding="utf-8").replace('<html lang="en">', "<html>", 1)
    broken.write_text(text.replace(' alt="', ' data-alt="'), encoding="utf-8")
    ids = {v["id"] for v in a11y.violations(broken)}
    assert {"html-has-lang", "image-alt"} <= ids


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_structure_without_a_browser(page: Path) -> None:
    p = _Outline()
    p.feed(page.read_text(encoding="utf-8"))
    tags = [t for t, _ in p.tags]
    assert p.tags[0] == ("html", {"lang": "en"})
    for landmark in ("header", "nav", "main", "footer"):
        assert tags.count(landmark) == 1, landmark
    levels = [int(t[1]) for t in tags if t in ("h1", "h2", "h3", "h4")]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    assert all(a.get("scope") in ("col", "row") for t, a in p.tags if t == "th")
    alts = [a.get("alt") or "" for t, a in p.tags if t == "img"]
    assert len(alts) == 7 and all(len(x) > 40 for x in alts)
    # the skip link is the first thing a keyboard reaches
    first_link = next(a for t, a in p.tags if t == "a")
    assert first_link.get("href") == "#cameras"
    text = " ".join("".join(p.text).split())
    assert "Blocked" in text and "Warning" in text and "Clear" in text  # status in words
