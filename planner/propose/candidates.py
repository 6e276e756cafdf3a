"""Candidate positions and how poses are laid out on them (SPEC 9).

Positions lie every ``spacing_m`` on both kerbs of every street inside the
targets, near an intersection (and on optional poles); each position is tried
with every heading of :attr:`CandidateParams.headings` and every chosen lens.
Which of those poses are legal and what they read is :mod:`planner.propose.poses`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from planner.core.checker import Checker
from planner.propose.approaches import (
    LANE_WIDTH_M,
    ReadParams,
    Streets,
    intersection_nodes,
    road_class,
    total_lanes,
    truthy,
)

#: Saved coordinates are rounded to 8 decimals of a degree (planner.io.formats.plan), about
#: a millimetre; candidates are placed at rounded coordinates so that what is
#: checked here is what ``check`` will see.
LONLAT_DECIMALS = 8


@dataclass(frozen=True, slots=True)
class Lens:
    """A camera model's lens: what a pose of it sees (from the catalogue)."""

    model: str
    fov_deg: float
    range_m: float
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CandidateParams:
    """How candidate poses are laid out.

    ``kerb_offset_m`` fixes the distance from the centre line; ``None`` places the
    kerb from the street's lanes (``lanes * LANE_WIDTH_M / 2``) plus ``setback_m``.
    """

    spacing_m: float = 10.0
    #: kerb positions farther than this from every intersection are left out
    #: (``None``: no limit)
    near_node_m: float | None = 60.0
    heading_step_deg: float = 10.0
    setback_m: float = 1.0
    kerb_offset_m: float | None = None
    allow_warn: bool = False
    read: ReadParams = field(default_factory=ReadParams)

    def __post_init__(self) -> None:
        if not self.spacing_m > 0:
            msg = "spacing_m must be positive"
            raise ValueError(msg)
        if not 0 < self.heading_step_deg <= 180:
            msg = "heading_step_deg must be in (0, 180]"
            raise ValueError(msg)

    @property
    def headings(self) -> np.ndarray:
        """The headings tried, as :meth:`Checker.heading_profile` samples them."""
        n = max(1, round(360.0 / self.heading_step_deg))
        return np.arange(n) * (360.0 / n)


@dataclass(eq=False)
class Positions:
    """Camera positions in the checker's home CRS and at their saved lon/lat."""

    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    #: ``"kerb"`` or ``"pole"``
    source: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


def kerb_positions(
    streets: Streets,
    checker: Checker,
    params: CandidateParams,
    *,
    targets: BaseGeometry | None,
    poles: np.ndarray | None = None,
) -> Positions:
    """Positions every ``spacing_m`` on both kerbs of the streets inside ``targets``.

    ``targets`` and ``poles`` (Points) are in the checker's home CRS. A kerb point
    that falls inside a building footprint, or in the carriageway of another
    street, is no place for a pole and is left out.
    """
    half = _half_widths(streets)
    x, y = _kerb_points(streets, half, params)
    ok = _off_the_road(x, y, streets, half, margin=params.setback_m / 2.0)
    x, y = x[ok], y[ok]
    source = np.full(len(x), "kerb", dtype=object)
    if poles is not None and len(poles):
        c = shapely.get_coordinates(poles)
        x = np.concatenate([x, c[:, 0]])
        y = np.concatenate([y, c[:, 1]])
        source = np.concatenate([source, np.full(len(c), "pole", dtype=object)])
    keep = np.ones(len(x), dtype=bool)
    if params.near_node_m is not None:
        keep &= _near_intersections(x, y, streets, params.near_node_m)
    if targets is not None:
        keep &= shapely.contains_xy(targets, x, y)
    x, y, source = x[keep], y[keep], source[keep]
    # Kerbs meet at corners: one position per 0.5 m cell.
    _, first = np.unique(np.round(np.column_stack([x, y]) / 0.5), axis=0, return_index=True)
    first = np.sort(first)
    x, y, source = x[first], y[first], source[first]
    inside_building = _in_buildings(checker, x, y) & (source == "kerb")
    return _saved(checker, x[~inside_building], y[~inside_building], source[~inside_building])


def _one_row_per_street(streets: Streets) -> np.ndarray:
    """Row indices with each two-way street once (its two directions share a kerb pair)."""
    seen: set[tuple[object, object]] = set()
    keep: list[int] = []
    for i, (a, b) in enumerate(zip(streets.u.tolist(), streets.v.tolist(), strict=True)):
        key = (a, b) if repr(a) <= repr(b) else (b, a)
        if key in seen or a == b:
            continue
        seen.add(key)
        keep.append(i)
    return np.asarray(keep, dtype=np.intp)


def _kerb_points(
    streets: Streets, half: np.ndarray, params: CandidateParams
) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``spacing_m`` along both kerb lines of every street, centred."""
    idx = _one_row_per_street(streets)
    offset = (
        np.full(len(idx), params.kerb_offset_m)
        if params.kerb_offset_m is not None
        else half[idx] + params.setback_m
    )
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for side in (1.0, -1.0):
        kerbs = shapely.offset_curve(
            streets.lines[idx], side * offset, quad_segs=2, join_style="mitre"
        )
        parts = shapely.get_parts(kerbs)
        parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING]
        lengths = shapely.length(parts)
        counts = np.floor(lengths / params.spacing_m).astype(int) + 1
        owner = np.repeat(np.arange(len(parts)), counts)
        step = np.concatenate([np.arange(c) for c in counts]) if len(counts) else np.empty(0)
        # Centred on each kerb, so both ends keep the same distance to the corner.
        start = (lengths - (counts - 1) * params.spacing_m) / 2.0
        dist = start[owner] + step * params.spacing_m
        c = shapely.get_coordinates(shapely.line_interpolate_point(parts[owner], dist))
        xs.append(c[:, 0])
        ys.append(c[:, 1])
    return np.concatenate(xs), np.concatenate(ys)


def _saved(checker: Checker, x: np.ndarray, y: np.ndarray, source: np.ndarray) -> Positions:
    """The positions moved to their saved coordinates (``check`` sees those)."""
    lon, lat = checker.projector.inverse(x, y)
    lon = np.round(lon, LONLAT_DECIMALS)
    lat = np.round(lat, LONLAT_DECIMALS)
    x, y = checker.projector.forward(lon, lat)
    return Positions(x=x, y=y, lon=lon, lat=lat, source=source)


def _near_intersections(x: np.ndarray, y: np.ndarray, streets: Streets, dist: float) -> np.ndarray:
    nodes = intersection_nodes(streets.u, streets.v)
    into = np.array([b in nodes for b in streets.v.tolist()], dtype=bool)
    ends = shapely.get_point(streets.lines[into], -1)
    if len(ends) == 0 or len(x) == 0:
        return np.zeros(len(x), dtype=bool)
    hit, _ = STRtree(ends).query(shapely.points(x, y), predicate="dwithin", distance=dist)
    out = np.zeros(len(x), dtype=bool)
    out[hit] = True
    return out


def _half_widths(streets: Streets) -> np.ndarray:
    return np.array(
        [
            total_lanes(road_class(hw), lanes, oneway=truthy(ow)) * LANE_WIDTH_M / 2.0
            for hw, lanes, ow in zip(streets.highway, streets.lanes, streets.oneway, strict=True)
        ]
    )


def _off_the_road(
    x: np.ndarray, y: np.ndarray, streets: Streets, half: np.ndarray, *, margin: float
) -> np.ndarray:
    """Points farther than half the carriageway (plus ``margin``) from every street."""
    if len(x) == 0:
        return np.zeros(0, dtype=bool)
    tree = STRtree(streets.lines)
    reach = float(half.max()) + margin
    pts = shapely.points(x, y)
    hit_pt, hit_line = tree.query(pts, predicate="dwithin", distance=reach)
    d = shapely.distance(pts[hit_pt], streets.lines[hit_line])
    on_road = d < half[hit_line] + margin - 1e-6
    ok = np.ones(len(x), dtype=bool)
    ok[hit_pt[on_road]] = False
    return ok


def _in_buildings(checker: Checker, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which points lie inside a building footprint (a kerb point there is not a kerb)."""
    out = np.zeros(len(x), dtype=bool)
    if checker.buildings is None or len(x) == 0:
        return out
    region = shapely.box(x.min(), y.min(), x.max(), y.max())
    idx = checker.buildings.query(region)
    if len(idx) == 0:
        return out
    geoms = checker.buildings.local(idx).geoms
    tree = STRtree(geoms)
    hit_pt, _ = tree.query(shapely.points(x, y), predicate="within")
    out[hit_pt] = True
    return out


def subset(positions: Positions, idx: np.ndarray) -> Positions:
    """The positions ``idx`` of ``positions``."""
    return Positions(
        positions.x[idx], positions.y[idx], positions.lon[idx], positions.lat[idx],
        positions.source[idx],
    )  # fmt: skip
