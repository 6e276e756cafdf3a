"""Building occluders: compact footprints, indexed once, decoded and projected per query.

A citywide layer has about 324,000 footprints and 3.8 million vertices. As shapely
objects they take over 200 MB, while a camera only ever looks at a few dozen
buildings. So :class:`Footprints` keeps them as WKB in one buffer with their
bounds (about 90 MB for the city), :class:`BoundsIndex` finds the candidates of a
query from the bounds alone, and only those are decoded and projected (and cached,
because a drag asks about the same buildings over and over).

A plan may span UTM zones (SPEC 3): :meth:`BuildingIndex.in_crs` gives a view that
projects into another zone, sharing the index and keeping its own cache, so a
statewide audit projects each building once per zone it is looked at from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from planner.core.crs import Projector

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
#: Projected buildings kept in the per-query cache.
_CACHE_SIZE = 20_000
#: Degrees added around a query's lon/lat box so that the curvature of the
#: projection can never leave a building out (about 10 m).
_PAD_DEG = 1e-4
#: Side (degrees, about 200 m) of the cells footprints are grouped in for the index.
_CELL_DEG = 0.002


def repair_polygons(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make invalid polygons valid, keeping only polygonal parts.

    Returns the repaired array and the indices (into ``geoms``) that were repaired,
    so that callers can report them rather than silently change the data (SPEC 7).
    """
    geoms = np.asarray(geoms, dtype=object)
    invalid = ~shapely.is_valid(geoms)
    repaired_idx = np.flatnonzero(invalid)
    if len(repaired_idx):
        fixed = shapely.make_valid(geoms[repaired_idx], method="structure", keep_collapsed=False)
        geoms = geoms.copy()
        geoms[repaired_idx] = fixed
    return geoms, repaired_idx


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Mask of the non-empty polygons and multipolygons with finite bounds in ``geoms``."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return np.zeros(0, dtype=bool)
    keep: np.ndarray = ~shapely.is_missing(geoms)
    keep[keep] = ~shapely.is_empty(geoms[keep]) & np.isin(
        shapely.get_type_id(geoms[keep]), _POLYGONAL
    )
    keep[keep] = np.isfinite(shapely.bounds(geoms[keep])).all(axis=1)
    return keep


@dataclass(frozen=True, eq=False)
class Footprints:
    """Lon/lat polygons stored as WKB in one buffer, with their bounds.

    ``wkb[starts[i]:ends[i]]`` is polygon ``i``'s WKB and ``bounds[i]`` its
    ``(minx, miny, maxx, maxy)``; the buffer may hold other bytes between them (a
    GeoPackage's blob headers, kept rather than copied out). Read-only once made:
    build one with :meth:`from_geometries` or, chunk by chunk so that a whole layer
    never exists as shapely objects, with a :class:`FootprintsBuilder`.
    """

    wkb: bytes | bytearray
    starts: np.ndarray
    ends: np.ndarray
    bounds: np.ndarray

    @classmethod
    def from_geometries(cls, geoms: Iterable[BaseGeometry] | np.ndarray) -> Footprints:
        """Footprints of ``geoms`` (all non-empty polygonal with finite coordinates)."""
        builder = FootprintsBuilder()
        builder.append(np.asarray(geoms, dtype=object))
        return builder.build()

    @classmethod
    def concat(cls, parts: Sequence[Footprints]) -> Footprints:
        """One collection holding ``parts`` in order."""
        builder = FootprintsBuilder()
        for part in parts:
            builder.append_wkb(part.wkb, part.starts, part.ends, part.bounds)
        return builder.build()

    def __len__(self) -> int:
        return len(self.starts)

    def take(self, idx: np.ndarray | Sequence[int]) -> np.ndarray:
        """Polygons ``idx`` as shapely objects (decoded now; nothing is kept)."""
        idx = np.asarray(idx, dtype=np.intp)
        view = memoryview(self.wkb)
        blobs = [
            view[a:b].tobytes()
            for a, b in zip(self.starts[idx].tolist(), self.ends[idx].tolist(), strict=True)
        ]
        return np.asarray(shapely.from_wkb(blobs), dtype=object) if blobs else _no_geoms()

    def geometries(self) -> np.ndarray:
        """Every polygon as a shapely object (for small layers and drawing)."""
        return self.take(np.arange(len(self)))


class FootprintsBuilder:
    """Gathers polygons chunk by chunk into one :class:`Footprints`."""

    def __init__(self) -> None:
        # A bytearray grows in place (realloc): no second copy of the layer.
        self._wkb = bytearray()
        self._spans: list[tuple[np.ndarray, np.ndarray]] = []
        self._bounds: list[np.ndarray] = []

    def append(self, geoms: np.ndarray) -> None:
        """Add polygons already checked with :func:`polygonal`."""
        geoms = np.asarray(geoms, dtype=object)
        if not len(geoms):
            return
        # Footprints are planar lon/lat: no Z, no SRID in the blobs.
        blobs = shapely.to_wkb(geoms, output_dimension=2, include_srid=False)
        ends = np.cumsum(np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)))
        starts = np.concatenate([[0], ends[:-1]])
        self.append_wkb(b"".join(blobs), starts, ends, shapely.bounds(geoms))

    def append_wkb(
        self, buffer: bytes | bytearray, starts: np.ndarray, ends: np.ndarray, bounds: np.ndarray
    ) -> None:
        """Add polygons given as WKB spans ``buffer[starts[i]:ends[i]]`` and their bounds.

        The caller vouches that every span decodes to a valid polygon within ``bounds``.
        """
        base = len(self._wkb)
        self._wkb += buffer
        self._spans.append((np.asarray(starts, np.int64) + base, np.asarray(ends, np.int64) + base))
        self._bounds.append(np.asarray(bounds, dtype=float).reshape(-1, 4))

    def build(self) -> Footprints:
        """The footprints gathered so far (the builder is then empty)."""
        empty = np.zeros(0, np.int64)
        out = Footprints(
            wkb=self._wkb,
            starts=np.concatenate([a for a, _ in self._spans]) if self._spans else empty,
            ends=np.concatenate([b for _, b in self._spans]) if self._spans else empty,
            bounds=np.concatenate(self._bounds) if self._bounds else np.empty((0, 4)),
        )
        self._wkb, self._spans, self._bounds = bytearray(), [], []
        return out


def _no_geoms() -> np.ndarray:
    return np.empty(0, dtype=object)


class BoundsIndex:
    """Which boxes meet a query box, from the boxes alone.

    The boxes are grouped by the ~200 m cell holding their centre, and an
    :class:`~shapely.STRtree` indexes the groups' envelopes: a few thousand of them
    for a city, where a tree over 324,000 box polygons would take about 55 MB.
    """

    def __init__(self, bounds: np.ndarray) -> None:
        self.bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
        n = len(self.bounds)
        if n == 0:
            self.order = np.zeros(0, dtype=np.intp)
            self.starts = np.zeros(1, dtype=np.intp)
            self.tree = STRtree(np.empty(0, dtype=object))
            return
        cx = (self.bounds[:, 0] + self.bounds[:, 2]) / 2.0
        cy = (self.bounds[:, 1] + self.bounds[:, 3]) / 2.0
        ix = np.floor(cx / _CELL_DEG).astype(np.int64)
        iy = np.floor(cy / _CELL_DEG).astype(np.int64)
        ix -= ix.min()
        iy -= iy.min()
        # one integer per cell (at most 180,000 x 90,000 of them): a 1-D unique is fast
        _, group = np.unique(ix * (int(iy.max()) + 1) + iy, return_inverse=True)
        group = group.reshape(-1)
        self.order = np.argsort(group, kind="stable")
        counts = np.bincount(group)
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.intp)
        b = self.bounds[self.order]
        first = self.starts[:-1]
        envelopes = shapely.box(
            np.minimum.reduceat(b[:, 0], first),
            np.minimum.reduceat(b[:, 1], first),
            np.maximum.reduceat(b[:, 2], first),
            np.maximum.reduceat(b[:, 3], first),
        )
        self.tree = STRtree(envelopes)
        # An STRtree is built lazily on its first query; pay that now, not on the
        # first drag.
        self.tree.query(shapely.box(0, 0, 1, 1))

    def query(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """Sorted indices of the boxes meeting ``box`` ``(minx, miny, maxx, maxy)``."""
        groups = self.tree.query(shapely.box(*box))
        if not len(groups):
            return np.zeros(0, dtype=np.intp)
        members = np.concatenate(
            [self.order[self.starts[g] : self.starts[g + 1]] for g in groups.tolist()]
        )
        b = self.bounds[members]
        x0, y0, x1, y1 = box
        hit = (b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)
        return np.sort(members[hit])


@dataclass(frozen=True, slots=True)
class LocalBuildings:
    """Projected candidates of one query.

    ``edges[k] = (ax, ay, bx, by)`` with the building material on the right of a→b,
    so the edges that face a camera are found with one cross product.
    """

    index: np.ndarray
    geoms: np.ndarray
    edges: np.ndarray
    edge_owner: np.ndarray


class ProjectedBuildings:
    """The buildings of a :class:`BuildingIndex` seen in one projected CRS.

    Projects candidates on demand and keeps the last ``_CACHE_SIZE`` of them; safe
    to use from several threads.
    """

    def __init__(self, index: BuildingIndex, projector: Projector) -> None:
        self.index = index
        self.projector = projector
        self._cache: OrderedDict[int, tuple[BaseGeometry, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def query(self, region: BaseGeometry) -> np.ndarray:
        """Indices of buildings whose footprint may intersect a projected ``region``."""
        minx, miny, maxx, maxy = region.bounds
        xs = np.array([minx, maxx, maxx, minx, (minx + maxx) / 2])
        ys = np.array([miny, miny, maxy, maxy, (miny + maxy) / 2])
        lon, lat = self.projector.inverse(xs, ys)
        return self.index.query_lonlat(
            (
                float(lon.min()) - _PAD_DEG,
                float(lat.min()) - _PAD_DEG,
                float(lon.max()) + _PAD_DEG,
                float(lat.max()) + _PAD_DEG,
            )
        )

    def local(self, idx: np.ndarray) -> LocalBuildings:
        """Projected geometries and oriented edges of buildings ``idx``."""
        idx = np.asarray(idx, dtype=np.intp)
        with self._lock:
            missing = [int(i) for i in idx if int(i) not in self._cache]
            if missing:
                self._fill(np.asarray(missing, dtype=np.intp))
            entries = []
            for i in idx.tolist():
                self._cache.move_to_end(i)
                entries.append(self._cache[i])
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        if not entries:
            return LocalBuildings(idx, _no_geoms(), np.empty((0, 4)), np.empty(0, np.intp))
        geoms = np.array([g for g, _ in entries], dtype=object)
        counts = [len(e) for _, e in entries]
        edges = np.vstack([e for _, e in entries]) if sum(counts) else np.empty((0, 4))
        owner = np.repeat(np.arange(len(entries)), counts)
        return LocalBuildings(idx, geoms, edges, owner)

    def _fill(self, idx: np.ndarray) -> None:
        projected = shapely.orient_polygons(
            self.projector.project(self.index.footprints.take(idx)), exterior_cw=True
        )
        edges, owner = _edges(projected)
        starts = np.searchsorted(owner, np.arange(len(idx) + 1))
        for k, i in enumerate(idx.tolist()):
            self._cache[i] = (projected[k], edges[starts[k] : starts[k + 1]])


@dataclass(eq=False)
class BuildingIndex:
    """Building footprints (lon/lat), indexed by their bounds, projected on demand.

    ``query`` and ``local`` work in ``projector``'s CRS (the plan's home zone);
    :meth:`in_crs` gives the same buildings in another CRS. Indices are positions in
    ``footprints``.
    """

    footprints: Footprints
    projector: Projector
    repaired: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    _index: BoundsIndex = field(init=False, repr=False)
    _views: dict[str, ProjectedBuildings] = field(init=False, repr=False, default_factory=dict)
    _home: ProjectedBuildings = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._index = BoundsIndex(self.footprints.bounds)
        self._home = self.in_crs(self.projector)

    @classmethod
    def from_geometries(
        cls,
        geoms_lonlat: np.ndarray,
        *,
        projector: Projector,
        validate: bool = True,
    ) -> BuildingIndex:
        """Index lon/lat polygons; invalid ones are repaired and listed in ``repaired``.

        ``validate=False`` skips the validity pass for layers already repaired on
        import (data packs). Empty and non-polygonal geometries hide nothing and are
        left out.
        """
        geoms = np.asarray(geoms_lonlat, dtype=object)
        repaired = np.empty(0, dtype=np.intp)
        if validate:
            geoms, repaired = repair_polygons(geoms)
        keep = polygonal(geoms)
        return cls(Footprints.from_geometries(geoms[keep]), projector, repaired=repaired)

    def __len__(self) -> int:
        return len(self.footprints)

    def in_crs(self, projector: Projector) -> ProjectedBuildings:
        """These buildings projected by ``projector`` (one shared view per CRS)."""
        key = projector.crs.srs
        with self._lock:
            view = self._views.get(key)
            if view is None:
                view = self._views[key] = ProjectedBuildings(self, projector)
            return view

    def query_lonlat(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """Sorted indices of footprints whose bounds meet a lon/lat ``box``."""
        return self._index.query(box)

    def lonlat(self, idx: np.ndarray | Sequence[int]) -> np.ndarray:
        """Footprints ``idx`` in lon/lat, as shapely objects."""
        return self.footprints.take(idx)

    def query(self, region: BaseGeometry) -> np.ndarray:
        """Indices of buildings whose footprint may intersect a projected ``region``."""
        return self._home.query(region)

    def local(self, idx: np.ndarray) -> LocalBuildings:
        """Projected geometries and oriented edges of buildings ``idx``."""
        return self._home.local(idx)


def _edges(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges of oriented polygons and the index of the polygon each belongs to."""
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    same_ring = coord_ring[:-1] == coord_ring[1:]
    edges = np.hstack([coords[:-1][same_ring], coords[1:][same_ring]])
    owner = part_owner[ring_part[coord_ring[:-1][same_ring]]]
    return edges, owner
