"""Map rendering benchmark on a citywide dataset (issue 4, item 9). Prints ONE JSON object.

Data: the real 324,221 City of San José building footprints, plus a GENERATED street
network of San José size (about 40,000 nodes and 160,000 directed edges, both
directions of each street like an osmnx graph), because no citywide street network
is in the shared data. The generated network is cached under
``~/.cache/siting-planner-bench/``.

Run offscreen: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/render_bench.py``.
Each measurement is a function taking the shared context, so further ones
(``startup_demo_s``, ``drag_recheck_p95_ms``) can be added to ``MEASUREMENTS``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pyogrio  # noqa: E402
import shapely  # noqa: E402

from tests.shared_data import locate_shared_data  # noqa: E402

CACHE = Path.home() / ".cache" / "siting-planner-bench"
VIEW_W, VIEW_H = 1600, 1000
STREETS_VERSION = 1


def generated_streets(
    bounds: tuple[float, float, float, float], *, seed: int = 7
) -> gpd.GeoDataFrame:
    """A San José-size street grid over ``bounds`` (lon/lat), cached on disk.

    A 200 x 200 jittered, slightly rotated grid of nodes (40,000); each link in
    both directions gives about 160,000 directed edges. Every 10th line is an
    arterial (primary/secondary), every 5th a tertiary road, a few diagonals are
    motorways, the rest residential with some service roads.
    """
    path = CACHE / f"streets_generated_v{STREETS_VERSION}.npz"
    if path.is_file():
        data = np.load(path, allow_pickle=False)
        coords, highway, name = data["coords"], data["highway"], data["name"]
    else:
        rng = np.random.default_rng(seed)
        west, south, east, north = bounds
        n = 200
        u = np.linspace(0, 1, n)
        gx, gy = np.meshgrid(u, u)
        gx = gx + rng.normal(0, 0.0012, gx.shape)
        gy = gy + rng.normal(0, 0.0012, gy.shape)
        lon = west + gx * (east - west)
        lat = south + gy * (north - south)
        segs, kinds, names = [], [], []

        def kind(k: int) -> str:
            if k % 20 == 0:
                return "primary"
            if k % 10 == 0:
                return "secondary"
            if k % 5 == 0:
                return "tertiary"
            return "residential" if rng.random() > 0.08 else "service"

        for r in range(n):
            k = kind(r)
            for c in range(n - 1):
                segs.append(((lon[r, c], lat[r, c]), (lon[r, c + 1], lat[r, c + 1])))
                kinds.append(k)
                names.append(f"{r} Street")
        for c in range(n):
            k = kind(c)
            for r in range(n - 1):
                segs.append(((lon[r, c], lat[r, c]), (lon[r + 1, c], lat[r + 1, c])))
                kinds.append(k)
                names.append(f"{c} Avenue")
        for d in (40, 100, 160):
            for s in range(n - 1):
                r0, c0 = s, min(n - 1, max(0, d + s // 3 - 30))
                r1, c1 = s + 1, min(n - 1, max(0, d + (s + 1) // 3 - 30))
                segs.append(((lon[r0, c0], lat[r0, c0]), (lon[r1, c1], lat[r1, c1])))
                kinds.append("motorway")
                names.append(f"Highway {d}")
        fwd = np.array(segs, dtype=float)
        coords = np.concatenate([fwd, fwd[:, ::-1]])  # both directions, like osmnx
        highway = np.array(kinds * 2)
        name = np.array(names * 2)
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, coords=coords, highway=highway, name=name)
        tmp.replace(path)
    return gpd.GeoDataFrame(
        {"highway": highway, "name": name}, geometry=shapely.linestrings(coords), crs=4326
    )


def load_context() -> dict[str, Any]:
    """Read the buildings, generate the streets, build a canvas showing both."""
    from PySide6.QtWidgets import QApplication

    from planner.app.map.canvas import MapCanvas
    from planner.core.crs import Projector

    shared = locate_shared_data()
    if shared is None:
        msg = "shared data not found (../shared/data or SITING_SHARED_DATA)"
        raise SystemExit(msg)
    app = QApplication.instance() or QApplication([])
    ctx: dict[str, Any] = {"app": app, "timings": {}}
    t0 = time.perf_counter()
    zipped = shared / "sj_buildings_city_all.gpkg.zip"
    buildings = pyogrio.read_dataframe(
        f"/vsizip/{zipped}/sj_buildings.gpkg", layer="buildings", columns=[]
    )
    ctx["timings"]["read_buildings_s"] = time.perf_counter() - t0
    bounds = tuple(float(v) for v in buildings.total_bounds)
    t0 = time.perf_counter()
    streets = generated_streets(bounds)  # type: ignore[arg-type]
    ctx["timings"]["streets_generate_or_load_s"] = time.perf_counter() - t0
    projector = Projector.for_points([((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)])
    canvas = MapCanvas(projector=projector)
    canvas.resize(VIEW_W, VIEW_H)
    t0 = time.perf_counter()
    canvas.set_buildings(buildings)
    ctx["timings"]["set_buildings_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    canvas.set_streets(streets)
    ctx["timings"]["set_streets_s"] = time.perf_counter() - t0
    canvas.show()
    app.processEvents()
    ctx.update(
        canvas=canvas,
        projector=projector,
        buildings=len(buildings),
        streets=len(streets),
        bounds=bounds,
    )
    return ctx


def _pan_frames(ctx: dict[str, Any], *, frames: int = 40, step: tuple[int, int] = (6, 3)) -> float:
    """Median ms of one pan step plus a full repaint grabbed into an image."""
    canvas = ctx["canvas"]
    ok = canvas.wait_for_tiles(300_000)  # warm: the view and a ring of tiles around it
    if not ok:
        msg = "tiles did not finish rendering"
        raise RuntimeError(msg)
    canvas.viewport().grab()
    times = []
    for _ in range(frames):
        t0 = time.perf_counter()
        canvas.pan_by(*step)
        canvas.viewport().grab().toImage()
        times.append((time.perf_counter() - t0) * 1000.0)
    ctx.setdefault("frame_samples", {})[canvas.level()] = times
    return statistics.median(times)


def frame_city_ms(ctx: dict[str, Any]) -> float:
    canvas = ctx["canvas"]
    canvas.zoom_to_fit()
    ctx["city_res_m"] = canvas.resolution()
    t0 = time.perf_counter()
    canvas.wait_for_tiles(300_000)
    ctx["timings"]["city_view_tiles_s"] = time.perf_counter() - t0
    return _pan_frames(ctx)


def frame_street_ms(ctx: dict[str, Any]) -> float:
    canvas = ctx["canvas"]
    west, south, east, north = ctx["bounds"]
    canvas.set_level(1)  # 1.41 m per pixel: buildings, all streets, names
    ctx["street_res_m"] = canvas.resolution()
    canvas.center_on(*ctx["projector"].point((west + east) / 2, (south + north) / 2))
    t0 = time.perf_counter()
    canvas.wait_for_tiles(300_000)
    ctx["timings"]["street_view_tiles_s"] = time.perf_counter() - t0
    return _pan_frames(ctx)


def tile_cold_ms(ctx: dict[str, Any]) -> float:
    """Median ms to render one tile from scratch on this thread, at city and street zoom.

    The tiles are around the city centre; ``render_tile_now`` bypasses the cache.
    """
    from planner.app.map.canvas.render import TILE_PX, level_res

    canvas = ctx["canvas"]
    x, y = ctx["projector"].point(
        (ctx["bounds"][0] + ctx["bounds"][2]) / 2, (ctx["bounds"][1] + ctx["bounds"][3]) / 2
    )
    times = []
    per_level: dict[str, float] = {}
    for level in (11, 7, 3, 1, -1):
        size = TILE_PX * level_res(level)
        i, j = int(x // size), int(-y // size)
        level_times = []
        for d in range(-1, 2):
            t0 = time.perf_counter()
            canvas.render_tile_now((level, i + d, j))
            level_times.append((time.perf_counter() - t0) * 1000.0)
        per_level[f"{level_res(level):.2f} m/px"] = round(statistics.median(level_times), 2)
        times += level_times
    ctx["tile_cold_by_res"] = per_level
    return statistics.median(times)


MEASUREMENTS: dict[str, Callable[[dict[str, Any]], float | None]] = {
    "frame_city_ms": frame_city_ms,
    "frame_street_ms": frame_street_ms,
    "tile_cold_ms": tile_cold_ms,
}


# -- app helper: startup and live drag re-check (planner/app) --------------------------------
_STARTUP_CHILD = r"""
import time
t0 = time.perf_counter()
import os, sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from planner.app.siting.dialogs import ScriptedPrompter
from planner.app.shell.main import create_window
win = create_window(prompter=ScriptedPrompter())
win.t0 = t0
win.show()
win.start_up(plan=None, data=None, recover=False)
clock = win.gis.preview_cameras
deadline = time.perf_counter() + 60
while (
    clock.useful_paint_s is None or win.first_paint_s is None or win.tasks
) and time.perf_counter() < deadline:
    app.processEvents()
    time.sleep(0.001)
print(clock.useful_paint_s, win.first_paint_s, time.perf_counter() - t0, len(win.doc.results))
win.doc.undo_stack.setClean()
win.close()
"""

_REVIEW_CHILD = r"""
import time
t0 = time.perf_counter()
import resource, sys
def peak_mb():
    # VmHWM belongs to this process image; ru_maxrss would carry the peak of the
    # benchmark process this one was spawned from (kept across exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from planner.app.review.launch import open_review
from planner.app.common.settings import AppSettings
w = open_review(plan=Path(sys.argv[1]), data=Path(sys.argv[2]), settings=AppSettings(), wait=True)
w.canvas.wait_for_tiles()
opened = time.perf_counter() - t0
# then street zoom downtown: the buildings stream in by area
w.canvas.set_level(0)
w.canvas.center_on(*w.rc.checker.projector.point(-121.888, 37.3355))
t1 = time.perf_counter()
while time.perf_counter() - t1 < 60:
    app.processEvents()
    w.canvas.viewport().repaint()
    if w.canvas.pending_tiles() == 0 and w.canvas._stream and w.canvas._stream.reads:
        break
    time.sleep(0.002)
print(opened, peak_mb(), len(w.rc.plan.cameras))
w.model.pending = {}
w.close()
"""


def _compiled() -> None:
    """Byte-compile the planner first, as an installed app is.

    With ``PYTHONDONTWRITEBYTECODE`` set (as in CI and this machine's shells), every
    fresh process would compile each edited module again, tens of milliseconds that
    no installed copy pays.
    """
    import compileall

    compileall.compile_dir(ROOT / "planner", quiet=1)


def startup_demo_s(ctx: dict[str, Any] | None = None, *, runs: int = 3) -> float:
    """First useful paint of the embedded demo in a fresh process (median of ``runs``).

    Measured offscreen from the first line of the child process (before Qt and the
    planner are imported) to the first paint that shows the cameras (marked not
    checked yet), sites, boundaries and streets, every tile of the view drawn: what
    the user first sees, the same measure as :func:`startup_city_s`. Also reported,
    medians of the same runs: ``startup_demo_loaded_s``, the first paint after the
    full load (buildings indexed, what this figure measured before the preview
    existed), and ``startup_demo_checked_s``, until every camera's check is back.
    """
    _compiled()
    firsts, loaded, checked = [], [], []
    for row in _fresh_app_runs([_STARTUP_CHILD], runs=runs, fields=4, timeout=120):
        firsts.append(row[0])
        loaded.append(row[1])
        checked.append(row[2])
    if ctx is not None:
        ctx["startup_demo_loaded_s"] = round(statistics.median(loaded), 3)
        ctx["startup_demo_checked_s"] = round(statistics.median(checked), 3)
    return statistics.median(firsts)


def drag_recheck_p95_ms(ctx: dict[str, Any] | None = None, *, steps: int = 400) -> float | None:
    """Live re-check during a drag: the work done once per frame, p95 over ``steps`` frames.

    Real citywide San José data (``sj_buildings_city_all.gpkg.zip``: 324,221 buildings
    as occluders; ``sj_sensitive_sites.geojson``: 17 protected sites) with the built-in
    policy; a camera is dragged along a 2 km path through downtown via the app's
    :class:`SitingController` (check + cone path rebuild + item update), offscreen.
    """
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    from PySide6.QtWidgets import QApplication, QGraphicsScene

    from planner.app.siting.document import PlanDocument
    from planner.app.siting.loading import load_data_context, load_policy
    from planner.app.siting.scene_paths import to_scene
    from planner.app.siting.siting_controller import SitingController
    from planner.core.model import Camera, Plan
    from tests.shared_data import locate_shared_data

    shared = locate_shared_data()
    if shared is None:
        return None
    app = QApplication.instance() or QApplication([])
    policy = load_policy()
    lon0, lat0 = -121.8880, 37.3340
    cam = Camera(id="B-1", lon=lon0, lat=lat0, heading_deg=45.0, fov_deg=40.0, range_m=60.0)
    data = load_data_context(
        policy=policy,
        cameras=[cam],
        sites=[shared / "sj_sensitive_sites.geojson"],
        buildings=[shared / "sj_buildings_city_all.gpkg.zip"],
    )
    doc = PlanDocument()
    doc.set_data(data)
    doc.load_plan(Plan(cameras=[cam]), None)
    scene = QGraphicsScene()
    ctl = SitingController(doc, scene)
    ctl.select(["B-1"])
    x0, y0 = data.projector.point(lon0, lat0)
    assert ctl.begin_drag(to_scene(x0, y0))
    ctl.recheck_ms.clear()
    for t in np.linspace(0.0, 1.0, steps):
        ctl.drag_to(to_scene(x0 + 1400.0 * t, y0 + 1400.0 * t))
        ctl._timer.stop()
        ctl._live_recheck()  # what the once-per-frame timer runs
    ctl._drag = None
    times = np.asarray(ctl.recheck_ms)
    app.processEvents()
    if ctx is not None:
        ctx["drag_recheck_median_ms"] = round(float(np.median(times)), 3)
    return float(np.percentile(times, 95))


_CITY_CHILD = r"""
import time
t0 = time.perf_counter()
import resource, sys
def peak_mb():
    # VmHWM belongs to this process image; ru_maxrss would carry the peak of the
    # benchmark process this one was spawned from (kept across exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from planner.app.siting.dialogs import ScriptedPrompter
from planner.app.shell.main import create_window
win = create_window(prompter=ScriptedPrompter())
win.t0 = t0
win.resize(1400, 900)
win.show()
win.start_up(plan=Path(sys.argv[1]), data=Path(sys.argv[2]), recover=False)
clock = win.gis.preview_cameras
deadline = time.perf_counter() + 300
while (
    clock.useful_paint_s is None or win.first_paint_s is None or win.tasks
) and time.perf_counter() < deadline:
    app.processEvents()
    time.sleep(0.001)
checked = time.perf_counter() - t0
# then street zoom downtown: the buildings stream in by area
x, y = win.doc.projector.point(-121.888, 37.3355)
win.canvas.set_level(0)
win.canvas.center_on(x, y)
t1 = time.perf_counter()
while time.perf_counter() - t1 < 60:
    app.processEvents()
    win.canvas.viewport().repaint()
    if win.canvas.pending_tiles() == 0 and win.canvas._stream and win.canvas._stream.reads:
        break
    time.sleep(0.002)
street = time.perf_counter() - t1
peak = peak_mb()
print(
    clock.useful_paint_s, clock.first_paint_s, win.first_paint_s, checked, street, peak,
    len(win.doc.results),
)
if sys.argv[3:] == ["pan"]:
    # a planner's afternoon at street zoom: 48 views over 13 x 13 km of the city
    import numpy as np
    for lat in np.linspace(37.28, 37.40, 6):
        for lon in np.linspace(-121.95, -121.80, 8):
            win.canvas.center_on(*win.doc.projector.point(lon, lat))
            t2 = time.perf_counter()
            while time.perf_counter() - t2 < 30:
                app.processEvents()
                win.canvas.viewport().repaint()
                if win.canvas.pending_tiles() == 0 and win.canvas._stream.pending() == 0:
                    break
                time.sleep(0.002)
    stream = win.canvas._stream
    print(
        "pan", peak_mb(),
        stream.loaded_features(), stream.reads, win.canvas.cached_tiles(),
    )
if sys.argv[3:] == ["frames"]:
    # pan frames at street zoom downtown on the real pack: its street names, site and
    # camera labels (each frame a step and a full repaint grabbed into an image)
    import statistics
    for _ in range(3):
        win.canvas.viewport().grab()
    times = []
    for k in range(60):
        t2 = time.perf_counter()
        win.canvas.pan_by(6 if k % 20 < 10 else -6, 3 if k % 20 < 10 else -3)
        win.canvas.viewport().grab().toImage()
        times.append((time.perf_counter() - t2) * 1000.0)
    print("frames", statistics.median(times), len(win.canvas.street_labels_drawn))
if sys.argv[3:] == ["report"]:
    # File > Export review report from this window: the peak after it
    import tempfile
    from planner.app.review.export import export_report_dialog
    with tempfile.TemporaryDirectory() as d:
        t2 = time.perf_counter()
        out = export_report_dialog(win, Path(d) / "report.pdf")
        took = time.perf_counter() - t2
    assert out is not None
    print("report", peak_mb(), took)
win.doc.undo_stack.setClean()
win.close()
"""


def city_pack() -> tuple[Path, Path] | None:
    """The README's real San José pack (OSM downtown, ALPR cameras, sensitive sites, citywide
    buildings and address points, city limits, districts), built once and cached."""
    shared = locate_shared_data()
    if shared is None:
        return None
    pack, plan = CACHE / "sj_city_v2.gpkg", CACHE / "sj_city_v2.plan.geojson"
    if not pack.is_file() or not plan.is_file():
        from planner.io.datapack.importer import run_import

        CACHE.mkdir(parents=True, exist_ok=True)
        run_import(
            [
                shared / "alpr_sanjose_osm_2025-10-04.geojson",
                shared / "osm_sj_downtown_merged.osm.bz2",
            ],
            pack,
            site_layers=[str(shared / "sj_sensitive_sites.geojson")],
            building_layers=[shared / "sj_buildings_city_all.gpkg.zip"],
            boundary_layers=[
                str(shared / "sj_city_limits_2016.geojson"),
                str(shared / "sj_council_districts_2016.geojson"),
            ],
            existing_plan=plan,
        )
    return pack, plan


def _city_runs(
    *, runs: int, fields: int, extra: list[str] | None = None
) -> list[list[float]] | None:
    """The last ``fields`` numbers printed by ``runs`` fresh app processes on the real pack."""
    paths = city_pack()
    if paths is None:
        return None
    pack, plan = paths
    _compiled()
    return _fresh_app_runs(
        [_CITY_CHILD, str(plan), str(pack), *(extra or [])], runs=runs, fields=fields, timeout=900
    )


def _fresh_app_runs(
    argv: list[str], *, runs: int, fields: int, timeout: float
) -> list[list[float]]:
    """The last ``fields`` numbers printed by ``python -c argv[0] argv[1:]``, ``runs`` times.

    Each run is a fresh process, offscreen, with its own settings and recovery folder.
    """
    import subprocess
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            SITING_PLANNER_SETTINGS=str(Path(tmp) / "settings.ini"),
            SITING_PLANNER_RECOVERY_DIR=str(Path(tmp) / "recovery"),
        )
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", *argv],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            rows.append([float(v) for v in out.stdout.split()[-fields:]])
    return rows


def startup_city_s(ctx: dict[str, Any] | None = None, *, runs: int = 3) -> float | None:
    """First useful paint of the real citywide San José pack, in a fresh process (median).

    "Useful": the paint shows the cameras (marked not checked yet), sites, boundaries and
    streets, every tile of the view drawn from those layers (not a blank or stale map
    with dots on it). Also reported, medians of ``runs``:
    ``startup_city_first_cameras_s`` (the first paint with the cameras, tiles complete
    or not), ``startup_city_loaded_s`` (the first paint after the full load),
    ``startup_city_checked_s`` (every camera checked, buildings indexed),
    ``startup_city_street_s`` (then street zoom downtown with its buildings streamed
    in from the pack) and ``startup_city_peak_mb`` (peak resident memory of the whole
    run).
    """

    rows = _city_runs(runs=runs, fields=7)
    if rows is None:
        return None
    cols = list(zip(*rows, strict=True))
    if ctx is not None:
        ctx["startup_city_first_cameras_s"] = round(statistics.median(cols[1]), 3)
        ctx["startup_city_loaded_s"] = round(statistics.median(cols[2]), 3)
        ctx["startup_city_checked_s"] = round(statistics.median(cols[3]), 3)
        ctx["startup_city_street_s"] = round(statistics.median(cols[4]), 3)
        ctx["startup_city_peak_mb"] = round(statistics.median(cols[5]), 1)
        ctx["startup_city_cameras"] = int(cols[6][0])
    return statistics.median(cols[0])


def city_pan_peak_mb(ctx: dict[str, Any] | None = None, *, runs: int = 3) -> float | None:
    """Peak resident memory after opening the real San José pack and panning 48 street-zoom
    views over the city (median of ``runs`` fresh processes): what the building stream and
    the tile cache keep stays bounded however far a planner pans. Also reported:
    ``city_pan_kept_footprints`` and ``city_pan_chunks_read`` (medians)."""

    rows = _city_runs(runs=runs, fields=4, extra=["pan"])
    if rows is None:
        return None
    cols = list(zip(*rows, strict=True))
    if ctx is not None:
        ctx["city_pan_kept_footprints"] = int(statistics.median(cols[1]))
        ctx["city_pan_chunks_read"] = int(statistics.median(cols[2]))
    return round(statistics.median(cols[0]), 1)


def city_frame_street_ms(ctx: dict[str, Any] | None = None, *, runs: int = 3) -> float | None:
    """A pan frame at street zoom downtown on the real San José pack, in a fresh app
    (median over 60 frames, median of ``runs`` processes): its real street names, site
    and camera labels. Also reported: ``city_frame_street_names`` (names drawn)."""
    rows = _city_runs(runs=runs, fields=2, extra=["frames"])
    if rows is None:
        return None
    cols = list(zip(*rows, strict=True))
    if ctx is not None:
        ctx["city_frame_street_names"] = int(statistics.median(cols[1]))
    return statistics.median(cols[0])


def report_peak_mb(ctx: dict[str, Any] | None = None, *, runs: int = 3) -> float | None:
    """Peak resident memory of the main window on the real pack after File > Export review
    report (PDF, 363 cameras; median of ``runs`` fresh processes). Also reported:
    ``report_from_window_s`` (the export's wall time, median)."""
    rows = _city_runs(runs=runs, fields=2, extra=["report"])
    if rows is None:
        return None
    cols = list(zip(*rows, strict=True))
    if ctx is not None:
        ctx["report_from_window_s"] = round(statistics.median(cols[1]), 2)
    return round(statistics.median(cols[0]), 1)


def review_window_peak_mb(ctx: dict[str, Any] | None = None, *, runs: int = 3) -> float | None:
    """Peak resident memory of ``review PLAN --data PACK`` on the real pack: the window
    opened with every camera re-checked, then street zoom downtown with its buildings
    streamed in (median of ``runs`` fresh processes). Also reported:
    ``review_window_open_s`` (to the map shown, median)."""
    paths = city_pack()
    if paths is None:
        return None
    pack, plan = paths
    _compiled()
    rows = _fresh_app_runs([_REVIEW_CHILD, str(plan), str(pack)], runs=runs, fields=3, timeout=900)
    cols = list(zip(*rows, strict=True))
    if ctx is not None:
        ctx["review_window_open_s"] = round(statistics.median(cols[0]), 2)
    return round(statistics.median(cols[1]), 1)


MEASUREMENTS["startup_demo_s"] = startup_demo_s
MEASUREMENTS["drag_recheck_p95_ms"] = drag_recheck_p95_ms
MEASUREMENTS["startup_city_s"] = startup_city_s
MEASUREMENTS["city_pan_peak_mb"] = city_pan_peak_mb
MEASUREMENTS["city_frame_street_ms"] = city_frame_street_ms
MEASUREMENTS["review_window_peak_mb"] = review_window_peak_mb
MEASUREMENTS["report_peak_mb"] = report_peak_mb


def main() -> None:
    only = sys.argv[1:]
    if only:
        # e.g. ``render_bench.py startup_city_s``: the named app measurements alone
        needs_map = {"frame_city_ms", "frame_street_ms", "tile_cold_ms"} & set(only)
        ctx: dict[str, Any] = load_context() if needs_map else {}
        out: dict[str, Any] = {}
        for key in only:
            value = MEASUREMENTS[key](ctx)
            out[key] = None if value is None else round(value, 3)
        out.update(
            {k: v for k, v in ctx.items() if isinstance(v, int | float | str)},
            load_average=os.getloadavg()[0],
        )
        print(json.dumps(out))
        return
    ctx = load_context()
    out = {}
    for key, fn in MEASUREMENTS.items():
        value = fn(ctx)
        out[key] = None if value is None else round(value, 3)
    samples = ctx.get("frame_samples", {})
    out.update(
        targets={
            "frame_city_ms": 16,
            "frame_street_ms": 8,
            "startup_demo_s": 1.5,
            "drag_recheck_p95_ms": 4,
            "startup_city_s": 1.5,
            "startup_city_peak_mb": 600,
            "city_pan_peak_mb": 600,
            "city_frame_street_ms": 8,
            "review_window_peak_mb": 600,
            "report_peak_mb": 600,
        },
        **{
            k: ctx[k]
            for k in (
                "startup_city_first_cameras_s",
                "startup_city_loaded_s",
                "startup_city_checked_s",
                "startup_city_street_s",
                "startup_city_peak_mb",
                "startup_city_cameras",
                "city_pan_kept_footprints",
                "city_pan_chunks_read",
                "startup_demo_loaded_s",
                "startup_demo_checked_s",
                "drag_recheck_median_ms",
            )
            if k in ctx
        },
        load_average=os.getloadavg()[0],
        frame_p95_ms={str(k): round(float(np.percentile(v, 95)), 3) for k, v in samples.items()},
        city_res_m_per_px=round(ctx["city_res_m"], 3),
        street_res_m_per_px=round(ctx["street_res_m"], 3),
        view_px=[VIEW_W, VIEW_H],
        tiles_rendered=ctx["canvas"].tiles_rendered,
        tile_cold_ms_by_res=ctx["tile_cold_by_res"],
        tile_worker_ms_median=round(statistics.median(ctx["canvas"].tile_times_ms), 2)
        if ctx["canvas"].tile_times_ms
        else None,
        timings_s={k: round(v, 3) for k, v in ctx["timings"].items()},
        data={
            "buildings": ctx["buildings"],
            "buildings_source": "real: sj_buildings_city_all.gpkg.zip (City of San José)",
            "street_segments": ctx["streets"],
            "streets_source": "GENERATED San José-size grid (no citywide network in shared data)",
        },
        platform=os.environ.get("QT_QPA_PLATFORM", ""),
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
