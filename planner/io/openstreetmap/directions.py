"""Parse OSM camera direction tags (``camera:direction``, ``direction``).

Accepted forms, as used on ``man_made=surveillance`` nodes:

- degrees: ``"270"``, ``"45.5"``, ``"-90"`` (normalised into [0, 360));
- the 16 compass points ``N``, ``NNE``, ``NE`` ... ``NNW``, any case;
- a range ``"a-b"`` (degrees or compass points): the camera looks at the centre
  of the clockwise span from ``a`` to ``b``, and its field of view is widened by
  the span, so the cone covers at least the whole mapped range;
- ``;`` lists: one camera head per item (``"45;225"`` is two heads).

Anything else (missing, empty, ``"NB"``/``"northbound"`` travel directions, free
text) is *unknown*: ``heading_deg`` is ``None`` and the checker treats the camera
as a full disc (SPEC 4.1). An unreadable value is never turned into 0 (north).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_POINT_NAMES = "N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW".split()  # noqa: SIM905
#: The 16 compass points and their bearings (N = 0, NNE = 22.5, ...).
COMPASS_POINTS: dict[str, float] = {name: i * 22.5 for i, name in enumerate(_POINT_NAMES)}

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# A range: two numbers or compass points around a hyphen. A leading minus on the
# first number is a sign, so "-90" is a single degree value, not a range.
_RANGE = re.compile(
    r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)|[A-Za-z]{1,3})\s*-\s*"
    r"([+-]?(?:\d+(?:\.\d*)?|\.\d+)|[A-Za-z]{1,3})\s*"
)
_DEGREE_SUFFIX = re.compile(r"\s*(?:°|deg|degrees?)\s*$", re.IGNORECASE)
#: Heads of one camera: a pole carries a handful; more is a broken or hostile tag.
MAX_HEADS = 32


@dataclass(frozen=True)
class ParsedDirection:
    """One camera head: its heading (``None`` = unknown) and extra field of view."""

    heading_deg: float | None
    fov_extra_deg: float = 0.0

    @property
    def known(self) -> bool:
        return self.heading_deg is not None


UNKNOWN = ParsedDirection(heading_deg=None, fov_extra_deg=0.0)


def normalize_bearing(value: float) -> float:
    """Bring a bearing into [0, 360)."""
    out = math.fmod(value, 360.0)
    if out < 0:
        out += 360.0
    # fmod(-1e-17, 360) + 360 rounds to 360.0.
    return 0.0 if out >= 360.0 else out


def _single(text: str) -> float | None:
    text = _DEGREE_SUFFIX.sub("", text.strip())
    if not text:
        return None
    point = COMPASS_POINTS.get(text.upper())
    if point is not None:
        return point
    if _NUMBER.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return normalize_bearing(value)
    return None


def _one_head(text: str) -> ParsedDirection:
    value = _single(text)
    if value is not None:
        return ParsedDirection(heading_deg=value)
    match = _RANGE.fullmatch(text)
    if match is None:
        return UNKNOWN
    start, end = _single(match.group(1)), _single(match.group(2))
    if start is None or end is None:
        return UNKNOWN
    span = normalize_bearing(end - start)
    return ParsedDirection(heading_deg=normalize_bearing(start + span / 2.0), fov_extra_deg=span)


def parse_direction(raw: str | None) -> list[ParsedDirection]:
    """Parse a direction tag into one :class:`ParsedDirection` per camera head.

    Always returns at least one item; an unreadable value gives ``[UNKNOWN]``, and
    an unreadable item of a ``;`` list gives an unknown head for that item only.
    More than :data:`MAX_HEADS` items raise ``ValueError`` (the work per camera stays
    bounded: every head becomes a row).

    Examples
    --------
    >>> parse_direction("W")
    [ParsedDirection(heading_deg=270.0, fov_extra_deg=0.0)]
    >>> parse_direction("350-10")
    [ParsedDirection(heading_deg=0.0, fov_extra_deg=20.0)]
    """
    if raw is None:
        return [UNKNOWN]
    items = [p for p in str(raw).split(";", MAX_HEADS) if p.strip()]
    if not items:
        return [UNKNOWN]
    if len(items) > MAX_HEADS:
        msg = f"more than {MAX_HEADS} direction values (camera heads) in one tag"
        raise ValueError(msg)
    return [_one_head(p) for p in items]
