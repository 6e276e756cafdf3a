"""The review report as Typst markup, compiled to a tagged PDF/A-2a + PDF/UA-1 file.

Typst tags what it lays out: headings (H1–H3, also the PDF's bookmarks), tables with
header rows (TH, repeated on every page a table runs onto), lists, links, and figures
with their alt text; the page footer is an artifact. Every text of the report enters
the markup as a Typst string literal (:func:`lit`), never as markup, so no name in a
plan can change the document's structure.

The maps are SVG files (drawn by the app's renderer) that ``images`` names, relative
to the compile root; this module never touches a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from planner.core.model import AuditEntry
from planner.report.describe import (
    callouts,
    camera_map_alt,
    decision_short,
    detail_alt,
    overview_alt,
)
from planner.report.html import footer_text
from planner.report.model import STATUS_WORDS, CameraSection, Report, decision_words
from planner.report.wording import category_words

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


#: Characters shown as escapes, as the text report shows them (``planner.core.printable``):
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


def _table(
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    columns: Sequence[str],
    numeric: frozenset[int] = frozenset(),
) -> str:
    """A table with a header row (TH cells, repeated on each page); cells are code."""
    align = ", ".join("right" if i in numeric else "left" for i in range(len(columns)))
    cells = [f"table.header({', '.join(f'[#{lit(h)}]' for h in head)})"]
    for row in rows:
        cells.extend(_cell(c) for c in row)
    return (
        f"#table(columns: ({', '.join(columns)},), align: ({align},),\n  "
        + ",\n  ".join(cells)
        + ",\n)\n"
    )


def _cell(code: str) -> str:
    return "[]" if not code else f"[#{code}]"


def _kv(rows: Sequence[tuple[str, str]]) -> str:
    return _table(["Item", "Value"], [(lit(k), v) for k, v in rows], columns=["28%", "1fr"])


def _para(*parts: str, small: bool = False) -> str:
    body = "".join(f"#{p}" for p in parts)
    return f"#small[{body}]\n\n" if small else f"{body}\n\n"


def _h(level: int, text: str, label: str | None = None, *, new_page: bool = False) -> str:
    lab = f" <{label}>" if label else ""
    brk = "#pagebreak(weak: true)\n" if new_page else ""
    return f"{brk}#heading(level: {level}, {lit(text)}){lab}\n\n"


def cover(r: Report) -> str:
    """The title, the decision summary, the contents and the cover's sections."""
    p = r.policy
    c, d = r.status_counts, r.decision_counts
    out = [
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
    out.append(
        _kv(
            [
                ("Department", lit(r.department or "not stated")),
                ("Author", lit(r.author or "not stated")),
                ("Created", lit(r.created or "not stated")),
                ("Last modified", lit(r.modified or "not stated")),
                ("Reviewer", lit(r.reviewer)),
                ("Last recorded review", lit(r.last_review or "none before this report")),
                ("Report generated", lit(r.generated_on)),
                ("Plan file", _mono(r.plan_path)),
                ("Plan hash (canonical)", _mono(r.plan_sha256)),
                ("File sha256 (raw bytes)", _mono(r.file_sha256)),
            ]
        )
    )
    if r.last_review_hash is not None:
        same = r.last_review_hash == r.plan_sha256
        verdict = "unchanged" if same else "DIFFERENT: the plan changed since"
        out.append(
            _para(
                lit("Plan hash at the last recorded review: "),
                _mono(r.last_review_hash),
                lit(" ("),
                lit(verdict) if same else _status_text("block", verdict),
                lit(")."),
            )
        )
    out.append(_h(2, "Decisions and trust"))
    out.append(
        _para(
            lit(
                "A decision counts only when its SSH signature verifies for its reviewer "
                "with a key the allowed signers list, the camera is unchanged, and the "
                "re-check gives the status it was decided on (SPEC 8). Any other is a "
                "claim, shown with its reasons and never counted."
            ),
            small=True,
        )
    )
    whole = "none recorded"
    if r.plan_decision is not None:
        rec = r.plan_decision.record
        whole = f"{decision_words(r.plan_decision)} ({rec.reviewer}, {rec.when})"
    out.append(
        _kv(
            [
                ("Trusted reviewers", lit(r.trust or "not stated")),
                (
                    "Decision on the whole plan",
                    _status_text("block", whole)
                    if r.plan_decision is not None and r.plan_decision.stale
                    else lit(whole),
                ),
            ]
        )
    )
    out.append(_h(2, "Counts"))
    out.append(
        _table(
            ["Re-check status", "Cameras", "Decision", "Cameras"],
            [
                [_status("block"), lit(c["block"]), lit("Approved"), lit(d["approve"])],
                [_status("warn"), lit(c["warn"]), lit("Rejected"), lit(d["reject"])],
                [_status("clear"), lit(c["clear"]), lit("Needs changes"), lit(d["needs_changes"])],
                ["", "", lit("Stale (not counted)"), lit(d["stale"])],
                [
                    f"strong({lit('Total')})",
                    f"strong({lit(len(r.sections))})",
                    lit("Undecided"),
                    lit(d["undecided"]),
                ],
            ],
            columns=["30%", "20%", "30%", "20%"],
            numeric=frozenset({1, 3}),
        )
    )
    out.append(data_basis(r))
    out.append(_h(2, "What the plan claims, beside the re-check"))
    if r.claims:
        out.append(
            _para(
                lit(
                    "The plan file's own results and provenance are claims. Every "
                    "difference from the reviewer's re-check is listed here."
                ),
                small=True,
            )
        )
        items = ", ".join(f"[#{lit(x)}]" for x in r.claims)
        out.append(f"#list({items})\n\n")
    else:
        out.append(_para(lit("No differences: the plan's stored provenance matches the re-check.")))
    out.append(_h(2, "Policy"))
    out.append(
        _kv(
            [
                ("Policy", lit(p.title or p.id)),
                ("Id and version", lit(f"{p.id}, version {p.version}")),
                ("sha256", _mono(p.sha256 or "built in")),
                (
                    "Capture zone",
                    lit(
                        f"{p.entrance_radius_m:g} m around each vehicle entrance; warning "
                        f"within {p.warn_margin_m:g} m more"
                    ),
                ),
            ]
        )
    )
    cites = [
        [lit(rule.label or key), lit(str(rule.action)), lit(rule.source or "no citation given")]
        for key, rule in p.categories.items()
    ]
    if p.prohibited_capabilities:
        caps = ", ".join(x.replace("_", " ") for x in p.prohibited_capabilities)
        cites.append(
            [
                lit(f"Prohibited capabilities: {caps}"),
                lit("block"),
                lit(p.prohibited_capabilities_source or ""),
            ]
        )
    out.append(
        _table(["Protected category", "Action", "Citation"], cites, columns=["30%", "10%", "1fr"])
    )
    out.append(_h(2, "Data the re-check used"))
    out.append(
        _table(
            ["Layer", "Source", "Features", "sha256"],
            [
                [lit(x.kind), f"small({lit(x.path)})", lit(f"{x.features:,}"), _mono(x.sha256)]
                for x in r.layers
            ],
            columns=["12%", "1fr", "10%", "auto"],
            numeric=frozenset({2}),
        )
    )
    if r.osm:
        out.append(_para(lit("Map data © OpenStreetMap contributors (ODbL)."), small=True))
    for w in r.warnings[:10]:
        out.append(_para(lit(f"Note: {w}"), small=True))
    return "".join(out)


def _source_label(key: str) -> str:
    return "OpenStreetMap" if key == "osm" else key


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
    ]
    rows = [
        [
            lit(category_words(c.category)),
            lit(c.sites),
            lit(", ".join(f"{n} {_source_label(k)}" for k, n in c.by_source.items())),
            lit(c.with_entrances),
            lit(c.footprint),
            lit(c.unverified),
        ]
        for c in b.categories
    ]
    rows.append(
        [
            f"strong({lit('All')})",
            f"strong({lit(b.sites)})",
            "",
            lit(b.with_entrances),
            lit(b.footprint),
            lit(b.unverified),
        ]
    )
    out.append(
        _table(
            ["Category", "Sites", "From", "With entrances", "Whole footprint", "Unverified"],
            rows,
            columns=["22%", "8%", "1fr", "12%", "12%", "12%"],
            numeric=frozenset({1, 3, 4, 5}),
        )
    )
    out.append(
        _table(
            ["Source", "Date", "Sites", "Area (km²)", "Cameras outside its area"],
            [
                [
                    lit(", ".join(x.names) or _source_label(x.key)),
                    lit("; ".join(x.dates) or "not recorded"),
                    lit(x.sites),
                    lit("—" if x.area_km2 is None else f"{x.area_km2:.1f}"),
                    lit(
                        "—" if x.cameras_outside is None else f"{x.cameras_outside} of {b.cameras}"
                    ),
                ]
                for x in b.sources
            ],
            columns=["1fr", "30%", "8%", "12%", "16%"],
            numeric=frozenset({2, 3, 4}),
        )
    )
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
        items = ", ".join(f"small({lit(w)})" for w in b.import_warnings[:20])
        out.append(f"#list({items})\n\n")
    return "".join(out)


def _status_text(key: str, text: str) -> str:
    return f"status({lit(STATUS_COLOURS.get(key, '#333333'))}, {lit(text)})"


def _figure(path: str | None, *, size: tuple[float, float], alt: str) -> str:
    if not path:
        return "[]"
    # clipped to its frame: nothing of a map is ever drawn beside it
    return (
        f"box(clip: true, width: {size[0]}pt, height: {size[1]}pt, "
        f"image({lit(path)}, width: {size[0]}pt, height: {size[1]}pt, alt: {lit(alt)}))"
    )


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
    numbered = callouts(r)
    if numbered:
        out.append(_h(3, "Key to the numbered cameras"))
        out.append(
            _table(
                ["No.", "Camera", "Re-check", "Page"],
                [
                    [
                        lit(n),
                        f"link(<cam-{label_name(s.camera.id)}>, {_nb(s.camera.id)})",
                        _status(s.status),
                        f"context counter(page).at(<cam-{label_name(s.camera.id)}>).first()",
                    ]
                    for n, s in numbered
                ],
                columns=["8%", "1fr", "20%", "10%"],
                numeric=frozenset({0, 3}),
            )
        )
    out.append(_h(3, "Changes since the last review"))
    if not r.last_review:
        out.append(_para(lit("No earlier review is recorded in the plan.")))
    elif not r.changes:
        out.append(
            _para(lit(f"None: every camera is as it was at the last review ({r.last_review})."))
        )
    else:
        out.append(_para(lit(f"Since the review of {r.last_review}."), small=True))
        out.append(
            _table(
                ["Camera", "Change"],
                [[_nb(c.camera_id), lit(c.describe())] for c in r.changes],
                columns=["30%", "1fr"],
            )
        )
    return "".join(out)


def label_name(camera_id: str) -> str:
    """A Typst label name for a camera id (labels allow letters, digits, ``-_.:``)."""
    # "_" escapes too, so two different ids never share a label
    return "".join(
        ch if (ch.isascii() and ch.isalnum()) or ch in "-.:" else f"_{ord(ch):x}_"
        for ch in camera_id
    )


def camera_index(r: Report) -> str:
    """Every camera as a link to its section, with its status in words."""
    rows = [
        [
            f"link(<cam-{label_name(s.camera.id)}>, {_nb(s.camera.id)})",
            _status(s.status),
            lit(decision_short(s)),
            f"context counter(page).at(<cam-{label_name(s.camera.id)}>).first()",
        ]
        for s in r.sections
    ]
    return _h(3, "Camera index") + _table(
        ["Camera", "Re-check", "Decision", "Page"],
        rows,
        columns=["1fr", "18%", "30%", "10%"],
        numeric=frozenset({3}),
    )


def camera_section(s: CameraSection, images: Mapping[str, str]) -> str:
    """One camera: heading (a bookmark, a link target), map beside facts, findings."""
    cam = s.camera
    title = f"Camera {cam.id}" + (f" · {cam.label}" if cam.label and cam.label != cam.id else "")
    heading = "unknown" if cam.heading_deg is None else f"{cam.heading_deg:.0f}°"
    facts: list[tuple[str, str]] = [("Re-check", _status(s.status))]
    if s.claimed_status and s.claimed_status != s.status:
        facts.append(
            (
                "Plan claims",
                _status_text("block", f"{s.claimed_status} (differs from the re-check)"),
            )
        )
    dec_parts = [
        _status_text("block", s.decision_text)
        if s.decision is not None and s.decision.stale
        else (f"strong({lit(s.decision_text)})" if s.decision is not None else lit(s.decision_text))
    ]
    if s.decision is not None:
        rec = s.decision.record
        dec_parts += ["linebreak()", f"small({lit(f'{rec.reviewer}, {rec.when}')})"]
        if rec.comment:
            dec_parts += ["linebreak()", lit(f"“{rec.comment}”")]
    facts.append(("Decision", _cat(*dec_parts)))
    facts.append(("Camera", lit(f"{cam.status}" + (f", {cam.model}" if cam.model else ""))))
    facts.append(
        (
            "Position",
            lit(
                f"{cam.lat:.6f}, {cam.lon:.6f}"
                + (f" · District {s.district}" if s.district else "")
            ),
        )
    )
    facts.append(
        ("Aim", lit(f"heading {heading}, field of view {cam.fov_deg:g}°, range {cam.range_m:g} m"))
    )
    if s.change is not None:
        facts.append(("Since last review", lit(s.change.describe())))
    if s.signs:
        facts.append(
            (
                "Nearest intersections",
                _cat(*_join([lit(n.describe()) for n in s.signs], "linebreak()")),
            )
        )
    fig = _figure(images.get(f"camera:{cam.id}"), size=INSET_PT, alt=camera_map_alt(s))
    out = [
        _h(3, title, f"cam-{label_name(cam.id)}"),
        f"#block(breakable: false, grid(columns: ({INSET_PT[0]}pt, 1fr), gutter: 8pt, "
        f"{fig}, [\n{_kv(facts)}]))\n\n",
    ]
    if s.findings:
        out.append(_para(f"strong({lit('Findings')})"))
        items = ", ".join(
            _cat(
                _status_text(f.severity, STATUS_WORDS.get(f.severity, f.severity) + ":"),
                '" "',
                lit(f.sentence),
            )
            for f in s.findings
        )
        out.append(f"#list({items})\n\n")
    else:
        out.append(_para(lit("No findings: the visible cone stays clear of every capture zone.")))
    if s.audit:
        out.append(_para(f"strong({lit('Audit entries')})", small=True))
        out.append(_audit_table(s.audit, with_camera=False))
    return "".join(out)


def _join(parts: list[str], sep: str) -> list[str]:
    out: list[str] = []
    for i, p in enumerate(parts):
        if i:
            out.append(sep)
        out.append(p)
    return out


def _audit_table(entries: Sequence[AuditEntry], *, with_camera: bool) -> str:
    head = ["When", "Who", "What"] + (["Camera"] if with_camera else []) + ["Why"]
    rows = []
    for a in entries:
        row = [
            f"small({lit(a.when)})",
            lit(a.who),
            lit(a.action + (f": {a.detail}" if a.detail else "")),
        ]
        if with_camera:
            row.append(_nb(a.camera_id or ""))
        row.append(lit(a.justification))
        rows.append(row)
    cols = ["17%", "14%", "1fr", "12%", "27%"] if with_camera else ["20%", "15%", "1fr", "30%"]
    return _table(head, rows, columns=cols)


def appendices(r: Report) -> str:
    """Audit trail, signage list, cameras by district and the policy text."""
    out = [_h(2, "Appendix A. Audit trail", "audit", new_page=True)]
    if r.audit:
        out.append(_audit_table(r.audit, with_camera=True))
    else:
        out.append(_para(lit("The plan records no audit entries.")))
    out.append(_h(2, "Appendix B. Signage list", "signage", new_page=True))
    out.append(
        _para(
            lit(
                "San José ALPR Data Usage Protocol §6: notice signs at designated "
                "intersections near each camera. Listed: the two nearest street "
                "intersections (streets of different names meeting at a node) of the data "
                "pack's street network, within 500 m."
            ),
            small=True,
        )
    )
    rows = [
        [_nb(s.camera.id), _cat(*_join([lit(n.describe()) for n in s.signs], "linebreak()"))]
        for s in r.sections
        if s.signs
    ]
    if rows:
        out.append(_table(["Camera", "Nearest intersections"], rows, columns=["25%", "1fr"]))
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
        out.append(
            _table(
                ["Street", "Where (lat, lon)"],
                [
                    [lit(c.name), lit(f"{lat:.6f}, {lon:.6f}")]
                    for c, (lon, lat) in zip(r.crossings, r.crossings_lonlat, strict=True)
                ],
                columns=["50%", "1fr"],
            )
        )
    if r.districts:
        out.append(_h(2, "Appendix C. Cameras by council district", "districts", new_page=True))
        keys = (
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
        rows = []
        for name, c in r.districts:
            label = f"District {name}" if name.isdigit() else name
            rows.append([lit(label)] + [lit(c[k]) for k in keys])
        outside = len(r.sections) - sum(c["cameras"] for _, c in r.districts)
        if outside:
            rows.append([lit("outside every district"), lit(outside)] + [""] * 8)
        total = [sum(c[k] for _, c in r.districts) for k in keys]
        rows.append([f"strong({lit('All districts')})"] + [f"strong({lit(v)})" for v in total])
        heads = [
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
        ]
        out.append(
            _table(heads, rows, columns=["1fr"] + ["auto"] * 9, numeric=frozenset(range(1, 10)))
        )
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
    body.append(camera_index(report))
    for s in report.sections:
        body.append(camera_section(s, images))
    body.append(appendices(report))
    return head + "\n" + "".join(body)


__all__ = ["INSET_PT", "OVERVIEW_PT", "label_name", "lit", "report_typst"]
