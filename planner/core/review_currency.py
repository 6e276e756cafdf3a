"""Whether a recorded decision is still current (SPEC 8): signatures and staleness.

A decision goes stale when its camera (or the plan) changed, the re-check status
changed or the data it was judged with changed; it is unverified when its signature
does not check against the allowed signers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from planner.core.review import Decision, DecisionRecord, Judge, ReviewLog

if TYPE_CHECKING:
    from planner.core.sshsig import AllowedSigners


#: Why a decision is stale (SPEC 8), and the note beside it.
UNVERIFIED = "unverified"
CAMERA_CHANGED = "camera_changed"
CAMERA_GONE = "camera_gone"
PLAN_CHANGED = "plan_changed"
STATUS_CHANGED = "status_changed"
DATA_CHANGED = "data_changed"
REASON_TEXT = {
    UNVERIFIED: "unverified",
    CAMERA_CHANGED: "camera changed since the decision",
    CAMERA_GONE: "camera removed",
    PLAN_CHANGED: "plan changed since the decision",
    STATUS_CHANGED: "re-check status changed",
    DATA_CHANGED: "policy or data differ from the decision's",
}


@dataclass(frozen=True, slots=True)
class Verification:
    """Whether a decision's signature proves who made it; ``detail`` says why not."""

    verified: bool
    detail: str
    fingerprint: str = ""


def verify_decision(
    rec: DecisionRecord, signers: AllowedSigners | None, *, now: datetime | None = None
) -> Verification:
    """Check ``rec``'s signature against ``signers`` for its ``reviewer`` principal.

    Never raises: a missing, malformed or forged signature is an unverified result
    whose ``detail`` says what is wrong.
    """
    from planner.core import sshsig

    sig = rec.signature
    if sig is None or sig == "":
        return Verification(False, "no signature")
    if not isinstance(sig, str):
        return Verification(False, "bad signature: not text")
    try:
        message = rec.signed_bytes()
    except (TypeError, ValueError):
        return Verification(False, "bad signature: the record has no canonical form")
    try:
        blob = sshsig.verify(sig, message)
    except sshsig.SignatureError as exc:
        return Verification(False, f"bad signature: {exc}")
    fp = sshsig.fingerprint(blob)
    if rec.key != fp:
        return Verification(
            False, f"signed with key {fp}, but the record names key {rec.key!r}", fp
        )
    if signers is None:
        return Verification(False, f"no allowed-signers file: key {fp} is trusted by nobody", fp)
    if not signers.entries_for_key(blob):
        return Verification(False, f"unknown key {fp}: not in the allowed signers", fp)
    when = now if now is not None else datetime.now(UTC)
    if not signers.allows(rec.reviewer, blob, now=when):
        listed = ", ".join(signers.principals_for(blob)) or "nobody"
        return Verification(False, f"key {fp} is listed for {listed}, not for {rec.reviewer}", fp)
    return Verification(True, f"signed by {rec.reviewer} with key {fp}", fp)


@dataclass(frozen=True, slots=True)
class DecisionState:
    """A decision and whether it still holds: current, or stale with every reason."""

    record: DecisionRecord
    verification: Verification = field(default_factory=lambda: Verification(False, "not checked"))
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    status_now: str | None = None

    @property
    def stale(self) -> bool:
        return bool(self.reasons)

    @property
    def current(self) -> bool:
        return not self.reasons

    @property
    def verified(self) -> bool:
        return self.verification.verified

    @property
    def reason(self) -> str:
        """Every reason in words, the signature's problem spelled out."""
        parts = []
        for r in self.reasons:
            if r == UNVERIFIED:
                parts.append(f"unverified ({self.verification.detail})")
            elif r == STATUS_CHANGED and self.status_now is not None:
                parts.append(
                    f"re-check status changed from {self.record.status or 'unknown'} "
                    f"to {self.status_now}"
                )
            else:
                parts.append(REASON_TEXT.get(r, r))
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The SPEC 8 ``review`` object of ``check --format json``."""
        return {
            "decision": str(self.record.decision),
            "reviewer": self.record.reviewer,
            "reviewer_name": self.record.reviewer_name,
            "key": self.record.key,
            "when": self.record.when,
            "comment": self.record.comment,
            "verified": self.verified,
            "signature": self.verification.detail,
            "current": self.current,
            "stale": self.stale,
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "status_decided_on": self.record.status,
            **({"status_now": self.status_now} if self.status_now is not None else {}),
        }


def _data_changed(rec: DecisionRecord, judge: Judge | None) -> bool:
    if judge is None:
        return False
    pol = rec.judge.policy.get("sha256", "")
    layers_then = sorted((x.get("kind", ""), x.get("sha256", "")) for x in rec.judge.layers)
    layers_now = sorted((x.get("kind", ""), x.get("sha256", "")) for x in judge.layers)
    return pol != judge.policy.get("sha256", "") or layers_then != layers_now


def _state(
    rec: DecisionRecord,
    verification: Verification,
    *,
    changed: str | None,
    status_now: str | None,
    judge: Judge | None,
) -> DecisionState:
    reasons = []
    if not verification.verified:
        reasons.append(UNVERIFIED)
    if changed:
        reasons.append(changed)
    if status_now is not None and (
        status_now != rec.status
        # an approval of a camera that now blocks never stands, whatever it claims
        or (rec.decision is Decision.APPROVE and status_now == "block")
    ):
        reasons.append(STATUS_CHANGED)
    notes = (DATA_CHANGED,) if _data_changed(rec, judge) else ()
    return DecisionState(rec, verification, tuple(reasons), notes, status_now)


def decision_states(
    log: ReviewLog,
    hashes: Mapping[str, str],
    *,
    signers: AllowedSigners | None = None,
    statuses: Mapping[str, str] | None = None,
    judge: Judge | None = None,
    now: datetime | None = None,
) -> dict[str, DecisionState]:
    """The latest decision per camera id, current or stale with its reasons (SPEC 8).

    Parameters
    ----------
    hashes
        Each camera id now in the plan to its camera hash; a decided camera missing
        from it is gone.
    signers
        The allowed signers in force; None trusts nobody (every decision unverified).
    statuses
        The reviewer's re-check status per camera; None when nothing was re-checked
        (``verify``), and then no ``status_changed`` is judged.
    judge
        The re-check's policy and layers, for the ``data_changed`` note.
    """
    out: dict[str, DecisionState] = {}
    for cid, rec in log.latest().items():
        now_hash = hashes.get(cid)
        changed = (
            CAMERA_GONE
            if now_hash is None
            else CAMERA_CHANGED
            if now_hash != rec.camera_sha256
            else None
        )
        status_now = None if statuses is None or now_hash is None else statuses.get(cid)
        out[cid] = _state(
            rec,
            verify_decision(rec, signers, now=now),
            changed=changed,
            status_now=status_now,
            judge=judge,
        )
    return out


def plan_status(statuses: Iterable[str]) -> str:
    """The plan's status for a plan-level decision: its worst camera's (block > warn > clear)."""
    seen = set(statuses)
    return "block" if "block" in seen else "warn" if "warn" in seen else "clear"


def plan_decision_state(
    log: ReviewLog,
    plan_sha256: str,
    *,
    signers: AllowedSigners | None = None,
    status: str | None = None,
    judge: Judge | None = None,
    now: datetime | None = None,
) -> DecisionState | None:
    """The newest decision on the whole plan, current or stale, or None."""
    rec = log.latest_plan()
    if rec is None:
        return None
    return _state(
        rec,
        verify_decision(rec, signers, now=now),
        changed=PLAN_CHANGED if rec.plan_sha256 != plan_sha256 else None,
        status_now=status,
        judge=judge,
    )


def all_decision_states(
    log: ReviewLog,
    hashes: Mapping[str, str],
    *,
    plan_sha256: str,
    signers: AllowedSigners | None = None,
    now: datetime | None = None,
) -> list[DecisionState]:
    """Every recorded decision, oldest first, judged without a re-check (``verify``)."""
    out = []
    for rec in log.decisions:
        if rec.camera_id is None:
            changed = PLAN_CHANGED if rec.plan_sha256 != plan_sha256 else None
        else:
            h = hashes.get(rec.camera_id)
            changed = (
                CAMERA_GONE if h is None else CAMERA_CHANGED if h != rec.camera_sha256 else None
            )
        out.append(
            _state(
                rec,
                verify_decision(rec, signers, now=now),
                changed=changed,
                status_now=None,
                judge=None,
            )
        )
    return out


def decision_counts(states: Mapping[str, DecisionState], ids: Iterable[str]) -> dict[str, int]:
    """Cameras by current decision (``undecided`` and ``stale`` counted apart)."""
    counts = {d.value: 0 for d in Decision} | {"stale": 0, "undecided": 0}
    for cid in ids:
        st = states.get(cid)
        if st is None:
            counts["undecided"] += 1
        elif st.stale:
            counts["stale"] += 1
        else:
            counts[st.record.decision.value] += 1
    return counts
