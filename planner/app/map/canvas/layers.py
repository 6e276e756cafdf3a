"""Static layer data in the canvas's scene coordinates, flattened for fast tiles.

Scene coordinates are projected metres with y flipped (scene y = -northing), so
that Qt's downward y axis shows north up. Every static layer is held as shapely
geometries in scene coordinates, an STRtree over them, and the flat vertex arrays
that :func:`planner.app.map.canvas.paths.path_from_parts` streams into a path.
Coarse zoom levels draw geometry simplified to their pixel size. :class:`StreetLayer`
holds the streets by drawing class with their names; :class:`PointLayer` styled points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from planner.app.map.canvas import style as st

#: Simplification tolerances (scene metres) kept per layer; a tile with pixel size
#: ``res`` uses the largest tolerance not above ``res / 2``.
LOD_TOLERANCES = (0.0, 1.0, 4.0, 16.0, 32.0, 64.0, 128.0)
#: A layer of at most this many geometries keeps them simplified per tolerance: a few
#: big polygons (city limits, districts) cross every tile of a city view, and
#: simplifying them again for each tile was most of the first paint's tile work.
LOD_CACHE_MAX_FEATURES = 64


def flip_y(geoms: np.ndarray | BaseGeometry) -> np.ndarray | BaseGeometry:
    """Projected (x, northing) to scene (x, -northing); its own inverse."""
    return shapely.transform(geoms, lambda c: c * np.array([1.0, -1.0]))


@dataclass
class Flat:
    """Vertices of every part (ring or line) of a geometry array.

    ``coords[offsets[p]:offsets[p + 1]]`` is part ``p``; the parts of feature ``f``
    are ``feature_parts[f]:feature_parts[f + 1]``.
    """

    coords: np.ndarray
    offsets: np.ndarray
    feature_parts: np.ndarray

    @classmethod
    def build(cls, geoms: np.ndarray) -> Flat:
        parts, part_feature = shapely.get_parts(geoms, return_index=True)
        types = shapely.get_type_id(parts)
        polygonal = types == 3
        if polygonal.any():
            # polygons contribute their rings; lines stay as they are
            rings, ring_part = shapely.get_rings(parts, return_index=True)
            line_parts = np.flatnonzero(~polygonal)
            pieces = np.concatenate([rings, parts[line_parts]])
            piece_part = np.concatenate([ring_part, line_parts])
            order = np.argsort(piece_part, kind="stable")
            pieces, piece_part = pieces[order], piece_part[order]
        else:
            pieces, piece_part = parts, np.arange(len(parts))
        piece_feature = part_feature[piece_part]
        coords, vertex_piece = shapely.get_coordinates(pieces, return_index=True)
        counts = np.bincount(vertex_piece, minlength=len(pieces))
        offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        feature_parts = np.searchsorted(piece_feature, np.arange(len(geoms) + 1))
        return cls(coords=coords, offsets=offsets, feature_parts=feature_parts.astype(np.int64))


@dataclass
class GeomLayer:
    """Geometries in scene coordinates with a spatial index."""

    geoms: np.ndarray
    tree: shapely.STRtree = field(init=False)
    bounds: tuple[float, float, float, float] | None = field(init=False)
    _lod: dict[tuple[str, float], np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.geoms = np.asarray(self.geoms, dtype=object)
        # filled by tile threads: a race only computes an entry twice
        self._lod = {}
        self.tree = shapely.STRtree(self.geoms)
        # Computed once, where the layer is made (the worker for big layers): the total
        # bounds of 324,000 buildings cost ~35 ms, too much to redo on the GUI thread.
        self.bounds = None
        if len(self.geoms):
            b = shapely.total_bounds(self.geoms)
            if np.all(np.isfinite(b)):
                self.bounds = tuple(float(v) for v in b)  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.geoms)

    def query(self, rect: tuple[float, float, float, float]) -> np.ndarray:
        """Sorted indices of geometries whose envelope meets ``rect`` (x0, y0, x1, y1)."""
        hits = self.tree.query(shapely.box(*rect))
        hits.sort()
        return hits

    def simplified(self, features: np.ndarray, res: float) -> np.ndarray:
        """``features`` simplified for pixels of ``res`` scene metres, empty ones dropped."""
        tol = max(t for t in LOD_TOLERANCES if t <= res / 2.0)
        if tol <= 0:
            return self.geoms[features]
        if len(self.geoms) <= LOD_CACHE_MAX_FEATURES:
            whole = self._lod.get(("simplified", tol))
            if whole is None:
                whole = shapely.simplify(self.geoms, tol, preserve_topology=False)
                self._lod[("simplified", tol)] = whole
            geoms = whole[features]
        else:
            geoms = shapely.simplify(self.geoms[features], tol, preserve_topology=False)
        return geoms[~shapely.is_empty(geoms)]

    def parts(
        self, features: np.ndarray, res: float, *, oriented: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vertices of ``features`` simplified for pixels of ``res`` scene metres.

        Returns the concatenated ``(n, 2)`` coordinates and the index where each
        ring or line starts. Working on the tile's features only keeps the cost
        proportional to what is drawn, with nothing to prepare up front.
        ``oriented`` turns every exterior ring one way and every hole the other, so
        a path filled by the winding rule keeps holes and fills overlaps.
        """
        geoms = self.simplified(features, res)
        if oriented:
            geoms = shapely.orient_polygons(geoms)
        flat = Flat.build(geoms)
        return flat.coords, flat.offsets[:-1]

    def outline_parts(
        self, features: np.ndarray, res: float, rect: tuple[float, float, float, float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`parts`, for the outlines of ``features`` clipped to ``rect``.

        Stroking a whole city-limits ring for every tile it crosses costs a tile more
        than all its other layers; clipped to the tile (``rect`` reaching a pen width
        beyond it, so the cut ends stay out of sight) only its own stretch is stroked.
        Not for dashed pens: a clipped line restarts its dash pattern at the cut.
        """
        geoms = self.simplified(features, res)
        polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
        lines = np.where(polygonal, shapely.boundary(geoms), geoms)
        lines = shapely.clip_by_rect(lines, *rect)
        flat = Flat.build(lines[~shapely.is_empty(lines)])
        return flat.coords, flat.offsets[:-1]


def to_scene_geoms(geoms: np.ndarray, *, projector: object | None, projected: bool) -> np.ndarray:
    """Lon/lat (or projected) shapely geometries to scene coordinates."""
    arr = np.asarray(geoms, dtype=object)
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    if projected:
        return np.asarray(flip_y(arr), dtype=object)
    if projector is None:
        msg = "a projector is needed to draw lon/lat layers"
        raise ValueError(msg)

    def forward_flipped(c: np.ndarray) -> np.ndarray:
        # project and flip in one pass: two passes cost a second over 300,000 buildings
        x, y = projector.forward(c[:, 0], c[:, 1])  # type: ignore[attr-defined]
        return np.column_stack([x, -y])

    return np.asarray(shapely.transform(arr, forward_flipped), dtype=object)


def prepare_layer(
    geoms: np.ndarray, *, projector: object | None, projected: bool = False
) -> GeomLayer:
    """Project and index polygons or lines for the canvas; safe on a worker thread.

    Pass the result to :meth:`MapCanvas.set_buildings` to keep the GUI thread free
    while a citywide layer (seconds of work) is prepared.
    """
    return GeomLayer(to_scene_geoms(geoms, projector=projector, projected=projected))


@dataclass(frozen=True)
class StreetLayer:
    """Streets split by drawing class, each with its names."""

    classes: dict[str, GeomLayer]
    names: dict[str, np.ndarray]

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        boxes = [b for g in self.classes.values() if (b := g.bounds) is not None]
        if not boxes:
            return None
        a = np.array(boxes)
        return (a[:, 0].min(), a[:, 1].min(), a[:, 2].max(), a[:, 3].max())

    def __len__(self) -> int:
        return sum(len(g) for g in self.classes.values())


@dataclass(frozen=True)
class PointLayer:
    """Points in scene coordinates with a style per point."""

    xy: np.ndarray
    styles: tuple[st.CategoryStyle, ...] = ()
    tree: shapely.STRtree = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tree", shapely.STRtree(shapely.points(self.xy)))

    def query(self, rect: tuple[float, float, float, float]) -> np.ndarray:
        hits = self.tree.query(shapely.box(*rect))
        hits.sort()
        return hits

    def __len__(self) -> int:
        return len(self.xy)
