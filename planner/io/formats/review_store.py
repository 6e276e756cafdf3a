"""The plan's ``siting_plan.review`` member and the SPEC 8 hashes of a loaded plan.

The review log lives in :attr:`PlanMeta.extra` under ``"review"`` exactly as the file
holds it (so unknown keys round-trip); these helpers read it into
:class:`planner.core.review.ReviewLog` and write it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from planner.core.model import AuditEntry, Plan
from planner.core.review import (
    DECISION_LABELS,
    CameraSnapshot,
    DecisionRecord,
    ReviewLog,
    ReviewSession,
)
from planner.core.review_canonical import camera_hash, plan_hash
from planner.core.review_reading import review_from_json
from planner.io.formats.plan import camera_to_feature

REVIEW_KEY = "review"


def plan_features(plan: Plan) -> list[dict[str, Any]]:
    """Every camera as the GeoJSON feature a plan file stores."""
    return [camera_to_feature(c) for c in plan.cameras]


def camera_hashes(plan: Plan) -> dict[str, str]:
    """Camera id to SPEC 8 camera hash."""
    return {f["id"]: camera_hash(f) for f in plan_features(plan)}


def canonical_plan_hash(plan: Plan) -> str:
    """SPEC 8 plan hash of ``plan`` (cameras in id order plus the plan's name)."""
    return plan_hash(plan_features(plan), name=plan.meta.name)


def snapshots(plan: Plan) -> tuple[CameraSnapshot, ...]:
    return tuple(CameraSnapshot.of(f) for f in plan_features(plan))


def review_log(plan: Plan, *, source: str = "plan") -> ReviewLog:
    """The plan's review log (empty when it has none)."""
    return review_from_json(plan.meta.extra.get(REVIEW_KEY), source=source)


def record_decisions(
    plan: Plan,
    records: Sequence[DecisionRecord],
    *,
    reviewer: str,
    when: str,
) -> ReviewLog:
    """Append ``records`` and a review session to ``plan`` (in memory) and audit them.

    Returns the new log. Older decisions are kept (SPEC 8); a session snapshot of
    every camera lets the next review say what changed since this one.
    """
    log = review_log(plan)
    session = ReviewSession(
        when=when,
        reviewer=reviewer,
        plan_sha256=canonical_plan_hash(plan),
        cameras=snapshots(plan),
    )
    log.decisions.extend(records)
    log.sessions.append(session)
    raw = plan.meta.extra.get(REVIEW_KEY)
    merged: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    # append to the lists as the file holds them: older records keep every member,
    # including ones this version does not know
    merged["decisions"] = [*(merged.get("decisions") or []), *(r.to_json() for r in records)]
    merged["sessions"] = [*(merged.get("sessions") or []), session.to_json()]
    plan.meta.extra[REVIEW_KEY] = merged
    for rec in records:
        detail = f"{DECISION_LABELS[rec.decision]} (re-check status {rec.status or 'unknown'})"
        plan.meta.audit.append(
            AuditEntry(
                when=rec.when,
                who=rec.reviewer,
                action="review",
                camera_id=rec.camera_id,
                detail=detail,
                justification=rec.comment,
            )
        )
    return log
