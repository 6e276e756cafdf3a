"""The one place that finds the real data in ``../shared/data``.

Tests reach it through the ``shared_data`` fixture in ``conftest.py``; benchmarks call
:func:`locate_shared_data` directly. ``SITING_SHARED_DATA`` overrides the location.
"""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def locate_shared_data() -> Path | None:
    """Return the shared data folder, or ``None`` when it is not beside the checkout."""
    env = os.environ.get("SITING_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(_ROOT.parent / "shared" / "data")
    for path in candidates:
        if (path / "README.md").is_file():
            return path
    return None
