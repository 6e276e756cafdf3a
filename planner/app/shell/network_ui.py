"""Settings > Network access: the user's side of :mod:`planner.io.config.network`.

IT's ``network`` setting is the default and ``lock_network`` freezes it; unlocked, the
user picks ``off``, ``basemap-only`` or ``on`` here and the choice is remembered. The
gate itself is in :mod:`planner.io.config.network`; this module only sets what it enforces
and shows it (the menu, the basemap presets greyed out, About).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtGui import QActionGroup

from planner.io.config import network

#: Menu texts of the modes.
LABELS = {
    network.OFF: "&Off (no connection at all)",
    network.BASEMAP_ONLY: "&Basemap tiles only",
    network.ON: "&On (basemap tiles and OpenStreetMap downloads)",
}


def apply_setting(config: Any, settings: Any) -> network.NetworkSetting:
    """Resolve IT's setting and the user's choice, make it the one in force, return it."""
    setting = network.resolve(config, settings.network_mode)
    network.set_current(setting)
    logging.getLogger("planner").info("network: %s", setting.describe())
    return setting


def install_network_menu(window: Any, config: Any) -> None:
    """Add Settings > Network access (disabled, saying by whom, when IT locked it)."""
    setting = network.current()
    menu_bar = window.menuBar()
    settings_menu = next(
        (
            act.menu()
            for act in menu_bar.actions()
            if act.menu() is not None and act.text().replace("&", "") == "Settings"
        ),
        None,
    )
    if settings_menu is None:
        settings_menu = menu_bar.addMenu("Se&ttings")
    menu = settings_menu.addMenu("&Network access")
    menu.setObjectName("network_menu")
    group = QActionGroup(menu)
    for mode in network.MODES:
        act = menu.addAction(LABELS[mode])
        act.setCheckable(True)
        act.setChecked(setting.mode == mode)
        act.setEnabled(not setting.locked)
        if setting.locked:
            act.setToolTip(f"Locked by {setting.source}")
            act.setStatusTip(f"Locked by {setting.source}")
        act.triggered.connect(lambda _c=False, m=mode: set_user_mode(window, config, m))
        group.addAction(act)
        window.actions_by_name[f"network_{mode}"] = act
    menu.setToolTipsVisible(True)


def set_user_mode(window: Any, config: Any, mode: str) -> None:
    """The user picked ``mode``: remember it and apply it (a locked setting ignores it)."""
    if network.current().locked:
        return
    window.settings.network_mode = mode
    setting = apply_setting(config, window.settings)
    gis = getattr(window, "gis", None)
    basemap = getattr(window.canvas, "basemap", None)
    web = basemap is not None and basemap.source.kind == "xyz"
    if gis is not None and web and not setting.allows("basemap"):
        # drawn no more; the choice stays remembered for when the network is back
        gis.set_basemap(None, remember=False)
    window.statusBar().showMessage(f"Network access: {setting.describe()}", 8000)


__all__ = ["LABELS", "apply_setting", "install_network_menu", "set_user_mode"]
