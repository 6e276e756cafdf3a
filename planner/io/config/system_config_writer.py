"""The managed config file the installer writes (``siting-planner system-config``).

The Windows installer runs it with the public properties given to ``msiexec``
(``POLICY``, ``DATAPACK``, ``ALLOWEDSIGNERS``, ``NETWORK``, the ``LOCK*`` switches, ...)
to write ``%PROGRAMDATA%\\SitingPlanner\\config.toml``, and again at uninstall to
remove it. It works the same on any platform, so IT can also script a Linux or macOS
config with it::

    siting-planner system-config write /etc/siting-planner/config.toml \\
        network=off lock_network=1 data=/srv/gis/a.gpkg;/srv/gis/b.gpkg

Empty values are left out (an msiexec property that was not given arrives empty);
with nothing left, no file is written and any existing one is kept. A value of the
wrong kind (``LOCKDATA=maybe``, ``NETWORK=offline``) is an error, exit 2, so a typo
fails the installation instead of installing an unlocked planner. The file starts
with :data:`MARKER`; ``remove`` deletes only a file that still starts with it, so a
config IT replaced by hand survives an uninstall.
"""

from __future__ import annotations

import contextlib
import json
import tomllib
from collections.abc import Sequence
from pathlib import Path

from planner.core.errors import InputError
from planner.io.config.managed_config import KEYS, NETWORK_MODES

MARKER = "# Written by the Siting Planner installer"
#: msiexec public property -> config key (README "Managed configuration").
PROPERTIES = {
    "POLICY": "policy",
    "DATAPACK": "data",
    "ALLOWEDSIGNERS": "allowed_signers",
    "DEFAULTCAMERAMODEL": "default_camera_model",
    "BASEMAP": "basemap",
    "NETWORK": "network",
    "LOCKPOLICY": "lock_policy",
    "LOCKDATA": "lock_data",
    "LOCKNETWORK": "lock_network",
}
_LOCKS = ("lock_policy", "lock_data", "lock_network")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _known_keys() -> tuple[str, ...]:
    # allowed_signers is read by managed_config where that key exists
    return tuple(dict.fromkeys((*KEYS, *PROPERTIES.values())))


def config_values(pairs: Sequence[str]) -> dict[str, object]:
    """``KEY=VALUE`` arguments as config values; empty values are dropped.

    Raises
    ------
    InputError
        For an unknown key, a lock that is not a yes/no or an unknown network mode.
    """
    out: dict[str, object] = {}
    known = _known_keys()
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = PROPERTIES.get(key.strip(), key.strip())
        value = raw.strip()
        if not sep or key not in known:
            msg = f"expected KEY=VALUE with a key of {', '.join(known)}"
            raise InputError(pair, "", msg)
        if not value:
            continue
        if any(ord(c) < 32 for c in value) or len(value) > 4096:
            raise InputError(pair, key, "too long or holds control characters")
        if key in _LOCKS:
            if value.lower() not in (*_TRUE, *_FALSE):
                raise InputError(pair, key, "must be 1 or 0 (true or false)")
            out[key] = value.lower() in _TRUE
        elif key == "network":
            if value not in NETWORK_MODES:
                raise InputError(pair, key, f"must be one of {', '.join(NETWORK_MODES)}")
            out[key] = value
        elif key == "data":
            packs = [p.strip() for p in value.split(";") if p.strip()]
            out[key] = packs
        else:
            out[key] = value
    return out


def render(values: dict[str, object]) -> str:
    """The config file's text: the marker, then one ``key = value`` line per setting."""
    lines = [
        MARKER + " from its public properties (msiexec ... KEY=VALUE).",
        "# Edit freely: a file that no longer starts with the line above is kept at uninstall.",
    ]
    for key in _known_keys():
        if key not in values:
            continue
        value = values[key]
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list):
            text = "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
        else:
            # A JSON string is a TOML basic string: quotes, backslashes escaped.
            text = json.dumps(value, ensure_ascii=False)
        lines.append(f"{key} = {text}")
    out = "\n".join(lines) + "\n"
    if tomllib.loads(out) != values:  # the writer's own invariant: it reads back the same
        msg = f"the config text does not read back as {values!r}"
        raise RuntimeError(msg)
    return out


def write(path: Path, pairs: Sequence[str]) -> bool:
    """Write the config from ``pairs``; returns False (nothing written) when all were empty."""
    values = config_values(pairs)
    if not values:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(render(values), encoding="utf-8")
    tmp.replace(path)
    return True


def remove(path: Path) -> bool:
    """Delete the file if the installer wrote it (and its folder when left empty)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
    except FileNotFoundError:
        return False
    if not first.startswith(MARKER):
        return False
    path.unlink()
    path.with_name(path.name + ".new").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()  # only when empty: IT's other files stay
    return True


__all__ = ["MARKER", "PROPERTIES", "config_values", "remove", "render", "write"]
