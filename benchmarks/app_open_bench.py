"""Opening a real plan in the desktop app; prints one JSON object.

The app checks a plan on its worker thread *with* every visible cone (what the map
draws is what was checked), where the command line needs no geometry. This measures
what that costs on a real plan, and how long the window takes from "Open" to the
results on the map:

- ``check_no_geometry_s`` / ``check_with_geometry_s``: ``Checker.check_cameras`` over
  the plan's cameras, medians of ``--runs`` runs;
- ``open_to_checked_s``: ``MainWindow.open_plan`` until the full check's results are
  installed (reads the plan and the pack, hashes the pack, builds the checker, checks),
  median of ``--runs`` fresh windows, offscreen.

Input: an existing-cameras plan made by ``siting-planner import ... --existing-plan``
beside its pack (see the README, "Data packs").

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/app_open_bench.py PLAN``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = tempfile.TemporaryDirectory(prefix="app-open-bench-")
    os.environ["SITING_PLANNER_SETTINGS"] = str(Path(tmp.name) / "settings.ini")
    os.environ["SITING_PLANNER_RECOVERY_DIR"] = str(Path(tmp.name) / "recovery")

    from planner.app.shell.main import _application, create_window
    from planner.app.siting.dialogs import ScriptedPrompter

    app = _application()
    opens: list[float] = []
    window = None
    for _ in range(args.runs):
        window = create_window(prompter=ScriptedPrompter(), autosave_ms=3_600_000)
        window.resize(1400, 900)
        window.show()
        app.processEvents()
        t0 = time.perf_counter()
        window.open_plan(args.plan, wait=True)
        window.wait_idle()
        opens.append(time.perf_counter() - t0)
        if window.doc.withheld or not window.doc.results:
            print(
                f"error: {args.plan}: the plan was not checked ({window.doc.withheld})",
                file=sys.stderr,
            )
            return 2
        window.doc.undo_stack.setClean()
        window.close()
    assert window is not None
    checker, cams = window.doc.checker, window.doc.all_cameras()
    plain: list[float] = []
    geometry: list[float] = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        checker.check_cameras(cams, with_geometry=False)
        plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        checker.check_cameras(cams, with_geometry=True)
        geometry.append(time.perf_counter() - t0)
    statuses = [str(r.status) for r in window.doc.results.values()]
    print(
        json.dumps(
            {
                "plan": str(args.plan),
                "cameras": len(cams),
                "blocked": statuses.count("block"),
                "runs": args.runs,
                "check_no_geometry_s": round(statistics.median(plain), 3),
                "check_with_geometry_s": round(statistics.median(geometry), 3),
                "open_to_checked_s": round(statistics.median(opens), 3),
            }
        )
    )
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
