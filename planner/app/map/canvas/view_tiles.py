"""The map canvas's painting: static layers from a cache of tiles rendered on threads.

:meth:`CanvasTiles.drawBackground` blits the current level's tiles 1:1 and, while they
render, scaled tiles of neighbouring levels; the tiles render on a ``QThreadPool`` from an
immutable :class:`RenderState`, so a worker never touches the layers being changed.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import (
    QObject,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QRunnable,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QGraphicsView

from planner.app.map.canvas import style as st
from planner.app.map.canvas.render import (
    BUILDINGS_MAX_RES,
    TILE_PX,
    RenderState,
    TileKey,
    level_res,
    render_tile,
)
from planner.app.map.canvas.stream import BuildingStream
from planner.core.crs import Projector

if TYPE_CHECKING:
    _ViewBase = QGraphicsView
else:
    _ViewBase = object


class _TileSignals(QObject):
    done = Signal(object, int, QImage, float)


class _TileJob(QRunnable):
    """Renders one tile on a ``QThreadPool`` thread.

    Never call pyproj (a projector, ``to_crs``, :mod:`planner.app.map.canvas.prepare`) from
    here: pyproj 3.7 can segfault in threads Python did not create. Everything a tile
    needs is already in scene coordinates in the :class:`RenderState`.
    """

    def __init__(self, key: TileKey, state: RenderState, signals: _TileSignals) -> None:
        super().__init__()
        self.key = key
        self.state = state
        self.signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        t0 = time.perf_counter()
        image = render_tile(self.key, self.state)
        self.signals.done.emit(
            self.key, self.state.generation, image, (time.perf_counter() - t0) * 1000.0
        )


#: Rendered tiles kept (256 x 256 px, 256 KB each: 48 MB); two screens of a 2560 x 1440
#: monitor, plus the neighbouring levels shown scaled while a zoom renders.
MAX_TILES = 192


class CanvasTiles(_ViewBase):
    """Part of :class:`~planner.app.map.canvas.view.MapCanvas`: painting from its tile cache."""

    # what this part uses of the rest of the canvas
    _basemap: Any
    _cache: OrderedDict[TileKey, tuple[int, QPixmap]]
    _ground_generation: int
    _level: int
    _max_tiles: int
    _opacity: dict[str, float]
    _pool: QThreadPool
    _projector: Projector | None
    _queue: list[TileKey]
    _render_next_paint: bool
    _running: set[TileKey]
    _signals: _TileSignals
    _state: RenderState
    _stream: BuildingStream | None
    _stream_dirty: bool
    _synchronous: bool
    _update_scene_rect: Callable[[], None]
    _update_timer: QTimer
    _view_complete: bool
    _visible: dict[str, bool]
    basemap_shown: Callable[[], bool]
    layers_changed: Signal
    resolution: Callable[[], float]
    tile_times_ms: list[float]
    tiles_idle: Signal
    tiles_rendered: int
    view_to_scene: Callable[[QPoint | QPointF], QPointF]

    def _init_tiles(self, *, max_tiles: int, threads: int | None) -> None:
        """An empty tile cache and the thread pool that fills it."""
        # street names are placed per view (see LabelLayer), not baked into tiles
        self._state = RenderState(generation=0, street_labels_in_tiles=False)
        self._cache = OrderedDict()
        self._max_tiles = max_tiles
        self._queue = []
        self._running = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(
            threads or max(1, min(4, QThreadPool.globalInstance().maxThreadCount()))
        )
        self._signals = _TileSignals(self)
        self._signals.done.connect(self._on_tile_done)
        self._synchronous = False
        self.tiles_rendered = 0
        self.tile_times_ms = []
        self._update_timer = QTimer(self)
        self._update_timer.setSingleShot(True)
        self._update_timer.setInterval(16)
        self._update_timer.timeout.connect(self.viewport().update)
        self._ground_generation = 0  # tiles older than this have the wrong ground
        self._view_complete = False  # the last paint drew every tile, current
        self._render_next_paint = False  # see render_next_paint_now

    def set_synchronous(self, on: bool) -> None:
        """Render missing tiles while painting (for screenshots and tests)."""
        self._synchronous = bool(on)

    @property
    def synchronous(self) -> bool:
        """Whether tiles and labels are made while painting (screenshots and tests)."""
        return self._synchronous

    def invalidate_tiles(self) -> None:
        self._set_state()

    def clear_tile_cache(self) -> None:
        self._cache.clear()
        self.viewport().update()

    def cached_tiles(self) -> int:
        return len(self._cache)

    def pending_tiles(self) -> int:
        """Tiles still to render, counting building chunks still being read."""
        stream = 0
        if self._stream is not None:
            stream = self._stream.pending() + int(self._stream_dirty)
        return len(self._queue) + len(self._running) + stream

    def render_next_paint_now(self) -> None:
        """Render the tiles the next paint needs in that paint, on this thread; once.

        For a first paint of small layers (a preview): a tenth of a second here beats
        the tile threads' tile-by-tile delivery, one frame per tile. Unlike
        :meth:`set_synchronous` it leaves the canvas as it was after that paint.
        """
        self._render_next_paint = True
        self.viewport().update()

    def view_complete(self) -> bool:
        """Whether the last paint drew every tile of the view from the current layers.

        Neither a missing tile (covered by a scaled neighbour level or left blank) nor
        one of an older generation (drawn before the layers changed).
        """
        return self._view_complete

    def wait_for_tiles(self, timeout_ms: int = 30000) -> bool:
        """Process events until every wanted tile is rendered; False on timeout."""
        app = QApplication.instance()
        deadline = time.perf_counter() + timeout_ms / 1000.0
        self._request_visible()
        while self.pending_tiles() and time.perf_counter() < deadline:
            if app is not None:
                app.processEvents()
            self._pool.waitForDone(5)
            self._request_visible()
        if app is not None:
            app.processEvents()
        return self.pending_tiles() == 0

    def render_tile_now(self, key: TileKey) -> QImage:
        """Render one tile on the calling thread (benchmarks)."""
        return render_tile(key, self._state)

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        painter.fillRect(rect, st.BACKGROUND)
        self._request_chunks()
        if self.basemap_shown() and self._projector is not None:
            self._draw_basemap(painter)
        level = self._level
        res = level_res(level)
        size = TILE_PX * res
        i0, i1 = math.floor(rect.left() / size), math.floor(rect.right() / size)
        j0, j1 = math.floor(rect.top() / size), math.floor(rect.bottom() / size)
        keys = [(level, i, j) for j in range(j0, j1 + 1) for i in range(i0, i1 + 1)]
        gen = self._state.generation
        if self._synchronous or self._render_next_paint:
            self._render_next_paint = False
            for key in keys:
                hit = self._cache.get(key)
                if hit is None or hit[0] != gen:
                    self._store(key, gen, render_tile(key, self._state))
        missing = [k for k in keys if k not in self._cache]
        if missing:
            self._draw_fallback(painter, missing)
        exact = abs(self.transform().m11() * res - 1.0) < 1e-9
        painter.save()
        if exact:
            # blit 1:1 in device pixels from one rounded anchor, so tiles never seam
            origin = self.viewportTransform().map(QPointF(i0 * size, j0 * size))
            ox, oy = round(origin.x()), round(origin.y())
            painter.resetTransform()
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        stale = []
        for key in keys:
            hit = self._cache.get(key)
            if hit is None:
                continue
            self._cache.move_to_end(key)
            if hit[0] != gen:
                stale.append(key)
            _, i, j = key
            if exact:
                painter.drawPixmap(ox + (i - i0) * TILE_PX, oy + (j - j0) * TILE_PX, hit[1])
            else:
                painter.drawPixmap(
                    QRectF(i * size, j * size, size, size), hit[1], QRectF(0, 0, TILE_PX, TILE_PX)
                )
        painter.restore()
        self._view_complete = not missing and not stale
        if missing or stale:
            self._request_visible()

    def _draw_basemap(self, painter: QPainter) -> None:
        proj = self._projector

        def to_scene(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            x, y = proj.forward(lon, lat)  # type: ignore[union-attr]
            return x, -y

        painter.save()
        painter.setOpacity(self._opacity["basemap"])
        self._basemap.draw(
            painter,
            corners_lonlat=self._view_corners_lonlat(),
            res_m=self.resolution(),
            to_scene=to_scene,
        )
        painter.restore()

    def _view_corners_lonlat(self) -> np.ndarray:
        w, h = self.viewport().width(), self.viewport().height()
        pts = [self.view_to_scene(QPointF(x, y)) for x, y in ((0, 0), (w, 0), (w, h), (0, h))]
        xs = np.array([p.x() for p in pts])
        ys = -np.array([p.y() for p in pts])
        lon, lat = self._projector.inverse(xs, ys)  # type: ignore[union-attr]
        return np.column_stack([lon, lat])

    def _set_state(self, **changes: Any) -> None:
        transparent = self.basemap_shown()
        if transparent != self._state.transparent:
            self._cache.clear()  # cached tiles have the other ground
            # tiles still rendering have it too: drop them when they arrive
            self._ground_generation = self._state.generation + 1
        self._state = replace(
            self._state,
            generation=self._state.generation + 1,
            visible=dict(self._visible),
            opacity=dict(self._opacity),
            transparent=transparent,
            **changes,
        )
        self._queue.clear()
        if changes:
            self._update_scene_rect()
        self.layers_changed.emit()
        self.viewport().update()

    def _visible_keys(self, ring: int = 1) -> list[TileKey]:
        """Tiles of the view (centre first) and a ring around it to pan into."""
        rect = (
            self.view_to_scene(QPointF(0, 0)),
            self.view_to_scene(QPointF(self.viewport().width(), self.viewport().height())),
        )
        size = TILE_PX * level_res(self._level)
        i0, j0 = math.floor(rect[0].x() / size), math.floor(rect[0].y() / size)
        i1, j1 = math.floor(rect[1].x() / size), math.floor(rect[1].y() / size)
        ci, cj = (i0 + i1) / 2, (j0 + j1) / 2
        inner = [(self._level, i, j) for j in range(j0, j1 + 1) for i in range(i0, i1 + 1)]
        inner.sort(key=lambda k: (k[1] - ci) ** 2 + (k[2] - cj) ** 2)
        outer = [
            (self._level, i, j)
            for j in range(j0 - ring, j1 + ring + 1)
            for i in range(i0 - ring, i1 + ring + 1)
            if not (i0 <= i <= i1 and j0 <= j <= j1)
        ]
        return inner + outer

    def _request_chunks(self) -> None:
        """Ask the building stream for the chunks of the view (cheap when loaded)."""
        if self._stream is not None and level_res(self._level) <= BUILDINGS_MAX_RES:
            w, h = self.viewport().width(), self.viewport().height()
            a, b = self.view_to_scene(QPointF(0, 0)), self.view_to_scene(QPointF(w, h))
            self._stream.request((a.x(), a.y(), b.x(), b.y()))

    def _request_visible(self) -> None:
        gen = self._state.generation
        wanted = []
        for key in self._visible_keys():
            hit = self._cache.get(key)
            if (hit is None or hit[0] != gen) and key not in self._running:
                wanted.append(key)
        self._queue = wanted
        self._pump()

    def _pump(self) -> None:
        while self._queue and len(self._running) < self._pool.maxThreadCount():
            key = self._queue.pop(0)
            self._running.add(key)
            self._pool.start(_TileJob(key, self._state, self._signals))
        if not self._queue and not self._running:
            self.tiles_idle.emit()

    def _store(self, key: TileKey, gen: int, image: QImage) -> None:
        self.tiles_rendered += 1
        self._cache[key] = (gen, QPixmap.fromImage(image))
        self._cache.move_to_end(key)
        while len(self._cache) > self._max_tiles:
            self._cache.popitem(last=False)

    def _on_tile_done(self, key: TileKey, gen: int, image: QImage, ms: float) -> None:
        self._running.discard(key)
        self.tile_times_ms.append(ms)
        hit = self._cache.get(key)
        if gen >= self._ground_generation and (hit is None or hit[0] <= gen):
            self._store(key, gen, image)
        if gen != self._state.generation:
            self._request_visible()
        else:
            self._pump()
        if key[0] == self._level and not self._update_timer.isActive():
            self._update_timer.start()

    def _draw_fallback(self, painter: QPainter, missing: list[TileKey]) -> None:
        """Cover missing tiles with scaled cached tiles of nearby levels."""
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        for key in missing:
            level, i, j = key
            size = TILE_PX * level_res(level)
            box = QRectF(i * size, j * size, size, size)
            for other in (level + 1, level + 2, level - 1, level + 3, level - 2, level + 4):
                osize = TILE_PX * level_res(other)
                oi0, oi1 = math.floor(box.left() / osize), math.floor((box.right() - 1e-6) / osize)
                oj0, oj1 = math.floor(box.top() / osize), math.floor((box.bottom() - 1e-6) / osize)
                found = [
                    (k, self._cache[k][1])
                    for oj in range(oj0, oj1 + 1)
                    for oi in range(oi0, oi1 + 1)
                    if (k := (other, oi, oj)) in self._cache
                ]
                if not found:
                    continue
                painter.setClipRect(box)
                for (_, oi, oj), pix in found:
                    painter.drawPixmap(
                        QRectF(oi * osize, oj * osize, osize, osize),
                        pix,
                        QRectF(0, 0, TILE_PX, TILE_PX),
                    )
                break
        painter.restore()
