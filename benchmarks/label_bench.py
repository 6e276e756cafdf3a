"""Map label placement on the real San José pack: cost per placement and per frame.

``python benchmarks/label_bench.py [--repeat N]`` opens the planner window offscreen on
the README's real pack (363 existing cameras, 4 unverified clinics, the ten council
districts, downtown streets; built once by ``render_bench.city_pack``) and prints JSON:
for the whole city, a city zoom downtown and two street zooms, the median of ``N``
repaints that place every label again (camera labels, site names, "? unverified" tags,
street and district names, around every symbol) against the median of ``N`` repaints
that reuse the placement, and what was drawn.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from render_bench import city_pack  # noqa: E402

DOWNTOWN = (-121.8880, 37.3355)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    paths = city_pack()
    if paths is None:
        print(json.dumps({"error": "shared data not found"}))
        return 1
    pack, plan = paths
    from planner.app.shell.main import _application, _screenshot_prompter, create_window

    app = _application()
    win = create_window(prompter=_screenshot_prompter())
    win.resize(1500, 950)  # type: ignore[attr-defined]
    win.show()  # type: ignore[attr-defined]
    app.processEvents()
    win.load(plan_path=plan, pack=pack, wait=True)  # type: ignore[attr-defined]
    win.wait_idle()  # type: ignore[attr-defined]
    canvas = win.canvas  # type: ignore[attr-defined]
    canvas.set_synchronous(True)
    x, y = win.doc.projector.point(*DOWNTOWN)  # type: ignore[attr-defined]
    out: dict[str, object] = {}

    def measure(name: str) -> None:
        canvas.wait_for_tiles(120_000)
        canvas.viewport().repaint()
        placing, reusing = [], []
        for _ in range(args.repeat):
            canvas.invalidate_labels()
            t0 = time.perf_counter()
            canvas.viewport().repaint()
            placing.append((time.perf_counter() - t0) * 1000.0)
            t0 = time.perf_counter()
            canvas.viewport().repaint()
            reusing.append((time.perf_counter() - t0) * 1000.0)
        roles = Counter(label.role for label in canvas.drawn_labels)
        roles["street"] = len(canvas.street_labels_drawn)
        out[name] = {
            "m_per_px": round(canvas.resolution(), 2),
            "repaint_placing_median_ms": round(statistics.median(placing), 2),
            "repaint_reusing_median_ms": round(statistics.median(reusing), 2),
            "symbols_avoided": len(canvas.label_obstacles()),
            "labels_drawn": dict(sorted(roles.items())),
        }

    win.zoom_to_fit()  # type: ignore[attr-defined]
    measure("whole_city")
    for name, level in (("city_zoom", 8), ("street_zoom", 3), ("street_zoom_close", 0)):
        canvas.set_level(level)
        canvas.center_on(x, y)
        measure(name)
    out["repeat"] = args.repeat
    out["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, indent=1))
    win.doc.undo_stack.setClean()  # type: ignore[attr-defined]
    win.close()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
