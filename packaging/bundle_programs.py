"""The executables of the one-folder bundle, per platform (the spec builds them; the MSI
source and ``tests/test_msi_source.py`` name them).

Windows gets two programs sharing one ``_internal`` folder: PyInstaller's ``console``
flag is fixed per executable, and a windowed (GUI-subsystem) program has no stdout,
stderr or exit status that cmd, PowerShell or a script can wait for. So:

- ``siting-planner.exe``: console; every command (check, import, review, report, ...)
  and ``--self-test``; the one the installer puts on the machine PATH.
- ``SitingPlanner.exe``: windowed; the Start-menu entry (no console window flashes up).

Linux and macOS keep one program: there the flag changes nothing on Linux, and the
macOS ``.app`` starts the windowed one while Terminal users run the same binary inside
it. ``SITING_PLANNER_PROGRAMS=win32`` makes the spec build the Windows pair on any
platform (to try the two-executable layout where no Windows machine is at hand).
"""

from __future__ import annotations

import os
import sys

CONSOLE = "siting-planner"
WINDOWED = "SitingPlanner"


def programs(platform: str | None = None) -> list[tuple[str, bool]]:
    """``(name, console)`` of each executable to build, the first being the main one."""
    plat = platform or os.environ.get("SITING_PLANNER_PROGRAMS") or sys.platform
    if plat.startswith("win"):
        return [(CONSOLE, True), (WINDOWED, False)]
    return [(CONSOLE, False)]
