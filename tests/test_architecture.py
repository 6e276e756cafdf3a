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
        if name.startswith(
            ("planner.io", "planner.app", "planner.cli", "planner.io.datapack.importer")
        )
    ]
    assert offenders == []


def test_importing_the_core_loads_no_qt() -> None:
    code = (
        "import sys, planner.core.checker, planner.io.checking.loader, planner.io.formats.plan, "
        "planner.cli,"
        " planner.commands.propose, planner.propose.engine;"
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


def test_no_import_cycles() -> None:
    """No module reaches itself through its imports (TYPE_CHECKING and lazy ones count)."""
    import grimp

    graph = grimp.build_graph("planner", cache_dir=None)
    imports = {
        m: {i for i in graph.find_modules_directly_imported_by(m) if i != m}
        for m in graph.modules
        if m.startswith("planner")
    }
    cycles = []
    for start in sorted(imports):
        # breadth first from what ``start`` imports: a path back to ``start`` is a cycle
        back: dict[str, str] = {}
        todo = sorted(imports[start])
        seen = set(todo)
        while todo and start not in seen:
            here = todo.pop(0)
            for nxt in sorted(imports.get(here, ())):
                if nxt not in seen:
                    seen.add(nxt)
                    back[nxt] = here
                    todo.append(nxt)
        if start in seen:
            chain = [start]
            while chain[-1] in back:
                chain.append(back[chain[-1]])
            cycles.append(" -> ".join([start, *reversed(chain)]))
    assert cycles == []


def _rooms() -> list[str]:
    """Every package of the planner that holds modules (a room of the layout)."""
    out = []
    for init in sorted((ROOT / "planner").rglob("__init__.py")):
        folder = init.parent
        if folder.parent.name == "canvas" or folder.name == "canvas":
            continue  # the canvas is one room inside the map
        if any(p.name != "__init__.py" for p in folder.glob("*.py")):
            out.append(folder.relative_to(ROOT).as_posix() + "/")
    return out


def test_the_readme_layout_has_one_line_per_room() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Project layout", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `planner/")]
    named = [row.split("`")[1] for row in rows]
    missing = [room for room in _rooms() if room not in named and room != "planner/"]
    assert missing == [], f"rooms without a line in README's Project layout: {missing}"
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 3 and all(cells), f"say what lives there and what it may import: {row}"
    stale = [p for p in named if not (ROOT / p).exists()]
    assert stale == [], f"README names paths that do not exist: {stale}"


def test_mypy_passes() -> None:
    """The type checker, with the configuration in pyproject.toml (strict on core, io, report)."""
    exe = shutil.which("mypy", path=str(Path(sys.executable).parent))
    assert exe is not None, "mypy is part of the test extra; install with .[test]"
    proc = subprocess.run(
        [exe, "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


#: Issue 18's limits: a newcomer reads a function on one screen and a module in one sitting.
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 600


def _long_pieces(path: Path, root: Path = ROOT) -> list[str]:
    """The functions and the module over the limits, unless the docstring says why."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    doc = ast.get_docstring(tree) or ""
    name = path.relative_to(root).as_posix()
    found = []
    lines = len(text.splitlines())
    if lines > MAX_MODULE_LINES and "Long module because:" not in doc:
        found.append(f"{name}: {lines} lines")
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        length = (node.end_lineno or node.lineno) - first + 1
        if length > MAX_FUNCTION_LINES and f"Long function `{node.name}` because:" not in doc:
            found.append(f"{name}:{node.lineno}: {node.name} is {length} lines")
    return found


def test_small_pieces() -> None:
    # The only exception is a table or a generated list, and the module's docstring says so
    # in a line "Long function `name` because: ..." or "Long module because: ...".
    offenders = [
        piece for path in sorted((ROOT / "planner").rglob("*.py")) for piece in _long_pieces(path)
    ]
    assert offenders == []


def test_the_size_rule_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    module = tmp_path / "probe.py"
    module.write_text(f'"""Probe."""\n\n\ndef f() -> None:\n{body}\n', encoding="utf-8")
    assert _long_pieces(module, tmp_path) == ["probe.py:4: f is 61 lines"]
    module.write_text(
        f'"""Probe.\n\nLong function `f` because: a table.\n"""\n\n\ndef f() -> None:\n{body}\n',
        encoding="utf-8",
    )
    assert _long_pieces(module, tmp_path) == []
    module.write_text("\n" * (MAX_MODULE_LINES + 1), encoding="utf-8")
    assert _long_pieces(module, tmp_path) == [f"probe.py: {MAX_MODULE_LINES + 1} lines"]
