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
- ``json_depth_995_refused``: a plan with 995 levels of nesting.

Run: ``.venv/bin/python benchmarks/hostile_bench.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import bz2
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely

from planner.core.errors import InputError


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
    from planner.io.common import parse_json
    from planner.io.directions import parse_direction
    from planner.io.osm_xml import read_osm_xml
    from planner.io.site_geometry import protect_site_geometry

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
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
