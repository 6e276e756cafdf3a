"""Review report on the real San José existing-cameras plan: time, size and memory.

Builds the pack and the existing-cameras plan from ``../shared/data`` (as the README's
real-data example does) unless ``--pack`` and ``--plan`` name them, then writes the
tagged PDF (Typst) and the HTML report ``--runs`` times each, in fresh processes (the
command a DPO runs), and prints one JSON object with the medians: wall and CPU
seconds, peak resident memory of the process, file size and pages.

    .venv/bin/python benchmarks/report_bench.py [--runs 3] [--pack P --plan PLAN]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.shared_data import locate_shared_data  # noqa: E402

EXE = [sys.executable, "-m", "planner"]


def build_pack(tmp: Path) -> tuple[Path, Path]:
    data = locate_shared_data()
    if data is None:
        sys.exit("error: ../shared/data not found (set SITING_SHARED_DATA)")
    pack, plan = tmp / "sj.gpkg", tmp / "sj_existing.plan.geojson"
    cmd = [
        *EXE,
        "import",
        str(data / "alpr_sanjose_osm_2025-10-04.geojson"),
        str(data / "osm_sj_downtown_merged.osm.bz2"),
        "--sites",
        str(data / "sj_sensitive_sites.geojson"),
        "--buildings",
        str(data / "sj_buildings_city_all.gpkg.zip"),
        "--boundaries",
        str(data / "sj_city_limits_2016.geojson"),
        "--boundaries",
        str(data / "sj_council_districts_2016.geojson"),
        "-o",
        str(pack),
        "--existing-plan",
        str(plan),
        "-q",
    ]
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    return pack, plan


def one(plan: Path, pack: Path, out: Path) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user + system), peak resident MB of the child, and
    the command's summary."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
        proc = subprocess.Popen(
            [*EXE, "report", str(plan), "--data", str(pack), "-o", str(out), "-q"],
            cwd=ROOT,
            stdout=so,
            stderr=se,
        )
        # wait4: this child's own resource use (RUSAGE_CHILDREN's peak is the max of all)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        so.seek(0)
        se.seek(0)
        stdout, stderr = so.read().decode(), se.read().decode()
    if proc.returncode != 0:
        sys.exit(f"error: report failed: {stderr.strip()}")
    cpu = usage.ru_utime + usage.ru_stime
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    return elapsed, cpu, peak_mb, stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pack", type=Path)
    ap.add_argument("--plan", type=Path)
    ns = ap.parse_args()
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        if ns.pack is None or ns.plan is None:
            pack, plan = build_pack(tmp)
        else:
            pack, plan = ns.pack, ns.plan
        cameras = len(json.loads(plan.read_text())["features"])
        figures: dict[str, object] = {
            "cameras": cameras,
            "runs": ns.runs,
            "cpu_count": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
        for kind in ("pdf", "html"):
            out = tmp / f"report.{kind}"
            times, cpus, peaks = [], [], []
            line = ""
            for _ in range(ns.runs):
                t, cpu, peak, line = one(plan, pack, out)
                times.append(t)
                cpus.append(cpu)
                peaks.append(peak)
            figures[f"report_{kind}_median_s"] = round(statistics.median(times), 2)
            figures[f"report_{kind}_cpu_median_s"] = round(statistics.median(cpus), 2)
            figures[f"report_{kind}_peak_rss_median_mb"] = round(statistics.median(peaks))
            figures[f"report_{kind}_bytes"] = out.stat().st_size
            figures[f"report_{kind}_mb"] = round(out.stat().st_size / 1e6, 2)
            if kind == "pdf":
                figures["report_pdf_pages"] = int(line.split(": ", 1)[1].split(" pages")[0])
        figures["load_average_1min_end"] = round(os.getloadavg()[0], 2)
        figures["note"] = (
            "wall and CPU time of 'siting-planner report' in a fresh process: "
            "Python and library start-up, pack reading, re-check, maps and "
            "writing; wall time depends on the machine's load (load_average)"
        )
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
