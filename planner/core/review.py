"""Review by the Digital Privacy Officer (SPEC 8): the record model and the decide rules.

A decision on one camera or the whole plan, what judged it, the sessions a reviewer
sat, and the rules that say which decision may be recorded. Plain data and pure
functions; the canonical form and hashes are in :mod:`planner.core.review_canonical`,
reading a file's review in :mod:`planner.core.review_reading`, whether a decision is
still current in :mod:`planner.core.review_currency` and the change list since the
last review in :mod:`planner.core.review_changes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from planner.core.review_canonical import camera_content, camera_hash, canonical_json


class Decision(StrEnum):
    """A reviewer's decision on one camera (SPEC 8)."""

    APPROVE = "approve"
    REJECT = "reject"
    NEEDS_CHANGES = "needs_changes"


DECISION_LABELS = {
    Decision.APPROVE: "Approved",
    Decision.REJECT: "Rejected",
    Decision.NEEDS_CHANGES: "Needs changes",
}


@dataclass(frozen=True, slots=True)
class Judge:
    """What a re-check used: the policy and the data layers, with their hashes."""

    policy: Mapping[str, str] = field(default_factory=dict)  # id, version, sha256
    layers: tuple[Mapping[str, str], ...] = ()  # kind, path, sha256

    def to_json(self) -> dict[str, Any]:
        return {"policy": dict(self.policy), "layers": [dict(x) for x in self.layers]}


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One recorded decision; older ones are kept (SPEC 8).

    ``camera_id`` is None for a decision on the whole plan (then ``plan_sha256``
    is set instead of ``camera_sha256``). A record read from a file keeps the exact
    content it was read with in ``raw`` (without ``signature``): that is what the
    signature covers, so a field a forger adds, drops or edits breaks it.
    """

    camera_id: str | None
    decision: Decision
    reviewer: str
    when: str
    camera_sha256: str = ""
    comment: str = ""
    status: str = ""  # the re-check status the decision was made on
    judge: Judge = field(default_factory=Judge)
    plan_sha256: str = ""
    reviewer_name: str = ""
    key: str = ""  # the signing key's fingerprint, ``SHA256:...``
    signature: Any = None  # armoured SSHSIG text; anything else never verifies
    raw: Mapping[str, Any] | None = field(default=None, compare=False)

    def content(self) -> dict[str, Any]:
        """The record without ``signature``: every field SPEC 8 lists."""
        if self.raw is not None:
            return {k: v for k, v in self.raw.items() if k != "signature"}
        out: dict[str, Any] = {
            "camera_id": self.camera_id,
            "decision": str(self.decision),
            "comment": self.comment,
            "reviewer": self.reviewer,
            "reviewer_name": self.reviewer_name,
            "key": self.key,
            "when": self.when,
            "status": self.status,
            "policy": dict(self.judge.policy),
            # no paths: they name places on the reviewer's machine, not what judged
            "layers": [
                {"kind": x.get("kind", ""), "sha256": x.get("sha256", "")}
                for x in self.judge.layers
            ],
        }
        if self.camera_id is None:
            out["plan_sha256"] = self.plan_sha256
        else:
            out["camera_sha256"] = self.camera_sha256
        return out

    def signed_bytes(self) -> bytes:
        """What the signature covers: the canonical JSON of :meth:`content`."""
        return canonical_json(self.content())

    def to_json(self) -> dict[str, Any]:
        out = self.content()
        if self.signature is not None:
            out["signature"] = self.signature
        return out


@dataclass(frozen=True, slots=True)
class CameraSnapshot:
    """A camera as a review saw it, enough to say how it changed since."""

    id: str
    lon: float
    lat: float
    heading_deg: float | None
    sha256: str
    properties: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, feature: Mapping[str, Any]) -> CameraSnapshot:
        content = camera_content(feature)
        props = content["properties"]
        heading = props.get("heading_deg")
        return cls(
            id=content["id"],
            lon=content["coordinates"][0],
            lat=content["coordinates"][1],
            heading_deg=None if heading is None else float(heading),
            sha256=camera_hash(feature),
            properties=props,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "coordinates": [self.lon, self.lat],
            "sha256": self.sha256,
            "properties": dict(self.properties),
        }


@dataclass(frozen=True, slots=True)
class ReviewSession:
    """One sitting of a reviewer: when, who, the plan hash and every camera as seen."""

    when: str
    reviewer: str
    plan_sha256: str
    cameras: tuple[CameraSnapshot, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "when": self.when,
            "reviewer": self.reviewer,
            "plan_sha256": self.plan_sha256,
            "cameras": [c.to_json() for c in self.cameras],
        }


@dataclass(slots=True)
class ReviewLog:
    """The ``siting_plan.review`` member: every decision and every review session."""

    decisions: list[DecisionRecord] = field(default_factory=list)
    sessions: list[ReviewSession] = field(default_factory=list)

    def latest(self) -> dict[str, DecisionRecord]:
        """The newest decision per camera id (later records win); plan decisions apart."""
        out: dict[str, DecisionRecord] = {}
        for rec in self.decisions:
            if rec.camera_id is not None:
                out[rec.camera_id] = rec
        return out

    def latest_plan(self) -> DecisionRecord | None:
        """The newest decision on the whole plan, or None."""
        found = None
        for rec in self.decisions:
            if rec.camera_id is None:
                found = rec
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "decisions": [d.to_json() for d in self.decisions],
            "sessions": [s.to_json() for s in self.sessions],
        }

    def __bool__(self) -> bool:
        return bool(self.decisions or self.sessions)


class DecisionRefused(ValueError):
    """A decision that may not be recorded (unknown camera or word, approving a block)."""


def parse_decide(text: str) -> tuple[str, Decision, str]:
    """``ID=DECISION[:COMMENT]`` to ``(id, decision, comment)``.

    The id is everything before the last ``=`` that precedes the decision word, so
    ids that contain ``=`` still work; the comment is everything after the first
    ``:`` that follows the word.
    """
    if "=" not in text:
        msg = f"--decide {text!r}: expected ID=DECISION[:COMMENT]"
        raise DecisionRefused(msg)
    head, _, rest = text.partition("=")
    word, sep, comment = rest.partition(":")
    # an id with '=' in it: move '=' pieces from the word back onto the id
    while "=" in word:
        extra, _, word = word.partition("=")
        head = f"{head}={extra}"
    word = word.strip()
    if not head:
        msg = f"--decide {text!r}: the camera id is empty"
        raise DecisionRefused(msg)
    try:
        decision = Decision(word)
    except ValueError:
        allowed = ", ".join(d.value for d in Decision)
        msg = f"--decide {text!r}: decision must be one of {allowed}, got {word!r}"
        raise DecisionRefused(msg) from None
    return head, decision, comment.strip() if sep else ""


def parse_decide_plan(text: str) -> tuple[Decision, str]:
    """``DECISION[:COMMENT]`` of ``--decide-plan`` to ``(decision, comment)``."""
    word, sep, comment = text.partition(":")
    try:
        decision = Decision(word.strip())
    except ValueError:
        allowed = ", ".join(d.value for d in Decision)
        msg = f"--decide-plan {text!r}: decision must be one of {allowed}, got {word.strip()!r}"
        raise DecisionRefused(msg) from None
    return decision, comment.strip() if sep else ""


def plan_refusal(decision: Decision, *, status: str) -> str | None:
    """Why a plan-level ``decision`` may not be recorded when the plan's status is ``status``."""
    if decision is Decision.APPROVE and status == "block":
        return "the plan has a camera the re-check blocks: it cannot be approved"
    return None


def refusal(camera_id: str, decision: Decision, *, status: str | None) -> str | None:
    """Why ``decision`` may not be recorded for a camera of re-check ``status``, or None.

    ``status`` is None when the plan has no such camera.
    """
    if status is None:
        return f"unknown camera id {camera_id!r}"
    if decision is Decision.APPROVE and status == "block":
        return f"camera {camera_id} is blocked by the re-check: a block camera cannot be approved"
    return None


# -- change list since the last review ---------------------------------------------------
