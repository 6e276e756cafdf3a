"""What the IT-managed system configuration does to the main window.

:mod:`planner.io.config.managed_config` reads the configuration; this module applies it:
the locked policy and data cannot be switched (their actions are disabled and say
why), user settings do not override them (the window asks :func:`enforce_pack`
before it loads anything), and the window says that it is managed and by which file.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from planner.io.config.managed_config import ManagedConfig

#: Actions that switch or add data; disabled when the data is locked.
DATA_ACTIONS = ("open_pack", "add_sites", "add_buildings")
#: Actions that switch or edit the policy (when a window has them).
POLICY_ACTIONS = ("open_policy", "edit_policy", "choose_policy")


def locked_pack(config: ManagedConfig) -> Path | None:
    """The pack the data is locked to: IT's first pack, else the built-in demo."""
    if not config.lock_data:
        return None
    if config.data_packs:
        return config.data_packs[0]
    from planner.app.siting.loading import demo_paths

    return demo_paths()[1]


def enforce_pack(config: ManagedConfig, requested: Path | None) -> Path | None:
    """The pack to load when ``requested`` was asked for (the locked one wins)."""
    locked = locked_pack(config)
    return requested if locked is None else locked


def managed_catalogue(config: ManagedConfig, catalogue: Any) -> Any:
    """The catalogue with IT's default camera model, when it names a known model."""
    key = config.default_camera_model
    if catalogue is None or not key or catalogue.find(key) is None:
        return catalogue
    return dataclasses.replace(catalogue, default_key=catalogue.find(key).key)


def status_text(config: ManagedConfig) -> str:
    """The short mark for the status bar, ``""`` when nothing is managed."""
    if not config.active:
        return ""
    locks = [
        name for name, on in (("policy", config.lock_policy), ("data", config.lock_data)) if on
    ]
    return " · Managed" + (f" ({' and '.join(locks)} locked)" if locks else "")


def describe(config: ManagedConfig) -> str:
    """One paragraph for the banner and tooltips: by whom, what is locked, any error."""
    if config.error is not None:
        return (
            "The system configuration is unusable: nothing is checked, and the policy and "
            f"data stay locked (never replaced by the built-in ones), until IT fixes it: "
            f"{config.error}"
        )
    locks = [
        name for name, on in (("policy", config.lock_policy), ("data", config.lock_data)) if on
    ]
    locked = f"; the {' and the '.join(locks)} cannot be changed here" if locks else ""
    return f"Managed by IT through {config.source_text}{locked}."


def apply_to_window(window: Any, config: ManagedConfig) -> None:
    """Lock the window's actions, mark its status bar and show the banner."""
    window.managed = config
    if not config.active:
        return
    reason = f"Locked by {config.source_text}"
    actions: dict[str, Any] = getattr(window, "actions_by_name", {})
    locked_keys = (DATA_ACTIONS if config.lock_data else ()) + (
        POLICY_ACTIONS if config.lock_policy else ()
    )
    for key in locked_keys:
        act = actions.get(key)
        if act is not None:
            act.setEnabled(False)
            act.setToolTip(reason)
            act.setStatusTip(reason)
    label = getattr(window, "managed_label", None)
    if label is None:
        from PySide6.QtWidgets import QLabel

        label = QLabel()
        label.setObjectName("managed_label")
        window.statusBar().addPermanentWidget(label)
        window.managed_label = label
    label.setText(status_text(config).lstrip(" ·"))
    label.setToolTip(describe(config))
    _apply_basemap(window, config)
    if config.error is not None:
        # the window's data banner says it, and stays: every load is withheld
        print(
            f"warning: {config.error}; nothing is checked until IT fixes the system configuration",
            file=sys.stderr,
        )
    else:
        window.show_notice(describe(config))


def basemap_source(spec: str) -> Any:
    """IT's ``basemap`` value as a basemap source; ``None`` for ``"none"``.

    Raises
    ------
    ValueError
        When the value is no preset name, XYZ template or offline tiles file.
    """
    from planner.app.map.basemap import BasemapSource, presets, source_for_file

    if spec.lower() == "none":
        return None
    for src in presets():
        if src.name.lower() == spec.lower():
            return src
    if spec.startswith(("http://", "https://")):
        if "{z}" not in spec or "{x}" not in spec:
            msg = f"basemap: an XYZ template needs {{z}}, {{x}} and {{y}}, got {spec!r}"
            raise ValueError(msg)
        return BasemapSource(name="Managed", url=spec, attribution="")
    return source_for_file(spec)


def _apply_basemap(window: Any, config: ManagedConfig) -> None:
    # IT's basemap is the default; a user who picked one keeps it (it is not lockable:
    # it changes what is drawn under the map, never what is checked).
    gis = getattr(window, "gis", None)
    if not config.basemap or gis is None:
        return
    if window.settings.store.value("basemap/source"):
        return
    try:
        source = basemap_source(config.basemap)
    except (ValueError, OSError) as exc:
        print(f"warning: {config.source_of('basemap')}: basemap: {exc}", file=sys.stderr)
        return
    gis.set_basemap(source, remember=False)
