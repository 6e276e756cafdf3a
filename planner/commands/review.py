"""``siting-planner review`` and ``siting-planner report`` (SPEC 8).

Both re-check the plan with the reviewer's own policy and data: what the file says
about itself (stored results, ``checked_with``) is only ever a claim shown beside
the re-check.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from planner.core.review import Decision


def configure_parser(p: argparse.ArgumentParser) -> None:
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


class _Refused(Exception):
    """A usage error or a refused decision: one line, exit 2, nothing recorded."""


@dataclass(frozen=True)
class _Request:
    """What ``--decide`` / ``--decide-plan`` ask for, parsed and checked for repeats."""

    reviewer: str
    wanted: list[tuple[str, Decision, str]]
    on_plan: tuple[Decision, str] | None


@dataclass(frozen=True)
class _Signer:
    """The reviewer's key, confirmed against the allowed signers before anything is re-checked."""

    key: Any
    fingerprint: str
    name: str
    trust: Any


def run(ns: argparse.Namespace) -> int:
    """Record signed decisions headlessly, or open the app in review mode."""
    if not ns.decide and ns.decide_plan is None:
        from planner.app.review.launch import run_review_app

        return run_review_app(
            plan=ns.plan,
            data=ns.data,
            policy=ns.policy,
            screenshot=ns.screenshot,
            allowed_signers=ns.allowed_signers,
        )
    try:
        return _decide(ns)
    except _Refused as exc:
        return _usage(str(exc))


def _decide(ns: argparse.Namespace) -> int:
    """Re-check, then sign and record every decision, or none."""
    from planner.io.config.managed_config import enforce_managed, load_managed_config

    config = load_managed_config()
    if config.error is not None:
        # an unusable configuration stops the command before anything else is judged
        enforce_managed(argparse.Namespace(**vars(ns)), config=config)
    request = _request(ns)
    # Trust and key first: a wrong passphrase or an unlisted key fails before the re-check.
    signer = _signer(ns, request.reviewer, config)
    rc = recheck(ns)
    _say_managed(rc.managed_notes)
    status = rc.status()
    _refuse_unacceptable(request, status)
    from planner.io.formats.plan import now_iso
    from planner.io.formats.review_store import camera_hashes

    when = now_iso()
    hashes = camera_hashes(rc.plan)
    records = _signed_records(request, signer, rc, status=status, hashes=hashes, when=when)
    _record(ns, rc, records, hashes=hashes, reviewer=request.reviewer, when=when)
    for rec in records:
        note = f": {rec.comment}" if rec.comment else ""
        what = rec.camera_id if rec.camera_id is not None else "the whole plan"
        print(
            safe_text(
                f"recorded {rec.decision} for {what} (re-check {rec.status}) by "
                f"{request.reviewer} ({signer.name}), signed with {signer.fingerprint} at "
                f"{when}{note}"
            )
        )
    print(safe_text(f"Trust: {signer.trust.describe()}"))
    print(safe_text(f"saved {ns.plan}"))
    return EXIT_OK


def _request(ns: argparse.Namespace) -> _Request:
    """The reviewer, the key's presence and the decisions, before any file is read."""
    from planner.core.review import DecisionRefused, parse_decide, parse_decide_plan

    reviewer = _principal(ns.reviewer)
    if reviewer is None:
        msg = (
            "--reviewer PRINCIPAL is required with --decide: one name as the allowed signers "
            "list it, no spaces, commas, quotes or wildcards"
        )
        raise _Refused(msg)
    if ns.key is None:
        msg = "--key KEYFILE is required with --decide (your Ed25519 OpenSSH key)"
        raise _Refused(msg)
    try:
        wanted = [parse_decide(text) for text in ns.decide]
        on_plan = parse_decide_plan(ns.decide_plan) if ns.decide_plan is not None else None
    except DecisionRefused as exc:
        raise _Refused(str(exc)) from None
    seen: set[str] = set()
    for cid, _, _ in wanted:
        if cid in seen:
            msg = f"camera {cid!r} is decided twice in one command"
            raise _Refused(msg)
        seen.add(cid)
    return _Request(reviewer, wanted, on_plan)


def _signer(ns: argparse.Namespace, reviewer: str, config: Any) -> _Signer:
    """Load the key (passphrase from the terminal or a descriptor) and confirm it is listed."""
    from datetime import UTC, datetime

    from planner.core import sshsig
    from planner.io.checking.signing import (
        key_blob,
        load_signing_key,
        resolve_trust,
        terminal_prompt,
    )

    trust = resolve_trust(ns.allowed_signers, managed=config)
    if trust.signers is None:
        msg = (
            f"{trust.describe()}: cannot confirm that your key is listed for {reviewer} "
            "(nothing recorded)"
        )
        raise _Refused(msg)
    key = load_signing_key(ns.key, ask=terminal_prompt)
    blob = key_blob(key)
    fp = sshsig.fingerprint(blob)
    if not trust.signers.allows(reviewer, blob, now=datetime.now(UTC)):
        listed = ", ".join(trust.signers.principals_for(blob))
        why = f"it is listed for {listed}" if listed else "it is not in the file"
        msg = (
            f"key {fp} is not listed for {reviewer} in {trust.path} ({why}); "
            "send IT your allowed-signers line (nothing recorded)"
        )
        raise _Refused(msg)
    return _Signer(key, fp, trust.signers.name_for(reviewer, blob) or reviewer, trust)


def _refuse_unacceptable(request: _Request, status: dict[str, str]) -> None:
    """Nothing is recorded unless every decision suits its camera's re-check (SPEC 8)."""
    from planner.core.review import plan_refusal, plan_status, refusal

    problems = [
        refused
        for cid, dec, _ in request.wanted
        if (refused := refusal(cid, dec, status=status.get(cid))) is not None
    ]
    if request.on_plan is not None:
        whole = plan_status(status.values())
        if (refused := plan_refusal(request.on_plan[0], status=whole)) is not None:
            problems.append(refused)
    if problems:
        raise _Refused("; ".join(problems) + " (nothing recorded)")


def _signed_records(
    request: _Request,
    signer: _Signer,
    rc: Any,
    *,
    status: dict[str, str],
    hashes: dict[str, str],
    when: str,
) -> list[Any]:
    """One signed record per decision, over the cameras as they were re-checked."""
    from planner.core import sshsig
    from planner.core.review import DecisionRecord, plan_status
    from planner.io.formats.review_store import canonical_plan_hash

    common = {
        "reviewer": request.reviewer,
        "reviewer_name": signer.name,
        "key": signer.fingerprint,
        "when": when,
        "judge": rc.judge(),
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
        for cid, dec, comment in request.wanted
    ]
    if request.on_plan is not None:
        records.append(
            DecisionRecord(
                camera_id=None,
                decision=request.on_plan[0],
                plan_sha256=canonical_plan_hash(rc.plan),
                comment=request.on_plan[1],
                status=plan_status(status.values()),
                **common,
            )
        )
    return [replace(r, signature=sshsig.sign(signer.key, r.signed_bytes())) for r in records]


def _record(
    ns: argparse.Namespace,
    rc: Any,
    records: list[Any],
    *,
    hashes: dict[str, str],
    reviewer: str,
    when: str,
) -> None:
    """Write the records into the plan under its lock, as the file is now."""
    from planner.core.model import Plan
    from planner.io.formats.plan_lock import update_plan
    from planner.io.formats.review_store import camera_hashes, record_decisions

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
