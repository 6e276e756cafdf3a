"""The review report as plain data, built from a re-check (no Qt, no file access).

The PDF and HTML writers only lay this out; every number and sentence is decided
here, so both formats say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from planner.core.basis import DataBasis
from planner.core.checker import Checker
from planner.core.model import (
    AuditEntry,
    Camera,
    CameraResult,
    CameraStatus,
    Plan,
    PlanResult,
    Policy,
    Site,
)
from planner.core.provenance import ClaimedLayer, layer_differences
from planner.core.review import (
    DECISION_LABELS,
    Change,
    Decision,
    DecisionState,
    Judge,
    ReviewLog,
    ReviewSession,
    camera_hash,
    changes_since,
    decision_counts,
    decision_states,
    plan_decision_state,
    plan_hash,
    plan_status,
)
from planner.core.review import CameraSnapshot as Snapshot
from planner.core.signage import (
    Crossing,
    IntersectionIndex,
    NearIntersection,
    boundary_crossings,
    intersections,
)
from planner.report.wording import category_words, finding_sentence

if TYPE_CHECKING:
    from planner.core.crs import Projector
    from planner.core.sshsig import AllowedSigners

STATUS_WORDS = {"block": "Blocked", "warn": "Warning", "clear": "Clear"}
#: More layers claimed by a plan than this are not compared (a real check uses a handful).
MAX_CLAIMED_LAYERS = 1000
_LAYER_KEYS = ("kind", "path", "sha256")


@dataclass(frozen=True, slots=True)
class Boundary:
    """A boundary polygon in lon/lat: city limits or a council district."""

    name: str
    kind: str  # "city_limits" or "district"
    geometry: BaseGeometry


@dataclass(frozen=True, slots=True)
class LayerRow:
    kind: str
    path: str
    sha256: str
    features: int


@dataclass(frozen=True, slots=True)
class FindingRow:
    severity: str
    sentence: str
    site_name: str


@dataclass(slots=True)
class CameraSection:
    camera: Camera
    status: str
    claimed_status: str | None
    findings: list[FindingRow]
    decision: DecisionState | None
    audit: list[AuditEntry]
    change: Change | None
    signs: list[NearIntersection]
    district: str

    @property
    def decision_text(self) -> str:
        if self.decision is None:
            return "Undecided"
        return decision_words(self.decision)


def decision_words(state: DecisionState) -> str:
    """``Approved (approve), current, signature verified`` or the claim with its reasons."""
    rec = state.record
    label = f"{DECISION_LABELS[rec.decision]} ({rec.decision})"
    sig = "signature verified" if state.verified else "signature NOT verified"
    note = "; note: policy or data differ from the decision's" if state.notes else ""
    if state.stale:
        return f"Claimed {label}, STALE, not counted ({sig}): {state.reason}{note}"
    return f"{label}, current, {sig}{note}"


@dataclass(slots=True)
class Report:
    """Everything the review report says."""

    title: str
    plan_name: str
    plan_path: str
    department: str
    author: str
    created: str
    modified: str
    generated_on: str
    reviewer: str
    plan_sha256: str  # canonical (SPEC 8)
    file_sha256: str  # the file's bytes
    last_review_hash: str | None  # plan hash at the last recorded review
    policy: Policy
    policy_text: str
    layers: list[LayerRow]
    claims: list[str]  # differences between what the file claims and the re-check
    sections: list[CameraSection]
    status_counts: dict[str, int]
    decision_counts: dict[str, int]
    changes: list[Change]
    last_review: str  # "2026-... by NAME" or ""
    audit: list[AuditEntry]
    crossings: list[Crossing]
    crossings_lonlat: list[tuple[float, float]]
    has_city_limits: bool
    districts: list[tuple[str, dict[str, int]]]  # district name, counts
    osm: bool
    warnings: list[str] = field(default_factory=list)
    trust: str = ""  # where the allowed signers came from (IT or the user)
    plan_decision: DecisionState | None = None
    #: what the counts rest on: sites by category and source, dates, coverage
    basis: DataBasis | None = None

    @property
    def decision_summary(self) -> str:
        c = self.decision_counts
        needs = "needs" if c["needs_changes"] == 1 else "need"
        parts = [
            f"{c['approve']} approved",
            f"{c['reject']} rejected",
            f"{c['needs_changes']} {needs} changes",
        ]
        if c["stale"]:
            parts.append(f"{c['stale']} stale")
        parts.append(f"{c['undecided']} undecided")
        return ", ".join(parts)


def _claimed_statuses(checked_with: Any) -> dict[str, str]:
    """Per-camera statuses a plan file claims (``checked_with.cameras``), if any."""
    if not isinstance(checked_with, dict):
        return {}
    raw = checked_with.get("cameras") or checked_with.get("statuses")
    out: dict[str, str] = {}
    if isinstance(raw, dict):
        out = {str(k): str(v) for k, v in raw.items() if isinstance(v, str)}
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                status = item.get("status")
                if isinstance(status, str):
                    out[item["id"]] = status
    return out


def provenance_claims(
    checked_with: Any, *, policy: Policy, layers: Sequence[LayerRow]
) -> list[str]:
    """Every difference between the file's ``checked_with`` and the reviewer's inputs."""
    if not isinstance(checked_with, dict):
        return [
            "The plan does not record the policy and data it was last checked with: "
            "only the re-check below counts."
        ]
    out = []
    pol = checked_with.get("policy")
    if isinstance(pol, dict):
        if pol.get("sha256") and pol.get("sha256") != policy.sha256:
            out.append(
                f"Policy differs: the plan was checked with {pol.get('id', '?')} version "
                f"{pol.get('version', '?')} (sha256 {str(pol.get('sha256'))[:12]}…); the "
                f"re-check used {policy.id} version {policy.version} "
                f"(sha256 {policy.sha256[:12]}…)."
            )
    else:
        out.append("The plan's record of its last check names no policy.")
    claimed = checked_with.get("layers")
    if isinstance(claimed, list):
        # exactly what differs per layer: used with another sha256, not used, or used
        # but not named by the plan (the same pairing as check's provenance)
        named = [
            ClaimedLayer(str(x["kind"]), str(x["path"]), str(x["sha256"]))
            for x in claimed[:MAX_CLAIMED_LAYERS]
            if isinstance(x, dict) and all(isinstance(x.get(k), str) for k in _LAYER_KEYS)
        ]
        for diff in layer_differences(named, layers, run="the re-check"):
            out.append(f"Layer differs: {diff.message}.")
    if not _claimed_statuses(checked_with):
        out.append(
            "The plan does not record the per-camera statuses its author saw at the last "
            "check, so they cannot be compared with the re-check."
        )
    return out


def build_report(
    *,
    plan: Plan,
    plan_path: str,
    file_sha256: str,
    features: Sequence[Mapping[str, Any]],
    review: ReviewLog,
    policy: Policy,
    policy_text: str,
    layers: Sequence[LayerRow],
    checker: Checker,
    result: PlanResult,
    streets: tuple[np.ndarray, Sequence[object]] | None,
    boundaries: Sequence[Boundary],
    generated_on: str,
    reviewer: str | None = None,
    osm: bool = False,
    warnings: Sequence[str] = (),
    basis: DataBasis | None = None,
    progress: Callable[[str, float], None] | None = None,
    signers: AllowedSigners | None = None,
    trust: str = "",
) -> Report:
    """Assemble the report. ``streets`` is (projected lines, names) for the signage.

    Decisions are judged against this re-check (SPEC 8): ``signers`` are the allowed
    signers in force (None trusts nobody) and ``trust`` says where they came from.
    """
    judged = _judge(plan, features, review, policy, layers, result, signers)
    index, crossings, city = _signage(streets, boundaries, checker.projector)
    districts = [b for b in boundaries if b.kind == "district"]
    sections = _camera_sections(plan, result, checker, policy, judged, index, districts, progress)
    claims = provenance_claims(plan.meta.extra.get("checked_with"), policy=policy, layers=layers)
    claims += _camera_claims(sections) + _review_claims(judged)
    return Report(
        **_plan_facts(plan, plan_path=plan_path, file_sha256=file_sha256),
        **_review_facts(judged, review, reviewer),
        **_counts(sections, judged, districts),
        crossings=crossings,
        crossings_lonlat=[checker.projector.lonlat(c.x, c.y) for c in crossings],
        has_city_limits=bool(city),
        sections=sections,
        claims=claims,
        generated_on=generated_on,
        policy=policy,
        policy_text=policy_text,
        layers=list(layers),
        osm=osm,
        warnings=list(warnings),
        trust=trust,
        basis=basis,
    )


@dataclass(frozen=True, slots=True)
class _Judged:
    """The decisions judged against this re-check, and what changed since the last review."""

    hashes: dict[str, str]  # camera id → its hash now
    states: dict[str, DecisionState]
    plan_decision: DecisionState | None
    plan_sha256: str  # canonical, now
    last: ReviewSession | None
    changes: list[Change]


def _judge(
    plan: Plan,
    features: Sequence[Mapping[str, Any]],
    review: ReviewLog,
    policy: Policy,
    layers: Sequence[LayerRow],
    result: PlanResult,
    signers: AllowedSigners | None,
) -> _Judged:
    """Each decision and the plan's judged against the re-check; changes since last review."""
    hashes = {f["id"]: camera_hash(f) for f in features}
    statuses = {r.camera_id: str(r.status) for r in result.results}
    judge = Judge(
        policy={"id": policy.id, "version": policy.version, "sha256": policy.sha256},
        layers=tuple({"kind": x.kind, "sha256": x.sha256} for x in layers),
    )
    states = decision_states(review, hashes, signers=signers, statuses=statuses, judge=judge)
    this_hash = plan_hash(features, name=plan.meta.name)
    plan_decision = plan_decision_state(
        review, this_hash, signers=signers, status=plan_status(statuses.values()), judge=judge
    )
    last = review.sessions[-1] if review.sessions else None
    current = [Snapshot.of(f) for f in features]
    changes = changes_since(last.cameras, current) if last is not None else []
    return _Judged(hashes, states, plan_decision, this_hash, last, changes)


def _camera_sections(
    plan: Plan,
    result: PlanResult,
    checker: Checker,
    policy: Policy,
    judged: _Judged,
    index: IntersectionIndex | None,
    districts: Sequence[Boundary],
    progress: Callable[[str, float], None] | None,
) -> list[CameraSection]:
    """One section per camera, in plan order: findings, decision, audit, change, signs."""
    claimed = _claimed_statuses(plan.meta.extra.get("checked_with"))
    results = {r.camera_id: r for r in result.results}
    site_by_id = {s.id: s for s in checker.sites}
    proj = checker.projector
    change_by_id = {c.camera_id: c for c in judged.changes}
    district_of = _district_of(districts, plan.cameras)
    audit_by_cam: dict[str, list[AuditEntry]] = {}
    for a in plan.meta.audit:
        if a.camera_id:
            audit_by_cam.setdefault(a.camera_id, []).append(a)
    sections = []
    n = max(1, len(plan.cameras))
    for i, cam in enumerate(plan.cameras):
        r = results[cam.id]
        signs = index.nearest(*proj.point(cam.lon, cam.lat), k=2) if index is not None else []
        sections.append(
            CameraSection(
                camera=cam,
                status=str(r.status),
                claimed_status=claimed.get(cam.id),
                findings=_finding_rows(r, cam, site_by_id, proj, policy),
                decision=judged.states.get(cam.id),
                audit=audit_by_cam.get(cam.id, []),
                change=change_by_id.get(cam.id),
                signs=signs,
                district=district_of.get(cam.id, ""),
            )
        )
        if progress is not None and i % 25 == 0:
            progress("Writing findings in plain words", 0.4 + 0.1 * i / n)
    return sections


def _review_claims(judged: _Judged) -> list[str]:
    """The plan changed since its last review; decisions that are claims, not counted."""
    claims = []
    last, this_hash = judged.last, judged.plan_sha256
    if last is not None and last.plan_sha256 != this_hash:
        claims.append(
            f"The plan changed since the last review ({last.when}, {last.reviewer}): its hash "
            f"was {last.plan_sha256[:16]}…, it is now {this_hash[:16]}…."
        )
    stale = [(cid, st) for cid, st in judged.states.items() if st.stale]
    claims += [
        f"Camera {cid} was decided ({st.record.decision}) but is no longer in the plan."
        for cid, st in stale
        if cid not in judged.hashes
    ]
    claims += [
        f"Camera {cid}: the recorded {st.record.decision} by {st.record.reviewer} is a "
        f"claim, not counted: {st.reason}."
        for cid, st in stale
        if cid in judged.hashes
    ]
    whole = judged.plan_decision
    if whole is not None and whole.stale:
        claims.append(
            f"The decision on the whole plan ({whole.record.decision} by "
            f"{whole.record.reviewer}) is a claim, not counted: {whole.reason}."
        )
    return claims


class _PlanFacts(TypedDict):
    """The cover's facts about the plan file."""

    title: str
    plan_name: str
    plan_path: str
    department: str
    author: str
    created: str
    modified: str
    file_sha256: str
    audit: list[AuditEntry]


def _plan_facts(plan: Plan, *, plan_path: str, file_sha256: str) -> _PlanFacts:
    meta = plan.meta
    return _PlanFacts(
        title=f"Review of {meta.name}",
        plan_name=meta.name,
        plan_path=plan_path,
        department=meta.department,
        author=meta.author,
        created=meta.created,
        modified=meta.modified,
        file_sha256=file_sha256,
        audit=list(meta.audit),
    )


class _ReviewFacts(TypedDict):
    """Who reviews, the last review, what changed since, and the plan's decision."""

    reviewer: str
    plan_sha256: str
    last_review_hash: str | None
    last_review: str
    changes: list[Change]
    plan_decision: DecisionState | None


def _review_facts(judged: _Judged, review: ReviewLog, reviewer: str | None) -> _ReviewFacts:
    last = judged.last
    who = (
        reviewer
        or (last.reviewer if last is not None else "")
        or (review.decisions[-1].reviewer if review.decisions else "")
    )
    return _ReviewFacts(
        reviewer=who or "not recorded",
        plan_sha256=judged.plan_sha256,
        last_review_hash=last.plan_sha256 if last is not None else None,
        last_review=f"{last.when} by {last.reviewer}" if last is not None else "",
        changes=judged.changes,
        plan_decision=judged.plan_decision,
    )


class _Counts(TypedDict):
    """Cameras by re-check status, by decision, and by council district."""

    status_counts: dict[str, int]
    decision_counts: dict[str, int]
    districts: list[tuple[str, dict[str, int]]]


def _counts(
    sections: Sequence[CameraSection], judged: _Judged, districts: Sequence[Boundary]
) -> _Counts:
    status_counts = {"block": 0, "warn": 0, "clear": 0}
    for s in sections:
        status_counts[s.status] += 1
    return _Counts(
        status_counts=status_counts,
        decision_counts=decision_counts(judged.states, [s.camera.id for s in sections]),
        districts=_district_rows(districts, sections, judged.states),
    )


def _signage(
    streets: tuple[np.ndarray, Sequence[object]] | None,
    boundaries: Sequence[Boundary],
    proj: Projector,
) -> tuple[IntersectionIndex | None, list[Crossing], list[Boundary]]:
    """The intersections signs go to, and where named streets cross the city limits."""
    index = None
    crossings: list[Crossing] = []
    city = [b for b in boundaries if b.kind == "city_limits"]
    if streets is not None and len(streets[0]):
        index = IntersectionIndex(intersections(streets[0], streets[1]))
        for b in city:
            crossings.extend(boundary_crossings(streets[0], streets[1], proj.project(b.geometry)))
    return index, crossings, city


def _district_of(districts: Sequence[Boundary], cameras: Sequence[Camera]) -> dict[str, str]:
    """Each camera's council district (the first that contains it)."""
    district_of: dict[str, str] = {}
    if districts and cameras:
        lon = np.array([c.lon for c in cameras])
        lat = np.array([c.lat for c in cameras])
        for d in districts:
            inside = shapely.contains_xy(d.geometry, lon, lat)
            for cam, ok in zip(cameras, inside.tolist(), strict=True):
                if ok and cam.id not in district_of:
                    district_of[cam.id] = d.name
    return district_of


def _finding_rows(
    result: CameraResult,
    cam: Camera,
    sites: Mapping[str, Site],
    proj: Projector,
    policy: Policy,
) -> list[FindingRow]:
    """A camera's findings in plain words."""
    return [
        FindingRow(
            str(f.severity),
            finding_sentence(f, camera=cam, sites=sites, projector=proj, policy=policy),
            f.site_name or "",
        )
        for f in result.findings
    ]


def _camera_claims(sections: Sequence[CameraSection]) -> list[str]:
    """What the plan says about its cameras that the re-check or the decisions do not bear."""
    claims = [
        f"Camera {s.camera.id}: the plan says {s.claimed_status}, the re-check says {s.status}."
        for s in sections
        if s.claimed_status and s.claimed_status != s.status
    ]
    for s in sections:
        # a camera's lifecycle "approved" is a claim too: it must rest on a current decision
        if s.camera.status is CameraStatus.APPROVED:
            if s.status == "block":
                claims.append(
                    f"Camera {s.camera.id} is marked approved in the plan, but the "
                    "re-check blocks it."
                )
            elif (
                s.decision is None
                or s.decision.stale
                or (s.decision.record.decision is not Decision.APPROVE)
            ):
                claims.append(
                    f"Camera {s.camera.id} is marked approved in the plan, but no "
                    "current approval is recorded."
                )
    return claims


def _district_rows(
    districts: Sequence[Boundary],
    sections: Sequence[CameraSection],
    states: Mapping[str, Any],
) -> list[tuple[str, dict[str, int]]]:
    """Cameras by council district: counts by status and by decision."""
    rows = []
    for d in sorted(districts, key=lambda b: (len(b.name), b.name)):
        cams = [s for s in sections if s.district == d.name]
        counts = {k: sum(1 for s in cams if s.status == k) for k in ("block", "warn", "clear")}
        dc = decision_counts(states, [s.camera.id for s in cams])
        rows.append((d.name, {"cameras": len(cams), **counts, **dc}))
    return rows


__all__ = [
    "STATUS_WORDS",
    "Boundary",
    "CameraSection",
    "FindingRow",
    "LayerRow",
    "Report",
    "build_report",
    "category_words",
    "provenance_claims",
]
