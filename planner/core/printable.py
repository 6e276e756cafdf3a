"""Make text from input files safe to print on a terminal or in a one-line log.

Site names, camera ids and file names come from files other departments send. Printed
raw, an escape sequence could retitle or clear the terminal, a newline could forge a
report line or a second ``error:`` line, and a bidi override could make a line read
differently from what it says. Everything the planner prints goes through
:func:`printable`; JSON output through :func:`json_printable`.
"""

from __future__ import annotations

import re

# C0 controls (tab included: it would shift report columns), DEL, C1 controls, the
# Unicode line and paragraph separators, bidi embeddings/overrides/isolates and marks,
# zero-width characters and the BOM, and lone surrogates (not encodable as UTF-8).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)
# Inside JSON strings json.dumps already escapes C0; the rest is valid JSON raw but
# not safe on a terminal.
_UNSAFE_JSON = re.compile(
    "[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control, bidi and separator character written as an escape.

    The result is one line that shows exactly what the file holds, e.g.
    ``"St. Mary\\e]0;pwned\\x07"``.

    Examples
    --------
    >>> printable("BLOCK\\nC-9")
    'BLOCK\\\\nC-9'
    """
    return _UNSAFE.sub(_escape, str(text))


def _escape_json(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_printable(text: str) -> str:
    """JSON text from ``json.dumps(..., ensure_ascii=False)`` made terminal-safe.

    The characters escaped can only occur inside JSON strings, where ``\\uXXXX`` means
    the same character, so the document parses to the same value.
    """
    return _UNSAFE_JSON.sub(_escape_json, text)
