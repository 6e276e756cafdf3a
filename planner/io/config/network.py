"""Whether the planner may use the network: the one gate every outbound request passes.

The planner talks to the internet for two things only: web basemap tiles
(:mod:`planner.app.map.basemap`) and the OpenStreetMap download of ``import`` by place
name or bounding box (:func:`planner.io.openstreetmap.download.fetch_osm`: the Nominatim geocoder
and the
Overpass API). Both call :func:`require` before they open a connection, so one
setting decides for the whole process:

``off``
    No outbound connection at all: web basemaps and OSM downloads are refused
    (offline ``.mbtiles``/``.pmtiles`` basemaps and OSM files still work).
``basemap-only``
    Web basemap tiles, nothing else.
``on``
    Both (the default when nobody set anything).

IT sets it with ``network`` in the system configuration and may lock it with
``lock_network`` (:mod:`planner.io.config.managed_config`); unlocked, a user's own choice in
the app wins. Every mode other than ``on`` also turns PROJ's grid download off.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planner.core.errors import InputError

if TYPE_CHECKING:
    from planner.io.config.managed_config import ManagedConfig

OFF = "off"
BASEMAP_ONLY = "basemap-only"
ON = "on"
MODES = (OFF, BASEMAP_ONLY, ON)
DEFAULT_MODE = ON
#: What may go out under each mode.
PURPOSES = {"basemap": (BASEMAP_ONLY, ON), "osm": (ON,)}
_WHAT = {"basemap": "web basemap tiles", "osm": "downloading OpenStreetMap data"}


class NetworkRefused(InputError):
    """An outbound request the network setting does not allow (exit 2 in the CLI)."""


@dataclass(frozen=True)
class NetworkSetting:
    """The network mode in force and who set it.

    Attributes
    ----------
    mode
        One of :data:`MODES`.
    source
        Who set it: ``"built-in default"``, ``"user setting"`` or the managing file
        or registry key.
    locked
        Whether IT locked it (a user's choice is then ignored).
    """

    mode: str = DEFAULT_MODE
    source: str = "built-in default"
    locked: bool = False

    def allows(self, purpose: str) -> bool:
        """Whether ``purpose`` (``"basemap"`` or ``"osm"``) may use the network."""
        return self.mode in PURPOSES[purpose]

    def describe(self) -> str:
        """One line for About, the self-test and the log, e.g. ``off (locked by /etc/...)``."""
        how = f"locked by {self.source}" if self.locked else f"set by {self.source}"
        if self.source == "built-in default":
            how = "built-in default"
        return f"{self.mode} ({how})"


def resolve(config: ManagedConfig | None, user_mode: str | None = None) -> NetworkSetting:
    """The setting in force: IT's locked value, else the user's, else IT's default, else on.

    Parameters
    ----------
    config
        The managed configuration (``None``: nothing managed).
    user_mode
        The user's choice in the app (ignored when it is not one of :data:`MODES`).
    """
    managed = getattr(config, "network", None)
    source = config.source_of("network") if config is not None else ""
    if config is not None and getattr(config, "lock_network", False):
        lock_source = config.source_of("lock_network")
        return NetworkSetting(mode=managed or DEFAULT_MODE, source=lock_source, locked=True)
    if user_mode in MODES:
        return NetworkSetting(mode=user_mode, source="user setting")
    if managed:
        return NetworkSetting(mode=managed, source=source)
    return NetworkSetting()


_lock = threading.Lock()
_current: NetworkSetting | None = None


def set_current(setting: NetworkSetting) -> None:
    """Make ``setting`` the one :func:`require` enforces for this process."""
    global _current
    with _lock:
        _current = setting
    if setting.mode != ON:
        # PROJ downloads transformation grids when PROJ_NETWORK=ON; never past this gate.
        os.environ["PROJ_NETWORK"] = "OFF"
        pyproj = sys.modules.get("pyproj")
        if pyproj is not None:
            pyproj.network.set_network_enabled(False)


def current() -> NetworkSetting:
    """The setting in force; read from the managed configuration the first time."""
    global _current
    with _lock:
        setting = _current
    if setting is None:
        from planner.io.config.managed_config import load_managed_config

        setting = resolve(load_managed_config())
        set_current(setting)
    return setting


def reset() -> None:
    """Forget the setting (tests; the next :func:`current` reads the configuration again)."""
    global _current
    with _lock:
        _current = None


def require(purpose: str, target: str) -> None:
    """Refuse an outbound request for ``purpose`` that the setting does not allow.

    Parameters
    ----------
    purpose
        ``"basemap"`` or ``"osm"``.
    target
        What was asked for (a place name, a tile service), for the message.

    Raises
    ------
    NetworkRefused
        ``<target>: network: <what> is not allowed: the network setting is off (...)``.
    """
    setting = current()
    if not setting.allows(purpose):
        what = f"{_WHAT[purpose]} is not allowed: the network setting is {setting.describe()}"
        raise NetworkRefused(target, "network", what)


__all__ = [
    "BASEMAP_ONLY",
    "DEFAULT_MODE",
    "MODES",
    "OFF",
    "ON",
    "NetworkRefused",
    "NetworkSetting",
    "current",
    "require",
    "reset",
    "resolve",
    "set_current",
]
