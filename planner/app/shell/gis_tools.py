"""The GIS tools of the main window: find, identify, measure, legend, basemap, export,
CSV import, help and context menus.

:func:`install_gis_tools` adds them to a :class:`~planner.app.shell.main_window.MainWindow`
through its public parts (canvas, document, controller, actions, prompter, status
bar, menus). Camera actions in the context menu trigger the window's own actions
(properties, rotate to the nearest allowed heading, delete), so they go through the
same undo commands and siting checks as the keyboard and the menus. The basemap menu and
status live in :mod:`.gis_basemap`, the exports and the CSV import in :mod:`.gis_files`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QContextMenuEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from planner.app.shell.gis_basemap import GisBasemap, layer_entries
from planner.app.shell.gis_files import GisFiles
from planner.app.shell.window_actions import ActionSpec
from planner.app.shell.window_layout import add_dock, tabify
from planner.app.siting.legend import LegendPanel
from planner.app.siting.preview import Preview, PreviewCameras, load_preview, show_preview
from planner.app.tools.identify import Identified, IdentifyPanel, identify_at
from planner.app.tools.measure import MeasureTool
from planner.app.tools.search import (
    SearchBox,
    SearchController,
    SearchHit,
    SearchMarker,
    rect_for_hit,
)

_S = QKeySequence.StandardKey
#: The tools' actions, in the order the window lists them (the shortcuts dialog too).
GIS_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "find",
        "&Find…",
        "focus_search",
        _S.Find,
        tip="Find an address, street, site, camera or coordinates",
    ),
    ActionSpec(
        "identify",
        "&Identify features",
        "_toggle_identify",
        "I",
        checkable=True,
        tip="Click the map to list what is there",
    ),
    ActionSpec(
        "measure",
        "&Measure distance and bearing",
        "_toggle_measure",
        "M",
        checkable=True,
        tip="Click points on the map; right-click or Esc ends",
    ),
    ActionSpec("export_view", "Export &view as PNG or PDF…", "export_view_dialog", "Ctrl+E"),
    ActionSpec(
        "export_plan",
        "Export &plan as CSV, GeoPackage or KML…",
        "export_plan_dialog",
        "Ctrl+Shift+E",
    ),
    ActionSpec("import_csv", "&Import cameras from CSV…", "import_csv_dialog"),
    ActionSpec("about", "&About the siting planner", "show_about"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", "show_shortcuts", "F1"),
)
#: The menus the tools add to, with their actions (File → before Quit; View → Basemap too).
GIS_MENUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("&File", ("import_csv", "export_plan", "export_view")),
    ("&View", ("find",)),
    ("T&ools", ("find", "identify", "measure")),
    ("&Help", ("shortcuts", "about")),
)


class GisTools(GisBasemap, GisFiles, QObject):
    """Owns the tools' widgets and state for one window."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.w = window
        self.canvas = window.canvas
        self.doc = window.doc
        self.tool: str | None = None  # "identify" | "measure" | None
        self._build_find()
        self._build_basemap_status()
        self._build_panels()
        self._build_actions()
        self.doc.data_changed.connect(self._data_changed)
        self.canvas.layers_changed.connect(self.legend_panel.refresh)
        self.canvas.viewport().installEventFilter(self)
        self.canvas.installEventFilter(self)
        self._restore_basemap()

    def _build_find(self) -> None:
        """The search box, its marker on the map, and the preview's cameras."""
        self.search = SearchController(self)
        self.search_box = SearchBox(self._search)
        self.search_box.chosen.connect(self.go_to)
        self.marker = SearchMarker(self.canvas)
        self.preview_cameras = PreviewCameras(
            self.canvas,
            t0=getattr(self.w, "t0", None),
            data_shown=lambda: self.doc.data is not None,
        )
        self._preview_task: Any = None
        self._preview_message = ""

    def _build_panels(self) -> None:
        """Identify results beside the camera properties, the legend beside the layers."""
        window = self.w
        self.identify_panel = IdentifyPanel()
        self.identify_panel.feature_activated.connect(self._zoom_to_identified)
        self.measure = MeasureTool(self.canvas, self)
        self.measure.changed.connect(lambda t: window.statusBar().showMessage(t))
        self.legend_panel = LegendPanel(self.canvas)
        right, left = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.LeftDockWidgetArea
        docks = window.docks
        add_dock(window, docks, "identify", "Identify results", self.identify_panel, right)
        add_dock(window, docks, "legend", "Legend", self.legend_panel, left)
        tabify(window, docks["properties"], docks["identify"])
        tabify(window, docks["layers"], docks["legend"])

    # -- actions and menus -------------------------------------------------------------------
    def _act(self, spec: ActionSpec) -> QAction:
        act = QAction(spec.text, self.w)
        keys = spec.shortcut
        if isinstance(keys, tuple):
            act.setShortcuts([QKeySequence(k) for k in keys])
        elif keys is not None:
            act.setShortcut(QKeySequence(keys))
        act.setCheckable(spec.checkable)
        if spec.tip:
            act.setStatusTip(spec.tip)
        act.triggered.connect(getattr(self, spec.slot))
        self.w.addAction(act)
        self.w.actions_by_name[spec.name] = act
        return act

    def _build_actions(self) -> None:
        """The actions of :data:`GIS_ACTIONS` in the menus of :data:`GIS_MENUS`; the find bar."""
        acts = {spec.name: self._act(spec) for spec in GIS_ACTIONS}
        for title, names in GIS_MENUS:
            menu = self._menu(title)
            if title == "&File":
                self._insert_before_quit(menu, [acts[n] for n in names])
                continue
            if title == "&View":
                menu.addSeparator()
            for name in names:
                menu.addAction(acts[name])
            if title == "&View":
                self.basemap_menu = menu.addMenu("&Basemap")
                # filled when opened, with the current choice ticked: the presets come from
                # xyzservices, tens of milliseconds the first paint need not wait for
                self.basemap_menu.aboutToShow.connect(self._fill_basemap_menu)
        tb = QToolBar("Find")
        tb.setObjectName("toolbar_find")
        tb.addAction(acts["identify"])
        tb.addAction(acts["measure"])
        tb.addWidget(self.search_box)
        self.w.addToolBarBreak()  # its own row: the search box needs the width
        self.w.addToolBar(tb)

    def _insert_before_quit(self, menu: QMenu, actions: list[QAction]) -> None:
        """``actions`` and a separator above the window's Quit (at the end without one)."""
        quit_act = self.w.actions_by_name.get("quit")
        before = quit_act if quit_act in menu.actions() else None
        for act in actions:
            if before is None:
                menu.addAction(act)
            else:
                menu.insertAction(before, act)
        if before is None:
            menu.addSeparator()
        else:
            menu.insertSeparator(before)

    def _menu(self, title: str) -> QMenu:
        for act in self.w.menuBar().actions():
            if act.menu() is not None and act.text().replace("&", "") == title.replace("&", ""):
                return act.menu()
        return self.w.menuBar().addMenu(title)

    # -- find --------------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def _search(self, text: str) -> list[SearchHit]:
        return self.search.index.search(text, cameras=self.doc.all_cameras())

    def go_to(self, hit: SearchHit) -> None:
        """Zoom to a search result and pin it; a camera is selected too."""
        proj = self.doc.projector
        if proj is None:
            return
        x, y = proj.point(hit.lon, hit.lat)
        self.canvas.zoom_to_rect(rect_for_hit(hit, x, y))
        self.canvas.center_on(x, y)
        self.marker.set(hit, (x, -y))
        if hit.kind == "camera" and hit.ref:
            self.w.controller.select([hit.ref])
        self.w.statusBar().showMessage(f"Found {hit.kind}: {hit.text}", 8000)

    def preview(self, *, pack: Path, cameras: list[Any]) -> threading.Event:
        """Show a pack's cameras, sites, boundaries and streets while it loads in full.

        The task is queued on the app's worker ahead of the full load, so it runs
        first; a failure is left to the full load to report. Returns the event the
        full load waits for (:func:`~planner.app.siting.preview.hold_until_painted`): set when
        the preview has painted over a complete map, or will not be shown.
        """
        from planner.app.common.workers import Task, start

        self.preview_cameras.t0 = getattr(self.w, "t0", None)
        gate = self.preview_cameras.gate()
        task = Task(lambda _p, _c: load_preview(pack=Path(pack), cameras=cameras), name="Preview")
        self._preview_task = task

        def shown(result: Preview) -> None:
            # only before the first full load (never over another pack's cameras), and
            # never after the full load (or a newer preview) got there first
            if self._preview_task is task and self.doc.data is None:
                show_preview(self.canvas, result, self.preview_cameras)
                self.w.layers_panel.set_layers(layer_entries(self.canvas))
                self._preview_message = (
                    f"{len(result.cameras)} cameras shown, not checked yet: loading the "
                    "buildings and checking…"
                )
                self.w.statusBar().showMessage(self._preview_message)
            else:
                gate.set()

        task.signals.finished.connect(shown, Qt.ConnectionType.QueuedConnection)
        for signal in (task.signals.failed, task.signals.cancelled):
            signal.connect(lambda *_a: gate.set(), Qt.ConnectionType.QueuedConnection)
        start(task)
        return gate

    def _data_changed(self) -> None:
        data = self.doc.data
        self._preview_task = None
        self.preview_cameras.clear()
        # the preview's "not checked yet" is over once the full load is in: the check's
        # own count (status bar, findings) says what was checked from here on
        bar = self.w.statusBar()
        if self._preview_message and bar.currentMessage() == self._preview_message:
            bar.clearMessage()
        self._preview_message = ""
        self.marker.set(None, None)
        if data is None:
            return
        self.search.set_data(sites=data.sites, streets=data.streets, pack=data.pack_path)

    def forget_plan(self) -> None:
        """Clear what belonged to the previous plan: identify results, the search, the pin.

        Called on New and Open: a San José building in the Identify panel, or the
        last search in the box, says nothing about the plan now open.
        """
        self.identify_panel.show_results([])
        self.identify_panel.hint.setText("Identify tool (I): click the map to see what is there.")
        self.search_box.clear()
        self.search_box.hits = []
        self.search_box.model.setStringList([])
        self.marker.set(None, None)
        self.measure.clear()
        if self.tool is not None:
            self.set_tool(None)

    # -- map tools ---------------------------------------------------------------------------
    def set_tool(self, tool: str | None) -> None:
        """Make ``tool`` the active map tool ("identify", "measure") or none."""
        self.tool = tool
        a = self.w.actions_by_name
        a["identify"].setChecked(tool == "identify")
        a["measure"].setChecked(tool == "measure")
        self.measure.set_active(tool == "measure")
        if tool is not None and a["add_mode"].isChecked():
            a["add_mode"].trigger()  # one tool at a time
        vp = self.canvas.viewport()
        if tool is None:
            vp.unsetCursor()
            self.w.statusBar().clearMessage()
        else:
            vp.setCursor(
                Qt.CursorShape.WhatsThisCursor if tool == "identify" else Qt.CursorShape.CrossCursor
            )
            self.w.statusBar().showMessage(
                "Identify: click the map (Esc ends)"
                if tool == "identify"
                else "Measure: click points; right-click or double-click ends, Esc leaves"
            )

    def _toggle_identify(self, on: bool) -> None:
        self.set_tool("identify" if on else None)
        if on:
            self.w.docks["identify"].show()
            self.w.docks["identify"].raise_()

    def _toggle_measure(self, on: bool) -> None:
        self.set_tool("measure" if on else None)

    def identify(self, x: float, y: float) -> list[Identified]:
        """Identify at projected ``x, y`` and show the result in the panel."""
        found = identify_at(canvas=self.canvas, doc=self.doc, x=x, y=y)
        proj = self.doc.projector
        where = ""
        if proj is not None:
            lon, lat = proj.lonlat(x, y)
            where = f"{lat:.6f}, {lon:.6f}"
        self.identify_panel.show_results(found, where=where)
        self.w.docks["identify"].show()
        self.w.docks["identify"].raise_()
        return found

    def _zoom_to_identified(self, item: Identified) -> None:
        if item.layer == "Camera" and item.ref:
            self.w.controller.select([item.ref])
            self.w.zoom_to_selection()
        elif item.layer == "Protected site" and item.ref:
            self.zoom_to_site(item.ref)

    def zoom_to_site(self, site_id: str) -> None:
        data, proj = self.doc.data, self.doc.projector
        if data is None or proj is None:
            return
        site = next((s for s in data.sites if s.id == site_id), None)
        if site is not None:
            self.canvas.zoom_to_geometry(proj.project(site.geometry), min_size_m=150.0)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        et = event.type()
        if (
            et == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and self.tool is not None
        ):
            if self.tool == "measure" and self.measure.points and not self.measure.finished:
                self.measure.finish()
            else:
                self.set_tool(None)
            return True
        if obj is not self.canvas.viewport():
            return False
        if et == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            if self.tool == "measure":
                self.measure.finish()
                return True
            return self.context_menu(event.pos(), event.globalPos())
        if self.tool is None:
            return False
        if et in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
                return False
            x, y = self.canvas.xy_at(event.position())  # type: ignore[attr-defined]
            if self.tool == "identify":
                self.identify(x, y)
            elif et == QEvent.Type.MouseButtonDblClick:
                self.measure.finish()
            else:
                self.measure.click(x, y)
            return True  # a tool's click never moves or selects a camera
        if et == QEvent.Type.MouseMove and self.tool == "measure":
            self.measure.move(*self.canvas.xy_at(event.position()))  # type: ignore[attr-defined]
        # the press was the tool's, so its release is too
        return et == QEvent.Type.MouseButtonRelease

    # -- context menus -----------------------------------------------------------------------
    def camera_at(self, pos: QPoint) -> str | None:
        for item in self.canvas.items(pos):
            cid = getattr(item, "camera_id", None)
            if cid is not None and hasattr(item, "camera"):
                return str(cid)
        return None

    def context_menu(self, pos: QPoint, global_pos: QPoint, *, exec_: bool = True) -> bool:
        """Show the menu of the camera or site under ``pos``; False when there is none."""
        menu = self.build_context_menu(pos)
        if menu is None:
            return False
        if exec_:
            menu.exec(global_pos)
        return True

    def build_context_menu(self, pos: QPoint) -> QMenu | None:
        cid = self.camera_at(pos)
        a = self.w.actions_by_name
        x, y = self.canvas.xy_at(QPointF(pos))
        menu = QMenu(self.canvas)
        if cid is not None:
            editable = self.doc.is_editable(cid)
            menu.setTitle(f"Camera {cid}")

            def run(key: str) -> None:
                self.w.controller.select([cid])
                a[key].trigger()

            menu.addAction("Camera &properties…", lambda: run("properties"))
            rot = menu.addAction(
                "&Rotate to nearest allowed heading", lambda: run("rotate_allowed")
            )
            rot.setEnabled(editable)
            dele = menu.addAction("&Delete camera", lambda: run("delete"))
            dele.setEnabled(editable)
            menu.addSeparator()
            menu.addAction("&Identify", lambda: self.identify(x, y))
            return menu
        site = self.canvas.site_at(pos)
        if site is not None:
            info = self.canvas.site_info(site)
            menu.setTitle(info.get("name", "Site"))
            menu.addAction("&Identify site", lambda: self.identify(x, y))
            menu.addAction("&Zoom to site", lambda: self.zoom_to_site(info.get("id", "")))
            return menu
        return None

    # -- help --------------------------------------------------------------------------------
    def show_about(self) -> None:
        from planner.app.shell.about import AboutDialog

        data = self.doc.data
        pack = str(data.pack_path) if data is not None and data.pack_path else None
        AboutDialog(
            policy=self.w.policy,
            pack=pack,
            attribution=self.canvas.attribution_text(),
            parent=self.w,
        ).exec()

    def show_shortcuts(self) -> None:
        from planner.app.shell.about import ShortcutsDialog

        ShortcutsDialog(self.w.actions(), self.w).exec()


def install_gis_tools(window: Any) -> GisTools:
    """Add the GIS tools to ``window``; returns them (tests drive them directly)."""
    return GisTools(window)


__all__ = ["GisTools", "install_gis_tools"]
