"""The Propose panel's drawn area: a polygon digitised on the real canvas with mouse and
keys limits the target approaches as ``propose --targets`` does; drawing is view state
(no undo command, plan not modified); Esc cancels, fewer than 3 vertices are refused,
Backspace removes the last vertex (and never deletes the selected camera). The curve
starts from what the cameras kept fixed already read."""

from __future__ import annotations

import pytest
import shapely
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from planner.app.siting.area_tool import area_polygon
from tests.app_support import app_env, new_window  # noqa: F401 (fixture)
from tests.test_app_propose import grid_window  # noqa: F401 (fixture)

#: The lower-left part of the 4 x 4 test grid (lon0 -121.89, lat0 37.33, step 0.0011).
AREA_LONLAT = [
    (-121.8903, 37.3297),
    (-121.8882, 37.3297),
    (-121.8882, 37.3318),
    (-121.8903, 37.3318),
]


def _pos(win, lon: float, lat: float) -> QPoint:
    x, y = win.doc.data.checker.projector.point(lon, lat)
    return win.canvas.mapFromScene(QPointF(x, -y))


def _click(win, lon: float, lat: float) -> None:
    QTest.mouseClick(win.canvas.viewport(), Qt.MouseButton.LeftButton, pos=_pos(win, lon, lat))


def _key(win, key: Qt.Key) -> None:
    win.canvas.setFocus()
    QTest.keyClick(win.canvas, key)


def _start_drawing(qtbot, win):
    panel = win.propose_panel
    win.docks["propose"].raise_()
    qtbot.mouseClick(panel.draw_area, Qt.MouseButton.LeftButton)
    assert panel.area_tool.active
    return panel


def _wait_result(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: panel.task is None and panel.result is not None, timeout=120_000)


def test_drawn_area_limits_the_approaches_like_targets(qtbot, grid_window) -> None:  # noqa: F811
    from planner.propose.approaches import streets_from_table
    from planner.propose.engine import Proposer

    win = grid_window
    panel = _start_drawing(qtbot, win)
    undo_before, clean_before = win.doc.undo_stack.count(), win.doc.undo_stack.isClean()
    for lon, lat in AREA_LONLAT[:-1]:
        _click(win, lon, lat)
    QTest.mouseDClick(
        win.canvas.viewport(), Qt.MouseButton.LeftButton, pos=_pos(win, *AREA_LONLAT[-1])
    )
    area = panel.area_tool.area
    assert area is not None and not panel.area_tool.active
    assert panel.area.currentData() == "drawn"
    assert "Area drawn" in panel.state.text()
    proj = win.doc.data.checker.projector
    expected = shapely.Polygon([proj.point(lon, lat) for lon, lat in AREA_LONLAT])
    # the clicked pixels, back in the pack's CRS: within a pixel or two of the corners
    assert area.symmetric_difference(expected).area < 0.05 * expected.area
    # drawing is view state: no undo step, the plan not modified
    assert win.doc.undo_stack.count() == undo_before
    assert win.doc.undo_stack.isClean() == clean_before and not win.isWindowModified()

    panel.budget.setValue(2)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    _wait_result(qtbot, panel)
    data = win.doc.data
    streets = streets_from_table(data.streets, data.checker.projector)
    same = Proposer(
        data.checker, streets, panel._chosen_lenses(), panel.proposer.params, targets=area
    )
    whole = Proposer(data.checker, streets, panel._chosen_lenses(), panel.proposer.params)
    assert 0 < len(panel.proposer.approaches) == len(same.approaches) < len(whole.approaches)
    assert panel.proposer.approaches.zones.tolist() == same.approaches.zones.tolist()
    assert all(area.intersects(z) for z in panel.proposer.approaches.zones)
    exact = same.solve(cameras=2, fixed=[])
    assert panel.result.solution.objective == pytest.approx(exact.solution.objective)


def test_esc_cancels_and_keeps_the_area_drawn_before(qtbot, grid_window) -> None:  # noqa: F811
    win = grid_window
    panel = _start_drawing(qtbot, win)
    for lon, lat in AREA_LONLAT:
        _click(win, lon, lat)
    _key(win, Qt.Key.Key_Return)
    first = panel.area_tool.area
    assert first is not None
    panel = _start_drawing(qtbot, win)
    for lon, lat in AREA_LONLAT[:2]:
        _click(win, lon + 0.001, lat)
    _key(win, Qt.Key.Key_Escape)
    assert not panel.area_tool.active and panel.area_tool.points == []
    assert not panel.draw_area.isChecked()
    assert panel.area_tool.area is first  # cancelling a new area keeps the old one
    assert "cancelled" in panel.state.text()
    qtbot.mouseClick(panel.clear_area, Qt.MouseButton.LeftButton)
    assert panel.area_tool.area is None
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.task is None and "Draw an area first" in panel.state.text()


def test_fewer_than_three_vertices_refused_backspace_removes_one(qtbot, grid_window) -> None:  # noqa: F811
    win = grid_window
    win.gis.set_tool("measure")
    panel = _start_drawing(qtbot, win)
    assert win.gis.tool is None  # one map tool at a time: the clicks are the area's
    for lon, lat in AREA_LONLAT[:3]:
        _click(win, lon, lat)
    _key(win, Qt.Key.Key_Backspace)
    assert len(panel.area_tool.points) == 2
    _key(win, Qt.Key.Key_Return)
    assert panel.area_tool.area is None and panel.area_tool.active  # refused, still drawing
    assert "at least 3 vertices" in panel.state.text()
    _click(win, *AREA_LONLAT[2])
    _key(win, Qt.Key.Key_Enter)
    assert (
        panel.area_tool.area is not None and len(shapely.get_coordinates(panel.area_tool.area)) == 4
    )


def test_backspace_while_drawing_never_deletes_the_selected_camera(qtbot, grid_window) -> None:  # noqa: F811
    win = grid_window
    panel = win.propose_panel
    panel.area.setCurrentIndex(panel.area.findData("pack"))
    panel.budget.setValue(1)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    _wait_result(qtbot, panel)
    qtbot.mouseClick(panel.accept_all, Qt.MouseButton.LeftButton)
    (cid,) = win.doc.plan.ids()
    win.controller.select([cid])
    count = win.doc.undo_stack.count()
    panel = _start_drawing(qtbot, win)
    _click(win, *AREA_LONLAT[0])
    _key(win, Qt.Key.Key_Backspace)
    assert panel.area_tool.points == []
    assert win.doc.plan.ids() == [cid] and win.doc.undo_stack.count() == count


def test_a_bow_tie_is_made_valid_and_a_line_refused() -> None:
    area, why = area_polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    assert why == "" and area.is_valid and area.area == pytest.approx(50.0)
    assert len(shapely.get_parts(area)) == 2
    area, why = area_polygon([(0, 0), (5, 5), (10, 10)])
    assert area is None and "no area" in why
    area, why = area_polygon([(0, 0), (1, 1), (0, 0)])
    assert area is None and "at least 3 vertices" in why


def test_the_curve_starts_from_what_the_fixed_cameras_read(qtbot, grid_window) -> None:  # noqa: F811
    win = grid_window
    panel = win.propose_panel
    panel.area.setCurrentIndex(panel.area.findData("pack"))
    panel.budget.setValue(2)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    _wait_result(qtbot, panel)
    two = panel.result.solution.objective
    qtbot.mouseClick(panel.accept_all, Qt.MouseButton.LeftButton)
    assert len(win.doc.plan.ids()) == 2
    panel.budget.setValue(1)
    assert panel.keep_existing.isChecked()
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    _wait_result(qtbot, panel)
    one_more = panel.result.solution.objective  # the solve counts the fixed cameras
    qtbot.mouseClick(panel.curve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.task is None and bool(panel.curve.points), timeout=120_000)
    assert panel.curve.points[0] == pytest.approx(one_more)
    assert panel.curve.base == pytest.approx(two)
    assert panel.curve.points == sorted(panel.curve.points)
    assert "more camera" in panel.state.text()


def test_new_data_forgets_the_drawn_area(qtbot, grid_window) -> None:  # noqa: F811
    win = grid_window
    panel = _start_drawing(qtbot, win)
    for lon, lat in AREA_LONLAT:
        _click(win, lon, lat)
    _key(win, Qt.Key.Key_Return)
    assert panel.area_tool.area is not None and panel.clear_area.isEnabled()
    win.install_data(win.doc.data)  # another pack may lie elsewhere, in another CRS
    assert panel.area_tool.area is None and not panel.clear_area.isEnabled()
