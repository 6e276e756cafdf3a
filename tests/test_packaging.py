"""The Linux installers: build the bundle, the .tar.gz and the .deb, then use them.

One build per session (about two minutes on two cores, see README "Packaging"),
shared by every test here. The Debian tools (dpkg-deb, lintian,
desktop-file-validate) are installed with apt-get when missing and running as root;
otherwise the tests skip, except under CI (``CI=true``), where they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_build_script():
    # by path, under its own name: "build" is also the name of a PyPI package
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "siting_planner_linux_build", ROOT / "packaging" / "linux" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


linux_build = _load_build_script()

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux build"),
]

TOOLS = {
    "dpkg-deb": "dpkg",
    "lintian": "lintian",
    "desktop-file-validate": "desktop-file-utils",
    "ldd": "libc-bin",
    "strip": "binutils",
}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI must run the packaging tests)")
    pytest.skip(reason)


def _require_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        pkgs = sorted({TOOLS[t] for t in missing})
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *pkgs],
            check=False,
            env=env,
        )
        missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        _unavailable(
            f"missing Debian tools {missing} (apt-get install "
            f"{' '.join(sorted({TOOLS[t] for t in missing}))})"
        )


def _run(
    cmd: list[str],
    *,
    timeout: float = 300,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd, check=False
    )


def _clean_env(tmp: Path) -> dict[str, str]:
    """No display and throwaway settings (this machine has no IT config in /etc)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SITING_", "QT_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        QT_QPA_PLATFORM="offscreen",
        SITING_PLANNER_SETTINGS=str(tmp / "s.ini"),
        SITING_PLANNER_RECOVERY_DIR=str(tmp / "recovery"),
        SITING_PLANNER_LOG_DIR=str(tmp / "log"),
        TMPDIR=str(tmp / "tmp"),
    )
    (tmp / "tmp").mkdir(exist_ok=True)
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    if importlib_missing("PyInstaller"):
        _unavailable("PyInstaller is not installed (pip install -e '.[test]')")
    _require_tools()
    out = tmp_path_factory.mktemp("dist")
    work = tmp_path_factory.mktemp("work")
    proc = _run(
        [
            sys.executable,
            str(ROOT / "packaging" / "linux" / "build.py"),
            "--fast",
            "--dist",
            str(out),
            "--work",
            str(work / "pyinstaller"),
        ],
        timeout=1500,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    info = json.loads((out / "build-info.json").read_text())
    info["bundle"] = out / "siting-planner"
    info["tmp"] = tmp_path_factory.mktemp("run")
    return info


def importlib_missing(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


@pytest.fixture(scope="module")
def unpacked(built, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("deb")
    proc = _run(["dpkg-deb", "-x", built["deb"], str(dest)])
    assert proc.returncode == 0, proc.stderr
    return dest


# -- the bundle ------------------------------------------------------------------------------
def test_bundle_version(built):
    exe = built["bundle"] / "siting-planner"
    proc = _run([str(exe), "--version"], env=_clean_env(built["tmp"]))
    assert proc.returncode == 0, proc.stderr
    from planner import __version__

    assert proc.stdout.strip() == f"siting-planner {__version__}"


def test_bundle_self_test(built):
    exe = built["bundle"] / "siting-planner"
    proc = _run([str(exe), "--self-test"], env=_clean_env(built["tmp"]), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "(installed build)" in out
    for step in ("check the embedded demo", "render the map offscreen", "write the review report"):
        assert re.search(rf"^  (ok  |SKIP) {step}\s+\d+\.\d\d s", out, re.M), out
    # HiGHS is in the bundle: the exact solve ran and its cameras were checked
    assert re.search(r"^  ok   propose cameras \(HiGHS\)\s+[\d.]+ s  3 cameras, optimal", out, re.M)
    assert "FAIL" not in out and "self-test passed" in out
    assert "  network: on (built-in default)\n" in out and "  log file: " in out
    # it cleans up after itself: nothing left in its temporary folder
    assert "temporary files removed" in out
    assert not list((built["tmp"] / "tmp").glob("siting-planner-self-test-*"))


def test_bundle_checks_the_demo_plan(built):
    exe = built["bundle"] / "siting-planner"
    demo = built["bundle"] / "_internal" / "data" / "demo"
    proc = _run(
        [
            str(exe),
            "check",
            str(demo / "demo.plan.geojson"),
            "--data",
            str(demo / "demo.gpkg"),
            "--format",
            "json",
        ],
        env=_clean_env(built["tmp"]),
    )
    assert proc.returncode == 1, proc.stderr  # the demo has a blocked camera
    report = json.loads(proc.stdout)
    assert report["summary"]["block"] >= 1 and report["summary"]["clear"] >= 1
    assert "managed" not in report


def test_bundle_reports_a_locked_policy(built, tmp_path):
    from tests.system_config import run_with_system_config

    exe = built["bundle"] / "siting-planner"
    demo = built["bundle"] / "_internal" / "data" / "demo"
    env = _clean_env(tmp_path)
    # the variable that once moved the config is nothing to the installed program
    env["SITING_PLANNER_SYSTEM_CONFIG"] = str(tmp_path / "nonexistent.toml")
    other = ROOT / "data" / "policies" / "san_jose_alpr_2026.toml"
    proc = run_with_system_config(
        tmp_path,
        "lock_policy = true\n",
        [
            "check",
            demo / "demo.plan.geojson",
            "--data",
            demo / "demo.gpkg",
            "--policy",
            other,
        ],
        env=env,
        command=[exe],
    )
    assert proc.returncode == 1, proc.stderr
    assert (
        f"Warning: --policy {other} ignored: the policy is locked to the built-in "
        "policy by /etc/siting-planner/config.toml" in proc.stdout
    )


def test_bundle_leaves_out_what_the_app_does_not_use(built):
    internal = built["bundle"] / "_internal"
    names = {p.name for p in internal.rglob("*")}
    for gone in (
        "libQt6Network.so.6",
        "libQt6Qml.so.6",
        "libqgtk3.so",
        "pyarrow",  # not a dependency; excluded even where it is installed
        "rtree",
        "pytest",
        "hypothesis",
        "importlinter",
        "setuptools",
    ):
        assert gone not in names, gone
    # the desktop stack comes from the system, never from the build machine
    assert not list(internal.glob("libxcb*")) and not list(internal.glob("libX11*"))
    # 438 MB measured, 81 MB of it the Typst compiler the review report's PDF needs;
    # pyarrow coming back would add about 109 MB
    assert built["bundle_bytes"] < 480_000_000


def test_tarball_holds_the_bundle(built):
    with tarfile.open(built["tar_gz"]) as tar:
        names = set(tar.getnames())
    from planner import __version__

    top = f"siting-planner-{__version__}"
    assert f"{top}/siting-planner" in names
    assert f"{top}/_internal/data/demo/demo.gpkg" in names
    assert f"{top}/share/{linux_build.APP_ID}.desktop" in names


# -- the .deb --------------------------------------------------------------------------------
def test_deb_layout(unpacked):
    link = unpacked / "usr" / "bin" / "siting-planner"
    assert link.is_symlink() and str(link.readlink()) == "/opt/siting-planner/siting-planner"
    target = unpacked / str(link.readlink()).lstrip("/")
    assert target.is_file() and os.access(target, os.X_OK)
    desktop = unpacked / "usr/share/applications" / f"{linux_build.APP_ID}.desktop"
    entry = dict(line.split("=", 1) for line in desktop.read_text().splitlines() if "=" in line)
    assert entry["Exec"].split()[0] == "siting-planner" == link.name  # on PATH via /usr/bin
    icon = entry["Icon"]
    for size in linux_build.ICON_SIZES:
        png = unpacked / f"usr/share/icons/hicolor/{size}x{size}/apps/{icon}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (unpacked / f"usr/share/icons/hicolor/scalable/apps/{icon}.svg").is_file()
    assert (unpacked / f"usr/share/metainfo/{linux_build.APP_ID}.metainfo.xml").is_file()
    assert (unpacked / "usr/share/doc/siting-planner/copyright").is_file()


def test_desktop_entry_validates(unpacked):
    desktop = unpacked / "usr/share/applications" / f"{linux_build.APP_ID}.desktop"
    proc = _run(["desktop-file-validate", str(desktop)])
    assert proc.returncode == 0 and "error" not in proc.stdout.lower(), proc.stdout


def test_lintian_has_no_errors(built):
    # Three checks are left out: they only give tags that the package overrides for the
    # bundled wheels (embedded-library, spelling-error-in-binary, hardening-*), and they
    # are most of lintian's time (strings and objdump over 400 MB of libraries).
    skip = "binaries/spelling,libraries/embedded,binaries/hardening"
    proc = _run(["lintian", "--tag-display-limit", "0", "-X", skip, built["deb"]], timeout=900)
    errors = [ln for ln in proc.stdout.splitlines() if ln.startswith("E:")]
    assert not errors, "\n".join(errors)
    assert proc.returncode in (0, 1, 2), proc.stderr  # 2: warnings only, with errors absent


def _is_elf(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"\x7fELF"


def test_depends_cover_every_system_library(built, unpacked):
    """Every library the bundle loads from outside itself belongs to a package in Depends."""
    control = _run(["dpkg-deb", "-f", built["deb"], "Depends"]).stdout
    declared = {alt.strip().split(" ")[0] for dep in control.split(",") for alt in dep.split("|")}
    opt = unpacked / "opt" / "siting-planner" / "_internal"
    dirs = sorted({str(p.parent) for p in opt.rglob("*.so*")})
    env = {**os.environ, "LD_LIBRARY_PATH": ":".join([str(opt), *dirs])}
    outside: set[str] = set()
    missing: set[str] = set()
    elves = [
        p
        for p in opt.rglob("*")
        if p.is_file() and not p.is_symlink() and (".so" in p.name) and _is_elf(p)
    ]
    for chunk in range(0, len(elves), 200):
        proc = _run(["ldd", *map(str, elves[chunk : chunk + 200])], env=env)
        for line in proc.stdout.splitlines():
            m = re.match(r"\s*(\S+) => (\S+)", line)
            if not m:
                continue
            if m.group(2) == "not":
                missing.add(m.group(1))
            elif not m.group(2).startswith(str(unpacked)):
                outside.add(os.path.realpath(m.group(2)))
    assert not missing, f"libraries found nowhere: {sorted(missing)}"
    owners: dict[str, str] = {}
    for lib in sorted(outside):
        proc = _run(["dpkg", "-S", lib])
        if proc.returncode != 0:  # /lib is a symlink to /usr/lib on merged-/usr systems
            proc = _run(["dpkg", "-S", lib.replace("/usr/lib/", "/lib/", 1)])
        assert proc.returncode == 0, f"{lib} belongs to no Debian package"
        owners[lib] = proc.stdout.split(":")[0]
    undeclared = {lib: pkg for lib, pkg in owners.items() if pkg not in declared}
    assert not undeclared, f"add to DEPENDS in packaging/linux/build.py: {undeclared}"


def test_deb_installs_into_a_throwaway_root(built, tmp_path):
    """``dpkg --root`` installs it, ``/usr/bin/siting-planner`` runs the self-test, and
    removing it leaves nothing behind."""
    root = tmp_path / "root"
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    (root / "var/lib/dpkg/updates").mkdir()
    (root / "var/lib/dpkg/status").touch()
    dpkg = [
        "dpkg",
        f"--root={root}",
        "--force-depends",
        "--force-not-root",
        "--force-script-chrootless",
        f"--log={tmp_path / 'dpkg.log'}",
    ]
    proc = _run([*dpkg, "--install", built["deb"]], timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    status = _run([*dpkg[:2], "--status", "siting-planner"]).stdout
    assert "Status: install ok installed" in status
    # The link is absolute (/opt/...): inside the throwaway root it resolves under root.
    link = root / "usr/bin/siting-planner"
    exe = root / str(link.readlink()).lstrip("/")
    env = _clean_env(tmp_path)
    proc = _run([str(exe), "--self-test"], env=env, timeout=600)
    assert proc.returncode == 0 and "self-test passed" in proc.stdout, proc.stdout + proc.stderr
    proc = _run([*dpkg, "--remove", "siting-planner"], timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert not (root / "opt/siting-planner").exists() and not link.is_symlink()


def test_apt_resolves_the_deb_here(built):
    """``apt install ./file.deb`` on this Debian: every Depends resolves (simulated)."""
    if shutil.which("apt-get") is None:
        _unavailable("apt-get is not installed")
    deb = Path(built["deb"]).resolve()
    cmd = ["apt-get", "install", "--simulate", "-q", "-o", "Debug::NoLocking=1", str(deb)]
    proc = _run(cmd, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert re.search(r"^Inst siting-planner ", proc.stdout, re.M), proc.stdout[-2000:]


def test_msi_paths_exist_in_the_bundle(built):
    """Every file the MSI source names is in the bundle PyInstaller made (Windows names
    mapped: each ``NAME.exe`` of packaging/bundle_programs.py is the one Linux program)."""
    import xml.etree.ElementTree as ET

    bundle = built["bundle"]
    wxs = (ROOT / "packaging" / "windows" / "siting-planner.wxs").read_text(encoding="utf-8")
    ET.fromstring(wxs)
    named = set(re.findall(r"\[INSTALLFOLDER\]([\w.-]+\.exe)", wxs))
    assert named == {"siting-planner.exe", "SitingPlanner.exe"}
    linux_program = bundle / "siting-planner"
    for exe in named:
        assert linux_program.is_file() and os.access(linux_program, os.X_OK), exe
    # the harvested folder holds the shared libraries and data both programs use
    assert (bundle / "_internal" / "data" / "demo" / "demo.gpkg").is_file()
    for rel in re.findall(r"!\(bindpath\.Assets\)\\([^\"]+)", wxs):
        assert (ROOT / "assets" / rel.replace("\\", "/")).is_file(), rel
