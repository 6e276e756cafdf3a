"""Buildings streamed into the map by area from the checker's building index.

A citywide pack holds 324,000 footprints; projecting and indexing all of them for
the map costs seconds and hundreds of megabytes. Instead the canvas asks
:class:`BuildingStream` for the square chunks (:data:`CHUNK_M` metres) that the
visible tiles need, only at zooms where buildings are drawn. Each chunk's footprints
are found in the checker's own :class:`~planner.core.buildings.BuildingIndex` (so the
map draws exactly the footprints, repairs included, that the checks used), projected
and indexed on a Python thread (pyproj is safe there, unlike on ``QThreadPool``
threads), and handed to the GUI thread. What is kept is bounded by footprints as well
as chunks, least recently used out first: panning across the city at street zoom
must not gather the city's buildings in memory chunk by chunk.

:class:`ChunkedLayer` presents the loaded chunks to the tile renderer with the
:class:`~planner.app.map.canvas.layers.GeomLayer` interface (``query``, ``parts``,
``geoms``, ``bounds``). A footprint crossing a chunk edge is in both chunks; drawing
it twice changes nothing.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal

from planner.app.map.canvas.layers import GeomLayer, to_scene_geoms
from planner.core.buildings import BuildingIndex

CHUNK_M = 1024.0
MAX_CHUNKS = 160
#: Footprints kept in loaded chunks (about 0.6 KB each once projected and indexed);
#: the densest downtown view of a 2560 x 1440 screen needs under 20,000.
MAX_FEATURES = 40_000
ChunkKey = tuple[int, int]


class ChunkedLayer:
    """Several :class:`GeomLayer` chunks seen as one layer (read-only, thread safe)."""

    def __init__(
        self,
        chunks: tuple[GeomLayer, ...],
        *,
        bounds: tuple[float, float, float, float] | None,
        total: int,
    ) -> None:
        self.chunks = tuple(c for c in chunks if len(c))
        self.offsets = np.cumsum([0] + [len(c) for c in self.chunks])
        self.bounds = bounds
        self.total = total
        self.geoms = (
            np.concatenate([c.geoms for c in self.chunks])
            if self.chunks
            else np.empty(0, dtype=object)
        )

    def __len__(self) -> int:
        return self.total

    def query(self, rect: tuple[float, float, float, float]) -> np.ndarray:
        hits = [c.query(rect) + off for c, off in zip(self.chunks, self.offsets, strict=False)]
        return np.concatenate(hits) if hits else np.empty(0, dtype=np.int64)

    def parts(
        self, features: np.ndarray, res: float, *, oriented: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        coords, starts = [], []
        n = 0
        for k, c in enumerate(self.chunks):
            lo, hi = self.offsets[k], self.offsets[k + 1]
            sel = features[(features >= lo) & (features < hi)] - lo
            if len(sel) == 0:
                continue
            xy, st = c.parts(sel, res, oriented=oriented)
            coords.append(xy)
            starts.append(st + n)
            n += len(xy)
        if not coords:
            return np.empty((0, 2)), np.empty(0, dtype=np.int64)
        return np.concatenate(coords), np.concatenate(starts)


class BuildingStream(QObject):
    """Reads building chunks of a data pack on demand.

    Signals
    -------
    changed()
        Chunks arrived: the canvas rebuilds its building layer.
    """

    changed = Signal()
    _loaded = Signal(object, object, int)

    def __init__(
        self, index: BuildingIndex, projector: Any, *, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.index = index
        self.projector = projector
        self.total = len(index)
        b = index.footprints.bounds
        total = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()) if len(b) else None
        self.bounds = self._scene_bounds(total)
        self._chunks: OrderedDict[ChunkKey, GeomLayer] = OrderedDict()
        self._pending: set[ChunkKey] = set()
        self._wanted: set[ChunkKey] = set()  # the chunks of the latest view
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="buildings")
        self._generation = 0
        self.reads = 0  # chunks read (tests, benchmark)
        self._loaded.connect(self._arrived, Qt.ConnectionType.QueuedConnection)

    def _scene_bounds(self, b: Any) -> tuple[float, float, float, float] | None:
        if b is None or not np.all(np.isfinite(b)):
            return None
        lon = np.array([b[0], b[2], b[2], b[0]])
        lat = np.array([b[1], b[1], b[3], b[3]])
        x, y = self.projector.forward(lon, lat)
        return (float(x.min()), float(-y.max()), float(x.max()), float(-y.min()))

    def layer_now(self) -> ChunkedLayer:
        """The chunks loaded so far, as one layer for the renderer."""
        return ChunkedLayer(tuple(self._chunks.values()), bounds=self.bounds, total=self.total)

    def request(self, rect: tuple[float, float, float, float]) -> None:
        """Load the chunks that a scene rectangle (x0, y0, x1, y1) touches."""
        i0, i1 = math.floor(rect[0] / CHUNK_M), math.floor(rect[2] / CHUNK_M)
        j0, j1 = math.floor(rect[1] / CHUNK_M), math.floor(rect[3] / CHUNK_M)
        if (i1 - i0 + 1) * (j1 - j0 + 1) > MAX_CHUNKS // 2:
            return  # a view this large does not draw buildings anyway
        self._wanted = {(i, j) for j in range(j0, j1 + 1) for i in range(i0, i1 + 1)}
        for j in range(j0, j1 + 1):
            for i in range(i0, i1 + 1):
                key = (i, j)
                if key in self._chunks:
                    self._chunks.move_to_end(key)
                    continue
                if key in self._pending:
                    continue
                self._pending.add(key)
                self._pool.submit(self._read, key, self._generation)

    def close(self) -> None:
        self._generation += 1
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _read(self, key: ChunkKey, generation: int) -> None:
        i, j = key
        x0, x1 = i * CHUNK_M, (i + 1) * CHUNK_M
        ny0, ny1 = -(j + 1) * CHUNK_M, -j * CHUNK_M  # scene y is -northing
        lon, lat = self.projector.inverse(
            np.array([x0, x1, x1, x0]), np.array([ny0, ny0, ny1, ny1])
        )
        box = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
        geoms = self.index.lonlat(self.index.query_lonlat(box))
        layer = GeomLayer(to_scene_geoms(geoms, projector=self.projector, projected=False))
        self.reads += 1
        self._loaded.emit(key, layer, generation)

    def _arrived(self, key: ChunkKey, layer: GeomLayer, generation: int) -> None:
        self._pending.discard(key)
        if generation != self._generation:
            return
        self._chunks[key] = layer
        kept = sum(len(c) for c in self._chunks.values())
        # The least recently used go first; what the view shows now always stays.
        for old in [k for k in self._chunks if k not in self._wanted and k != key]:
            if len(self._chunks) <= MAX_CHUNKS and kept <= MAX_FEATURES:
                break
            kept -= len(self._chunks.pop(old))
        self.changed.emit()

    def loaded_features(self) -> int:
        """Footprints held in loaded chunks (a footprint on a chunk edge counts twice)."""
        return sum(len(c) for c in self._chunks.values())

    def pending(self) -> int:
        """Chunks asked for and not yet arrived."""
        return len(self._pending)


__all__ = ["CHUNK_M", "BuildingStream", "ChunkedLayer"]
