"""Data-pack load time versus osmnx GraphML, at San José scale. Prints one JSON object.

The pack holds a GENERATED street network of San José size (a jittered 200 x 200
grid over the city's extent: 40,000 nodes, 159,200 directed edges; the real
citywide network is not in the shared data), the REAL 324,221 citywide building
footprints from ``sj_buildings_city_all.gpkg.zip``, 2,000 generated sites (points
and polygons, half with entrances) and 480 generated existing cameras.
``graphml_load_s`` is :func:`osmnx.load_graphml` of the same generated streets,
saved by :func:`osmnx.save_graphml`, timed in the same run. ``pack_load_s`` is the load the
app and ``check`` do (:func:`planner.io.checking.loader.load_inputs`: SQLite and numpy, no pandas);
``read_pack_frames_median_s`` is :func:`planner.io.datapack.store.read_pack` (GeoDataFrames), which
``import`` uses. Every figure is the MEDIAN of
its runs (the per-run lists are printed too); ``*_with_sha256`` adds the pack's sha256,
which ``check --data`` computes when its digest cache does not know the file; the
plain figures are loads with the digest remembered, as a repeated check pays them.

Generated inputs are cached in ``~/.cache/siting-planner-bench/`` (override with
``SITING_BENCH_CACHE``), never in the repository.

    .venv/bin/python benchmarks/pack_bench.py [--repeat 3] [--graphml-repeat 1]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.io.checking.loader import load_inputs
from planner.io.datapack.gis_layers import read_building_layer
from planner.io.datapack.store import read_pack, write_pack
from planner.io.formats.policy import builtin_policy
from planner.io.safety.common import sha256_file
from tests.shared_data import locate_shared_data

GENERATOR_VERSION = 2
GRID = 200  # nodes per side: 40,000 nodes, 2 * 2 * 200 * 199 = 159,200 directed edges
# San José's extent (the city building layer's bounds).
WEST, SOUTH, EAST, NORTH = -122.034, 37.144, -121.664, 37.459
N_SITES = 2000
N_CAMERAS = 480
CATEGORIES = ("place_of_worship", "abortion_provider", "consulate", "embassy")
HIGHWAYS = ("residential", "residential", "residential", "tertiary", "secondary", "primary")


def cache_dir() -> Path:
    path = Path(
        os.environ.get("SITING_BENCH_CACHE", Path.home() / ".cache" / "siting-planner-bench")
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def generated_graph(seed: int = 1) -> nx.MultiDiGraph:
    """A jittered grid street graph in osmnx's form (node x/y, edge geometry and attributes)."""
    rng = np.random.default_rng(seed)
    xs = np.linspace(WEST, EAST, GRID)
    ys = np.linspace(SOUTH, NORTH, GRID)
    dx, dy = (EAST - WEST) / GRID, (NORTH - SOUTH) / GRID
    g = nx.MultiDiGraph(crs="epsg:4326", created_with="siting-planner pack_bench (generated)")
    pos = {}
    for i in range(GRID):
        for j in range(GRID):
            nid = i * GRID + j + 1
            x = float(xs[j] + rng.uniform(-0.2, 0.2) * dx)
            y = float(ys[i] + rng.uniform(-0.2, 0.2) * dy)
            pos[nid] = (x, y)
            g.add_node(nid, x=x, y=y, street_count=4)
    way = 0
    for i in range(GRID):
        for j in range(GRID):
            a = i * GRID + j + 1
            for b in ((a + 1) if j + 1 < GRID else None, (a + GRID) if i + 1 < GRID else None):
                if b is None:
                    continue
                way += 1
                (x1, y1), (x2, y2) = pos[a], pos[b]
                # A bend in the middle, as a simplified osmnx edge has.
                mx = (x1 + x2) / 2 + rng.uniform(-0.05, 0.05) * dx
                my = (y1 + y2) / 2 + rng.uniform(-0.05, 0.05) * dy
                hw = HIGHWAYS[int(rng.integers(len(HIGHWAYS)))]
                length = float(np.hypot((x2 - x1) * 88_600, (y2 - y1) * 111_000))
                attrs = {
                    "osmid": 10_000_000 + way,
                    "name": f"Street {way % 997}",
                    "highway": hw,
                    "lanes": "2" if hw == "residential" else "4",
                    "maxspeed": "25 mph" if hw == "residential" else "35 mph",
                    "oneway": False,
                    "length": round(length, 3),
                }
                fwd = shapely.LineString([(x1, y1), (mx, my), (x2, y2)])
                g.add_edge(a, b, key=0, reversed=False, geometry=fwd, **attrs)
                g.add_edge(b, a, key=0, reversed=True, geometry=fwd.reverse(), **attrs)
    return g


def streets_frame(g: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    rows = {
        k: []
        for k in (
            "u",
            "v",
            "key",
            "osmid",
            "name",
            "highway",
            "lanes",
            "oneway",
            "maxspeed",
            "length_m",
        )
    }
    geoms = []
    for u, v, k, d in g.edges(keys=True, data=True):
        rows["u"].append(u)
        rows["v"].append(v)
        rows["key"].append(k)
        rows["osmid"].append(str(d["osmid"]))
        rows["name"].append(d["name"])
        rows["highway"].append(d["highway"])
        rows["lanes"].append(d["lanes"])
        rows["oneway"].append(d["oneway"])
        rows["maxspeed"].append(d["maxspeed"])
        rows["length_m"].append(d["length"])
        geoms.append(d["geometry"])
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def generated_sites(seed: int = 2) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    srows, erows = [], []
    for n in range(N_SITES):
        lon, lat = rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH)
        sid = f"gen-site-{n + 1}"
        if n % 2:
            geom = shapely.box(lon, lat, lon + 0.0006, lat + 0.0005)
        else:
            geom = shapely.Point(lon, lat)
        srows.append(
            {
                "site_id": sid,
                "category": CATEGORIES[n % 4],
                "name": f"Generated site {n + 1}",
                "source": "pack_bench",
                "source_id": sid,
                "tags": {"generated": "yes"},
                "verified": bool(n % 5),
                "geometry": geom,
            }
        )
        if n % 2:
            erows.append(
                {
                    "entrance_id": f"{sid}/e1",
                    "site_id": sid,
                    "basis": "driveway",
                    "geometry": shapely.Point(lon + 0.0003, lat),
                }
            )
    return (
        gpd.GeoDataFrame(srows, geometry="geometry", crs="EPSG:4326"),
        gpd.GeoDataFrame(erows, geometry="geometry", crs="EPSG:4326"),
    )


def generated_cameras(seed: int = 3) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(N_CAMERAS):
        heading = float(rng.uniform(0, 360)) if n % 12 else np.nan
        rows.append(
            {
                "camera_id": f"gen-cam-{n + 1}",
                "heading_deg": heading,
                "fov_deg": 20.0,
                "range_m": 25.0,
                "brand": "Flock Safety",
                "direction_raw": None if np.isnan(heading) else f"{heading:.0f}",
                "operator": "",
                "source_id": f"gen-cam-{n + 1}",
                "tags": {},
                "geometry": shapely.Point(rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH)),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def prepare(shared: Path, cache: Path) -> tuple[Path, Path, dict]:
    import osmnx as ox

    tag = f"v{GENERATOR_VERSION}-{GRID}"
    graphml = cache / f"streets-{tag}.graphml"
    pack = cache / f"citywide-{tag}.gpkg"
    if graphml.exists() and pack.exists():
        return graphml, pack, {"cached": True}
    t0 = time.perf_counter()
    g = generated_graph()
    ox.save_graphml(g, graphml)
    streets = streets_frame(g)
    buildings = read_building_layer(shared / "sj_buildings_city_all.gpkg.zip")
    sites, entrances = generated_sites()
    write_pack(
        pack,
        {
            "streets": streets,
            "buildings": buildings,
            "sites": sites,
            "entrances": entrances,
            "cameras_existing": generated_cameras(),
        },
        {
            "sources": [
                {"path": "sj_buildings_city_all.gpkg.zip", "kind": "buildings"},
                {"path": "benchmarks/pack_bench.py", "kind": "generated streets, sites, cameras"},
            ]
        },
    )
    return graphml, pack, {"cached": False, "prepare_s": round(time.perf_counter() - t0, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=3, help="pack loads to time (the median is reported)"
    )
    parser.add_argument(
        "--graphml-repeat",
        type=int,
        default=1,
        help="GraphML loads to time (the median is reported)",
    )
    args = parser.parse_args()
    shared = locate_shared_data()
    if shared is None or not (shared / "sj_buildings_city_all.gpkg.zip").exists():
        print(
            "error: ../shared/data/sj_buildings_city_all.gpkg.zip not found "
            "(set SITING_SHARED_DATA to the shared data folder)",
            file=sys.stderr,
        )
        return 2
    import osmnx as ox

    graphml, pack_path, prep = prepare(shared, cache_dir())
    # The load a user waits for: the app and ``check`` read a whole pack with
    # load_inputs (SQLite and numpy, no pandas; planner.io.datapack.query). It hashes the
    # file (SPEC 6) through the planner's digest cache and skips the geometry checks of
    # a pack it validated before (both kept in $SITING_PLANNER_CACHE_DIR). A private
    # cache folder, warmed by one untimed load, gives what a repeated open or
    # ``check --data`` pays; deleting the remembered digest gives what the first open
    # after the file changed pays. ``read_pack`` (GeoDataFrames, used by ``import``) is
    # timed too, once per repeat.
    planner_cache = Path(tempfile.mkdtemp(prefix="pack-bench-cache-"))
    os.environ["SITING_PLANNER_CACHE_DIR"] = str(planner_cache)
    policy = builtin_policy()

    def load() -> Any:
        return load_inputs(policy=policy, data=pack_path)

    pack = load()
    pack_times, with_sha_times, sha_times, frames_times = [], [], [], []
    for _ in range(max(1, args.repeat)):
        # Free the previous run's pack before timing, not inside the timed part.
        del pack
        gc.collect()
        t = time.perf_counter()
        pack = load()
        pack_times.append(time.perf_counter() - t)
        del pack
        gc.collect()
        (planner_cache / "sha256.json").unlink(missing_ok=True)
        t = time.perf_counter()
        pack = load()
        with_sha_times.append(time.perf_counter() - t)
        assert len(pack.layers[0].sha256) == 64
        # The hash alone: the difference of two loads is lost in their noise.
        t = time.perf_counter()
        sha256_file(pack_path)
        sha_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        frames = read_pack(pack_path)
        frames_times.append(time.perf_counter() - t)
        del frames
    shutil.rmtree(planner_cache, ignore_errors=True)
    graph_times = []
    graph = None
    for _ in range(max(1, args.graphml_repeat)):
        del graph
        gc.collect()
        t = time.perf_counter()
        graph = ox.load_graphml(graphml)
        graph_times.append(time.perf_counter() - t)
    try:
        import pyarrow

        arrow = pyarrow.__version__
    except ImportError:
        arrow = None
    # Medians, never the best run: what a user gets (issue 7). The per-run lists stay.
    pack_s = statistics.median(pack_times)
    with_sha_s = statistics.median(with_sha_times)
    graphml_s = statistics.median(graph_times)
    result = {
        "benchmark": "pack_bench",
        "aggregate": "median",
        "pack_load_s": round(pack_s, 3),
        "pack_load_median_s": round(pack_s, 3),
        "pack_load_runs_s": [round(t, 3) for t in pack_times],
        # sha256_file of the pack alone, timed apart (file in the page cache).
        "pack_sha256_s": round(statistics.median(sha_times), 3),
        "pack_sha256_runs_s": [round(t, 3) for t in sha_times],
        # What ``check --data`` pays when its digest cache does not know the file
        # (first check after the pack changed); later checks pay pack_load_s.
        "pack_load_with_sha256_median_s": round(with_sha_s, 3),
        # planner.io.datapack.store.read_pack (GeoDataFrames through pyogrio), what ``import`` uses
        "read_pack_frames_median_s": round(statistics.median(frames_times), 3),
        "read_pack_frames_runs_s": [round(t, 3) for t in frames_times],
        "pack_load_with_sha256_runs_s": [round(t, 3) for t in with_sha_times],
        "graphml_load_s": round(graphml_s, 3),
        "graphml_load_median_s": round(graphml_s, 3),
        "graphml_load_runs_s": [round(t, 3) for t in graph_times],
        "ratio": round(graphml_s / pack_s, 1),
        "ratio_median": round(graphml_s / pack_s, 1),
        "ratio_with_sha256_median": round(graphml_s / with_sha_s, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "target": {"pack_load_s_max": 2.0, "ratio_min": 20.0},
        "meets_target": bool(pack_s <= 2.0 and graphml_s / pack_s >= 20.0),
        "meets_target_with_sha256": bool(with_sha_s <= 2.0 and graphml_s / with_sha_s >= 20.0),
        "data": {
            "streets": "GENERATED San José-size network "
            "(jittered 200 x 200 grid over the city extent)",
            "street_nodes": graph.number_of_nodes(),
            "street_edges": len(pack.streets),
            "buildings": "REAL citywide footprints, sj_buildings_city_all.gpkg.zip",
            "building_count": len(pack.buildings),
            "sites": f"GENERATED ({len(pack.sites)}, half polygons, half with an entrance)",
            "site_count": len(pack.sites),
            "existing_cameras": len(pack.cameras_existing),
            "pack_bytes": pack_path.stat().st_size,
            "graphml_bytes": graphml.stat().st_size,
        },
        "prepare": prep,
        "env": {"python": platform.python_version(), "pyarrow": arrow, "cpus": os.cpu_count()},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
