"""Approaches, read zones and their weights (SPEC 9).

An *approach* is one direction of travel on a street edge into an intersection,
a node with three or more distinct neighbours. Its *read zone* is the part of the
edge from ``read_far_m`` to ``read_near_m`` before the node, oriented along the
direction of travel.

Street layers here are *directed*: an osmnx network (and so a data pack) has one
row per direction of travel, ``u -> v`` with its geometry drawn from ``u`` to
``v``; a two-way street has two rows, a one-way street one. A layer without node
ids gets them from its endpoints, and each row is then one direction, ``first
point -> last point``.

Weights: a traffic count where the layer has an ``aadt`` column (vehicles per day
both ways, halved for each direction of a two-way street), otherwise an estimate,
lanes in the direction of travel times the road-class factor of
:data:`ROAD_CLASS_VEHICLES_PER_LANE` (vehicles per lane per day). The factors are
planning figures for ranking streets against each other, not counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.ops import substring

#: Typical vehicles per lane per day by OSM ``highway`` class, for streets without
#: a count. Rough orders of magnitude for US urban streets (a four-lane arterial
#: carries some 20,000-40,000 vehicles a day, a residential street a few hundred).
#: ``*_link`` ramps get half their parent's figure; unknown classes the
#: ``unclassified`` figure.
ROAD_CLASS_VEHICLES_PER_LANE: dict[str, float] = {
    "motorway": 20000.0,
    "trunk": 15000.0,
    "primary": 8000.0,
    "secondary": 6000.0,
    "tertiary": 4000.0,
    "unclassified": 1500.0,
    "residential": 600.0,
    "living_street": 200.0,
    "road": 1500.0,
    "service": 200.0,
}
#: Lanes in each direction where the layer says nothing.
DEFAULT_LANES_PER_DIRECTION: dict[str, float] = {"motorway": 2.0, "trunk": 2.0, "primary": 2.0}
#: A lane's width (m), for kerb positions from a street's lane count.
LANE_WIDTH_M = 3.3

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class ReadParams:
    """Where an approach is read and from which angles (SPEC 9 defaults)."""

    read_far_m: float = 30.0
    read_near_m: float = 5.0
    max_read_angle_deg: float = 30.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.read_near_m < self.read_far_m:
            msg = "read zones need 0 <= read_near_m < read_far_m"
            raise ValueError(msg)
        if not 0.0 < self.max_read_angle_deg <= 90.0:
            msg = "max_read_angle_deg must be in (0, 90]"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Streets:
    """A directed street layer in projected metres, with the attributes weights use.

    Every array has one entry per row (direction of travel). ``lanes``,
    ``highway`` and ``aadt`` hold the layer's raw values (text or numbers, ``None``
    where missing); ``aadt`` is ``None`` when the layer has no such column.
    """

    lines: np.ndarray
    u: np.ndarray
    v: np.ndarray
    names: np.ndarray
    highway: np.ndarray
    lanes: np.ndarray
    oneway: np.ndarray
    aadt: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.lines)


@dataclass(frozen=True, slots=True)
class Approaches:
    """Every approach of a street layer, one entry per approach."""

    zones: np.ndarray
    weight: np.ndarray
    row: np.ndarray
    node: np.ndarray
    name: tuple[str, ...]
    #: ``True`` where the weight is a count from the layer, ``False`` for an estimate
    counted: np.ndarray

    def __len__(self) -> int:
        return len(self.zones)

    def label(self, i: int) -> str:
        """A short human name: the street and the node it leads into."""
        street = self.name[i] or "unnamed street"
        return f"{street} into node {self.node[i]}"


def streets_from_table(table: Any, projector: Any) -> Streets:
    """A directed street layer from a pack's street table (``geoms`` in lon/lat and
    columns ``u``, ``v``, ``name``, ``highway``, ``lanes``, ``oneway``, and ``aadt``
    in any case where present), projected with ``projector``.

    Raises
    ------
    ValueError
        When the layer has no node ids (``u``, ``v``): approaches need them.
    """
    n = len(table)

    def col(name: str) -> np.ndarray:
        value = table.get(name)
        return value if value is not None else np.full(n, None, dtype=object)

    u, v = table.get("u"), table.get("v")
    if u is None or v is None or any(x is None for x in u) or any(x is None for x in v):
        msg = "the street layer has no node ids (u, v)"
        raise ValueError(msg)
    aadt_name = next((c for c in table.columns if str(c).casefold() == "aadt"), None)
    return Streets(
        lines=np.asarray(projector.project(table.geoms), dtype=object),
        u=np.asarray(u),
        v=np.asarray(v),
        names=col("name"),
        highway=col("highway"),
        lanes=col("lanes"),
        oneway=col("oneway"),
        aadt=table.get(aadt_name) if aadt_name else None,
    )


def intersection_nodes(u: np.ndarray, v: np.ndarray) -> set[object]:
    """Nodes with three or more distinct neighbours (either direction, no self-loops)."""
    neighbours: dict[object, set[object]] = {}
    for a, b in zip(u.tolist(), v.tolist(), strict=True):
        if a == b:
            continue
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    return {n for n, s in neighbours.items() if len(s) >= 3}


def build_approaches(streets: Streets, params: ReadParams | None = None) -> Approaches:
    """The approaches of ``streets`` with their read zones and weights.

    A row whose edge is shorter than ``read_near_m`` has no read zone; a shorter
    edge than ``read_far_m`` gives a read zone from its start.
    """
    params = params or ReadParams()
    nodes = intersection_nodes(streets.u, streets.v)
    lengths = shapely.length(streets.lines)
    zones: list[shapely.LineString] = []
    rows: list[int] = []
    for i, (a, b) in enumerate(zip(streets.u.tolist(), streets.v.tolist(), strict=True)):
        if a == b or b not in nodes:
            continue
        length = float(lengths[i])
        end = length - params.read_near_m
        if end <= 0.0 or not math.isfinite(length):
            continue
        zone = substring(streets.lines[i], max(0.0, length - params.read_far_m), end)
        if zone.geom_type != "LineString" or zone.length <= 0.0:
            continue
        zones.append(zone)
        rows.append(i)
    row = np.asarray(rows, dtype=np.intp)
    weight, counted = edge_weights(streets)
    names = tuple(_text(streets.names[r]) for r in rows)
    return Approaches(
        zones=np.array(zones, dtype=object) if zones else np.empty(0, dtype=object),
        weight=weight[row] if len(row) else np.empty(0),
        row=row,
        node=np.asarray([streets.v[r] for r in rows], dtype=object),
        name=names,
        counted=counted[row] if len(row) else np.empty(0, dtype=bool),
    )


def edge_weights(streets: Streets) -> tuple[np.ndarray, np.ndarray]:
    """Vehicles per day in each row's direction, and whether it is a count."""
    n = len(streets)
    weight = np.empty(n)
    counted = np.zeros(n, dtype=bool)
    for i in range(n):
        oneway = truthy(streets.oneway[i])
        if streets.aadt is not None:
            aadt = _number(streets.aadt[i])
            if aadt is not None and aadt > 0:
                weight[i] = aadt if oneway else aadt / 2.0
                counted[i] = True
                continue
        weight[i] = estimated_weight(streets.highway[i], streets.lanes[i], oneway=oneway)
    return weight, counted


def estimated_weight(highway: object, lanes: object, *, oneway: bool) -> float:
    """Lanes in the direction of travel times the road-class factor."""
    cls = road_class(highway)
    per_lane = class_factor(cls)
    return lanes_per_direction(cls, lanes, oneway=oneway) * per_lane


def road_class(highway: object) -> str:
    """The busiest OSM ``highway`` class named (merged ways list several, ``a;b``)."""
    classes = [c.strip() for c in _text(highway).split(";") if c.strip()]
    if not classes:
        return "unclassified"
    return max(classes, key=class_factor)


def class_factor(cls: str) -> float:
    """Vehicles per lane per day for one OSM ``highway`` class."""
    if cls.endswith("_link"):
        return 0.5 * class_factor(cls.removesuffix("_link"))
    return ROAD_CLASS_VEHICLES_PER_LANE.get(cls, ROAD_CLASS_VEHICLES_PER_LANE["unclassified"])


def lanes_per_direction(cls: str, lanes: object, *, oneway: bool) -> float:
    """Lanes one direction has: OSM ``lanes`` counts both directions of a two-way street."""
    total = _number(lanes)
    if total is None or total <= 0:
        return DEFAULT_LANES_PER_DIRECTION.get(cls.removesuffix("_link"), 1.0)
    return total if oneway else max(1.0, total / 2.0)


def total_lanes(cls: str, lanes: object, *, oneway: bool) -> float:
    """Lanes across the carriageway, for kerb offsets."""
    per_dir = lanes_per_direction(cls, lanes, oneway=oneway)
    total = _number(lanes)
    if total is not None and total > 0:
        return total
    return per_dir if oneway else 2.0 * per_dir


def _number(value: object) -> float | None:
    """The largest number in an OSM value (``"2;3"`` -> 3), or ``None``."""
    if value is None:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    found = [float(m) for m in _NUMBER.findall(str(value))]
    return max(found) if found else None


def truthy(value: object) -> bool:
    """An OSM ``oneway``-style value as a boolean (``yes``, ``true``, ``1``, ``-1``)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "-1")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return bool(value)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ";".join(_text(v) for v in value)
    return str(value)
