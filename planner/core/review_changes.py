"""The change list since the last review (SPEC 8): cameras added, removed, moved, re-aimed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from planner.core.review import CameraSnapshot
from planner.core.review_canonical import canonical_value

#: A position change below this many metres is rounding, not a move.
MOVE_TOLERANCE_M = 0.01
#: A heading change below this many degrees is rounding, not a re-aim.
AIM_TOLERANCE_DEG = 1e-6
_EARTH_RADIUS_M = 6_371_008.8


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"
    REAIMED = "re-aimed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Change:
    """How one camera differs from the last review."""

    camera_id: str
    kinds: tuple[ChangeKind, ...]
    moved_m: float = 0.0
    reaimed_deg: float = 0.0
    fields: tuple[str, ...] = ()  # other properties that changed

    def describe(self) -> str:
        """Plain words, e.g. ``moved 12.3 m, re-aimed 40°``."""
        parts = []
        for kind in self.kinds:
            if kind is ChangeKind.MOVED:
                parts.append(f"moved {self.moved_m:.1f} m")
            elif kind is ChangeKind.REAIMED:
                parts.append(
                    f"re-aimed {self.reaimed_deg:.0f}°"
                    if self.reaimed_deg
                    else "heading set or cleared"
                )
            elif kind is ChangeKind.CHANGED:
                parts.append("changed " + ", ".join(self.fields) if self.fields else "changed")
            else:
                parts.append(str(kind))
        return ", ".join(parts)


def ground_distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine; well under 1 cm error at street scale)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def heading_change(a: float | None, b: float | None) -> float | None:
    """Smallest turn in degrees from ``a`` to ``b``; None when neither is known, 0 if equal."""
    if a is None and b is None:
        return 0.0
    if a is None or b is None:
        return None
    return abs((b - a + 180.0) % 360.0 - 180.0)


def changes_since(
    previous: Sequence[CameraSnapshot], current: Sequence[CameraSnapshot]
) -> list[Change]:
    """Cameras added, removed, moved, re-aimed or otherwise changed, sorted by id."""
    before = {c.id: c for c in previous}
    now = {c.id: c for c in current}
    out: list[Change] = []
    for cid in sorted(set(before) | set(now)):
        old, new = before.get(cid), now.get(cid)
        if old is None:
            out.append(Change(cid, (ChangeKind.ADDED,)))
            continue
        if new is None:
            out.append(Change(cid, (ChangeKind.REMOVED,)))
            continue
        if old.sha256 == new.sha256:
            continue
        kinds: list[ChangeKind] = []
        moved = ground_distance_m(old.lon, old.lat, new.lon, new.lat)
        if moved >= MOVE_TOLERANCE_M:
            kinds.append(ChangeKind.MOVED)
        turn = heading_change(old.heading_deg, new.heading_deg)
        if turn is None or turn > AIM_TOLERANCE_DEG:
            kinds.append(ChangeKind.REAIMED)
        keys = set(old.properties) | set(new.properties)
        fields = tuple(
            sorted(
                k
                for k in keys - {"heading_deg"}
                if canonical_value(old.properties.get(k)) != canonical_value(new.properties.get(k))
            )
        )
        if fields or not kinds:
            kinds.append(ChangeKind.CHANGED)
        out.append(
            Change(
                cid,
                tuple(kinds),
                moved_m=moved if ChangeKind.MOVED in kinds else 0.0,
                reaimed_deg=turn or 0.0,
                fields=fields,
            )
        )
    return out
