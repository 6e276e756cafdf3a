"""Review by the Digital Privacy Officer (SPEC 8): hashes, decisions, staleness, changes.

Everything here is plain data and pure functions. Cameras enter as their GeoJSON
features (``planner.io.formats.plan.camera_to_feature`` makes them), so the hash is defined
on exactly what a plan file stores.

Canonical JSON (the input of every hash): keys sorted, no whitespace, UTF-8, and a
number that is a whole value written as an integer (``90.0`` is ``90``), so a tool
in another language that writes ``90`` hashes the same camera the same way.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from planner.core.errors import InputError

if TYPE_CHECKING:
    from planner.core.sshsig import AllowedSigners


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

#: A position change below this many metres is rounding, not a move.
MOVE_TOLERANCE_M = 0.01
#: A heading change below this many degrees is rounding, not a re-aim.
AIM_TOLERANCE_DEG = 1e-6
_EARTH_RADIUS_M = 6_371_008.8
#: Hostile-file bounds: a review holds at most this many decisions and sessions.
MAX_DECISIONS = 200_000
MAX_SESSIONS = 10_000
MAX_TEXT = 10_000


def _canonical(value: Any) -> Any:
    # Exact-type checks first: a 50,000-camera plan passes a million values through
    # here, and the types ``json`` produces are exactly these.
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            msg = f"non-finite number {value!r} has no canonical JSON form"
            raise ValueError(msg)
        return int(value) if value.is_integer() else value
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): _canonical(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_canonical(v) for v in value]
    return _canonical_subclass(value)


def _canonical_subclass(value: Any) -> Any:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, float):
        return _canonical(float(value))
    if isinstance(value, int):
        return value
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    msg = f"{type(value).__name__} has no canonical JSON form"
    raise TypeError(msg)


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes: sorted keys, no whitespace, UTF-8."""
    return json.dumps(
        _canonical(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def camera_content(feature: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical content of one camera feature: id, coordinates to 8 decimals, properties."""
    coords = feature["geometry"]["coordinates"]
    return {
        "id": feature["id"],
        "coordinates": [round(float(coords[0]), 8), round(float(coords[1]), 8)],
        "properties": dict(feature.get("properties") or {}),
    }


def _canonical_content(feature: Mapping[str, Any]) -> dict[str, Any]:
    # ``_canonical(camera_content(feature))`` in one pass: the canonical form is a
    # copy already, so the properties need no copy of their own.
    coords = feature["geometry"]["coordinates"]
    return {
        "id": _canonical(feature["id"]),
        "coordinates": [
            _canonical(round(float(coords[0]), 8)),
            _canonical(round(float(coords[1]), 8)),
        ],
        "properties": _canonical(feature.get("properties") or {}),
    }


def _dumps_canonical(value: Any) -> bytes:
    # ``value`` is already canonical (see ``_canonical``).
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def camera_hash(feature: Mapping[str, Any]) -> str:
    """SPEC 8 camera hash: sha256 of the camera's canonical content."""
    return hashlib.sha256(_dumps_canonical(_canonical_content(feature))).hexdigest()


def plan_hash(features: Iterable[Mapping[str, Any]], *, name: str) -> str:
    """SPEC 8 plan hash: sha256 of ``{"cameras": [content in id order], "name": name}``.

    One serialisation of the whole plan: for 50,000 cameras that is several times
    faster than joining 50,000 separately serialised cameras.
    """
    cams = sorted((_canonical_content(f) for f in features), key=lambda c: c["id"])
    doc = {"cameras": cams, "name": _canonical(name)}
    return hashlib.sha256(_dumps_canonical(doc)).hexdigest()


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


# -- reading (hostile input) -------------------------------------------------------


def _text(raw: Mapping[str, Any], key: str, source: str, where: str, *, required: bool) -> str:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise InputError(source, f"{where}.{key}", "is required")
        return ""
    if not isinstance(value, str):
        raise InputError(source, f"{where}.{key}", f"must be a string, got {value!r}")
    if len(value) > MAX_TEXT:
        raise InputError(source, f"{where}.{key}", f"longer than {MAX_TEXT} characters")
    return value


def _judge(raw: Mapping[str, Any], source: str, where: str) -> Judge:
    policy = raw.get("policy") or {}
    if not isinstance(policy, dict):
        raise InputError(source, f"{where}.policy", "must be an object")
    pol = {
        k: _text(policy, k, source, f"{where}.policy", required=False)
        for k in ("id", "version", "sha256")
    }
    layers_raw = raw.get("layers") or []
    if not isinstance(layers_raw, list) or len(layers_raw) > 1000:
        raise InputError(source, f"{where}.layers", "must be a list of at most 1000 layers")
    layers = []
    for j, layer in enumerate(layers_raw, start=1):
        w = f"{where}.layers[{j}]"
        if not isinstance(layer, dict):
            raise InputError(source, w, "must be an object")
        layers.append(
            {k: _text(layer, k, source, w, required=False) for k in ("kind", "path", "sha256")}
        )
    return Judge(policy={k: v for k, v in pol.items() if v}, layers=tuple(layers))


def _sha(raw: Mapping[str, Any], key: str, source: str, where: str) -> str:
    value = _text(raw, key, source, where, required=True)
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise InputError(source, f"{where}.{key}", f"not a sha256 hex digest: {value[:80]!r}")
    return value


def review_from_json(raw: Any, *, source: str) -> ReviewLog:
    """Validate and read a ``siting_plan.review`` member; raises :class:`InputError`."""
    if raw is None:
        return ReviewLog()
    if not isinstance(raw, dict):
        raise InputError(source, "siting_plan.review", "must be an object")
    decisions_raw = raw.get("decisions") or []
    sessions_raw = raw.get("sessions") or []
    if not isinstance(decisions_raw, list) or len(decisions_raw) > MAX_DECISIONS:
        raise InputError(
            source,
            "siting_plan.review.decisions",
            f"must be a list of at most {MAX_DECISIONS} decisions",
        )
    if not isinstance(sessions_raw, list) or len(sessions_raw) > MAX_SESSIONS:
        raise InputError(
            source,
            "siting_plan.review.sessions",
            f"must be a list of at most {MAX_SESSIONS} sessions",
        )
    log = ReviewLog()
    for i, d in enumerate(decisions_raw, start=1):
        where = f"siting_plan.review.decisions[{i}]"
        if not isinstance(d, dict):
            raise InputError(source, where, "must be an object")
        word = _text(d, "decision", source, where, required=True)
        try:
            decision = Decision(word)
        except ValueError:
            allowed = ", ".join(x.value for x in Decision)
            raise InputError(
                source, f"{where}.decision", f"must be one of {allowed}, got {word!r}"
            ) from None
        # a decision on the whole plan says so with an explicit ``"camera_id": null``
        on_plan = "camera_id" in d and d["camera_id"] is None
        log.decisions.append(
            DecisionRecord(
                camera_id=None if on_plan else _text(d, "camera_id", source, where, required=True),
                decision=decision,
                reviewer=_text(d, "reviewer", source, where, required=True),
                when=_text(d, "when", source, where, required=True),
                camera_sha256="" if on_plan else _sha(d, "camera_sha256", source, where),
                plan_sha256=_sha(d, "plan_sha256", source, where) if on_plan else "",
                comment=_text(d, "comment", source, where, required=False),
                status=_text(d, "status", source, where, required=False),
                judge=_judge(d, source, where),
                reviewer_name=_text(d, "reviewer_name", source, where, required=False),
                key=_text(d, "key", source, where, required=False),
                # a damaged signature is never an error: verification says what is wrong
                signature=d.get("signature"),
                raw=d,
            )
        )
    for i, s in enumerate(sessions_raw, start=1):
        where = f"siting_plan.review.sessions[{i}]"
        if not isinstance(s, dict):
            raise InputError(source, where, "must be an object")
        cams_raw = s.get("cameras") or []
        if not isinstance(cams_raw, list) or len(cams_raw) > MAX_DECISIONS:
            raise InputError(source, f"{where}.cameras", "must be a list")
        cams = []
        for j, c in enumerate(cams_raw, start=1):
            w = f"{where}.cameras[{j}]"
            if not isinstance(c, dict):
                raise InputError(source, w, "must be an object")
            coords = c.get("coordinates")
            props = c.get("properties") or {}
            ok = (
                isinstance(coords, list)
                and len(coords) == 2
                and all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    for v in coords
                )
            )
            if not ok or not isinstance(coords, list):
                raise InputError(source, f"{w}.coordinates", "must be [lon, lat] numbers")
            if not isinstance(props, dict):
                raise InputError(source, f"{w}.properties", "must be an object")
            heading = props.get("heading_deg")
            if heading is not None and (
                not isinstance(heading, int | float)
                or isinstance(heading, bool)
                or not math.isfinite(heading)
            ):
                raise InputError(source, f"{w}.properties.heading_deg", "must be a number or null")
            cams.append(
                CameraSnapshot(
                    id=_text(c, "id", source, w, required=True),
                    lon=float(coords[0]),
                    lat=float(coords[1]),
                    heading_deg=None if heading is None else float(heading),
                    sha256=_sha(c, "sha256", source, w),
                    properties=props,
                )
            )
        log.sessions.append(
            ReviewSession(
                when=_text(s, "when", source, where, required=True),
                reviewer=_text(s, "reviewer", source, where, required=True),
                plan_sha256=_sha(s, "plan_sha256", source, where),
                cameras=tuple(cams),
            )
        )
    return log


# -- staleness and decisions ------------------------------------------------------------


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


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"
    REAIMED = "re-aimed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Change:
    """How one camera differs from the last review."""

    camera_id: str
    kinds: tuple[ChangeKind, ...]
    moved_m: float = 0.0
    reaimed_deg: float = 0.0
    fields: tuple[str, ...] = ()  # other properties that changed

    def describe(self) -> str:
        """Plain words, e.g. ``moved 12.3 m, re-aimed 40°``."""
        parts = []
        for kind in self.kinds:
            if kind is ChangeKind.MOVED:
                parts.append(f"moved {self.moved_m:.1f} m")
            elif kind is ChangeKind.REAIMED:
                parts.append(
                    f"re-aimed {self.reaimed_deg:.0f}°"
                    if self.reaimed_deg
                    else "heading set or cleared"
                )
            elif kind is ChangeKind.CHANGED:
                parts.append("changed " + ", ".join(self.fields) if self.fields else "changed")
            else:
                parts.append(str(kind))
        return ", ".join(parts)


def ground_distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine; well under 1 cm error at street scale)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def heading_change(a: float | None, b: float | None) -> float | None:
    """Smallest turn in degrees from ``a`` to ``b``; None when neither is known, 0 if equal."""
    if a is None and b is None:
        return 0.0
    if a is None or b is None:
        return None
    return abs((b - a + 180.0) % 360.0 - 180.0)


def changes_since(
    previous: Sequence[CameraSnapshot], current: Sequence[CameraSnapshot]
) -> list[Change]:
    """Cameras added, removed, moved, re-aimed or otherwise changed, sorted by id."""
    before = {c.id: c for c in previous}
    now = {c.id: c for c in current}
    out: list[Change] = []
    for cid in sorted(set(before) | set(now)):
        old, new = before.get(cid), now.get(cid)
        if old is None:
            out.append(Change(cid, (ChangeKind.ADDED,)))
            continue
        if new is None:
            out.append(Change(cid, (ChangeKind.REMOVED,)))
            continue
        if old.sha256 == new.sha256:
            continue
        kinds: list[ChangeKind] = []
        moved = ground_distance_m(old.lon, old.lat, new.lon, new.lat)
        if moved >= MOVE_TOLERANCE_M:
            kinds.append(ChangeKind.MOVED)
        turn = heading_change(old.heading_deg, new.heading_deg)
        if turn is None or turn > AIM_TOLERANCE_DEG:
            kinds.append(ChangeKind.REAIMED)
        keys = set(old.properties) | set(new.properties)
        fields = tuple(
            sorted(
                k
                for k in keys - {"heading_deg"}
                if _canonical(old.properties.get(k)) != _canonical(new.properties.get(k))
            )
        )
        if fields or not kinds:
            kinds.append(ChangeKind.CHANGED)
        out.append(
            Change(
                cid,
                tuple(kinds),
                moved_m=moved if ChangeKind.MOVED in kinds else 0.0,
                reaimed_deg=turn or 0.0,
                fields=fields,
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
