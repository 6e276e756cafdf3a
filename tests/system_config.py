"""Run the installed command with a real system config at the platform's own path.

The planner reads IT's config only from ``/etc/siting-planner/config.toml`` (no
variable or option moves it), so a test that wants to see what a user sees runs the
command in a private mount namespace where an overlay adds that file to ``/etc``:
nothing on the machine changes, and the program takes exactly the route a locked
workstation takes. Where user namespaces are not available the tests that need it
skip, saying so.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMAND = Path(sys.executable).with_name("siting-planner")

_MOUNT = (
    'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc && shift 2 && '
    'exec "$@"'
)


@functools.cache
def _namespace_problem() -> str | None:
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return "needs Linux with unshare(1) to give the command its own /etc"
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"planner-ns-probe-{os.getpid()}"
    upper, work = probe / "u", probe / "w"
    upper.mkdir(parents=True, exist_ok=True)
    work.mkdir(exist_ok=True)
    try:
        proc = subprocess.run(
            [
                "unshare",
                "--mount",
                "--map-root-user",
                "sh",
                "-c",
                _MOUNT,
                "sh",
                upper,
                work,
                "true",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    if proc.returncode != 0:
        return f"user namespaces with overlay mounts are not available here ({proc.stderr.strip()})"
    return None


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """No display, throwaway settings; ``extra`` adds what a hostile user would set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SITING_", "QT_"))}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        SITING_PLANNER_SETTINGS=str(tmp / "settings.ini"),
        SITING_PLANNER_RECOVERY_DIR=str(tmp / "recovery"),
        SITING_PLANNER_CACHE_DIR=str(tmp / "cache"),
    )
    env.update(extra)
    return env


def run_with_system_config(
    tmp: Path,
    config: bytes | str | None,
    args: Sequence[str | os.PathLike[str]],
    *,
    env: dict[str, str] | None = None,
    command: Sequence[str | os.PathLike[str]] | None = None,
    fifo: bool = False,
    link_to: Path | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``siting-planner ARGS`` with ``config`` at ``/etc/siting-planner/config.toml``.

    ``fifo`` puts a named pipe there instead, ``link_to`` a symbolic link; ``command``
    replaces the installed ``siting-planner`` (e.g. a copy of the program).
    """
    problem = _namespace_problem()
    if problem is not None:
        pytest.skip(problem)
    upper, work = tmp / "etc-upper", tmp / "etc-work"
    folder = upper / "siting-planner"
    folder.mkdir(parents=True, exist_ok=True)
    work.mkdir(exist_ok=True)
    target = folder / "config.toml"
    if fifo:
        os.mkfifo(target)
    elif link_to is not None:
        target.symlink_to(link_to)
    elif config is not None:
        target.write_bytes(config.encode("utf-8") if isinstance(config, str) else config)
    cmd = [str(c) for c in (command or [COMMAND])] + [str(a) for a in args]
    return subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", _MOUNT, "sh", upper, work, *cmd],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(tmp) if env is None else env,
        cwd=cwd,
        check=False,
    )
