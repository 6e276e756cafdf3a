"""The GIS tools of the main window: find, identify, measure, legend, basemap, export,
CSV import, help and context menus.

:func:`install_gis_tools` adds them to a :class:`~planner.app.shell.main_window.MainWindow`
through its public parts (canvas, document, controller, actions, prompter, status
bar, menus). Camera actions in the context menu trigger the window's own actions
(properties, rotate to the nearest allowed heading, delete), so they go through the
same undo commands and siting checks as the keyboard and the menus.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QActionGroup, QContextMenuEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QInputDialog, QMenu, QToolBar

from planner.app.map.basemap import BasemapLayer, BasemapSource, presets, source_for_file
from planner.app.shell.statusbar import ElidedLabel
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
from planner.io.config import network

EXPORT_VIEW_FILTER = "PNG image (*.png);;PDF document (*.pdf)"
EXPORT_PLAN_FILTER = "CSV (*.csv);;GeoPackage (*.gpkg);;KML (*.kml)"
CSV_FILTER = "CSV files (*.csv *.txt);;All files (*)"
TILES_FILTER = "Offline basemaps (*.mbtiles *.pmtiles)"
_BASEMAP_KEY = "basemap/source"


class GisTools(QObject):
    """Owns the tools' widgets and state for one window."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.w = window
        self.canvas = window.canvas
        self.doc = window.doc
        self.tool: str | None = None  # "identify" | "measure" | None
        # -- find
        self.search = SearchController(self)
        self.search_box = SearchBox(self._search)
        self.search_box.chosen.connect(self.go_to)
        self.marker = SearchMarker(self.canvas)
        self.preview_cameras = PreviewCameras(
            self.canvas,
            t0=getattr(window, "t0", None),
            data_shown=lambda: self.doc.data is not None,
        )
        self._preview_task: Any = None
        self._preview_message = ""
        # why the basemap shows nothing new, while that lasts (see _basemap_status)
        self.basemap_label = ElidedLabel("", max_width=360)
        self.basemap_label.setObjectName("basemap_label")
        self.basemap_label.setStyleSheet("color: #b71c1c;")
        window.statusBar().insertPermanentWidget(0, self.basemap_label)
        self.basemap_label.hide()
        self._basemap_problem = ""
        # switching the basemap layer off in the Layers panel ends the message too
        panel = getattr(window, "layers_panel", None)
        if panel is not None:
            panel.visibility_changed.connect(self._layer_toggled)
        # -- identify, measure, legend
        self.identify_panel = IdentifyPanel()
        self.identify_panel.feature_activated.connect(self._zoom_to_identified)
        self.measure = MeasureTool(self.canvas, self)
        self.measure.changed.connect(lambda t: window.statusBar().showMessage(t))
        self.legend_panel = LegendPanel(self.canvas)
        for key, title, widget, area in (
            (
                "identify",
                "Identify results",
                self.identify_panel,
                Qt.DockWidgetArea.RightDockWidgetArea,
            ),
            ("legend", "Legend", self.legend_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
        ):
            dock = QDockWidget(title, window)
            dock.setObjectName(f"dock_{key}")
            dock.setWidget(widget)
            window.addDockWidget(area, dock)
            window.docks[key] = dock
        window.tabifyDockWidget(window.docks["properties"], window.docks["identify"])
        window.docks["properties"].raise_()
        window.tabifyDockWidget(window.docks["layers"], window.docks["legend"])
        window.docks["layers"].raise_()
        self._build_actions()
        self.doc.data_changed.connect(self._data_changed)
        self.canvas.layers_changed.connect(self.legend_panel.refresh)
        self.canvas.viewport().installEventFilter(self)
        self.canvas.installEventFilter(self)
        self._restore_basemap()

    # -- actions and menus -------------------------------------------------------------------
    def _act(
        self,
        key: str,
        text: str,
        slot: Any,
        shortcut: Any = None,
        *,
        checkable: bool = False,
        tip: str = "",
    ) -> QAction:
        act = QAction(text, self.w)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.setCheckable(checkable)
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        self.w.addAction(act)
        self.w.actions_by_name[key] = act
        return act

    def _menu(self, title: str) -> QMenu:
        for act in self.w.menuBar().actions():
            if act.menu() is not None and act.text().replace("&", "") == title.replace("&", ""):
                return act.menu()
        return self.w.menuBar().addMenu(title)

    def _build_actions(self) -> None:
        S = QKeySequence.StandardKey
        find = self._act(
            "find",
            "&Find…",
            self.focus_search,
            S.Find,
            tip="Find an address, street, site, camera or coordinates",
        )
        identify = self._act(
            "identify",
            "&Identify features",
            self._toggle_identify,
            "I",
            checkable=True,
            tip="Click the map to list what is there",
        )
        measure = self._act(
            "measure",
            "&Measure distance and bearing",
            self._toggle_measure,
            "M",
            checkable=True,
            tip="Click points on the map; right-click or Esc ends",
        )
        export_view = self._act(
            "export_view", "Export &view as PNG or PDF…", self.export_view_dialog, "Ctrl+E"
        )
        export_plan = self._act(
            "export_plan",
            "Export &plan as CSV, GeoPackage or KML…",
            self.export_plan_dialog,
            "Ctrl+Shift+E",
        )
        import_csv = self._act("import_csv", "&Import cameras from CSV…", self.import_csv_dialog)
        about = self._act("about", "&About the siting planner", self.show_about)
        shortcuts = self._act("shortcuts", "&Keyboard shortcuts", self.show_shortcuts, "F1")
        file_menu = self._menu("&File")
        quit_act = self.w.actions_by_name.get("quit")
        before = quit_act if quit_act in file_menu.actions() else None
        for act in (import_csv, export_plan, export_view):
            if before is None:
                file_menu.addAction(act)
            else:
                file_menu.insertAction(before, act)
        if before is None:
            file_menu.addSeparator()
        else:
            file_menu.insertSeparator(before)
        view = self._menu("&View")
        view.addSeparator()
        view.addAction(find)
        self.basemap_menu = view.addMenu("&Basemap")
        # filled when opened, with the current choice ticked: the presets come from
        # xyzservices, tens of milliseconds the first paint need not wait for
        self.basemap_menu.aboutToShow.connect(self._fill_basemap_menu)
        tools = self._menu("T&ools")
        for act in (find, identify, measure):
            tools.addAction(act)
        help_menu = self._menu("&Help")
        help_menu.addAction(shortcuts)
        help_menu.addAction(about)
        tb = QToolBar("Find")
        tb.setObjectName("toolbar_find")
        tb.addAction(identify)
        tb.addAction(measure)
        tb.addWidget(self.search_box)
        self.w.addToolBarBreak()  # its own row: the search box needs the width
        self.w.addToolBar(tb)

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
                self.w.layers_panel.set_layers(_layer_entries(self.canvas))
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

    # -- basemap -----------------------------------------------------------------------------
    def _fill_basemap_menu(self) -> None:
        m = self.basemap_menu
        m.clear()
        group = QActionGroup(m)
        current = self.canvas.basemap.source if self.canvas.basemap is not None else None
        none = m.addAction("&None (offline, no requests)")
        none.setCheckable(True)
        none.setChecked(current is None)
        none.triggered.connect(lambda: self.set_basemap(None))
        group.addAction(none)
        web = network.current()  # web tiles greyed out, saying why, when the setting says no
        for src in presets():
            act = m.addAction(src.name)
            act.setCheckable(True)
            act.setChecked(current is not None and current.url == src.url)
            act.setEnabled(web.allows("basemap"))
            act.triggered.connect(lambda _c=False, s=src: self.set_basemap(s))
            group.addAction(act)
        m.addSeparator()
        custom = m.addAction("Custom &XYZ tile service…", self._custom_basemap)
        custom.setEnabled(web.allows("basemap"))
        if not web.allows("basemap"):
            m.setToolTipsVisible(True)
            for act in m.actions()[1:-1]:
                act.setToolTip(f"Network access is {web.describe()}")
        m.addAction("&Offline basemap file (MBTiles, PMTiles)…", self._file_basemap)

    def set_basemap(self, source: BasemapSource | None, *, remember: bool = True) -> None:
        """Show ``source`` under the map (None removes the basemap)."""
        self._basemap_problem = ""
        self.basemap_label.setText("")
        self.basemap_label.hide()
        layer = None
        if source is not None:
            layer = BasemapLayer(source)
            layer.fetcher.status.connect(self._basemap_status)
        self.canvas.set_basemap(layer)
        if remember:
            store = self.w.settings.store
            if source is None:
                store.remove(_BASEMAP_KEY)
            else:
                store.setValue(
                    _BASEMAP_KEY,
                    "\n".join(
                        (
                            source.kind,
                            source.name,
                            source.url,
                            source.attribution,
                            str(source.max_zoom),
                        )
                    ),
                )
        self.w.layers_panel.set_layers(_layer_entries(self.canvas))

    def _basemap_status(self, text: str) -> None:
        # one line, never a dialog: the map keeps working without the basemap. Kept in
        # a permanent label (a temporary message is gone at the next status tip) until
        # the basemap works again or is switched off.
        basemap = self.canvas.basemap
        if text and basemap is not None and basemap.source.kind != "xyz":
            # an offline file that fails is not offered again at the next start
            self.w.settings.store.remove(_BASEMAP_KEY)
        self._basemap_problem = text
        self._show_basemap_problem()
        if not text:
            self.w.statusBar().showMessage("Basemap back online", 5000)

    def _show_basemap_problem(self, shown: bool | None = None) -> None:
        if shown is None:
            shown = self.canvas.basemap_shown()
        text = self._basemap_problem if shown else ""
        self.basemap_label.setText(text)
        self.basemap_label.setVisible(bool(text))

    def _layer_toggled(self, key: str, visible: bool) -> None:
        # may run before the canvas hears of it: the panel's word is the new state
        if key == "basemap":
            self._show_basemap_problem(visible and self.canvas.basemap is not None)

    def _restore_basemap(self) -> None:
        raw = self.w.settings.store.value(_BASEMAP_KEY)
        if not isinstance(raw, str) or not raw:
            return
        parts = raw.split("\n")
        if len(parts) != 5:
            return
        kind, name, url, attribution, max_zoom = parts
        # the remembered choice is read again as a new one: bounded and validated
        try:
            src = (
                source_for_file(url, attribution=attribution)
                if kind != "xyz"
                else BasemapSource(
                    name=name, url=url, attribution=attribution, max_zoom=int(max_zoom)
                )
            )
        except (ValueError, OSError):
            # the offline file is gone or bad: start without a basemap, and forget it
            self.w.settings.store.remove(_BASEMAP_KEY)
            return
        self.set_basemap(src, remember=False)

    def _custom_basemap(self) -> None:
        url, ok = QInputDialog.getText(
            self.w,
            "Custom XYZ tile service",
            "URL template with {z}, {x}, {y} (e.g. a city tile service):",
        )
        if not ok or not url.strip():
            return
        if not all(k in url for k in ("{z}", "{x}")) or not ("{y}" in url or "{-y}" in url):
            self.w.prompter.error("Custom basemap", "The URL needs {z}, {x} and {y}.")
            return
        attribution, ok = QInputDialog.getText(
            self.w, "Custom XYZ tile service", "Attribution the provider requires:"
        )
        if ok:
            self.set_basemap(
                BasemapSource(name="Custom", url=url.strip(), attribution=attribution.strip())
            )

    def _file_basemap(self) -> None:
        path = self.w.prompter.open_path("Offline basemap", TILES_FILTER, kind="basemap")
        if path is None:
            return

        def work(_progress: Any, _cancel: Any) -> BasemapSource | Exception:
            # the file is read off the GUI thread (and bounded: planner.io.formats.tiles)
            try:
                return source_for_file(path)
            except (ValueError, OSError) as exc:
                return exc

        def done(result: BasemapSource | Exception) -> None:
            if isinstance(result, Exception):
                self.w.prompter.error("Offline basemap", str(result))
            else:
                self.set_basemap(result)

        self.w._run(work, done, name="Reading the basemap file")

    # -- export and import -------------------------------------------------------------------
    def _export_name(self, default: str) -> str:
        """A file name for an export: the plan's own stem with ``default``'s ending."""
        path = self.doc.path
        if path is None:
            return default
        stem = path.name.removesuffix(".geojson").removesuffix(".plan")
        return f"{stem}{Path(default).suffix}" if stem else default

    def export_view_dialog(self) -> None:
        from planner.app.tools.export import default_title, export_view, sheet_subtitle

        path = self.w.prompter.save_path(
            "Export view", EXPORT_VIEW_FILTER, self._export_name("map.png"), kind="export"
        )
        if path is None:
            return
        if path.suffix.lower() not in (".png", ".pdf"):
            path = path.with_suffix(".png")
        try:
            export_view(
                self.canvas,
                path,
                title=default_title(self.doc),
                subtitle=sheet_subtitle(self.canvas, self.doc, self.w.policy),
            )
        except (OSError, ValueError) as exc:
            self.w.prompter.error("Export view", str(exc))
            return
        self.w.statusBar().showMessage(f"Exported the view to {path}", 8000)

    def export_plan(self, path: Path) -> Path:
        from planner.io.formats.exchange import write_plan_csv, write_plan_gpkg, write_plan_kml

        cams = self.doc.plan.cameras
        results = self.doc.results
        suffix = path.suffix.lower()
        if suffix == ".gpkg":
            write_plan_gpkg(path, cams, results)
        elif suffix == ".kml":
            write_plan_kml(path, cams, results, name=self.doc.plan.meta.name or "Siting plan")
        else:
            path = path if suffix == ".csv" else path.with_suffix(".csv")
            write_plan_csv(path, cams, results)
        return path

    def export_plan_dialog(self) -> None:
        path = self.w.prompter.save_path(
            "Export plan", EXPORT_PLAN_FILTER, self._export_name("plan.csv"), kind="export"
        )
        if path is None:
            return
        try:
            path = self.export_plan(path)
        except (OSError, ValueError) as exc:
            self.w.prompter.error("Export plan", str(exc))
            return
        self.w.statusBar().showMessage(
            f"Exported {len(self.doc.plan.cameras)} cameras to {path}", 8000
        )

    def import_csv_dialog(self) -> None:
        from planner.app.tools.csv_import import CsvMappingDialog, ImportReportDialog
        from planner.io.formats.exchange import read_csv_table

        path = self.w.prompter.open_path("Import cameras from CSV", CSV_FILTER, kind="csv")
        if path is None:
            return
        try:
            table = read_csv_table(path)
        except (OSError, ValueError) as exc:
            self.w.prompter.error("Import cameras", str(exc))
            return
        dialog = CsvMappingDialog(table, self.w)
        if dialog.exec() != CsvMappingDialog.DialogCode.Accepted:
            return
        result = self.import_csv(table, dialog.mapping())
        if result is not None:
            ImportReportDialog(result, self.w).exec()

    def import_csv(self, table: Any, mapping: dict[str, str | None]) -> Any:
        """Add the valid rows of ``table`` (one undo step), check them, return the report."""
        from planner.app.tools.csv_import import import_cameras

        defaults = {}
        if self.w.catalogue is not None:
            model = self.w.default_model()
            defaults = {"fov_deg": model.fov_deg, "range_m": model.range_m}
        try:
            result = import_cameras(self.doc, table, mapping, defaults=defaults)
        except ValueError as exc:
            self.w.prompter.error("Import cameras", str(exc))
            return None
        if result.cameras:
            self.w.run_full_check()
        self.w.statusBar().showMessage(
            f"Imported {len(result.cameras)} of {result.rows} rows"
            + (
                f"; {len(result.errors)} rows not imported (see the report)"
                if result.errors
                else ""
            ),
            10_000,
        )
        return result

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


def _layer_entries(canvas: Any) -> list[Any]:
    from planner.app.siting import canvas_bridge

    return canvas_bridge.layer_entries(canvas)


def install_gis_tools(window: Any) -> GisTools:
    """Add the GIS tools to ``window``; returns them (tests drive them directly)."""
    return GisTools(window)


__all__ = ["GisTools", "install_gis_tools"]
