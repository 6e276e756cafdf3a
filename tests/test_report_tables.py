"""The report's table model rendered by both writers: one table, the same cells in each.

The full reports are checked on the demo elsewhere (tests/test_report.py,
tests/test_report_pdf.py); these pin what the generic renderers do with each kind of
cell part, hostile text included.
"""

from __future__ import annotations

import html.parser

from planner.report.content import (
    CameraLink,
    Column,
    Facts,
    Lines,
    PageOf,
    Per,
    Span,
    Status,
    Table,
    styled,
    text,
)
from planner.report.html import facts as html_facts
from planner.report.html import grid
from planner.report.typst_source import facts as typst_facts
from planner.report.typst_source import table as typst_table

HOSTILE = 'a<b>"c"&\u202ed\\e'


class _Cells(html.parser.HTMLParser):
    """The text of each header and data cell of an HTML table."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("td", "th"):
            self.cells.append("")
            self._open = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.cells[-1] += data


def _html_cells(markup: str) -> list[str]:
    parser = _Cells()
    parser.feed(markup)
    return parser.cells


TABLE = Table(
    (
        Column("Camera", "40%", "1fr"),
        Column("Re-check", "30%"),
        Column("Count", "30%", numeric=True),
        Column("Page", track="10%", numeric=True, only="print"),
    ),
    (
        ((CameraLink("C-1"),), (Status("block"),), text(3), (PageOf("C-1"),)),
        (styled("id", HOSTILE, only="print"), (), styled("strong", 12), (PageOf("C-2"),)),
    ),
)


def test_a_print_only_column_is_left_out_of_the_web_page() -> None:
    page = grid(TABLE)
    hostile = HOSTILE.replace("\u202e", "\\u202e")  # as the page shows it
    head = ["Camera", "Re-check", "Count"]
    assert _html_cells(page) == [*head, "C-1", "Blocked", "3", hostile, "", "12"]
    assert "Page" not in page
    assert page.count('class="num" align="right"') == 3  # the header and both rows
    source = typst_table(TABLE)
    assert 'table.header([#"Camera"], [#"Re-check"], [#"Count"], [#"Page"])' in source
    assert "columns: (1fr, 30%, 30%, 10%,), align: (left, left, right, right,)" in source
    assert "context counter(page).at(<cam-C-2>).first()" in source


def test_hostile_text_stays_text_in_both_formats() -> None:
    page = grid(TABLE)
    assert "<b>" not in page.split("</tr>", 2)[2].replace("<b>12</b>", "")
    assert "&lt;b&gt;&quot;c&quot;&amp;\\u202ed\\e" in page
    source = typst_table(TABLE)
    # one string literal: quotes and the backslash escaped, the bidi override written out
    assert 'nb("a<b>\\"c\\"&\\\\u202ed\\\\e")' in source


def test_parts_for_one_medium_and_styles_for_one_medium() -> None:
    cell = (
        Span("small", ("Dana", Per(web=(" (Dana DPO)",)), ", 2026-01-02")),
        Per(web=(Lines(((), ("SHA256:abc",))),)),
    )
    table = Facts((("Decision", cell), ("Counted", styled("stale", "Stale", only="web"))))
    page = html_facts(table)
    assert '<span class="small">Dana (Dana DPO), 2026-01-02</span><br>SHA256:abc' in page
    assert '<span class="stale">Stale</span>' in page
    source = typst_facts(table)
    # the printed page: the principal alone, no fingerprint, the plain word; texts
    # that meet are one literal
    assert '[#small("Dana, 2026-01-02")]' in source
    assert '[#"Stale"]' in source
    assert "SHA256" not in source


def test_lines_and_empty_cells() -> None:
    table = Facts((("Signs", (Lines((text("A & B"), text("C & D"))),)), ("None", ())))
    assert "<td>A &amp; B<br>C &amp; D</td>" in html_facts(table)
    assert "<td></td>" in html_facts(table)
    source = typst_facts(table)
    assert '[#[#"A & B"#linebreak()#"C & D"]]' in source
    assert '[#"None"],\n  []' in source
