"""Shared helpers for readers: bounded reads, JSON with positions, number checks."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from planner.core.errors import InputError

#: Larger inputs are refused rather than read into memory (SPEC 7: oversized files).
MAX_JSON_BYTES = 256 * 1024 * 1024


class NotRegularFileError(OSError):
    """The path names a folder, pipe, socket or device, not a file."""


def read_regular(path: str | os.PathLike[str], *, max_bytes: int) -> bytes:
    """Up to ``max_bytes + 1`` bytes of a regular file, without blocking on a pipe.

    The file is opened non-blocking and checked with ``fstat`` on the open
    descriptor, so a FIFO (or a file swapped for one between a check and the open)
    never hangs the reader, and a device is never read. One byte past the limit is
    read so the caller can refuse a file that grew.

    Raises
    ------
    FileNotFoundError
        When there is nothing at ``path`` (or a link to nothing).
    NotRegularFileError
        When ``path`` is a folder, pipe, socket or device.
    OSError
        Any other failure to open or read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise NotRegularFileError("is a folder, not a file") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "a pipe, socket or device"
            raise NotRegularFileError(f"is {what}, not a regular file")
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            return fh.read(max_bytes + 1)
    finally:
        if fd >= 0:
            os.close(fd)


def read_bytes_checked(path: str | Path, *, max_bytes: int = MAX_JSON_BYTES) -> bytes:
    """Read a whole file, refusing missing, empty and oversized files with an InputError."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise InputError(p, "", "file not found") from None
    except OSError as exc:
        raise InputError(p, "", f"cannot read: {exc.strerror or exc}") from None
    if p.is_dir():
        raise InputError(p, "", "is a folder, not a file")
    if not p.is_file():
        raise InputError(p, "", "is not a regular file (a device, pipe or socket)")
    if size == 0:
        raise InputError(p, "", "file is empty")
    if size > max_bytes:
        msg = f"file is too large ({size:,} bytes; the limit is {max_bytes:,} bytes)"
        raise InputError(p, "", msg)
    try:
        with p.open("rb") as fh:
            # One byte past the limit: a file that grows after stat is still refused.
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(p, "", f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(p, "", f"file is too large (the limit is {max_bytes:,} bytes)")
    return data


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _reject_constant(name: str) -> float:
    # JSON has no NaN or Infinity; Python's json accepts them unless told not to.
    msg = f"non-finite number {name} is not allowed"
    raise ValueError(msg)


class _NumberError(ValueError):
    """A number the JSON grammar allows but the planner cannot hold (1e400, 10**400)."""


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e400 is valid JSON but overflows to infinity; a plan holding it could
        # never be saved again (json.dumps refuses non-finite numbers).
        msg = f"number {text[:40]} is too large (it overflows to infinity)"
        raise _NumberError(msg)
    return value


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        msg = f"integer with {digits} digits is too large (at most {MAX_INT_DIGITS} digits)"
        raise _NumberError(msg)
    return int(text)


# A JSON string (skipped) or one of the non-standard constants Python's json accepts.
_CONSTANT_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN')
# A JSON string (skipped) or a number literal.
_NUMBER_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?')


def _line_col(text: str, start: int) -> str:
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return f"line {line}, column {column}"


def _constant_position(text: str) -> str:
    """``line L, column C`` of the first NaN/Infinity literal outside strings, or ``""``."""
    for match in _CONSTANT_TOKEN.finditer(text):
        if not match.group().startswith('"'):
            return _line_col(text, match.start())
    return ""


def _number_position(text: str) -> str:
    """``line L, column C`` of the first number literal the planner cannot hold, or ``""``."""
    for match in _NUMBER_TOKEN.finditer(text):
        token = match.group()
        if token.startswith('"'):
            continue
        try:
            if any(c in token for c in ".eE"):
                _parse_float(token)
            else:
                _parse_int(token)
        except _NumberError:
            return _line_col(text, match.start())
    return ""


#: Deeper nesting than this is refused: no planner file needs more than a handful
#: of levels, and deep trees exhaust the stack of every recursive consumer later on.
MAX_JSON_DEPTH = 64
#: Integers longer than this are refused; ids and counts fit easily (2**63 has 19).
MAX_INT_DIGITS = 20

_SURROGATE = re.compile("[\ud800-\udfff]")
# Cheap tests on the raw bytes; a match (even inside a string) only means the
# careful path runs.
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
# Digits to "0", "E" to "e", "-" to "+": a number that can overflow then shows as
# 21 zeros in a row or a 3-digit exponent ("e000", "e+000"). (``bytes.translate``
# and ``in`` run at memory speed; a regex costs 0.3 s on a 50,000-camera plan.)
_NUMBER_SHAPE = bytes.maketrans(b"123456789E-", b"000000000e+")


def _may_hold_big_number(data: bytes) -> bool:
    shape = data.translate(_NUMBER_SHAPE)
    return b"0" * (MAX_INT_DIGITS + 1) in shape or b"e000" in shape or b"e+000" in shape


def _where_path(parts: list[str | int]) -> str:
    out = ""
    for part in parts[:6]:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    if len(parts) > 6:
        out += f"... ({len(parts)} levels)"
    return out or "top level"


def check_tree(data: Any, path: str | Path, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse nesting deeper than ``max_depth`` and lone surrogates in any string.

    Iterative, so a hostile document cannot exhaust the stack here.
    """
    stack: list[tuple[Any, int, list[str | int]]] = [(data, 1, [])]
    while stack:
        node, depth, parts = stack.pop()
        if isinstance(node, str):
            if not node.isascii() and _SURROGATE.search(node):
                raise InputError(
                    path, _where_path(parts), "text holds a lone surrogate (not Unicode)"
                )
            continue
        if isinstance(node, dict):
            items: Any = node.items()
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            continue
        if depth > max_depth:
            raise InputError(path, _where_path(parts), f"nested more than {max_depth} levels deep")
        for key, value in items:
            if isinstance(key, str) and not key.isascii() and _SURROGATE.search(key):
                raise InputError(
                    path, _where_path(parts), "a key holds a lone surrogate (not Unicode)"
                )
            if isinstance(value, dict | list) or (isinstance(value, str) and not value.isascii()):
                stack.append(
                    (value, depth + 1, [*parts, key if isinstance(key, int) else str(key)])
                )


def _json_reason(exc: json.JSONDecodeError) -> str:
    """The decoder's reason as a whole phrase, saying when the file ends too early.

    ``json`` words some reasons to be followed by its own position ("Unterminated
    string starting at"); the position is already in ``where``, so the dangling
    words go.
    """
    reason = exc.msg.removesuffix(" at").removesuffix(" starting")
    if not exc.doc[exc.pos :].strip() or exc.msg.startswith("Unterminated"):
        reason += " (the file ends too early: is it cut off?)"
    return reason


def parse_json(data: bytes, path: str | Path, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON, reporting bad encoding or syntax with line and column.

    Beyond the JSON grammar, refuses what would break the planner later: numbers
    that overflow (``1e400``, integers of more than :data:`MAX_INT_DIGITS` digits),
    nesting deeper than ``max_depth`` and lone surrogates (``"\\ud800"``).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"byte {exc.start}", "not UTF-8 text") from None
    # The number hooks cost a Python call per number (a 50,000-camera plan holds
    # 200,000); only a literal with 21 digits in a row or a 3-digit exponent can
    # overflow, so text without one is parsed with ``json``'s own number parsing,
    # which gives the same values.
    hooks: dict[str, Any] = {}
    if _may_hold_big_number(data):
        hooks = {"parse_float": _parse_float, "parse_int": _parse_int}
    try:
        doc = json.loads(text, parse_constant=_reject_constant, **hooks)
    except json.JSONDecodeError as exc:
        raise InputError(
            path, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {_json_reason(exc)}"
        ) from None
    except _NumberError as exc:
        raise InputError(path, _number_position(text), f"invalid JSON: {exc}") from None
    except ValueError as exc:
        raise InputError(path, _constant_position(text), f"invalid JSON: {exc}") from None
    except RecursionError:
        msg = f"invalid JSON: nested more than {max_depth} levels deep"
        raise InputError(path, "", msg) from None
    # The full walk (which also names where a fault is) runs only when the cheap
    # tests cannot clear the document: a lone surrogate can only come from a
    # ``\\uD800``-``\\uDFFF`` escape, as the text itself passed strict UTF-8 decoding.
    if _MAYBE_SURROGATE.search(data) or _deeper_than(doc, max_depth):
        check_tree(doc, path, max_depth=max_depth)
    return doc


def _deeper_than(doc: Any, max_depth: int) -> bool:
    """Whether a document from ``json.loads`` nests containers deeper than ``max_depth``."""
    level = [doc] if type(doc) is dict or type(doc) is list else []
    depth = 1
    while level:
        if depth > max_depth:
            return True
        below: list[Any] = []
        for node in level:
            values = node.values() if type(node) is dict else node
            below.extend([v for v in values if type(v) is dict or type(v) is list])
        level = below
        depth += 1
    return False


def is_number(value: Any) -> bool:
    """A real JSON number: not a bool, not NaN or infinite."""
    kind = type(value)
    if kind is float or kind is int:  # the common cases first: plans hold many numbers
        return math.isfinite(value)
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_lonlat(lon: Any, lat: Any, path: str | Path, where: str) -> tuple[float, float]:
    if not is_number(lon) or not is_number(lat):
        raise InputError(path, where, f"coordinates must be finite numbers, got [{lon!r}, {lat!r}]")
    if not -180.0 <= lon <= 180.0:
        raise InputError(path, where, f"longitude must be in [-180, 180], got {lon}")
    if not -90.0 <= lat <= 90.0:
        raise InputError(path, where, f"latitude must be in [-90, 90], got {lat}")
    return float(lon), float(lat)


def parse_json_cell(text: str, path: str | Path, where: str) -> Any:
    """Parse JSON text stored in a table cell (pack metadata, tags) as strictly as a file.

    Errors name ``where`` (the layer and row) before the position inside the text.
    """
    try:
        return parse_json(text.encode("utf-8", "surrogatepass"), path)
    except InputError as exc:
        inner = f" ({exc.where})" if exc.where else ""
        raise InputError(path, f"{where}{inner}", exc.what) from None
