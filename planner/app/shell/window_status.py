"""The main window's status bar and the background work it reports.

The permanent labels (cursor, scale, check counts, data and policy in force), the progress
bar with its Cancel button, and the runner that starts worker tasks and shows their progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QProgressBar, QPushButton

from planner.app.common import units
from planner.app.common.workers import Task, start
from planner.app.shell.statusbar import ElidedLabel, StatusBar
from planner.core.errors import InputError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    from planner.app.common.settings import AppSettings
    from planner.app.siting.dialogs import Prompter
    from planner.app.siting.document import PlanDocument
    from planner.app.siting.findings_panel import FindingsPanel
    from planner.core.model import Policy, Severity

    _WindowBase = QMainWindow
else:
    _WindowBase = object

CURSOR_OFF_MAP = "lon, lat: off the map"


class WindowStatus(_WindowBase):
    """Part of :class:`~planner.app.shell.main_window.MainWindow`: status bar and workers."""

    # what this part uses of the rest of the window
    doc: PlanDocument
    settings: AppSettings
    policy: Policy
    prompter: Prompter
    canvas: Any
    findings_panel: FindingsPanel
    data_issues: list[str]
    tasks: list[Task]
    check_task: Task | None
    show_notice: Callable[[str], None]

    def _build_status_bar(self) -> None:
        sb = StatusBar(self)
        self.setStatusBar(sb)
        fm = sb.fontMetrics()
        # Fixed widths: the labels do not shift as the text changes, and the temporary
        # message on the left is elided before them (see StatusBar).
        self.cursor_label = QLabel(CURSOR_OFF_MAP)
        self.cursor_label.setObjectName("cursor_label")
        widest = "lon -122.000000  lat -37.000000"
        self.cursor_label.setFixedWidth(fm.horizontalAdvance(widest) + 16)
        self.cursor_label.setToolTip("Longitude and latitude (WGS 84) under the mouse")
        # the scale from the first frame (the pre-load screen too), in the display units
        self.scale_label = QLabel(
            units.format_scale(self.canvas.resolution(), unit=self.settings.units)
        )
        self.scale_label.setFixedWidth(fm.horizontalAdvance("1,000.0 ft / 100 px") + 16)
        self.scale_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # The data and the policy in force, always in view (one label: the status bar is
        # narrow); the tooltip and the "Data and policy in force" panel give paths and hashes.
        self.policy_label = ElidedLabel(
            f"Policy {self.policy.id} v{self.policy.version}", max_width=330
        )
        self.policy_label.setObjectName("policy_label")
        self.pack_label = self.policy_label
        self.check_label = ElidedLabel("Not checked", max_width=240)
        self.check_label.setObjectName("check_label")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_work)
        for w in (
            self.cursor_label,
            self.scale_label,
            self.check_label,
            self.progress,
            self.cancel_button,
            self.policy_label,
        ):
            if isinstance(w, QLabel):
                w.setContentsMargins(6, 0, 6, 0)
            sb.addPermanentWidget(w)

    def _cursor_moved(self, lon: float, lat: float) -> None:
        self.cursor_label.setText(f"lon {lon:.6f}  lat {lat:.6f}")

    def _cursor_left(self) -> None:
        self.cursor_label.setText(CURSOR_OFF_MAP)

    def _scale_changed(self, m_per_px: float) -> None:
        # in the scale bar's own unit (miles from a mile up in feet, km from a km up)
        self.scale_label.setText(units.format_scale(m_per_px, unit=self.settings.units))

    def _drag_status(self, camera_id: str, status: Severity) -> None:
        self.statusBar().showMessage(f"{camera_id}: {status} here", 2000)

    def _update_check_label(self, *_args: object) -> None:
        if self.check_task is not None:
            return
        n, n_b, n_w, n_c = self.doc.status_counts()
        if not n:
            self.check_label.setText(
                "Not checked: see the banner" if self.data_issues else "Not checked"
            )
            self.findings_panel.set_unchecked_reason(
                " ".join(self.data_issues) if self.data_issues else ""
            )
            return
        counts = f"{n_b} block, {n_w} warn, {n_c} clear"
        if not self.doc.plan.cameras:
            # a new plan: what is checked are the pack's existing cameras, and it says so
            pack = self.doc.data.pack_path if self.doc.data is not None else None
            where = Path(pack).name if pack is not None else "the data"
            self.check_label.setText(f"No plan cameras · existing in {where}: {counts}")
        else:
            self.check_label.setText(f"Checked: {counts}")

    def _run(
        self, work: Any, done: Any, *, name: str, wait: bool = False, on_fail: Any = None
    ) -> Task:
        task = Task(work, name=name)
        self.tasks.append(task)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.check_label.setText(f"{name}…")

        def finish() -> None:
            if task in self.tasks:
                self.tasks.remove(task)
            if not self.tasks:
                self.progress.hide()
                self.cancel_button.hide()

        def ok(result: object) -> None:
            finish()
            done(result)

        def failed(exc: BaseException) -> None:
            finish()
            if isinstance(exc, InputError):
                self.prompter.error(name, str(exc))
            else:
                self.prompter.error(name, f"{type(exc).__name__}: {exc}")
            self._update_check_label()
            if on_fail is not None:
                on_fail()

        def cancelled() -> None:
            finish()
            self.show_notice(f"{name} cancelled")

        def progress(a: object, b: object) -> None:
            if isinstance(a, str):  # (stage, fraction) from the readers
                self.progress.setRange(0, 100)
                self.progress.setValue(round(100 * float(b or 0)))  # type: ignore[arg-type]
                self.check_label.setText(f"{name}: {a}…")
            elif isinstance(b, int) and b > 0:
                self.progress.setRange(0, b)
                self.progress.setValue(int(a))  # type: ignore[call-overload]

        task.signals.finished.connect(ok, Qt.ConnectionType.QueuedConnection)
        task.signals.failed.connect(failed, Qt.ConnectionType.QueuedConnection)
        task.signals.cancelled.connect(cancelled, Qt.ConnectionType.QueuedConnection)
        task.signals.progress.connect(progress, Qt.ConnectionType.QueuedConnection)
        start(task)
        if wait:
            self.wait_for(task)
        return task

    def wait_for(self, task: Task, timeout_s: float = 300.0) -> None:
        """Spin the event loop until ``task`` and its queued callbacks have run."""
        deadline = time.perf_counter() + timeout_s
        while task in self.tasks and time.perf_counter() < deadline:
            QApplication.processEvents()
            task.done.wait(0.005)

    def cancel_work(self) -> None:
        for task in list(self.tasks):
            task.cancel()

    def run_full_check(self, *, wait: bool = False) -> None:
        """Check every camera on the worker, with visible cones (what is drawn was checked)."""
        checker = self.doc.checker
        if checker is None or self.doc.withheld:
            return
        if self.check_task is not None:
            self.check_task.cancel()
        cams = self.doc.all_cameras()

        def work(progress: Any, cancel: Any) -> Any:
            return checker.check_cameras(cams, progress=progress, cancel=cancel, with_geometry=True)

        def done(result: Any) -> None:
            self.check_task = None
            self.doc.apply_plan_result(cams, result)
            self._update_check_label()

        task = self._run(work, done, name="Checking", wait=False)
        self.check_task = task

        def clear(*_a: object) -> None:
            if self.check_task is task:
                self.check_task = None
                self._update_check_label()

        task.signals.cancelled.connect(clear, Qt.ConnectionType.QueuedConnection)
        task.signals.failed.connect(clear, Qt.ConnectionType.QueuedConnection)
        if wait:
            self.wait_for(task)

    def wait_idle(self, timeout_s: float = 300.0) -> None:
        deadline = time.perf_counter() + timeout_s
        while self.tasks and time.perf_counter() < deadline:
            QApplication.processEvents()
            time.sleep(0.002)
        QApplication.processEvents()
