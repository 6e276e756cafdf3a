"""Review mode in the desktop app (pytest-qt, offscreen)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from planner.app.review_window import BANNER, ReviewWindow
from planner.core.review import Decision
from tests import app_support
from tests.app_support import new_window

app_env = app_support.app_env

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "data" / "demo" / "demo.plan.geojson"
DEMO_PACK = ROOT / "data" / "demo" / "demo.gpkg"


class Settings:
    user_identity = "Rita Reviewer"


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "demo.plan.geojson"
    shutil.copyfile(DEMO_PLAN, path)
    return path


def open_window(qtbot, plan: Path) -> ReviewWindow:
    w = ReviewWindow(settings=Settings())
    qtbot.addWidget(w)
    w.show()
    w.load(plan, data=DEMO_PACK, wait=True)
    assert w.rc is not None, w.error
    return w


def test_review_mode_says_it_is_read_only_and_refuses_edits(qtbot, plan: Path) -> None:
    before = plan.read_bytes()
    w = open_window(qtbot, plan)
    assert "read-only" in w.windowTitle() and "read-only" in BANNER
    assert w.banner.isVisible()
    texts = {a.text().replace("&", "") for a in w.findChildren(type(w.save_action))}
    assert not texts & {"Undo", "Delete", "Move", "Edit", "Add camera mode"}
    # drag a camera on the map: nothing moves
    body = w.bodies["C-3"]
    start = body.pos()
    w.canvas.centerOn(body)
    qtbot.wait(10)
    p = w.canvas.mapFromScene(body.pos())
    qtbot.mousePress(w.canvas.viewport(), Qt.MouseButton.LeftButton, pos=p)
    qtbot.mouseMove(w.canvas.viewport(), p + QPoint(40, 25))
    qtbot.mouseRelease(w.canvas.viewport(), Qt.MouseButton.LeftButton, pos=p + QPoint(40, 25))
    assert body.pos() == start
    assert not body.editable
    qtbot.keyClick(w.canvas, Qt.Key.Key_Delete)
    assert "C-3" in w.bodies and w.rc.plan.ids() == json_ids(plan)
    w.save()  # nothing decided: nothing written
    assert plan.read_bytes() == before


def json_ids(plan: Path) -> list[str]:
    return [f["id"] for f in json.loads(plan.read_text())["features"]]


def test_block_cannot_be_approved_and_f8_walks_to_the_next_undecided(qtbot, plan: Path) -> None:
    w = open_window(qtbot, plan)
    w.select("C-1")  # blocked in the demo
    assert not w.approve_btn.isEnabled()
    assert "cannot be approved" in w.why.text()
    assert not w.decide(Decision.APPROVE)
    assert w.model.pending == {}
    w.comment.setText("captures the church driveway")
    assert w.decide(Decision.REJECT)
    # deciding moves on to the next camera that needs a decision
    assert w.current_id() == "C-2"
    w.select("C-1")
    qtbot.keyClick(w, Qt.Key.Key_F8)
    assert w.current_id() == "C-2"
    assert w.save()
    data = json.loads(plan.read_text())
    rec = data["siting_plan"]["review"]["decisions"][-1]
    assert (rec["camera_id"], rec["decision"], rec["reviewer"], rec["comment"]) == (
        "C-1",
        "reject",
        "Rita Reviewer",
        "captures the church driveway",
    )


def test_edit_after_decision_is_stale_and_changes_and_audit_show(qtbot, plan: Path) -> None:
    w = open_window(qtbot, plan)
    w.select("C-3")
    assert w.decide(Decision.APPROVE)
    w.select("C-4")
    assert w.decide(Decision.APPROVE)
    assert w.save()
    w.close()
    data = json.loads(plan.read_text())
    for f in data["features"]:
        if f["id"] == "C-3":
            f["properties"]["heading_deg"] = (f["properties"]["heading_deg"] + 45.0) % 360.0
    plan.write_text(json.dumps(data))
    w2 = open_window(qtbot, plan)
    assert w2.model.is_stale("C-3") and not w2.model.is_stale("C-4")
    claims = [w2.claims.item(i).text() for i in range(w2.claims.count())]
    assert any("C-3" in c and "STALE" in c for c in claims)
    changes = {
        w2.changes_table.item(r, 0).text(): w2.changes_table.item(r, 1).text()
        for r in range(w2.changes_table.rowCount())
    }
    assert changes == {"C-3": "re-aimed 45°"}
    # F8 visits the stale camera too
    w2.select("C-4")
    visited = {w2.next_attention(1) for _ in range(6)}
    assert "C-3" in visited and "C-4" not in visited
    # the audit trail filters by camera
    w2.audit_filter.setCurrentIndex(w2.audit_filter.findData("C-4"))
    rows = w2.audit_entries()
    assert rows and {a.camera_id for a in rows} == {"C-4"}
    w2.audit_filter.setCurrentIndex(0)
    assert {a.camera_id for a in w2.audit_entries()} >= {"C-3", "C-4"}


def test_export_report_from_the_review_window(qtbot, plan: Path, tmp_path: Path) -> None:
    w = open_window(qtbot, plan)
    out = w.export_report(tmp_path / "r.html")
    assert out is not None and out.stat().st_size > 10_000
    assert "Camera C-1" in out.read_text(encoding="utf-8")


def test_main_window_file_menu_opens_review_and_exports_the_report(
    qtbot, app_env, tmp_path: Path
) -> None:
    from planner.app.review_window import export_report_dialog

    plan = tmp_path / "demo.plan.geojson"
    shutil.copyfile(DEMO_PLAN, plan)
    win = new_window(qtbot, size=None)
    file_menu = win.menuBar().actions()[0].menu()
    texts = [a.text().replace("&", "") for a in file_menu.actions()]
    assert "Review plan…" in texts and "Export review report…" in texts
    win.start_up(plan=plan, data=DEMO_PACK, wait=True, recover=False)
    win.wait_idle(60)
    out = export_report_dialog(win, tmp_path / "from_app.pdf")
    assert out is not None and out.read_bytes()[:5] == b"%PDF-"


def test_report_from_the_main_window_reuses_the_pack_it_read(
    qtbot, app_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report re-checks the saved plan against the pack the window already holds (no
    second citywide building index in memory), and reads it again once it changed."""
    import os

    import planner.io.loader as loader
    from planner.app.review_window import export_report_dialog

    plan = tmp_path / "demo.plan.geojson"
    shutil.copyfile(DEMO_PLAN, plan)
    pack = tmp_path / "demo.gpkg"
    shutil.copyfile(DEMO_PACK, pack)
    win = new_window(qtbot, size=None)
    win.start_up(plan=plan, data=pack, wait=True, recover=False)
    win.wait_idle(60)
    reads: list[object] = []
    load = loader.load_inputs

    def counting(**kwargs):
        reads.append(kwargs.get("data"))
        return load(**kwargs)

    monkeypatch.setattr(loader, "load_inputs", counting)
    out = export_report_dialog(win, tmp_path / "a.html")
    assert out is not None and "Camera" in out.read_text(encoding="utf-8")
    assert reads == []  # the window's own read of the pack
    # the pack changed on disk since: the report reads it afresh
    st = pack.stat()
    os.utime(pack, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    out = export_report_dialog(win, tmp_path / "b.html")
    assert out is not None and reads == [pack]
