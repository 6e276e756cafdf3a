"""The main window's docks and their layout: default sizes, and the layout kept between runs.

The layout is saved with :data:`WINDOW_STATE_VERSION`; a layout saved with another version
(an older app, other docks) is ignored and the default layout used, so a dock added or
regrouped since never comes back misplaced (the Legend once returned with a stray tab bar).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from planner.app.common.settings import AppSettings

#: Default dock sizes (px): the findings show six rows, the legend its longest labels.
FINDINGS_HEIGHT = 250
SIDE_WIDTHS = (250, 280)
DEFAULT_SIZE = (1400, 900)
#: Bump whenever the docks change (one added, removed, renamed or moved to another tab group):
#: a layout saved by another version of the app is then ignored, not restored half-wrong.
WINDOW_STATE_VERSION = 1


def add_dock(
    window: QMainWindow,
    docks: dict[str, QDockWidget],
    key: str,
    title: str,
    widget: QWidget,
    area: Qt.DockWidgetArea,
) -> QDockWidget:
    """A dock named ``dock_<key>`` (the name the saved layout knows it by) holding ``widget``."""
    dock = QDockWidget(title, window)
    dock.setObjectName(f"dock_{key}")
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    docks[key] = dock
    return dock


def tabify(window: QMainWindow, first: QDockWidget, *others: QDockWidget) -> None:
    """``others`` in tabs beside ``first``, which stays the tab in front."""
    for dock in others:
        window.tabifyDockWidget(first, dock)
    first.raise_()


def default_sizes(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """The side docks' widths and the findings' height of the default layout."""
    window.resizeDocks(
        [docks["layers"], docks["properties"]], list(SIDE_WIDTHS), Qt.Orientation.Horizontal
    )
    window.resizeDocks([docks["findings"]], [FINDINGS_HEIGHT], Qt.Orientation.Vertical)


def restore_layout(
    window: QMainWindow, docks: dict[str, QDockWidget], settings: AppSettings
) -> bool:
    """The default layout, then the saved geometry and dock state over it.

    Returns whether a saved dock state was restored: False when there is none or it was
    saved with another :data:`WINDOW_STATE_VERSION` (Qt refuses it; the default stays).
    """
    geo, state = settings.window_geometry, settings.window_state
    window.resize(*DEFAULT_SIZE)
    default_sizes(window, docks)
    if geo is not None:
        window.restoreGeometry(geo)
    if state is None:
        return False
    return bool(window.restoreState(state, WINDOW_STATE_VERSION))


def save_layout(window: QMainWindow, settings: AppSettings) -> None:
    """Keep the window's geometry and dock state, stamped with :data:`WINDOW_STATE_VERSION`."""
    settings.window_geometry = window.saveGeometry()
    settings.window_state = window.saveState(WINDOW_STATE_VERSION)
    settings.sync()
