"""The Propose panel in the real window: candidates on the worker, proposals drawn,
accepted through the siting gate as one undoable command, the curve solved."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from planner.core.model import Plan, Severity
from tests.app_support import app_env, new_window  # noqa: F401 (fixture)
from tests.test_propose import _random_pack


@pytest.fixture
def grid_window(qtbot, app_env, tmp_path):  # noqa: F811
    from planner.app.siting.loading import load_data_context

    pack, _, _ = _random_pack(tmp_path, 5)
    win = new_window(qtbot)
    win.install_data(load_data_context(policy=win.policy, cameras=[], pack=pack))
    win.doc.load_plan(Plan(), None)
    win.zoom_to_fit()
    yield win
    win.doc.undo_stack.setClean()
    win.cancel_work()
    win.wait_idle(30)


def test_propose_accept_all_undo_and_curve(qtbot, grid_window) -> None:
    win = grid_window
    panel = win.propose_panel
    win.docks["propose"].raise_()
    panel.area.setCurrentIndex(1)  # whole data pack
    panel.budget.setValue(3)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.task is None and panel.result is not None, timeout=120_000)
    assert panel.results.count() == 3
    assert "optimal" in panel.state.text()
    assert len(panel._items) == 6  # a cone and a weight label per proposal
    assert all(item.scene() is win.canvas.scene() for item in panel._items)
    before = win.doc.undo_stack.count()
    qtbot.mouseClick(panel.accept_all, Qt.MouseButton.LeftButton)
    ids = win.doc.plan.ids()
    assert len(ids) == 3
    assert win.doc.undo_stack.count() == before + 1  # one gesture, one undo step
    assert all(win.doc.status_of(i) is Severity.CLEAR for i in ids)
    assert panel.results.count() == 0 and panel._items == []
    win.doc.undo_stack.undo()
    assert win.doc.plan.ids() == []
    win.doc.undo_stack.redo()
    assert len(win.doc.plan.ids()) == 3
    qtbot.mouseClick(panel.curve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.task is None and bool(panel.curve.points), timeout=120_000)
    points = panel.curve.points
    assert points == sorted(points) and points[0] > 0


def test_cancel_keeps_nothing_half_done(qtbot, grid_window) -> None:
    panel = grid_window.propose_panel
    panel.area.setCurrentIndex(1)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.task is None, timeout=120_000)
    assert panel.run_button.isEnabled()
    assert grid_window.doc.plan.ids() == []


def test_why_not_here_names_the_site_and_rule(qtbot, grid_window) -> None:
    from PySide6.QtCore import QPointF

    win = grid_window
    panel = win.propose_panel
    site = win.doc.data.sites[0]
    c = site.geometry.centroid
    x, y = win.doc.data.checker.projector.point(c.x + 0.0002, c.y)  # about 18 m east
    win.canvas.centerOn(QPointF(x, -y))
    qtbot.mouseClick(panel.why_button, Qt.MouseButton.LeftButton)
    assert panel.why_button.isChecked()
    before = win.doc.plan.ids()
    pos = win.canvas.mapFromScene(QPointF(x, -y))
    qtbot.mouseClick(win.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    text = panel.state.text()
    assert not panel.why_button.isChecked()
    assert "excluded: captures_entrance" in text and site.name in text
    assert win.doc.plan.ids() == before  # a question, not an edit
