"""One report map's frame: where it lies in the scene, and the layers cut to it.

A report draws hundreds of small maps from one set of layers. Each map cuts every
polygon and line layer to its frame before drawing (a PDF keeps every vertex it is
given, clipped or not), and only the buildings near some camera are prepared at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QPointF

from planner.app.map.canvas.layers import GeomLayer, StreetLayer
from planner.app.map.canvas.render import RenderState
from planner.core.buildings import BoundsIndex, BuildingIndex, Footprints
from planner.core.model import Camera

Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class MapFrame:
    """Where a map of ``width`` × ``height`` layout units lies in the scene.

    ``(x0, y0)`` is its top-left corner in scene coordinates (projected metres, y
    down) and ``res`` the metres one layout unit spans.
    """

    x0: float
    y0: float
    res: float
    width: float
    height: float

    @classmethod
    def fit(cls, extent: Rect, *, width: float, height: float, pad: float) -> MapFrame:
        """The frame showing ``extent`` (projected metres, y up) whole, ``pad`` around it."""
        minx, miny, maxx, maxy = extent
        dx, dy = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        res = max(dx / width, dy / height) * (1 + 2 * pad)
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        # scene coordinates: y flipped
        return cls(cx - width * res / 2, -cy - height * res / 2, res, width, height)

    @property
    def rect(self) -> Rect:
        """The frame in scene coordinates: ``(x0, y0, x1, y1)``."""
        return (self.x0, self.y0, self.x0 + self.width * self.res, self.y0 + self.height * self.res)

    def to_layout(self, x: float, y: float) -> QPointF:
        """Scene point ``(x, y)`` in the map's layout units."""
        return QPointF((x - self.x0) / self.res, (y - self.y0) / self.res)


def nearby_buildings(
    buildings: Footprints | None,
    cameras: Sequence[Camera],
    *,
    reach_m: float,
    index: BuildingIndex | None = None,
) -> np.ndarray | None:
    """Only the footprints a camera map can show: a citywide layer is 300,000 of them.

    ``index`` is the checker's :class:`~planner.core.buildings.BuildingIndex` of the
    same footprints: its index is used rather than indexing the layer a second time.
    """
    if buildings is None or not len(buildings) or not cameras:
        return None
    query = index.query_lonlat if index is not None else BoundsIndex(buildings.bounds).query
    lat0 = float(np.mean([c.lat for c in cameras]))
    dlat = reach_m / 111_320.0
    dlon = dlat / max(0.1, np.cos(np.radians(lat0)))
    hits = [query((c.lon - dlon, c.lat - dlat, c.lon + dlon, c.lat + dlat)) for c in cameras]
    return buildings.take(np.unique(np.concatenate(hits)))


class _CutLayer(GeomLayer):
    """A layer already cut to one map: every feature is drawn, so no index is built.

    Building an STRtree for each layer of each of hundreds of small maps cost more
    than drawing them.
    """

    def __post_init__(self) -> None:
        self.geoms = np.asarray(self.geoms, dtype=object)
        self._lod = {}
        self.tree = None
        self.bounds = None
        self._boxes = shapely.bounds(self.geoms)

    def query(self, rect: Rect) -> np.ndarray:
        # what the map's edge cuts off is never written into a PDF: envelope test
        b = self._boxes
        x0, y0, x1, y1 = rect
        hit = (b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)
        return np.flatnonzero(hit)


def _clip_layer(layer: GeomLayer | None, rect: Rect) -> tuple[GeomLayer | None, np.ndarray]:
    """The features of ``layer`` meeting ``rect``, cut to it, and their indices.

    A PDF keeps every vertex a path is given, clipped or not: a district outline of
    20,000 vertices would be written out whole into every camera's little map.
    """
    if layer is None:
        return None, np.empty(0, dtype=np.intp)
    hits = layer.query(rect)
    if len(hits) == 0:
        return None, hits
    cut = shapely.clip_by_rect(layer.geoms[hits], *rect)
    keep = ~shapely.is_empty(cut)
    return (_CutLayer(cut[keep]) if keep.any() else None), hits[keep]


def clipped(state: RenderState, rect: Rect) -> RenderState:
    """``state`` with every polygon and line layer cut to ``rect`` (points stay)."""
    changes: dict[str, Any] = {}
    changes["buildings"], _ = _clip_layer(state.buildings, rect)
    zones, zi = _clip_layer(state.zones, rect)
    changes["zones"] = zones
    changes["zone_actions"] = None if state.zone_actions is None else state.zone_actions[zi]
    outlines, oi = _clip_layer(state.site_outlines, rect)
    changes["site_outlines"] = outlines
    changes["site_outline_styles"] = tuple(state.site_outline_styles[i] for i in oi)
    if getattr(state, "boundaries", None) is not None:
        bnd, bi = _clip_layer(state.boundaries, rect)
        changes["boundaries"] = bnd
        kinds = state.boundary_kinds
        changes["boundary_kinds"] = None if kinds is None else kinds[bi]
    if state.streets is not None:
        changes["streets"] = clip_streets(state.streets, rect)
    return replace(state, **changes)


def clip_streets(streets: StreetLayer | None, rect: Rect) -> StreetLayer | None:
    """``streets`` cut to ``rect``, each class with its names (None: nothing left)."""
    if streets is None:
        return None
    classes, names = {}, {}
    for key, layer in streets.classes.items():
        cut, hits = _clip_layer(layer, rect)
        if cut is not None:
            classes[key], names[key] = cut, streets.names[key][hits]
    return StreetLayer(classes=classes, names=names) if classes else None
