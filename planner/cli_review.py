"""``siting-planner review`` and ``siting-planner report`` (SPEC 8).

Both re-check the plan with the reviewer's own policy and data: what the file says
about itself (stored results, ``checked_with``) is only ever a claim shown beside
the re-check.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from planner.core.errors import InputError
from planner.io.recheck import recheck

EXIT_OK = 0
EXIT_INPUT = 2

Progress = Callable[[str, float], None]


def _common(p: argparse.ArgumentParser) -> None:
    from planner.cli import add_input_arguments

    add_input_arguments(p, data_help="the reviewer's data pack (made by 'siting-planner import')")
    add_trust_argument(p)


def add_trust_argument(p: argparse.ArgumentParser) -> None:
    """``--allowed-signers``: trusted reviewers, unless IT's configuration names them."""
    p.add_argument(
        "--allowed-signers",
        type=Path,
        metavar="FILE",
        help="OpenSSH allowed-signers file of trusted reviewers (ignored when IT's managed "
        "configuration names one; default: the user setting review/allowed_signers)",
    )


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


def configure_verify_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan", type=Path, metavar="PLAN", help="plan file (*.plan.geojson)")
    add_trust_argument(p)
    p.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )


def configure_report_parser(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT.pdf|OUT.html",
        help="the report to write: a PDF or one self-contained HTML file",
    )
    p.add_argument(
        "--reviewer",
        metavar="NAME",
        help="reviewer named on the cover (default: the last recorded one)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def safe_text(text: str) -> str:
    """``text`` with control characters escaped, so a file cannot drive the terminal."""
    from planner.io.printable import printable

    return printable(text)


def _usage(message: str) -> int:
    sys.stderr.write(f"error: siting-planner review: {safe_text(message)}\n")
    return EXIT_INPUT


def _say_managed(notes: list[str]) -> None:
    from planner.cli import say_managed

    say_managed(notes)


def _principal(text: str | None) -> str | None:
    """A principal as an allowed-signers file lists it: one token, printable, bounded."""
    value = (text or "").strip()
    if not value or len(value) > 512 or any(c.isspace() or ord(c) < 32 for c in value):
        return None
    if any(c in value for c in ',"*?!'):
        return None
    return value


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
        plan_status,
        refusal,
    )

    if not ns.decide and ns.decide_plan is None:
        from planner.app.review_window import run_review_app

        return run_review_app(
            plan=ns.plan,
            data=ns.data,
            policy=ns.policy,
            screenshot=ns.screenshot,
            allowed_signers=ns.allowed_signers,
        )
    from planner.io.managed_config import enforce_managed, load_managed_config

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

    from planner.io.signing import key_blob, load_signing_key, resolve_trust, terminal_prompt

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
        why
        for cid, dec, _ in wanted
        if (why := refusal(cid, dec, status=status.get(cid))) is not None
    ]
    whole = plan_status(status.values())
    if on_plan is not None and (why := plan_refusal(on_plan[0], status=whole)) is not None:
        problems.append(why)
    if problems:
        # nothing is recorded unless every decision is acceptable
        return _usage("; ".join(problems) + " (nothing recorded)")
    from planner.core.model import Plan
    from planner.io.plan import now_iso
    from planner.io.plan_lock import update_plan
    from planner.io.review_store import camera_hashes, canonical_plan_hash, record_decisions

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


def run_verify(ns: argparse.Namespace) -> int:
    """``verify PLAN``: each decision's signature and what has changed, no geometry re-check."""
    import json

    from planner.core.review import REASON_TEXT, all_decision_states
    from planner.io.plan import read_plan
    from planner.io.review_store import camera_hashes, canonical_plan_hash, review_log
    from planner.io.signing import resolve_trust

    trust = resolve_trust(ns.allowed_signers)
    plan = read_plan(ns.plan)
    log = review_log(plan, source=str(ns.plan))
    plan_sha = canonical_plan_hash(plan)
    states = all_decision_states(
        log, camera_hashes(plan), plan_sha256=plan_sha, signers=trust.signers
    )
    ok = all(st.verified for st in states)
    if ns.format == "json":
        from planner.io.printable import json_printable

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


def _progress_bar(quiet: bool) -> Progress | None:
    if quiet:
        return None
    tty = sys.stderr.isatty()
    state = {"last": ""}

    def show(what: str, frac: float) -> None:
        pct = round(100 * max(0.0, min(1.0, frac)))
        if tty:
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r[{bar:<25}] {pct:3d}% {what[:50]:<50}")
            if frac >= 1.0:
                sys.stderr.write("\n")
        elif what != state["last"] and (frac >= 1.0 or not what.startswith(state["last"][:12])):
            sys.stderr.write(f"{pct:3d}% {what}\n")
        state["last"] = what
        sys.stderr.flush()

    return show


def run_report(ns: argparse.Namespace) -> int:
    """Write the review report (PDF or HTML)."""
    out: Path = ns.output
    kind = out.suffix.lower()
    if kind not in (".pdf", ".html", ".htm"):
        raise InputError(out, "", "the report must be a .pdf or .html file")
    if out.exists() and not out.is_file():
        raise InputError(out, "", "is not a regular file")
    progress = _progress_bar(ns.quiet)
    t0 = time.perf_counter()
    rc = recheck(ns, with_geometry=True, progress=progress)
    _say_managed(rc.managed_notes)
    from planner.io.outputs import refuse_output_over_inputs

    refuse_output_over_inputs(
        out, [("an input of this report", p) for p in rc.input_paths], option="-o"
    )
    from planner.app.review_report import write_report

    info = write_report(rc, out, reviewer=ns.reviewer, progress=progress)
    if progress:
        progress("Report written", 1.0)
    print(
        safe_text(
            f"wrote {out}: {info['pages']} pages, {info['bytes'] / 1e6:.1f} MB, "
            f"{len(rc.plan.cameras)} cameras in {time.perf_counter() - t0:.1f} s"
            if info.get("pages")
            else f"wrote {out}: {info['bytes'] / 1e6:.1f} MB, {len(rc.plan.cameras)} cameras "
            f"in {time.perf_counter() - t0:.1f} s"
        )
    )
    return EXIT_OK
