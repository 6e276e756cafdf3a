"""Every table of the review report, built once from the report model for both writers.

Each function returns a :class:`~planner.report.content.Table` (or
:class:`~planner.report.content.Facts`) that :mod:`planner.report.html` and
:mod:`planner.report.typst_source` render the same way: the numbers, words and
columns are decided here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from planner.report.content import (
    CameraLink,
    Cell,
    Column,
    Facts,
    Lines,
    PageOf,
    Span,
    Status,
    Table,
    styled,
    text,
)
from planner.report.describe import callouts, decision_short
from planner.report.model import CameraSection, Report, decision_words
from planner.report.wording import category_words

if TYPE_CHECKING:
    from planner.core.basis import DataBasis
    from planner.core.model import AuditEntry

NOT_STATED = "not stated"
#: The district table's count columns: the key in the model and the header.
DISTRICT_COUNTS = (
    ("cameras", "Cameras"),
    ("block", "Blocked"),
    ("warn", "Warning"),
    ("clear", "Clear"),
    ("approve", "Approved"),
    ("reject", "Rejected"),
    ("needs_changes", "Needs changes"),
    ("stale", "Stale"),
    ("undecided", "Undecided"),
)


def _row(*cells: Cell) -> tuple[Cell, ...]:
    return cells


def plan_facts(r: Report) -> Facts:
    """Who made the plan, who reviews it, and the plan's hashes."""
    return Facts(
        (
            ("Department", text(r.department or NOT_STATED)),
            ("Author", text(r.author or NOT_STATED)),
            ("Created", text(r.created or NOT_STATED)),
            ("Last modified", text(r.modified or NOT_STATED)),
            ("Reviewer", text(r.reviewer)),
            ("Last recorded review", text(r.last_review or "none before this report")),
            ("Report generated", text(r.generated_on)),
            ("Plan file", styled("mono", r.plan_path)),
            ("Plan hash (canonical)", styled("mono", r.plan_sha256)),
            ("File sha256 (raw bytes)", styled("mono", r.file_sha256)),
        )
    )


def trust_facts(r: Report) -> Facts:
    """Where the trusted reviewers come from, and the decision on the whole plan."""
    whole: Cell = text("none recorded")
    state = r.plan_decision
    if state is not None:
        rec = state.record
        whole = (
            decision_words(state),
            " ",
            Span("small", ("(", rec.reviewer, ", ", rec.when, ")"), "web"),
        )
        if state.stale:
            whole = (Span("stale", whole),)
    return Facts(
        (
            ("Trusted reviewers", text(r.trust or NOT_STATED)),
            ("Decision on the whole plan", whole),
        )
    )


def counts_table(r: Report) -> Table:
    """Cameras by re-check status beside cameras by decision."""
    c, d = r.status_counts, r.decision_counts
    return Table(
        (
            Column("Re-check status", "30%"),
            Column("Cameras", "20%", numeric=True),
            Column("Decision", "30%"),
            Column("Cameras", "20%", numeric=True),
        ),
        (
            _row((Status("block"),), text(c["block"]), text("Approved"), text(d["approve"])),
            _row((Status("warn"),), text(c["warn"]), text("Rejected"), text(d["reject"])),
            _row(
                (Status("clear"),),
                text(c["clear"]),
                text("Needs changes"),
                text(d["needs_changes"]),
            ),
            _row((), (), styled("stale", "Stale (not counted)", only="web"), text(d["stale"])),
            _row(
                styled("strong", "Total"),
                styled("strong", len(r.sections)),
                text("Undecided"),
                text(d["undecided"]),
            ),
        ),
    )


def policy_facts(r: Report) -> Facts:
    """The policy the re-check applied: its name, version, hash and capture zone."""
    p = r.policy
    return Facts(
        (
            ("Policy", text(p.title or p.id)),
            ("Id and version", (p.id, ", version ", p.version)),
            ("sha256", styled("mono", p.sha256 or "built in")),
            (
                "Capture zone",
                text(
                    f"{p.entrance_radius_m:g} m around each vehicle entrance; warning "
                    f"within {p.warn_margin_m:g} m more"
                ),
            ),
        )
    )


def citations_table(r: Report) -> Table:
    """Each protected category with its action and the law it rests on."""
    p = r.policy
    rows = [
        _row(
            text(rule.label or key),
            text(rule.action),
            styled("small", rule.source or "no citation given", only="web"),
        )
        for key, rule in p.categories.items()
    ]
    if p.prohibited_capabilities:
        caps = ", ".join(x.replace("_", " ") for x in p.prohibited_capabilities)
        rows.append(
            _row(
                text(f"Prohibited capabilities: {caps}"),
                text("block"),
                styled("small", p.prohibited_capabilities_source or "", only="web"),
            )
        )
    return Table(
        (
            Column("Protected category", "30%"),
            Column("Action", "10%"),
            Column("Citation", "60%", "1fr"),
        ),
        tuple(rows),
    )


def layers_table(r: Report) -> Table:
    """The data layers the re-check read, with their sha256."""
    return Table(
        (
            Column("Layer", "12%"),
            Column("Source", "33%", "1fr"),
            Column("Features", "10%", numeric=True),
            Column("sha256", "45%", "auto"),
        ),
        tuple(
            _row(
                text(x.kind),
                styled("small", x.path),
                text(f"{x.features:,}"),
                styled("mono", x.sha256),
            )
            for x in r.layers
        ),
    )


def source_label(key: str) -> str:
    """A site source's name as a reader knows it."""
    return "OpenStreetMap" if key == "osm" else key


def categories_table(b: DataBasis) -> Table:
    """Sites by protected category: how many, from where, and how they are protected."""
    rows = [
        _row(
            text(category_words(c.category)),
            text(c.sites),
            text(", ".join(f"{n} {source_label(k)}" for k, n in c.by_source.items())),
            text(c.with_entrances),
            text(c.footprint),
            text(c.unverified),
        )
        for c in b.categories
    ]
    rows.append(
        _row(
            styled("strong", "All"),
            styled("strong", b.sites),
            (),
            text(b.with_entrances),
            text(b.footprint),
            text(b.unverified),
        )
    )
    return Table(
        (
            Column("Category", "22%"),
            Column("Sites", "8%", numeric=True),
            Column("From", "34%", "1fr"),
            Column("With entrances", "12%", numeric=True),
            Column("Whole footprint", "12%", numeric=True),
            Column("Unverified", "12%", numeric=True),
        ),
        tuple(rows),
    )


def sources_table(b: DataBasis) -> Table:
    """Each site source: its date, its sites, its area and the cameras outside it."""
    return Table(
        (
            Column("Source", "34%", "1fr"),
            Column("Date", "30%"),
            Column("Sites", "8%", numeric=True),
            Column("Area (km²)", "12%", numeric=True),
            Column("Cameras outside its area", "16%", numeric=True),
        ),
        tuple(
            _row(
                text(", ".join(s.names) or source_label(s.key)),
                text("; ".join(s.dates) or "not recorded"),
                text(s.sites),
                text("—" if s.area_km2 is None else f"{s.area_km2:.1f}"),
                text("—" if s.cameras_outside is None else f"{s.cameras_outside} of {b.cameras}"),
            )
            for s in b.sources
        ),
    )


def callout_key_table(r: Report) -> Table | None:
    """The key to the overview's numbered cameras (None when no camera is numbered)."""
    numbered = callouts(r)
    if not numbered:
        return None
    return Table(
        (
            Column("No.", "10%", "8%", numeric=True),
            Column("Camera", "60%", "1fr"),
            Column("Re-check", "30%", "20%"),
            Column("Page", track="10%", numeric=True, only="print"),
        ),
        tuple(
            _row(
                text(n),
                (CameraLink(s.camera.id),),
                (Status(s.status),),
                (PageOf(s.camera.id),),
            )
            for n, s in numbered
        ),
    )


def changes_table(r: Report) -> Table:
    """What changed in each camera since the last review."""
    return Table(
        (Column("Camera", "30%"), Column("Change", "70%", "1fr")),
        tuple(_row(styled("id", c.camera_id, only="print"), text(c.describe())) for c in r.changes),
    )


def camera_index_table(r: Report) -> Table:
    """Every camera as a link to its section, with its status and decision in words."""
    return Table(
        (
            Column("Camera", "40%", "1fr"),
            Column("Re-check", "25%", "18%"),
            Column("Decision", "35%", "30%"),
            Column("Page", track="10%", numeric=True, only="print"),
        ),
        tuple(
            _row(
                (CameraLink(s.camera.id),),
                (Status(s.status),),
                text(decision_short(s)),
                (PageOf(s.camera.id),),
            )
            for s in r.sections
        ),
    )


def _decision_cell(s: CameraSection) -> Cell:
    """The decision in words, who made it and when, and the reviewer's comment."""
    if s.decision is None:
        return (Lines((text(s.decision_text),)),)
    rec = s.decision.record
    words = styled("stale" if s.decision.stale else "strong", s.decision_text)
    # both records say who signed (principal and name) and with which key: the PDF is
    # the copy that is filed, so it must let a reader match the key to the allowed signers
    name = f" ({rec.reviewer_name})" if rec.reviewer_name else ""
    signed: Cell = (rec.reviewer + name, ", ", rec.when)
    lines: list[Cell] = [words, (Span("small", signed),)]
    if rec.key:
        lines.append((Span("mono", (rec.key,)),))
    if rec.comment:
        lines.append(("“", rec.comment, "”"))
    return (Lines(tuple(lines)),)


def _signs_cell(s: CameraSection) -> Cell:
    return (Lines(tuple(text(n.describe()) for n in s.signs)),)


def camera_facts(s: CameraSection) -> Facts:
    """One camera's facts beside its map: status, decision, position, aim, signs."""
    cam = s.camera
    heading = "unknown" if cam.heading_deg is None else f"{cam.heading_deg:.0f}°"
    rows: list[tuple[str, Cell]] = [("Re-check", (Status(s.status),))]
    if s.claimed_status and s.claimed_status != s.status:
        claim = (s.claimed_status, " (differs from the re-check)")
        rows.append(("Plan claims", (Span("stale", claim),)))
    rows += [
        ("Decision", _decision_cell(s)),
        ("Camera", (str(cam.status), *((", ", cam.model) if cam.model else ()))),
        (
            "Position",
            (
                f"{cam.lat:.6f}, {cam.lon:.6f}",
                *((" · District ", s.district) if s.district else ()),
            ),
        ),
        (
            "Aim",
            text(f"heading {heading}, field of view {cam.fov_deg:g}°, range {cam.range_m:g} m"),
        ),
    ]
    if s.change is not None:
        rows.append(("Since last review", text(s.change.describe())))
    if s.signs:
        rows.append(("Nearest intersections", _signs_cell(s)))
    return Facts(tuple(rows))


def audit_table(entries: Sequence[AuditEntry], *, with_camera: bool) -> Table:
    """Audit entries: when, who, what (and on which camera), and why."""
    columns = (
        Column("When", "17%" if with_camera else "20%"),
        Column("Who", "14%" if with_camera else "15%"),
        Column("What", "30%" if with_camera else "35%", "1fr"),
        *((Column("Camera", "12%"),) if with_camera else ()),
        Column("Why", "27%" if with_camera else "30%"),
    )
    rows = []
    for a in entries:
        camera = (styled("id", a.camera_id or "", only="print"),) if with_camera else ()
        rows.append(
            _row(
                styled("small", a.when),
                text(a.who),
                text(a.action + (f": {a.detail}" if a.detail else "")),
                *camera,
                text(a.justification),
            )
        )
    return Table(columns, tuple(rows))


def signage_table(r: Report) -> Table | None:
    """The nearest intersections of each camera that has any (None when none has)."""
    rows = tuple(_row(styled("id", s.camera.id), _signs_cell(s)) for s in r.sections if s.signs)
    if not rows:
        return None
    return Table((Column("Camera", "25%"), Column("Nearest intersections", "75%", "1fr")), rows)


def crossings_table(r: Report) -> Table:
    """Where named streets cross the city limits (entry signs)."""
    return Table(
        (Column("Street", "50%"), Column("Where (lat, lon)", "50%", "1fr")),
        tuple(
            _row(text(c.name), text(f"{lat:.6f}, {lon:.6f}"))
            for c, (lon, lat) in zip(r.crossings, r.crossings_lonlat, strict=True)
        ),
    )


def districts_table(r: Report) -> Table:
    """Cameras by council district: counts by status and by decision, and the totals."""
    keys = [k for k, _ in DISTRICT_COUNTS]
    rows = [
        _row(
            text(f"District {name}" if name.isdigit() else name),
            *(text(c[k]) for k in keys),
        )
        for name, c in r.districts
    ]
    outside = len(r.sections) - sum(c["cameras"] for _, c in r.districts)
    if outside:
        rows.append(_row(text("outside every district"), text(outside), *[()] * 8))
    total = [sum(c[k] for _, c in r.districts) for k in keys]
    rows.append(_row(styled("strong", "All districts"), *(styled("strong", v) for v in total)))
    return Table(
        (
            Column("District", track="1fr"),
            *(Column(head, numeric=True) for _, head in DISTRICT_COUNTS),
        ),
        tuple(rows),
    )


__all__ = [
    "DISTRICT_COUNTS",
    "audit_table",
    "callout_key_table",
    "camera_facts",
    "camera_index_table",
    "categories_table",
    "changes_table",
    "citations_table",
    "counts_table",
    "crossings_table",
    "districts_table",
    "layers_table",
    "plan_facts",
    "policy_facts",
    "signage_table",
    "source_label",
    "sources_table",
    "trust_facts",
]
