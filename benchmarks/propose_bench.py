"""Proposals on real downtown San José data: candidates, legality and solves (SPEC 9).

Builds a data pack from ``sj_downtown_drive.graphml``, ``sj_buildings_downtown.gpkg``
and ``sj_sensitive_sites.geojson`` (shared data), then measures, as medians of
``--repeat`` runs: candidates + legality seconds (2 worker processes), the MILP for
budgets 10 ... 400, the whole curve 1 ... cover-all, re-optimising after locking one
camera, and peak memory. Prints one JSON object.

    .venv/bin/python benchmarks/propose_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.cli import main as cli_main
from planner.commands.propose import _streets
from planner.io.checking.loader import build_checker, load_inputs
from planner.io.formats.policy import builtin_policy
from planner.propose.candidates import CandidateParams, Lens
from planner.propose.engine import Proposer
from planner.propose.solve import solve_max_cover, solve_set_cover
from tests.shared_data import locate_shared_data

BUDGETS = (10, 25, 50, 100, 200, 400)
#: City tier: a box of this many metres a side around downtown, on the generated network.
CITY_BOX_M = 2000.0
CITY_CENTRE = (-121.8870, 37.3360)


def _pack(data: Path, out: Path) -> None:
    # import reports on stdout; the JSON must be alone there.
    with contextlib.redirect_stdout(sys.stderr):
        rc = _import(data, out)
    if rc != 0:
        raise SystemExit(rc)


def _import(data: Path, out: Path) -> int:
    return cli_main(
        [
            "import",
            str(data / "sj_downtown_drive.graphml"),
            "--sites",
            str(data / "sj_sensitive_sites.geojson"),
            "--buildings",
            str(data / "sj_buildings_downtown.gpkg"),
            "-o",
            str(out),
            "-q",
        ]
    )


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def city_tier(repeat: int, workers: int) -> dict:
    """Generated San José-size streets, real citywide buildings, generated sites.

    The pack is pack_bench.py's (cached); the candidate stage runs on a box of
    CITY_BOX_M around downtown, and the whole-city CPU is that box's CPU scaled by
    area (the generated grid covers the city's extent evenly): an EXTRAPOLATION.
    """
    import shapely

    from benchmarks.pack_bench import EAST, NORTH, SOUTH, WEST, cache_dir, prepare
    from planner.propose.approaches import streets_from_table

    shared = locate_shared_data()
    assert shared is not None
    t = time.perf_counter()
    _graphml, pack, _info = prepare(shared, cache_dir())
    prepare_s = time.perf_counter() - t
    policy = builtin_policy()
    t = time.perf_counter()
    inputs = load_inputs(policy=policy, data=pack)
    checker = build_checker(inputs, policy=policy)
    streets = streets_from_table(inputs.streets, checker.projector)
    load_s = time.perf_counter() - t
    cx, cy = checker.projector.point(*CITY_CENTRE)
    half = CITY_BOX_M / 2
    box = shapely.box(cx - half, cy - half, cx + half, cy + half)
    lenses = [
        Lens("flock_falcon", 20.0, 25.0, ("plate_read", "vehicle_fingerprint")),
        Lens("flock_falcon_lr", 14.0, 76.0, ("plate_read", "vehicle_fingerprint")),
    ]
    walls, cpus = [], []
    proposer = None
    for _ in range(repeat):
        c0, t = _cpu(), time.perf_counter()
        proposer = Proposer(checker, streets, lenses, targets=box, workers=workers)
        walls.append(time.perf_counter() - t)
        cpus.append(_cpu() - c0)
    assert proposer is not None
    x0, y0 = checker.projector.point(WEST, SOUTH)
    x1, y1 = checker.projector.point(EAST, NORTH)
    scale = (x1 - x0) * (y1 - y0) / box.area
    sets, w = proposer.sets, proposer.approaches.weight
    solves = {
        str(n): round(statistics.median(
            solve_max_cover(sets, w, n, time_limit=60).seconds for _ in range(repeat)
        ), 4)
        for n in (10, 50, 200)
    }  # fmt: skip
    st = proposer.stats
    return {
        "label": "GENERATED street network (pack_bench.py: 40,000 nodes, 159,200 directed "
        "edges over San José's extent), REAL citywide buildings (324,221), 2,000 generated "
        f"sites; candidates in a {CITY_BOX_M:g} m box around downtown",
        "prepare_s": round(prepare_s, 1),
        "load_s": round(load_s, 2),
        "box_approaches": st.approaches,
        "box_positions": st.positions,
        "box_candidates": st.candidates,
        "box_legal": st.legal,
        "box_distinct_sets": st.distinct_sets,
        "box_maximal_sets": st.maximal_sets,
        "box_candidates_legality_s_median": round(statistics.median(walls), 2),
        "box_candidates_legality_cpu_s_median": round(statistics.median(cpus), 2),
        "box_solve_s_median": solves,
        "city_area_over_box": round(scale, 1),
        "city_candidates_legality_cpu_s_extrapolated": round(statistics.median(cpus) * scale),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--city", action="store_true", help="only the city-scale tier (generated streets)"
    )
    args = ap.parse_args()
    load_start = os.getloadavg()
    data = locate_shared_data()
    if data is None:
        raise SystemExit("shared data not found")
    if args.city:
        with contextlib.redirect_stdout(sys.stderr):
            city = city_tier(args.repeat, args.workers)
        city["loadavg_start"] = load_start
        city["loadavg_end"] = os.getloadavg()
        city["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(city, indent=1))
        return
    with tempfile.TemporaryDirectory() as tmp:
        pack = Path(tmp) / "downtown.gpkg"
        _pack(data, pack)
        policy = builtin_policy()
        inputs = load_inputs(policy=policy, data=pack)
        checker = build_checker(inputs, policy=policy)
        streets = _streets(inputs.streets, checker.projector)
        lenses = [
            Lens("flock_falcon", 20.0, 25.0, ("plate_read", "vehicle_fingerprint")),
            Lens("flock_falcon_lr", 14.0, 76.0, ("plate_read", "vehicle_fingerprint")),
        ]
        build: list[float] = []
        build_cpu: list[float] = []
        proposer = None
        for _ in range(args.repeat):
            c0 = _cpu()
            t = time.perf_counter()
            proposer = Proposer(checker, streets, lenses, CandidateParams(), workers=args.workers)
            build.append(time.perf_counter() - t)
            build_cpu.append(_cpu() - c0)
        assert proposer is not None
        sets, w = proposer.sets, proposer.approaches.weight
        budgets = {}
        for n in BUDGETS:
            runs = [solve_max_cover(sets, w, n, time_limit=60) for _ in range(args.repeat)]
            budgets[str(n)] = {
                "seconds": round(statistics.median(r.seconds for r in runs), 4),
                "objective": runs[0].objective,
                "gap": runs[0].gap,
                "optimal": all(r.optimal for r in runs),
            }
        cover_runs = [solve_set_cover(sets, len(w), time_limit=60) for _ in range(args.repeat)]
        fewest = int(cover_runs[0].objective)
        curve_s: list[float] = []
        curve: list[float] = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            curve = [
                solve_max_cover(sets, w, n, time_limit=60).objective for n in range(1, fewest + 1)
            ]
            curve_s.append(time.perf_counter() - t)
        # Lock the first camera of the 50-camera answer and solve again.
        res = proposer.solve(cameras=50)
        locked = [res.cameras[0].camera]
        relock = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            again = proposer.solve(cameras=49, fixed=locked)
            relock.append(time.perf_counter() - t)
        st = proposer.stats
        out = {
            "data": "downtown San José: sj_downtown_drive.graphml, sj_buildings_downtown.gpkg, "
            "sj_sensitive_sites.geojson",
            "lenses": [lens.model for lens in lenses],
            "workers": args.workers,
            "repeat": args.repeat,
            "approaches": st.approaches,
            "readable_approaches": st.readable_approaches,
            "positions": st.positions,
            "candidates": st.candidates,
            "legal": st.legal,
            "reading_poses": st.reading_poses,
            "distinct_sets": st.distinct_sets,
            "maximal_sets": st.maximal_sets,
            "candidates_legality_s_median": round(statistics.median(build), 2),
            "candidates_legality_s_runs": [round(b, 2) for b in build],
            # CPU seconds of this process and its workers: what the load average cannot inflate
            "candidates_legality_cpu_s_median": round(statistics.median(build_cpu), 2),
            "budgets": budgets,
            "cover_all": {
                "cameras": fewest,
                "seconds": round(statistics.median(r.seconds for r in cover_runs), 4),
                "optimal": all(r.optimal for r in cover_runs),
            },
            "curve": {
                "points": len(curve),
                "seconds_median": round(statistics.median(curve_s), 3),
                "weight": curve,
            },
            "relock_one_camera_s_median": round(statistics.median(relock), 4),
            "relock_objective": again.solution.objective,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "peak_rss_children_mb": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
            ),
            "loadavg_start": load_start,
            "loadavg_end": os.getloadavg(),
        }
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
