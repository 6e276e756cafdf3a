"""Starting the desktop app: the embedded demo and ``--screenshot`` (pytest-qt, offscreen)."""

from __future__ import annotations

from pathlib import Path

from planner.core.model import Severity
from tests import app_support

app_env = app_support.app_env


def _window(qtbot):
    return app_support.new_window(qtbot, size=None)


def test_first_run_opens_the_demo(qtbot, app_env):
    from planner.app.siting.loading import demo_paths

    win = _window(qtbot)
    win.start_up(plan=None, data=None, wait=True)
    win.wait_idle(60)
    plan_path, pack_path = demo_paths()
    assert win.doc.path == plan_path
    assert win.doc.data is not None and win.doc.data.pack_path == pack_path
    ids = {c.id for c in win.doc.all_cameras()}
    assert ids and set(win.doc.results) == ids
    statuses = {r.status for r in win.doc.results.values()}
    assert Severity.BLOCK in statuses and Severity.CLEAR in statuses
    assert set(win.controller.bodies) == ids
    assert win.findings_panel.proxy.rowCount() == len(
        [f for r in win.doc.results.values() for f in r.findings]
    )
    assert len(win.layers_panel.keys()) >= 3
    assert "Checked" in win.check_label.text()
    # the data and the policy in force are always in view
    assert win.policy_label.text() == "Data: demo.gpkg · Policy san-jose-alpr-dup-2026 v2026-03-10"
    assert not win.doc.dirty
    qtbot.waitUntil(lambda: win.first_paint_s is not None, timeout=5_000)
    # demo must not become the "last project": the next start still offers the demo
    assert win.settings.last_project is None


def test_screenshot_option_writes_a_png(qtbot, app_env, tmp_path):
    from planner.app.shell.main import run_app

    out = tmp_path / "shot.png"
    assert run_app(plan=None, data=None, screenshot=out) == 0
    data = Path(out).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_the_demo_paths_do_not_import_the_generator():
    """Finding the demo must not import :mod:`planner.io.datapack.demo` (geopandas) before the
    first paint.
    """
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from planner.app.siting.loading import demo_paths\n"
        "plan, pack = demo_paths()\n"
        "print(plan.is_file(), pack.is_file(), sorted(m for m in"
        " ('planner.io.datapack.demo', 'geopandas', 'pandas', 'networkx') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split("\n")[0] == "True True []"
