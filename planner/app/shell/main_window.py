"""The main window: map, docks, menus, toolbar, status bar, and the document life cycle."""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from planner.app.common import units
from planner.app.common.settings import AppSettings
from planner.app.common.workers import Task, start
from planner.app.shell.banner import Banner
from planner.app.shell.managed import enforce_pack
from planner.app.shell.recovery import Autosaver, discard, find_recovery_files
from planner.app.shell.statusbar import ElidedLabel, StatusBar
from planner.app.siting import canvas_bridge
from planner.app.siting.dialogs import LAYER_FILTER, PACK_FILTER, PLAN_FILTER, Prompter
from planner.app.siting.document import DataContext, PlanDocument, login_name
from planner.app.siting.loading import demo_paths, is_bundled, load_data_context, user_documents_dir
from planner.app.siting.provenance import (
    ProvenancePanel,
    data_problems,
    pack_digest,
    policy_note,
    record_check,
    relink,
)
from planner.app.siting.scene_paths import to_scene
from planner.app.siting.siting_controller import SitingController
from planner.core.errors import InputError
from planner.core.model import Finding, Plan, PlanMeta, Policy, Severity
from planner.io.config.managed_config import ManagedConfig
from planner.io.formats.plan import CHECKED_WITH_KEY, PackLink, read_pack_link

NUDGE_M, NUDGE_BIG_M = 1.0, 10.0
#: Default dock sizes (px): the findings show six rows, the legend its longest labels.
FINDINGS_HEIGHT = 250
SIDE_WIDTHS = (250, 280)
#: Toolbar texts shorter than the menus': the whole toolbar fits 1,000 px, so no action
#: (rotate to the nearest allowed heading was one) is hidden behind its overflow arrow.
TOOLBAR_TEXT = {
    "add_mode": "Add camera",
    "fit": "Fit",
    "zoom_sel": "Zoom to selection",
    "check": "Check all",
    "allowed": "Allowed headings",
    "rotate_allowed": "Rotate to allowed",
}
ROTATE_DEG, ROTATE_BIG_DEG = 1.0, 15.0
CURSOR_OFF_MAP = "lon, lat: off the map"

_log = logging.getLogger("planner")


def _review_window() -> Any:
    from planner.app.review import window as review_window

    return review_window


@dataclass(frozen=True)
class ActionSpec:
    """One action of the main window: its name, menu text, slot and shortcut."""

    name: str
    text: str
    #: a method of the window, or a dotted path from it (``controller.rotate_to_allowed``)
    slot: str
    #: a standard key, a key sequence text, or several of them (all bound)
    shortcut: QKeySequence.StandardKey | str | tuple[QKeySequence.StandardKey | str, ...] | None = (
        None
    )
    checkable: bool = False
    tip: str = ""
    args: tuple[Any, ...] = ()


_S = QKeySequence.StandardKey
#: Every action of the main window except undo and redo (made by the undo stack).
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("new", "&New plan", "new_plan", _S.New),
    ActionSpec("open", "&Open plan…", "open_plan_dialog", _S.Open),
    ActionSpec("save", "&Save", "save", _S.Save),
    ActionSpec("save_as", "Save &as…", "save_as", _S.SaveAs),
    ActionSpec("open_pack", "Open &data pack…", "open_pack_dialog", "Ctrl+Shift+O"),
    ActionSpec("add_sites", "Add &sites layer…", "add_sites_dialog"),
    ActionSpec("add_buildings", "Add &buildings layer…", "add_buildings_dialog"),
    ActionSpec(
        "plan_properties",
        "Plan &properties…",
        "edit_plan_properties",
        tip="Plan name, author and department",
    ),
    ActionSpec(
        "user_identity", "User &identity…", "edit_user_identity", tip="Your name in the audit trail"
    ),
    ActionSpec("quit", "&Quit", "close", _S.Quit),
    ActionSpec(
        "review",
        "&Review plan…",
        "review_plan",
        tip="Open a plan read-only and record review decisions",
    ),
    ActionSpec(
        "export_review",
        "Export review re&port…",
        "export_review_report",
        tip="The review report of the saved plan (PDF/HTML)",
    ),
    ActionSpec(
        "add_mode",
        "&Add camera mode",
        "_toggle_add_mode",
        "A",
        checkable=True,
        tip="Click the map: the camera snaps to the nearest street",
    ),
    ActionSpec("add_here", "Add camera at &view centre", "add_camera_at_centre", "Insert"),
    ActionSpec("delete", "&Delete", "delete_selected", (_S.Delete, "Backspace")),
    ActionSpec("duplicate", "D&uplicate", "duplicate_selected", "Ctrl+D"),
    ActionSpec("next", "Select &next camera", "_select_step", "N", args=(1,)),
    ActionSpec("prev", "Select &previous camera", "_select_step", "Shift+N", args=(-1,)),
    ActionSpec("properties", "Camera &properties", "focus_properties", "Alt+Return"),
    ActionSpec("fit", "Zoom to &fit", "zoom_to_fit", "Ctrl+0"),
    ActionSpec("zoom_sel", "Zoom to &selection", "zoom_to_selection", "Ctrl+Shift+0"),
    ActionSpec("check", "Run full &check", "run_full_check", "F5"),
    ActionSpec("allowed", "Allowed &headings", "controller.set_show_allowed", "H", checkable=True),
    ActionSpec(
        "rotate_allowed",
        "&Rotate to nearest allowed heading",
        "controller.rotate_to_allowed",
        "Shift+H",
    ),
)

#: The menus, top to bottom: action names, None for a separator, ``@`` for a part the
#: window builds from its state (recent files, docks, units, camera models).
MENUS: tuple[tuple[str, tuple[str | None, ...]], ...] = (
    (
        "&File",
        (
            *("new", "open", "@recent", "save", "save_as", "plan_properties", None),
            *("open_pack", "add_sites", "add_buildings", None),
            *("review", "export_review", None, "quit"),
        ),
    ),
    ("&Edit", ("undo", "redo", None, "delete", "duplicate", "next", "prev", "properties")),
    ("&Siting", ("add_mode", "add_here", "allowed", "rotate_allowed", "check")),
    ("&View", ("fit", "zoom_sel", None, "@docks")),
    ("Se&ttings", ("user_identity", "@units", "@models")),
)

#: The main tool bar.
TOOLBAR: tuple[str | None, ...] = (
    *("new", "open", "save", None, "undo", "redo", None, "add_mode", "delete", "duplicate"),
    *(None, "allowed", "rotate_allowed", "check", None, "fit", "zoom_sel"),
)


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
        self.setObjectName("main_window")

        self.canvas = canvas_bridge.make_canvas(self)
        # the scale bar in the display units from the first frame, before any data loads
        canvas_bridge.set_units(self.canvas, settings.units)
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

        from planner.app.siting.findings_panel import FindingsPanel
        from planner.app.siting.layers_panel import LayersPanel
        from planner.app.siting.properties_panel import PropertiesPanel

        self.layers_panel = LayersPanel()
        self.findings_panel = FindingsPanel(self.doc)
        self.properties_panel = PropertiesPanel(self.doc, catalogue)
        self.provenance_panel = ProvenancePanel()
        self.docks: dict[str, QDockWidget] = {}
        for key, title, widget, area in (
            ("layers", "Layers", self.layers_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
            (
                "properties",
                "Camera properties",
                self.properties_panel,
                Qt.DockWidgetArea.RightDockWidgetArea,
            ),
            ("findings", "Findings", self.findings_panel, Qt.DockWidgetArea.BottomDockWidgetArea),
            (
                "provenance",
                "Data and policy in force",
                self.provenance_panel,
                Qt.DockWidgetArea.BottomDockWidgetArea,
            ),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{key}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[key] = dock
        # the provenance details sit in a tab beside the findings (the status bar and the
        # title always name the pack and the policy in force)
        self.tabifyDockWidget(self.docks["findings"], self.docks["provenance"])
        self.docks["findings"].raise_()
        from planner.app.siting.propose_panel import make_propose_dock

        self.propose_panel, dock = make_propose_dock(self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.tabifyDockWidget(self.docks["properties"], dock)
        self.docks["propose"] = dock
        self.docks["properties"].raise_()

        self._build_status_bar()
        self._build_actions()
        self._connect()
        from planner.app.shell.gis_tools import install_gis_tools

        self.gis = install_gis_tools(self)  # find, identify, measure, legend, export, help
        self.autosaver = Autosaver(self.doc, interval_ms=autosave_ms, parent=self)
        self.autosaver.pack_link = self._recovery_pack_link
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

    def _action(
        self, text: str, slot: Any, shortcut: Any = None, *, checkable: bool = False, tip: str = ""
    ) -> QAction:
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
        """Every action of :data:`ACTIONS`, then the menus and the tool bar that list them."""
        self.actions_by_name: dict[str, QAction] = {}
        for spec in ACTIONS:
            slot: Any = self
            for attr in spec.slot.split("."):
                slot = getattr(slot, attr)
            if spec.args:
                slot = functools.partial(slot, *spec.args)
            keys = spec.shortcut
            shortcut = [QKeySequence(k) for k in keys] if isinstance(keys, tuple) else keys
            self.actions_by_name[spec.name] = self._action(
                spec.text, slot, shortcut, checkable=spec.checkable, tip=spec.tip
            )
        S = QKeySequence.StandardKey
        undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(S.Undo)
        redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence(S.Redo), QKeySequence("Ctrl+Y")])
        self.addAction(undo)
        self.addAction(redo)
        self.actions_by_name["undo"], self.actions_by_name["redo"] = undo, redo
        self._build_menus()
        self._build_toolbar()

    def _build_menus(self) -> None:
        """The menus of :data:`MENUS`; ``@`` entries are built from the window's state."""
        special = {
            "@recent": self._recent_menu,
            "@docks": self._dock_actions,
            "@units": self._units_menu,
            "@models": self._models_menu,
        }
        for title, entries in MENUS:
            menu = self.menuBar().addMenu(title)
            for entry in entries:
                if entry is None:
                    menu.addSeparator()
                elif entry in special:
                    special[entry](menu)
                else:
                    menu.addAction(self.actions_by_name[entry])

    def _recent_menu(self, menu: QMenu) -> None:
        self.recent_menu = menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()

    def _dock_actions(self, menu: QMenu) -> None:
        for dock in self.docks.values():
            menu.addAction(dock.toggleViewAction())

    def _units_menu(self, menu: QMenu) -> None:
        units_menu = menu.addMenu("Display &units")
        group = QActionGroup(self)
        for unit in units.UNITS:
            act = units_menu.addAction(unit)
            act.setCheckable(True)
            act.setChecked(self.settings.units == unit)
            act.triggered.connect(lambda _c=False, u=unit: self._set_units(u))
            group.addAction(act)

    def _models_menu(self, menu: QMenu) -> None:
        if self.catalogue is None:
            return
        models = menu.addMenu("Default camera &model")
        mgroup = QActionGroup(self)
        current = self.default_model().key
        for m in self.catalogue.models:
            act = models.addAction(m.label)
            act.setCheckable(True)
            act.setChecked(m.key == current)
            act.triggered.connect(lambda _c=False, k=m.key: self._set_default_model(k))
            mgroup.addAction(act)

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main")
        tb.setObjectName("toolbar_main")
        self.addToolBar(tb)
        a = self.actions_by_name
        for name in TOOLBAR:
            if name is None:
                tb.addSeparator()
                continue
            tb.addAction(a[name])
            if name in TOOLBAR_TEXT:
                a[name].setIconText(TOOLBAR_TEXT[name])
                text = a[name].text().replace("&", "")
                keys = a[name].shortcut()
                a[name].setToolTip(f"{text} ({keys.toString()})" if not keys.isEmpty() else text)

    # DPO review mode and the review report live in planner.app.review.window, imported
    # when first used: the first paint need not wait for it
    def review_plan(self) -> None:
        """File → Review plan…: open a plan read-only and record decisions."""
        _review_window().review_plan_dialog(self)

    def export_review_report(self) -> None:
        """File → Export review report…: the report of the saved plan."""
        _review_window().export_report_dialog(self)

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

    # -- status ----------------------------------------------------------------------------
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

    # -- identity and plan properties ------------------------------------------------------
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

    def _cursor_moved(self, lon: float, lat: float) -> None:
        self.cursor_label.setText(f"lon {lon:.6f}  lat {lat:.6f}")

    def _cursor_left(self) -> None:
        self.cursor_label.setText(CURSOR_OFF_MAP)

    def _scale_changed(self, m_per_px: float) -> None:
        # in the scale bar's own unit (miles from a mile up in feet, km from a km up)
        self.scale_label.setText(units.format_scale(m_per_px, unit=self.settings.units))

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

    def _drag_status(self, camera_id: str, status: Severity) -> None:
        self.statusBar().showMessage(f"{camera_id}: {status} here", 2000)

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

    # -- layout ----------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geo, state = self.settings.window_geometry, self.settings.window_state
        self.resize(1400, 900)
        self.resizeDocks(
            [self.docks["layers"], self.docks["properties"]],
            list(SIDE_WIDTHS),
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks([self.docks["findings"]], [FINDINGS_HEIGHT], Qt.Orientation.Vertical)
        if geo is not None:
            self.restoreGeometry(geo)
        if state is not None:
            self.restoreState(state)

    def _save_layout(self) -> None:
        self.settings.window_geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        self.settings.sync()

    # -- loading ---------------------------------------------------------------------------
    def start_up(
        self, *, plan: Path | None, data: Path | None, wait: bool = False, recover: bool = True
    ) -> None:
        """Open what the command line asked for; else recovery, the last project or the demo."""
        if recover and self.offer_recovery(data=data, wait=wait):
            return
        if plan is None and data is None:
            last = self.settings.last_project
            if last is not None and last.is_file():
                plan = last
            else:
                plan, data = demo_paths()
        self.load(plan_path=plan, pack=data, wait=wait)

    def offer_recovery(self, *, data: Path | None = None, wait: bool = False) -> bool:
        """Offer each leftover recovery file; returns True when one was recovered.

        The recovered plan is judged by the data it names, like an opened one.
        """
        for rec in find_recovery_files(self.autosaver.folder):
            if self.prompter.offer_recovery(rec.original, rec.saved_at):
                try:
                    from planner.io.formats.plan import read_plan

                    plan = read_plan(rec.plan_path)
                except InputError as exc:
                    self.prompter.error("Cannot recover", str(exc))
                    continue
                discard(rec)
                self.load(plan_path=rec.original, pack=data, plan=plan, wait=wait, recovered=True)
                return True
            discard(rec)
        return False

    def pack_for(self, plan: Plan | None, plan_path: Path | None) -> Path | None:
        """The data pack a plan names (relative to the plan, else its absolute path).

        Without a plan: the pack in force. Never the last-used pack of another session:
        a plan is judged by the data it names, or by data the user chose.
        """
        if plan is not None:
            link = read_pack_link(plan.meta, source=str(plan_path or "plan"))
            return None if link is None else link.resolve(plan_path=plan_path)
        if self.doc.data is not None:
            return self.doc.data.pack_path
        return None

    def load(
        self,
        *,
        plan_path: Path | None,
        pack: Path | None,
        wait: bool = False,
        plan: Plan | None = None,
        recovered: bool = False,
    ) -> None:
        """Read a plan and/or a data pack on a worker, then install them.

        A plan without ``pack`` is checked against the pack it names. When that pack is
        missing, or its sha256 (or a layer in ``checked_with``) differs, the plan is shown
        without results and a banner says so, offering to locate it or choose another.
        """
        pack = enforce_pack(self.managed, pack)  # IT-locked data wins (planner.app.shell.managed)
        _log.info("open: plan %s, data pack %s", plan_path or "(none)", pack or "(none)")
        if plan is None and plan_path is not None:
            try:
                from planner.io.formats.plan_lock import read_plan_with_sha256

                plan, digest = read_plan_with_sha256(plan_path)
                # what Save compares with, to keep what others recorded meanwhile
                self.disk_sha256[Path(plan_path).resolve()] = digest
            except InputError as exc:
                self._open_failed(plan_path, str(exc))
                return
            except OSError as exc:
                self._open_failed(plan_path, f"{plan_path}: {exc.strerror or exc}")
                return
        if self.managed.error is not None:
            # IT's configuration is unusable: fail closed. The cameras are shown, but
            # nothing is checked (never with the built-in policy or data instead).
            self._show_without_data(
                plan if plan is not None else self.doc.plan,
                plan_path if plan is not None else self.doc.path,
                link=None,
                recovered=recovered,
                reason="managed",
            )
            return
        link: PackLink | None = None
        if plan is not None:
            try:
                link = read_pack_link(plan.meta, source=str(plan_path or "plan"))
            except InputError as exc:
                self._open_failed(plan_path, str(exc))
                return
            if pack is None and link is not None:
                found, declined = self._find_named_pack(link, plan_path, recovered=recovered)
                if found is None:
                    self._show_without_data(
                        plan,
                        plan_path,
                        link=link,
                        recovered=recovered,
                        reason="missing" if declined is None else "declined",
                        declined=declined,
                    )
                    return
                pack = found
            if pack is None and not self.extra_sites:
                self._show_without_data(
                    plan, plan_path, link=None, recovered=recovered, reason="unnamed"
                )
                return
        cams = plan.cameras if plan is not None else self.doc.plan.cameras
        sites, buildings = list(self.extra_sites), list(self.extra_buildings)
        if self.managed.lock_data:
            # IT's pack alone: layers added before the lock (or by any route) are not used
            sites, buildings = [], []
        policy = self.policy

        painted = None  # the preview's first useful paint, which the full load waits for

        def work(progress: Any, cancel: Any) -> DataContext:
            from planner.app.siting.preview import hold_until_painted

            hold_until_painted(painted, cancel)
            return load_data_context(
                policy=policy,
                cameras=list(cams),
                pack=pack,
                sites=sites,
                buildings=buildings,
                progress=progress,
                cancel=cancel,
            )

        def done(data: DataContext) -> None:
            if plan is not None:
                self.doc.plan = plan  # before set_data so items are built once
                self.plan_link = link
            self.install_data(data)
            if plan is not None:
                self.doc.load_plan(plan, plan_path, check=False)
                self._after_plan_loaded(plan_path, recovered=recovered)
            if pack is not None:
                self.settings.last_data_pack = pack
            problems = data_problems(self.doc.plan.meta, link=self.plan_link, data=data)
            self.zoom_to_fit()
            if problems:
                self._withhold(problems, reason="changed")
            else:
                self._release(
                    f"Data: {Path(pack).name}" if pack is not None else "Data: layer files"
                )
                self.run_full_check(wait=wait)

        def failed() -> None:
            if plan is not None and self.doc.data is None and not self.doc.plan.cameras:
                self._fall_back_to_demo(plan_path, "its data could not be read")

        if pack is not None and not wait:
            painted = self.gis.preview(pack=pack, cameras=list(cams))  # cameras, sites, streets
        self.load_task = self._run(work, done, name="Loading data", wait=wait, on_fail=failed)

    def _find_named_pack(
        self, link: PackLink, plan_path: Path | None, *, recovered: bool
    ) -> tuple[Path | None, Path | None]:
        """The pack a plan names: ``(found, None)``, ``(None, declined)`` or ``(None, None)``.

        A pack beside the plan (its folder or below) opens without asking. Anything else
        is input steering the program to another file: the user is asked first, and a
        network path is not even looked at before they agree (:mod:`planner.io.safety.paths`).
        A recovery snapshot's link was written by this app, so it is trusted.
        """
        from planner.io.safety.paths import PackLocation, classify_pack_path

        declined: Path | None = None
        for cand in link.candidates(plan_path=plan_path):
            if recovered:
                if cand.is_file():
                    return cand, None
                continue
            folder = Path(plan_path).resolve().parent if plan_path is not None else None
            where = (
                classify_pack_path(str(cand), plan_folder=folder) if folder is not None else None
            )
            if where is not None and where.location is PackLocation.INSIDE:
                if cand.is_file():
                    return cand, None
                continue
            network = where is not None and where.location is PackLocation.NETWORK
            if not network and not cand.is_file():
                continue
            place = "on a network path" if network else "outside its own folder"
            if self.prompter.confirm(
                "Open data pack?",
                f"This plan names a data pack {place}:\n{cand}\n\nOpen it to check the plan?",
            ):
                if cand.is_file():
                    return cand, None
                continue
            declined = cand
        return None, declined

    def _after_plan_loaded(self, plan_path: Path | None, *, recovered: bool) -> None:
        self._forget_plan()
        if recovered:
            self.doc.undo_stack.resetClean()  # recovered work is unsaved work
            self._update_title()
            self.show_notice("Recovered unsaved changes; save them to keep them")
        elif plan_path is not None and not is_bundled(plan_path):
            self.settings.add_recent_file(plan_path)
            self.settings.last_project = plan_path.resolve()
            self._fill_recent()

    def _show_without_data(
        self,
        plan: Plan,
        plan_path: Path | None,
        *,
        link: PackLink | None,
        recovered: bool,
        reason: str,
        declined: Path | None = None,
    ) -> None:
        """Show the plan's cameras with no result: its data is missing or unnamed."""
        from planner.core.crs import Projector

        proj = Projector.for_points([(c.lon, c.lat) for c in plan.cameras] or [(0.0, 0.0)])
        self.plan_link = link
        self.doc.plan = plan
        self.install_data(DataContext(checker=None, projector=proj, pack_path=None))
        self.doc.load_plan(plan, plan_path, check=False)
        self._after_plan_loaded(plan_path, recovered=recovered)
        if reason == "missing" and link is not None:
            looked = " or ".join(str(c) for c in link.candidates(plan_path=plan_path))
            problems = [f"This plan's data pack is missing: {link.path} (looked for {looked})."]
        elif reason == "declined":
            problems = [f"The data pack this plan names was not opened: {declined}."]
        elif reason == "managed":
            problems = [
                "The system configuration is unusable, so nothing is checked until IT "
                f"fixes it: {self.managed.error}."
            ]
        else:
            problems = ["This plan does not name a data pack, so it has not been checked."]
        self.zoom_to_fit()
        self._withhold(problems, reason=reason)

    def _withhold(self, problems: list[str], *, reason: str) -> None:
        """No result until the user decides: say why in a banner that stays."""
        self.data_issues = list(problems)
        self.doc.withheld = " ".join(problems)
        self.doc.results = {}
        self.doc.results_reset.emit()
        actions: list[tuple[str, Any]] = []
        if reason in ("missing", "declined"):
            actions.append(("Locate the data pack…", self.locate_pack))
        if not self.managed.lock_data:
            actions.append(("Choose another data pack…", self.open_pack_dialog))
        if reason == "changed":
            actions.append(("Check with the data in force", self.accept_data_in_force))
        text = " ".join(problems)
        if reason != "managed":  # only IT can fix an unusable configuration
            text += " No result is shown until you decide."
        self.data_banner.show_message(text, actions=actions, dismissible=False)
        self.notice.place()
        self.data_state = "Data: not checked"
        self._update_provenance()

    def _release(self, state: str) -> None:
        self.data_issues = []
        self.doc.withheld = ""
        self.data_banner.clear()
        self.data_state = state
        note = policy_note(self.doc.plan.meta, self.policy)
        if note:
            self.show_notice(note)
        self._update_provenance()

    def accept_data_in_force(self) -> None:
        """The user accepts the loaded data instead of the data the plan names."""
        data = self.doc.data
        if data is None or data.checker is None:
            return
        name = Path(data.pack_path).name if data.pack_path is not None else "the layer files"
        self.plan_link = None  # the next save links the pack in force
        self._release(f"Data: {name} (chosen, differs from the plan's)")
        self.show_notice(
            f"Checking with {name}, not the data this plan was made with; "
            "saving links the plan to it."
        )
        self.run_full_check()

    def locate_pack(self) -> None:
        self.open_pack_dialog()

    def _recovery_pack_link(self) -> dict[str, Any] | None:
        """The pack in force, as an absolute link, for the recovery snapshot."""
        from planner.io.formats.plan import pack_link_json

        data = self.doc.data
        if data is None or data.pack_path is None or self.data_issues:
            return None
        return pack_link_json(pack=data.pack_path, plan_path=None, sha256=pack_digest(data))

    def _update_provenance(self) -> None:
        data = self.doc.data
        digest = pack_digest(data)
        pol = self.policy
        tip = self.data_state
        if data is not None and data.pack_path is not None:
            tip = f"{self.data_state}\n{data.pack_path}\nsha256 {digest or 'n/a'}"
        self.policy_label.setText(f"{self.data_state} · Policy {pol.id} v{pol.version}")
        self.policy_label.setToolTip(
            f"{tip}\n\nPolicy {pol.id} v{pol.version}\nsha256 {pol.sha256 or 'n/a'}"
        )
        self.provenance_panel.show_state(
            policy=self.policy,
            data=data,
            state=self.data_state,
            problems=self.data_issues,
            link=self.plan_link,
            plan_path=self.doc.path,
            recorded=self.doc.plan.meta.extra.get(CHECKED_WITH_KEY),
        )
        self._update_title()
        self._update_check_label()

    def _open_failed(self, path: Path | None, message: str) -> None:
        """An open error: the whole message, and the previous document stays."""
        _log.warning("open failed: %s", message)
        self.prompter.error("Cannot open plan", message)
        if self.doc.data is None and not self.doc.plan.cameras:
            self._fall_back_to_demo(path, message)
            return
        current = self.doc.path.name if self.doc.path else self.doc.plan.meta.name
        self.show_notice(
            f"Could not open {Path(path).name if path else 'the plan'}: {message}"
            f" — {current} is still open."
        )

    def _fall_back_to_demo(self, path: Path | None, message: str) -> None:
        plan, pack = demo_paths()
        name = Path(path).name if path else "the plan"
        if path is not None and Path(path).resolve() == plan.resolve():
            self.show_notice(f"Could not open {name}: {message}")
            return
        self.load(plan_path=plan, pack=pack)
        self.show_notice(f"Could not open {name}: {message} — showing the demo instead.")

    def install_data(self, data: DataContext) -> None:
        self.doc.set_data(data)
        canvas_bridge.show_data(self.canvas, data)
        self.layers_panel.set_layers(canvas_bridge.layer_entries(self.canvas))
        canvas_bridge.set_units(self.canvas, self.settings.units)
        self._update_attribution()
        self._update_provenance()

    def _update_attribution(self) -> None:
        """Tell the canvas whether the cameras on it are OSM-derived.

        OSM layers say so themselves (see :func:`canvas_bridge.show_data`); the
        cameras are OSM data when the pack's existing cameras were imported from OSM,
        or the plan was made from such a pack (its ``attribution`` says so).
        """
        data = self.doc.data
        existing = (
            data is not None
            and bool(data.cameras_existing)
            and "cameras_existing" in data.osm_layers
        )
        plan_attr = str(self.doc.plan.meta.extra.get("attribution") or "").lower()
        planned = "openstreetmap" in plan_attr and bool(self.doc.plan.cameras)
        self.canvas.set_items_osm(existing or planned)

    # -- workers ---------------------------------------------------------------------------
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

    def plan_folder(self) -> Path | None:
        """The open plan's folder, where its file dialogs start (None: new or bundled)."""
        path = self.doc.path
        if path is None or is_bundled(path):
            return None
        return Path(path).resolve().parent

    def new_plan(self) -> None:
        """An empty plan over the data in force; nothing of the previous plan is kept."""
        if not self.maybe_save():
            return
        from planner.app.siting.document import now_iso

        self.autosaver.clear()
        self.plan_link = None
        self.notice.clear()
        self.doc.load_plan(Plan(meta=PlanMeta(created=now_iso())), None)
        self._forget_plan()
        if self.data_issues:
            # the banner was about the previous plan's data; a new plan names none yet
            self.data_banner.clear()
            self.data_issues = []
            self.doc.withheld = ""
            self.data_state = "No data loaded" if self.doc.checker is None else self.data_state
        self._update_provenance()

    def _forget_plan(self) -> None:
        """Clear the panels that showed the previous plan's things (New, Open)."""
        self.gis.forget_plan()
        self.controller.select([])
        self.properties_panel.set_camera(None)
        self.statusBar().clearMessage()

    def open_plan_dialog(self) -> None:
        if not self.maybe_save():
            return
        path = self.prompter.open_path("Open siting plan", PLAN_FILTER, kind="plan")
        if path is not None:
            self.open_plan(path)

    def open_plan(self, path: Path, *, wait: bool = False) -> None:
        self.autosaver.clear()
        self.load(plan_path=path, pack=None, wait=wait)

    def _fill_recent(self) -> None:
        """The recent plans, each once, with its folder (two plans may share a name).

        Refilled whenever a plan is opened or saved: a disabled menu never shows, so
        filling it only when it opens would leave it disabled for the first session.
        """
        self.recent_menu.clear()
        seen: set[Path] = set()
        recent = []
        for path in self.settings.recent_files:
            key = Path(path).resolve()
            if key not in seen:
                seen.add(key)
                recent.append(key)
        home = Path.home()
        for i, path in enumerate(recent, 1):
            folder = path.parent
            try:
                where = "~/" + str(folder.relative_to(home)) if folder != home else "~"
            except ValueError:
                where = str(folder)
            # "&&": a literal ampersand in a menu text
            label = f"{path.name}  —  {where}".replace("&", "&&")
            act = self.recent_menu.addAction(f"&{i % 10} {label}" if i <= 10 else label)
            act.setToolTip(str(path))
            act.setStatusTip(str(path))
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
        """Save in place; a new or bundled plan (the demo) is saved as a copy instead."""
        if self.doc.path is None or is_bundled(self.doc.path):
            return self.save_as()
        return self.save_to(self.doc.path)

    def save_as(self) -> bool:
        path = self.doc.path
        if path is None:
            from planner.io.safety.paths import suggested_file_name

            # the plan's name is text from a file: a bare file name, never a path; the
            # dialog puts it in the folder plans were last saved in, else Documents
            suggestion = suggested_file_name(self.doc.plan.meta.name)
        elif is_bundled(path):
            # bundled files are read-only: a copy goes to the user's documents folder
            suggestion = str(user_documents_dir() / path.name)
        else:
            suggestion = str(path)
        target = self.prompter.save_path("Save siting plan", PLAN_FILTER, suggestion, kind="plan")
        return False if target is None else self.save_to(target)

    def save_to(self, path: Path) -> bool:
        from planner.io.formats.plan_lock import save_plan

        path = Path(path)
        if is_bundled(path):
            self.prompter.error(
                "Cannot save",
                f"{path}: this folder holds the planner's bundled files, which are read-only; "
                f"save the plan in your documents folder ({user_documents_dir()}) instead",
            )
            return False
        data = self.doc.data
        meta = self.doc.plan.meta
        withheld = bool(self.data_issues)
        pack = None if data is None or withheld else data.pack_path
        relink(
            meta,
            pack=None if pack is None else Path(pack),
            sha256=pack_digest(data) if pack is not None else None,
            link=self.plan_link,
            old_plan=self.doc.path,
            new_plan=path,
        )
        if data is not None and data.checker is not None and not withheld and self.doc.results:
            results = self.doc.results
            record_check(
                meta,
                policy=self.policy,
                data=data,
                statuses={
                    c.id: str(results[c.id].status)
                    for c in self.doc.plan.cameras
                    if c.id in results
                },
            )
        key = path.resolve()
        same = self.doc.path is not None and Path(self.doc.path).resolve() == key
        try:
            # under the plan's lock; decisions or audit entries another program
            # (review --decide, the review window) wrote meanwhile are merged, not lost
            outcome = save_plan(
                self.doc.plan, path, expected_sha256=self.disk_sha256.get(key) if same else None
            )
        except (OSError, InputError) as exc:
            # The plan stays in memory and in the recovery file: nothing is lost.
            _log.warning("save failed: %s: %s", path, exc)
            self.prompter.error("Cannot save", str(exc))
            return False
        _log.info("saved plan %s", path)
        self.disk_sha256[key] = outcome.sha256
        if outcome.merged:
            _log.info("merged into %s: %s", path, outcome.message())
            self.show_notice(outcome.message())
        self.plan_link = read_pack_link(meta, source=str(path))
        self.autosaver.clear()
        self.doc.set_path(Path(path))
        self.doc.undo_stack.setClean()
        self.settings.add_recent_file(Path(path))
        self.settings.last_project = Path(path).resolve()
        self._fill_recent()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self._update_title()
        return True

    def open_pack_dialog(self) -> None:
        path = self.prompter.open_path("Open data pack", PACK_FILTER, kind="pack")
        if path is not None:
            self.load(plan_path=None, pack=path)

    def add_sites_dialog(self) -> None:
        path = self.prompter.open_path("Add sites layer", LAYER_FILTER, kind="layer")
        if path is not None:
            self.extra_sites.append(path)
            self.load(plan_path=None, pack=self.pack_for(None, None))

    def add_buildings_dialog(self) -> None:
        path = self.prompter.open_path("Add buildings layer", LAYER_FILTER, kind="layer")
        if path is not None:
            self.extra_buildings.append(path)
            self.load(plan_path=None, pack=self.pack_for(None, None))

    # -- siting actions --------------------------------------------------------------------
    def _toggle_add_mode(self, on: bool) -> None:
        self.canvas.viewport().setCursor(
            Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor
        )
        if on:
            self.statusBar().showMessage("Add camera: click the map near a street (Esc ends)")
        else:
            self.statusBar().clearMessage()

    def _clicked_empty(self, x: float, y: float) -> None:
        if self.actions_by_name["add_mode"].isChecked():
            self.add_camera(x, y)

    def add_camera(self, x: float, y: float) -> str | None:
        model = self.default_model() if self.catalogue is not None else None
        fov = model.fov_deg if model else 90.0
        rng = model.range_m if model else 50.0
        caps = model.capabilities if model else ("plate_read",)
        return self.controller.add_camera_at(
            x, y, fov_deg=fov, range_m=rng, model=model.key if model else None, capabilities=caps
        )

    def add_camera_at_centre(self) -> str | None:
        centre = self.canvas.mapToScene(self.canvas.viewport().rect().center())
        return self.add_camera(centre.x(), -centre.y())

    def delete_selected(self) -> None:
        selected = self.controller.selected_ids()
        if not selected:
            self.statusBar().showMessage("Delete: select a camera of the plan first", 4000)
            return
        others = self.doc.delete_cameras(selected)
        if others:
            pack = self.doc.data.pack_path if self.doc.data is not None else None
            where = f"the data pack {Path(pack).name}" if pack is not None else "the data"
            self.show_notice(
                f"{', '.join(others)}: existing camera{'s' if len(others) > 1 else ''} from "
                f"{where}, not part of this plan, so not deleted. To plan its removal, open "
                "the plan of existing cameras made with the data pack (its "
                '"existing.plan.geojson"), select the camera and set its status to removed.'
            )

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
        if (
            obj is self.canvas.viewport()
            and event.type() == QEvent.Type.Paint
            and self.first_paint_s is None
            and self.doc.data is not None
        ):
            self.first_paint_s = time.perf_counter() - self.t0
        return False

    def _map_key(self, event: QKeyEvent) -> bool:
        """Arrow keys nudge and [ ] rotate the selection; with nothing selected the map pans."""
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Escape:
            handled = False
            if self.actions_by_name["add_mode"].isChecked():
                self.actions_by_name["add_mode"].setChecked(False)
                self._toggle_add_mode(False)
                handled = True
            elif self.notice.isVisible():
                self.notice.dismiss()
                handled = True
            self.statusBar().clearMessage()
            return handled
        if not self.controller.selected_editable():
            return False
        big = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        step = NUDGE_BIG_M if big else NUDGE_M
        turn = ROTATE_BIG_DEG if big else ROTATE_DEG
        arrows: dict[int, tuple[float, float]] = {
            Qt.Key.Key_Left: (-step, 0.0),
            Qt.Key.Key_Right: (step, 0.0),
            Qt.Key.Key_Up: (0.0, step),
            Qt.Key.Key_Down: (0.0, -step),
        }
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
        self.autosaver.clear()
        self.autosaver.shutdown()
        self._save_layout()
        event.accept()

    def screenshot(
        self, path: Path, *, size: tuple[int, int] | None = (1400, 900), fit: bool = True
    ) -> bool:
        """Render the window to ``path`` (PNG), at ``size`` for reproducible images."""
        if size is not None:
            self.resize(*size)
            self.resizeDocks(
                [self.docks["layers"], self.docks["properties"]],
                list(SIDE_WIDTHS),
                Qt.Orientation.Horizontal,
            )
            self.resizeDocks([self.docks["findings"]], [FINDINGS_HEIGHT], Qt.Orientation.Vertical)
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
