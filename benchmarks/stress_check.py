"""Real-data stress run: the checker against an independent ray sampler; prints JSON.

Cameras at random within 100 m of the 17 real sites (``sj_sensitive_sites.geojson``)
with random poses, among the real citywide building footprints (or the downtown
extract with ``--downtown``). Every camera-site pair is judged by the checker and by
``tests/ray_sampler.py`` (dense ray casting, no project code); pairs whose sampled
distance is within one sampling step of a threshold are counted apart. Each
disagreement is listed with both distances.

Run: ``.venv/bin/python benchmarks/stress_check.py [--cameras 3400] [--seed 1] [--downtown]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.core.buildings import BuildingIndex  # noqa: E402
from planner.core.checker import Checker  # noqa: E402
from planner.core.crs import Projector  # noqa: E402
from planner.io.formats.policy import builtin_policy  # noqa: E402
from planner.io.formats.sites import read_sites  # noqa: E402
from tests.shared_data import locate_shared_data  # noqa: E402
from tests.stress_support import compare, random_cameras  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cameras", type=int, default=3400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--downtown", action="store_true", help="downtown buildings only")
    args = ap.parse_args()
    data = locate_shared_data()
    if data is None:
        sys.exit("error: ../shared/data not found (set SITING_SHARED_DATA)")
    import pyogrio

    policy = builtin_policy()
    sites = read_sites(data / "sj_sensitive_sites.geojson", policy=policy)
    src = (
        str(data / "sj_buildings_downtown.gpkg")
        if args.downtown
        else f"/vsizip/{data / 'sj_buildings_city_all.gpkg.zip'}/sj_buildings.gpkg"
    )
    df = pyogrio.read_dataframe(src, layer="buildings", columns=[])
    proj = Projector.from_crs(32610)
    bidx = BuildingIndex.from_geometries(np.asarray(df.geometry.values), projector=proj)
    checker = Checker(policy=policy, sites=sites, projector=proj, buildings=bidx)
    cams = random_cameras(sites, args.cameras, seed=args.seed)
    t = time.perf_counter()
    outcome = compare(checker, cams, bidx.footprints.geometries())
    print(
        json.dumps(
            {
                "benchmark": "stress_check",
                "cameras": len(cams),
                "buildings": len(bidx),
                "buildings_source": "downtown extract" if args.downtown else "citywide",
                "pairs": dict(outcome.counts),
                "zero_area_parts": outcome.sliver_parts,
                "captures_with_overlap_below_0.01_m2": outcome.tiny_overlaps,
                "near_distance_errors": outcome.distance_errors,
                "within_1_cm_of_a_threshold": outcome.borderline,
                "disagreements": [
                    {
                        **{k: v for k, v in d.items() if k != "camera"},
                        "camera": {
                            "lon": d["camera"].lon,
                            "lat": d["camera"].lat,
                            "heading_deg": d["camera"].heading_deg,
                            "fov_deg": d["camera"].fov_deg,
                            "range_m": d["camera"].range_m,
                        },
                    }
                    for d in outcome.disagreements
                ],
                "seconds": round(time.perf_counter() - t, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
