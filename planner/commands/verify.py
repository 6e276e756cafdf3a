"""``siting-planner verify``: the review decisions' signatures against the allowed signers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner.commands.common import EXIT_OK, add_trust_argument, safe_text


def configure_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan", type=Path, metavar="PLAN", help="plan file (*.plan.geojson)")
    add_trust_argument(p)
    p.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )


def run(ns: argparse.Namespace) -> int:
    """``verify PLAN``: each decision's signature and what has changed, no geometry re-check."""
    import json

    from planner.core.review import REASON_TEXT, all_decision_states
    from planner.io.checking.signing import resolve_trust
    from planner.io.formats.plan import read_plan
    from planner.io.formats.review_store import camera_hashes, canonical_plan_hash, review_log

    trust = resolve_trust(ns.allowed_signers)
    plan = read_plan(ns.plan)
    log = review_log(plan, source=str(ns.plan))
    plan_sha = canonical_plan_hash(plan)
    states = all_decision_states(
        log, camera_hashes(plan), plan_sha256=plan_sha, signers=trust.signers
    )
    ok = all(st.verified for st in states)
    if ns.format == "json":
        from planner.io.safety.printable import json_printable

        doc = {
            "plan": {"path": str(ns.plan), "name": plan.meta.name, "canonical_sha256": plan_sha},
            "trust": trust.to_json(),
            "warnings": trust.notes,
            "decisions": [{"camera_id": st.record.camera_id, **st.to_json()} for st in states],
            "summary": {
                "decisions": len(states),
                "verified": sum(st.verified for st in states),
                "unverified": sum(not st.verified for st in states),
            },
        }
        sys.stdout.write(json_printable(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n")
        return EXIT_OK if ok else 1
    lines = [f"Plan:    {ns.plan} ({plan.meta.name}), canonical sha256 {plan_sha}"]
    lines.append(f"Trust:   {trust.describe()}")
    lines.extend(f"Warning: {n}" for n in trust.notes)
    lines.append("")
    for st in states:
        rec = st.record
        what = rec.camera_id if rec.camera_id is not None else "(whole plan)"
        mark = "VERIFIED  " if st.verified else "UNVERIFIED"
        lines.append(
            f"{mark} {what}: {rec.decision} by {rec.reviewer} ({rec.reviewer_name or '-'}) "
            f"at {rec.when}: {st.verification.detail}"
        )
        others = [REASON_TEXT[r] for r in st.reasons if r != "unverified"]
        if others:
            lines.append(f"           stale: {', '.join(st.reasons)} ({'; '.join(others)})")
    lines.append("")
    n_ok = sum(st.verified for st in states)
    lines.append(
        f"{len(states)} decisions: {n_ok} verified, {len(states) - n_ok} unverified "
        "(geometry not re-checked: use check or report for status changes)"
    )
    sys.stdout.write("\n".join(safe_text(x) for x in lines) + "\n")
    return EXIT_OK if ok else 1
