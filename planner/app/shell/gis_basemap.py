"""The GIS tools' basemap: the View → Basemap menu, the choice kept between runs, and the
status-bar line that says why the basemap shows nothing new while that lasts.

Part of :class:`~planner.app.shell.gis_tools.GisTools`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QInputDialog

from planner.app.map.basemap import BasemapLayer, BasemapSource, presets, source_for_file
from planner.app.shell.statusbar import ElidedLabel
from planner.io.config import network

if TYPE_CHECKING:
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QMenu

    _ToolsBase = QObject
else:
    _ToolsBase = object

TILES_FILTER = "Offline basemaps (*.mbtiles *.pmtiles)"
_BASEMAP_KEY = "basemap/source"


class GisBasemap(_ToolsBase):
    """Part of :class:`~planner.app.shell.gis_tools.GisTools`: the basemap and its status."""

    # what this part uses of the rest of the tools
    w: Any
    canvas: Any
    basemap_menu: QMenu

    def _build_basemap_status(self) -> None:
        """The permanent status-bar line for a basemap problem; off until there is one."""
        # why the basemap shows nothing new, while that lasts (see _basemap_status)
        self.basemap_label = ElidedLabel("", max_width=360)
        self.basemap_label.setObjectName("basemap_label")
        self.basemap_label.setStyleSheet("color: #b71c1c;")
        self.w.statusBar().insertPermanentWidget(0, self.basemap_label)
        self.basemap_label.hide()
        self._basemap_problem = ""
        # switching the basemap layer off in the Layers panel ends the message too
        panel = getattr(self.w, "layers_panel", None)
        if panel is not None:
            panel.visibility_changed.connect(self._layer_toggled)

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
        self.w.layers_panel.set_layers(layer_entries(self.canvas))

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


def layer_entries(canvas: Any) -> list[Any]:
    """The layers panel's entries for ``canvas`` (imported when first used)."""
    from planner.app.siting import canvas_bridge

    return canvas_bridge.layer_entries(canvas)
