"""Proposals on real downtown San José data: candidates, legality and solves (SPEC 9).

Builds a data pack from ``sj_downtown_drive.graphml``, ``sj_buildings_downtown.gpkg``
and ``sj_sensitive_sites.geojson`` (shared data), then measures, as medians of
``--repeat`` runs: candidates + legality seconds (2 worker processes), the MILP for
budgets 10 ... 400, the whole curve 1 ... cover-all, re-optimising after locking one
camera, and peak memory. Prints one JSON object.

``--city`` runs the city-scale tier instead, once: pack_bench.py's GENERATED
street network of San José size with the real citywide buildings and generated
sites, candidates over the whole city (or ``--city-box-m`` around downtown), then
greedy and the exact MILP for a few budgets and the exact set cover.

    .venv/bin/python benchmarks/propose_bench.py [--repeat 3]
    .venv/bin/python benchmarks/propose_bench.py --city [--city-box-m 2000]
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

import numpy as np

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
#: City tier: budgets solved (greedy, then exact).
CITY_BUDGETS = (10, 100, 1000)
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


def _peak_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest finished child."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mb": round(me, 1), "peak_rss_children_mb": round(kids, 1)}


def _city_inputs() -> tuple[object, object, float, float]:
    """The generated city's checker and streets (pack_bench.py's pack, cached)."""
    from benchmarks.pack_bench import cache_dir, prepare
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
    return checker, streets, prepare_s, time.perf_counter() - t


def _city_solves(proposer: Proposer) -> dict:
    """Greedy and the exact MILP for a few budgets, and the exact set cover."""
    from planner.propose.solve import greedy_max_cover

    sets, w = proposer.sets, proposer.approaches.weight
    out: dict = {}
    for n in CITY_BUDGETS:
        t = time.perf_counter()
        pick = greedy_max_cover(sets, w, n)
        greedy_s = time.perf_counter() - t
        greedy = float(w[np.unique(np.concatenate([sets[i] for i in pick]))].sum()) if pick else 0.0
        sol = solve_max_cover(sets, w, n, time_limit=300, start=pick)
        out[str(n)] = {
            "greedy_objective": greedy,
            "greedy_s": round(greedy_s, 3),
            "objective": sol.objective,
            "bound": sol.bound,
            "gap": sol.gap,
            "optimal": sol.optimal,
            "seconds": round(sol.seconds, 3),
        }
    cover = solve_set_cover(sets, len(w), time_limit=300)
    out["cover_all"] = {
        "cameras": cover.objective,
        "bound": cover.bound,
        "optimal": cover.optimal,
        "seconds": round(cover.seconds, 3),
    }
    return out


def city_tier(box_m: float, workers: int) -> dict:
    """Generated San José-size streets, real citywide buildings, generated sites; one run.

    The pack is pack_bench.py's (cached). ``box_m`` > 0 limits the candidates to a
    square of that side around downtown; 0 runs the whole generated city.
    """
    import shapely

    checker, streets, prepare_s, load_s = _city_inputs()
    box = None
    if box_m > 0:
        cx, cy = checker.projector.point(*CITY_CENTRE)  # type: ignore[attr-defined]
        half = box_m / 2
        box = shapely.box(cx - half, cy - half, cx + half, cy + half)
    lenses = [
        Lens("flock_falcon", 20.0, 25.0, ("plate_read", "vehicle_fingerprint")),
        Lens("flock_falcon_lr", 14.0, 76.0, ("plate_read", "vehicle_fingerprint")),
    ]
    c0, t = _cpu(), time.perf_counter()
    marks = iter(np.arange(0.05, 1.0001, 0.05))
    next_mark = [next(marks)]

    def progress(stage: str, fraction: float) -> None:
        # On stderr as it goes: a run stopped early still says how far it got.
        if fraction + 1e-9 >= next_mark[0]:
            wall = time.perf_counter() - t
            print(f"{stage} {fraction:.0%} after {wall:.0f} s", file=sys.stderr, flush=True)
            next_mark[0] = next(marks, 2.0)

    proposer = Proposer(checker, streets, lenses, targets=box, workers=workers, progress=progress)  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - t, _cpu() - c0
    st = proposer.stats
    area = "the WHOLE generated city" if box is None else f"a {box_m:g} m box around downtown"
    return {
        "label": "GENERATED street network (pack_bench.py: 40,000 nodes, 159,200 directed "
        "edges over San José's extent), REAL citywide buildings (324,221), 2,000 generated "
        f"sites; candidates over {area}",
        "box_m": box_m or None,
        "workers": workers,
        "prepare_s": round(prepare_s, 1),
        "load_s": round(load_s, 2),
        "approaches": st.approaches,
        "readable_approaches": st.readable_approaches,
        "positions": st.positions,
        "candidates": st.candidates,
        "legal": st.legal,
        "reading_poses": st.reading_poses,
        "distinct_sets": st.distinct_sets,
        "maximal_sets": st.maximal_sets,
        "stage_s": {k: round(v, 2) for k, v in st.seconds.items()},
        "proposer_wall_s": round(wall, 1),
        "proposer_cpu_s": round(cpu, 1),
        "solves": _city_solves(proposer),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--city", action="store_true", help="only the city-scale tier (generated streets)"
    )
    ap.add_argument(
        "--city-box-m",
        type=float,
        default=0.0,
        help="city tier: candidates in a square of this side (m) around downtown; 0: whole city",
    )
    args = ap.parse_args()
    load_start = os.getloadavg()
    data = locate_shared_data()
    if data is None:
        raise SystemExit("shared data not found")
    if args.city:
        with contextlib.redirect_stdout(sys.stderr):
            city = city_tier(args.city_box_m, args.workers)
        city["loadavg_start"] = load_start
        city["loadavg_end"] = os.getloadavg()
        city.update(_peak_mb())
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
