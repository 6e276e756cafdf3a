"""Checker benchmark on the real citywide buildings; prints one JSON object.

Inputs: the real 324,221 City of San José building footprints, the real downtown
drivable network (for realistic poses), and 2,000 GENERATED sites spread over the
real city limits (real citywide sensitive-site tags do not exist in OSM; see
../shared/data/README.md). The zipped GeoPackage is extracted once into a cache
folder, as a data pack would hold it; ``buildings_zip_load_s`` reports the cost of
reading the zip directly.

Targets (issue 2): recheck median <= 1.5 ms, p95 <= 4 ms; full check of 500 cameras
<= 0.5 s after loading; buildings load and index <= 3 s.

Run: ``.venv/bin/python benchmarks/check_bench.py [--poses 1000] [--skip-zip]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
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
from planner.io.buildings import read_buildings  # noqa: E402
from planner.io.loader import read_streets_file  # noqa: E402
from planner.io.policy import builtin_policy  # noqa: E402
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--poses", type=int, default=1000)
    ap.add_argument("--skip-zip", action="store_true", help="do not time reading the zip directly")
    args = ap.parse_args()
    data = locate_shared_data()
    if data is None:
        sys.exit("error: ../shared/data not found (set SITING_SHARED_DATA)")
    policy = builtin_policy()
    projector = Projector.from_crs(32610)
    gpkg = cached_buildings_gpkg(data)

    zip_s = None
    if not args.skip_zip:
        t = time.perf_counter()
        read_buildings(data / "sj_buildings_city_all.gpkg.zip")
        zip_s = time.perf_counter() - t

    t0 = time.perf_counter()
    layer = read_buildings(gpkg)
    t_read = time.perf_counter()
    buildings = BuildingIndex.from_geometries(layer.geoms, projector=projector, validate=False)
    t_index = time.perf_counter()
    validate_t = time.perf_counter()
    invalid = int((~shapely.is_valid(layer.geoms)).sum())
    validate_s = time.perf_counter() - validate_t

    from planner.io.sites import read_sites

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
    t = time.perf_counter()
    full = checker.check_cameras(city_cams)
    full_s = time.perf_counter() - t

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
                "buildings_load_s": round(t_index - t0, 3),
                "buildings_read_s": round(t_read - t0, 3),
                "buildings_index_s": round(t_index - t_read, 3),
                "buildings_validate_s": round(validate_s, 3),
                "buildings_invalid": invalid,
                "buildings_zip_load_s": None if zip_s is None else round(zip_s, 3),
                "checker_build_s": round(checker_build_s, 3),
                "recheck_median_ms": round(float(np.median(times_ms)), 3),
                "recheck_p95_ms": round(float(np.percentile(times_ms, 95)), 3),
                "recheck_max_ms": round(float(times_ms.max()), 3),
                "recheck_statuses": statuses,
                "full_check_500_s": round(full_s, 3),
                "full_check_500_summary": full.summary(),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
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
