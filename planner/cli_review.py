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


def configure_review_parser(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--reviewer", metavar="NAME", help="who decides (required with --decide)")
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


def run_review(ns: argparse.Namespace) -> int:
    """Record decisions headlessly, or open the app in review mode."""
    from planner.core.review import DecisionRecord, DecisionRefused, parse_decide, refusal

    if not ns.decide:
        from planner.app.review_window import run_review_app

        return run_review_app(
            plan=ns.plan, data=ns.data, policy=ns.policy, screenshot=ns.screenshot
        )
    reviewer = " ".join((ns.reviewer or "").split())
    if not reviewer:
        return _usage("--reviewer NAME is required with --decide")
    try:
        wanted = [parse_decide(text) for text in ns.decide]
    except DecisionRefused as exc:
        return _usage(str(exc))
    seen: set[str] = set()
    for cid, _, _ in wanted:
        if cid in seen:
            return _usage(f"camera {cid!r} is decided twice in one command")
        seen.add(cid)
    rc = recheck(ns)
    _say_managed(rc.managed_notes)
    status = rc.status()
    problems = [
        why
        for cid, dec, _ in wanted
        if (why := refusal(cid, dec, status=status.get(cid))) is not None
    ]
    if problems:
        # nothing is recorded unless every decision is acceptable
        return _usage("; ".join(problems) + " (nothing recorded)")
    from planner.core.model import Plan
    from planner.io.plan import now_iso
    from planner.io.plan_lock import update_plan
    from planner.io.review_store import camera_hashes, record_decisions

    when = now_iso()
    hashes = camera_hashes(rc.plan)
    judge = rc.judge()
    records = [
        DecisionRecord(
            camera_id=cid,
            decision=dec,
            reviewer=reviewer,
            when=when,
            camera_sha256=hashes[cid],
            comment=comment,
            status=status[cid],
            judge=judge,
        )
        for cid, dec, comment in wanted
    ]

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
        print(
            safe_text(
                f"recorded {rec.decision} for {rec.camera_id} "
                f"(re-check {rec.status}) by {reviewer} at {when}{note}"
            )
        )
    print(safe_text(f"saved {ns.plan}"))
    return EXIT_OK


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
