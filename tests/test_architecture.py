"""Import rules: the core never imports Qt (napari-style), checked two independent ways."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", ["core", "io", "propose"])
def test_no_qt_imports_outside_the_app(package: str) -> None:
    files = sorted((ROOT / "planner" / package).rglob("*.py"))
    assert files, f"planner/{package} has no modules"
    offenders = [
        f"{f.relative_to(ROOT)}: {name}"
        for f in files
        for name in _imports(f)
        if name.split(".")[0] in QT or name.startswith("planner.app")
    ]
    assert offenders == []


@pytest.mark.parametrize("package", ["core", "propose"])
def test_core_does_not_import_io_or_app(package: str) -> None:
    offenders = [
        f"{f.relative_to(ROOT)}: {name}"
        for f in sorted((ROOT / "planner" / package).rglob("*.py"))
        for name in _imports(f)
        if name.startswith(("planner.io", "planner.app", "planner.cli", "planner.importer"))
    ]
    assert offenders == []


def test_importing_the_core_loads_no_qt() -> None:
    code = (
        "import sys, planner.core.checker, planner.io.loader, planner.io.plan, planner.cli,"
        " planner.cli_propose, planner.propose.engine;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "import-linter is part of the test extra; install with .[test]"
    proc = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_pyside6_is_pinned_below_6_12() -> None:
    import tomllib

    from packaging.requirements import Requirement

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"
    ]
    (req,) = [Requirement(d) for d in deps if d.lower().startswith("pyside6")]
    assert req.name == "PySide6-Essentials"
    assert "6.11.3" in req.specifier and "6.8.0" in req.specifier
    assert "6.12.0" not in req.specifier and "6.7.3" not in req.specifier
