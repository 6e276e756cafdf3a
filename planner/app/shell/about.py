"""Help: the About dialog and the keyboard shortcut list."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import planner
from planner.io.config import network
from planner.io.config.logfile import log_path

#: Gestures that are not menu actions, for the shortcut list.
MAP_GESTURES: tuple[tuple[str, str], ...] = (
    ("Drag / arrow keys", "Pan the map (arrow keys nudge a selected camera 1 m)"),
    ("Shift+arrow keys", "Nudge the selected camera 10 m"),
    ("Wheel / + / -", "Zoom in and out"),
    ("[ / ]", "Rotate the selected camera 1° (Shift: 15°)"),
    ("Ctrl+click / Shift+drag", "Add to the selection / select with a rubber band"),
    ("Right-click", "Context menu of the camera or site under the mouse"),
    ("Esc", "Leave the current tool (add camera, identify, measure)"),
)


def about_html(*, policy: Any, pack: str | None, attribution: str) -> str:
    """The About text: version, licences, data attribution, active policy and pack."""
    e = html.escape
    rows = [
        ("Version", f"siting-planner {planner.__version__}"),
        ("Qt", f"Qt {qVersion()}, PySide6 {pyside_version} (LGPL-3.0)"),
        (
            "Active policy",
            f"{policy.id} version {policy.version}"
            + (f": {policy.title}" if getattr(policy, "title", "") else ""),
        ),
        ("Data pack", pack or "none (demo or single layers)"),
        ("Network", network.current().describe()),
        ("Log file", str(log_path())),
    ]
    table = "".join(f"<tr><td><b>{e(k)}</b></td><td>{e(v)}</td></tr>" for k, v in rows)
    return (
        "<h2>Camera-siting planner</h2>"
        "<p>Checks ALPR camera placements against San José's ALPR Data Usage Protocol: "
        "no capture of vehicles entering or leaving abortion providers, places of worship, "
        "consulates or embassies.</p>"
        f"<table cellspacing='4'>{table}</table>"
        "<h3>Licences</h3><ul>"
        "<li>This program: MIT licence.</li>"
        "<li>Qt / PySide6: LGPL-3.0. Shapely, pyproj (PROJ), GEOS, GDAL (pyogrio), NumPy, "
        "pandas, GeoPandas, NetworkX, osmnx, platformdirs, xyzservices, pmtiles: their own "
        "open-source licences (BSD, MIT, LGPL), shipped with them.</li></ul>"
        "<h3>Data</h3><ul>"
        "<li>Map data from OpenStreetMap: © OpenStreetMap contributors, "
        "Open Database Licence (ODbL).</li>"
        "<li>City of San José building footprints, address points, city limits and council "
        "districts: public records of the City of San José.</li>"
        + (f"<li>Shown now: {e(attribution)}</li>" if attribution else "")
        + "</ul>"
    )


class AboutDialog(QDialog):
    def __init__(
        self, *, policy: Any, pack: str | None, attribution: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About the siting planner")
        self.text = QTextBrowser()
        self.text.setObjectName("about_text")
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(about_html(policy=policy, pack=pack, attribution=attribution))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.text)
        lay.addWidget(buttons)
        self.resize(620, 520)


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """``(keys, what it does)`` for every action with a shortcut, then the map gestures."""
    rows = []
    for act in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts()]
        keys = [k for k in keys if k]
        if keys:
            rows.append((" / ".join(keys), act.text().replace("&", "").rstrip("…")))
    rows.sort(key=lambda r: r[1].lower())
    return rows + list(MAP_GESTURES)


class ShortcutsDialog(QDialog):
    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(actions)
        self.table = QTableWidget(len(rows), 2)
        self.table.setObjectName("shortcuts_table")
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        for r, (keys, text) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(keys))
            self.table.setItem(r, 1, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(buttons)
        self.resize(560, 560)


__all__ = ["AboutDialog", "ShortcutsDialog", "about_html", "shortcut_rows"]
