"""Review mode in the desktop app (pytest-qt, offscreen)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from planner.app.review.window import BANNER, ReviewWindow
from planner.core.review import Decision, canonical_json
from tests import app_support
from tests.app_support import new_window
from tests.signing_support import (
    Signer,
    make_signer,
    needs_ssh_keygen,
    ssh_keygen_verify,
    write_allowed,
)

app_env = app_support.app_env

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "data" / "demo" / "demo.plan.geojson"
DEMO_PACK = ROOT / "data" / "demo" / "demo.gpkg"


class Settings:
    # an audit name the app must NOT use for decisions: they carry the key's principal
    user_identity = "root"


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "demo.plan.geojson"
    shutil.copyfile(DEMO_PLAN, path)
    return path


@pytest.fixture
def rita(tmp_path: Path) -> tuple[Signer, Path]:
    """A passphrase-protected key listed for rita@sanjoseca.gov, and the allowed signers."""
    signer = make_signer(
        tmp_path / "keys", "rita@sanjoseca.gov", name="Rita Reviewer", passphrase="s3cret pass"
    )
    return signer, write_allowed(tmp_path / "allowed_signers", signer.signer_line())


def open_window(qtbot, plan: Path, allowed: Path | None = None) -> ReviewWindow:
    w = ReviewWindow(settings=Settings(), allowed_signers=allowed)
    # a test that fails with decisions pending must not hang on "Save before closing?"
    qtbot.addWidget(w, before_close_func=lambda w: w.model.pending.clear())
    w.show()
    w.load(plan, data=DEMO_PACK, wait=True)
    assert w.rc is not None, w.error
    return w


class DialogAnswers:
    """Answers the real modal dialogs as they open, in order, as a person would."""

    def __init__(self, qtbot, *answers) -> None:
        self.answers = list(answers)
        self.seen: list[str] = []
        self.given: list = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        qtbot.addWidget(QWidget())  # keeps qtbot's cleanup in charge of the app

    def _tick(self) -> None:
        open_ = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QDialog) and w.isVisible() and w.isModal()
        ]
        if not open_:
            return
        dlg = open_[-1]
        # answer once the dialog has settled (a file dialog fills in its own default
        # name and loads its folder right after it shows)
        shown = (dlg.property("shown_ticks") or 0) + 1
        dlg.setProperty("shown_ticks", shown)
        if shown < 3:
            return
        # Marked on the dialog itself: a new dialog may reuse a closed one's address. A
        # dialog still open some ticks after its answer (a file dialog whose folder was
        # still loading) gets the same answer again.
        ticks = dlg.property("answered_ticks")
        if ticks is not None:
            dlg.setProperty("answered_ticks", ticks + 1)
            if ticks % 10 == 9:
                self.given[dlg.property("answer_index")](dlg)
            return
        self.seen.append(type(dlg).__name__)
        answer = self.answers.pop(0) if self.answers else (lambda d: d.reject())
        self.given.append(answer)
        dlg.setProperty("answer_index", len(self.given) - 1)
        dlg.setProperty("answered_ticks", 0)
        answer(dlg)

    def stop(self) -> None:
        self.timer.stop()
        assert not self.answers, f"dialogs that never opened: {len(self.answers)}"


def click(text: str):
    def answer(box: QMessageBox) -> None:
        button = next(b for b in box.buttons() if b.text().replace("&", "") == text)
        button.click()

    return answer


def pick_file(path: Path):
    def answer(dlg: QFileDialog) -> None:
        # typed into the name box, as a person would: selectFile() depends on the
        # folder model, which loads on a thread and may not be ready yet
        dlg.findChild(QLineEdit, "fileNameEdit").setText(str(path))
        dlg.accept()

    return answer


def type_text(text: str):
    def answer(dlg: QInputDialog) -> None:
        dlg.setTextValue(text)
        dlg.accept()

    return answer


def sign_in(qtbot, signer: Signer, passphrase: str = "s3cret pass") -> DialogAnswers:
    """Answers the first decision's dialogs: choose the key file, type its passphrase."""
    return DialogAnswers(
        qtbot, click("Choose key file…"), pick_file(signer.key), type_text(passphrase)
    )


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


def test_block_cannot_be_approved_and_f8_walks_to_the_next_undecided(
    qtbot, plan: Path, rita
) -> None:
    signer, allowed = rita
    w = open_window(qtbot, plan, allowed)
    assert "chosen by the user" in w.trust_label.text()
    w.select("C-1")  # blocked in the demo
    assert not w.approve_btn.isEnabled()
    assert "cannot be approved" in w.why.text()
    assert not w.decide(Decision.APPROVE)
    assert w.model.pending == {}
    w.comment.setText("captures the church driveway")
    answers = sign_in(qtbot, signer)
    assert w.decide(Decision.REJECT)
    answers.stop()
    assert answers.seen == ["QMessageBox", "QFileDialog", "QInputDialog"]
    # deciding moves on to the next camera that needs a decision
    assert w.current_id() == "C-2"
    w.select("C-1")
    # the offscreen platform does not hand activation back after a modal dialog
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    qtbot.keyClick(w, Qt.Key.Key_F8)
    assert w.current_id() == "C-2"
    assert w.save()
    data = json.loads(plan.read_text())
    rec = data["siting_plan"]["review"]["decisions"][-1]
    assert (rec["camera_id"], rec["decision"], rec["reviewer"], rec["comment"]) == (
        "C-1",
        "reject",
        "rita@sanjoseca.gov",  # the principal the key is listed for, not the login "root"
        "captures the church driveway",
    )
    assert rec["reviewer_name"] == "Rita Reviewer" and rec["key"] == signer.fingerprint()
    # ssh-keygen accepts the window's signature
    sig = rec.pop("signature")
    assert ssh_keygen_verify(allowed, signer.principal, sig, canonical_json(rec), plan.parent)


def test_edit_after_decision_is_stale_and_changes_and_audit_show(qtbot, plan: Path, rita) -> None:
    signer, allowed = rita
    w = open_window(qtbot, plan, allowed)
    w.select("C-3")
    answers = sign_in(qtbot, signer)
    assert w.decide(Decision.APPROVE)
    answers.stop()
    w.select("C-4")
    again = DialogAnswers(qtbot)  # the key is asked for once per session
    assert w.decide(Decision.APPROVE)
    qtbot.wait(60)
    again.stop()
    assert again.seen == []
    assert w.save()
    assert "2 approved" in w.totals_label.text()
    w.close()
    data = json.loads(plan.read_text())
    for f in data["features"]:
        if f["id"] == "C-3":
            f["properties"]["heading_deg"] = (f["properties"]["heading_deg"] + 45.0) % 360.0
    plan.write_text(json.dumps(data))
    w2 = open_window(qtbot, plan, allowed)
    assert w2.model.is_stale("C-3") and not w2.model.is_stale("C-4")
    claims = [w2.history.claims.item(i).text() for i in range(w2.history.claims.count())]
    assert any("C-3" in c and "STALE" in c and "camera changed" in c for c in claims)
    assert w2.model.decision_text("C-3") == "claimed approved (not counted)"
    assert "1 approved" in w2.totals_label.text() and "1 stale" in w2.totals_label.text()
    changes = {
        w2.history.changes_table.item(r, 0).text(): w2.history.changes_table.item(r, 1).text()
        for r in range(w2.history.changes_table.rowCount())
    }
    assert changes == {"C-3": "re-aimed 45°"}
    # F8 visits the stale camera too
    w2.select("C-4")
    visited = {w2.next_attention(1) for _ in range(6)}
    assert "C-3" in visited and "C-4" not in visited
    # the audit trail filters by camera
    w2.history.audit_filter.setCurrentIndex(w2.history.audit_filter.findData("C-4"))
    rows = w2.audit_entries()
    assert rows and {a.camera_id for a in rows} == {"C-4"}
    w2.history.audit_filter.setCurrentIndex(0)
    assert {a.camera_id for a in w2.audit_entries()} >= {"C-3", "C-4"}


def test_export_report_from_the_review_window(qtbot, plan: Path, tmp_path: Path) -> None:
    w = open_window(qtbot, plan)
    out = w.export_report(tmp_path / "r.html")
    assert out is not None and out.stat().st_size > 10_000
    assert "Camera C-1" in out.read_text(encoding="utf-8")


def test_main_window_file_menu_opens_review_and_exports_the_report(
    qtbot, app_env, tmp_path: Path
) -> None:
    from planner.app.review.export import export_report_dialog

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


@needs_ssh_keygen
def test_unsigned_and_forged_decisions_are_claims_not_counted(qtbot, plan: Path, rita) -> None:
    """An unsigned approval (an old plan, or a forger) never counts in the window."""
    _, allowed = rita
    data = json.loads(plan.read_text())
    data["siting_plan"]["review"] = {
        "decisions": [
            {
                "camera_id": "C-3",
                "decision": "approve",
                "reviewer": "rita@sanjoseca.gov",
                "when": "2026-01-01T00:00:00Z",
                "camera_sha256": "0" * 64,
            }
        ]
    }
    plan.write_text(json.dumps(data))
    w = open_window(qtbot, plan, allowed)
    st = w.model.states["C-3"]
    assert st.reasons == ("unverified", "camera_changed", "status_changed")
    assert w.model.decision_text("C-3") == "claimed approved (not counted)"
    assert "0 approved" in w.totals_label.text()


@needs_ssh_keygen
def test_create_a_key_pair_and_show_the_line_for_it(
    qtbot, plan: Path, tmp_path: Path, rita
) -> None:
    import subprocess

    _, allowed = rita
    w = open_window(qtbot, plan, allowed)
    key = tmp_path / "new_key"
    shown: list[str] = []

    def read_line(box: QMessageBox) -> None:
        shown.append(box.informativeText())
        box.accept()

    answers = DialogAnswers(
        qtbot,
        type_text("dana.ortiz@sanjoseca.gov"),
        pick_file(key),
        type_text("long passphrase"),
        type_text("long passphrase"),
        read_line,
    )
    assert w.create_key() == key
    answers.stop()
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    line = shown[0]
    assert line.startswith("dana.ortiz@sanjoseca.gov ssh-ed25519 ")
    # ssh-keygen opens the new key with the passphrase only, and agrees on the public key
    pub = subprocess.run(
        ["ssh-keygen", "-y", "-P", "long passphrase", "-f", str(key)],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert line.split()[1:3] == pub[:2]
    wrong = subprocess.run(
        ["ssh-keygen", "-y", "-P", "wrong", "-f", str(key)], capture_output=True, check=False
    )
    assert wrong.returncode != 0
    # the line, added by IT, lets the key sign; before that the window refuses it
    write_allowed(allowed, allowed.read_text().strip(), line)
    w2 = open_window(qtbot, plan, allowed)
    w2.select("C-3")
    answers = DialogAnswers(
        qtbot, click("Choose key file…"), pick_file(key), type_text("long passphrase")
    )
    assert w2.decide(Decision.APPROVE)
    answers.stop()
    assert w2.model.pending["C-3"].reviewer == "dana.ortiz@sanjoseca.gov"


def test_report_from_the_main_window_reuses_the_pack_it_read(
    qtbot, app_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report re-checks the saved plan against the pack the window already holds (no
    second citywide building index in memory), and reads it again once it changed."""
    import os

    import planner.io.checking.loader as loader
    from planner.app.review.export import export_report_dialog

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
