"""Atomic file writes: a crash never leaves half a file (SPEC 7).

A save writes ``.<name>.<random>.tmp`` beside the target, fsyncs it, renames it over
the target and fsyncs the folder, so after a crash the folder holds the old file or
the new one. A kill between creating the temporary and renaming it leaves the
temporary behind; the next save of the same file removes such leftovers once they
are older than :data:`STALE_AFTER_S` (younger ones may belong to a save still running
in another process).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from pathlib import Path

from planner.core.errors import InputError

#: A temporary of ours untouched for this long belongs to no running save.
STALE_AFTER_S = 600.0


def temp_prefix(target: Path) -> str:
    """The name prefix of our temporaries for ``target``."""
    return f".{target.name}."


def remove_stale_temporaries(
    target: str | os.PathLike[str], *, suffix: str = ".tmp", older_than_s: float = STALE_AFTER_S
) -> list[Path]:
    """Delete leftovers of interrupted saves of ``target``; return what was removed.

    Only files of our own naming (``.<name>.<random><suffix>`` and SQLite sidecars of
    such a file) are touched, and only when not modified for ``older_than_s``.
    """
    target = Path(target)
    prefix = temp_prefix(target)
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith(prefix):
            continue
        base = name
        for sidecar in ("-journal", "-wal", "-shm"):
            base = base.removesuffix(sidecar)
        if not base.endswith(suffix) or len(base) <= len(prefix) + len(suffix):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < older_than_s:
                continue
            Path(entry.path).unlink()
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (a rename) to disk; a no-op where folders cannot be opened."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:  # Windows: folders cannot be opened; NTFS journals the rename
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def replace_target(path: str | os.PathLike[str]) -> Path:
    """The file a save of ``path`` replaces: symlinks followed; only regular files.

    Raises
    ------
    InputError
        When ``path`` is a folder, a device, a pipe or a socket: renaming over it
        would replace it rather than write to it.
    """
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise InputError(target, "", f"cannot write: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise InputError(target, "", "is a folder; give a file name")
    if not stat.S_ISREG(mode):
        raise InputError(target, "", "is not a regular file (a device, pipe or socket)")
    return target


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename over ``path``.

    Raises
    ------
    InputError
        When ``path`` exists and is not a regular file (see :func:`replace_target`).
    OSError
        When the folder cannot be written.
    """
    target = replace_target(path)
    remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target), suffix=".tmp", dir=target.parent)
    try:
        # mkstemp creates 0600; a saved plan should have the mode of the file it
        # replaces, or the user's usual mode for new files.
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    fsync_dir(target.parent)


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
