"""Journeys through the real windows, as a person takes them.

Every test drives the main window or the review window through its menus and
shortcuts, answers the real :class:`planner.app.siting.dialogs.Prompter`'s dialogs in
Qt's own (non-native) ``QFileDialog`` by typing the file name and choosing the
filter, then opens what was written with another tool: ``ogrinfo`` for a
GeoPackage, an XML parser for KML, ``pdfinfo`` for a PDF, ``QImage`` for a PNG,
the ``csv`` module for CSV. ``ScriptedPrompter`` is for unit tests; it is not
used here.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QToolBar,
    QToolButton,
    QWidget,
)

from tests import app_support

app_env = app_support.app_env

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "data" / "demo" / "demo.plan.geojson"
DEMO_PACK = ROOT / "data" / "demo" / "demo.gpkg"
WHO = "Alex Rivera, SJPD Traffic"

Handler = Callable[[QWidget], None]
#: A dialog still open this long after its answer is a failure (a test never hangs on it).
STUCK_S = 3.0


# -- answering modal dialogs -----------------------------------------------------------------
class Modals:
    """Answers the modal dialogs a journey opens, in order, as a person would.

    A timer looks for the active modal widget; each new one gets the next handler,
    which must close it. A modal with no handler left is rejected and recorded, so
    a journey that opens an unexpected dialog fails instead of hanging. Progress
    dialogs are left to run.
    """

    def __init__(self) -> None:
        self.handlers: list[Handler] = []
        self.seen: list[QWidget] = []
        self.errors: list[str] = []
        self.answered_at = 0.0
        self.timer = QTimer()
        self.timer.setInterval(15)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def then(self, handler: Handler) -> Modals:
        self.handlers.append(handler)
        return self

    def _poll(self) -> None:
        w = QApplication.activeModalWidget()
        if w is None or isinstance(w, QProgressDialog) or not w.isVisible():
            return
        if any(w is s for s in self.seen):
            # answered but still open (its answer was refused): fail, do not hang
            if time.monotonic() - self.answered_at > STUCK_S:
                self.errors.append(f"{type(w).__name__} {w.windowTitle()!r} did not close")
                w.close()
            return
        self.seen.append(w)
        self.answered_at = time.monotonic()
        if not self.handlers:
            self.errors.append(f"unexpected dialog {type(w).__name__}: {w.windowTitle()}")
            w.close()
            return
        handler = self.handlers.pop(0)
        try:
            handler(w)
        except Exception as exc:  # a failed handler must not leave a modal loop running
            self.errors.append(f"{type(exc).__name__}: {exc}")
            if w.isVisible():
                w.close()

    def done(self) -> None:
        """Every dialog expected was answered, and none unexpected opened."""
        assert not self.errors, self.errors
        assert not self.handlers, f"{len(self.handlers)} dialog(s) never opened"


@pytest.fixture
def modals() -> Any:
    m = Modals()
    yield m
    m.timer.stop()


def save_as(folder: Path, name: str, name_filter: str | None = None) -> Handler:
    """A file dialog answer: go to ``folder``, pick ``name_filter``, type ``name``, accept."""
    return _file(folder, name, name_filter)


def open_file(path: Path) -> Handler:
    return _file(path.parent, path.name, None)


def _file(folder: Path, name: str, name_filter: str | None) -> Handler:
    def answer(w: QWidget) -> None:
        assert isinstance(w, QFileDialog), type(w)
        # Qt's own dialog, filled in like a person would (a native one has no widgets)
        assert w.findChild(QLineEdit, "fileNameEdit") is not None
        answer.started_in = Path(w.directory().absolutePath())  # type: ignore[attr-defined]
        w.setDirectory(str(folder))
        if name_filter is not None:
            combo = w.findChild(QComboBox, "fileTypeCombo")
            index = next(
                i for i in range(combo.count()) if combo.itemText(i).startswith(name_filter)
            )
            combo.setCurrentIndex(index)
            # what a click in the list emits
            combo.activated.emit(index)
            combo.textActivated.emit(combo.itemText(index))
        edit = w.findChild(QLineEdit, "fileNameEdit")
        edit.clear()
        QTest.keyClicks(edit, name)
        QTest.keyClick(edit, Qt.Key.Key_Return)  # Save / Open, from the keyboard

    answer.started_in = None  # type: ignore[attr-defined]
    return answer


def press(button: QMessageBox.StandardButton) -> Handler:
    def answer(w: QWidget) -> None:
        assert isinstance(w, QMessageBox), type(w)
        answer.text = w.text()  # type: ignore[attr-defined]
        w.button(button).click()

    answer.text = ""  # type: ignore[attr-defined]
    return answer


def accept() -> Handler:
    def answer(w: QWidget) -> None:
        assert isinstance(w, QDialog), type(w)
        w.accept()

    return answer


# -- the windows -----------------------------------------------------------------------------
@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's Documents folder, in the test's own folder."""
    import planner.app.shell.main_window  # noqa: F401  imported first: it must keep the real one

    docs = tmp_path / "Documents"
    docs.mkdir()
    monkeypatch.setattr("planner.app.siting.loading.user_documents_dir", lambda: docs)
    monkeypatch.setattr("planner.app.shell.window_files.user_documents_dir", lambda: docs)
    return docs


@pytest.fixture
def win(qtbot, app_env, documents, monkeypatch):
    """The main window with the real Prompter over Qt's own file dialog."""
    from planner.app.common.settings import AppSettings
    from planner.app.shell.main_window import MainWindow
    from planner.app.siting.dialogs import Prompter
    from planner.app.siting.loading import load_catalogue, load_policy

    monkeypatch.setattr(
        Prompter, "dialog_options", QFileDialog.Option.DontUseNativeDialog, raising=False
    )
    # and for any dialog opened another way: Qt's own, which a test can fill in
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
    settings = AppSettings()
    settings.user_identity = WHO
    w = MainWindow(
        settings=settings,
        policy=load_policy(),
        catalogue=load_catalogue(),
        autosave_ms=3_600_000,
    )
    assert type(w.prompter) is Prompter
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    yield w
    w.doc.undo_stack.setClean()
    w.cancel_work()
    w.wait_idle(10)


def demo_copy(folder: Path, name: str = "demo.plan.geojson") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    shutil.copyfile(DEMO_PLAN, path)
    shutil.copyfile(DEMO_PACK, folder / DEMO_PACK.name)  # beside it: opens without asking
    return path


def open_demo(win: Any, folder: Path) -> Path:
    plan = demo_copy(folder)
    win.load(plan_path=plan, pack=None, wait=True)
    win.wait_idle(60)
    assert win.doc.path == plan and win.doc.results
    return plan


def menu_action(window: Any, menu: str, text: str) -> Any:
    """The action ``text`` of menu ``menu`` in the window's menu bar (as a person finds it)."""
    for top in window.menuBar().actions():
        if top.menu() is not None and top.text().replace("&", "") == menu:
            for act in top.menu().actions():
                if act.text().replace("&", "") == text:
                    assert act.isEnabled(), f"{menu} → {text} is disabled"
                    return act
            names = [a.text() for a in top.menu().actions()]
            raise AssertionError(f"no {text!r} in {menu}: {names}")
    raise AssertionError(f"no menu {menu!r}")


def key(window: QWidget, sequence: str) -> None:
    """Type a shortcut into the window, as a person does."""
    window.activateWindow()
    QApplication.processEvents()
    seq = QKeySequence(sequence)
    combo = seq[0]
    target = QApplication.focusWidget() or window
    QTest.keyClick(target, combo.key(), combo.keyboardModifiers())
    QApplication.processEvents()


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


needs_ogrinfo = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="ogrinfo not installed")
needs_pdfinfo = pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo not installed")


# -- exports: every format, through the menu and the real dialog ----------------------------
@needs_pdfinfo
@pytest.mark.parametrize(
    ("name_filter", "typed", "expected"),
    [
        ("PNG image", "view", "view.png"),
        ("PDF document", "view", "view.pdf"),
        # the typed ending wins over the filter left showing
        ("PNG image", "sheet.pdf", "sheet.pdf"),
    ],
)
def test_export_view_writes_the_format_chosen(
    win, modals, tmp_path: Path, name_filter: str, typed: str, expected: str
) -> None:
    open_demo(win, tmp_path / "plans")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    modals.then(save_as(out_dir, typed, name_filter))
    menu_action(win, "File", "Export view as PNG or PDF…").trigger()
    modals.done()
    assert [p.name for p in out_dir.iterdir()] == [expected]
    out = out_dir / expected
    if expected.endswith(".png"):
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = QImage(str(out))
        assert not image.isNull() and image.width() > 1000
    else:
        assert out.read_bytes()[:5] == b"%PDF-"
        info = pdfinfo(out)
        assert info["Pages"] == "1" and "camera siting map" in info["Title"]


@needs_ogrinfo
@pytest.mark.parametrize(
    ("name_filter", "expected"),
    [("CSV", "plan.csv"), ("GeoPackage", "plan.gpkg"), ("KML", "plan.kml")],
)
def test_export_plan_writes_the_format_chosen(
    win, modals, tmp_path: Path, name_filter: str, expected: str
) -> None:
    open_demo(win, tmp_path / "plans")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    modals.then(save_as(out_dir, "plan", name_filter))
    key(win, "Ctrl+Shift+E")  # File → Export plan as CSV, GeoPackage or KML…
    modals.done()
    assert [p.name for p in out_dir.iterdir()] == [expected]
    out = out_dir / expected
    ids = sorted(c.id for c in win.doc.plan.cameras)
    if expected.endswith(".csv"):
        with out.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert sorted(r["id"] for r in rows) == ids
        assert {r["check"] for r in rows} >= {"block", "warn", "clear"}
    elif expected.endswith(".gpkg"):
        assert out.read_bytes()[:16] == b"SQLite format 3\x00"
        info = subprocess.run(
            ["ogrinfo", "-so", "-al", str(out)], capture_output=True, text=True, timeout=60
        )
        assert info.returncode == 0, info.stderr
        assert "GPKG" in info.stdout and "Layer name: cameras" in info.stdout
        assert f"Feature Count: {len(ids)}" in info.stdout
    else:
        root = ET.parse(out).getroot()
        assert root.tag == "{http://www.opengis.net/kml/2.2}kml"
        names = [e.text for e in root.iter("{http://www.opengis.net/kml/2.2}name")]
        assert any(n and "cone" in n for n in names)


@needs_ogrinfo
def test_save_as_writes_a_plan_geojson_where_the_documents_are(
    win, modals, tmp_path: Path, documents: Path
) -> None:
    from planner.app.siting.loading import demo_paths

    win.load(plan_path=demo_paths()[0], pack=demo_paths()[1], wait=True)
    win.wait_idle(60)
    dialog = save_as(documents, "my plan", "Siting plans")
    modals.then(dialog)
    key(win, "Ctrl+Shift+S")  # Save as…
    modals.done()
    # the bundled demo is saved as a copy, in the user's Documents (not the program's folder)
    assert dialog.started_in == documents  # type: ignore[attr-defined]
    out = documents / "my plan.plan.geojson"
    assert [p.name for p in documents.iterdir()] == [out.name]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 6
    info = subprocess.run(
        ["ogrinfo", "-so", "-al", str(out)], capture_output=True, text=True, timeout=60
    )
    assert info.returncode == 0 and "Feature Count: 6" in info.stdout, info.stderr
    assert win.doc.path == out and not win.doc.dirty


def test_file_dialogs_remember_the_folder_of_each_kind(win, modals, tmp_path: Path) -> None:
    plan = open_demo(win, tmp_path / "plans")
    exports = tmp_path / "exports"
    exports.mkdir()
    first = save_as(exports, "a", "CSV")
    modals.then(first)
    menu_action(win, "File", "Export plan as CSV, GeoPackage or KML…").trigger()
    # the first export starts in the plan's folder, never the working directory
    assert first.started_in == plan.parent  # type: ignore[attr-defined]
    second = save_as(exports, "b", "PNG image")
    modals.then(second)
    menu_action(win, "File", "Export view as PNG or PDF…").trigger()
    assert second.started_in == exports  # type: ignore[attr-defined]
    # opening a plan remembers its own folder, not the exports'
    opening = open_file(plan)
    modals.then(opening)
    key(win, "Ctrl+O")
    modals.done()
    assert opening.started_in == plan.parent  # type: ignore[attr-defined]
    assert win.settings.last_folder("export") == exports
    assert win.settings.last_folder("plan") == plan.parent


# -- the review report, from the main window and from the review window ----------------------
@needs_pdfinfo
def test_report_from_the_main_window(win, modals, tmp_path: Path) -> None:
    plan = open_demo(win, tmp_path / "plans")
    modals.then(save_as(tmp_path, "report", "PDF"))
    menu_action(win, "File", "Export review report…").trigger()
    modals.done()
    out = tmp_path / "report.pdf"
    assert out.read_bytes()[:5] == b"%PDF-"
    assert int(pdfinfo(out)["Pages"]) >= 3
    assert not list(tmp_path.glob(".*tmp"))
    assert plan.is_file()


def open_review_window(win: Any, modals: Modals, plan: Path, qtbot: Any) -> Any:
    """File → Review plan… with the real dialog; returns the review window, loaded."""
    from planner.app.review.window import ReviewWindow

    modals.then(open_file(plan))
    menu_action(win, "File", "Review plan…").trigger()
    reviews = [w for w in QApplication.topLevelWidgets() if isinstance(w, ReviewWindow)]
    assert len(reviews) == 1
    rw = reviews[0]
    qtbot.waitUntil(lambda: rw.rc is not None or rw.error is not None, timeout=60_000)
    assert rw.rc is not None, rw.error
    qtbot.waitExposed(rw)
    rw.activateWindow()
    return rw


@needs_pdfinfo
def test_report_from_the_review_window_by_its_shortcut(win, modals, qtbot, tmp_path: Path) -> None:
    plan = open_demo(win, tmp_path / "plans")
    rw = open_review_window(win, modals, plan, qtbot)
    dialog = save_as(tmp_path, "review", "PDF")
    modals.then(dialog)
    key(rw, "Ctrl+E")
    qtbot.waitUntil(lambda: (tmp_path / "review.pdf").exists(), timeout=60_000)
    modals.done()
    # the report's dialog starts in the reviewed plan's folder
    assert dialog.started_in == plan.parent  # type: ignore[attr-defined]
    out = tmp_path / "review.pdf"
    assert out.read_bytes()[:5] == b"%PDF-" and int(pdfinfo(out)["Pages"]) >= 3
    assert "Wrote" in rw.progress_label.text()
    # HTML through the menu, by the filter alone
    modals.then(save_as(tmp_path, "review", "HTML"))
    menu_action(rw, "Review", "Export review report…").trigger()
    modals.done()
    html = (tmp_path / "review.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and "Camera C-1" in html
    rw.close()


def test_report_cancel_leaves_no_file(win, modals, qtbot, tmp_path: Path) -> None:
    plan = open_demo(win, tmp_path / "plans")
    rw = open_review_window(win, modals, plan, qtbot)
    cancelled: list[bool] = []

    def cancel_progress() -> None:
        w = QApplication.activeModalWidget()
        if isinstance(w, QProgressDialog) and not cancelled:
            cancelled.append(True)
            w.cancel()

    watcher = QTimer()
    watcher.timeout.connect(cancel_progress)
    watcher.start(5)
    modals.then(save_as(tmp_path, "cancelled", "PDF"))
    key(rw, "Ctrl+E")
    watcher.stop()
    modals.done()
    assert cancelled
    assert not (tmp_path / "cancelled.pdf").exists()
    assert not list(tmp_path.glob(".cancelled*"))
    assert "No report written" in rw.progress_label.text()
    rw.close()


def test_review_decisions_by_button_and_by_shortcut(win, modals, qtbot, tmp_path: Path) -> None:
    from planner.core.review import Decision
    from tests.signing_support import session_signing

    plan = open_demo(win, tmp_path / "plans")
    rw = open_review_window(win, modals, plan, qtbot)
    rw.signing = session_signing(tmp_path)  # the key dialogs: tests/test_review_app.py
    m = rw.model
    # opens sorted: blocked, then warned, then clear; the first row is selected
    order = [
        rw.model.status[rw.model.ids[rw.proxy.mapToSource(rw.proxy.index(r, 0)).row()]]
        for r in range(rw.proxy.rowCount())
    ]
    assert order == sorted(order, key=["block", "warn", "clear"].index)
    assert rw.current_id() == "C-1"
    # its findings in plain words
    assert "BLOCKED" in rw.findings.text() and "would capture vehicles" in rw.findings.text()
    count = rw.undecided()
    assert f"{count} undecided or stale" in rw.progress_label.text()
    # Reject by its button
    qtbot.mouseClick(rw.reject_btn, Qt.MouseButton.LeftButton)
    assert m.pending["C-1"].decision is Decision.REJECT
    assert f"{count - 1} undecided or stale" in rw.progress_label.text()
    # Alt+R rejects the camera it moved to, like Alt+A approves
    second = rw.current_id()
    assert second is not None and second != "C-1"
    key(rw, "Alt+R")
    assert m.pending[second].decision is Decision.REJECT
    third = rw.current_id()
    assert m.status[third] == "clear"
    key(rw, "Alt+A")
    assert m.pending[third].decision is Decision.APPROVE
    assert f"{count - 3} undecided or stale" in rw.progress_label.text()
    # selecting another camera zooms the map to it and shows its findings
    before = rw.canvas.resolution()
    rw.select("C-2")
    assert rw.canvas.resolution() < before
    assert "C-2" in rw.findings.text()
    key(rw, "Ctrl+S")
    saved = json.loads(plan.read_text(encoding="utf-8"))["siting_plan"]["review"]["decisions"]
    assert {(d["camera_id"], d["decision"]) for d in saved} == {
        ("C-1", "reject"),
        (second, "reject"),
        (third, "approve"),
    }
    # signed with the session's key: its principal, not the audit name (SPEC 8)
    assert {d["reviewer"] for d in saved} == {"dpo@example.org"}
    rw.close()


# -- New and Open forget the previous plan ---------------------------------------------------
def test_new_after_a_real_plan_keeps_nothing_of_it(win, modals, tmp_path: Path) -> None:
    open_demo(win, tmp_path / "plans")
    gis = win.gis
    gis.search_box.setText("Birch")
    cam = win.doc.camera("C-1")
    x, y = win.doc.projector.point(cam.lon, cam.lat)
    assert gis.identify(x, y)
    assert "Plan names" in win.provenance_panel.label.text() or win.doc.path.name in (
        win.provenance_panel.label.toolTip() + win.windowTitle()
    )
    key(win, "Ctrl+N")
    modals.done()  # an unchanged plan asks nothing
    assert win.doc.plan.cameras == [] and win.doc.path is None
    assert gis.search_box.text() == ""
    assert gis.identify_panel.results == [] and gis.identify_panel.tree.topLevelItemCount() == 0
    assert "Plan names" not in win.provenance_panel.label.text()
    # the pack's existing cameras are still checked, and named as the pack's
    label = win.check_label.text()
    assert "demo.gpkg" in label and not label.startswith("Checked:"), label
    summary = win.findings_panel.summary.text()
    assert "No cameras in this plan" in summary and "demo.gpkg" in summary, summary
    assert win.controller.selected_ids() == []


def test_new_with_changes_asks_and_discards(win, modals, tmp_path: Path) -> None:
    open_demo(win, tmp_path / "plans")
    win.controller.select(["C-3"])
    key(win, "Delete")
    assert win.doc.dirty
    question = press(QMessageBox.StandardButton.Discard)
    modals.then(question)
    menu_action(win, "File", "New plan").trigger()
    modals.done()
    assert "demo.plan.geojson" in question.text  # type: ignore[attr-defined]
    assert win.doc.plan.cameras == [] and not win.doc.dirty


def test_open_after_open_and_open_recent(win, modals, tmp_path: Path) -> None:
    first = open_demo(win, tmp_path / "a")
    win.gis.search_box.setText("Main")
    second = demo_copy(tmp_path / "b")
    # make the second plan tell itself apart
    data = json.loads(second.read_text(encoding="utf-8"))
    data["siting_plan"]["name"] = "Second plan"
    second.write_text(json.dumps(data), encoding="utf-8")
    opening = open_file(second)
    modals.then(opening)
    menu_action(win, "File", "Open plan…").trigger()
    win.wait_idle(60)
    assert opening.started_in == first.parent  # type: ignore[attr-defined]
    assert win.doc.path == second and win.doc.plan.meta.name == "Second plan"
    assert win.gis.search_box.text() == ""
    assert str(second.parent) in win.provenance_panel.label.text()
    assert str(first.parent) not in win.provenance_panel.label.text()
    # Open recent, in this first session: both plans, each once, told apart by folder
    recent = next(
        a.menu()
        for a in menu_action_list(win, "File")
        if a.text().replace("&", "") == "Open recent"
    )
    assert recent.isEnabled()
    texts = [a.text() for a in recent.actions()]
    assert len(texts) == 2, texts
    assert "b" in texts[0].split("—")[-1] and "a" in texts[1].split("—")[-1], texts
    recent.actions()[1].trigger()
    win.wait_idle(60)
    assert win.doc.path == first
    # the plan opened last comes first
    assert recent.actions()[0].text().endswith(texts[1].split(" ", 1)[1])
    modals.done()


def menu_action_list(window: Any, menu: str) -> list[Any]:
    for top in window.menuBar().actions():
        if top.menu() is not None and top.text().replace("&", "") == menu:
            return list(top.menu().actions())
    raise AssertionError(menu)


# -- CSV import, audit and identity ----------------------------------------------------------
def test_csv_import_is_audited_and_undone_in_plain_words(win, modals, tmp_path: Path) -> None:
    open_demo(win, tmp_path / "plans")
    cam = win.doc.camera("C-3")
    table = tmp_path / "inventory.csv"
    table.write_text(
        "id,lon,lat,heading,fov,range\n"
        f"N-1,{cam.lon + 0.0004},{cam.lat},90,40,30\n"
        f"N-2,{cam.lon},{cam.lat},90,400,30\n",
        encoding="utf-8",
    )
    report: list[str] = []

    def read_report(w: QWidget) -> None:
        from PySide6.QtWidgets import QPlainTextEdit

        report.append(w.findChild(QPlainTextEdit, "import_report").toPlainText())
        w.accept()

    modals.then(open_file(table)).then(accept()).then(read_report)
    menu_action(win, "File", "Import cameras from CSV…").trigger()
    modals.done()
    assert win.doc.has_camera("N-1") and not win.doc.has_camera("N-2")
    assert win.doc.undo_stack.undoText() == "Import 1 camera from inventory.csv"
    entries = [a for a in win.doc.plan.meta.audit if a.camera_id == "N-1"]
    assert len(entries) == 1
    assert (entries[0].who, entries[0].action) == (WHO, "add")
    assert "Import 1 camera from inventory.csv" in entries[0].detail
    # the rejected row is explained in the app's words, not the file format's
    assert "field of view must be more than 0° and at most 360°" in report[0]
    assert "fov_deg" not in report[0]
    key(win, "Ctrl+Z")
    assert not win.doc.has_camera("N-1")
    assert not [a for a in win.doc.plan.meta.audit if a.camera_id == "N-1"]


def test_identity_is_asked_not_guessed_from_the_login(win, modals) -> None:
    win.settings.user_identity = ""
    seen: list[str] = []

    def answer(w: QWidget) -> None:
        assert isinstance(w, QInputDialog)
        seen.append(w.textValue())
        w.setTextValue("Dana DPO")
        w.accept()

    modals.then(answer)
    menu_action(win, "Settings", "User identity…").trigger()
    modals.done()
    assert seen == [""]
    assert win.settings.user_identity == "Dana DPO"


def test_justification_needs_distinct_words(qtbot) -> None:
    from planner.app.siting.dialogs import JustificationDialog

    dlg = JustificationDialog("Why?", [])
    qtbot.addWidget(dlg)
    dlg.show()
    QTest.keyClicks(dlg.edit, "ok ok ok ok ok ok ok")
    assert not dlg.ok.isEnabled()
    assert dlg.hint.isVisible() and "different words" in dlg.hint.text()
    dlg.edit.clear()
    QTest.keyClicks(dlg.edit, "The camera looks at the highway ramp only")
    assert dlg.ok.isEnabled() and dlg.hint.text() == ""


# -- plain words and a reachable toolbar -----------------------------------------------------
def test_a_bad_plan_is_explained_in_plain_words(win, modals, tmp_path: Path) -> None:
    open_demo(win, tmp_path / "plans")
    bad = tmp_path / "bad.plan.geojson"
    data = json.loads(DEMO_PLAN.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["fov_deg"] = 400
    bad.write_text(json.dumps(data), encoding="utf-8")
    box = press(QMessageBox.StandardButton.Ok)
    modals.then(open_file(bad)).then(box)
    key(win, "Ctrl+O")
    modals.done()
    text = box.text  # type: ignore[attr-defined]
    assert "field of view must be more than 0° and at most 360°" in text, text
    assert "(0, 360]" not in text


def test_rotate_to_allowed_heading_is_on_the_toolbar_at_a_small_width(win) -> None:
    win.resize(1000, 700)
    QApplication.processEvents()
    tb = win.findChild(QToolBar, "toolbar_main")
    act = win.actions_by_name["rotate_allowed"]
    button = tb.widgetForAction(act)
    assert isinstance(button, QToolButton) and button.isVisible()
    assert button.geometry().right() <= tb.contentsRect().right()


def test_recovery_stamp_reads_as_local_time() -> None:
    from planner.app.siting.wording import local_time_text

    text = local_time_text("2026-12-04T15:43:45Z")
    assert "2026" in text and "local time" in text and "T15" not in text and "Z" not in text


def test_overlapping_building_footprints_are_all_filled() -> None:
    """A pack holds the city's and OpenStreetMap's outline of many buildings, wound
    either way: where they overlap the map showed a hole, an unfilled outline."""
    import numpy as np
    import shapely
    from PySide6.QtCore import QPointF

    from planner.app.map.canvas.layers import GeomLayer
    from planner.app.map.canvas.paths import path_from_parts

    city = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)])  # counter-clockwise
    osm = shapely.Polygon([(1, 1), (1, 11), (11, 11), (11, 1)])  # clockwise
    court = shapely.Polygon(
        [(20, 0), (30, 0), (30, 10), (20, 10)], [[(24, 4), (26, 4), (26, 6), (24, 6)]]
    )
    layer = GeomLayer(np.array([city, osm, court], dtype=object))
    xy, starts = layer.parts(np.arange(3), 0.01, oriented=True)
    path = path_from_parts(xy, starts)
    path.setFillRule(Qt.FillRule.WindingFill)
    assert path.contains(QPointF(5, 5))  # the overlap is filled
    assert not path.contains(QPointF(25, 5))  # the courtyard stays open


def test_a_new_plan_is_saved_where_plans_were_last_opened(win, modals, tmp_path: Path) -> None:
    plan = demo_copy(tmp_path / "plans")
    modals.then(open_file(plan))
    key(win, "Ctrl+O")
    win.wait_idle(60)
    assert win.doc.path == plan
    key(win, "Ctrl+N")
    saving = save_as(plan.parent, "second", "Siting plans")
    modals.then(saving)
    key(win, "Ctrl+S")
    modals.done()
    assert saving.started_in == plan.parent  # type: ignore[attr-defined]
    assert win.doc.path == plan.parent / "second.plan.geojson"
    assert json.loads(win.doc.path.read_text(encoding="utf-8"))["features"] == []
