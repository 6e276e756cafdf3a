"""OSM attribution by pack metadata, the status bar layout, rubber-band selection, and
map layers prepared off the GUI thread (pytest-qt, offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication

from planner.app.siting.scene_paths import to_scene
from tests import app_support
from tests.app_support import PROJ, X0, Y0

app_env = app_support.app_env
window = app_support.window

pytest.importorskip("pytestqt")


def viewport_point(win, x: float, y: float) -> QPoint:
    return win.canvas.mapFromScene(to_scene(x, y))


# -- OSM attribution -----------------------------------------------------------------------
def test_osm_layers_from_metadata():
    from planner.app.siting.loading import osm_layers_from_metadata

    assert osm_layers_from_metadata({}) == frozenset()
    # the pack writer puts the OSM attribution line in every pack: it decides nothing
    assert (
        osm_layers_from_metadata(
            {"attribution": "© OpenStreetMap contributors", "sources": [{"kind": "generated"}]}
        )
        == frozenset()
    )
    imported = {
        "sources": [
            {
                "kind": "osm",
                "path": "x.osm.pbf",
                "features": {
                    "streets": 10,
                    "buildings": 0,
                    "sites": 0,
                    "entrances": 2,
                    "cameras_existing": 3,
                },
            },
            {"kind": "buildings", "path": "city.gpkg", "features": 50},
        ]
    }
    assert osm_layers_from_metadata(imported) == {"streets", "sites", "cameras_existing"}
    assert osm_layers_from_metadata({"sources": [{"kind": "online"}]}) >= {"streets", "sites"}
    assert (
        osm_layers_from_metadata({"synthetic": True, "sources": [{"kind": "osm"}]}) == frozenset()
    )


def _window(qtbot):
    return app_support.new_window(qtbot, size=None)


def _osm_pack(tmp_path: Path) -> Path:
    """The demo's layers, but written with metadata naming an OSM extract as the source."""
    from planner.io.datapack import demo
    from planner.io.datapack.store import write_pack

    path = tmp_path / "osm.gpkg"
    write_pack(
        path,
        demo.demo_layers(),
        {
            "sources": [
                {
                    "path": "city.osm.pbf",
                    "kind": "osm",
                    "sha256": None,
                    "features": {
                        "streets": 152,
                        "buildings": 154,
                        "sites": 5,
                        "entrances": 6,
                        "cameras_existing": 0,
                    },
                }
            ],
        },
    )
    return path


def test_attribution_only_over_osm_data(qtbot, app_env, tmp_path):
    win = _window(qtbot)
    win.start_up(plan=None, data=None, wait=True, recover=False)
    win.wait_idle(60)
    data = win.doc.data
    assert data is not None and data.streets is not None and len(data.streets)
    # the embedded demo is synthetic: streets and buildings are shown, no OSM line
    assert data.osm_layers == frozenset()
    assert not win.canvas.attribution_shown()

    win.load(plan_path=None, pack=_osm_pack(tmp_path), wait=True)
    win.wait_idle(60)
    assert {"streets", "buildings", "sites"} <= win.doc.data.osm_layers
    assert win.canvas.attribution_shown()
    # hiding every OSM-derived layer hides the attribution with them
    for key in ("streets", "street_names", "buildings", "sites", "entrances"):
        win.canvas.set_layer_visible(key, False)
    assert not win.canvas.attribution_shown()
    win.canvas.set_layer_visible("streets", True)
    assert win.canvas.attribution_shown()
    win.doc.undo_stack.setClean()


def test_osm_cameras_carry_the_attribution(window):
    from planner.app.siting.document import DataContext

    data = window.doc.data
    assert not window.canvas.attribution_shown()  # synthetic test data
    osm_data = DataContext(
        checker=data.checker,
        projector=data.projector,
        sites=data.sites,
        street_network=data.street_network,
        cameras_existing=[app_support.camera_at("E-1", X0, Y0, 0.0)],
        osm_layers=frozenset({"cameras_existing"}),
    )
    window.install_data(osm_data)
    assert window.canvas.attribution_shown()


# -- status bar ----------------------------------------------------------------------------
def test_status_message_is_elided_before_the_permanent_widgets(qtbot, window):
    from planner.app.shell.statusbar import MESSAGE_GAP

    sb = window.statusBar()
    long = "Refused: camera C-1 would capture vehicles at " + "Somewhere Very Long " * 20
    sb.showMessage(long)
    qtbot.wait(10)
    shown = sb.shown_message()
    assert shown.endswith("\u2026") and len(shown) < len(long)
    rect = sb.message_rect()
    assert sb.fontMetrics().horizontalAdvance(shown) <= rect.width()
    first = min(
        w.x()
        for w in (window.cursor_label, window.scale_label, window.check_label, window.policy_label)
        if w.isVisible()
    )
    assert rect.right() + MESSAGE_GAP <= first
    # the permanent labels keep their width whatever they show
    width = window.cursor_label.width()
    window._cursor_moved(-121.886312, 37.338201)
    assert window.cursor_label.width() == width
    assert window.cursor_label.text() == "lon -121.886312  lat 37.338201"
    QApplication.sendEvent(window.canvas.viewport(), QEvent(QEvent.Type.Leave))
    assert window.cursor_label.text() == "lon, lat: off the map"


def test_refusal_goes_to_the_banner_not_the_status_bar(window):
    text = "Refused: camera C-1 would capture vehicles at Test Church, entrance w1/e1 - rule x"
    window.show_notice(text)
    assert window.notice.isVisible() and window.notice.text() == text
    assert window.statusBar().currentMessage() == ""


def test_long_check_label_is_elided_with_a_tooltip(window):
    label = window.check_label
    text = "Loading data: Reading data pack " + "citywide-" * 40 + ".gpkg…"
    label.setText(text)
    assert label.text() == text and label.toolTip() == text
    assert label.width() <= label.maximumWidth()
    assert label.shown_text() != text and label.shown_text().endswith("\u2026")


# -- rubber band ---------------------------------------------------------------------------
def test_shift_drag_selects_cameras_inside_and_plain_drag_pans(qtbot, window):
    doc, c = window.doc, window.controller
    for cam in (
        app_support.camera_at("C-2", X0 + 230, Y0, 90.0),
        app_support.camera_at("C-3", X0 - 200, Y0, 90.0),
    ):
        assert doc.propose([], [cam], action="add", text=f"Add {cam.id}", add=True).committed
    window.zoom_to_fit()
    c.select([])
    vp = window.canvas.viewport()
    p0 = viewport_point(window, X0 + 170, Y0 + 30)
    p1 = viewport_point(window, X0 + 260, Y0 - 30)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, p0)
    qtbot.mouseMove(vp, (p0 + p1) / 2)
    assert window.canvas._band is not None and window.canvas._band.isVisible()
    qtbot.mouseMove(vp, p1)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, p1)
    assert sorted(c.selected_ids()) == ["C-1", "C-2"]
    assert not window.canvas._band.isVisible()
    # Ctrl+Shift adds to the selection
    q0 = viewport_point(window, X0 - 230, Y0 + 30)
    q1 = viewport_point(window, X0 - 170, Y0 - 30)
    mods = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, mods, q0)
    qtbot.mouseMove(vp, q1)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, mods, q1)
    assert sorted(c.selected_ids()) == ["C-1", "C-2", "C-3"]
    # a plain drag on empty map pans and moves no camera
    poses = {cam.id: cam.pose for cam in doc.all_cameras()}
    centre = window.canvas.center()
    e0 = viewport_point(window, X0, Y0 + 60)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=e0)
    for i in range(1, 5):
        qtbot.mouseMove(vp, e0 + QPoint(20 * i, 0))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=e0 + QPoint(80, 0))
    moved = window.canvas.center()
    assert moved[0] < centre[0] - 10  # dragged right: the view looks further west
    assert {cam.id: cam.pose for cam in doc.all_cameras()} == poses


def test_shift_click_on_a_camera_still_toggles_it(qtbot, window):
    c = window.controller
    c.select([])
    x, y = PROJ.point(window.doc.camera("C-1").lon, window.doc.camera("C-1").lat)
    qtbot.mouseClick(
        window.canvas.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ShiftModifier,
        viewport_point(window, x, y),
    )
    assert c.selected_ids() == ["C-1"]
    assert window.canvas._band is None or not window.canvas._band.isVisible()


# -- GUI thread ----------------------------------------------------------------------------
def test_map_layers_are_prepared_on_the_worker(qtbot, app_env):
    """Loading projects the static layers with the data (worker) and the canvas takes them."""
    from planner.app.map.canvas.prepare import PreparedLayers

    win = _window(qtbot)
    win.start_up(plan=None, data=None, wait=True, recover=False)
    win.wait_idle(60)
    ready = win.doc.data.canvas_layers
    assert isinstance(ready, PreparedLayers)
    # a pack's buildings stream into the map by area (planner.app.map.canvas.stream)
    assert ready.buildings is None
    assert win.canvas.layer_info("buildings").features > 0
    assert win.canvas._state.streets is ready.streets
    assert win.canvas.layer_info("sites").features == len(win.doc.data.sites)
    b = win.canvas.data_bounds()
    assert b is not None and b[2] > b[0]


def _legend_moved_right(qtbot):
    """A window whose Legend dock was dragged out of its tab group to the right side."""
    win = app_support.new_window(qtbot)
    legend = win.docks["legend"]
    win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, legend)
    assert win.dockWidgetArea(legend) == Qt.DockWidgetArea.RightDockWidgetArea
    return win


def _legend_is_in_default_place(win) -> bool:
    legend = win.docks["legend"]
    return win.dockWidgetArea(legend) == Qt.DockWidgetArea.LeftDockWidgetArea and (
        legend in win.tabifiedDockWidgets(win.docks["layers"])
    )


def test_dock_layout_is_kept_between_runs(qtbot, app_env):
    win = _legend_moved_right(qtbot)
    win.close()  # nothing unsaved: the layout is saved as the window closes
    again = app_support.new_window(qtbot)
    assert again.dockWidgetArea(again.docks["legend"]) == Qt.DockWidgetArea.RightDockWidgetArea


def test_dock_layout_of_another_version_is_not_restored(qtbot, app_env):
    """A layout saved by an older app (other docks) is ignored: the default layout is used."""
    from planner.app.common.settings import AppSettings
    from planner.app.shell.window_layout import WINDOW_STATE_VERSION

    win = _legend_moved_right(qtbot)
    for version in (0, WINDOW_STATE_VERSION + 1):  # 0: what saveState() wrote before versions
        settings = AppSettings()
        settings.window_state = win.saveState(version)
        settings.sync()
        again = app_support.new_window(qtbot)
        assert _legend_is_in_default_place(again), version
