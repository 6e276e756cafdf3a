"""The .deb's control file: Depends that resolve on Debian 12, Debian 13 and Ubuntu 24.04.

Fast: the package root is staged around a stand-in bundle (no PyInstaller run). The
full build, lintian, ``apt-get install --simulate`` and an install are in
``tests/test_packaging.py``.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.packaging


def _build_module():
    spec = importlib.util.spec_from_file_location(
        "siting_planner_linux_build_ctl", ROOT / "packaging" / "linux" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


linux_build = _build_module()


@pytest.fixture(scope="module")
def control(tmp_path_factory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("deb")
    bundle = tmp / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "siting-planner").write_text("#!/bin/sh\n")
    root = tmp / "root"
    linux_build.stage_deb(bundle, root, ver="0.1.0")
    fields: dict[str, str] = {}
    key = ""
    for line in (root / "DEBIAN" / "control").read_text(encoding="utf-8").splitlines():
        if line.startswith(" ") and key:
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(": ")
            fields[key] = value
    return fields


def _depends(control: dict[str, str]) -> list[list[str]]:
    return [
        [alt.strip().split(" ")[0] for alt in dep.split("|")]
        for dep in control["Depends"].split(",")
    ]


#: Renamed by the 64-bit time_t transition (Debian 13, Ubuntu 24.04): libglib2.0-0 and
#: libpng16-16 (Debian 13's t64 packages Provide the old names, Ubuntu 24.04's libpng16-16t64
#: does not), and libuuid1 (renamed to libuuid1t64, then back, with a Provides). Checked
#: against Debian 13's package lists (the t64 packages and every Provides of a t64 name
#: among these Depends); the rest kept their names there (libdbus-1-3, libsystemd0,
#: libfreetype6, libfontconfig1, libexpat1, libgcrypt20, libgpg-error0, libxkbcommon0,
#: the X11/xcb and GL libraries, zlib1g, ...).
T64 = {
    "libglib2.0-0": "libglib2.0-0t64",
    "libpng16-16": "libpng16-16t64",
    "libuuid1": "libuuid1t64",
}


def test_t64_renamed_libraries_have_both_names(control):
    deps = _depends(control)
    for old, new in T64.items():
        assert [new, old] in deps, f"Depends needs '{new} | {old}'"
    # every other entry is a single package (or the font alternative)
    others = [d for d in deps if len(d) > 1 and d[1] not in T64]
    assert others == [["fonts-dejavu-core", "fonts-liberation2"]]


def test_depends_lists_each_library_once(control):
    names = [n for dep in _depends(control) for n in dep]
    assert len(names) == len(set(names))
    assert linux_build.T64_RENAMED == T64


def _candidates(names: list[str]) -> dict[str, str]:
    """Each name's install candidate in this machine's apt lists (one apt-cache call)."""
    out = subprocess.run(
        ["apt-cache", "policy", *names], capture_output=True, text=True, check=False
    ).stdout
    found: dict[str, str] = {}
    name = ""
    for line in out.splitlines():
        if not line.startswith(" ") and line.endswith(":"):
            name = line[:-1]
        elif line.strip().startswith("Candidate:") and name:
            found[name] = line.split(":", 1)[1].strip()
    return {n: v for n, v in found.items() if v and v != "(none)"}


def test_debian_names_exist_in_this_machines_apt(control):
    """Every first-or-only name that apt here (Debian 12) knows; the t64 ones it does not."""
    if shutil.which("apt-cache") is None or not _candidates(["libc6"]):
        pytest.skip("no apt package lists here (apt-get update first)")
    deps = _depends(control)
    known = _candidates([n for dep in deps for n in dep])
    for dep in deps:
        old = dep[-1] if dep[0] in T64.values() else dep[0]
        assert old in known, f"{old} is not a package of this Debian"
    if Path("/etc/debian_version").read_text().strip().startswith("12"):
        # bookworm predates the rename: the alternative is what makes the .deb install here
        assert not set(T64.values()) & set(known)
