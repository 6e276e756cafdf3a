"""``siting-planner review`` and ``siting-planner report`` (SPEC 8).

Both re-check the plan with the reviewer's own policy and data: what the file says
about itself (stored results, ``checked_with``) is only ever a claim shown beside
the re-check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner.commands.common import (
    EXIT_INPUT,
    EXIT_OK,
    _common,
    _principal,
    _say_managed,
    safe_text,
)
from planner.core.errors import InputError
from planner.io.checking.recheck import recheck


def configure_review_parser(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument(
        "--reviewer",
        metavar="PRINCIPAL",
        help="who decides: the principal the allowed signers list your key for, e.g. "
        "dana.ortiz@sanjoseca.gov (required with --decide)",
    )
    p.add_argument(
        "--key",
        type=Path,
        metavar="KEYFILE",
        help="your Ed25519 OpenSSH private key (required with --decide); a passphrase is asked "
        "on the terminal, or read from the descriptor $SITING_PLANNER_PASSPHRASE_FD",
    )
    p.add_argument(
        "--screenshot",
        type=Path,
        metavar="OUT.png",
        help="without --decide: open the review window, save a PNG of it and exit",
    )
    p.add_argument(
        "--decide",
        action="append",
        default=[],
        metavar="ID=DECISION[:COMMENT]",
        help="record a decision: approve, reject or needs_changes (repeatable); "
        "without --decide the desktop application opens in review mode",
    )
    p.add_argument(
        "--decide-plan",
        metavar="DECISION[:COMMENT]",
        help="record a decision on the whole plan (approve, reject or needs_changes)",
    )


def _usage(message: str) -> int:
    sys.stderr.write(f"error: siting-planner review: {safe_text(message)}\n")
    return EXIT_INPUT


def run_review(ns: argparse.Namespace) -> int:
    """Record signed decisions headlessly, or open the app in review mode."""
    from dataclasses import replace

    from planner.core import sshsig
    from planner.core.review import (
        DecisionRecord,
        DecisionRefused,
        parse_decide,
        parse_decide_plan,
        plan_refusal,
        refusal,
    )
    from planner.core.review_currency import plan_status

    if not ns.decide and ns.decide_plan is None:
        from planner.app.review.window import run_review_app

        return run_review_app(
            plan=ns.plan,
            data=ns.data,
            policy=ns.policy,
            screenshot=ns.screenshot,
            allowed_signers=ns.allowed_signers,
        )
    from planner.io.config.managed_config import load_managed_config
    from planner.io.config.managed_enforcement import enforce_managed

    config = load_managed_config()
    if config.error is not None:
        # an unusable configuration stops the command before anything else is judged
        enforce_managed(argparse.Namespace(**vars(ns)), config=config)
    reviewer = _principal(ns.reviewer)
    if reviewer is None:
        return _usage(
            "--reviewer PRINCIPAL is required with --decide: one name as the allowed signers "
            "list it, no spaces, commas, quotes or wildcards"
        )
    if ns.key is None:
        return _usage("--key KEYFILE is required with --decide (your Ed25519 OpenSSH key)")
    try:
        wanted = [parse_decide(text) for text in ns.decide]
        on_plan = parse_decide_plan(ns.decide_plan) if ns.decide_plan is not None else None
    except DecisionRefused as exc:
        return _usage(str(exc))
    seen: set[str] = set()
    for cid, _, _ in wanted:
        if cid in seen:
            return _usage(f"camera {cid!r} is decided twice in one command")
        seen.add(cid)
    from datetime import UTC, datetime

    from planner.io.checking.signing import (
        key_blob,
        load_signing_key,
        resolve_trust,
        terminal_prompt,
    )

    # Trust and key first: a wrong passphrase or an unlisted key fails before the re-check.
    trust = resolve_trust(ns.allowed_signers, managed=config)
    if trust.signers is None:
        return _usage(
            f"{trust.describe()}: cannot confirm that your key is listed for {reviewer} "
            "(nothing recorded)"
        )
    key = load_signing_key(ns.key, ask=terminal_prompt)
    blob = key_blob(key)
    fp = sshsig.fingerprint(blob)
    if not trust.signers.allows(reviewer, blob, now=datetime.now(UTC)):
        listed = ", ".join(trust.signers.principals_for(blob))
        why = f"it is listed for {listed}" if listed else "it is not in the file"
        return _usage(
            f"key {fp} is not listed for {reviewer} in {trust.path} ({why}); "
            "send IT your allowed-signers line (nothing recorded)"
        )
    reviewer_name = trust.signers.name_for(reviewer, blob) or reviewer
    rc = recheck(ns)
    _say_managed(rc.managed_notes)
    status = rc.status()
    problems = [
        refused
        for cid, dec, _ in wanted
        if (refused := refusal(cid, dec, status=status.get(cid))) is not None
    ]
    whole = plan_status(status.values())
    if on_plan is not None and (refused := plan_refusal(on_plan[0], status=whole)) is not None:
        problems.append(refused)
    if problems:
        # nothing is recorded unless every decision is acceptable
        return _usage("; ".join(problems) + " (nothing recorded)")
    from planner.core.model import Plan
    from planner.io.formats.plan import now_iso
    from planner.io.formats.plan_lock import update_plan
    from planner.io.formats.review_store import camera_hashes, canonical_plan_hash, record_decisions

    when = now_iso()
    hashes = camera_hashes(rc.plan)
    judge = rc.judge()
    common = {
        "reviewer": reviewer,
        "reviewer_name": reviewer_name,
        "key": fp,
        "when": when,
        "judge": judge,
    }
    records = [
        DecisionRecord(
            camera_id=cid,
            decision=dec,
            camera_sha256=hashes[cid],
            comment=comment,
            status=status[cid],
            **common,
        )
        for cid, dec, comment in wanted
    ]
    if on_plan is not None:
        records.append(
            DecisionRecord(
                camera_id=None,
                decision=on_plan[0],
                plan_sha256=canonical_plan_hash(rc.plan),
                comment=on_plan[1],
                status=whole,
                **common,
            )
        )
    records = [replace(r, signature=sshsig.sign(key, r.signed_bytes())) for r in records]

    def record(plan: Plan) -> None:
        # under the plan's lock, on the file as it is now: a decision recorded by
        # another run meanwhile is kept; cameras changed meanwhile were not re-checked
        if camera_hashes(plan) != hashes:
            msg = "the plan's cameras changed while it was re-checked; nothing recorded, run again"
            raise InputError(ns.plan, "", msg)
        record_decisions(plan, records, reviewer=reviewer, when=when)

    # the decisions are about the cameras as they are: never restamp the plan, and
    # write back what the review does not own as the file held it
    rc.plan = update_plan(ns.plan, record)
    for rec in records:
        note = f": {rec.comment}" if rec.comment else ""
        what = rec.camera_id if rec.camera_id is not None else "the whole plan"
        print(
            safe_text(
                f"recorded {rec.decision} for {what} (re-check {rec.status}) by {reviewer} "
                f"({reviewer_name}), signed with {fp} at {when}{note}"
            )
        )
    print(safe_text(f"Trust: {trust.describe()}"))
    print(safe_text(f"saved {ns.plan}"))
    return EXIT_OK
