"""``parse_json`` skips its per-number hooks and its tree walk when cheap scans allow.

The shortcuts must never change a result: every document either parses to the same
value as a careful parse written here (number checks on every literal, a walk of
every string and container) or is refused by both.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.core.errors import InputError
from planner.io.safety.common import MAX_INT_DIGITS, MAX_JSON_DEPTH, parse_json

_LONE = re.compile("[\ud800-\udfff]")


def careful_parse(data: bytes, max_depth: int) -> Any | None:
    """The document, or None when the planner must refuse it (independent of the project)."""

    def bad_float(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise OverflowError
        return value

    def bad_int(text: str) -> int:
        if len(text.lstrip("-")) > MAX_INT_DIGITS:
            raise OverflowError
        return int(text)

    def bad_constant(_: str) -> None:
        raise OverflowError

    try:
        doc = json.loads(
            data.decode("utf-8-sig"),
            parse_float=bad_float,
            parse_int=bad_int,
            parse_constant=bad_constant,
        )
    except (ValueError, OverflowError, RecursionError):
        return None

    def ok(node: Any, depth: int) -> bool:
        if isinstance(node, str):
            return not _LONE.search(node)
        if isinstance(node, dict):
            return depth <= max_depth and all(
                not _LONE.search(k) and ok(v, depth + 1) for k, v in node.items()
            )
        if isinstance(node, list):
            return depth <= max_depth and all(ok(v, depth + 1) for v in node)
        return True

    return doc if ok(doc, 1) else None


def _nest(depth: int, leaf: str) -> str:
    return "[" * depth + leaf + "]" * depth


NUMBER_TEXTS = st.sampled_from(
    [
        "1e400", "-1E+400", "1e0400", "0.5e309", "1e308", "1e-400", "1.5e99", "-0",
        "9" * 20, "9" * 21, "-" + "9" * 21, "1" + "0" * 320 + ".5", "12.345678901234567890123",
    ]
)  # fmt: skip
STRING_TEXTS = st.sampled_from(
    [r'"\ud800"', r'"\uDFFF"', r'"\ud83d\ude00"', r'"\\ud800"', '"caf\u00e9"', '"e123"', '"x"']
)
LEAVES = st.one_of(
    NUMBER_TEXTS,
    STRING_TEXTS,
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[bytes, int]:
    leaves = draw(st.lists(LEAVES, min_size=1, max_size=6))
    depth = draw(st.integers(0, 6))
    key = draw(STRING_TEXTS)
    body = "[" + ", ".join(leaves) + "]"
    text = '{"features": ' + _nest(depth, body) + ", " + key + ": 1}"
    return text.encode("utf-8"), draw(st.integers(2, 9))


@settings(max_examples=300, deadline=None)
@given(documents())
def test_parse_json_agrees_with_a_careful_parse(case: tuple[bytes, int]) -> None:
    data, max_depth = case
    expected = careful_parse(data, max_depth)
    if expected is None:
        with pytest.raises(InputError):
            parse_json(data, "doc.json", max_depth=max_depth)
    else:
        got = parse_json(data, "doc.json", max_depth=max_depth)
        assert json.dumps(got) == json.dumps(expected)


@pytest.mark.parametrize(
    "text, what",
    [
        ('{"a": [1E+400]}', "overflows to infinity"),
        ('{"a": [-1e0400]}', "overflows to infinity"),
        ('{"a": [123456789012345678901]}', "21 digits"),
        ('{"a": ["ok", "\\uDFFF"]}', "lone surrogate"),
        ('{"\\ud800": 1}', "lone surrogate"),
        (_nest(MAX_JSON_DEPTH + 1, "1"), f"more than {MAX_JSON_DEPTH} levels"),
    ],
)
def test_each_refusal_survives_the_shortcuts(text: str, what: str) -> None:
    with pytest.raises(InputError, match=what):
        parse_json(text.encode(), "doc.json")


def test_nesting_at_the_limit_is_accepted() -> None:
    assert parse_json(_nest(MAX_JSON_DEPTH, "1").encode(), "doc.json") is not None
