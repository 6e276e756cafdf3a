"""What the siting gate decided about a proposed change, and what makes a violation worse."""

from __future__ import annotations

from dataclasses import dataclass

from planner.core.model import CameraResult, Finding, Severity

#: Overlap growth below this (m²) is rounding of a quantized pose, not a worse violation.
OVERLAP_TOLERANCE_M2 = 0.05


@dataclass(frozen=True)
class Outcome:
    """What the siting gate did with a proposed change."""

    committed: bool
    status: Severity
    message: str = ""
    findings: tuple[Finding, ...] = ()
    #: False when the proposal changed nothing (a click): no command, no message.
    changed: bool = True


def _violation_key(f: Finding) -> tuple[str, str | None]:
    return (str(f.rule), f.site_id)


def worsening(before: CameraResult | None, after: CameraResult) -> Finding | None:
    """The blocking finding of ``after`` that is new or worse than in ``before``, or None.

    Worse means: a site or rule that did not block before, more of a site's capture
    zones captured (entrances), or more area inside them. A change that keeps or
    reduces every violation returns None, so a blocked camera can be walked out of
    its violation step by step.
    """
    prev = (
        {}
        if before is None
        else {_violation_key(f): f for f in before.findings if f.severity is Severity.BLOCK}
    )
    for f in after.findings:
        if f.severity is not Severity.BLOCK:
            continue
        p = prev.get(_violation_key(f))
        if p is None:
            return f
        if set(f.entrance_ids) - set(p.entrance_ids):
            return f
        if f.overlap_m2 is not None and f.overlap_m2 > (p.overlap_m2 or 0.0) + OVERLAP_TOLERANCE_M2:
            return f
    return None
