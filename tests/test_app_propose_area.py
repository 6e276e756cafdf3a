"""The Propose panel's drawn target area: digitised with real mouse and key events on
the canvas, limiting the proposals exactly as ``propose --targets`` does; and the
curve starting from what the existing cameras already read."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from planner.app.siting.area_tool import polygon_from_vertices
from tests.app_support import app_env, new_window  # noqa: F401 (fixture)
from tests.test_app_propose import grid_window  # noqa: F401 (fixture)


def _corners(win) -> list[QPoint]:
    """A quadrilateral over the middle-left of the map, in viewport pixels."""
    vp = win.canvas.viewport().rect()
    w, h = vp.width(), vp.height()
    return [
        QPoint(int(w * 0.15), int(h * 0.2)),
        QPoint(int(w * 0.55), int(h * 0.25)),
        QPoint(int(w * 0.5), int(h * 0.8)),
        QPoint(int(w * 0.2), int(h * 0.75)),
    ]


def _click_all(qtbot, win, points: list[QPoint]) -> None:
    for p in points:
        qtbot.mouseClick(win.canvas.viewport(), Qt.MouseButton.LeftButton, pos=p)


def _wait(qtbot, panel, what) -> None:
    qtbot.waitUntil(lambda: panel.task is None and what(), timeout=120_000)


def test_drawn_area_limits_proposals_as_targets_do(qtbot, grid_window) -> None:  # noqa: F811
    from planner.propose.approaches import streets_from_table
    from planner.propose.candidates import CandidateParams
    from planner.propose.engine import Proposer

    win = grid_window
    panel = win.propose_panel
    steps, dirty = win.doc.undo_stack.count(), win.doc.dirty
    qtbot.mouseClick(panel.draw_area, Qt.MouseButton.LeftButton)
    assert panel.area_tool.active and panel.draw_area.isChecked()
    corners = _corners(win)
    _click_all(qtbot, win, corners)
    qtbot.keyClick(win.canvas, Qt.Key.Key_Return)
    area = panel.area_tool.area
    assert area is not None and not panel.area_tool.active
    assert not panel.draw_area.isChecked() and panel.clear_area.isEnabled()
    assert panel.area.currentText() == "Drawn area"
    want = [win.canvas.mapToScene(p) for p in corners]
    got = [v for xy in list(area.exterior.coords)[:-1] for v in xy]
    assert got == pytest.approx([v for q in want for v in (q.x(), -q.y())])
    # view state: no undo step, the plan not modified
    assert win.doc.undo_stack.count() == steps and win.doc.dirty == dirty
    assert not win.isWindowModified()

    panel.budget.setValue(2)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    _wait(qtbot, panel, lambda: panel.result is not None)
    data = win.doc.data
    engine = Proposer(
        data.checker,
        streets_from_table(data.streets, data.checker.projector),
        panel._chosen_lenses(),
        CandidateParams(),
        targets=area,
    )
    whole = Proposer(
        data.checker,
        streets_from_table(data.streets, data.checker.projector),
        panel._chosen_lenses(),
        CandidateParams(),
    )
    assert 0 < panel.proposer.stats.approaches == engine.stats.approaches
    assert engine.stats.approaches < whole.stats.approaches  # the area really limits
    assert panel.proposer.stats.candidates == engine.stats.candidates
    ref = engine.solve(cameras=2)
    assert panel.result.solution.objective == pytest.approx(ref.solution.objective)
    assert [c.camera.pose for c in panel.result.cameras] == [c.camera.pose for c in ref.cameras]

    qtbot.mouseClick(panel.clear_area, Qt.MouseButton.LeftButton)
    assert panel.area_tool.area is None and panel.area.currentText() == "Current view"


def test_escape_cancels_and_backspace_takes_back(qtbot, grid_window) -> None:  # noqa: F811
    win = grid_window
    panel = win.propose_panel
    qtbot.mouseClick(panel.draw_area, Qt.MouseButton.LeftButton)
    corners = _corners(win)
    _click_all(qtbot, win, corners[:3])
    qtbot.keyClick(win.canvas, Qt.Key.Key_Backspace)
    assert len(panel.area_tool.points) == 2
    qtbot.keyClick(win.canvas, Qt.Key.Key_Escape)
    assert not panel.area_tool.active and panel.area_tool.points == []
    assert panel.area_tool.area is None and not panel.draw_area.isChecked()
    assert "cancelled" in panel.state.text()
    # A click on the map now is no longer a vertex.
    _click_all(qtbot, win, corners[:1])
    assert panel.area_tool.points == []
    # Drawn area chosen but none drawn: Propose says so and runs nothing.
    panel.area.setCurrentText("Drawn area")
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.task is None and "Draw an area first" in panel.state.text()


def test_fewer_than_three_vertices_refused(qtbot, grid_window) -> None:  # noqa: F811
    win = grid_window
    panel = win.propose_panel
    qtbot.mouseClick(panel.draw_area, Qt.MouseButton.LeftButton)
    corners = _corners(win)
    _click_all(qtbot, win, corners[:2])
    qtbot.keyClick(win.canvas, Qt.Key.Key_Return)
    assert panel.area_tool.area is None and panel.area_tool.active  # still drawing
    assert "three" in panel.state.text()
    _click_all(qtbot, win, corners[2:3])
    qtbot.mouseDClick(win.canvas.viewport(), Qt.MouseButton.LeftButton, pos=corners[2])
    assert panel.area_tool.area is not None and not panel.area_tool.active


def test_self_intersecting_outline_made_valid_and_degenerate_refused() -> None:
    bowtie = [(0.0, 0.0), (10.0, 10.0), (10.0, 0.0), (0.0, 10.0)]
    poly, note = polygon_from_vertices(bowtie)
    assert poly is not None and poly.is_valid and poly.geom_type == "MultiPolygon"
    assert poly.area == pytest.approx(50.0) and "crossed itself" in note
    line, why = polygon_from_vertices([(0.0, 0.0), (5.0, 5.0), (10.0, 10.0)])
    assert line is None and "no area" in why
    same, why = polygon_from_vertices([(0.0, 0.0), (0.0, 0.0), (1.0, 1.0)])
    assert same is None and "three" in why


def test_curve_starts_from_the_existing_cameras(qtbot, grid_window) -> None:  # noqa: F811
    win = grid_window
    panel = win.propose_panel
    panel.area.setCurrentText("Whole data pack")
    panel.budget.setValue(2)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    _wait(qtbot, panel, lambda: panel.result is not None)
    qtbot.mouseClick(panel.accept_all, Qt.MouseButton.LeftButton)
    assert len(win.doc.plan.ids()) == 2
    assert panel.keep_existing.isChecked()
    panel.budget.setValue(1)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    _wait(qtbot, panel, lambda: panel.result is not None and panel.result.solution.optimal)
    fixed_weight = panel.result.fixed_weight
    assert fixed_weight > 0
    qtbot.mouseClick(panel.curve_button, Qt.MouseButton.LeftButton)
    _wait(qtbot, panel, lambda: bool(panel.curve.points))
    assert panel.curve.base == pytest.approx(fixed_weight)
    # One more camera on the curve is the solve's answer for a budget of one.
    assert panel.curve.points[0] == pytest.approx(panel.result.solution.objective)
    assert panel.curve.points == sorted(panel.curve.points)
    assert panel.curve.points[0] >= fixed_weight
