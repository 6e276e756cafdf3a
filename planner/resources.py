"""Where the project's own data files live (policies, catalogue, demo, OSM rules).

A source checkout keeps them in ``data/`` beside ``planner/``; a PyInstaller build
puts that folder next to the frozen package under ``sys._MEIPASS``.
``SITING_PLANNER_DATA`` overrides both, for city IT who ship their own policy.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def data_dir() -> Path:
    """The project data folder."""
    env = os.environ.get("SITING_PLANNER_DATA")
    if env:
        return Path(env)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "data"
    return Path(__file__).resolve().parent.parent / "data"


def data_path(*parts: str) -> Path:
    """A file under the project data folder, e.g. ``data_path("cameras.toml")``."""
    return data_dir().joinpath(*parts)
