"""Where the project's own data files live (policies, catalogue, demo, OSM rules).

A source checkout keeps them in ``data/`` beside ``planner/``; a PyInstaller build
puts that folder next to the frozen package under ``sys._MEIPASS``.

No environment variable moves it: the built-in policy lives here, and a folder a
user names could hold a lax policy with the same id and version (city IT ships its
own policy through the managed configuration, ``planner.io.config.managed_config``).
"""

from __future__ import annotations

import sys
from pathlib import Path


def data_dir() -> Path:
    """The project data folder."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "data"
    return Path(__file__).resolve().parent.parent / "data"


def data_path(*parts: str) -> Path:
    """A file under the project data folder, e.g. ``data_path("cameras.toml")``."""
    return data_dir().joinpath(*parts)
