"""The drawn target area among the window's other map tools: one tool at a time, the
tool's keys never reach the window's shortcuts (Backspace is also Delete camera), and
an area drawn over one pack is forgotten when other data is loaded."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from tests.app_support import app_env, new_window  # noqa: F401 (fixture)
from tests.test_app_propose import grid_window  # noqa: F401 (fixture)


def _corners(win) -> list[QPoint]:
    vp = win.canvas.viewport().rect()
    w, h = vp.width(), vp.height()
    return [QPoint(int(w * fx), int(h * fy)) for fx, fy in ((0.2, 0.2), (0.6, 0.3), (0.4, 0.8))]


def _click(qtbot, win, points: list[QPoint]) -> None:
    for p in points:
        qtbot.mouseClick(win.canvas.viewport(), Qt.MouseButton.LeftButton, pos=p)


def _draw(qtbot, win) -> None:
    panel = win.propose_panel
    qtbot.mouseClick(panel.draw_area, Qt.MouseButton.LeftButton)
    _click(qtbot, win, _corners(win))
    qtbot.keyClick(win.canvas, Qt.Key.Key_Return)
    assert panel.area_tool.area is not None


def test_drawing_leaves_the_other_map_tools(qtbot, grid_window) -> None:  # noqa: F811
    win = grid_window
    panel = win.propose_panel
    win.gis.set_tool("measure")
    qtbot.mouseClick(panel.draw_area, Qt.MouseButton.LeftButton)
    assert panel.area_tool.active and win.gis.tool is None
    _click(qtbot, win, _corners(win)[:2])
    assert len(panel.area_tool.points) == 2 and win.gis.measure.points == []
    qtbot.mouseClick(panel.why_button, Qt.MouseButton.LeftButton)
    assert panel.why_button.isChecked()
    assert not panel.area_tool.active and not panel.draw_area.isChecked()
    qtbot.mouseClick(panel.draw_area, Qt.MouseButton.LeftButton)
    assert panel.area_tool.active and not panel.why_button.isChecked()
    qtbot.keyClick(win.canvas, Qt.Key.Key_Escape)
    add_mode = win.actions_by_name["add_mode"]
    add_mode.trigger()
    assert add_mode.isChecked() and not panel.area_tool.active
    qtbot.mouseClick(panel.draw_area, Qt.MouseButton.LeftButton)
    assert panel.area_tool.active and not add_mode.isChecked()
    count = len(win.doc.plan.ids())
    _click(qtbot, win, _corners(win)[:1])
    assert len(panel.area_tool.points) == 1 and len(win.doc.plan.ids()) == count


def test_backspace_takes_back_a_corner_not_the_selected_camera(qtbot, grid_window) -> None:  # noqa: F811
    win = grid_window
    panel = win.propose_panel
    panel.area.setCurrentText("Whole data pack")
    panel.budget.setValue(1)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.task is None and panel.result is not None, timeout=120_000)
    qtbot.mouseClick(panel.accept_all, Qt.MouseButton.LeftButton)
    (cid,) = win.doc.plan.ids()
    win.controller.select([cid])
    steps = win.doc.undo_stack.count()
    qtbot.mouseClick(panel.draw_area, Qt.MouseButton.LeftButton)
    _click(qtbot, win, _corners(win)[:1])
    qtbot.keyClick(win.canvas, Qt.Key.Key_Backspace)
    assert panel.area_tool.points == []
    assert win.doc.plan.ids() == [cid] and win.doc.undo_stack.count() == steps


def test_other_data_forgets_the_drawn_area(qtbot, grid_window) -> None:  # noqa: F811
    win = grid_window
    panel = win.propose_panel
    _draw(qtbot, win)
    assert panel.area.currentText() == "Drawn area" and panel.clear_area.isEnabled()
    qtbot.mouseClick(panel.draw_area, Qt.MouseButton.LeftButton)
    _click(qtbot, win, _corners(win)[:1])  # drawing again when the data changes
    win.install_data(win.doc.data)
    assert panel.area_tool.area is None and not panel.area_tool.active
    assert not panel.draw_area.isChecked() and not panel.clear_area.isEnabled()
    assert panel.area.currentText() == "Current view"


def test_the_curve_counts_cameras_added_to_the_kept_ones(qtbot) -> None:
    from planner.app.siting.propose_curve import CurveWidget

    curve = CurveWidget()
    qtbot.addWidget(curve)
    curve.set_points([10.0, 15.0], base=0.0)
    assert curve.toolTip().startswith("2 cameras read everything")
    curve.set_points([10.0, 15.0], base=5.0)
    assert curve.toolTip().startswith("2 more cameras read everything")
