"""Where notice signs go (San José ALPR Data Usage Protocol §6).

Signs stand at "designated intersections" near each camera, and entry signs where
streets cross the city limits. Both are computed from the street network in
projected metres:

- an **intersection** is a street node where streets of at least two different
  names meet (a node inside one street, or an overpass, is none);
- a **boundary crossing** is a point where a named street crosses the city-limits
  line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

#: Street end points closer than this (metres) are one node when the layer has no node ids.
NODE_SNAP_M = 0.5
COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")


def compass(bearing_deg: float) -> str:
    """Eight-point compass word of a bearing (0 = north, clockwise)."""
    return COMPASS[round((bearing_deg % 360.0) / 45.0) % 8]


@dataclass(frozen=True, slots=True)
class Intersection:
    """A street node where differently named streets meet, in projected metres."""

    x: float
    y: float
    names: tuple[str, ...]  # sorted

    @property
    def label(self) -> str:
        return " & ".join(self.names)


@dataclass(frozen=True, slots=True)
class NearIntersection:
    intersection: Intersection
    distance_m: float
    bearing_deg: float

    def describe(self) -> str:
        return f"{self.intersection.label}, {self.distance_m:.0f} m {compass(self.bearing_deg)}"


@dataclass(frozen=True, slots=True)
class Crossing:
    """A street crossing a boundary line."""

    x: float
    y: float
    name: str


def street_names(name: object) -> tuple[str, ...]:
    """The distinct street names of one street's name value, in their order.

    OSM joins several names of one way with ``;`` ("East Saint John Street;North 8th
    Street") and osmnx merges the names of merged edges into lists: both are split,
    whitespace is normalised and repeats are dropped.
    """
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return ()
    parts = name if isinstance(name, list | tuple) else [name]
    out: list[str] = []
    for part in parts:
        if part is None or (isinstance(part, float) and math.isnan(part)):
            continue
        for piece in str(part).split(";"):
            clean = " ".join(piece.split())
            if clean and clean not in out:
                out.append(clean)
    return tuple(out)


def _clean(name: object) -> str:
    return " / ".join(street_names(name))


def intersections(
    lines: Sequence[BaseGeometry] | np.ndarray,
    names: Sequence[object],
) -> list[Intersection]:
    """Every node where streets of two or more distinct names meet.

    Nodes are street end points (an OSM/osmnx edge runs node to node), snapped to
    :data:`NODE_SNAP_M` so the two ends of touching edges are one node. A street with
    several names ("A;B") is one street: its own nodes are no intersection, but where
    it meets "B" alone, "A" and "B" meet.
    """
    lines = np.asarray(lines, dtype=object)
    nodes: dict[tuple[int, int], tuple[list[float], set[tuple[str, ...]]]] = {}
    for geom, raw in zip(lines, names, strict=True):
        if geom is None or geom.is_empty:
            continue
        names_here = street_names(raw)
        for part in shapely.get_parts(geom):
            coords = shapely.get_coordinates(part)
            if len(coords) < 2:
                continue
            for x, y in (coords[0], coords[-1]):
                key = (round(x / NODE_SNAP_M), round(y / NODE_SNAP_M))
                entry = nodes.setdefault(key, ([0.0, 0.0, 0.0], set()))
                entry[0][0] += x
                entry[0][1] += y
                entry[0][2] += 1
                if names_here:
                    entry[1].add(names_here)
    out = []
    for acc, streets in nodes.values():
        found = {name for street in streets for name in street}
        if len(found) >= 2 and len(streets) >= 2:
            out.append(Intersection(acc[0] / acc[2], acc[1] / acc[2], tuple(sorted(found))))
    out.sort(key=lambda i: (i.x, i.y))
    return out


class IntersectionIndex:
    """Nearest intersections of a point, with an STRtree over the nodes."""

    def __init__(self, nodes: Sequence[Intersection]) -> None:
        self.nodes = list(nodes)
        self._xy = np.array([(n.x, n.y) for n in self.nodes], dtype=float).reshape(-1, 2)
        self._tree = shapely.STRtree(shapely.points(self._xy)) if len(self.nodes) else None

    def nearest(
        self, x: float, y: float, *, k: int = 2, max_m: float = 500.0
    ) -> list[NearIntersection]:
        """Up to ``k`` intersections within ``max_m``, nearest first; one per name pair."""
        if self._tree is None:
            return []
        hits = self._tree.query(shapely.Point(x, y), predicate="dwithin", distance=max_m)
        if len(hits) == 0:
            return []
        d = np.hypot(self._xy[hits, 0] - x, self._xy[hits, 1] - y)
        order = np.lexsort((hits, d))
        out: list[NearIntersection] = []
        seen: set[tuple[str, ...]] = set()
        for i in order:
            node = self.nodes[hits[i]]
            if node.names in seen:
                continue
            seen.add(node.names)
            bearing = math.degrees(math.atan2(node.x - x, node.y - y)) % 360.0
            out.append(NearIntersection(node, float(d[i]), bearing))
            if len(out) == k:
                break
        return out


def boundary_crossings(
    lines: Sequence[BaseGeometry] | np.ndarray,
    names: Sequence[object],
    boundary: BaseGeometry,
) -> list[Crossing]:
    """Points where named streets cross the outline of ``boundary`` (a polygon)."""
    if boundary is None or boundary.is_empty:
        return []
    outline = boundary.boundary
    lines = np.asarray(lines, dtype=object)
    tree = shapely.STRtree(lines)
    hits = tree.query(outline, predicate="intersects")
    out: list[Crossing] = []
    seen: set[tuple[str, int, int]] = set()
    for i in np.sort(hits):
        name = _clean(names[i])
        if not name:
            continue
        inter = shapely.intersection(lines[i], outline)
        for pt in shapely.get_parts(inter):
            for x, y in shapely.get_coordinates(pt)[:1]:
                key = (name, round(x), round(y))
                if key in seen:
                    continue
                seen.add(key)
                out.append(Crossing(float(x), float(y), name))
    out.sort(key=lambda c: (c.name, c.x, c.y))
    return out
