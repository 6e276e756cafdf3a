"""The review report as one self-contained HTML file (WCAG 2.1 AA).

The images are inlined as ``data:`` URIs and a print style sheet is added: no external
URL, nothing to fetch. Landmarks, headings in order, header cells with ``scope``, alt
text for every map and status in words make it accessible (tests/test_report_html_a11y.py
runs axe-core on it). The PDF is laid out by Typst (:mod:`planner.report.typst_source`);
``for_qt=True``, the subset Qt's ``QTextDocument`` laid out for the PDF before, is no
longer used by the writers.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from planner.core.printable import printable
from planner.report.describe import (
    callouts,
    camera_map_alt,
    decision_short,
    detail_alt,
    overview_alt,
)
from planner.report.model import STATUS_WORDS, CameraSection, Report, decision_words
from planner.report.wording import category_words

if TYPE_CHECKING:
    from planner.core.model import AuditEntry


#: Cameras per PDF page (each section starts a page every this many cameras).
CAMERAS_PER_PAGE = 2
_STATUS_COLOURS = {"block": "#b71c1c", "warn": "#8a5a00", "clear": "#1b5e20"}

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
    (:func:`planner.core.printable.printable`), so an id holding U+202E can never
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


def _kv(rows: list[tuple[str, str]], *, width: str = "100%") -> str:
    out = [
        f'<table class="grid" width="{width}" cellspacing="0" cellpadding="3" border="1" '
        'style="border-color:#c8ccd0">'
    ]
    for k, v in rows:
        out.append(
            f'<tr><th scope="row" width="28%" style="background-color:#e8edf2">{e(k)}</th>'
            f"<td>{v}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def _grid(
    head: list[str],
    rows: list[list[str]],
    *,
    widths: list[str] | None = None,
    numeric: frozenset[int] = frozenset(),
) -> str:
    """A bordered table; the ``numeric`` columns are right-aligned (counts line up)."""

    def cls(i: int) -> str:
        return ' class="num" align="right"' if i in numeric else ""

    out = [
        '<table class="grid" width="100%" cellspacing="0" cellpadding="3" border="1" '
        'style="border-color:#c8ccd0"><tr>'
    ]
    for i, h in enumerate(head):
        w = f' width="{widths[i]}"' if widths else ""
        out.append(f'<th scope="col"{w}{cls(i)} style="background-color:#e8edf2">{e(h)}</th>')
    out.append("</tr>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(r)) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _camera_link(cid: str) -> str:
    """A link to a camera's section (the anchor is the id as shown, never raw)."""
    return f'<a class="id" href="#cam-{attr(printable(cid))}">{e(cid)}</a>'


def _img(
    key: str,
    images: Mapping[str, str],
    *,
    width: int,
    height: int,
    alt: str,
    for_qt: bool,
    cls: str = "",
) -> str:
    src = f"map:{key}" if for_qt else images.get(key, "")
    if not src:
        return ""
    klass = f' class="{e(cls)}"' if cls and not for_qt else ""
    return f'<img src="{attr(src)}"{klass} width="{width}" height="{height}" alt="{e(alt)}">'


def _h2(text: str, *, anchor: str, for_qt: bool, page_break: bool = True) -> str:
    style = ' style="page-break-before: always"' if (page_break and for_qt) else ""
    return f'<h2 id="{attr(anchor)}"{style}>{e(text)}</h2>'


def cover(report: Report, *, for_qt: bool, contents: str = "") -> str:
    r = report
    p = r.policy
    parts = [
        '<header><p class="kicker" style="color:#4a5a6a">ALPR camera siting · Digital '
        "Privacy Officer review</p>",
        f'<h1 style="color:#0b3d62">{e(r.plan_name)}</h1>',
        f'<p style="font-size:12pt">Decision summary: <b>{e(r.decision_summary)}</b>. '
        f"Re-check: {r.status_counts['block']} blocked, {r.status_counts['warn']} with "
        f"warnings, {r.status_counts['clear']} clear, of {len(r.sections)} cameras.</p>"
        "</header>",
        contents,
        # the rest of the document is its main landmark; report_html closes it
        "" if for_qt else '<main id="main">',
    ]
    parts.append(
        _kv(
            [
                ("Department", e(r.department or "not stated")),
                ("Author", e(r.author or "not stated")),
                ("Created", e(r.created or "not stated")),
                ("Last modified", e(r.modified or "not stated")),
                ("Reviewer", e(r.reviewer)),
                ("Last recorded review", e(r.last_review or "none before this report")),
                ("Report generated", e(r.generated_on)),
                ("Plan file", f'<span class="mono">{e(r.plan_path)}</span>'),
                ("Plan hash (canonical)", f'<span class="mono">{e(r.plan_sha256)}</span>'),
                ("File sha256 (raw bytes)", f'<span class="mono">{e(r.file_sha256)}</span>'),
            ]
        )
    )
    if r.last_review_hash is not None:
        same = r.last_review_hash == r.plan_sha256
        parts.append(
            f'<p class="{"small" if same else "stale"}">'
            f'Plan hash at the last recorded review: <span class="mono">'
            f"{e(r.last_review_hash)}</span> "
            f"({'unchanged' if same else 'DIFFERENT: the plan changed since'}).</p>"
        )
    parts.append('<h2 class="sub">Decisions and trust</h2>')
    parts.append(
        '<p class="small">A decision counts only when its SSH signature verifies for its '
        "reviewer with a key the allowed signers list, the camera is unchanged, and the "
        "re-check gives the status it was decided on (SPEC 8). Any other is a claim, shown "
        "with its reasons and never counted.</p>"
    )
    whole = (
        e(decision_words(r.plan_decision))
        + f' <span class="small">({e(r.plan_decision.record.reviewer)}, '
        f"{e(r.plan_decision.record.when)})</span>"
        if r.plan_decision is not None
        else "none recorded"
    )
    if r.plan_decision is not None and r.plan_decision.stale:
        whole = f'<span class="stale">{whole}</span>'
    parts.append(
        _kv(
            [
                ("Trusted reviewers", e(r.trust or "not stated")),
                ("Decision on the whole plan", whole),
            ]
        )
    )
    parts.append('<h2 class="sub">Counts</h2>')
    c, d = r.status_counts, r.decision_counts
    parts.append(
        _grid(
            ["Re-check status", "Cameras", "Decision", "Cameras"],
            [
                [_status_cell("block"), str(c["block"]), "Approved", str(d["approve"])],
                [_status_cell("warn"), str(c["warn"]), "Rejected", str(d["reject"])],
                [_status_cell("clear"), str(c["clear"]), "Needs changes", str(d["needs_changes"])],
                ["", "", '<span class="stale">Stale (not counted)</span>', str(d["stale"])],
                ["<b>Total</b>", f"<b>{len(r.sections)}</b>", "Undecided", str(d["undecided"])],
            ],
            widths=["30%", "20%", "30%", "20%"],
            numeric=frozenset({1, 3}),
        )
    )
    parts.append(data_basis_section(r))
    parts.append('<h2 class="sub">What the plan claims, beside the re-check</h2>')
    if r.claims:
        parts.append(
            '<p class="small">The plan file\'s own results and provenance are claims. '
            "Every difference from the reviewer's re-check is listed here.</p>"
        )
        for claim in r.claims:
            parts.append(f'<p class="claim" style="background-color:#fff3cd">⚠ {e(claim)}</p>')
    else:
        parts.append("<p>No differences: the plan's stored provenance matches the re-check.</p>")
    parts.append('<h2 class="sub">Policy</h2>')
    parts.append(
        _kv(
            [
                ("Policy", f"{e(p.title or p.id)}"),
                ("Id and version", f"{e(p.id)}, version {e(p.version)}"),
                ("sha256", f'<span class="mono">{e(p.sha256 or "built in")}</span>'),
                (
                    "Capture zone",
                    f"{p.entrance_radius_m:g} m around each vehicle entrance; warning "
                    f"within {p.warn_margin_m:g} m more",
                ),
            ]
        )
    )
    cites = []
    for key, rule in p.categories.items():
        cites.append(
            [
                e(rule.label or key),
                e(str(rule.action)),
                f'<span class="small">{e(rule.source or "no citation given")}</span>',
            ]
        )
    if p.prohibited_capabilities:
        cites.append(
            [
                e(
                    "Prohibited capabilities: "
                    + ", ".join(x.replace("_", " ") for x in p.prohibited_capabilities)
                ),
                "block",
                f'<span class="small">{e(p.prohibited_capabilities_source or "")}</span>',
            ]
        )
    parts.append(
        _grid(["Protected category", "Action", "Citation"], cites, widths=["30%", "10%", "60%"])
    )
    parts.append('<h2 class="sub">Data the re-check used</h2>')
    parts.append(
        _grid(
            ["Layer", "Source", "Features", "sha256"],
            [
                [
                    e(x.kind),
                    f'<span class="small">{e(x.path)}</span>',
                    f"{x.features:,}",
                    f'<span class="mono">{e(x.sha256)}</span>',
                ]
                for x in r.layers
            ],
            widths=["12%", "33%", "10%", "45%"],
            numeric=frozenset({2}),
        )
    )
    if r.osm:
        parts.append('<p class="small">Map data © OpenStreetMap contributors (ODbL).</p>')
    for w in r.warnings[:10]:
        parts.append(f'<p class="small">Note: {e(w)}</p>')
    return "".join(parts)


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
        '<h2 class="sub">Data checked against</h2>',
        '<p class="small">Every count above rests on these sites. A camera is judged only '
        "against the protected places the data lists.</p>",
    ]
    parts.append(
        _grid(
            ["Category", "Sites", "From", "With entrances", "Whole footprint", "Unverified"],
            [
                [
                    e(category_words(c.category)),
                    str(c.sites),
                    e(", ".join(f"{n} {_source_label(k)}" for k, n in c.by_source.items())),
                    str(c.with_entrances),
                    str(c.footprint),
                    str(c.unverified),
                ]
                for c in b.categories
            ]
            + [
                [
                    "<b>All</b>",
                    f"<b>{b.sites}</b>",
                    "",
                    str(b.with_entrances),
                    str(b.footprint),
                    str(b.unverified),
                ]
            ],
            widths=["22%", "8%", "34%", "12%", "12%", "12%"],
            numeric=frozenset({1, 3, 4, 5}),
        )
    )
    parts.append(
        _grid(
            ["Source", "Date", "Sites", "Area (km²)", "Cameras outside its area"],
            [
                [
                    e(", ".join(s.names) or _source_label(s.key)),
                    e("; ".join(s.dates) or "not recorded"),
                    str(s.sites),
                    "—" if s.area_km2 is None else f"{s.area_km2:.1f}",
                    "—" if s.cameras_outside is None else f"{s.cameras_outside} of {b.cameras}",
                ]
                for s in b.sources
            ],
            widths=["34%", "30%", "8%", "12%", "16%"],
            numeric=frozenset({2, 3, 4}),
        )
    )
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


def _source_label(key: str) -> str:
    return "OpenStreetMap" if key == "osm" else key


def overview(
    report: Report, images: Mapping[str, str], *, for_qt: bool, size: tuple[int, int]
) -> str:
    parts = [
        _h2("Overview map", anchor="overview", for_qt=for_qt),
        '<p class="small">Every camera coloured by its re-check status: red cross-hatch '
        "blocked, amber hatch warning, green clear. Squares are existing cameras, circles "
        "proposed ones.</p>",
        _img(
            "overview",
            images,
            width=size[0],
            height=size[1],
            alt=overview_alt(report),
            for_qt=for_qt,
            cls="overview",
        ),
    ]
    if images.get("detail"):
        parts.append("<h3>Detail: the numbered cameras</h3>")
        parts.append(
            _img(
                "detail",
                images,
                width=size[0],
                height=size[1],
                alt=detail_alt(report),
                for_qt=for_qt,
                cls="overview",
            )
        )
    numbered = callouts(report)
    if numbered:
        parts.append("<h3>Key to the numbered cameras</h3>")
        parts.append(
            _grid(
                ["No.", "Camera", "Re-check"],
                [
                    [
                        str(n),
                        _camera_link(s.camera.id),
                        _status_cell(s.status),
                    ]
                    for n, s in numbered
                ],
                widths=["10%", "60%", "30%"],
                numeric=frozenset({0}),
            )
        )
    parts.append("<h3>Changes since the last review</h3>")
    if not report.last_review:
        parts.append("<p>No earlier review is recorded in the plan.</p>")
    elif not report.changes:
        parts.append(
            f"<p>None: every camera is as it was at the last review ({e(report.last_review)}).</p>"
        )
    else:
        parts.append(f'<p class="small">Since the review of {e(report.last_review)}.</p>')
        parts.append(
            _grid(
                ["Camera", "Change"],
                [[e(c.camera_id), e(c.describe())] for c in report.changes],
                widths=["30%", "70%"],
            )
        )
    return "".join(parts)


def camera_section(
    s: CameraSection, images: Mapping[str, str], *, for_qt: bool, index: int, size: tuple[int, int]
) -> str:
    cam = s.camera
    brk = for_qt and index % CAMERAS_PER_PAGE == 0 and index > 0
    style = ' style="page-break-before: always"' if brk else ""
    title = f"Camera {cam.id}" + (f" · {cam.label}" if cam.label and cam.label != cam.id else "")
    heading = "unknown" if cam.heading_deg is None else f"{cam.heading_deg:.0f}°"
    facts: list[tuple[str, str]] = [
        ("Re-check", _status_cell(s.status)),
    ]
    if s.claimed_status and s.claimed_status != s.status:
        facts.append(
            (
                "Plan claims",
                f'<span class="stale">{e(s.claimed_status)} (differs from the re-check)</span>',
            )
        )
    dec = e(s.decision_text)
    if s.decision is not None:
        rec = s.decision.record
        dec = f'<span class="stale">{dec}</span>' if s.decision.stale else f"<b>{dec}</b>"
        who = rec.reviewer + (f" ({rec.reviewer_name})" if rec.reviewer_name else "")
        dec += f'<br><span class="small">{e(who)}, {e(rec.when)}'
        dec += f"<br>{e(rec.key)}</span>" if rec.key else "</span>"
        if rec.comment:
            dec += f"<br>“{e(rec.comment)}”"
    facts += [
        ("Decision", dec),
        ("Camera", f"{e(cam.status)}" + (f", {e(cam.model)}" if cam.model else "")),
        (
            "Position",
            f"{cam.lat:.6f}, {cam.lon:.6f}"
            + (f" · District {e(s.district)}" if s.district else ""),
        ),
        ("Aim", f"heading {heading}, field of view {cam.fov_deg:g}°, range {cam.range_m:g} m"),
    ]
    if s.change is not None:
        facts.append(("Since last review", e(s.change.describe())))
    if s.signs:
        facts.append(("Nearest intersections", "<br>".join(e(n.describe()) for n in s.signs)))
    img = _img(
        f"camera:{cam.id}",
        images,
        width=size[0],
        height=size[1],
        alt=camera_map_alt(s),
        for_qt=for_qt,
    )
    heading = html.escape(shown(title, 200), quote=True)
    parts = [
        # a heading of a few lines at most (cut with a mark), whatever the label
        f'<div class="camera"><h3 id="cam-{attr(printable(cam.id))}"{style}>{heading}</h3>',
        '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
        f'<td width="{size[0] + 10}">{img}</td><td>{_kv(facts)}</td></tr></table>',
    ]
    if s.findings:
        parts.append("<p><b>Findings</b></p><ul>")
        for f in s.findings:
            colour = _STATUS_COLOURS.get(f.severity, "#333")
            parts.append(
                f'<li><span style="color:{colour}; font-weight:bold">'
                f"{e(STATUS_WORDS.get(f.severity, f.severity))}:</span> "
                f"{e(f.sentence)}</li>"
            )
        parts.append("</ul>")
    else:
        parts.append("<p>No findings: the visible cone stays clear of every capture zone.</p>")
    if s.audit:
        parts.append('<p class="small"><b>Audit entries</b></p>')
        parts.append(_audit_table(s.audit, with_camera=False))
    parts.append("</div>")
    return "".join(parts)


def _audit_table(entries: Sequence[AuditEntry], *, with_camera: bool) -> str:
    head = ["When", "Who", "What"] + (["Camera"] if with_camera else []) + ["Why"]
    rows = []
    for a in entries:
        row = [
            f'<span class="small">{e(a.when)}</span>',
            e(a.who),
            e(a.action + (f": {a.detail}" if a.detail else "")),
        ]
        if with_camera:
            row.append(e(a.camera_id or ""))
        row.append(e(a.justification))
        rows.append(row)
    widths = ["17%", "14%", "30%", "12%", "27%"] if with_camera else ["20%", "15%", "35%", "30%"]
    return _grid(head, rows, widths=widths)


def appendices(report: Report, *, for_qt: bool) -> str:
    r = report
    parts = [_h2("Appendix A. Audit trail", anchor="audit", for_qt=for_qt)]
    if r.audit:
        parts.append(_audit_table(r.audit, with_camera=True))
    else:
        parts.append("<p>The plan records no audit entries.</p>")
    parts.append(_h2("Appendix B. Signage list", anchor="signage", for_qt=for_qt))
    parts.append(
        '<p class="small">San José ALPR Data Usage Protocol §6: notice signs at '
        "designated intersections near each camera. Listed: the two nearest street "
        "intersections (streets of different names meeting at a node) of the data "
        "pack's street network, within 500 m.</p>"
    )
    rows = [
        [f'<span class="id">{e(s.camera.id)}</span>', "<br>".join(e(n.describe()) for n in s.signs)]
        for s in r.sections
        if s.signs
    ]
    if rows:
        parts.append(_grid(["Camera", "Nearest intersections"], rows, widths=["25%", "75%"]))
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
        parts.append(
            _grid(
                ["Street", "Where (lat, lon)"],
                [
                    [e(c.name), f"{lat:.6f}, {lon:.6f}"]
                    for c, (lon, lat) in zip(r.crossings, r.crossings_lonlat, strict=True)
                ],
                widths=["50%", "50%"],
            )
        )
    if r.districts:
        parts.append(
            _h2("Appendix C. Cameras by council district", anchor="districts", for_qt=for_qt)
        )
        rows = []
        for name, c in r.districts:
            label = f"District {name}" if name.isdigit() else name
            rows.append(
                [
                    e(label),
                    str(c["cameras"]),
                    str(c["block"]),
                    str(c["warn"]),
                    str(c["clear"]),
                    str(c["approve"]),
                    str(c["reject"]),
                    str(c["needs_changes"]),
                    str(c["stale"]),
                    str(c["undecided"]),
                ]
            )
        outside = len(r.sections) - sum(c["cameras"] for _, c in r.districts)
        if outside:
            rows.append(["outside every district", str(outside)] + [""] * 8)
        total = [
            sum(c[k] for _, c in r.districts)
            for k in (
                "cameras",
                "block",
                "warn",
                "clear",
                "approve",
                "reject",
                "needs_changes",
                "stale",
                "undecided",
            )
        ]
        rows.append(["<b>All districts</b>"] + [f"<b>{v}</b>" for v in total])
        parts.append(
            _grid(
                [
                    "District",
                    "Cameras",
                    "Blocked",
                    "Warning",
                    "Clear",
                    "Approved",
                    "Rejected",
                    "Needs changes",
                    "Stale",
                    "Undecided",
                ],
                rows,
                numeric=frozenset(range(1, 10)),
            )
        )
    letter = "D" if r.districts else "C"
    parts.append(_h2(f"Appendix {letter}. Policy text", anchor="policy", for_qt=for_qt))
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


def _camera_index(report: Report) -> str:
    """Every camera id as a link to its section, with its status and decision in words."""
    rows = [
        [
            _camera_link(s.camera.id),
            _status_cell(s.status),
            e(decision_short(s)),
        ]
        for s in report.sections
    ]
    return "<h3>Camera index</h3>" + _grid(
        ["Camera", "Re-check", "Decision"], rows, widths=["40%", "25%", "35%"]
    )


def footer_text(report: Report) -> str:
    return f"Generated {report.generated_on} · plan hash {report.plan_sha256}"


def report_html(
    report: Report,
    images: Mapping[str, str],
    *,
    for_qt: bool = False,
    overview_size: tuple[int, int] = (680, 520),
    inset_size: tuple[int, int] = (260, 200),
) -> str:
    """The whole report as one HTML document."""
    body = [cover(report, for_qt=for_qt, contents="" if for_qt else _contents(report))]
    body.append(overview(report, images, for_qt=for_qt, size=overview_size))
    body.append(_h2("Cameras", anchor="cameras", for_qt=for_qt))
    body.append(
        '<p class="small">One section per camera, in plan order: a map of its visible '
        "cone, nearby sites, entrances, capture zones and buildings; its findings in "
        "plain words; the decision; and its audit entries.</p>"
    )
    if not for_qt:
        body.append(_camera_index(report))
    for i, s in enumerate(report.sections):
        body.append(camera_section(s, images, for_qt=for_qt, index=i, size=inset_size))
    body.append(appendices(report, for_qt=for_qt))
    if not for_qt:
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
    style = "" if for_qt else f"<style>{_CSS}</style>"
    return (
        f'<!DOCTYPE html><html lang="en"><head>{head}{style}</head>'
        f"<body>{''.join(body)}</body></html>\n"
    )
