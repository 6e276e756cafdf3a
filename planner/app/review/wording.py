"""What the review window says in words: a camera's findings, the totals of the
decisions, the progress line and the plan's claims beside the re-check."""

from __future__ import annotations

from typing import Any

from planner.core.review import DECISION_LABELS, DecisionState

#: What the claims list says when the plan's stored provenance matches the re-check.
NO_DIFFERENCES = "No differences: the plan's stored provenance matches the re-check."


def findings_text(rc: Any, cid: str) -> str:
    """The re-check ``rc`` of camera ``cid`` in plain words (the findings panel)."""
    from planner.app.siting import wording

    result = next((r for r in rc.result.results if r.camera_id == cid), None)
    cam = next((c for c in rc.plan.cameras if c.id == cid), None)
    name = f"{cid} ({cam.label})" if cam is not None and cam.label else cid
    if result is None:
        return f"{name}: not re-checked."
    head = {
        "block": "BLOCKED",
        "warn": "warning",
        "clear": "clear",
    }.get(str(result.status), str(result.status))
    if not result.findings:
        return f"{name}: {head}. Nothing it sees is near a protected site."
    ctx = wording.Context(sites={s.id: s for s in rc.checker.sites}, projector=rc.checker.projector)
    lines = [f"{name}: {head}."]
    lines += [f"\u2022 {wording.finding_sentence(f, cam, ctx)}" for f in result.findings]
    return "\n".join(lines)


def totals_text(counts: dict[str, int], plan_state: DecisionState | None) -> str:
    """The current decisions by kind (SPEC 8 totals), and the whole plan's."""
    c = counts
    stale = f", {c['stale']} stale (claims, not counted)" if c["stale"] else ""
    unsaved = f"; {c['unsaved']} unsaved" if c["unsaved"] else ""
    whole = ""
    if plan_state is not None:
        rec = plan_state.record
        whole = (
            f" Whole plan: {DECISION_LABELS[rec.decision].lower()}"
            + (" (stale claim, not counted)" if plan_state.stale else "")
            + "."
        )
    return (
        f"Current decisions: {c['approve']} approved, {c['reject']} rejected, "
        f"{c['needs_changes']} needing changes{stale}, {c['undecided']} undecided"
        f"{unsaved}.{whole}"
    )


def count_text(rc: Any, *, cameras: int, undecided: int, pending: int) -> str:
    """How many cameras were re-checked, with what, and how many are left to decide."""
    return (
        f"{cameras} cameras re-checked with {rc.policy.id} {rc.policy.version}; "
        f"{undecided} undecided or stale"
        + (f", {pending} decisions not saved yet." if pending else ".")
    )


def claims_lines(
    rc: Any,
    *,
    claimed: dict[str, str],
    states: dict[str, DecisionState],
    plan_state: DecisionState | None,
) -> list[str]:
    """Where the plan's claims differ from the re-check: its provenance, the statuses it
    stores, and the decisions that are stale."""
    from planner.report.model import LayerRow, provenance_claims

    checked_with = rc.plan.meta.extra.get("checked_with")
    rows = [LayerRow(x.kind, x.path, x.sha256, x.features) for x in rc.inputs.layers]
    claims = provenance_claims(checked_with, policy=rc.policy, layers=rows)
    claims += [
        f"Camera {cid}: the plan says {c}, the re-check says {rc.status()[cid]}."
        for cid, c in claimed.items()
        if cid in rc.status() and c != rc.status()[cid]
    ]
    claims += [
        f"Decision on {cid} is STALE, a claim not counted: {st.reason}."
        for cid, st in states.items()
        if st.stale
    ]
    if plan_state is not None and plan_state.stale:
        claims.append(
            f"Decision on the whole plan is STALE, a claim not counted: {plan_state.reason}."
        )
    return claims
