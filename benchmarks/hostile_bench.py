"""How long the planner takes to refuse or repair hostile inputs (JSON on stdout).

Each figure is the median of ``--repeat`` runs, in seconds:

- ``tangled_site_20000``: a random 20,000-vertex self-intersecting site polygon
  protected by its convex hull (``make_valid`` would need hours);
- ``site_100000_refused``: the 100,000-vertex site refused past the vertex limit;
- ``bz2_bomb_refused``: a 300-byte ``.osm.bz2`` holding one 200 MB tag, refused
  at the tag-length bound (8 MiB without a ``>``);
- ``bz2_flood_refused``: a few-KB ``.osm.bz2`` expanding to 100 MB of valid nodes,
  refused past the decompression allowance (16 MiB for so small a file);
- ``directions_200000_refused``: a camera tag with 200,000 direction values;
- ``json_depth_995_refused``: a plan with 995 levels of nesting;
- ``plan_label_2000000_refused``: a plan with one 2,000,000-character label, refused
  at the field bound (a PDF report of it took over 120 s before the bound);
- ``mbtiles_recursive_view_refused``: an MBTiles whose ``metadata`` is a recursive
  view (33 s and 3.6 GB on the GUI thread before the check);
- ``pmtiles_metadata_bomb_refused``: a PMTiles whose metadata gunzips to 64 MB;
- ``decide_20_concurrent``: 20 ``review --decide`` processes started at one instant
  on one plan (wall time of the whole set) and ``decide_20_kept``, the decisions
  the plan holds afterwards (all 20: the plan lock serialises the writers).

Run: ``.venv/bin/python benchmarks/hostile_bench.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import bz2
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely

from planner.core.errors import InputError

# the PMTiles builder of the tests (run from anywhere)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4)


def _refused(fn: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            fn()
        except (InputError, ValueError):
            return
        msg = "expected a refusal"
        raise AssertionError(msg)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from planner.io.formats.site_geometry import protect_site_geometry
    from planner.io.openstreetmap.directions import parse_direction
    from planner.io.openstreetmap.xml_reader import read_osm_xml
    from planner.io.safety.common import parse_json

    rng = np.random.default_rng(0)
    xy = rng.random((20_000, 2)) * 0.01
    tangled = shapely.Polygon(np.vstack([xy, xy[:1]]))
    xy = rng.random((100_000, 2)) * 0.01
    huge = shapely.Polygon(np.vstack([xy, xy[:1]]))
    out: dict[str, float | int] = {"repeat": args.repeat}
    out["tangled_site_20000"] = _median(
        lambda: protect_site_geometry(tangled, "f", "s", []), args.repeat
    )
    out["site_100000_refused"] = _median(
        _refused(lambda: protect_site_geometry(huge, "f", "s", [])), args.repeat
    )
    with tempfile.TemporaryDirectory() as tmp:
        bomb = Path(tmp) / "bomb.osm.bz2"
        with bz2.open(bomb, "wb") as fh:
            fh.write(b'<osm version="0.6"><node id="1" lat="37.33" lon="-121.89"><tag k="a" v="')
            for _ in range(200):
                fh.write(b"a" * (1 << 20))
            fh.write(b'"/></node></osm>')
        out["bz2_bomb_bytes"] = bomb.stat().st_size
        out["bz2_bomb_refused"] = _median(_refused(lambda: read_osm_xml(bomb)), args.repeat)
        flood = Path(tmp) / "flood.osm.bz2"
        node = b'<node id="1" lat="37.33" lon="-121.89"/>\n'
        with bz2.open(flood, "wb") as fh:
            fh.write(b'<osm version="0.6">')
            chunk = node * ((1 << 20) // len(node))
            for _ in range(100):
                fh.write(chunk)
            fh.write(b"</osm>")
        out["bz2_flood_bytes"] = flood.stat().st_size
        out["bz2_flood_refused"] = _median(_refused(lambda: read_osm_xml(flood)), args.repeat)
    direction = ";".join(["90"] * 200_000)
    out["directions_200000_refused"] = _median(
        _refused(lambda: parse_direction(direction)), args.repeat
    )
    deep = b'{"a": ' + b"[" * 995 + b"]" * 995 + b"}"
    out["json_depth_995_refused"] = _median(_refused(lambda: parse_json(deep, "p")), args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        out.update(_round_two(Path(tmp), args.repeat))
    print(json.dumps(out, indent=1))


def _plan(cameras: int, *, label: str = "") -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "siting_plan": {"format": "siting-plan", "format_version": 1, "name": "bench"},
        "features": [
            {
                "type": "Feature",
                "id": f"C-{i}",
                "geometry": {"type": "Point", "coordinates": [-121.89 + i * 4e-4, 37.33]},
                "properties": {"heading_deg": 90, "fov_deg": 40, "range_m": 60, "label": label},
            }
            for i in range(cameras)
        ],
    }


def _decide(plan: str, sites: str, i: int, go: object) -> None:
    import contextlib
    import io

    from planner.cli import main

    go.wait()  # type: ignore[attr-defined]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["review", plan, "--sites", sites, "--reviewer", f"R{i}", "--decide", f"C-{i}=reject"])


def _round_two(tmp: Path, repeat: int) -> dict[str, float | int]:
    import gzip
    import multiprocessing
    import sqlite3

    from planner.app.map.basemap import source_for_file
    from planner.io.formats.plan import read_plan
    from tests.test_hostile_tiles import pmtiles

    out: dict[str, float | int] = {}
    big = tmp / "big.plan.geojson"
    big.write_text(json.dumps(_plan(1, label="W" * 2_000_000)), encoding="utf-8")
    out["plan_label_2000000_refused"] = _median(_refused(lambda: read_plan(big)), repeat)
    view = tmp / "view.mbtiles"
    con = sqlite3.connect(view)
    con.executescript(
        "CREATE VIEW metadata AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)"
        " SELECT 'k' || n AS name, hex(randomblob(1000)) AS value FROM r;"
        "CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data);"
    )
    con.close()
    out["mbtiles_recursive_view_refused"] = _median(_refused(lambda: source_for_file(view)), repeat)
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    pm = pmtiles(tmp / "bomb.pmtiles", tile=b"x", metadata=bomb)
    out["pmtiles_metadata_bomb_bytes"] = pm.stat().st_size
    out["pmtiles_metadata_bomb_refused"] = _median(_refused(lambda: source_for_file(pm)), repeat)
    sites = tmp / "sites.geojson"
    church = {
        "type": "Feature",
        "properties": {"id": "w", "category": "place_of_worship"},
        "geometry": {"type": "Point", "coordinates": [-121.80, 37.40]},
    }
    sites.write_text(
        json.dumps({"type": "FeatureCollection", "features": [church]}), encoding="utf-8"
    )
    times, kept = [], 0
    ctx = multiprocessing.get_context("fork")
    for _ in range(repeat):
        plan = tmp / "race.plan.geojson"
        plan.write_text(json.dumps(_plan(20)), encoding="utf-8")
        go = ctx.Event()
        procs = [
            ctx.Process(target=_decide, args=(str(plan), str(sites), i, go)) for i in range(20)
        ]
        for p in procs:
            p.start()
        started = time.perf_counter()
        go.set()
        for p in procs:
            p.join()
        times.append(time.perf_counter() - started)
        doc = json.loads(plan.read_text(encoding="utf-8"))
        kept = len(doc["siting_plan"].get("review", {}).get("decisions", []))
    out["decide_20_concurrent"] = round(statistics.median(times), 4)
    out["decide_20_kept"] = kept
    return out


if __name__ == "__main__":
    main()
