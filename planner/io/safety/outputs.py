"""Where a command may write: never over one of its own inputs, never over a device.

``check P --output P`` must not replace the plan with the report, an import must not
write its pack or plan over a source, and ``--output /dev/null`` must write to the
device, not replace it with a regular file (as root that would replace the real
``/dev/null``). The same file is recognised by resolved path and by device and
inode, so links and ``./``/``..`` spellings are caught.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from planner.core.errors import InputError
from planner.io.safety.atomic import atomic_output, atomic_write_bytes


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` name the same file (path after resolving, or inode)."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.resolve() == pb.resolve():
            return True
    except (OSError, RuntimeError):  # a symlink loop
        pass
    try:
        return pa.samefile(pb)
    except (OSError, ValueError):
        return False


def refuse_output_over_inputs(
    output: str | os.PathLike[str],
    inputs: Iterable[tuple[str, str | os.PathLike[str] | None]],
    *,
    option: str,
) -> None:
    """Raise :class:`InputError` when ``output`` is the same file as any input.

    Parameters
    ----------
    output
        The file the command will write.
    inputs
        ``(what, path)`` for every file the command reads (``None`` paths skipped),
        e.g. ``("the plan", "a.plan.geojson")``.
    option
        How the output was given (``--output``), for the message.
    """
    for what, path in inputs:
        if path is None:
            continue
        if same_file(output, path):
            msg = (
                f"{option} is {what} ({path}); writing there would destroy an input, "
                "so choose another file name"
            )
            raise InputError(output, "", msg)


def is_stream(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a character device, FIFO or socket (written as a stream)."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def write_output_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a command's output: atomically to a file, as a stream to a device or pipe.

    Raises
    ------
    InputError
        When ``path`` is a folder or another kind of file that must not be replaced,
        or cannot be written.
    """
    target = Path(path)
    try:
        if is_stream(target):
            with target.open("wb") as fh:
                fh.write(data)
            return
        atomic_write_bytes(target, data)
    except InputError:
        raise
    except OSError as exc:
        raise InputError(target, "", cannot_write(exc, target)) from None


def write_output_text(path: str | os.PathLike[str], text: str) -> None:
    """:func:`write_output_bytes` of ``text`` in UTF-8."""
    write_output_bytes(path, text.encode("utf-8"))


def cannot_write(exc: OSError, target: str | os.PathLike[str] | None = None) -> str:
    """The one-line reason a write failed, saying that an existing file is kept."""
    why = exc.strerror or str(exc) or type(exc).__name__
    kept = (
        "; the existing file was left as it was"
        if target is not None and Path(target).exists()
        else ""
    )
    return f"cannot write: {why}{kept}"


def write_output_file(
    path: str | os.PathLike[str],
    write: Callable[[Path], object],
    *,
    suffix: str = ".tmp",
    verify: Callable[[Path], None] | None = None,
) -> object:
    """Run ``write(temporary)`` and install the result over ``path`` only if it is good.

    For writers that need a file name (Qt's PDF and image writers, GDAL): see
    :func:`planner.io.safety.atomic.atomic_output`. Returns what ``write`` returned.

    Raises
    ------
    InputError
        One line saying why nothing was written (read-only folder, full disk, a
        name too long, a failed check); the old file, if any, is untouched.
    """
    target = Path(path)
    try:
        with atomic_output(target, suffix=suffix, verify=verify) as tmp:
            return write(tmp)
    except InputError:
        raise
    except OSError as exc:
        raise InputError(target, "", cannot_write(exc, target)) from None


def verify_pdf(path: Path) -> None:
    """Raise :class:`OSError` unless ``path`` starts and ends as a whole PDF does."""
    with path.open("rb") as fh:
        head = fh.read(5)
        fh.seek(max(0, path.stat().st_size - 1024))
        tail = fh.read()
    if head != b"%PDF-" or b"%%EOF" not in tail:
        msg = "the PDF came out incomplete (is the disk full?)"
        raise OSError(msg)


def verify_png(path: Path) -> None:
    """Raise :class:`OSError` unless ``path`` is a PNG that ends with its IEND chunk."""
    with path.open("rb") as fh:
        head = fh.read(8)
        fh.seek(max(0, path.stat().st_size - 12))
        tail = fh.read()
    if head != b"\x89PNG\r\n\x1a\n" or b"IEND" not in tail:
        msg = "the PNG came out incomplete (is the disk full?)"
        raise OSError(msg)
