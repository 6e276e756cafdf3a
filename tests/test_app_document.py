"""Documents in the desktop app: save/reopen, recovery, keyboard flow, settings, Qt sanity."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import Qt

from planner.app.shell.recovery import find_recovery_files
from tests import app_support
from tests.app_support import PROJ, X0, Y0

app_env = app_support.app_env
window = app_support.window


def test_save_reopen_identical(window, tmp_path):
    from planner.io.formats.plan import read_plan

    doc = window.doc
    window.add_camera(X0 - 200, Y0)
    window.controller.select(["C-1"])
    window.controller.rotate_selected(10.0)
    assert window.isWindowModified()
    path = tmp_path / "out.plan.geojson"
    assert window.save_to(path)
    assert not window.isWindowModified() and not doc.dirty
    assert window.settings.recent_files[0] == path.resolve()
    again = read_plan(path)
    assert [c.pose for c in again.cameras] == [c.pose for c in doc.plan.cameras]
    assert again.cameras == doc.plan.cameras
    window.open_plan(path, wait=True)
    window.wait_idle(30)
    assert window.doc.plan.cameras == again.cameras
    assert window.doc.path == path


def test_recovery_is_offered_after_a_crash(qtbot, app_env, window):
    from planner.app.common.settings import AppSettings
    from planner.app.shell.main_window import MainWindow
    from planner.app.siting.dialogs import ScriptedPrompter
    from planner.app.siting.loading import load_catalogue, load_policy

    window.controller.select(["C-1"])
    window.controller.nudge(5.0, 0.0)
    moved = window.doc.camera("C-1")
    saved = window.autosaver.autosave()
    window.autosaver.flush()  # written on the autosave thread
    assert saved is not None and saved.is_file()
    # "crash": the window never closes cleanly, so the recovery file stays
    recs = find_recovery_files(window.autosaver.folder)
    assert len(recs) == 1
    prompter = ScriptedPrompter(recover=True)
    win2 = MainWindow(
        settings=AppSettings(),
        policy=load_policy(),
        catalogue=load_catalogue(),
        prompter=prompter,
        autosave_ms=3_600_000,
    )
    qtbot.addWidget(win2)
    assert win2.offer_recovery()
    assert prompter.asked[0][0] == "recovery"
    assert win2.doc.camera("C-1").pose == moved.pose
    assert win2.doc.dirty and win2.isWindowModified()
    assert find_recovery_files(window.autosaver.folder) == []  # taken over
    win2.doc.undo_stack.setClean()


def test_declined_recovery_is_discarded(qtbot, window):
    window.controller.select(["C-1"])
    window.controller.nudge(1.0, 0.0)
    window.autosaver.autosave()
    window.prompter.recover = False
    assert not window.offer_recovery()
    assert find_recovery_files(window.autosaver.folder) == []


def test_clean_save_removes_recovery_file(window, tmp_path):
    window.controller.select(["C-1"])
    window.controller.nudge(1.0, 0.0)
    assert window.autosaver.autosave() is not None
    assert window.save_to(tmp_path / "p.plan.geojson")
    assert find_recovery_files(window.autosaver.folder) == []


def test_unsaved_changes_prompt_on_close(window):
    window.controller.select(["C-1"])
    window.controller.nudge(1.0, 0.0)
    window.prompter.unsaved = "cancel"
    assert not window.close()
    assert window.prompter.asked[-1][0] == "unsaved"
    window.prompter.unsaved = "discard"
    assert window.close()


def test_keyboard_only_add_move_rotate_save(qtbot, window, tmp_path):
    from planner.io.formats.plan import read_plan

    win = window
    win.activateWindow()
    win.canvas.setFocus()
    qtbot.waitUntil(lambda: win.canvas.hasFocus() or True)
    vp_centre = win.canvas.mapToScene(win.canvas.viewport().rect().center())
    n = len(win.doc.plan.cameras)
    qtbot.keyClick(win.canvas, Qt.Key.Key_Insert)  # add at the view centre
    assert len(win.doc.plan.cameras) == n + 1
    cid = win.controller.selected_ids()[0]
    cam0 = win.doc.camera(cid)
    x0, y0 = PROJ.point(cam0.lon, cam0.lat)
    assert abs(y0 - Y0) < 1 and abs(x0 - vp_centre.x()) < 1  # snapped onto the street
    qtbot.keyClick(win.canvas, Qt.Key.Key_Right)  # 1 m east
    qtbot.keyClick(win.canvas, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # 10 m
    qtbot.keyClick(win.canvas, Qt.Key.Key_Down)  # 1 m south
    cam1 = win.doc.camera(cid)
    x1, y1 = PROJ.point(cam1.lon, cam1.lat)
    assert x1 - x0 == pytest.approx(11.0, abs=0.01) and y1 - y0 == pytest.approx(-1.0, abs=0.01)
    qtbot.keyClick(win.canvas, Qt.Key.Key_BracketRight)
    qtbot.keyClick(win.canvas, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.camera(cid).heading_deg == pytest.approx((cam0.heading_deg + 2.0) % 360)
    win.prompter.next_save = tmp_path / "keys.plan.geojson"
    qtbot.keyClick(win.canvas, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.path == tmp_path / "keys.plan.geojson"
    saved = read_plan(tmp_path / "keys.plan.geojson")
    assert saved.camera(cid).pose == win.doc.camera(cid).pose
    # undo from the keyboard: the rotations merge into one step, the nudges into another
    qtbot.keyClick(win.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.camera(cid).heading_deg == pytest.approx(cam0.heading_deg)
    qtbot.keyClick(win.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.camera(cid).pose == cam0.pose


def test_arrow_keys_pan_when_nothing_is_selected(qtbot, window):
    window.controller.select([])
    before = [c.pose for c in window.doc.plan.cameras]
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    assert [c.pose for c in window.doc.plan.cameras] == before


def test_settings_are_typed_and_isolated(app_env, tmp_path):
    from planner.app.common.settings import MAX_RECENT, AppSettings

    s = AppSettings()
    assert str(app_env) in s.store.fileName()
    for i in range(MAX_RECENT + 3):
        s.add_recent_file(tmp_path / f"p{i}.plan.geojson")
    s.add_recent_file(tmp_path / "p5.plan.geojson")
    recent = AppSettings().recent_files
    assert len(recent) == MAX_RECENT and recent[0].name == "p5.plan.geojson"
    assert len({str(p) for p in recent}) == MAX_RECENT
    s.units = "feet"
    assert AppSettings().units == "feet" and s.format_distance(30.48) == "100 ft"
    with pytest.raises(ValueError, match="units"):
        s.units = "cubits"
    s.default_camera_model = "flock_falcon"
    assert AppSettings().default_camera_model == "flock_falcon"


def test_bad_plan_file_gives_a_message_not_a_traceback(window, tmp_path):
    bad = tmp_path / "bad.plan.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}')
    before = list(window.doc.plan.cameras)
    window.open_plan(bad)
    kind, text = window.prompter.asked[-1]
    assert kind == "error" and "bad.plan.geojson" in text
    assert window.doc.plan.cameras == before  # nothing lost


def test_full_check_runs_on_a_worker(qtbot, window):
    window.doc.results.clear()
    window.run_full_check()
    assert window.check_task is not None
    qtbot.waitUntil(lambda: window.check_task is None, timeout=10_000)
    assert set(window.doc.results) == {"C-1"}
    assert "Checked" in window.check_label.text()


def test_pyside6_none_refcount_regression():
    """PySide6 6.12.0 drops a reference to None on every void call (none_dealloc crash)."""
    import PySide6
    from PySide6.QtCore import QObject

    major, minor = (int(p) for p in PySide6.__version__.split(".")[:2])
    assert (major, minor) < (6, 12), f"PySide6 {PySide6.__version__} is known bad"
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(20_000):
        obj.setObjectName("x")
    after = sys.getrefcount(None)
    assert after >= before - 100, (before, after)
