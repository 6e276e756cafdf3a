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
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from planner.core.errors import InputError

#: A temporary of ours untouched for this long belongs to no running save.
STALE_AFTER_S = 600.0


#: Room kept in a temporary's name for the random part (16), the longest suffix we
#: use (``.tmp.gpkg``) and SQLite's ``-journal`` beside a GeoPackage being written.
_TEMP_TAIL = 48


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # Windows has no pathconf
        return 255


def temp_prefix(target: Path) -> str:
    """The name prefix of our temporaries for ``target``.

    ``.<name>.``, with ``<name>`` shortened (whole characters, a ``~`` marking the
    cut) when the target's name is so long that the temporary would not fit the
    file system's name limit: a 250-byte name must still be writable.
    """
    room = _name_max(target.parent) - _TEMP_TAIL - 2
    name = target.name
    if len(os.fsencode(name)) > room:
        while name and len(os.fsencode(name)) > room - 1:
            name = name[:-1]
        name += "~"
    return f".{name}."


def create_temporary(target: Path, *, suffix: str = ".tmp") -> tuple[int, Path]:
    """Create a new, empty temporary beside ``target``; return its descriptor and path.

    The name is ``<temp_prefix><random><suffix>`` with 64 random bits; the file is
    created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` (mode 0600), so a file or link
    planted under a guessed name is never opened or followed. Every writer of the
    planner makes its temporaries here.
    """
    prefix = temp_prefix(target)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = target.parent / f"{prefix}{secrets.token_hex(8)}{suffix}"
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    msg = f"{target.parent}: cannot find a free temporary name"
    raise FileExistsError(msg)


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
    fd, tmp = create_temporary(target)
    try:
        # the temporary is 0600; a saved plan should have the mode of the file it
        # replaces, or the user's usual mode for new files.
        _chmod(fd, _mode_for(target))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(target.parent)


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str],
    *,
    suffix: str = ".tmp",
    verify: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """Give a writer that needs a file name (Qt, GDAL) a temporary, then install it.

    Yields the path of a fresh temporary made by :func:`create_temporary` (empty,
    0600). When the block ends, the temporary must be non-empty and pass ``verify``
    (which raises :class:`OSError` on a bad file, e.g. a PDF without its trailer);
    it is then fsynced, given the target's mode and renamed over ``path``, and the
    folder is fsynced. On any failure the temporary is removed and the old file is
    left as it was.

    Raises
    ------
    InputError
        When ``path`` exists and is not a regular file (see :func:`replace_target`).
    OSError
        When the temporary cannot be created, written, checked or renamed.
    """
    target = replace_target(path)
    remove_stale_temporaries(target, suffix=suffix)
    fd, tmp = create_temporary(target, suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        st = tmp.lstat()
        if not stat.S_ISREG(st.st_mode):
            msg = f"{tmp}: the temporary was replaced by something that is not a file"
            raise OSError(msg)
        if st.st_size == 0:
            msg = "nothing was written (is the disk full?)"
            raise OSError(msg)
        if verify is not None:
            verify(tmp)
        fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(OSError):
            tmp.chmod(_mode_for(target))
        tmp.replace(target)
    except BaseException:
        for p in (tmp, *(Path(f"{tmp}{s}") for s in ("-journal", "-wal", "-shm"))):
            with contextlib.suppress(OSError):
                p.unlink()
        raise
    fsync_dir(target.parent)


def _chmod(fd: int, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
