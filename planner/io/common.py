"""Shared helpers for readers: bounded reads, JSON with positions, number checks."""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

from planner.core.errors import InputError

#: Larger inputs are refused rather than read into memory (SPEC 7: oversized files).
MAX_JSON_BYTES = 256 * 1024 * 1024


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
    if size == 0:
        raise InputError(p, "", "file is empty")
    if size > max_bytes:
        msg = f"file is too large ({size:,} bytes; the limit is {max_bytes:,} bytes)"
        raise InputError(p, "", msg)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(p, "", f"cannot read: {exc.strerror or exc}") from None


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


# A JSON string (skipped) or one of the non-standard constants Python's json accepts.
_CONSTANT_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN')


def _constant_position(text: str) -> str:
    """``line L, column C`` of the first NaN/Infinity literal outside strings, or ``""``."""
    for match in _CONSTANT_TOKEN.finditer(text):
        if not match.group().startswith('"'):
            start = match.start()
            line = text.count("\n", 0, start) + 1
            column = start - (text.rfind("\n", 0, start) + 1) + 1
            return f"line {line}, column {column}"
    return ""


def parse_json(data: bytes, path: str | Path) -> Any:
    """Parse JSON, reporting bad encoding or syntax with line and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"byte {exc.start}", "not UTF-8 text") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(
            path, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise InputError(path, _constant_position(text), f"invalid JSON: {exc}") from None


def is_number(value: Any) -> bool:
    """A real JSON number: not a bool, not NaN or infinite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_lonlat(lon: Any, lat: Any, path: str | Path, where: str) -> tuple[float, float]:
    if not is_number(lon) or not is_number(lat):
        raise InputError(path, where, f"coordinates must be finite numbers, got [{lon!r}, {lat!r}]")
    if not -180.0 <= lon <= 180.0:
        raise InputError(path, where, f"longitude must be in [-180, 180], got {lon}")
    if not -90.0 <= lat <= 90.0:
        raise InputError(path, where, f"latitude must be in [-90, 90], got {lat}")
    return float(lon), float(lat)
