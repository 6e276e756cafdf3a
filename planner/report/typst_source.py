"""The review report as Typst markup, compiled to a tagged PDF/A-2a + PDF/UA-1 file.

Typst tags what it lays out: headings (H1–H3, also the PDF's bookmarks), tables with
header rows (TH, repeated on every page a table runs onto), lists, links, and figures
with their alt text; the page footer is an artifact. Every text of the report enters
the markup as a Typst string literal (:func:`lit`), never as markup, so no name in a
plan can change the document's structure. The tables are built once for both formats
(:mod:`planner.report.tables`) and rendered here by :func:`table` and :func:`facts`.

The maps are SVG files (drawn by the app's renderer) that ``images`` names, relative
to the compile root; this module never touches a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

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
from planner.report.html import footer_text
from planner.report.model import STATUS_WORDS, CameraSection, Report

#: Body text: Typst's own bundled fonts, so the PDF is the same on every platform and
#: the installers carry no font.
BODY_FONT = "Libertinus Serif"
MONO_FONT = "DejaVu Sans Mono"
#: Text colours with a contrast of at least 7:1 on white (and 4.5:1 on the tints).
STATUS_COLOURS = {"block": "#b71c1c", "warn": "#7a4f00", "clear": "#1b5e20"}
NAVY = "#0b3d62"
#: Sizes in points of the maps on the page.
OVERVIEW_PT = (512.0, 470.0)
INSET_PT = (250.0, 190.0)
#: The Typst function of each style of :mod:`planner.report.content` (``stale`` is red).
_STYLE_FUNCTIONS = {"strong": "strong", "mono": "mono", "small": "small", "id": "nb"}

_PREAMBLE = """\
#set document(title: {title}, author: {author}, keywords: ("ALPR", "camera siting", "review"))
#set text(lang: "en", region: "US", font: ({body}, {mono}), size: 9.5pt)
#set page(paper: "us-letter", margin: (x: 50pt, top: 48pt, bottom: 62pt),
  footer: context {{
    set text(size: 7pt, fill: rgb("#3d3d3d"))
    line(length: 100%, stroke: 0.5pt + rgb("#8a96a3"))
    v(-4pt)
    grid(columns: (1fr, auto), {footer_left},
      [Page #counter(page).display() of #counter(page).final().first()])
    v(-4pt)
    {footer_right}
  }})
#set par(justify: false, leading: 0.55em, spacing: 0.8em)
#set heading(numbering: none)
#show outline: set heading(level: 2)
#show heading: set text(fill: rgb("{navy}"))
#show heading.where(level: 1): set text(size: 20pt)
#show heading.where(level: 2): it => {{ block(below: 0.8em,
  stroke: (bottom: 1.2pt + rgb("{navy}")), inset: (bottom: 3pt), width: 100%,
  text(size: 14pt, it.body)) }}
#show heading.where(level: 3): set text(size: 11pt)
#show link: set text(fill: rgb("{navy}"))
#set table(stroke: 0.5pt + rgb("#9aa3ab"), inset: (x: 4pt, y: 2.5pt),
  fill: (_, y) => if y == 0 {{ rgb("#e8edf2") }})
#show table.cell.where(y: 0): set text(weight: "bold")
#show table: set text(size: 8.5pt)
#let mono(s) = box(text(font: {mono}, size: 7pt, s))
#let nb(s) = box(s)
#let small(s) = text(size: 8pt, fill: rgb("#3d3d3d"), s)
#let status(key, word) = text(weight: "bold", fill: rgb(key), word)
"""


#: Characters shown as escapes, as the text report shows them (``planner.io.safety.printable``):
#: controls, bidi overrides and marks, separators, zero-width characters, the BOM, lone
#: surrogates. A PDF/A may hold no glyph its fonts cannot draw, and a bidi override
#: would make a line read differently from what the file says.
_UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def lit(text: object) -> str:
    """``text`` as a Typst string literal (code mode): nothing in it is markup."""
    out = ['"']
    for ch in _UNSAFE.sub(_escape, str(text)):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _cat(*parts: str) -> str:
    """Content expressions joined into one content block (code mode)."""
    return "[" + "".join(f"#{p}" if not p.startswith("[") else p for p in parts) + "]"


def _mono(text: object) -> str:
    return f"mono({lit(text)})"


def _nb(text: object) -> str:
    """Text that never breaks across lines (ids)."""
    return f"nb({lit(text)})"


def _status(key: str) -> str:
    return f"status({lit(STATUS_COLOURS.get(key, '#333333'))}, {lit(STATUS_WORDS.get(key, key))})"


def _status_text(key: str, text: str) -> str:
    return f"status({lit(STATUS_COLOURS.get(key, '#333333'))}, {lit(text)})"


def _printed(parts: Cell) -> list[Inline]:
    """The parts the printed page shows, neighbouring texts joined into one string."""
    out: list[Inline] = []
    for part in parts:
        if isinstance(part, Per):
            spliced: list[Inline] = _printed(part.print)
        elif isinstance(part, Span) and part.only == "web":
            spliced = _printed(part.parts)
        else:
            spliced = [part]
        for p in spliced:
            if isinstance(p, str) and out and isinstance(out[-1], str):
                out[-1] += p
            else:
                out.append(p)
    return out


def _code(part: Inline) -> str:
    """One part of a cell as a Typst expression (code mode)."""
    if isinstance(part, str):
        return lit(part)
    if isinstance(part, Span):
        inner = _expression(part.parts)
        if part.style == "stale":
            return f"status({lit(STATUS_COLOURS['block'])}, {inner})"
        return f"{_STYLE_FUNCTIONS[part.style]}({inner})"
    if isinstance(part, Status):
        return _status(part.key)
    if isinstance(part, CameraLink):
        return f"link(<cam-{label_name(part.camera_id)}>, {_nb(part.camera_id)})"
    if isinstance(part, PageOf):
        return f"context counter(page).at(<cam-{label_name(part.camera_id)}>).first()"
    if isinstance(part, Lines):
        # each line after a line break; the first needs none
        breaks = [c for line in part.lines for c in ("linebreak()", _expression(line))]
        return _cat(*breaks[1:])
    msg = f"unknown cell part: {part!r}"
    raise TypeError(msg)


def _expression(parts: Cell) -> str:
    """A cell's parts as one expression: one part as itself, several as a content block."""
    shown = _printed(parts)
    if not shown:
        return lit("")
    if len(shown) == 1:
        return _code(shown[0])
    return _cat(*(_code(p) for p in shown))


def _cell(parts: Cell) -> str:
    return "[]" if not parts else f"[#{_expression(parts)}]"


def _grid(head: list[str], tracks: list[str], align: list[str], cells: list[str]) -> str:
    header = f"table.header({', '.join(f'[#{lit(h)}]' for h in head)})"
    return (
        f"#table(columns: ({', '.join(tracks)},), align: ({', '.join(align)},),\n  "
        + ",\n  ".join([header, *cells])
        + ",\n)\n"
    )


def table(t: Table) -> str:
    """A table with a header row (TH cells, repeated on each page it runs onto)."""
    t = t.shown_on("print")
    return _grid(
        [c.head for c in t.columns],
        [c.typst_track for c in t.columns],
        ["right" if c.numeric else "left" for c in t.columns],
        [_cell(c) for row in t.rows for c in row],
    )


def facts(t: Facts) -> str:
    """A table of facts: each label beside its value."""
    cells = [c for label, value in t.rows for c in (f"[#{lit(label)}]", _cell(value))]
    return _grid(["Item", "Value"], ["28%", "1fr"], ["left", "left"], cells)


def _para(*parts: str, small: bool = False) -> str:
    body = "".join(f"#{p}" for p in parts)
    return f"#small[{body}]\n\n" if small else f"{body}\n\n"


def _h(level: int, text: str, label: str | None = None, *, new_page: bool = False) -> str:
    lab = f" <{label}>" if label else ""
    brk = "#pagebreak(weak: true)\n" if new_page else ""
    return f"{brk}#heading(level: {level}, {lit(text)}){lab}\n\n"


def _list(items: list[str]) -> str:
    """A bulleted list of content expressions."""
    return f"#list({', '.join(items)})\n\n"


def _title(r: Report) -> str:
    """The kicker, the plan's name, the decision summary and the contents."""
    c = r.status_counts
    return "".join(
        [
            _para(
                f"text(size: 8.5pt, fill: rgb({lit('#3d4d5d')}), tracking: 0.06em, "
                f"{lit('ALPR CAMERA SITING · DIGITAL PRIVACY OFFICER REVIEW')})"
            ),
            _h(1, r.plan_name),
            _para(
                lit("Decision summary: "),
                f"strong({lit(r.decision_summary)})",
                lit(
                    f". Re-check: {c['block']} blocked, {c['warn']} with warnings, "
                    f"{c['clear']} clear, of {len(r.sections)} cameras."
                ),
            ),
            "#outline(title: [Contents], target: heading.where(level: 2))\n\n",
        ]
    )


def _hash_note(r: Report) -> str:
    """The plan's hash at the last review, and whether it changed since."""
    if r.last_review_hash is None:
        return ""
    same = r.last_review_hash == r.plan_sha256
    verdict = "unchanged" if same else "DIFFERENT: the plan changed since"
    return _para(
        lit("Plan hash at the last recorded review: "),
        _mono(r.last_review_hash),
        lit(" ("),
        lit(verdict) if same else _status_text("block", verdict),
        lit(")."),
    )


def _trust(r: Report) -> str:
    rule = (
        "A decision counts only when its SSH signature verifies for its reviewer "
        "with a key the allowed signers list, the camera is unchanged, and the "
        "re-check gives the status it was decided on (SPEC 8). Any other is a "
        "claim, shown with its reasons and never counted."
    )
    return (
        _h(2, "Decisions and trust") + _para(lit(rule), small=True) + facts(tables.trust_facts(r))
    )


def _claims(r: Report) -> str:
    """What the plan file says that the re-check does not bear."""
    out = [_h(2, "What the plan claims, beside the re-check")]
    if not r.claims:
        out.append(_para(lit("No differences: the plan's stored provenance matches the re-check.")))
        return "".join(out)
    out.append(
        _para(
            lit(
                "The plan file's own results and provenance are claims. Every "
                "difference from the reviewer's re-check is listed here."
            ),
            small=True,
        )
    )
    out.append(_list([f"[#{lit(x)}]" for x in r.claims]))
    return "".join(out)


def _policy_and_data(r: Report) -> str:
    """The policy with its citations, the data layers, and the import's notes."""
    out = [
        _h(2, "Policy"),
        facts(tables.policy_facts(r)),
        table(tables.citations_table(r)),
        _h(2, "Data the re-check used"),
        table(tables.layers_table(r)),
    ]
    if r.osm:
        out.append(_para(lit("Map data © OpenStreetMap contributors (ODbL)."), small=True))
    out += [_para(lit(f"Note: {w}"), small=True) for w in r.warnings[:10]]
    return "".join(out)


def cover(r: Report) -> str:
    """The title, the decision summary, the contents and the cover's sections."""
    return "".join(
        [
            _title(r),
            facts(tables.plan_facts(r)),
            _hash_note(r),
            _trust(r),
            _h(2, "Counts"),
            table(tables.counts_table(r)),
            data_basis(r),
            _claims(r),
            _policy_and_data(r),
        ]
    )


def data_basis(r: Report) -> str:
    """ "Data checked against" (as the HTML's ``data_basis_section``): what the counts rest on."""
    b = r.basis
    if b is None:
        return ""
    out = [
        _h(2, "Data checked against"),
        _para(
            lit(
                "Every count above rests on these sites. A camera is judged only against "
                "the protected places the data lists."
            ),
            small=True,
        ),
        table(tables.categories_table(b)),
        table(tables.sources_table(b)),
    ]
    if b.sites_area_km2 is not None and b.cameras_outside is not None:
        span = (
            "" if b.cameras_area_km2 is None else f"; the cameras span {b.cameras_area_km2:.1f} km²"
        )
        out.append(
            _para(
                lit(f"The site data covers {b.sites_area_km2:.1f} km²{span}. "),
                "strong("
                + lit(
                    f"{b.cameras_outside} of {b.cameras} cameras "
                    f"({100 * (b.share_outside or 0.0):.0f}%) lie outside it"
                )
                + ")",
                lit(
                    ", where protected places the data does not list may exist (areas are "
                    "convex hulls around each source's sites)."
                ),
            )
        )
    if b.import_warnings:
        out.append(_para(lit("The import said:"), small=True))
        out.append(_list([f"small({lit(w)})" for w in b.import_warnings[:20]]))
    return "".join(out)


def _figure(path: str | None, *, size: tuple[float, float], alt: str) -> str:
    if not path:
        return "[]"
    # clipped to its frame: nothing of a map is ever drawn beside it
    return (
        f"box(clip: true, width: {size[0]}pt, height: {size[1]}pt, "
        f"image({lit(path)}, width: {size[0]}pt, height: {size[1]}pt, alt: {lit(alt)}))"
    )


def _changes(r: Report) -> str:
    out = [_h(3, "Changes since the last review")]
    if not r.last_review:
        out.append(_para(lit("No earlier review is recorded in the plan.")))
    elif not r.changes:
        out.append(
            _para(lit(f"None: every camera is as it was at the last review ({r.last_review})."))
        )
    else:
        out.append(_para(lit(f"Since the review of {r.last_review}."), small=True))
        out.append(table(tables.changes_table(r)))
    return "".join(out)


def overview(r: Report, images: Mapping[str, str]) -> str:
    """The overview map, its detail, the key to its numbers and the changes."""
    out = [
        _h(2, "Overview map", "overview", new_page=True),
        _para(
            lit(
                "Every camera coloured by its re-check status: red cross-hatch blocked, "
                "amber hatch warning, green clear. Squares are existing cameras, circles "
                "proposed ones. The numbers mark the blocked and warned cameras (key below)."
            ),
            small=True,
        ),
        "#" + _figure(images.get("overview"), size=OVERVIEW_PT, alt=overview_alt(r)) + "\n\n",
    ]
    if images.get("detail"):
        out.append(_h(3, "Detail: the numbered cameras"))
        out.append("#" + _figure(images["detail"], size=OVERVIEW_PT, alt=detail_alt(r)) + "\n\n")
    key = tables.callout_key_table(r)
    if key is not None:
        out.append(_h(3, "Key to the numbered cameras"))
        out.append(table(key))
    out.append(_changes(r))
    return "".join(out)


def label_name(camera_id: str) -> str:
    """A Typst label name for a camera id (labels allow letters, digits, ``-_.:``)."""
    # "_" escapes too, so two different ids never share a label
    return "".join(
        ch if (ch.isascii() and ch.isalnum()) or ch in "-.:" else f"_{ord(ch):x}_"
        for ch in camera_id
    )


def _findings(s: CameraSection) -> str:
    if not s.findings:
        return _para(lit("No findings: the visible cone stays clear of every capture zone."))
    items = [
        _cat(
            _status_text(f.severity, STATUS_WORDS.get(f.severity, f.severity) + ":"),
            '" "',
            lit(f.sentence),
        )
        for f in s.findings
    ]
    return _para(f"strong({lit('Findings')})") + _list(items)


def camera_section(s: CameraSection, images: Mapping[str, str]) -> str:
    """One camera: heading (a bookmark, a link target), map beside facts, findings."""
    cam = s.camera
    title = f"Camera {cam.id}" + (f" · {cam.label}" if cam.label and cam.label != cam.id else "")
    fig = _figure(images.get(f"camera:{cam.id}"), size=INSET_PT, alt=camera_map_alt(s))
    out = [
        _h(3, title, f"cam-{label_name(cam.id)}"),
        f"#block(breakable: false, grid(columns: ({INSET_PT[0]}pt, 1fr), gutter: 8pt, "
        f"{fig}, [\n{facts(tables.camera_facts(s))}]))\n\n",
        _findings(s),
    ]
    if s.audit:
        out.append(_para(f"strong({lit('Audit entries')})", small=True))
        out.append(table(tables.audit_table(s.audit, with_camera=False)))
    return "".join(out)


def _signage(r: Report) -> str:
    """Appendix B: the intersections each camera's notice signs go to, and entry signs."""
    out = [
        _h(2, "Appendix B. Signage list", "signage", new_page=True),
        _para(
            lit(
                "San José ALPR Data Usage Protocol §6: notice signs at designated "
                "intersections near each camera. Listed: the two nearest street "
                "intersections (streets of different names meeting at a node) of the data "
                "pack's street network, within 500 m."
            ),
            small=True,
        ),
    ]
    signs = tables.signage_table(r)
    if signs is not None:
        out.append(table(signs))
    without = [s.camera.id for s in r.sections if not s.signs]
    if without:
        out.append(_h(3, "Cameras with no named intersection within 500 m"))
        out.append(
            _para(
                lit(
                    f"{len(without)} of {len(r.sections)} cameras have no named intersection "
                    "within 500 m in the data's street network (it may cover only part of "
                    "the city); their signs must be sited by hand:"
                )
            )
        )
        ids = ", ".join(_nb(x) for x in without)
        out.append(f'#small(({ids},).join(", "))\n\n')
    out.append(_h(3, "Entry signs: streets crossing the city limits"))
    if not r.has_city_limits:
        out.append(_para(lit("The data has no city-limits boundary.")))
    elif not r.crossings:
        out.append(
            _para(lit("No named street of the data's street network crosses the city limits."))
        )
    else:
        out.append(table(tables.crossings_table(r)))
    return "".join(out)


def appendices(r: Report) -> str:
    """Audit trail, signage list, cameras by district and the policy text."""
    out = [_h(2, "Appendix A. Audit trail", "audit", new_page=True)]
    if r.audit:
        out.append(table(tables.audit_table(r.audit, with_camera=True)))
    else:
        out.append(_para(lit("The plan records no audit entries.")))
    out.append(_signage(r))
    if r.districts:
        out.append(_h(2, "Appendix C. Cameras by council district", "districts", new_page=True))
        out.append(table(tables.districts_table(r)))
    letter = "D" if r.districts else "C"
    out.append(_h(2, f"Appendix {letter}. Policy text", "policy", new_page=True))
    out.append(
        _para(
            lit(f"{r.policy.id} version {r.policy.version}, sha256 "),
            _mono(r.policy.sha256),
            small=True,
        )
    )
    out.append(
        f'#block(fill: rgb("#f5f6f7"), inset: 6pt, width: 100%, '
        f"text(font: {lit(MONO_FONT)}, size: 7pt, {lit(r.policy_text)}))\n"
    )
    return "".join(out)


def report_typst(report: Report, images: Mapping[str, str]) -> str:
    """The whole report as one Typst document; ``images`` maps map keys to SVG paths."""
    left = f"{report.plan_name} · DPO review" + (
        " · Map data © OpenStreetMap contributors" if report.osm else ""
    )
    head = _PREAMBLE.format(
        title=lit(report.title),
        author=lit(report.reviewer),
        body=lit(BODY_FONT),
        mono=lit(MONO_FONT),
        navy=NAVY,
        footer_left=lit(left),
        footer_right=lit(footer_text(report)),
    )
    body = [cover(report), overview(report, images)]
    body.append(_h(2, "Cameras", "cameras", new_page=True))
    body.append(
        _para(
            lit(
                "One section per camera, in plan order: a map of its visible cone, nearby "
                "sites, entrances, capture zones and buildings; its findings in plain "
                "words; the decision; and its audit entries."
            ),
            small=True,
        )
    )
    body.append(_h(3, "Camera index") + table(tables.camera_index_table(report)))
    body += [camera_section(s, images) for s in report.sections]
    body.append(appendices(report))
    return head + "\n" + "".join(body)


__all__ = ["INSET_PT", "OVERVIEW_PT", "label_name", "lit", "report_typst"]
