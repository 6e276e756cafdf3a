"""What a camera at a candidate position reads (SPEC 9).

A camera reads an approach when at least half of the read zone's length lies in
its visible cone and the sight line makes at most ``max_read_angle_deg`` with the
direction of travel (front and rear plates). The read zones are cut once into
pieces of at most :data:`PIECE_M`; a piece is in view when its midpoint lies in
none of the occluder's shadows (:meth:`ShadowOccluder.shadow_polygons`, the
polygons the checker's visible disc is cut by) and in the sector, so a read
length is exact to within ``PIECE_M`` per shadow or sector edge (SPEC 3 asks for
1 m).

Occlusion only ever removes pieces, so the length a heading reads over any
superset of the visible pieces bounds the length it reads: a position where no
legal heading could read a zone even then reads nothing, and needs no shadows
(:meth:`ReadingModel.zones_readable_unoccluded`). The superset is the pieces in
range at a readable angle less those *surely hidden*: pieces whose midpoint lies
more than :data:`DEEP_M` inside a building footprint at least :data:`CLEAR_M` from
the camera. Such a building is neither the camera's mount nor a wall it stands on
(those are within :data:`~planner.core.visibility.WALL_TOLERANCE_M`), so the
occluder uses every camera-facing edge of it; the sight line to any point near
the midpoint enters the footprint through such an edge, closer than the range,
and that edge's shadow covers the point. The shadows therefore cover a disc of
radius ``DEEP_M / 2`` around the midpoint, which no rounding of their vertices
can uncover. (Where read zones are drawn through buildings, as on a generated
network, most positions are thereby skipped; on real streets few are.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

from planner.core.checker import Checker
from planner.core.geometry import cone_polygon
from planner.core.model import Camera, CameraStatus
from planner.core.visibility import WALL_TOLERANCE_M, ShadowOccluder
from planner.propose.approaches import Approaches, ReadParams

#: Longest piece (m) a visible read zone is cut into for the sector and angle tests.
PIECE_M = 0.5
#: A piece's midpoint this far (m) inside a footprint is surely hidden (module docstring).
DEEP_M = 0.01
#: ... when the footprint is at least this far (m) from the camera: ten times the
#: wall tolerance, so it is neither the mount nor a wall the camera stands on.
CLEAR_M = 10 * WALL_TOLERANCE_M
#: Footprints projected per batch when finding the pieces inside them.
_BATCH = 20_000


@dataclass(eq=False)
class Segments:
    """Read zones cut into short pieces: midpoints, unit directions, lengths, owners."""

    mx: np.ndarray
    my: np.ndarray
    ux: np.ndarray
    uy: np.ndarray
    length: np.ndarray
    zone: np.ndarray

    def take(self, idx: np.ndarray) -> Segments:
        """The pieces ``idx``, in that order."""
        return Segments(
            self.mx[idx], self.my[idx], self.ux[idx], self.uy[idx], self.length[idx],
            self.zone[idx],
        )  # fmt: skip


def cut_pieces(lines: np.ndarray, zone_of_line: np.ndarray) -> Segments:
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
    return Segments(
        mid[:, 0], mid[:, 1], d[:, 0] / length, d[:, 1] / length, length, zone.astype(np.intp)
    )


class ReadingModel:
    """What a camera at a position reads, for every lens and heading at once.

    The read zones are cut once into pieces of at most :data:`PIECE_M`. For a
    position, the pieces within range and at a readable angle are found in an
    index (:meth:`near_pieces`), and a piece is in view when its midpoint lies in
    no shadow of the checker's occluder (:meth:`unhidden`: the shadows whose union
    the visible disc is cut by, the mount and wall rules included); each lens and
    heading then keeps the pieces inside its sector (:meth:`reads`).
    """

    def __init__(self, checker: Checker, approaches: Approaches, params: ReadParams) -> None:
        self.checker = checker
        self.approaches = approaches
        self.params = params
        self.zone_length = shapely.length(approaches.zones)
        self.cos_max = math.cos(math.radians(params.max_read_angle_deg))
        self.seg = cut_pieces(approaches.zones, np.arange(len(approaches.zones)))
        self.seg_tree = STRtree(shapely.points(self.seg.mx, self.seg.my))
        #: per piece, the footprint (in ``self.holders``) it lies deep inside, or -1
        self.held, self.holders = self._pieces_deep_inside()

    def _pieces_deep_inside(self) -> tuple[np.ndarray, np.ndarray]:
        """For each piece, a footprint its midpoint lies more than DEEP_M inside."""
        held = np.full(len(self.seg.mx), -1, dtype=np.intp)
        occluder = self.checker.occluder
        if len(held) == 0 or not isinstance(occluder, ShadowOccluder):
            return held, np.empty(0, dtype=object)
        seg = self.seg
        region = shapely.box(seg.mx.min(), seg.my.min(), seg.mx.max(), seg.my.max())
        found = occluder.buildings.query(region)
        holders: list[np.ndarray] = []
        for start in range(0, len(found), _BATCH):
            # The very footprints the occluder casts shadows from.
            geoms = occluder.buildings.local(found[start : start + _BATCH]).geoms
            g, piece = self.seg_tree.query(geoms, predicate="contains_properly")
            pts = shapely.points(seg.mx[piece], seg.my[piece])
            deep = shapely.distance(pts, shapely.boundary(geoms[g])) > DEEP_M
            g, piece = g[deep], piece[deep]
            used, local = np.unique(g, return_inverse=True)
            held[piece] = sum(len(h) for h in holders) + local.reshape(-1)
            holders.append(geoms[used])
        return held, np.concatenate(holders) if holders else np.empty(0, dtype=object)

    def not_surely_hidden(self, x: float, y: float, idx: np.ndarray) -> np.ndarray:
        """The pieces ``idx`` less those deep inside a footprint far from ``(x, y)``."""
        owner = self.held[idx]
        inside = owner >= 0
        if not inside.any():
            return idx
        used, inv = np.unique(owner[inside], return_inverse=True)
        far = shapely.distance(self.holders[used], shapely.Point(x, y)) >= CLEAR_M
        hidden = np.zeros(len(idx), dtype=bool)
        hidden[np.flatnonzero(inside)[far[inv.reshape(-1)]]] = True
        return idx[~hidden]

    def near_pieces(self, x: float, y: float, range_m: float) -> np.ndarray:
        """Indices of the pieces within ``range_m`` and at a readable angle."""
        idx = self.seg_tree.query(shapely.Point(x, y), predicate="dwithin", distance=range_m)
        if len(idx) == 0:
            return idx
        seg = self.seg
        rx, ry = seg.mx[idx] - x, seg.my[idx] - y
        r = np.hypot(rx, ry)
        # |cos| of the angle between sight line and travel: front and rear plates.
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = np.abs(rx * seg.ux[idx] + ry * seg.uy[idx]) / r
        return idx[(r > 0) & (cos >= self.cos_max - 1e-12)]

    def unhidden(self, x: float, y: float, range_m: float, idx: np.ndarray) -> np.ndarray:
        """The pieces ``idx`` whose midpoint lies in no shadow of a disc of ``range_m``.

        Each piece is judged alone (its midpoint against every shadow), so testing
        a subset of pieces gives each of them the answer it gets among all.
        """
        occluder = self.checker.occluder
        if len(idx) == 0 or not isinstance(occluder, ShadowOccluder):
            return idx
        disc = cone_polygon(x, y, heading_deg=None, fov_deg=360.0, range_m=range_m)
        shadows = occluder.shadow_polygons(
            x, y, disc, range_m=range_m, heading_deg=None, fov_deg=360.0
        )
        if len(shadows) == 0:
            return idx
        pts = shapely.points(self.seg.mx[idx], self.seg.my[idx])
        hidden, _ = STRtree(shadows).query(pts, predicate="intersects")
        keep = np.ones(len(idx), dtype=bool)
        keep[hidden] = False
        return idx[keep]

    def segments_in_view(self, x: float, y: float, range_m: float) -> Segments | None:
        """Read-zone pieces within ``range_m``, at a readable angle and not hidden."""
        idx = self.unhidden(x, y, range_m, self.near_pieces(x, y, range_m))
        return self.seg.take(idx) if len(idx) else None

    def zones_readable_unoccluded(
        self, x: float, y: float, seg: Segments, looks: list[tuple[float, float, np.ndarray]]
    ) -> np.ndarray:
        """Zones some look ``(fov_deg, range_m, headings)`` would read with no buildings.

        Buildings only hide pieces, and a zone's read length is a sum of its pieces'
        lengths, so no other zone can be read once they are taken into account.
        """
        found: list[np.ndarray] = []
        for fov_deg, range_m, headings in looks:
            zones, reads, _ = self.reads(
                x, y, seg, fov_deg=fov_deg, range_m=range_m, headings=headings
            )
            found.append(zones[reads.any(axis=1)])
        return np.unique(np.concatenate(found)) if found else np.empty(0, np.intp)

    def read_lengths(
        self,
        x: float,
        y: float,
        seg: Segments,
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
        self, x: float, y: float, seg: Segments, *, fov_deg: float, range_m: float,
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
