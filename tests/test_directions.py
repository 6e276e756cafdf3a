"""Camera direction tags: every accepted form, and unreadable ones never become 0."""

from __future__ import annotations

import math

import pytest

from planner.io.openstreetmap.directions import (
    COMPASS_POINTS,
    ParsedDirection,
    normalize_bearing,
    parse_direction,
)


@pytest.mark.parametrize(
    ("raw", "heading"),
    [
        ("270", 270.0),
        ("45.5", 45.5),
        ("0", 0.0),
        ("  90 ", 90.0),
        ("+15", 15.0),
        (".5", 0.5),
        ("90°", 90.0),
        ("-90", 270.0),
        ("-0.5", 359.5),
        ("360", 0.0),
        ("725", 5.0),
        ("-720", 0.0),
    ],
)
def test_degrees(raw: str, heading: float) -> None:
    [head] = parse_direction(raw)
    assert head.heading_deg == pytest.approx(heading)
    assert head.fov_extra_deg == 0.0
    assert 0.0 <= head.heading_deg < 360.0


@pytest.mark.parametrize(("name", "index"), [(n, i) for i, n in enumerate(COMPASS_POINTS)])
def test_sixteen_compass_points(name: str, index: int) -> None:
    for raw in (name, name.lower(), f" {name.title()} "):
        [head] = parse_direction(raw)
        assert head.heading_deg == pytest.approx(index * 22.5)


def test_compass_point_values() -> None:
    assert len(COMPASS_POINTS) == 16
    assert parse_direction("W") == [ParsedDirection(270.0, 0.0)]
    assert parse_direction("sse") == [ParsedDirection(157.5, 0.0)]


@pytest.mark.parametrize(
    ("raw", "heading", "extra"),
    [
        ("0-90", 45.0, 90.0),
        ("350-10", 0.0, 20.0),  # wraps through north
        ("10-350", 180.0, 340.0),  # clockwise from 10 to 350
        ("90 - 180", 135.0, 90.0),
        ("N-E", 45.0, 90.0),
        ("NW-NE", 0.0, 90.0),
        ("270-270", 270.0, 0.0),
    ],
)
def test_ranges(raw: str, heading: float, extra: float) -> None:
    [head] = parse_direction(raw)
    assert head.heading_deg == pytest.approx(heading)
    assert head.fov_extra_deg == pytest.approx(extra)


@pytest.mark.parametrize(
    ("raw", "headings"),
    [
        ("45;225", [45.0, 225.0]),
        ("225; 45", [225.0, 45.0]),
        ("N;S;E", [0.0, 180.0, 90.0]),
        ("0-90;180", [45.0, 180.0]),
        ("90;NB", [90.0, None]),  # only the unreadable head is unknown
        ("90;", [90.0]),
    ],
)
def test_lists_give_one_head_each(raw: str, headings: list[float | None]) -> None:
    heads = parse_direction(raw)
    assert [h.heading_deg for h in heads] == headings


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", ";", "NB", "northbound", "Flock Raven", "nan", "inf", "1e3", "-", "5-",
     "abc-def", "N/A", "forward", "12,5"],
)  # fmt: skip
def test_unreadable_is_unknown_never_zero(raw: str | None) -> None:
    heads = parse_direction(raw)
    assert heads == [ParsedDirection(None, 0.0)]
    assert heads[0].heading_deg is None
    assert not heads[0].known


def test_normalize_bearing_edges() -> None:
    assert normalize_bearing(-1e-17) == 0.0
    assert normalize_bearing(359.999) == pytest.approx(359.999)
    assert math.isclose(normalize_bearing(-360.5), 359.5)
