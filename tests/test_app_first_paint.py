"""The first paint of a data pack: what it shows, and what waits for it (pytest-qt, offscreen).

The order is what is tested, never a time: the preview paints the cameras over a
complete map (every tile of the view drawn from its layers) before the full load
starts, and nothing heavy is imported by then.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import shapely
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from planner.app.map.canvas import style as st
from planner.app.map.canvas.layers import GeomLayer
from planner.app.map.canvas.paths import path_from_parts
from planner.app.map.canvas.render import TILE_PX, RenderState, level_res, render_tile, tile_rect
from planner.app.siting.preview import hold_until_painted
from tests import app_support

app_env = app_support.app_env
window = app_support.window

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ the gate
def test_hold_until_painted_returns_when_opened_cancelled_or_timed_out():
    gate = threading.Event()
    seen: list[bool] = []
    waiter = threading.Thread(
        target=lambda: (hold_until_painted(gate, lambda: False, timeout_s=60), seen.append(True))
    )
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and not seen  # still held: nothing painted yet
    gate.set()
    waiter.join(10)
    assert seen == [True]
    # cancelled, or never painted (a minimised window): the load goes on
    hold_until_painted(threading.Event(), lambda: True, timeout_s=60)
    hold_until_painted(threading.Event(), lambda: False, timeout_s=0.05)
    hold_until_painted(None, lambda: False)  # no preview at all


def _start_window(qtbot):
    return app_support.new_window(qtbot)


def test_the_preview_paints_a_complete_map_before_the_full_load_starts(qtbot, app_env, monkeypatch):
    import planner.app.shell.window_data as window_data
    from planner.app.siting.preview import PreviewCameras

    win = _start_window(qtbot)
    clock = win.gis.preview_cameras
    paints: list[bool] = []  # per paint of the preview's cameras: every tile current?
    draw_cameras = PreviewCameras._draw_cameras

    def spy_draw(self, painter):
        # overlays are drawn after the tiles of the same paint
        paints.append(self.canvas.view_complete())
        draw_cameras(self, painter)

    monkeypatch.setattr(PreviewCameras, "_draw_cameras", spy_draw)
    at_load: list[tuple[object, object, int]] = []
    load = window_data.load_data_context

    def spy_load(**kwargs):
        at_load.append((clock.first_paint_s, clock.useful_paint_s, len(paints)))
        return load(**kwargs)

    monkeypatch.setattr(window_data, "load_data_context", spy_load)
    win.start_up(plan=None, data=None, recover=False)  # the demo, with its pack
    qtbot.waitUntil(lambda: win.doc.data is not None and not win.tasks, timeout=60_000)

    assert len(at_load) == 1
    first, useful, painted_before = at_load[0]
    # the full load started only after the preview's cameras were painted over
    # every tile of the view: streets, sites and boundaries included
    assert first is not None and useful is not None
    assert painted_before and paints[0]  # the very first paint of them was complete
    # that paint rendered its tiles itself, once: the canvas is left to its tile threads
    assert not win.canvas.synchronous
    # the full load replaced the preview and was checked
    assert clock.xy == [] and win.doc.results
    assert set(win.doc.results) == {c.id for c in win.doc.all_cameras()}


def test_a_preview_that_is_not_shown_lets_the_load_go_at_once(window, tmp_path, qtbot):
    from planner.app.siting.loading import demo_paths

    assert window.doc.data is not None  # data in force: a preview never covers it
    gate = window.gis.preview(pack=demo_paths()[1], cameras=[])
    qtbot.waitUntil(gate.is_set, timeout=30_000)
    assert window.gis.preview_cameras.xy == []


_CHILD = r"""
import sys, time
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from planner.app.siting.dialogs import ScriptedPrompter
from planner.app.shell.main import create_window
from planner.app.siting.preview import PreviewCameras
HEAVY = ("pandas", "geopandas", "pyogrio", "pyarrow", "fiona", "networkx", "osmnx",
         "planner.io.datapack.demo")
seen = []
open_gates = PreviewCameras.open_gates
def spy(self):
    if not seen and self.useful_paint_s is not None:
        seen.append(sorted(m for m in HEAVY if m in sys.modules))
    open_gates(self)
PreviewCameras.open_gates = spy
win = create_window(prompter=ScriptedPrompter())
win.t0 = t0
win.show()
win.start_up(plan=None, data=None, recover=False)
deadline = time.perf_counter() + 60
while not seen and time.perf_counter() < deadline:
    app.processEvents()
    time.sleep(0.002)
print("HEAVY", seen)
win.cancel_work()
win.doc.undo_stack.setClean()
"""


def test_nothing_heavy_is_imported_before_the_first_useful_paint(tmp_path):
    """At the first paint of cameras, sites, boundaries and streets (the moment the
    full load is let go), no data-frame library has been imported by any thread."""
    import os

    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        SITING_PLANNER_SETTINGS=str(tmp_path / "settings.ini"),
        SITING_PLANNER_RECOVERY_DIR=str(tmp_path / "recovery"),
    )
    out = subprocess.run(
        [sys.executable, "-c", _CHILD],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("HEAVY")]
    assert lines == ["HEAVY [[]]"], out.stdout + out.stderr


# ------------------------------------------------------------------ first-paint costs
def test_basemap_menu_is_filled_when_opened_with_the_choice_ticked(window):
    from planner.app.map.basemap import presets

    menu = window.gis.basemap_menu
    menu.aboutToShow.emit()
    names = [a.text() for a in menu.actions()]
    assert "OpenStreetMap" in names and "&None (offline, no requests)" in names
    ticked = [a.text() for a in menu.actions() if a.isChecked()]
    assert ticked == ["&None (offline, no requests)"]
    osm = next(p for p in presets() if p.name == "OpenStreetMap")
    window.gis.set_basemap(osm, remember=False)
    menu.aboutToShow.emit()  # filled again: the tick follows the choice
    assert [a.text() for a in menu.actions() if a.isChecked()] == ["OpenStreetMap"]
    assert len(menu.actions()) == len(names)
    window.gis.set_basemap(None, remember=False)


def _ring_layer() -> GeomLayer:
    # a jagged 2 km "city limits" ring around the origin, 400 vertices
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    r = 1000.0 + 40.0 * np.sin(9 * t)
    return GeomLayer(np.array([shapely.Polygon(np.column_stack([r * np.cos(t), r * np.sin(t)]))]))


def test_outline_parts_are_the_rings_clipped_to_the_rect():
    square = GeomLayer(np.array([shapely.box(0.0, 0.0, 100.0, 100.0)]))
    xy, starts = square.outline_parts(np.array([0]), 0.5, (40.0, -10.0, 60.0, 10.0))
    # only the bottom edge crosses the rect: from (40, 0) to (60, 0), no cut edge
    assert list(starts) == [0]
    assert sorted(map(tuple, np.round(xy, 9))) == [(40.0, 0.0), (60.0, 0.0)]
    nothing = square.outline_parts(np.array([0]), 0.5, (20.0, 20.0, 80.0, 80.0))
    assert len(nothing[0]) == 0  # a rect inside the polygon holds none of its outline


def test_a_small_layer_is_simplified_once_per_tolerance_with_the_same_result():
    layer = _ring_layer()
    direct = shapely.simplify(layer.geoms, 16.0, preserve_topology=False)
    once = layer.simplified(np.array([0]), 40.0)  # 40 m pixels: the 16 m tolerance
    again = layer.simplified(np.array([0]), 40.0)
    assert once[0] is again[0]  # kept, not simplified again for the next tile
    assert shapely.equals_exact(once[0], direct[0], tolerance=0.0)
    assert len(layer.simplified(np.array([0]), 0.5)[0].exterior.coords) == 401  # fine zoom


@pytest.mark.parametrize("ij", [(1, -1), (-2, -1), (0, -2), (1, -2)])
def test_a_clipped_city_limits_tile_matches_the_whole_ring_stroked(ij):
    """The city limits are stroked clipped to each tile; the pixels must be those of
    the whole ring stroked (computed here independently, with the style's pens)."""
    layer = _ring_layer()
    level = 2  # 2 m pixels: a tile is 512 m, the ring crosses several
    key = (level, *ij)
    state = RenderState(
        generation=1,
        boundaries=layer,
        boundary_kinds=np.array(["city_limits"]),
        transparent=True,
    )
    got = render_tile(key, state)

    res = level_res(level)
    x0, y0, _x1, _y1 = tile_rect(key)
    ring = layer.simplified(np.array([0]), res)[0].exterior
    xy = (shapely.get_coordinates(ring) - np.array([x0, y0])) / res
    path = path_from_parts(xy, np.array([0]))
    want = QImage(TILE_PX, TILE_PX, QImage.Format.Format_ARGB32_Premultiplied)
    want.fill(Qt.GlobalColor.transparent)
    p = QPainter(want)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(Qt.BrushStyle.NoBrush)
    round_cap, round_join = Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
    p.setPen(QPen(st.CITY_LIMITS_BAND, 7.0, Qt.PenStyle.SolidLine, round_cap, round_join))
    p.drawPath(path)
    p.setPen(QPen(st.CITY_LIMITS_LINE, 1.6))
    p.drawPath(path)
    p.end()

    def pixels(img: QImage) -> np.ndarray:
        img = img.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        raw = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
        return raw.reshape(TILE_PX, img.bytesPerLine())[:, : TILE_PX * 4].astype(int)

    a, b = pixels(got), pixels(want)
    assert (b[:, 3::4] > 0).sum() > 500  # the ring does cross this tile
    # identical but for antialiasing round-off where a stroke is cut
    assert np.abs(a - b).max() <= 2


def test_preview_camera_symbols_are_drawn_where_the_cameras_are(window, qtbot):
    """The vectorised preview symbols land on the cameras' view positions."""
    from planner.app.siting.preview import Preview
    from planner.core.model import Camera, CameraStatus
    from tests.app_support import PROJ, X0, Y0, lonlat

    cams = [
        Camera(
            id="A",
            lon=lonlat(X0, Y0)[0],
            lat=lonlat(X0, Y0)[1],
            heading_deg=0.0,
            fov_deg=40,
            range_m=40,
        ),
        Camera(
            id="B",
            lon=lonlat(X0 + 60, Y0)[0],
            lat=lonlat(X0 + 60, Y0)[1],
            heading_deg=None,
            fov_deg=360,
            range_m=1,
            status=CameraStatus.EXISTING,
        ),
    ]
    clock = window.gis.preview_cameras
    clock.show(Preview(pack=Path("x"), projector=PROJ, layers=None, cameras=cams, osm=frozenset()))
    image = window.canvas.viewport().grab().toImage()
    clock.clear()
    for x, y, _e in [(X0, Y0, False), (X0 + 60, Y0, True)]:
        p = window.canvas.scene_to_view(window.canvas.to_scene(x, y)).toPoint()
        assert QColor(image.pixel(p)) == QColor(120, 120, 120)  # the grey fill


def test_a_one_off_rendered_paint_leaves_the_canvas_as_it_was(window):
    canvas = window.canvas
    canvas.render_next_paint_now()
    canvas.set_synchronous(True)  # asked for meanwhile (an export): it stays on
    canvas.invalidate_tiles()
    canvas.viewport().repaint()
    assert canvas.view_complete() and canvas.synchronous
    canvas.set_synchronous(False)
    canvas.render_next_paint_now()
    canvas.invalidate_tiles()
    canvas.viewport().repaint()
    assert canvas.view_complete()  # that paint rendered its own tiles
    canvas.invalidate_tiles()
    canvas.viewport().repaint()
    assert not canvas.view_complete()  # once only: the next goes to the tile threads
    assert not canvas.synchronous
