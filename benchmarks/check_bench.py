"""Checker benchmark on the real citywide buildings; prints one JSON object.

Inputs: the real 324,221 City of San José building footprints, the real downtown
drivable network (for realistic poses), and 2,000 GENERATED sites spread over the
real city limits (real citywide sensitive-site tags do not exist in OSM; see
../shared/data/README.md). The zipped GeoPackage is extracted once into a cache
folder, as a data pack would hold it; ``buildings_zip_load_s`` reports the cost of
reading the zip directly.

Targets (issue 2): recheck median <= 1.5 ms, p95 <= 4 ms; full check of 500 cameras
<= 0.5 s after loading; buildings load and index <= 3 s.

``cli`` figures (issue 7) time the ``siting-planner check`` command as a user runs it,
each in a fresh process, as medians of ``--runs`` runs interleaved so that both sides
of a ratio share the machine's load: a one-camera plan against the demo pack and
against a citywide pack (the real 324,221 buildings and 17 real sites, built once with
``siting-planner import`` into the cache folder); the pack's sha256 is part of every
check, ``first`` with an empty hash cache, the others with the digest remembered.
And a 50,000-camera plan (random poses over the real city limits) on the citywide
pack: wall time and peak memory of the process.

Run: ``.venv/bin/python benchmarks/check_bench.py [--poses 1000] [--skip-zip] [--runs 7]``
(``--cli-only`` skips the in-process figures, ``--skip-cli`` the command-line ones;
``--repeat 3`` loads and 500-camera checks, reported as medians).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.core.buildings import BuildingIndex  # noqa: E402
from planner.core.checker import Checker  # noqa: E402
from planner.core.crs import Projector  # noqa: E402
from planner.core.model import Camera, Entrance, Site  # noqa: E402
from planner.io.checking.loader import read_streets_file  # noqa: E402
from planner.io.formats.buildings import read_buildings  # noqa: E402
from planner.io.formats.policy import builtin_policy  # noqa: E402
from tests.shared_data import locate_shared_data  # noqa: E402

CACHE = Path(os.environ.get("SITING_BENCH_CACHE", Path.home() / ".cache" / "siting-planner-bench"))
CATEGORIES = ["place_of_worship", "abortion_provider", "consulate", "embassy"]


def cached_buildings_gpkg(data: Path) -> Path:
    """The citywide buildings GeoPackage, extracted once from the shared zip."""
    out = CACHE / "sj_buildings.gpkg"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(data / "sj_buildings_city_all.gpkg.zip") as zf:
            zf.extract("sj_buildings.gpkg", CACHE)
    return out


def generated_sites(data: Path, n: int, seed: int) -> list[Site]:
    """``n`` synthetic sites inside the real city limits, 0-2 entrances each."""
    import pyogrio

    limits = pyogrio.read_dataframe(data / "sj_city_limits_2016.geojson").to_crs(4326)
    city = shapely.union_all(limits.geometry.values)
    gen = np.random.default_rng(seed)
    minx, miny, maxx, maxy = city.bounds
    sites: list[Site] = []
    shapely.prepare(city)
    while len(sites) < n:
        lon, lat = gen.uniform(minx, maxx), gen.uniform(miny, maxy)
        if not shapely.contains_xy(city, lon, lat):
            continue
        sid = f"gen-{len(sites) + 1}"
        w, h = gen.uniform(0.0001, 0.0004, size=2)
        geom = shapely.box(lon - w, lat - h, lon + w, lat + h)
        k = int(gen.integers(0, 3))
        ents = tuple(
            Entrance(f"{sid}/e{j + 1}", sid, lon + gen.uniform(-w, w), lat - h) for j in range(k)
        )
        cat = CATEGORIES[int(gen.integers(len(CATEGORIES)))]
        sites.append(Site(sid, cat, geom, name=f"Generated {cat} {sid}", entrances=ents))
    return sites


CLI = [sys.executable, "-m", "planner", "check"]
# The same command, reporting its own peak memory: VmHWM belongs to the process image
# after exec, while ru_maxrss would include the benchmark process it was forked from.
CLI_HWM = [
    sys.executable,
    "-c",
    "import runpy, sys\n"
    "try:\n"
    "    runpy.run_module('planner', run_name='__main__', alter_sys=True)\n"
    "finally:\n"
    "    sys.stderr.write([x for x in open('/proc/self/status') if x.startswith('VmHWM')][0])\n",
    "check",
]


def city_pack(data: Path) -> Path:
    """The citywide data pack (real buildings and sites), imported once into the cache."""
    out = CACHE / "sj_city_pack.gpkg"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "planner",
                "import",
                str(data / "alpr_sanjose_osm_2025-10-04.geojson"),
                "--sites",
                str(data / "sj_sensitive_sites.geojson"),
                "--buildings",
                str(data / "sj_buildings_city_all.gpkg.zip"),
                "-o",
                str(out),
                "-q",
            ],
            check=True,
            capture_output=True,
        )
    return out


def write_plan(
    path: Path, cams: list[tuple[str, float, float, float | None, float, float]]
) -> None:
    feats = [
        {
            "type": "Feature",
            "id": cid,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"heading_deg": h, "fov_deg": fov, "range_m": rng},
        }
        for cid, lon, lat, h, fov, rng in cams
    ]
    meta = {"format": "siting-plan", "format_version": 1, "name": path.stem}
    path.write_text(
        json.dumps({"type": "FeatureCollection", "siting_plan": meta, "features": feats}),
        encoding="utf-8",
    )


def run_cli(
    args: list[str], env: dict[str, str], *, memory: bool = False
) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB, with ``memory``) and CPU seconds of one ``check``."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        [*(CLI_HWM if memory else CLI), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if memory else None,
        env=env,
    )
    err = proc.stderr.read().decode() if proc.stderr is not None else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        msg = f"check failed with exit {code}: {args} {err[-300:]}"
        raise RuntimeError(msg)
    hwm = [line.split()[1] for line in err.splitlines() if line.startswith("VmHWM")]
    peak = int(hwm[-1]) / 1024 if hwm else float("nan")
    return wall, peak, usage.ru_utime + usage.ru_stime


def cli_figures(data: Path, runs: int) -> dict:
    pack = city_pack(data)
    demo_pack = ROOT / "data" / "demo" / "demo.gpkg"
    tmp = Path(tempfile.mkdtemp(prefix="check-bench-"))
    demo_plan, city_plan, big_plan = tmp / "one_demo.json", tmp / "one_city.json", tmp / "big.json"
    write_plan(demo_plan, [("C-1", -121.9530861, 37.3472873, 270.0, 14.0, 76.0)])
    # One camera downtown, 40 m from a real place of worship.
    write_plan(city_plan, [("C-1", -121.8890, 37.3365, 200.0, 24.0, 45.0)])
    import pyogrio

    limits = pyogrio.read_dataframe(data / "sj_city_limits_2016.geojson").to_crs(4326)
    city = shapely.union_all(limits.geometry.values)
    shapely.prepare(city)
    gen = np.random.default_rng(5)
    minx, miny, maxx, maxy = city.bounds
    big: list[tuple[str, float, float, float | None, float, float]] = []
    while len(big) < 50_000:
        lon, lat = gen.uniform(minx, maxx), gen.uniform(miny, maxy)
        if shapely.contains_xy(city, lon, lat):
            heading = None if gen.uniform() < 0.03 else round(float(gen.uniform(0, 359.9)), 1)
            fov, rng = [(20, 25), (14, 76), (24, 23), (24, 45), (44, 20)][len(big) % 5]
            big.append((f"B{len(big)}", round(lon, 7), round(lat, 7), heading, fov, rng))
    write_plan(big_plan, big)
    env = dict(os.environ, SITING_PLANNER_CACHE_DIR=str(tmp / "cache"))
    first_city = run_cli([str(city_plan), "--data", str(pack)], env)[0]
    demo_s, city_s, demo_cpu, city_cpu = [], [], [], []
    for _ in range(runs):
        wall, _, cpu = run_cli([str(demo_plan), "--data", str(demo_pack)], env)
        demo_s.append(wall)
        demo_cpu.append(cpu)
        wall, _, cpu = run_cli([str(city_plan), "--data", str(pack)], env)
        city_s.append(wall)
        city_cpu.append(cpu)
    big_s, big_mb, big_cpu = [], [], []
    for _ in range(max(3, runs // 2)):
        wall, mb, cpu = run_cli(
            [str(big_plan), "--data", str(pack), "--format", "json"], env, memory=True
        )
        big_s.append(wall)
        big_mb.append(mb)
        big_cpu.append(cpu)
    nocache = dict(os.environ, SITING_PLANNER_CACHE_DIR="")
    city_nocache = [run_cli([str(city_plan), "--data", str(pack)], nocache)[0] for _ in range(3)]
    med = lambda v: round(float(np.median(v)), 3)  # noqa: E731
    return {
        "cli_runs": runs,
        "cli_pack_mb": round(pack.stat().st_size / 1e6, 1),
        "cli_one_camera_demo_s": med(demo_s),
        "cli_one_camera_demo_cpu_s": med(demo_cpu),
        "cli_one_camera_city_cpu_s": med(city_cpu),
        "cli_one_camera_city_s": med(city_s),
        "cli_one_camera_ratio": round(float(np.median(city_s) / np.median(demo_s)), 2),
        "cli_one_camera_city_first_s": round(first_city, 3),
        "cli_one_camera_city_no_hash_cache_s": med(city_nocache),
        "cli_50k_cameras_city_s": med(big_s),
        "cli_50k_cameras_city_cpu_s": med(big_cpu),
        "cli_50k_cameras_city_peak_rss_mb": round(float(max(big_mb)), 1),
        "cli_load_average": round(os.getloadavg()[0], 1),
        "cli_targets": {
            "cli_one_camera_demo_s": 0.6,
            "cli_one_camera_ratio": 1.3,
            "cli_50k_cameras_city_s": 8.0,
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--poses", type=int, default=1000)
    ap.add_argument("--skip-zip", action="store_true", help="do not time reading the zip directly")
    ap.add_argument("--runs", type=int, default=7, help="runs per command-line figure")
    ap.add_argument("--cli-only", action="store_true", help="only the command-line figures")
    ap.add_argument("--skip-cli", action="store_true", help="only the in-process figures")
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="buildings loads and 500-camera checks to time (the median is reported)",
    )
    args = ap.parse_args()
    data = locate_shared_data()
    if data is None:
        sys.exit("error: ../shared/data not found (set SITING_SHARED_DATA)")
    cli = {} if args.skip_cli else cli_figures(data, args.runs)
    if args.cli_only:
        print(json.dumps({"benchmark": "check_bench", **cli}, indent=2))
        return
    med = lambda v: round(float(np.median(v)), 3)  # noqa: E731
    policy = builtin_policy()
    projector = Projector.from_crs(32610)
    gpkg = cached_buildings_gpkg(data)

    zip_s = None
    if not args.skip_zip:
        t = time.perf_counter()
        read_buildings(data / "sj_buildings_city_all.gpkg.zip")
        zip_s = time.perf_counter() - t

    # Medians of --repeat loads, never the best one (the per-run lists are printed).
    read_runs, index_runs = [], []
    for _ in range(max(1, args.repeat)):
        layer = buildings = None  # free the previous run's copy outside the timed part
        t0 = time.perf_counter()
        layer = read_buildings(gpkg)
        t_read = time.perf_counter()
        buildings = BuildingIndex.from_geometries(layer.geoms, projector=projector, validate=False)
        t_index = time.perf_counter()
        read_runs.append(t_read - t0)
        index_runs.append(t_index - t_read)
    load_runs = [r + i for r, i in zip(read_runs, index_runs, strict=True)]
    validate_t = time.perf_counter()
    invalid = int((~shapely.is_valid(layer.geoms)).sum())
    validate_s = time.perf_counter() - validate_t

    from planner.io.formats.sites import read_sites

    # 2,000 generated sites plus the 17 real ones, which sit downtown where the poses are.
    sites = generated_sites(data, 2000, seed=1) + read_sites(
        data / "sj_sensitive_sites.geojson", policy=policy
    )
    streets_df = read_streets_file(data / "sj_downtown_drive.graphml")
    from planner.core.streets import StreetNetwork

    streets = StreetNetwork.from_geometries(
        np.asarray(streets_df.geometry.values, dtype=object), projector=projector
    )
    t = time.perf_counter()
    checker = Checker(
        policy=policy, sites=sites, projector=projector, buildings=buildings, streets=streets
    )
    checker_build_s = time.perf_counter() - t

    # 1,000 random poses along the real downtown streets, catalogue-like fov/range.
    gen = np.random.default_rng(7)
    lines = streets.lines
    poses = []
    for i in range(args.poses):
        line = lines[gen.integers(len(lines))]
        p = line.interpolate(gen.uniform(0, line.length))
        lon, lat = projector.lonlat(p.x, p.y)
        fov, rng = [(20, 25), (14, 76), (24, 23), (24, 45), (44, 20)][i % 5]
        poses.append(Camera(f"P{i}", lon, lat, float(gen.uniform(0, 360)), float(fov), float(rng)))
    times = []
    statuses: dict[str, int] = {}
    for cam in poses:
        t = time.perf_counter()
        res = checker.check_camera(cam, with_geometry=True)
        times.append(time.perf_counter() - t)
        statuses[str(res.status)] = statuses.get(str(res.status), 0) + 1
    times_ms = np.asarray(times) * 1e3

    # 500 cameras spread over the whole city.
    city_cams = []
    for i, s in enumerate(gen.choice(len(sites), 500, replace=False)):
        c = sites[int(s)].geometry.centroid
        lon = c.x + gen.uniform(-0.003, 0.003)
        lat = c.y + gen.uniform(-0.003, 0.003)
        city_cams.append(Camera(f"K{i}", lon, lat, float(gen.uniform(0, 360)), 24.0, 45.0))
    full_runs = []
    for _ in range(max(1, args.repeat)):
        t = time.perf_counter()
        full = checker.check_cameras(city_cams)
        full_runs.append(time.perf_counter() - t)

    print(
        json.dumps(
            {
                "benchmark": "check_bench",
                "inputs": {
                    "buildings": len(buildings),
                    "buildings_source": "real: sj_buildings_city_all.gpkg.zip (extracted once)",
                    "sites": len(sites),
                    "sites_source": (
                        "2,000 generated inside the real 2016 city limits (seed 1) + 17 real"
                    ),
                    "poses": len(poses),
                    "poses_source": "random points on the real downtown drive network",
                },
                "aggregate": (
                    "recheck: median and 95th percentile over the poses, one pass; "
                    "others: median of --repeat runs"
                ),
                "buildings_load_s": med(load_runs),
                "buildings_load_runs_s": [round(x, 3) for x in load_runs],
                "buildings_read_s": med(read_runs),
                "buildings_index_s": med(index_runs),
                "buildings_validate_s": round(validate_s, 3),
                "buildings_invalid": invalid,
                "buildings_zip_load_s": None if zip_s is None else round(zip_s, 3),
                "checker_build_s": round(checker_build_s, 3),
                "recheck_median_ms": round(float(np.median(times_ms)), 3),
                "recheck_p95_ms": round(float(np.percentile(times_ms, 95)), 3),
                "recheck_max_ms": round(float(times_ms.max()), 3),
                "recheck_statuses": statuses,
                "full_check_500_s": med(full_runs),
                "full_check_500_runs_s": [round(x, 4) for x in full_runs],
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "full_check_500_summary": full.summary(),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                **cli,
                "targets": {
                    "recheck_median_ms": 1.5,
                    "recheck_p95_ms": 4.0,
                    "full_check_500_s": 0.5,
                    "buildings_load_s": 3.0,
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
