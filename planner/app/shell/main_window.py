"""The main window: map, docks, menus, toolbar, status bar, and the document life cycle.

:class:`MainWindow` builds itself in named steps and joins the parts of the window that live
beside it in this room: its actions and menus (:mod:`.window_actions`), status bar and
workers (:mod:`.window_status`), data loading (:mod:`.window_data`), file actions
(:mod:`.window_files`), siting actions (:mod:`.window_siting`) and dock layout
(:mod:`.window_layout`).
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QVBoxLayout, QWidget

from planner.app.common import units
from planner.app.common.settings import AppSettings
from planner.app.common.workers import Task
from planner.app.shell import window_layout
from planner.app.shell.banner import Banner
from planner.app.shell.recovery import Autosaver
from planner.app.shell.window_actions import WindowActions
from planner.app.shell.window_data import WindowData
from planner.app.shell.window_files import WindowFiles
from planner.app.shell.window_siting import WindowSiting
from planner.app.shell.window_status import WindowStatus
from planner.app.siting import canvas_bridge
from planner.app.siting.dialogs import Prompter
from planner.app.siting.document import PlanDocument, login_name
from planner.app.siting.provenance import ProvenancePanel
from planner.app.siting.siting_controller import SitingController
from planner.core.model import Policy
from planner.io.config.managed_config import ManagedConfig
from planner.io.formats.plan import PackLink

Area = Qt.DockWidgetArea


class MainWindow(WindowActions, WindowStatus, WindowData, WindowFiles, WindowSiting, QMainWindow):
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
        Safety-net autosave interval (60 s by default); the recovery file is also
        written after every committed change (:class:`~planner.app.shell.recovery.Autosaver`).
    """

    #: The IT-managed configuration; :func:`planner.app.shell.managed.apply_to_window` sets it.
    managed: ManagedConfig = ManagedConfig()

    def __init__(
        self,
        *,
        settings: AppSettings,
        policy: Policy,
        catalogue: Any = None,
        prompter: Prompter | None = None,
        autosave_ms: int = 60_000,
    ) -> None:
        super().__init__()
        self.t0 = time.perf_counter()
        self.first_paint_s: float | None = None
        self.settings = settings
        self.policy = policy
        self.catalogue = catalogue
        self.setObjectName("main_window")
        self._init_document(prompter)
        self._build_map()
        self._build_docks()
        self._build_status_bar()
        self._build_actions()
        self._connect()
        from planner.app.shell.gis_tools import install_gis_tools

        self.gis = install_gis_tools(self)  # find, identify, measure, legend, export, help
        self.autosaver = Autosaver(self.doc, interval_ms=autosave_ms, parent=self)
        self.autosaver.pack_link = self._recovery_pack_link
        self.canvas.viewport().installEventFilter(self)
        self.canvas.installEventFilter(self)
        window_layout.restore_layout(self, self.docks, self.settings)
        self._update_title()

    # -- construction ----------------------------------------------------------------------
    def _init_document(self, prompter: Prompter | None) -> None:
        """The plan document, who signs its changes, and the state of its data."""
        settings = self.settings
        self.prompter = prompter or Prompter(self, settings=settings, plan_folder=self.plan_folder)
        self.doc = PlanDocument(self)
        self.doc.justifier = lambda prompt, findings: self.prompter.justify(
            prompt, findings, [self.doc.describe(f) for f in findings]
        )
        self.doc.identity = self.user_identity
        self._identity_asked = False
        units.set_units(settings.units)
        #: The plan's link to its pack, and why results are withheld ("" = they are not).
        self.plan_link: PackLink | None = None
        #: sha256 of each plan file as last read or saved here (planner.io.formats.plan_lock)
        self.disk_sha256: dict[Path, str] = {}
        self.data_state = "No data loaded"
        self.data_issues: list[str] = []
        self.tasks: list[Task] = []
        self.check_task: Task | None = None
        self.load_task: Task | None = None
        self.extra_sites: list[Path] = []
        self.extra_buildings: list[Path] = []

    def _build_map(self) -> None:
        """The map in the centre, its camera items and labels, and the banners over it."""
        self.canvas = canvas_bridge.make_canvas(self)
        # the scale bar in the display units from the first frame, before any data loads
        canvas_bridge.set_units(self.canvas, self.settings.units)
        self.canvas.setObjectName("map_canvas")
        self.controller = SitingController(self.doc, self.canvas.scene(), parent=self)
        from planner.app.siting.map_labels import connect_map_labels
        from planner.app.siting.site_marks import UnverifiedMarks

        self.unverified_marks = UnverifiedMarks(self.doc, self.canvas.scene(), parent=self)
        # camera labels and unverified tags are placed by the map with its own labels
        connect_map_labels(self.canvas, controller=self.controller, marks=self.unverified_marks)
        # Banners float over the map (they never push it down): the data banner says
        # the plan's data is missing or changed; the notice carries refusals and errors.
        self.data_banner = Banner(self.canvas, kind="error", name="data_banner")
        self.notice = Banner(self.canvas, kind="notice", below=self.data_banner, name="notice")
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.canvas)
        self.setCentralWidget(central)

    def _build_docks(self) -> None:
        """The panels in their docks (the GIS tools add the legend and identify docks)."""
        from planner.app.siting.findings_panel import FindingsPanel
        from planner.app.siting.layers_panel import LayersPanel
        from planner.app.siting.properties_panel import PropertiesPanel
        from planner.app.siting.propose_panel import make_propose_dock

        self.layers_panel = LayersPanel()
        self.findings_panel = FindingsPanel(self.doc)
        self.properties_panel = PropertiesPanel(self.doc, self.catalogue)
        self.provenance_panel = ProvenancePanel()
        self.docks = {}
        add = functools.partial(window_layout.add_dock, self, self.docks)
        add("layers", "Layers", self.layers_panel, Area.LeftDockWidgetArea)
        add("properties", "Camera properties", self.properties_panel, Area.RightDockWidgetArea)
        add("findings", "Findings", self.findings_panel, Area.BottomDockWidgetArea)
        add(
            "provenance",
            "Data and policy in force",
            self.provenance_panel,
            Area.BottomDockWidgetArea,
        )
        # the provenance details sit in a tab beside the findings (the status bar and the
        # title always name the pack and the policy in force)
        window_layout.tabify(self, self.docks["findings"], self.docks["provenance"])
        self.propose_panel, dock = make_propose_dock(self)
        self.addDockWidget(Area.RightDockWidgetArea, dock)
        self.docks["propose"] = dock
        window_layout.tabify(self, self.docks["properties"], dock)

    def _connect(self) -> None:
        doc = self.doc
        doc.undo_stack.cleanChanged.connect(self._update_title)
        doc.undo_stack.indexChanged.connect(self._update_title)
        doc.path_changed.connect(self._update_title)
        doc.message.connect(self.show_notice)
        doc.refused.connect(self.show_refusal)
        doc.properties_changed.connect(self._update_title)
        # a notice stays until dismissed or the next action
        doc.undo_stack.indexChanged.connect(lambda _i: self.notice.clear())
        doc.plan_reset.connect(self._update_attribution)
        doc.results_reset.connect(self._update_check_label)
        doc.result_changed.connect(self._update_check_label)
        # a deleted camera's result goes with it: the count follows at once
        doc.camera_removed.connect(self._update_check_label)
        self.controller.selection_changed.connect(self._selection_changed)
        self.controller.properties_requested.connect(self._open_properties_for)
        self.controller.drag_status.connect(self._drag_status)
        self.findings_panel.finding_clicked.connect(self.zoom_to_finding)
        self.findings_panel.finding_activated.connect(self._finding_activated)
        self.layers_panel.visibility_changed.connect(
            lambda k, v: canvas_bridge.set_layer_visible(self.canvas, k, v)
        )
        self.layers_panel.opacity_changed.connect(
            lambda k, o: canvas_bridge.set_layer_opacity(self.canvas, k, o)
        )
        c = self.canvas
        c.cursor_moved.connect(self._cursor_moved)
        c.scale_changed.connect(self._scale_changed)
        c.clicked_empty.connect(self._clicked_empty)
        c.area_selected.connect(self.controller.select_in_rect)
        c.scale_changed.connect(self.controller.set_resolution)

    # DPO review mode and the review report live in planner.app.review, imported
    # when first used: the first paint need not wait for it
    def review_plan(self) -> None:
        """File → Review plan…: open a plan read-only and record decisions."""
        from planner.app.review.launch import review_plan_dialog

        review_plan_dialog(self)

    def export_review_report(self) -> None:
        """File → Export review report…: the report of the saved plan."""
        from planner.app.review.export import export_report_dialog

        export_report_dialog(self)

    # -- status and identity ---------------------------------------------------------------
    def _update_title(self, *_args: object) -> None:
        name = self.doc.path.name if self.doc.path else (self.doc.plan.meta.name or "Untitled")
        pack = self.doc.data.pack_path if self.doc.data is not None else None
        data = f" — data {Path(pack).name}" if pack is not None else " — no data"
        if self.data_issues:
            data += " (not checked)"
        self.setWindowTitle(f"{name}[*]{data} — Siting planner")
        self.setWindowModified(self.doc.dirty)

    def show_notice(self, text: str) -> None:
        """A non-modal notice in the banner over the map, kept until dismissed or the next action.

        Not in the status bar: a refusal names a site, an entrance and a rule, far
        more than the status bar's message area holds.
        """
        self.statusBar().clearMessage()
        self.notice.show_message(text)

    def show_refusal(self, camera_id: str, text: str) -> None:
        """A refusal, with the way out: the compliant headings of that camera."""
        self.statusBar().clearMessage()

        def show_allowed() -> None:
            if self.doc.has_camera(camera_id):
                self.controller.select([camera_id])
            act = self.actions_by_name["allowed"]
            if not act.isChecked():
                act.trigger()

        # a refused new camera is not on the map: there are no headings to show for it
        actions = (
            [("Show allowed headings (H)", show_allowed)] if self.doc.has_camera(camera_id) else []
        )
        self.notice.show_message(text, actions=actions)

    def user_identity(self) -> str:
        """Who is making changes: the setting, asked once when unset (audit trail ``who``)."""
        who = self.settings.user_identity
        if not who and not self._identity_asked:
            self._identity_asked = True
            answer = self.prompter.ask_identity("")
            if answer:
                self.settings.user_identity = answer
                who = self.settings.user_identity
        return who or login_name()

    def edit_user_identity(self) -> None:
        answer = self.prompter.ask_identity(self.settings.user_identity)
        if answer:
            self.settings.user_identity = answer
            self._identity_asked = True
            self.statusBar().showMessage(f"Audit trail entries are now signed {answer}", 5000)

    def edit_plan_properties(self) -> None:
        m = self.doc.plan.meta
        values = self.prompter.plan_properties(
            name=m.name, author=m.author, department=m.department
        )
        if values is not None:
            self.doc.set_properties(
                name=values.get("name", m.name),
                author=values.get("author", m.author),
                department=values.get("department", m.department),
            )

    def _set_units(self, unit: str) -> None:
        self.settings.units = unit
        units.set_units(unit)
        canvas_bridge.set_units(self.canvas, unit)
        self._scale_changed(self.canvas_resolution())

    def canvas_resolution(self) -> float:
        return float(self.controller.resolution)

    def default_model(self) -> Any:
        key = self.settings.default_camera_model
        model = self.catalogue.find(key) if key else None
        return model or self.catalogue.default_model

    def _set_default_model(self, key: str) -> None:
        self.settings.default_camera_model = key

    # -- events --------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._map_key(event)
        if obj is self.canvas.viewport() and event.type() == QEvent.Type.Leave:
            self._cursor_left()
        if (
            obj is self.canvas.viewport()
            and event.type() == QEvent.Type.Paint
            and self.first_paint_s is None
            and self.doc.data is not None
        ):
            self.first_paint_s = time.perf_counter() - self.t0
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.cancel_work()
        self.autosaver.clear()
        self.autosaver.shutdown()
        window_layout.save_layout(self, self.settings)
        event.accept()

    def screenshot(
        self, path: Path, *, size: tuple[int, int] | None = (1400, 900), fit: bool = True
    ) -> bool:
        """Render the window to ``path`` (PNG), at ``size`` for reproducible images."""
        if size is not None:
            self.resize(*size)
            window_layout.default_sizes(self, self.docks)
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


__all__ = ["MainWindow"]
