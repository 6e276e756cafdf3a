"""What the planner saw: a save after a check records per-camera statuses, a review compares."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sqlite3
from pathlib import Path

from planner.cli import main
from tests import app_support
from tests.app_support import new_window

app_env = app_support.app_env

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "data" / "demo" / "demo.plan.geojson"
DEMO_PACK = ROOT / "data" / "demo" / "demo.gpkg"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_app_save_records_claims_and_the_review_flags_a_changed_status(
    qtbot, app_env, tmp_path: Path
) -> None:

    plan = tmp_path / "demo.plan.geojson"
    shutil.copyfile(DEMO_PLAN, plan)
    win = new_window(qtbot, size=None, show=False)
    win.start_up(plan=plan, data=DEMO_PACK, wait=True, recover=False)
    win.wait_idle(60)
    saved = tmp_path / "saved.plan.geojson"
    assert win.save_to(saved)
    claimed = json.loads(saved.read_text())["siting_plan"]["checked_with"]["cameras"]
    # what the app showed, camera by camera, in plan order (C-1 blocks, C-2 warns on the demo)
    assert claimed == {
        "C-1": "block",
        "C-2": "warn",
        "C-3": "clear",
        "C-4": "clear",
        "C-5": "clear",
        "C-6": "clear",
    }
    assert list(claimed) == win.doc.plan.ids()

    # the reviewer's data no longer has the church that blocks C-1
    pack = tmp_path / "reviewer.gpkg"
    shutil.copyfile(DEMO_PACK, pack)
    with contextlib.closing(sqlite3.connect(pack)) as db:
        db.execute("DELETE FROM entrances WHERE site_id = 'demo-pow-1'")
        db.execute("DELETE FROM sites WHERE site_id = 'demo-pow-1'")
        db.commit()
    out = tmp_path / "r.html"
    code, _, err = run("report", str(saved), "--data", str(pack), "-o", str(out), "-q")
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert "Camera C-1: the plan says block, the re-check says clear." in page
    assert "Camera C-2: the plan says" not in page  # unchanged status: no claim flagged
    # with the planner's own data nothing differs
    out2 = tmp_path / "r2.html"
    assert run("report", str(saved), "--data", str(DEMO_PACK), "-o", str(out2), "-q")[0] == 0
    assert "the plan says block" not in out2.read_text(encoding="utf-8")
