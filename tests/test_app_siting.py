"""Siting gestures in the desktop app: add, drag, refuse, justify, undo (pytest-qt, offscreen)."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from planner.app.siting.scene_paths import to_scene
from planner.core.model import Severity
from tests import app_support
from tests.app_support import ENTRANCE, PROJ, X0, Y0

app_env = app_support.app_env
window = app_support.window

pytest.importorskip("pytestqt")


def viewport_point(win, x: float, y: float) -> QPoint:
    return win.canvas.mapFromScene(to_scene(x, y))


def xy(cam) -> tuple[float, float]:
    return PROJ.point(cam.lon, cam.lat)


def drag(qtbot, win, start: tuple[float, float], end: tuple[float, float], steps: int = 6):
    vp = win.canvas.viewport()
    p0, p1 = viewport_point(win, *start), viewport_point(win, *end)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=p0)
    for i in range(1, steps + 1):
        p = p0 + (p1 - p0) * (i / steps)
        qtbot.mouseMove(vp, pos=p)
        qtbot.wait(20)  # let the once-per-frame live re-check run
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=p1)


def test_add_camera_snaps_to_street_and_faces_along_it(window):
    n = window.doc.undo_stack.count()
    cid = window.add_camera(X0 - 150, Y0 + 12)
    assert cid is not None
    cam = window.doc.camera(cid)
    x, y = xy(cam)
    assert abs(y - Y0) < 0.5 and abs(x - (X0 - 150)) < 0.5  # on the street
    assert cam.heading_deg is not None
    assert min(abs(cam.heading_deg - 90), abs(cam.heading_deg - 270)) < 1  # along it
    model = window.default_model()
    assert (cam.fov_deg, cam.range_m) == (model.fov_deg, model.range_m)
    assert window.doc.undo_stack.count() == n + 1
    assert window.controller.selected_ids() == [cid]
    window.doc.undo_stack.undo()
    assert not window.doc.has_camera(cid)


def test_add_camera_by_click_in_add_mode(qtbot, window):
    window.zoom_to_selection()
    window.actions_by_name["add_mode"].setChecked(True)
    before = set(window.doc.plan.ids())
    p = viewport_point(window, X0 + 120, Y0 - 5)
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=p)
    added = set(window.doc.plan.ids()) - before
    assert len(added) == 1


def test_drag_into_protected_entrance_is_refused_and_reverted(qtbot, window):
    before = window.doc.camera("C-1")
    count = window.doc.undo_stack.count()
    x, y = xy(before)
    drag(qtbot, window, (x, y), (ENTRANCE[0] - 30, Y0))
    after = window.doc.camera("C-1")
    assert after == before  # the last committed pose, exactly
    assert window.doc.undo_stack.count() == count
    msg = window.doc.last_message
    # plain words: the site, the kind of entrance, how far and which way; no ids or rules
    assert msg.startswith(
        "Move C-1 refused: C-1 would capture vehicles at the vehicle "
        "entrance of Test Church (place of worship), "
    )
    assert "m east of the camera" in msg
    assert "w1/e1" not in msg and "captures_entrance" not in msg
    assert window.notice.isVisible() and window.notice.text() == msg
    assert window.notice.button("Show allowed headings (H)") is not None
    body = window.controller.bodies["C-1"]
    assert abs(body.pos().x() - x) < 1e-6 and abs(body.pos().y() + y) < 1e-6
    # the live re-check saw the block during the drag, at most once per frame
    assert window.controller.recheck_ms


def test_drag_to_clear_spot_is_one_undo_step(qtbot, window):
    start = window.doc.camera("C-1")
    count = window.doc.undo_stack.count()
    x, y = xy(start)
    drag(qtbot, window, (x, y), (x + 60, y + 5), steps=10)
    moved = window.doc.camera("C-1")
    mx, my = xy(moved)
    assert math.hypot(mx - (x + 60), my - (y + 5)) < 1.5  # pixel rounding at this zoom
    assert window.doc.undo_stack.count() == count + 1  # one drag = one command
    assert window.doc.status_of("C-1") is Severity.CLEAR
    assert window.isWindowModified()
    window.doc.undo_stack.undo()
    assert window.doc.camera("C-1") == start
    assert window.doc.camera("C-1").pose == start.pose
    window.doc.undo_stack.redo()
    assert window.doc.camera("C-1").pose == moved.pose


def test_warn_placement_needs_justification(window):
    from tests.app_support import camera_at

    doc = window.doc
    before = doc.camera("C-1")
    target = camera_at("C-1", X0 + 60, Y0, 270.0).replace(label=before.label)
    assert doc.evaluate(target).status is Severity.WARN
    window.prompter.justification = None  # cancelled
    out = doc.propose([before], [target], action="move", text="Move C-1")
    assert not out.committed and doc.camera("C-1") == before
    window.prompter.justification = "   "  # empty is not a justification
    assert not doc.propose([before], [target], action="move", text="Move C-1").committed
    assert doc.camera("C-1") == before and not doc.plan.meta.audit
    window.prompter.justification = "Faces away from the driveway; signed off by DPO"
    assert doc.propose([before], [target], action="move", text="Move C-1").committed
    from planner.app.siting.poses import quantize

    assert doc.camera("C-1").pose == quantize(target).pose
    entry = doc.plan.meta.audit[-1]
    assert entry.camera_id == "C-1" and entry.action == "move"
    assert entry.justification.startswith("Faces away") and entry.who and entry.when
    assert "Test Church" in entry.detail
    doc.undo_stack.undo()
    assert doc.camera("C-1") == before and not doc.plan.meta.audit


def test_warn_drag_without_justification_reverts(qtbot, window):
    from tests.app_support import camera_at

    doc = window.doc
    doc.undo_stack.push(
        __import__("planner.app.siting.undo_commands", fromlist=["x"]).SetCamerasCommand(
            doc, [doc.camera("C-1")], [camera_at("C-1", X0 + 90, Y0, 270.0)]
        )
    )
    window.zoom_to_selection()
    window.zoom_to_fit()
    before = doc.camera("C-1")
    count = doc.undo_stack.count()
    window.prompter.justification = None
    drag(qtbot, window, xy(before), (X0 + 60, Y0))
    assert window.prompter.asked[-1][:1] == ("justify",)
    assert doc.camera("C-1") == before and doc.undo_stack.count() == count
    assert "justification" in doc.last_message


def test_rotate_and_handles_and_allowed_headings(window):
    c = window.controller
    c.select(["C-1"])
    assert window.properties_panel.camera_id == "C-1"
    assert all(h.isVisible() for h in c.handles.values())
    assert c.rotate_selected(15.0)
    assert window.doc.camera("C-1").heading_deg == pytest.approx(105.0)
    window.actions_by_name["allowed"].trigger()
    assert c.arcs.isVisible() and not c.arcs.path().isEmpty()
    # point C-1 at the church from the west: blocked; rotating to allowed is refused too
    from tests.app_support import camera_at

    doc = window.doc
    cam = camera_at("C-1", X0 - 25, Y0, 90.0, rng=30)
    assert doc.evaluate(cam).status is Severity.BLOCK
    assert doc.evaluate(cam.with_pose(heading_deg=270.0)).status is Severity.CLEAR


def test_delete_duplicate_and_multiselect(qtbot, window):
    doc, c = window.doc, window.controller
    cid = window.add_camera(X0 + 300, Y0)
    assert cid
    vp = window.canvas.viewport()
    window.zoom_to_fit()
    c.select(["C-1"])
    qtbot.mouseClick(
        vp,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        viewport_point(window, *xy(doc.camera(cid))),
    )
    assert sorted(c.selected_ids()) == sorted(["C-1", cid])
    window.duplicate_selected()
    assert len(doc.plan.cameras) == 4
    window.delete_selected()
    assert len(doc.plan.cameras) == 2
    doc.undo_stack.undo()
    assert len(doc.plan.cameras) == 4


def test_properties_panel_edits_are_commands(window):
    doc, panel = window.doc, window.properties_panel
    window.controller.select(["C-1"])
    panel.label.setText("North pole")
    panel.label.editingFinished.emit()  # leaving a field applies nothing: Apply does
    assert doc.camera("C-1").label == "C-1"
    panel.apply_button.click()
    assert doc.camera("C-1").label == "North pole"
    panel.caps["facial_recognition"].setChecked(True)  # prohibited: refused
    panel.apply_button.click()
    assert "facial_recognition" not in doc.camera("C-1").capabilities
    assert "Not applied" in panel.error.text()
    panel.revert_button.click()
    assert not panel.caps["facial_recognition"].isChecked()
    doc.undo_stack.undo()
    assert doc.camera("C-1").label == "C-1"


def test_findings_table_sorts_and_zooms(qtbot, window):
    from planner.app.siting.undo_commands import SetCamerasCommand
    from tests.app_support import camera_at

    doc = window.doc
    doc.undo_stack.push(
        SetCamerasCommand(doc, [doc.camera("C-1")], [camera_at("C-1", X0 - 30, Y0, 90.0)])
    )
    panel = window.findings_panel
    assert panel.proxy.rowCount() == 1
    idx = panel.proxy.index(0, 0)
    assert panel.proxy.data(idx) == "BLOCK"
    window.controller.select([])
    panel.view.clicked.emit(idx)
    assert window.controller.selected_ids() == ["C-1"]
    visible = window.canvas.mapToScene(window.canvas.viewport().rect()).boundingRect()
    assert visible.contains(to_scene(*ENTRANCE))


@pytest.mark.parametrize(
    ("heading", "fov"), [(0.0, 20.0), (90.0, 76.0), (355.0, 30.0), (200.0, 359.0), (None, 60.0)]
)
def test_the_unchecked_cone_is_the_sector_of_spec_4_1(heading, fov):
    # Independent of the path code: every sampled point's bearing and distance, by hand.
    from planner.app.siting.scene_paths import plain_cone_path
    from planner.core.model import Camera

    cam = Camera("c", 0.0, 0.0, heading, fov, 50.0)
    path = plain_cone_path(cam)
    inside = outside = 0
    for r in (5.0, 25.0, 49.0, 51.0):
        for b in range(0, 360, 7):
            # scene offsets of bearing b (clockwise from north) at distance r; y points south
            pt = QPointF(r * math.sin(math.radians(b)), -r * math.cos(math.radians(b)))
            off = 0.0 if heading is None else abs((b - heading + 180.0) % 360.0 - 180.0)
            want = r < 50.0 and (heading is None or fov >= 360.0 or off < fov / 2.0 - 0.5)
            if r < 50.0 and heading is not None and abs(off - fov / 2.0) <= 0.5:
                continue  # on the edge: either answer is right
            assert path.contains(pt) == want, (b, r)
            inside += want
            outside += not want
    assert inside and outside
