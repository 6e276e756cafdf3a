"""Typed, persisted application settings over :class:`QSettings`.

One small class with typed properties (the Picard style) so that the rest of the
app never spells a settings key or converts a ``QVariant`` itself.

Tests and portable installs point the settings at a file of their own with the
``SITING_PLANNER_SETTINGS`` environment variable (an INI path), so a test run
never touches the user's real settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "SitingPlanner"
APPLICATION = "siting-planner"
SETTINGS_ENV = "SITING_PLANNER_SETTINGS"
MAX_RECENT = 10
UNITS = ("metres", "feet")
#: The kinds of file whose last folder is remembered, each on its own.
FOLDER_KINDS = ("plan", "export", "csv", "report", "pack", "layer", "basemap")


def open_qsettings() -> QSettings:
    """The settings store: the INI file named by ``SITING_PLANNER_SETTINGS``, else the user's."""
    override = os.environ.get(SETTINGS_ENV)
    if override:
        return QSettings(override, QSettings.Format.IniFormat)
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


def _as_list(value: object) -> list[str]:
    # QSettings gives back a str for one-element lists and None for empty ones.
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]  # type: ignore[attr-defined]


def _folder_key(kind: str) -> str:
    if kind not in FOLDER_KINDS:
        msg = f"folder kind must be one of {FOLDER_KINDS}, got {kind!r}"
        raise ValueError(msg)
    return kind


class AppSettings:
    """Typed access to the persisted settings.

    Parameters
    ----------
    store
        The underlying store; by default :func:`open_qsettings`.
    """

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else open_qsettings()

    # -- window layout ---------------------------------------------------------------------
    @property
    def window_geometry(self) -> QByteArray | None:
        value = self.store.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self.store.setValue("window/geometry", value)

    @property
    def window_state(self) -> QByteArray | None:
        value = self.store.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self.store.setValue("window/state", value)

    # -- files -----------------------------------------------------------------------------
    @property
    def recent_files(self) -> list[Path]:
        return [Path(p) for p in _as_list(self.store.value("files/recent"))][:MAX_RECENT]

    @recent_files.setter
    def recent_files(self, paths: list[Path]) -> None:
        self.store.setValue("files/recent", [str(p) for p in paths[:MAX_RECENT]])

    def add_recent_file(self, path: Path) -> None:
        """Put ``path`` first in the recent list, without duplicates, at most ``MAX_RECENT``."""
        path = Path(path).resolve()
        rest = [p for p in self.recent_files if p != path]
        self.recent_files = [path, *rest]

    def remove_recent_file(self, path: Path) -> None:
        path = Path(path).resolve()
        self.recent_files = [p for p in self.recent_files if p != path]

    @property
    def last_project(self) -> Path | None:
        value = self.store.value("files/last_project")
        return Path(str(value)) if value else None

    @last_project.setter
    def last_project(self, path: Path | None) -> None:
        self.store.setValue("files/last_project", "" if path is None else str(path))

    @property
    def last_data_pack(self) -> Path | None:
        value = self.store.value("files/last_data_pack")
        return Path(str(value)) if value else None

    @last_data_pack.setter
    def last_data_pack(self, path: Path | None) -> None:
        self.store.setValue("files/last_data_pack", "" if path is None else str(path))

    def last_folder(self, kind: str) -> Path | None:
        """The folder a file dialog of ``kind`` was last accepted in (None when unknown).

        ``kind`` is one of :data:`FOLDER_KINDS`: each kind of file remembers its own
        folder, so exporting a map does not move where plans are opened from.
        """
        value = self.store.value(f"folders/{_folder_key(kind)}")
        return Path(str(value)) if value else None

    def remember_folder(self, kind: str, folder: Path) -> None:
        self.store.setValue(f"folders/{_folder_key(kind)}", str(Path(folder)))

    # -- siting ----------------------------------------------------------------------------
    @property
    def default_camera_model(self) -> str | None:
        value = self.store.value("siting/default_camera_model")
        return str(value) if value else None

    @default_camera_model.setter
    def default_camera_model(self, key: str | None) -> None:
        self.store.setValue("siting/default_camera_model", key or "")

    @property
    def units(self) -> str:
        value = str(self.store.value("display/units", "metres"))
        return value if value in UNITS else "metres"

    @units.setter
    def units(self, value: str) -> None:
        if value not in UNITS:
            msg = f"units must be one of {UNITS}, got {value!r}"
            raise ValueError(msg)
        self.store.setValue("display/units", value)

    def format_distance(self, metres: float) -> str:
        """A distance for display in the chosen units (see :mod:`planner.app.common.units`)."""
        from planner.app.common.units import format_distance

        return format_distance(metres, unit=self.units)

    @property
    def network_mode(self) -> str | None:
        """The user's Settings > Network access choice; ``None`` until one is made."""
        value = str(self.store.value("network/mode", "") or "")
        return value or None

    @network_mode.setter
    def network_mode(self, value: str | None) -> None:
        self.store.setValue("network/mode", value or "")

    # -- audit -----------------------------------------------------------------------------
    @property
    def user_identity(self) -> str:
        """Who the user is in audit trails and review decisions; ``""`` until set.

        Asked once, on the first committed change (or Settings > User identity...),
        and editable there afterwards.
        """
        value = self.store.value("audit/user_identity", "")
        return " ".join(str(value or "").split())

    @user_identity.setter
    def user_identity(self, value: str) -> None:
        self.store.setValue("audit/user_identity", " ".join(str(value).split()))

    def sync(self) -> None:
        self.store.sync()
