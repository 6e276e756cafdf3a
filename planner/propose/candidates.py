"""Candidate poses, their legality and what each reads (SPEC 9).

Positions lie on both kerbs of every street inside the targets (and on optional
poles). For each position the checker's occluder computes the visible full disc
once, at the longest lens range; every lens and heading is that disc cut by its
sector, because occlusion is radial (the same argument as
:meth:`planner.core.checker.Checker.heading_profile`).

Legality is the checker's own decision: where a capture zone can reach the
position, :meth:`~planner.core.checker.Checker.heading_profile` gives the
severity of every heading of every lens (the visible disc of the lens cut per
heading, the same zones and the same capture test as ``check``); elsewhere no site
can be involved and every heading is clear. A pose is legal when it is ``clear``
(or ``warn`` where warnings are allowed) and its model has no prohibited
capability. The engine later re-checks each chosen pose with
:meth:`~planner.core.checker.Checker.check_camera` at the coordinates written
to the plan (:mod:`planner.propose.engine`).

Reading: a camera reads an approach when at least half of the read zone's length
lies in its visible cone and the sight line makes at most ``max_read_angle_deg``
with the direction of travel (front and rear plates). The read zones are cut once
into pieces of at most :data:`PIECE_M`; a piece is in view when its midpoint lies
in none of the occluder's shadows (:meth:`ShadowOccluder.shadow_polygons`, the
polygons the checker's visible disc is cut by) and in the sector, so a read
length is exact to within ``PIECE_M`` per shadow or sector edge (SPEC 3 asks for
1 m).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from planner.core.checker import Checker
from planner.core.errors import CheckCancelled
from planner.core.geometry import cone_polygon
from planner.core.model import Camera, CameraStatus, Severity
from planner.core.visibility import ShadowOccluder
from planner.propose.approaches import (
    LANE_WIDTH_M,
    Approaches,
    ReadParams,
    Streets,
    intersection_nodes,
    road_class,
    total_lanes,
    truthy,
)

#: Longest piece (m) a visible read zone is cut into for the sector and angle tests.
PIECE_M = 0.5
#: Saved coordinates are rounded to 8 decimals of a degree (planner.io.formats.plan), about
#: a millimetre; candidates are placed at rounded coordinates so that what is
#: checked here is what ``check`` will see.
LONLAT_DECIMALS = 8

Progress = Callable[[int, int], None]


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


@dataclass(eq=False)
class PoseTable:
    """Legal poses that read at least one approach, and the sparse reading matrix.

    Pose ``k`` reads the approaches ``reads[ptr[k]:ptr[k + 1]]`` (sorted).
    """

    position: np.ndarray
    lens: np.ndarray
    heading: np.ndarray
    severity: np.ndarray
    #: metres of read zone in view (all approaches read), to pick representatives
    read_m: np.ndarray
    ptr: np.ndarray
    reads: np.ndarray
    #: poses made (positions x lenses x headings) and legal ones among them
    made: int = 0
    legal: int = 0

    def __len__(self) -> int:
        return len(self.position)

    def reads_of(self, k: int) -> np.ndarray:
        return self.reads[self.ptr[k] : self.ptr[k + 1]]


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
    lines = streets.lines
    # Each direction of a two-way street is a row: one line per street is enough.
    seen: set[tuple[object, object]] = set()
    keep: list[int] = []
    for i, (a, b) in enumerate(zip(streets.u.tolist(), streets.v.tolist(), strict=True)):
        key = (a, b) if repr(a) <= repr(b) else (b, a)
        if key in seen or a == b:
            continue
        seen.add(key)
        keep.append(i)
    idx = np.asarray(keep, dtype=np.intp)
    half = _half_widths(streets)
    offset = (
        np.full(len(idx), params.kerb_offset_m)
        if params.kerb_offset_m is not None
        else half[idx] + params.setback_m
    )
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for side in (1.0, -1.0):
        kerbs = shapely.offset_curve(lines[idx], side * offset, quad_segs=2, join_style="mitre")
        parts = shapely.get_parts(kerbs)
        parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING]
        lengths = shapely.length(parts)
        counts = np.floor(lengths / params.spacing_m).astype(int) + 1
        owner = np.repeat(np.arange(len(parts)), counts)
        step = np.concatenate([np.arange(c) for c in counts]) if len(counts) else np.empty(0)
        # Centred on each kerb, so both ends keep the same distance to the corner.
        start = (lengths - (counts - 1) * params.spacing_m) / 2.0
        dist = start[owner] + step * params.spacing_m
        pts = shapely.line_interpolate_point(parts[owner], dist)
        c = shapely.get_coordinates(pts)
        xs.append(c[:, 0])
        ys.append(c[:, 1])
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    ok = _off_the_road(x, y, streets, half, margin=params.setback_m / 2.0)
    x, y = x[ok], y[ok]
    source = np.full(len(x), "kerb", dtype=object)
    if poles is not None and len(poles):
        c = shapely.get_coordinates(poles)
        x = np.concatenate([x, c[:, 0]])
        y = np.concatenate([y, c[:, 1]])
        source = np.concatenate([source, np.full(len(c), "pole", dtype=object)])
    if params.near_node_m is not None:
        near = _near_intersections(x, y, streets, params.near_node_m)
        x, y, source = x[near], y[near], source[near]
    if targets is not None:
        inside = shapely.contains_xy(targets, x, y)
        x, y, source = x[inside], y[inside], source[inside]
    # Kerbs meet at corners: one position per 0.5 m cell.
    _, first = np.unique(np.round(np.column_stack([x, y]) / 0.5), axis=0, return_index=True)
    first = np.sort(first)
    x, y, source = x[first], y[first], source[first]
    inside_building = _in_buildings(checker, x, y) & (source == "kerb")
    x, y, source = x[~inside_building], y[~inside_building], source[~inside_building]
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


@dataclass(eq=False)
class _Segments:
    """Read zones cut into short pieces: midpoints, unit directions, lengths, owners."""

    mx: np.ndarray
    my: np.ndarray
    ux: np.ndarray
    uy: np.ndarray
    length: np.ndarray
    zone: np.ndarray


def _pieces(lines: np.ndarray, zone_of_line: np.ndarray) -> _Segments:
    """Every line cut into pieces of at most :data:`PIECE_M`."""
    parts, part_of = shapely.get_parts(lines, return_index=True)
    ok = shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING
    parts, part_of = parts[ok], part_of[ok]
    dense = shapely.segmentize(parts, PIECE_M)
    coords, owner = shapely.get_coordinates(dense, return_index=True)
    same = owner[:-1] == owner[1:]
    a, b = coords[:-1][same], coords[1:][same]
    zone = zone_of_line[part_of[owner[:-1][same]]]
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    nz = length > 0
    a, d, length, zone = a[nz], d[nz], length[nz], zone[nz]
    mid = a + d / 2.0
    return _Segments(
        mid[:, 0], mid[:, 1], d[:, 0] / length, d[:, 1] / length, length, zone.astype(np.intp)
    )


class ReadingModel:
    """What a camera at a position reads, for every lens and heading at once.

    The read zones are cut once into pieces of at most :data:`PIECE_M`. For a
    position, the pieces within range and at a readable angle are found in an
    index, and a piece is in view when its midpoint lies in no shadow of the
    checker's occluder (the shadows whose union the visible disc is cut by, the
    mount and wall rules included); each lens and heading then keeps the pieces
    inside its sector.
    """

    def __init__(self, checker: Checker, approaches: Approaches, params: ReadParams) -> None:
        self.checker = checker
        self.approaches = approaches
        self.params = params
        self.zone_length = shapely.length(approaches.zones)
        self.tree = STRtree(approaches.zones)
        self.cos_max = math.cos(math.radians(params.max_read_angle_deg))
        self.seg = _pieces(approaches.zones, np.arange(len(approaches.zones)))
        self.seg_tree = STRtree(shapely.points(self.seg.mx, self.seg.my))

    def any_zone_within(self, x: float, y: float, range_m: float) -> bool:
        """Whether any read zone comes within ``range_m`` of ``(x, y)``."""
        pt = shapely.Point(x, y)
        return len(self.tree.query(pt, predicate="dwithin", distance=range_m * 1.001)) > 0

    def segments_in_view(self, x: float, y: float, range_m: float) -> _Segments | None:
        """Read-zone pieces within ``range_m``, at a readable angle and not hidden."""
        idx = self.seg_tree.query(shapely.Point(x, y), predicate="dwithin", distance=range_m)
        if len(idx) == 0:
            return None
        seg = self.seg
        rx, ry = seg.mx[idx] - x, seg.my[idx] - y
        r = np.hypot(rx, ry)
        # |cos| of the angle between sight line and travel: front and rear plates.
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = np.abs(rx * seg.ux[idx] + ry * seg.uy[idx]) / r
        idx = idx[(r > 0) & (cos >= self.cos_max - 1e-12)]
        if len(idx) == 0:
            return None
        disc = cone_polygon(x, y, heading_deg=None, fov_deg=360.0, range_m=range_m)
        occluder = self.checker.occluder
        if isinstance(occluder, ShadowOccluder):
            shadows = occluder.shadow_polygons(
                x, y, disc, range_m=range_m, heading_deg=None, fov_deg=360.0
            )
            if len(shadows):
                pts = shapely.points(seg.mx[idx], seg.my[idx])
                hidden, _ = STRtree(shadows).query(pts, predicate="intersects")
                keep = np.ones(len(idx), dtype=bool)
                keep[hidden] = False
                idx = idx[keep]
        if len(idx) == 0:
            return None
        return _Segments(
            seg.mx[idx], seg.my[idx], seg.ux[idx], seg.uy[idx], seg.length[idx], seg.zone[idx]
        )

    def read_lengths(
        self,
        x: float,
        y: float,
        seg: _Segments,
        *,
        fov_deg: float,
        range_m: float,
        headings: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Zones touched and their in-cone length per heading, ``(zones, Z x H)``."""
        rx, ry = seg.mx - x, seg.my - y
        r = np.hypot(rx, ry)
        inr = r <= range_m
        zones_all = seg.zone[inr]
        if len(zones_all) == 0:
            return np.empty(0, np.intp), np.empty((0, len(headings)))
        bearing = np.degrees(np.arctan2(rx[inr], ry[inr]))
        if fov_deg >= 360.0:
            inside = np.ones((len(bearing), len(headings)), dtype=bool)
        else:
            off = np.abs((bearing[:, None] - headings[None, :] + 180.0) % 360.0 - 180.0)
            inside = off <= fov_deg / 2.0
        zones, inv = np.unique(zones_all, return_inverse=True)
        n_h = len(headings)
        # One bincount over (zone, heading) cells: far quicker than np.add.at.
        cell = (inv[:, None] * n_h + np.arange(n_h)[None, :]).ravel()
        weights = (inside * seg.length[inr][:, None]).ravel()
        lengths = np.bincount(cell, weights=weights, minlength=len(zones) * n_h)
        return zones, lengths.reshape(len(zones), n_h)

    def reads(
        self, x: float, y: float, seg: _Segments, *, fov_deg: float, range_m: float,
        headings: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
        """``(zones, reads Z x H, lengths Z x H)``: which zones each heading reads."""
        zones, lengths = self.read_lengths(
            x, y, seg, fov_deg=fov_deg, range_m=range_m, headings=headings
        )
        reads = lengths >= 0.5 * self.zone_length[zones][:, None] - 1e-9
        return zones, reads, lengths

    def reads_of_camera(self, camera: Camera) -> np.ndarray:
        """Approaches one camera (an existing one, say) reads; none without a heading."""
        if camera.heading_deg is None or camera.status is CameraStatus.REMOVED:
            return np.empty(0, np.intp)
        x, y = self.checker.camera_xy(camera)
        seg = self.segments_in_view(x, y, camera.range_m)
        if seg is None:
            return np.empty(0, np.intp)
        zones, reads, _ = self.reads(
            x,
            y,
            seg,
            fov_deg=camera.fov_deg,
            range_m=camera.range_m,
            headings=np.array([camera.heading_deg]),
        )
        return zones[reads[:, 0]]


def build_poses(
    checker: Checker,
    approaches: Approaches,
    positions: Positions,
    lenses: Sequence[Lens],
    params: CandidateParams,
    *,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> PoseTable:
    """Every legal pose that reads an approach, with what it reads."""
    model = ReadingModel(checker, approaches, params.read)
    headings = params.headings
    n_h = len(headings)
    prohibited = set(checker.policy.prohibited_capabilities)
    usable = [k for k, lens in enumerate(lenses) if not prohibited & set(lens.capabilities)]
    max_range = max((lenses[k].range_m for k in usable), default=0.0)
    accept = Severity.WARN.rank if params.allow_warn else Severity.CLEAR.rank
    probes = [
        Camera(
            id="probe",
            lon=float(lon),
            lat=float(lat),
            heading_deg=None,
            fov_deg=360.0,
            range_m=max_range or 1.0,
        )
        for lon, lat in zip(positions.lon, positions.lat, strict=True)
    ]
    # Per lens: a short lens is near fewer zones than the longest.
    near_zone = {
        k: checker.reaches_a_zone([c.replace(range_m=lenses[k].range_m) for c in probes])
        if probes
        else np.zeros(0, dtype=bool)
        for k in usable
    }
    out_pos: list[np.ndarray] = []
    out_lens: list[np.ndarray] = []
    out_head: list[np.ndarray] = []
    out_sev: list[np.ndarray] = []
    out_len: list[np.ndarray] = []
    out_reads: list[np.ndarray] = []
    legal = 0
    total = len(positions)
    for p in range(total):
        if cancel is not None and p % 32 == 0 and cancel():
            raise CheckCancelled
        if progress is not None and p % 64 == 0:
            progress(p, total)
        if not usable:
            break
        x, y = float(positions.x[p]), float(positions.y[p])
        sev_by_lens = {}
        for k in usable:
            lens = lenses[k]
            if near_zone[k][p]:
                cam = probes[p].replace(
                    fov_deg=lens.fov_deg, range_m=lens.range_m, capabilities=lens.capabilities
                )
                profile = checker.heading_profile(cam, step_deg=params.heading_step_deg)
                sev = np.array([s.rank for _, s in profile], dtype=np.int8)
            else:
                sev = np.zeros(n_h, dtype=np.int8)
            sev_by_lens[k] = sev
            legal += int((sev <= accept).sum())
        if not any((s <= accept).any() for s in sev_by_lens.values()):
            continue
        seg = model.segments_in_view(x, y, max_range)
        if seg is None:
            continue
        for k in usable:
            lens = lenses[k]
            zones, reads, lengths = model.reads(
                x, y, seg, fov_deg=lens.fov_deg, range_m=lens.range_m, headings=headings
            )
            if len(zones) == 0:
                continue
            ok = reads.any(axis=0) & (sev_by_lens[k] <= accept)
            for h in np.flatnonzero(ok).tolist():
                out_reads.append(zones[reads[:, h]])
            hs = np.flatnonzero(ok)
            out_pos.append(np.full(len(hs), p, dtype=np.intp))
            out_lens.append(np.full(len(hs), k, dtype=np.intp))
            out_head.append(headings[hs])
            out_sev.append(sev_by_lens[k][hs])
            out_len.append((lengths[:, hs] * reads[:, hs]).sum(axis=0))
    if progress is not None:
        progress(total, total)
    flat = [r for r in out_reads]
    counts = np.array([len(r) for r in flat], dtype=np.intp)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.intp)

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)

    return PoseTable(
        position=cat(out_pos, np.intp),
        lens=cat(out_lens, np.intp),
        heading=cat(out_head, float),
        severity=cat(out_sev, np.int8),
        read_m=cat(out_len, float),
        ptr=ptr,
        reads=cat(flat, np.intp),
        made=total * len(lenses) * n_h,
        legal=legal,
    )


def subset(positions: Positions, idx: np.ndarray) -> Positions:
    """The positions ``idx`` of ``positions``."""
    return Positions(
        positions.x[idx], positions.y[idx], positions.lon[idx], positions.lat[idx],
        positions.source[idx],
    )  # fmt: skip


def concat_poses(parts: Sequence[tuple[np.ndarray, PoseTable]]) -> PoseTable:
    """Pose tables built on subsets ``(positions idx, table)``, as one table."""
    ptrs = []
    offset = 0
    for _, t in parts:
        ptrs.append(t.ptr[:-1] + offset)
        offset += int(t.ptr[-1])
    ptr = np.concatenate([*ptrs, [offset]]).astype(np.intp)

    def cat(name: str, dtype: type) -> np.ndarray:
        arrays = [getattr(t, name) for _, t in parts]
        return np.concatenate(arrays).astype(dtype) if arrays else np.empty(0, dtype=dtype)

    return PoseTable(
        position=np.concatenate([idx[t.position] for idx, t in parts]).astype(np.intp)
        if parts
        else np.empty(0, np.intp),
        lens=cat("lens", np.intp),
        heading=cat("heading", float),
        severity=cat("severity", np.int8),
        read_m=cat("read_m", float),
        ptr=ptr,
        reads=cat("reads", np.intp),
        made=sum(t.made for _, t in parts),
        legal=sum(t.legal for _, t in parts),
    )


#: What forked workers share with their parent (set just before the fork).
_SHARED: dict[str, object] = {}


def _work(idx: np.ndarray) -> tuple[np.ndarray, PoseTable]:
    s = _SHARED
    table = build_poses(
        s["checker"],  # type: ignore[arg-type]
        s["approaches"],  # type: ignore[arg-type]
        subset(s["positions"], idx),  # type: ignore[arg-type]
        s["lenses"],  # type: ignore[arg-type]
        s["params"],  # type: ignore[arg-type]
    )
    return idx, table


def build_poses_parallel(
    checker: Checker,
    approaches: Approaches,
    positions: Positions,
    lenses: Sequence[Lens],
    params: CandidateParams,
    *,
    workers: int,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> PoseTable:
    """:func:`build_poses` over ``workers`` forked processes (serial without fork).

    Positions are dealt out in small interleaved chunks, so the expensive ones
    (near sites, among many buildings) are shared out evenly; ``cancel`` is polled
    between chunks.
    """
    import multiprocessing as mp

    n = len(positions)
    if workers <= 1 or n < 64 or "fork" not in mp.get_all_start_methods():
        return build_poses(
            checker, approaches, positions, lenses, params, progress=progress, cancel=cancel
        )
    chunks = [np.arange(i, n, 64 * workers) for i in range(64 * workers)]
    chunks = [c for c in chunks if len(c)]
    _SHARED.update(
        checker=checker, approaches=approaches, positions=positions, lenses=lenses, params=params
    )
    parts: list[tuple[np.ndarray, PoseTable]] = []
    done = 0
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            for idx, table in pool.imap_unordered(_work, chunks):
                parts.append((idx, table))
                done += len(idx)
                if progress is not None:
                    progress(done, n)
                if cancel is not None and cancel():
                    pool.terminate()
                    raise CheckCancelled
    finally:
        _SHARED.clear()
    parts.sort(key=lambda p: int(p[0][0]))
    return concat_poses(parts)
