"""The review report as one self-contained HTML file (WCAG 2.1 AA).

The images are inlined as ``data:`` URIs and a print style sheet is added: no external
URL, nothing to fetch. Landmarks, headings in order, header cells with ``scope``, alt
text for every map and status in words make it accessible (tests/test_report_html_a11y.py
runs axe-core on it). The tables are built once for both formats
(:mod:`planner.report.tables`) and rendered here by :func:`grid` and :func:`facts`; the
PDF is laid out by Typst (:mod:`planner.report.typst_source`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from planner.core.printable import printable
from planner.report import tables
from planner.report.content import (
    CameraLink,
    Cell,
    Facts,
    Inline,
    Lines,
    PageOf,
    Per,
    Span,
    Status,
    Table,
)
from planner.report.describe import camera_map_alt, detail_alt, overview_alt
from planner.report.model import STATUS_WORDS, CameraSection, Report

_STATUS_COLOURS = {"block": "#b71c1c", "warn": "#8a5a00", "clear": "#1b5e20"}
#: How each style of :mod:`planner.report.content` opens in HTML (closed by its tag).
_STYLE_TAGS = {
    "strong": ("<b>", "</b>"),
    "mono": ('<span class="mono">', "</span>"),
    "small": ('<span class="small">', "</span>"),
    "id": ('<span class="id">', "</span>"),
    "stale": ('<span class="stale">', "</span>"),
}
_TABLE_OPEN = (
    '<table class="grid" width="100%" cellspacing="0" cellpadding="3" border="1" '
    'style="border-color:#c8ccd0">'
)
_HEAD_FILL = ' style="background-color:#e8edf2"'

_CSS = """
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1d1d1d;
       max-width: 60em; margin: 2em auto; padding: 0 1em; font-size: 10.5pt; line-height: 1.4; }
h1 { font-size: 22pt; margin: 0 0 .2em 0; color: #0b3d62; }
h2 { font-size: 15pt; color: #0b3d62; border-bottom: 2px solid #0b3d62; padding-bottom: .15em;
     margin-top: 1.6em; }
h3 { font-size: 12pt; margin: 1.2em 0 .3em 0; color: #0b3d62; }
table { border-collapse: collapse; }
td, th { vertical-align: top; text-align: left; }
table.grid td, table.grid th { border: 1px solid #c8ccd0; padding: 3px 6px; }
table.grid th { background: #e8edf2; }
.kicker { color: #4a5a6a; text-transform: uppercase; letter-spacing: .08em; font-size: 9pt; }
.mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 8.5pt;
        word-break: break-all; }
.id { white-space: nowrap; }
a:focus-visible, a:focus { outline: 3px solid #b35c00; outline-offset: 2px; }
.skip { position: absolute; left: -999em; top: 0; background: #fff; padding: .4em .8em; }
.skip:focus { left: 1em; }
.small { font-size: 9pt; color: #4a4a4a; }
.claim { background: #fff3cd; border-left: 4px solid #c77700; padding: 4px 8px; margin: 3px 0; }
.stale { color: #b71c1c; font-weight: bold; }
.camera { page-break-inside: avoid; border-top: 1px solid #c8ccd0; margin-top: 1.2em; }
img { max-width: 100%; height: auto; }
img.overview { width: 100%; border: 1px solid #c8ccd0; }
a { color: #0b3d62; }
nav.contents { border: 1px solid #c8ccd0; background: #f5f7f9; padding: .5em 1em; margin: 1.2em 0; }
nav.contents ol { margin: .3em 0; padding-left: 1.4em; }
nav.contents li { margin: .1em 0; }
p.index { line-height: 1.9; }
p.index a { text-decoration: none; padding: 1px 5px; border-radius: 3px; margin-right: 2px;
            white-space: nowrap; font-size: 9pt; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.grid th[scope="row"] { width: 28%; }
pre { white-space: pre-wrap; font-size: 8.5pt; background: #f5f6f7; padding: 8px; }
footer { margin-top: 3em; border-top: 1px solid #c8ccd0; padding-top: .5em; font-size: 8.5pt;
         color: #555; }
@page { margin: 18mm 16mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  .camera { page-break-inside: avoid; } h2 { page-break-before: always; }
  h2.sub { page-break-before: auto; }
  nav.contents, p.index, .skip { display: none; }
  a { color: inherit; text-decoration: none; }
}
"""


#: Longest text shown from one field (a label, a comment, an id); the rest is cut
#: with a mark saying how much. The plan reader bounds fields too; this keeps the
#: layout linear whatever reaches it (a review comment, a site name from a pack).
MAX_SHOWN_CHARS = 2_000


def shown(text: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` as the report shows it: escaped like the text report, cut at ``limit``.

    Control, bidi and zero-width characters are written as escapes
    (:func:`planner.io.safety.printable.printable`), so an id holding U+202E can never
    read like another camera's id.
    """
    raw = str(text)
    cut = ""
    if len(raw) > limit:
        cut = f" [… {len(raw) - limit:,} more characters not shown]"
        raw = raw[:limit]
    return printable(raw) + cut


def e(text: object) -> str:
    """Text from a file, made safe for HTML (attributes included): see :func:`shown`."""
    return html.escape(shown(text), quote=True)


def attr(text: object) -> str:
    """An identifier in an attribute (image key, anchor), escaped for HTML only.

    Never shown to the reader, so kept exactly: the PDF writer looks the key up.
    """
    return html.escape(str(text), quote=True)


def _status_cell(status: str) -> str:
    return (
        f'<span style="color:{_STATUS_COLOURS[status]}; font-weight:bold">'
        f"{e(STATUS_WORDS[status])}</span>"
    )


def _camera_link(cid: str) -> str:
    """A link to a camera's section (the anchor is the id as shown, never raw)."""
    return f'<a class="id" href="#cam-{attr(printable(cid))}">{e(cid)}</a>'


def inline(part: Inline) -> str:
    """One part of a table cell as HTML (every text escaped on its own)."""
    if isinstance(part, str):
        return e(part)
    if isinstance(part, Span):
        if part.only == "print":
            return cell(part.parts)
        opening, closing = _STYLE_TAGS[part.style]
        return opening + cell(part.parts) + closing
    if isinstance(part, Status):
        return _status_cell(part.key)
    if isinstance(part, CameraLink):
        return _camera_link(part.camera_id)
    if isinstance(part, Lines):
        return "<br>".join(cell(line) for line in part.lines)
    if isinstance(part, Per):
        return cell(part.web)
    if isinstance(part, PageOf):
        return ""  # a web page has no pages
    msg = f"unknown cell part: {part!r}"
    raise TypeError(msg)


def cell(parts: Cell) -> str:
    """A table cell's parts as HTML."""
    return "".join(inline(p) for p in parts)


def facts(table: Facts) -> str:
    """A table of facts: each label is its row's header cell."""
    out = [_TABLE_OPEN]
    for label, value in table.rows:
        th = f'<th scope="row" width="28%"{_HEAD_FILL}>{e(label)}</th>'
        out.append(f"<tr>{th}<td>{cell(value)}</td></tr>")
    out.append("</table>")
    return "".join(out)


def grid(table: Table) -> str:
    """A bordered table with a header row; numeric columns are right-aligned."""
    shown_cols = table.shown_on("web")
    aligns = [' class="num" align="right"' if c.numeric else "" for c in shown_cols.columns]
    out = [_TABLE_OPEN, "<tr>"]
    for col, align in zip(shown_cols.columns, aligns, strict=True):
        width = f' width="{col.width}"' if col.width is not None else ""
        out.append(f'<th scope="col"{width}{align}{_HEAD_FILL}>{e(col.head)}</th>')
    out.append("</tr>")
    for row in shown_cols.rows:
        tds = "".join(f"<td{a}>{cell(c)}</td>" for a, c in zip(aligns, row, strict=True))
        out.append(f"<tr>{tds}</tr>")
    out.append("</table>")
    return "".join(out)


def _img(
    key: str, images: Mapping[str, str], *, size: tuple[int, int], alt: str, cls: str = ""
) -> str:
    src = images.get(key, "")
    if not src:
        return ""
    klass = f' class="{e(cls)}"' if cls else ""
    return f'<img src="{attr(src)}"{klass} width="{size[0]}" height="{size[1]}" alt="{e(alt)}">'


def _h2(text: str, *, anchor: str) -> str:
    return f'<h2 id="{attr(anchor)}">{e(text)}</h2>'


def _sub(text: str) -> str:
    """A heading of the cover (no page of its own when printed)."""
    return f'<h2 class="sub">{e(text)}</h2>'


def _title(r: Report, contents: str) -> str:
    """The kicker, the plan's name, the decision summary, the contents; opens <main>."""
    c = r.status_counts
    return (
        '<header><p class="kicker" style="color:#4a5a6a">ALPR camera siting · Digital '
        "Privacy Officer review</p>"
        f'<h1 style="color:#0b3d62">{e(r.plan_name)}</h1>'
        f'<p style="font-size:12pt">Decision summary: <b>{e(r.decision_summary)}</b>. '
        f"Re-check: {c['block']} blocked, {c['warn']} with "
        f"warnings, {c['clear']} clear, of {len(r.sections)} cameras.</p>"
        "</header>"
        # the rest of the document is its main landmark; report_html closes it
        f'{contents}<main id="main">'
    )


def _hash_note(r: Report) -> str:
    """The plan's hash at the last review, and whether it changed since."""
    if r.last_review_hash is None:
        return ""
    same = r.last_review_hash == r.plan_sha256
    return (
        f'<p class="{"small" if same else "stale"}">'
        f'Plan hash at the last recorded review: <span class="mono">'
        f"{e(r.last_review_hash)}</span> "
        f"({'unchanged' if same else 'DIFFERENT: the plan changed since'}).</p>"
    )


def _trust(r: Report) -> str:
    return (
        _sub("Decisions and trust")
        + '<p class="small">A decision counts only when its SSH signature verifies for its '
        "reviewer with a key the allowed signers list, the camera is unchanged, and the "
        "re-check gives the status it was decided on (SPEC 8). Any other is a claim, shown "
        "with its reasons and never counted.</p>" + facts(tables.trust_facts(r))
    )


def _claims(r: Report) -> str:
    """What the plan file says that the re-check does not bear."""
    out = [_sub("What the plan claims, beside the re-check")]
    if not r.claims:
        out.append("<p>No differences: the plan's stored provenance matches the re-check.</p>")
        return "".join(out)
    out.append(
        '<p class="small">The plan file\'s own results and provenance are claims. '
        "Every difference from the reviewer's re-check is listed here.</p>"
    )
    out += [f'<p class="claim" style="background-color:#fff3cd">⚠ {e(x)}</p>' for x in r.claims]
    return "".join(out)


def _policy_and_data(r: Report) -> str:
    """The policy with its citations, the data layers, and the import's notes."""
    out = [
        _sub("Policy"),
        facts(tables.policy_facts(r)),
        grid(tables.citations_table(r)),
        _sub("Data the re-check used"),
        grid(tables.layers_table(r)),
    ]
    if r.osm:
        out.append('<p class="small">Map data © OpenStreetMap contributors (ODbL).</p>')
    out += [f'<p class="small">Note: {e(w)}</p>' for w in r.warnings[:10]]
    return "".join(out)


def cover(report: Report, *, contents: str = "") -> str:
    """The title, the plan's facts, trust, counts, data basis, claims, policy and data."""
    r = report
    return "".join(
        [
            _title(r, contents),
            facts(tables.plan_facts(r)),
            _hash_note(r),
            _trust(r),
            _sub("Counts"),
            grid(tables.counts_table(r)),
            data_basis_section(r),
            _claims(r),
            _policy_and_data(r),
        ]
    )


def data_basis_section(report: Report) -> str:
    """ "Data checked against": what every count rests on (issue 16), on the cover.

    Sites by category and source, each source's date, how they are protected, how many
    are unverified, where the site data reaches against where the cameras are, and the
    import's warnings. Everything comes from ``report.basis``
    (:class:`planner.core.basis.DataBasis`); a report without one shows nothing here.
    """
    b = report.basis
    if b is None:
        return ""
    parts = [
        _sub("Data checked against"),
        '<p class="small">Every count above rests on these sites. A camera is judged only '
        "against the protected places the data lists.</p>",
        grid(tables.categories_table(b)),
        grid(tables.sources_table(b)),
    ]
    if b.sites_area_km2 is not None and b.cameras_outside is not None:
        span = (
            "" if b.cameras_area_km2 is None else f"; the cameras span {b.cameras_area_km2:.1f} km²"
        )
        parts.append(
            f"<p>The site data covers {b.sites_area_km2:.1f} km²{span}. "
            f"<b>{b.cameras_outside} of {b.cameras} cameras "
            f"({100 * (b.share_outside or 0.0):.0f}%) lie outside it</b>, where protected "
            "places the data does not list may exist (areas are convex hulls around each "
            "source's sites).</p>"
        )
    if b.import_warnings:
        parts.append('<p class="small">The import said:</p><ul class="small">')
        parts += [f"<li>{e(w)}</li>" for w in b.import_warnings[:20]]
        parts.append("</ul>")
    return "".join(parts)


def _changes(report: Report) -> str:
    out = ["<h3>Changes since the last review</h3>"]
    if not report.last_review:
        out.append("<p>No earlier review is recorded in the plan.</p>")
    elif not report.changes:
        out.append(
            f"<p>None: every camera is as it was at the last review ({e(report.last_review)}).</p>"
        )
    else:
        out.append(f'<p class="small">Since the review of {e(report.last_review)}.</p>')
        out.append(grid(tables.changes_table(report)))
    return "".join(out)


def overview(report: Report, images: Mapping[str, str], *, size: tuple[int, int]) -> str:
    """The overview map, its detail, the key to its numbers and the changes."""
    parts = [
        _h2("Overview map", anchor="overview"),
        '<p class="small">Every camera coloured by its re-check status: red cross-hatch '
        "blocked, amber hatch warning, green clear. Squares are existing cameras, circles "
        "proposed ones.</p>",
        _img("overview", images, size=size, alt=overview_alt(report), cls="overview"),
    ]
    if images.get("detail"):
        parts.append("<h3>Detail: the numbered cameras</h3>")
        parts.append(_img("detail", images, size=size, alt=detail_alt(report), cls="overview"))
    key = tables.callout_key_table(report)
    if key is not None:
        parts.append("<h3>Key to the numbered cameras</h3>")
        parts.append(grid(key))
    parts.append(_changes(report))
    return "".join(parts)


def _findings(s: CameraSection) -> str:
    if not s.findings:
        return "<p>No findings: the visible cone stays clear of every capture zone.</p>"
    items = [
        f'<li><span style="color:{_STATUS_COLOURS.get(f.severity, "#333")}; font-weight:bold">'
        f"{e(STATUS_WORDS.get(f.severity, f.severity))}:</span> "
        f"{e(f.sentence)}</li>"
        for f in s.findings
    ]
    return "<p><b>Findings</b></p><ul>" + "".join(items) + "</ul>"


def camera_section(s: CameraSection, images: Mapping[str, str], *, size: tuple[int, int]) -> str:
    """One camera: its heading, its map beside its facts, its findings and audit entries."""
    cam = s.camera
    title = f"Camera {cam.id}" + (f" · {cam.label}" if cam.label and cam.label != cam.id else "")
    img = _img(f"camera:{cam.id}", images, size=size, alt=camera_map_alt(s))
    # a heading of a few lines at most (cut with a mark), whatever the label
    heading = html.escape(shown(title, 200), quote=True)
    parts = [
        f'<div class="camera"><h3 id="cam-{attr(printable(cam.id))}">{heading}</h3>',
        '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
        f'<td width="{size[0] + 10}">{img}</td><td>{facts(tables.camera_facts(s))}</td>'
        "</tr></table>",
        _findings(s),
    ]
    if s.audit:
        parts.append('<p class="small"><b>Audit entries</b></p>')
        parts.append(grid(tables.audit_table(s.audit, with_camera=False)))
    parts.append("</div>")
    return "".join(parts)


def _signage(r: Report) -> str:
    """Appendix B: the intersections each camera's notice signs go to, and entry signs."""
    parts = [
        _h2("Appendix B. Signage list", anchor="signage"),
        '<p class="small">San José ALPR Data Usage Protocol §6: notice signs at '
        "designated intersections near each camera. Listed: the two nearest street "
        "intersections (streets of different names meeting at a node) of the data "
        "pack's street network, within 500 m.</p>",
    ]
    signs = tables.signage_table(r)
    if signs is not None:
        parts.append(grid(signs))
    without = [s.camera.id for s in r.sections if not s.signs]
    if without:
        parts.append(
            f"<p>{len(without)} of {len(r.sections)} cameras have no named "
            "intersection within 500 m in the data's street network (it may cover "
            "only part of the city); their signs must be sited by hand: "
            '<span class="small">'
            + ", ".join(f'<span class="id">{e(x)}</span>' for x in without)
            + "</span>.</p>"
        )
    parts.append("<h3>Entry signs: streets crossing the city limits</h3>")
    if not r.has_city_limits:
        parts.append("<p>The data has no city-limits boundary.</p>")
    elif not r.crossings:
        parts.append("<p>No named street of the data's street network crosses the city limits.</p>")
    else:
        parts.append(grid(tables.crossings_table(r)))
    return "".join(parts)


def appendices(report: Report) -> str:
    """Audit trail, signage list, cameras by district and the policy text."""
    r = report
    parts = [_h2("Appendix A. Audit trail", anchor="audit")]
    if r.audit:
        parts.append(grid(tables.audit_table(r.audit, with_camera=True)))
    else:
        parts.append("<p>The plan records no audit entries.</p>")
    parts.append(_signage(r))
    if r.districts:
        parts.append(_h2("Appendix C. Cameras by council district", anchor="districts"))
        parts.append(grid(tables.districts_table(r)))
    letter = "D" if r.districts else "C"
    parts.append(_h2(f"Appendix {letter}. Policy text", anchor="policy"))
    parts.append(
        f'<p class="small">{e(r.policy.id)} version {e(r.policy.version)}, sha256 '
        f'<span class="mono">{e(r.policy.sha256)}</span></p>'
    )
    # the policy keeps its lines (the reader capped it at 200,000 characters)
    parts.append(f"<pre>{html.escape(r.policy_text, quote=True)}</pre>")
    return "".join(parts)


def _contents(report: Report) -> str:
    """The browser's table of contents (a PDF reader has page numbers instead)."""
    letter = "D" if report.districts else "C"
    items = [
        ("overview", "Overview map and changes since the last review"),
        ("cameras", f"Cameras ({len(report.sections)})"),
        ("audit", "Appendix A. Audit trail"),
        ("signage", "Appendix B. Signage list"),
    ]
    if report.districts:
        items.append(("districts", "Appendix C. Cameras by council district"))
    items.append(("policy", f"Appendix {letter}. Policy text"))
    links = "".join(f'<li><a href="#{a}">{e(t)}</a></li>' for a, t in items)
    return (
        '<a class="skip" href="#cameras">Skip to the cameras</a>'
        '<nav class="contents" aria-labelledby="contents-title">'
        f'<h2 class="sub" id="contents-title">Contents</h2><ol>{links}</ol></nav>'
    )


def footer_text(report: Report) -> str:
    return f"Generated {report.generated_on} · plan hash {report.plan_sha256}"


def report_html(
    report: Report,
    images: Mapping[str, str],
    *,
    overview_size: tuple[int, int] = (680, 520),
    inset_size: tuple[int, int] = (260, 200),
) -> str:
    """The whole report as one HTML document."""
    body = [cover(report, contents=_contents(report))]
    body.append(overview(report, images, size=overview_size))
    body.append(_h2("Cameras", anchor="cameras"))
    body.append(
        '<p class="small">One section per camera, in plan order: a map of its visible '
        "cone, nearby sites, entrances, capture zones and buildings; its findings in "
        "plain words; the decision; and its audit entries.</p>"
    )
    body.append("<h3>Camera index</h3>" + grid(tables.camera_index_table(report)))
    body += [camera_section(s, images, size=inset_size) for s in report.sections]
    body.append(appendices(report))
    body.append("</main>")
    body.append(
        f"<footer>{e(footer_text(report))}"
        + (" · Map data © OpenStreetMap contributors" if report.osm else "")
        + "</footer>"
    )
    head = (
        f'<meta charset="utf-8"><title>{e(report.title)}</title>'
        f'<meta name="author" content="{e(report.reviewer)}">'
        f'<meta name="generator" content="siting-planner">'
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head>{head}<style>{_CSS}</style></head>'
        f"<body>{''.join(body)}</body></html>\n"
    )
