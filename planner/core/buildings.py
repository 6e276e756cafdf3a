"""Building occluders, indexed once, projected lazily per query.

A citywide layer has about 324,000 footprints and 3.8 million vertices. Projecting
them all and cutting them into edges up front costs several seconds, while a camera
only ever looks at a few dozen buildings. So the STRtree is built on the lon/lat
footprints, and a query projects only its candidates (cached, because a drag asks
about the same buildings over and over).

A plan may span UTM zones (SPEC 3): :meth:`BuildingIndex.in_crs` gives a view that
projects into another zone, sharing the tree and keeping its own cache, so a
statewide audit projects each building once per zone it is looked at from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

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
        box = shapely.box(
            lon.min() - _PAD_DEG, lat.min() - _PAD_DEG, lon.max() + _PAD_DEG, lat.max() + _PAD_DEG
        )
        return np.sort(self.index.tree.query(box))

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
            return LocalBuildings(
                idx, np.empty(0, dtype=object), np.empty((0, 4)), np.empty(0, np.intp)
            )
        geoms = np.array([g for g, _ in entries], dtype=object)
        counts = [len(e) for _, e in entries]
        edges = np.vstack([e for _, e in entries]) if sum(counts) else np.empty((0, 4))
        owner = np.repeat(np.arange(len(entries)), counts)
        return LocalBuildings(idx, geoms, edges, owner)

    def _fill(self, idx: np.ndarray) -> None:
        projected = shapely.orient_polygons(
            self.projector.project(self.index.geoms_lonlat[idx]), exterior_cw=True
        )
        edges, owner = _edges(projected)
        starts = np.searchsorted(owner, np.arange(len(idx) + 1))
        for k, i in enumerate(idx.tolist()):
            self._cache[i] = (projected[k], edges[starts[k] : starts[k + 1]])


@dataclass(eq=False)
class BuildingIndex:
    """Building footprints (lon/lat) with an STRtree, projected on demand.

    ``query`` and ``local`` work in ``projector``'s CRS (the plan's home zone);
    :meth:`in_crs` gives the same buildings in another CRS.
    """

    geoms_lonlat: np.ndarray
    projector: Projector
    heights: np.ndarray | None = None
    repaired: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    tree: STRtree = field(init=False, repr=False)
    _views: dict[str, ProjectedBuildings] = field(init=False, repr=False, default_factory=dict)
    _home: ProjectedBuildings = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        geoms = np.asarray(self.geoms_lonlat, dtype=object)
        keep = ~shapely.is_empty(geoms) & np.isin(shapely.get_type_id(geoms), _POLYGONAL)
        if not keep.all():
            geoms = geoms[keep]
            if self.heights is not None:
                self.heights = np.asarray(self.heights)[keep]
        self.geoms_lonlat = geoms
        self.tree = STRtree(geoms)
        # An STRtree is built lazily on its first query; pay that now, not on the
        # first drag.
        self.tree.query(shapely.box(0, 0, 1, 1))
        self._home = self.in_crs(self.projector)

    @classmethod
    def from_geometries(
        cls,
        geoms_lonlat: np.ndarray,
        *,
        projector: Projector,
        heights: np.ndarray | None = None,
        validate: bool = True,
    ) -> BuildingIndex:
        """Index lon/lat polygons; invalid ones are repaired and listed in ``repaired``.

        ``validate=False`` skips the validity pass for layers already repaired on
        import (data packs).
        """
        geoms = np.asarray(geoms_lonlat, dtype=object)
        repaired = np.empty(0, dtype=np.intp)
        if validate:
            geoms, repaired = repair_polygons(geoms)
        return cls(geoms_lonlat=geoms, projector=projector, heights=heights, repaired=repaired)

    def __len__(self) -> int:
        return len(self.geoms_lonlat)

    def in_crs(self, projector: Projector) -> ProjectedBuildings:
        """These buildings projected by ``projector`` (one shared view per CRS)."""
        key = projector.crs.srs
        with self._lock:
            view = self._views.get(key)
            if view is None:
                view = self._views[key] = ProjectedBuildings(self, projector)
            return view

    @cached_property
    def geoms(self) -> np.ndarray:
        """Every footprint projected (computed once, on first use; for drawing)."""
        return np.asarray(self.projector.project(self.geoms_lonlat), dtype=object)

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
