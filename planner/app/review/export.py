"""Exporting the review report from the app: the save dialog, the re-check of the saved
plan and the drawing of the report, behind a progress dialog whose Cancel leaves no file.

From the review window (its own re-check is the report's) and from the main window's
File menu (the saved plan, re-checked with the pack now loaded).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QWidget

from planner.app.common.workers import Task, start

#: Report formats, the first the default (:meth:`Prompter.save_path` picks the ending).
REPORT_FILTER = "PDF (*.pdf);;HTML, one file (*.html)"


def ask_report_path(prompter: Any, plan: Path) -> Path | None:
    """Where to write the report of ``plan``: the real save dialog, PDF by default."""
    suggestion = Path(plan).with_suffix("").with_suffix("").name + ".review.pdf"
    return prompter.save_path("Export review report", REPORT_FILTER, suggestion, kind="report")


class ReportCancelled(Exception):
    """The user pressed Cancel while the report was being written."""


def write_report_with_progress(
    parent: QWidget, rc: Any, path: Path, *, reviewer: str | None
) -> Path | None:
    """Write the report of ``rc`` to ``path`` behind a progress dialog with Cancel.

    The maps paint with Qt on this thread; each progress step lets the event loop
    run, so the window repaints and Cancel is heard. A cancelled or failed report
    leaves no file (:func:`planner.app.review.report.write_report` writes a
    temporary file and renames it at the end). Returns the path, or None.
    """
    from planner.app.review.report import write_report

    dlg = progress_dialog(parent, "Writing the review report…")

    def progress(what: str, frac: float) -> None:
        QApplication.processEvents()
        if dlg.wasCanceled():
            raise ReportCancelled
        dlg.setLabelText(f"Review report: {what}…")
        dlg.setValue(max(1, min(99, round(100 * frac))))

    try:
        write_report(rc, path, reviewer=reviewer, progress=progress)
    except ReportCancelled:
        return None
    except (OSError, ValueError) as exc:
        dlg.close()
        QMessageBox.critical(parent, "Export review report", f"No report written: {exc}")
        return None
    finally:
        dlg.close()
        dlg.deleteLater()
    return path


def progress_dialog(parent: QWidget, text: str) -> QProgressDialog:
    """The report's window-modal progress dialog, shown at once."""
    dlg = QProgressDialog(text, "Cancel", 0, 100, parent)
    dlg.setObjectName("report_progress")
    dlg.setWindowTitle("Export review report")
    dlg.setWindowModality(Qt.WindowModality.WindowModal)
    dlg.setMinimumDuration(0)
    dlg.setAutoClose(False)
    dlg.setAutoReset(False)
    dlg.setValue(0)
    dlg.show()
    QApplication.processEvents()
    return dlg


def export_report_dialog(main: Any, path: Path | None = None) -> Path | None:
    """File → Export review report…: the saved plan, re-checked with the pack now loaded."""
    doc = main.doc
    if doc.path is None:
        main.prompter.error(
            "Export review report", "Save the plan first: the report describes the saved file."
        )
        return None
    if path is None:
        path = ask_report_path(main.prompter, doc.path)
        if path is None:
            return None
    if doc.dirty:
        main.show_notice(
            "The review report describes the plan as saved: your unsaved changes are not in it."
        )
    task, cancelled = _recheck_saved_plan(main, doc)
    if cancelled or (task.result is None and task.error is None):
        main.statusBar().showMessage("Review report cancelled: no file written", 8000)
        return None
    if task.error is not None:
        main.prompter.error("Export review report", f"No report written: {task.error}")
        return None
    written = write_report_with_progress(
        main,
        task.result,
        Path(path),
        reviewer=getattr(main.settings, "user_identity", "") or None,
    )
    if written is None:
        main.statusBar().showMessage("Review report cancelled: no file written", 8000)
        return None
    main.statusBar().showMessage(f"Wrote {path}", 8000)
    return written


def _recheck_saved_plan(main: Any, doc: Any) -> tuple[Task, bool]:
    """Re-check the saved plan with the loaded pack behind the progress dialog: the task
    (its result or error) and whether Cancel was pressed.

    The re-check (reading the pack, the buildings index) runs on the worker thread; the
    maps and the layout paint with Qt, on this one, afterwards.
    """
    from planner.app.siting.loading import reusable_inputs
    from planner.io.checking.recheck import recheck

    pack = doc.data.pack_path if doc.data is not None else None
    ns = SimpleNamespace(
        plan=Path(doc.path),
        data=Path(pack) if pack else None,
        sites=[],
        buildings=[],
        streets=None,
        policy=None,
    )
    # the pack the window already read, when unchanged: no second citywide index in memory
    reuse = reusable_inputs(doc.data, ns.data)
    dlg = progress_dialog(main, "Re-checking the saved plan for the report…")
    task = Task(
        lambda progress, cancel: recheck(
            ns,
            with_geometry=True,
            cancel=cancel,
            reuse=reuse,
            progress=lambda what, f: progress(what, f),
        ),
        name="report",
    )

    def stage(what: object, frac: object) -> None:
        if isinstance(what, str) and isinstance(frac, float) and not dlg.wasCanceled():
            dlg.setLabelText(f"Re-checking the saved plan: {what}…")
            dlg.setValue(max(1, min(99, round(50 * frac))))

    task.signals.progress.connect(stage, Qt.ConnectionType.QueuedConnection)
    start(task)
    while not task.done.is_set():
        QApplication.processEvents()
        if dlg.wasCanceled():
            task.cancel()
        task.done.wait(0.02)
    cancelled = dlg.wasCanceled()
    dlg.close()
    dlg.deleteLater()
    return task, cancelled
