"""``siting-planner --self-test``: the smoke test for an installed build.

It runs what an installed planner must be able to do, headless, on the embedded
demo: check the plan, render the map offscreen, write a review report, and propose
cameras with the exact solver (then check what it proposed), each
through the same entry points a user has (:func:`planner.cli.main`). It prints each
step with its time and where the files went, and exits 0 only when every step
worked. Nothing outside a new temporary folder is written (but for a few lines in
the log file): the settings go to a file in that folder, so the user's own settings
and recent files are untouched, and the folder is removed at the end when every
step passed (kept, and named, when one failed, so IT can look at what it made).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

EXIT_PASSED = 0
EXIT_FAILED = 1


#: The ``siting-planner`` entry point under test, handed over by the dispatcher
#: (:func:`planner.cli.main` imports this module, so importing it back would be a
#: cycle); set by :func:`run_self_test`.
_ENTRY: list[Callable[[list[str]], int]] = []


class Skipped(Exception):
    """A step this build cannot run (said plainly; not a failure)."""


@dataclass
class Step:
    """One self-test step and how it went."""

    name: str
    ok: bool
    detail: str
    seconds: float
    skipped: bool = False


def _demo() -> tuple[Path, Path]:
    from planner.resources import data_path

    return data_path("demo", "demo.plan.geojson"), data_path("demo", "demo.gpkg")


def _quiet_main(argv: list[str]) -> tuple[int, str]:
    """Run :func:`planner.cli.main`, capturing what it writes to stdout and stderr."""
    import contextlib
    import io

    (main,) = _ENTRY

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(argv)
    return code, out.getvalue().strip()


def _last_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no output"


def step_check(folder: Path) -> str:
    """Check the demo plan against the demo pack (``check --format json``)."""
    plan, pack = _demo()
    out = folder / "check.json"
    code, text = _quiet_main(
        ["check", str(plan), "--data", str(pack), "--format", "json", "--output", str(out)]
    )
    if code not in (0, 1) or not out.is_file():
        msg = f"check exited {code}: {_last_line(text)}"
        raise RuntimeError(msg)
    report = json.loads(out.read_text(encoding="utf-8"))
    s = report["summary"]
    if not s["cameras"]:
        msg = "the demo plan has no cameras"
        raise RuntimeError(msg)
    # The demo is built to show every outcome: a check that clears it is broken.
    if not (s["block"] and s["warn"] and s["clear"]):
        msg = f"the demo should give block, warn and clear; got {s}"
        raise RuntimeError(msg)
    return (
        f"{s['cameras']} cameras: {s['block']} blocked, {s['warn']} warned, "
        f"{s['clear']} clear; policy {report['policy']['id']}"
    )


def step_render(folder: Path) -> str:
    """Open the demo in the main window offscreen and save it as a PNG (``--screenshot``)."""
    plan, pack = _demo()
    out = folder / "map.png"
    code, text = _quiet_main([str(plan), "--data", str(pack), "--screenshot", str(out)])
    if code != 0 or not out.is_file():
        msg = f"screenshot exited {code}: {_last_line(text)}"
        raise RuntimeError(msg)
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    if img.isNull():
        msg = f"{out} is not a readable PNG"
        raise RuntimeError(msg)
    # A blank window (no map drawn) is one colour; the demo map has many.
    small = img.scaled(64, 40)
    colours = {small.pixel(x, y) for x in range(small.width()) for y in range(small.height())}
    if len(colours) < 8:
        msg = f"the rendered map is nearly blank ({len(colours)} colours)"
        raise RuntimeError(msg)
    return f"{img.width()}x{img.height()} PNG, {out.stat().st_size // 1024} kB"


def report_available() -> bool:
    """Whether this build has the ``report`` command."""
    from planner.commands.common import _SUBCOMMANDS

    return "report" in _SUBCOMMANDS


def step_report(folder: Path) -> str:
    """Write the review report of the demo (``report PLAN --data PACK -o OUT.pdf``)."""
    if not report_available():
        msg = "this build has no 'report' command, so no review report was written"
        raise Skipped(msg)
    plan, pack = _demo()
    out = folder / "review.pdf"
    code, text = _quiet_main(["report", str(plan), "--data", str(pack), "-o", str(out), "-q"])
    if code not in (0, 1) or not out.is_file():
        msg = f"report exited {code}: {_last_line(text)}"
        raise RuntimeError(msg)
    head = out.read_bytes()[:5]
    if head != b"%PDF-":
        msg = f"{out} is not a PDF"
        raise RuntimeError(msg)
    return f"PDF, {out.stat().st_size // 1024} kB"


def step_propose(folder: Path) -> str:
    """Propose three cameras on the demo, solved exactly (HiGHS), and check what was proposed."""
    _, pack = _demo()
    out, summary_file = folder / "proposed.plan.geojson", folder / "propose.json"
    code, text = _quiet_main(
        ["propose", "--data", str(pack), "--cameras", "3", "--format", "json", "-o", str(out)]
    )
    if code != 0 or not out.is_file():
        msg = f"propose exited {code}: {_last_line(text)}"
        raise RuntimeError(msg)
    summary_file.write_text(text, encoding="utf-8")
    summary = json.loads(text)
    if not summary["optimal"] or summary["recheck_failures"] or len(summary["cameras"]) != 3:
        msg = (
            f"the demo's proposal should be 3 cameras, proven optimal, each re-checked clear; "
            f"got {len(summary['cameras'])} cameras, optimal={summary['optimal']}, "
            f"{summary['recheck_failures']} re-check failures"
        )
        raise RuntimeError(msg)
    # what was proposed must stand on its own: checked like any plan a planner saves
    checked = folder / "proposed.check.json"
    code, text = _quiet_main(
        ["check", str(out), "--data", str(pack), "--format", "json", "--output", str(checked)]
    )
    s = json.loads(checked.read_text(encoding="utf-8"))["summary"] if checked.is_file() else {}
    if code != 0 or s.get("clear") != 3:
        msg = f"check of the proposed cameras exited {code}: {s or _last_line(text)}"
        raise RuntimeError(msg)
    return (
        f"3 cameras, optimal (gap {summary['gap']:g}), weight {summary['objective']:,.0f} of "
        f"{summary['readable_weight']:,.0f} readable; all 3 clear under check"
    )


STEPS: tuple[tuple[str, Callable[[Path], str]], ...] = (
    ("check the embedded demo", step_check),
    ("render the map offscreen", step_render),
    ("write the review report", step_report),
    ("propose cameras (HiGHS)", step_propose),
)


def _managed_line() -> str:
    from planner.io.config.managed_config import load_managed_config

    cfg = load_managed_config()
    if cfg.error is not None:
        return f"managed configuration UNUSABLE (built-in defaults, locked): {cfg.error}"
    if not cfg.active:
        return "no managed configuration"
    return (
        f"managed by {cfg.source_text} (lock_policy={str(cfg.lock_policy).lower()}, "
        f"lock_data={str(cfg.lock_data).lower()})"
    )


def _network_line() -> str:
    from planner.io.config import network

    return f"network: {network.current().describe()}"


def _log_line() -> str:
    from planner.io.config.logfile import log_path, setup_logging

    path = setup_logging()
    return f"log file: {path if path is not None else f'none ({log_path().parent} unwritable)'}"


def _quiet_offscreen_warnings() -> None:
    """Drop the offscreen platform's "does not support propagateSizeHints" chatter."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        if "propagateSizeHints" not in message:
            sys.stderr.write(f"{message}\n")

    qInstallMessageHandler(handler)


def run_self_test(
    main: Callable[[list[str]], int], *, out: TextIO | None = None, folder: Path | None = None
) -> int:
    """Run every step; print what was done with timings. Returns the exit status.

    Parameters
    ----------
    out
        Where to print (stdout by default).
    folder
        Where the files go (kept); by default a new temporary folder, removed at the
        end when every step passed.
    """
    _ENTRY[:] = [main]
    stream = sys.stdout if out is None else out
    t_all = time.perf_counter()
    own_folder = folder is None
    work = Path(tempfile.mkdtemp(prefix="siting-planner-self-test-")) if folder is None else folder
    work.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in ("QT_QPA_PLATFORM", "SITING_PLANNER_SETTINGS")}
    code = EXIT_FAILED
    try:
        code = _run_steps(stream, work, own_folder=own_folder, t_all=t_all)
    finally:
        for key, value in saved.items():  # an in-process caller gets its environment back
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if own_folder and code == EXIT_PASSED:
            shutil.rmtree(work, ignore_errors=True)
    return code


def _run_steps(stream: TextIO, work: Path, *, own_folder: bool, t_all: float) -> int:
    from planner import __version__
    from planner.core.printable import printable
    from planner.io.config.managed_config import demo_only

    # Headless whatever the session: the map is rendered offscreen, and the app's
    # settings go to a throwaway file instead of the user's.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["SITING_PLANNER_SETTINGS"] = str(work / "settings.ini")
    _quiet_offscreen_warnings()
    frozen = " (installed build)" if getattr(sys, "frozen", False) else ""
    stream.write(f"siting-planner {__version__} self-test{frozen}\n")
    stream.write(f"  {printable(_managed_line())}\n")
    stream.write(f"  {printable(_network_line())}\n")
    stream.write(f"  {printable(_log_line())}\n")
    steps: list[Step] = []
    for name, fn in STEPS:
        t0 = time.perf_counter()
        skipped = False
        try:
            # the demo is checked as shipped: IT's locks guard what users check
            with demo_only():
                detail, ok = fn(work), True
        except Skipped as exc:
            detail, ok, skipped = str(exc), True, True
        except Exception as exc:  # a self-test reports every failure, it never crashes
            detail, ok = f"{type(exc).__name__}: {exc}", False
        step = Step(
            name=name, ok=ok, detail=detail, seconds=time.perf_counter() - t0, skipped=skipped
        )
        steps.append(step)
        mark = "SKIP" if skipped else ("ok  " if ok else "FAIL")
        stream.write(f"  {mark} {name:<26} {step.seconds:6.2f} s  {printable(detail)}\n")
        stream.flush()
    total = time.perf_counter() - t_all
    failed = [s for s in steps if not s.ok]
    if not own_folder:
        stream.write(f"  files in {printable(work)}\n")
    elif failed:
        stream.write(f"  files kept in {printable(work)}\n")
    else:
        stream.write("  temporary files removed\n")
    verdict = "passed" if not failed else f"FAILED ({len(failed)} of {len(steps)} steps)"
    stream.write(f"self-test {verdict} in {total:.2f} s\n")
    stream.flush()
    return EXIT_PASSED if not failed else EXIT_FAILED
