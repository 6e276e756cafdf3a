"""``siting-planner report``: the review report, PDF or HTML."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from planner.commands.common import EXIT_OK, _common, _progress_bar, _say_managed, safe_text
from planner.core.errors import InputError
from planner.io.checking.recheck import recheck


def configure_parser(p: argparse.ArgumentParser) -> None:
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


def run(ns: argparse.Namespace) -> int:
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
    from planner.io.safety.outputs import refuse_output_over_inputs

    refuse_output_over_inputs(
        out, [("an input of this report", p) for p in rc.input_paths], option="-o"
    )
    from planner.app.review.report import write_report

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
