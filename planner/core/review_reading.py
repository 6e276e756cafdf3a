"""Reading a plan's ``siting_plan.review`` member (hostile input, SPEC 8).

Every value is checked for type and size; a bad one is an :class:`InputError` naming
where it is. The result is the record model of :mod:`planner.core.review`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from planner.core.errors import InputError
from planner.core.review import (
    CameraSnapshot,
    Decision,
    DecisionRecord,
    Judge,
    ReviewLog,
    ReviewSession,
)

#: Hostile-file bounds: a review holds at most this many decisions and sessions.
MAX_DECISIONS = 200_000
MAX_SESSIONS = 10_000
MAX_TEXT = 10_000


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
        log.decisions.append(_decision(d, source, f"siting_plan.review.decisions[{i}]"))
    for i, s in enumerate(sessions_raw, start=1):
        log.sessions.append(_session(s, source, f"siting_plan.review.sessions[{i}]"))
    return log


def _decision(d: Any, source: str, where: str) -> DecisionRecord:
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
    return DecisionRecord(
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


def _session(s: Any, source: str, where: str) -> ReviewSession:
    if not isinstance(s, dict):
        raise InputError(source, where, "must be an object")
    cams_raw = s.get("cameras") or []
    if not isinstance(cams_raw, list) or len(cams_raw) > MAX_DECISIONS:
        raise InputError(source, f"{where}.cameras", "must be a list")
    cams = [_snapshot(c, source, f"{where}.cameras[{j}]") for j, c in enumerate(cams_raw, start=1)]
    return ReviewSession(
        when=_text(s, "when", source, where, required=True),
        reviewer=_text(s, "reviewer", source, where, required=True),
        plan_sha256=_sha(s, "plan_sha256", source, where),
        cameras=tuple(cams),
    )


def _snapshot(c: Any, source: str, w: str) -> CameraSnapshot:
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
    return CameraSnapshot(
        id=_text(c, "id", source, w, required=True),
        lon=float(coords[0]),
        lat=float(coords[1]),
        heading_deg=None if heading is None else float(heading),
        sha256=_sha(c, "sha256", source, w),
        properties=props,
    )
