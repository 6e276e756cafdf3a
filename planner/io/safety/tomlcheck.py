"""Reading small TOML settings files (policies, the camera catalogue) strictly.

Everything here turns bad input into an :class:`~planner.core.errors.InputError`
that names the file, the place (``line 3, column 5`` or a dotted key such as
``categories.place_of_worship.action``) and what is wrong. Settings files decide
what the checker blocks, so a typo must stop the program rather than silently
fall back to a default.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from planner.core.errors import InputError

#: Settings files are hand-written and tiny; anything bigger is the wrong file.
MAX_BYTES = 1024 * 1024

_LOCATION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def read_toml(path: str | Path, *, kind: str) -> tuple[dict[str, Any], bytes]:
    """Read and parse a TOML file, refusing empty, oversized or malformed files.

    Parameters
    ----------
    path
        The file to read.
    kind
        What the file should be (``"policy"``, ``"camera catalogue"``), for messages.

    Returns
    -------
    tuple
        The parsed document and the file's raw bytes (for hashing).

    Raises
    ------
    InputError
        When the file cannot be read, is empty, is larger than :data:`MAX_BYTES`,
        is not UTF-8 or is not valid TOML.
    """
    path = Path(path)
    raw = _read_bytes(path, kind)
    data = _parse(path, raw, kind)
    check_values(data, str(path))
    return data, raw


def _read_bytes(path: Path, kind: str) -> bytes:
    """The file's bytes: a regular file, not empty, at most :data:`MAX_BYTES`."""
    from planner.io.safety.common import NotRegularFileError, read_regular

    try:
        # Never blocks on a pipe; one byte past the limit so a growing file is refused.
        raw = read_regular(path, max_bytes=MAX_BYTES)
    except FileNotFoundError:
        msg = f"{kind} file not found"
        raise InputError(path, "", msg) from None
    except NotRegularFileError as exc:
        msg = f"{exc}; a {kind} file is expected"
        raise InputError(path, "", msg) from None
    except OSError as exc:
        msg = f"cannot read the {kind} file: {exc.strerror or exc}"
        raise InputError(path, "", msg) from None
    if len(raw) > MAX_BYTES:
        msg = f"file is larger than {MAX_BYTES // 1024} KiB; this is not a {kind} file"
        raise InputError(path, "", msg)
    if not raw.strip():
        msg = f"file is empty; a {kind} file is expected"
        raise InputError(path, "", msg)
    return raw


def _parse(path: Path, raw: bytes, kind: str) -> dict[str, Any]:
    """``raw`` decoded as UTF-8 (a BOM allowed) and parsed as TOML."""
    try:
        # utf-8-sig: Windows editors on city workstations like to add a BOM.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        msg = "not UTF-8 text (TOML files must be UTF-8)"
        raise InputError(path, f"line {line}", msg) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where, what = split_toml_error(str(exc))
        msg = f"not valid TOML: {what}"
        raise InputError(path, where, msg) from None
    except RecursionError:
        msg = f"not valid TOML: nested too deeply (a {kind} file has a few levels)"
        raise InputError(path, "", msg) from None
    except ValueError as exc:
        # tomllib lets int()'s own limit through: an integer of 4,300+ digits.
        msg = f"not valid TOML: {str(exc).splitlines()[0]}"
        raise InputError(path, "", msg) from None


#: Settings files nest a few tables deep; deeper is refused before anything recurses.
MAX_DEPTH = 16
#: Integers longer than this are refused (no setting needs more).
MAX_INT_DIGITS = 15


def check_values(data: Mapping[str, Any], file: str) -> None:
    """Refuse nesting past :data:`MAX_DEPTH`, huge integers and infinite/NaN floats.

    Runs over the whole document, unknown keys included, so nothing that could
    break a later step (``float(10**400)`` overflows) reaches one.
    """
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, Mapping):
            items: Any = ((f"{where}.{k}" if where else str(k), v) for k, v in node.items())
        elif isinstance(node, list):
            items = ((f"{where}[{i}]", v) for i, v in enumerate(node))
        else:
            if isinstance(node, int) and not isinstance(node, bool):
                if len(str(abs(node))) > MAX_INT_DIGITS:
                    msg = f"integer is too large (more than {MAX_INT_DIGITS} digits)"
                    raise InputError(file, where, msg)
            elif isinstance(node, float) and not math.isfinite(node):
                msg = f"must be a finite number, not {node}"
                raise InputError(file, where, msg)
            continue
        if depth > MAX_DEPTH:
            raise InputError(file, where, f"nested more than {MAX_DEPTH} levels deep")
        for key, value in items:
            stack.append((value, depth + 1, key))


def split_toml_error(message: str) -> tuple[str, str]:
    """Split a :class:`tomllib.TOMLDecodeError` message into ``(where, what)``.

    Python 3.11's decoder only puts the position inside the message text,
    ``"... (at line 3, column 5)"``; there are no ``lineno``/``colno`` attributes.
    """
    m = _LOCATION.search(message)
    if m:
        return f"line {m.group(1)}, column {m.group(2)}", message[: m.start()]
    m = _AT_END.search(message)
    if m:
        return "end of file", message[: m.start()]
    return "", message


def describe(value: Any) -> str:
    """A TOML-ish name for the type of ``value``, for messages."""
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, dt.datetime):
        return f"a date-time ({value.isoformat()})"
    if isinstance(value, dt.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, dt.time):
        return f"a time ({value.isoformat()})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


class Table:
    """A TOML table read strictly: every access checks type and range.

    ``prefix`` is the dotted path of the table in the file (``""`` at the top
    level), so errors can say ``categories.consulate.action``.
    """

    def __init__(self, file: str, data: Mapping[str, Any], *, prefix: str = "") -> None:
        self.file = file
        self.data = data
        self.prefix = prefix

    def where(self, key: str) -> str:
        """The dotted place of ``key`` in the file."""
        return f"{self.prefix}.{key}" if self.prefix else key

    def error(self, key: str, what: str) -> InputError:
        return InputError(self.file, self.where(key), what)

    def reject_unknown(self, allowed: Collection[str]) -> None:
        """Raise for the first key not in ``allowed``, suggesting the nearest one."""
        for key in self.data:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(allowed))
            msg = f"unknown key {key!r}{hint} (known keys: {known})"
            raise self.error(key, msg)

    def require(self, key: str, what: str) -> None:
        if key not in self.data:
            msg = f"missing; {what}"
            raise self.error(key, msg)

    def string(
        self, key: str, *, required: bool = False, default: str = "", allow_empty: bool = False
    ) -> str:
        """A string value; strips surrounding white space."""
        if key not in self.data:
            if required:
                msg = "missing (a string is required)"
                raise self.error(key, msg)
            return default
        value = self.data[key]
        if not isinstance(value, str):
            hint = " (put it in quotes)" if isinstance(value, dt.date | dt.time) else ""
            msg = f"must be a string, not {describe(value)}{hint}"
            raise self.error(key, msg)
        value = value.strip()
        if not value and not allow_empty:
            msg = "must not be empty"
            raise self.error(key, msg)
        return value

    def number(
        self,
        key: str,
        *,
        required: bool = False,
        default: float | None = None,
        minimum: float | None = None,
        exclusive_minimum: bool = False,
        maximum: float | None = None,
        unit: str = "",
    ) -> float | None:
        """A finite number (integer or float, never a boolean) within bounds."""
        if key not in self.data:
            if required:
                msg = "missing (a number is required)"
                raise self.error(key, msg)
            return default
        value = self.data[key]
        # bool is a subclass of int in Python; `true` is not a distance.
        if isinstance(value, bool) or not isinstance(value, int | float):
            msg = f"must be a number, not {describe(value)}"
            raise self.error(key, msg)
        number = float(value)
        if not math.isfinite(number):
            msg = f"must be a finite number, not {value}"
            raise self.error(key, msg)
        suffix = f" {unit}" if unit else ""
        if minimum is not None:
            if exclusive_minimum and number <= minimum:
                msg = f"must be greater than {minimum:g}{suffix}, not {value}"
                raise self.error(key, msg)
            if not exclusive_minimum and number < minimum:
                msg = f"must be at least {minimum:g}{suffix}, not {value}"
                raise self.error(key, msg)
        if maximum is not None and number > maximum:
            msg = f"must be at most {maximum:g}{suffix}, not {value}"
            raise self.error(key, msg)
        return number

    def required_number(self, key: str, **bounds: Any) -> float:
        """Like :meth:`number` with ``required=True``, typed as never ``None``."""
        value = self.number(key, required=True, **bounds)
        if value is None:  # number() already raised for a missing key
            msg = "missing (a number is required)"
            raise self.error(key, msg)
        return value

    def choice(self, key: str, choices: Collection[str], *, default: str | None = None) -> str:
        """A string that must be one of ``choices``."""
        value = self.string(key, required=default is None, default=default or "")
        if value not in choices:
            options = ", ".join(repr(c) for c in choices)
            msg = f"unknown value {value!r}; use one of {options}"
            raise self.error(key, msg)
        return value

    def string_list(
        self, key: str, *, pattern: re.Pattern[str] | None = None, pattern_hint: str = ""
    ) -> tuple[str, ...]:
        """An array of non-empty strings; duplicates are dropped, order kept."""
        if key not in self.data:
            return ()
        value = self.data[key]
        if not isinstance(value, list):
            msg = f"must be an array of strings, not {describe(value)}"
            raise self.error(key, msg)
        out: dict[str, None] = {}
        for i, item in enumerate(value):
            where = f"{self.where(key)}[{i}]"
            if not isinstance(item, str):
                msg = f"must be a string, not {describe(item)}"
                raise InputError(self.file, where, msg)
            item = item.strip()
            if not item:
                msg = "must not be empty"
                raise InputError(self.file, where, msg)
            if pattern is not None and not pattern.fullmatch(item):
                msg = f"{item!r} is not a valid name{pattern_hint}"
                raise InputError(self.file, where, msg)
            out[item] = None
        return tuple(out)

    def table(self, key: str) -> Table | None:
        """A sub-table, or ``None`` when absent."""
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, Mapping):
            msg = f"must be a table, not {describe(value)}"
            raise self.error(key, msg)
        return Table(self.file, value, prefix=self.where(key))

    def require_table(self, key: str, *, what: str = "") -> Table:
        """A sub-table that must be present."""
        table = self.table(key)
        if table is None:
            msg = f"missing{'; ' + what if what else ''}"
            raise self.error(key, msg)
        return table

    def sub_tables(self) -> list[tuple[str, Table]]:
        """Every entry of this table, each of which must itself be a table."""
        out = []
        for key, value in self.data.items():
            if not key.strip() or key != key.strip():
                msg = "table names must not be empty or start or end with white space"
                raise self.error(repr(key), msg)
            if not isinstance(value, Mapping):
                msg = f"must be a table ([{self.where(key)}]), not {describe(value)}"
                raise self.error(key, msg)
            out.append((key, Table(self.file, value, prefix=self.where(key))))
        return out
