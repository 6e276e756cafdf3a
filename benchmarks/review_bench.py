"""Signed review on the real San José existing-cameras plan (363 cameras): time.

Builds the pack and plan as ``report_bench.py`` does (unless ``--pack``/``--plan``),
makes an Ed25519 key with ``ssh-keygen`` and an allowed-signers file, then measures in
fresh processes (the command a DPO runs), ``--runs`` times each, medians:

- ``review --decide`` with 10 decisions (re-check included);
- signing every camera (363 decisions, one command), then ``verify`` on that plan;
- ``report`` (PDF) with the 363 signed decisions.

    .venv/bin/python benchmarks/review_bench.py [--runs 3] [--pack P --plan PLAN]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.report_bench import EXE, build_pack  # noqa: E402


def timed(args: list[str], ok: tuple[int, ...] = (0,)) -> float:
    t0 = time.perf_counter()
    res = subprocess.run([*EXE, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    dt = time.perf_counter() - t0
    if res.returncode not in ok:
        sys.exit(f"error: {args[0]} failed: {res.stderr.strip()[:400]}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pack", type=Path)
    ap.add_argument("--plan", type=Path)
    ns = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        pack, plan = (ns.pack, ns.plan) if ns.pack and ns.plan else build_pack(tmp)
        key = tmp / "dpo_key"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
            check=True,
            capture_output=True,
        )
        pub = " ".join((tmp / "dpo_key.pub").read_text().split()[:2])
        allowed = tmp / "allowed_signers"
        allowed.write_text(f"dpo@sanjoseca.gov {pub} DPO\n")
        ids = [f["id"] for f in json.loads(plan.read_text())["features"]]
        check = json.loads(
            subprocess.run(
                [*EXE, "check", str(plan), "--data", str(pack), "--format", "json"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            ).stdout
        )
        status = {c["id"]: c["status"] for c in check["cameras"]}
        sign = ["--reviewer", "dpo@sanjoseca.gov", "--key", str(key)]
        trust = ["--allowed-signers", str(allowed)]

        def decisions(which: list[str]) -> list[str]:
            out = []
            for cid in which:
                word = "reject" if status[cid] == "block" else "approve"
                out += ["--decide", f"{cid}={word}:benchmark"]
            return out

        ten, full, verify, report = [], [], [], []
        for i in range(ns.runs):
            work = tmp / f"run{i}.plan.geojson"
            shutil.copyfile(plan, work)
            base = ["review", str(work), "--data", str(pack), *sign, *trust]
            ten.append(timed([*base, *decisions(ids[:10])]))
            shutil.copyfile(plan, work)
            full.append(timed([*base, *decisions(ids)]))
            verify.append(timed(["verify", str(work), *trust]))
            out = tmp / f"r{i}.pdf"
            report.append(
                timed(["report", str(work), "--data", str(pack), *trust, "-o", str(out), "-q"])
            )
        print(
            json.dumps(
                {
                    "cameras": len(ids),
                    "runs": ns.runs,
                    "review_decide_10_s": round(statistics.median(ten), 2),
                    "review_decide_all_s": round(statistics.median(full), 2),
                    "verify_all_signed_s": round(statistics.median(verify), 2),
                    "report_pdf_all_signed_s": round(statistics.median(report), 2),
                    "loadavg": Path("/proc/loadavg").read_text().split()[:3]
                    if Path("/proc/loadavg").exists()
                    else None,
                    "note": "medians of fresh processes (python -m planner), wall time",
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
