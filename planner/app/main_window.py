"""The main window: map, docks, menus, toolbar, status bar, and the document life cycle."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from planner.app import canvas_bridge
from planner.app.camera_items import SitingController, to_scene
from planner.app.dialogs import LAYER_FILTER, PACK_FILTER, PLAN_FILTER, Prompter
from planner.app.document import DataContext, PlanDocument
from planner.app.loading import demo_paths, load_data_context
from planner.app.recovery import Autosaver, discard, find_recovery_files
from planner.app.settings import AppSettings
from planner.app.statusbar import ElidedLabel, StatusBar
from planner.app.workers import Task, start
from planner.core.errors import InputError
from planner.core.model import Finding, Plan, PlanMeta, Policy, Severity

NUDGE_M, NUDGE_BIG_M = 1.0, 10.0
ROTATE_DEG, ROTATE_BIG_DEG = 1.0, 15.0
CURSOR_OFF_MAP = "lon, lat: off the map"


class MainWindow(QMainWindow):
    """The planner's main window.

    Parameters
    ----------
    settings
        Typed settings (tests pass one over a temporary file).
    policy, catalogue
        The active policy and camera catalogue.
    prompter
        Asks the user things; tests inject a :class:`ScriptedPrompter`.
    autosave_ms
        Autosave interval (60 s by default).
    """

    def __init__(self, *, settings: AppSettings, policy: Policy, catalogue: Any = None,
                 prompter: Prompter | None = None, autosave_ms: int = 60_000) -> None:
        super().__init__()
        self.t0 = time.perf_counter()
        self.first_paint_s: float | None = None
        self.settings = settings
        self.policy = policy
        self.catalogue = catalogue
        self.prompter = prompter or Prompter(self)
        self.doc = PlanDocument(self)
        self.doc.justifier = lambda prompt, findings: self.prompter.justify(prompt, findings)
        self.tasks: list[Task] = []
        self.check_task: Task | None = None
        self.load_task: Task | None = None
        self.extra_sites: list[Path] = []
        self.extra_buildings: list[Path] = []
        self.setObjectName("main_window")

        self.canvas = canvas_bridge.make_canvas(self)
        self.canvas.setObjectName("map_canvas")
        self.controller = SitingController(self.doc, self.canvas.scene(), parent=self)
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(
            "QLabel { background: #fff4d6; color: #5a3b00; border: 1px solid #e0a000;"
            " padding: 6px; font-weight: bold; }"
        )
        self.notice.hide()
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.notice.hide)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.notice)
        lay.addWidget(self.canvas)
        self.setCentralWidget(central)

        from planner.app.panels import FindingsPanel, LayersPanel, PropertiesPanel

        self.layers_panel = LayersPanel()
        self.findings_panel = FindingsPanel(self.doc)
        self.properties_panel = PropertiesPanel(self.doc, catalogue)
        self.docks: dict[str, QDockWidget] = {}
        for key, title, widget, area in (
            ("layers", "Layers", self.layers_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("properties", "Camera properties", self.properties_panel,
             Qt.DockWidgetArea.RightDockWidgetArea),
            ("findings", "Findings", self.findings_panel, Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{key}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[key] = dock

        self._build_status_bar()
        self._build_actions()
        self._connect()
        self.autosaver = Autosaver(self.doc, interval_ms=autosave_ms, parent=self)
        self.canvas.viewport().installEventFilter(self)
        self.canvas.installEventFilter(self)
        self._restore_layout()
        self._update_title()

    # -- construction ----------------------------------------------------------------------
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
        self.scale_label = QLabel("")
        self.scale_label.setFixedWidth(fm.horizontalAdvance("1,000.0 ft / 100 px") + 16)
        self.scale_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.policy_label = ElidedLabel(f"Policy {self.policy.id} v{self.policy.version}",
                                        max_width=420)
        self.check_label = ElidedLabel("Not checked", max_width=300)
        self.check_label.setObjectName("check_label")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_work)
        for w in (self.cursor_label, self.scale_label, self.check_label, self.progress,
                  self.cancel_button, self.policy_label):
            if isinstance(w, QLabel):
                w.setContentsMargins(6, 0, 6, 0)
            sb.addPermanentWidget(w)

    def _action(self, text: str, slot: Any, shortcut: Any = None, *, checkable: bool = False,
                tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, list):
                act.setShortcuts(shortcut)
            else:
                act.setShortcut(QKeySequence(shortcut))
        act.setCheckable(checkable)
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        self.addAction(act)  # shortcuts work even with menus hidden
        return act

    def _build_actions(self) -> None:
        S = QKeySequence.StandardKey
        a = self.actions_by_name = {}
        a["new"] = self._action("&New plan", self.new_plan, S.New)
        a["open"] = self._action("&Open plan…", self.open_plan_dialog, S.Open)
        a["save"] = self._action("&Save", self.save, S.Save)
        a["save_as"] = self._action("Save &as…", self.save_as, S.SaveAs)
        a["open_pack"] = self._action("Open &data pack…", self.open_pack_dialog, "Ctrl+Shift+O")
        a["add_sites"] = self._action("Add &sites layer…", self.add_sites_dialog)
        a["add_buildings"] = self._action("Add &buildings layer…", self.add_buildings_dialog)
        a["quit"] = self._action("&Quit", self.close, S.Quit)
        undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(S.Undo)
        redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence(S.Redo), QKeySequence("Ctrl+Y")])
        self.addAction(undo)
        self.addAction(redo)
        a["undo"], a["redo"] = undo, redo
        a["add_mode"] = self._action("&Add camera mode", self._toggle_add_mode, "A",
                                     checkable=True,
                                     tip="Click the map: the camera snaps to the nearest street")
        a["add_here"] = self._action("Add camera at &view centre", self.add_camera_at_centre,
                                     "Insert")
        a["delete"] = self._action("&Delete", self.delete_selected, [QKeySequence(S.Delete),
                                                                     QKeySequence("Backspace")])
        a["duplicate"] = self._action("D&uplicate", self.duplicate_selected, "Ctrl+D")
        a["next"] = self._action("Select &next camera", lambda: self._select_step(1), "N")
        a["prev"] = self._action("Select &previous camera", lambda: self._select_step(-1),
                                 "Shift+N")
        a["properties"] = self._action("Camera &properties", self.focus_properties, "Alt+Return")
        a["fit"] = self._action("Zoom to &fit", self.zoom_to_fit, "Ctrl+0")
        a["zoom_sel"] = self._action("Zoom to &selection", self.zoom_to_selection, "Ctrl+Shift+0")
        a["check"] = self._action("Run full &check", self.run_full_check, "F5")
        a["allowed"] = self._action("Allowed &headings", self.controller.set_show_allowed, "H",
                                    checkable=True)
        a["rotate_allowed"] = self._action("&Rotate to nearest allowed heading",
                                           self.controller.rotate_to_allowed, "Shift+H")
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        for k in ("new", "open"):
            file_menu.addAction(a[k])
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        for k in ("save", "save_as"):
            file_menu.addAction(a[k])
        file_menu.addSeparator()
        for k in ("open_pack", "add_sites", "add_buildings"):
            file_menu.addAction(a[k])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        edit = mb.addMenu("&Edit")
        for k in ("undo", "redo"):
            edit.addAction(a[k])
        edit.addSeparator()
        for k in ("delete", "duplicate", "next", "prev", "properties"):
            edit.addAction(a[k])
        siting = mb.addMenu("&Siting")
        for k in ("add_mode", "add_here", "allowed", "rotate_allowed", "check"):
            siting.addAction(a[k])
        view = mb.addMenu("&View")
        view.addAction(a["fit"])
        view.addAction(a["zoom_sel"])
        view.addSeparator()
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        settings_menu = mb.addMenu("Se&ttings")
        units = settings_menu.addMenu("Display &units")
        group = QActionGroup(self)
        for unit in ("metres", "feet"):
            act = units.addAction(unit)
            act.setCheckable(True)
            act.setChecked(self.settings.units == unit)
            act.triggered.connect(lambda _c=False, u=unit: self._set_units(u))
            group.addAction(act)
        if self.catalogue is not None:
            models = settings_menu.addMenu("Default camera &model")
            mgroup = QActionGroup(self)
            current = self.default_model().key
            for m in self.catalogue.models:
                act = models.addAction(m.label)
                act.setCheckable(True)
                act.setChecked(m.key == current)
                act.triggered.connect(lambda _c=False, k=m.key: self._set_default_model(k))
                mgroup.addAction(act)
        tb = QToolBar("Main")
        tb.setObjectName("toolbar_main")
        self.addToolBar(tb)
        for k in ("new", "open", "save", None, "undo", "redo", None, "add_mode", "delete",
                  "duplicate", None, "fit", "zoom_sel", None, "check", "allowed",
                  "rotate_allowed"):
            if k is None:
                tb.addSeparator()
            else:
                tb.addAction(a[k])

    def _connect(self) -> None:
        doc = self.doc
        doc.undo_stack.cleanChanged.connect(self._update_title)
        doc.undo_stack.indexChanged.connect(self._update_title)
        doc.path_changed.connect(self._update_title)
        doc.message.connect(self.show_notice)
        doc.plan_reset.connect(self._update_attribution)
        doc.results_reset.connect(self._update_check_label)
        doc.result_changed.connect(self._update_check_label)
        self.controller.selection_changed.connect(self._selection_changed)
        self.controller.properties_requested.connect(self._open_properties_for)
        self.controller.drag_status.connect(self._drag_status)
        self.findings_panel.finding_clicked.connect(self.zoom_to_finding)
        self.findings_panel.finding_activated.connect(self._finding_activated)
        self.layers_panel.visibility_changed.connect(
            lambda k, v: canvas_bridge.set_layer_visible(self.canvas, k, v))
        self.layers_panel.opacity_changed.connect(
            lambda k, o: canvas_bridge.set_layer_opacity(self.canvas, k, o))
        c = self.canvas
        c.cursor_moved.connect(self._cursor_moved)
        c.scale_changed.connect(self._scale_changed)
        c.clicked_empty.connect(self._clicked_empty)
        c.area_selected.connect(self.controller.select_in_rect)
        c.scale_changed.connect(self.controller.set_resolution)

    # -- status ----------------------------------------------------------------------------
    def _update_title(self, *_args: object) -> None:
        name = self.doc.path.name if self.doc.path else (self.doc.plan.meta.name or "Untitled")
        self.setWindowTitle(f"{name}[*] — Siting planner")
        self.setWindowModified(self.doc.dirty)

    def show_notice(self, text: str) -> None:
        """A non-modal notice in the banner above the map.

        Not in the status bar: a refusal names a site, an entrance and a rule, far
        more than the status bar's message area holds.
        """
        self.statusBar().clearMessage()
        self.notice.setText(text)
        self.notice.setToolTip(text)
        self.notice.show()
        self._notice_timer.start(max(12_000, 60 * len(text)))

    def _cursor_moved(self, lon: float, lat: float) -> None:
        self.cursor_label.setText(f"lon {lon:.6f}  lat {lat:.6f}")

    def _cursor_left(self) -> None:
        self.cursor_label.setText(CURSOR_OFF_MAP)

    def _scale_changed(self, m_per_px: float) -> None:
        self.scale_label.setText(f"{self.settings.format_distance(m_per_px * 100)} / 100 px")

    def _update_check_label(self, *_args: object) -> None:
        if self.check_task is not None:
            return
        res = self.doc.results.values()
        if not res:
            self.check_label.setText("Not checked")
            return
        n_b = sum(r.status is Severity.BLOCK for r in res)
        n_w = sum(r.status is Severity.WARN for r in res)
        self.check_label.setText(f"Checked: {n_b} block, {n_w} warn, {len(res) - n_b - n_w} clear")

    def _drag_status(self, camera_id: str, status: Severity) -> None:
        self.statusBar().showMessage(f"{camera_id}: {status} here", 2000)

    def _set_units(self, unit: str) -> None:
        self.settings.units = unit
        canvas_bridge.set_units(self.canvas, unit)

    def default_model(self) -> Any:
        key = self.settings.default_camera_model
        model = self.catalogue.find(key) if key else None
        return model or self.catalogue.default_model

    def _set_default_model(self, key: str) -> None:
        self.settings.default_camera_model = key

    # -- layout ----------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geo, state = self.settings.window_geometry, self.settings.window_state
        self.resize(1400, 900)
        self.resizeDocks([self.docks["layers"], self.docks["properties"]], [220, 280],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["findings"]], [190], Qt.Orientation.Vertical)
        if geo is not None:
            self.restoreGeometry(geo)
        if state is not None:
            self.restoreState(state)

    def _save_layout(self) -> None:
        self.settings.window_geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        self.settings.sync()

    # -- loading ---------------------------------------------------------------------------
    def start_up(self, *, plan: Path | None, data: Path | None, wait: bool = False,
                 recover: bool = True) -> None:
        """Open what the command line asked for; else recovery, the last project or the demo."""
        if recover and self.offer_recovery():
            if data is not None or self.settings.last_data_pack:
                self.load(plan_path=None, pack=data or self.settings.last_data_pack,
                          keep_plan=True, wait=wait)
            return
        if plan is None and data is None:
            last = self.settings.last_project
            if last is not None and last.is_file():
                plan = last
            else:
                plan, data = demo_paths()
        self.load(plan_path=plan, pack=data, wait=wait)

    def offer_recovery(self) -> bool:
        """Offer each leftover recovery file; returns True when one was recovered."""
        for rec in find_recovery_files(self.autosaver.folder):
            if self.prompter.offer_recovery(rec.original, rec.saved_at):
                try:
                    from planner.io.plan import read_plan

                    plan = read_plan(rec.plan_path)
                except InputError as exc:
                    self.prompter.error("Cannot recover", str(exc))
                    continue
                self.doc.load_plan(plan, rec.original)
                self.doc.undo_stack.resetClean()  # recovered work is unsaved work
                self._update_title()
                discard(rec)
                self.show_notice("Recovered unsaved changes; save them to keep them")
                return True
            discard(rec)
        return False

    def pack_for(self, plan: Plan | None, plan_path: Path | None) -> Path | None:
        """The data pack a plan names (relative to the plan), else the current one."""
        if plan is not None:
            ref = plan.meta.extra.get("data_pack")
            if isinstance(ref, str) and ref:
                p = Path(ref)
                if not p.is_absolute() and plan_path is not None:
                    p = plan_path.parent / p
                if p.is_file():
                    return p
        if self.doc.data is not None:
            return self.doc.data.pack_path
        return self.settings.last_data_pack

    def load(self, *, plan_path: Path | None, pack: Path | None, keep_plan: bool = False,
             wait: bool = False) -> None:
        """Read a plan and/or a data pack on a worker, then install them."""
        plan: Plan | None = None
        if plan_path is not None:
            try:
                from planner.io.plan import read_plan

                plan = read_plan(plan_path)
            except InputError as exc:
                self.prompter.error("Cannot open plan", str(exc))
                return
            except OSError as exc:
                self.prompter.error("Cannot open plan", f"{plan_path}: {exc.strerror or exc}")
                return
            if pack is None:
                pack = self.pack_for(plan, plan_path)
        cams = (plan.cameras if plan is not None else self.doc.plan.cameras)
        sites, buildings = list(self.extra_sites), list(self.extra_buildings)
        policy = self.policy

        def work(progress: Any, cancel: Any) -> DataContext:
            return load_data_context(policy=policy, cameras=list(cams), pack=pack, sites=sites,
                                     buildings=buildings, progress=progress, cancel=cancel)

        def done(data: DataContext) -> None:
            if plan is not None:
                self.doc.plan = plan  # before set_data so items are built once
            self.install_data(data)
            if plan is not None:
                self.doc.load_plan(plan, plan_path)
                if plan_path is not None and plan_path.resolve() != demo_paths()[0].resolve():
                    self.settings.add_recent_file(plan_path)
                    self.settings.last_project = plan_path.resolve()
            if pack is not None:
                self.settings.last_data_pack = pack
            self.zoom_to_fit()
            self.run_full_check(wait=wait)

        if pack is None and not sites and not buildings and plan is not None:
            # No data at all: still show the cameras, with a projection of their own.
            from planner.core.checker import Checker
            from planner.core.crs import Projector

            proj = Projector.for_points([(c.lon, c.lat) for c in plan.cameras] or [(0.0, 0.0)])
            done(DataContext(checker=Checker(policy=policy, sites=[], projector=proj),
                             projector=proj, pack_path=None))
            return
        self.load_task = self._run(work, done, name="Loading data", wait=wait)

    def install_data(self, data: DataContext) -> None:
        self.doc.set_data(data)
        canvas_bridge.show_data(self.canvas, data)
        self.layers_panel.set_layers(canvas_bridge.layer_entries(self.canvas))
        canvas_bridge.set_units(self.canvas, self.settings.units)
        self._update_attribution()

    def _update_attribution(self) -> None:
        """Tell the canvas whether the cameras on it are OSM-derived.

        OSM layers say so themselves (see :func:`canvas_bridge.show_data`); the
        cameras are OSM data when the pack's existing cameras were imported from OSM,
        or the plan was made from such a pack (its ``attribution`` says so).
        """
        data = self.doc.data
        existing = data is not None and bool(data.cameras_existing) and \
            "cameras_existing" in data.osm_layers
        plan_attr = str(self.doc.plan.meta.extra.get("attribution") or "").lower()
        planned = "openstreetmap" in plan_attr and bool(self.doc.plan.cameras)
        self.canvas.set_items_osm(existing or planned)

    # -- workers ---------------------------------------------------------------------------
    def _run(self, work: Any, done: Any, *, name: str, wait: bool = False) -> Task:
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
        checker = self.doc.checker
        if checker is None:
            return
        if self.check_task is not None:
            self.check_task.cancel()
        cams = self.doc.all_cameras()

        def work(progress: Any, cancel: Any) -> Any:
            return checker.check_cameras(cams, progress=progress, cancel=cancel)

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

    # -- file actions ----------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        if not self.doc.dirty:
            return True
        name = self.doc.path.name if self.doc.path else "the untitled plan"
        answer = self.prompter.unsaved_changes(name)
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_plan(self) -> None:
        if not self.maybe_save():
            return
        from planner.app.document import now_iso

        self.autosaver.clear()
        self.doc.load_plan(Plan(meta=PlanMeta(created=now_iso())), None)

    def open_plan_dialog(self) -> None:
        if not self.maybe_save():
            return
        path = self.prompter.open_path("Open siting plan", PLAN_FILTER)
        if path is not None:
            self.open_plan(path)

    def open_plan(self, path: Path, *, wait: bool = False) -> None:
        self.autosaver.clear()
        self.load(plan_path=path, pack=None, wait=wait)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files
        for i, path in enumerate(recent, 1):
            act = self.recent_menu.addAction(f"&{i % 10} {path.name}")
            act.setToolTip(str(path))
            act.triggered.connect(lambda _c=False, p=path: self._open_recent(p))
        self.recent_menu.setEnabled(bool(recent))

    def _open_recent(self, path: Path) -> None:
        if not path.is_file():
            self.prompter.error("Open recent", f"{path}: the file no longer exists")
            self.settings.remove_recent_file(path)
            return
        if self.maybe_save():
            self.open_plan(path)

    def save(self) -> bool:
        if self.doc.path is None or self.doc.path.resolve() == demo_paths()[0].resolve():
            return self.save_as()
        return self.save_to(self.doc.path)

    def save_as(self) -> bool:
        suggestion = str(self.doc.path or f"{self.doc.plan.meta.name}.plan.geojson")
        path = self.prompter.save_path("Save siting plan", PLAN_FILTER, suggestion)
        return False if path is None else self.save_to(path)

    def save_to(self, path: Path) -> bool:
        from planner.io.plan import write_plan

        data = self.doc.data
        if data is not None and data.pack_path is not None:
            self.doc.plan.meta.extra.setdefault("data_pack", str(Path(data.pack_path).resolve()))
        try:
            write_plan(self.doc.plan, path)
        except (OSError, InputError) as exc:
            # The plan stays in memory and in the recovery file: nothing is lost.
            self.prompter.error("Cannot save", f"{path}: {exc}")
            return False
        self.autosaver.clear()
        self.doc.set_path(Path(path))
        self.doc.undo_stack.setClean()
        self.settings.add_recent_file(Path(path))
        self.settings.last_project = Path(path).resolve()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self._update_title()
        return True

    def open_pack_dialog(self) -> None:
        path = self.prompter.open_path("Open data pack", PACK_FILTER)
        if path is not None:
            self.load(plan_path=None, pack=path)

    def add_sites_dialog(self) -> None:
        path = self.prompter.open_path("Add sites layer", LAYER_FILTER)
        if path is not None:
            self.extra_sites.append(path)
            self.load(plan_path=None, pack=self.pack_for(None, None))

    def add_buildings_dialog(self) -> None:
        path = self.prompter.open_path("Add buildings layer", LAYER_FILTER)
        if path is not None:
            self.extra_buildings.append(path)
            self.load(plan_path=None, pack=self.pack_for(None, None))

    # -- siting actions --------------------------------------------------------------------
    def _toggle_add_mode(self, on: bool) -> None:
        self.canvas.viewport().setCursor(Qt.CursorShape.CrossCursor if on
                                         else Qt.CursorShape.ArrowCursor)
        if on:
            self.statusBar().showMessage("Add camera: click the map near a street (Esc ends)")

    def _clicked_empty(self, x: float, y: float) -> None:
        if self.actions_by_name["add_mode"].isChecked():
            self.add_camera(x, y)

    def add_camera(self, x: float, y: float) -> str | None:
        model = self.default_model() if self.catalogue is not None else None
        fov = model.fov_deg if model else 90.0
        rng = model.range_m if model else 50.0
        caps = model.capabilities if model else ("plate_read",)
        return self.controller.add_camera_at(x, y, fov_deg=fov, range_m=rng,
                                             model=model.key if model else None,
                                             capabilities=caps)

    def add_camera_at_centre(self) -> str | None:
        centre = self.canvas.mapToScene(self.canvas.viewport().rect().center())
        return self.add_camera(centre.x(), -centre.y())

    def delete_selected(self) -> None:
        self.doc.delete_cameras(self.controller.selected_editable())

    def duplicate_selected(self) -> None:
        new = self.doc.duplicate_cameras(self.controller.selected_editable())
        if new:
            self.controller.select(new)

    def _select_step(self, step: int) -> None:
        cid = self.controller.select_next(step)
        if cid is not None:
            self.zoom_to_selection(keep_scale=True)

    def _selection_changed(self) -> None:
        sel = self.controller.selected_ids()
        self.properties_panel.set_camera(sel[0] if len(sel) == 1 else None)

    def focus_properties(self) -> None:
        self.docks["properties"].show()
        self.docks["properties"].raise_()
        self.properties_panel.label.setFocus()

    def _open_properties_for(self, camera_id: str) -> None:
        self.controller.select([camera_id])
        self.focus_properties()

    def _finding_activated(self, finding: Finding) -> None:
        self.zoom_to_finding(finding)
        self._open_properties_for(finding.camera_id)

    # -- view ------------------------------------------------------------------------------
    def zoom_to_fit(self) -> None:
        canvas_bridge.zoom_to_fit(self.canvas, self.doc)

    def _zoom_rect(self, rect: QRectF, *, keep_scale: bool = False) -> None:
        if keep_scale:
            self.canvas.centerOn(rect.center())
        else:
            canvas_bridge.zoom_to_rect(self.canvas, rect)

    def zoom_to_selection(self, *, keep_scale: bool = False) -> None:
        ids = self.controller.selected_ids()
        proj = self.doc.projector
        if not ids or proj is None:
            return
        rect = QRectF()
        for cid in ids:
            cam = self.doc.any_camera(cid)
            x, y = proj.point(cam.lon, cam.lat)
            r = cam.range_m
            rect = rect.united(QRectF(x - r, -y - r, 2 * r, 2 * r))
        self._zoom_rect(rect.adjusted(-20, -20, 20, 20), keep_scale=keep_scale)

    def zoom_to_finding(self, finding: Finding) -> None:
        """Select the finding's camera and show it together with the site."""
        proj, data = self.doc.projector, self.doc.data
        if proj is None or data is None:
            return
        self.controller.select([finding.camera_id])
        cam = self.doc.any_camera(finding.camera_id)
        x, y = proj.point(cam.lon, cam.lat)
        rect = QRectF(x - cam.range_m, -y - cam.range_m, 2 * cam.range_m, 2 * cam.range_m)
        site = next((s for s in data.sites if s.id == finding.site_id), None)
        if site is not None:
            x0, y0, x1, y1 = proj.project(site.geometry).bounds
            rect = rect.united(QRectF(x0, -y1, x1 - x0, y1 - y0))
        self._zoom_rect(rect.adjusted(-30, -30, 30, 30))

    # -- keyboard on the map ---------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._map_key(event)
        if obj is self.canvas.viewport() and event.type() == QEvent.Type.Leave:
            self._cursor_left()
        if obj is self.canvas.viewport() and event.type() == QEvent.Type.Paint and \
                self.first_paint_s is None and self.doc.data is not None:
            self.first_paint_s = time.perf_counter() - self.t0
        return False

    def _map_key(self, event: QKeyEvent) -> bool:
        """Arrow keys nudge and [ ] rotate the selection; with nothing selected the map pans."""
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Escape and self.actions_by_name["add_mode"].isChecked():
            self.actions_by_name["add_mode"].setChecked(False)
            self._toggle_add_mode(False)
            return True
        if not self.controller.selected_editable():
            return False
        big = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        step = NUDGE_BIG_M if big else NUDGE_M
        turn = ROTATE_BIG_DEG if big else ROTATE_DEG
        arrows = {Qt.Key.Key_Left: (-step, 0.0), Qt.Key.Key_Right: (step, 0.0),
                  Qt.Key.Key_Up: (0.0, step), Qt.Key.Key_Down: (0.0, -step)}
        if key in arrows:
            if ctrl:
                if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
                    self.controller.rotate_selected(-turn if key == Qt.Key.Key_Left else turn)
                    return True
                return False
            self.controller.nudge(*arrows[key])
            return True
        if key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BraceLeft):
            self.controller.rotate_selected(-turn)
            return True
        if key in (Qt.Key.Key_BracketRight, Qt.Key.Key_BraceRight):
            self.controller.rotate_selected(turn)
            return True
        return False

    # -- closing ---------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.cancel_work()
        self.autosaver.timer.stop()
        self.autosaver.clear()
        self._save_layout()
        event.accept()

    def screenshot(self, path: Path, *, size: tuple[int, int] | None = (1400, 900),
                   fit: bool = True) -> bool:
        """Render the window to ``path`` (PNG), at ``size`` for reproducible images."""
        if size is not None:
            self.resize(*size)
            self.resizeDocks([self.docks["layers"], self.docks["properties"]], [220, 280],
                             Qt.Orientation.Horizontal)
            self.resizeDocks([self.docks["findings"]], [190], Qt.Orientation.Vertical)
        self.wait_idle()
        QApplication.processEvents()
        if fit:
            self.zoom_to_fit()  # again, now that the docks have their final sizes
        canvas_bridge.wait_for_tiles(self.canvas)
        for _ in range(3):
            QApplication.processEvents()
        pixmap = self.grab()
        self.canvas.set_synchronous(False)  # back to rendering tiles on the pool
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return pixmap.save(str(path), "PNG")


__all__ = ["MainWindow", "to_scene"]
