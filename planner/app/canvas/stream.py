"""Buildings streamed into the map by area from a GeoPackage's spatial index.

A citywide pack holds 324,000 footprints; projecting and indexing all of them for
the map costs seconds and hundreds of megabytes before the first paint. Instead the
canvas asks :class:`BuildingStream` for the square chunks (:data:`CHUNK_M` metres)
that the visible tiles need, only at zooms where buildings are drawn. Each chunk is
read with a bounding-box query (the GeoPackage R-tree), projected and indexed on a
Python thread (pyproj is safe there, unlike on ``QThreadPool`` threads), and handed
to the GUI thread. A bounded number of chunks is kept (least recently used first out).

:class:`ChunkedLayer` presents the loaded chunks to the tile renderer with the
:class:`~planner.app.canvas.layers.GeomLayer` interface (``query``, ``parts``,
``geoms``, ``bounds``). A footprint crossing a chunk edge is in both chunks; drawing
it twice changes nothing.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal

from planner.app.canvas.layers import GeomLayer, to_scene_geoms

CHUNK_M = 1024.0
MAX_CHUNKS = 160
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

    def parts(self, features: np.ndarray, res: float) -> tuple[np.ndarray, np.ndarray]:
        coords, starts = [], []
        n = 0
        for k, c in enumerate(self.chunks):
            lo, hi = self.offsets[k], self.offsets[k + 1]
            sel = features[(features >= lo) & (features < hi)] - lo
            if len(sel) == 0:
                continue
            xy, st = c.parts(sel, res)
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
        self,
        pack: str | Path,
        projector: Any,
        *,
        layer: str = "buildings",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        import pyogrio

        self.pack = str(pack)
        self.layer = layer
        self.projector = projector
        info = pyogrio.read_info(self.pack, layer=layer)
        self.total = int(info.get("features") or 0)
        self.bounds = self._scene_bounds(info.get("total_bounds"))
        self._chunks: OrderedDict[ChunkKey, GeomLayer] = OrderedDict()
        self._pending: set[ChunkKey] = set()
        self._lock = threading.Lock()
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
        import pyogrio
        import shapely

        i, j = key
        x0, x1 = i * CHUNK_M, (i + 1) * CHUNK_M
        ny0, ny1 = -(j + 1) * CHUNK_M, -j * CHUNK_M  # scene y is -northing
        lon, lat = self.projector.inverse(
            np.array([x0, x1, x1, x0]), np.array([ny0, ny0, ny1, ny1])
        )
        bbox = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
        try:
            frame = pyogrio.read_dataframe(
                self.pack, layer=self.layer, bbox=bbox, columns=[], read_geometry=True
            )
            geoms = np.asarray(frame.geometry.values, dtype=object)
            geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
            layer = GeomLayer(to_scene_geoms(geoms, projector=self.projector, projected=False))
        except Exception:  # a damaged pack: the map goes on without these buildings
            layer = GeomLayer(np.empty(0, dtype=object))
        self.reads += 1
        self._loaded.emit(key, layer, generation)

    def _arrived(self, key: ChunkKey, layer: GeomLayer, generation: int) -> None:
        self._pending.discard(key)
        if generation != self._generation:
            return
        self._chunks[key] = layer
        while len(self._chunks) > MAX_CHUNKS:
            self._chunks.popitem(last=False)
        self.changed.emit()

    def pending(self) -> int:
        """Chunks asked for and not yet arrived."""
        return len(self._pending)


__all__ = ["CHUNK_M", "BuildingStream", "ChunkedLayer"]
