"""A raster basemap under the planner's layers: XYZ web tiles, MBTiles or PMTiles.

The map's own layers are drawn in the checker's UTM metres, and web tiles are Web
Mercator squares, so each tile is drawn through the projective transform that maps
its square onto its four projected corners (a tile spans at most a few kilometres,
where the two projections differ by far less than a pixel inside the tile).

Fetching follows the tile providers' usage policies (e.g. the OpenStreetMap Tile
Usage Policy): a ``User-Agent`` that names the application, at most two connections,
only the tiles the view shows (never a bulk prefetch), and a disk cache
(:func:`platformdirs.user_cache_dir`) honoured for :data:`CACHE_MAX_AGE_S` before a
tile is asked for again. Fetching runs on Python threads; the GUI thread only draws
what has arrived. Without a network the basemap degrades quietly: cached tiles keep
showing and :attr:`TileFetcher.status` carries one line for the status bar.
"""

from __future__ import annotations

import hashlib
import math
import os
import socket
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QPointF, QRectF, Signal
from PySide6.QtGui import QImage, QImageReader, QPainter, QPixmap, QPolygonF, QTransform

import planner
from planner.io.config import network

TILE_SIZE = 256
#: Seconds a cached tile is used before it is asked for again (OSM asks for >= 7 days).
CACHE_MAX_AGE_S = 7 * 24 * 3600
#: After a failed request, the same tile is not asked for again for this long.
RETRY_AFTER_S = 60.0
MAX_CONNECTIONS = 2
MAX_TILE_BYTES = 4 * 1024 * 1024
USER_AGENT = (
    f"siting-planner/{planner.__version__} (desktop GIS; ALPR camera siting; "
    "+https://github.com/siting-planner)"
)
_EARTH_HALF = 20037508.342789244

TileId = tuple[int, int, int]  # (z, x, y), XYZ (y down from the north)


@dataclass(frozen=True)
class BasemapSource:
    """Where basemap tiles come from.

    ``url`` is an XYZ template with ``{z}``, ``{x}``, ``{y}`` (``{-y}`` for TMS rows,
    ``{s}`` for a subdomain, ``{r}`` for a retina suffix) for ``kind == "xyz"``, or a
    file path for ``"mbtiles"`` and ``"pmtiles"``.
    """

    name: str
    url: str
    attribution: str
    kind: str = "xyz"
    min_zoom: int = 0
    max_zoom: int = 19

    def __post_init__(self) -> None:
        # a zoom of -5 or 2000 reaches 1 << z in the paint; refuse it here, once
        from planner.io.formats.tiles import MAX_ZOOM

        lo, hi = self.min_zoom, self.max_zoom
        if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi <= MAX_ZOOM):
            msg = (
                f"basemap {self.name}: zoom levels {lo!r} to {hi!r} are not within 0 to {MAX_ZOOM}"
            )
            raise ValueError(msg)

    def tile_url(self, z: int, x: int, y: int) -> str:
        text = self.url
        for key, value in (("{z}", z), ("{x}", x), ("{y}", y), ("{-y}", (1 << z) - 1 - y)):
            text = text.replace(key, str(value))
        return text.replace("{s}", "abc"[(x + y) % 3]).replace("{r}", "")


def _from_xyzservices(provider: Any, name: str) -> BasemapSource:
    url = str(provider["url"])
    for key, value in provider.items():
        # templates carry provider options such as {variant}; fill the fixed ones in
        if key not in {
            "url",
            "attribution",
            "html_attribution",
            "name",
            "max_zoom",
            "min_zoom",
            "subdomains",
            "bounds",
        } and isinstance(value, str | int):
            url = url.replace("{" + key + "}", str(value))
    return BasemapSource(
        name=name,
        url=url,
        attribution=str(provider.get("attribution", "")),
        max_zoom=int(provider.get("max_zoom", 19)),
        min_zoom=int(provider.get("min_zoom", 0)),
    )


def presets() -> list[BasemapSource]:
    """Ready-made web basemaps from :mod:`xyzservices` (no API key needed)."""
    import xyzservices.providers as xyz

    out = []
    for name, getter in (
        ("OpenStreetMap", lambda: xyz.OpenStreetMap.Mapnik),
        ("CARTO Positron (light)", lambda: xyz.CartoDB.Positron),
        ("CARTO Voyager", lambda: xyz.CartoDB.Voyager),
        ("Esri World Imagery (aerial)", lambda: xyz.Esri.WorldImagery),
        ("Esri World Street Map", lambda: xyz.Esri.WorldStreetMap),
    ):
        try:
            out.append(_from_xyzservices(getter(), name))
        except (AttributeError, KeyError):  # a provider renamed in a newer xyzservices
            continue
    return out


def source_for_file(path: str | os.PathLike[str], *, attribution: str = "") -> BasemapSource:
    """An offline basemap from a local ``.mbtiles`` or ``.pmtiles`` file.

    The file's metadata is read within bounds and its zoom levels checked
    (:mod:`planner.io.formats.tiles`); a file that fails raises ``ValueError`` naming it.
    """
    from planner.io.formats.tiles import check_zoom_range, mbtiles_metadata, pmtiles_metadata

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".mbtiles", ".pmtiles"):
        msg = f"{p}: an offline basemap must be an .mbtiles or .pmtiles file"
        raise ValueError(msg)
    if not p.is_file():
        msg = f"{p}: not a file"
        raise ValueError(msg)
    kind = suffix[1:]
    meta = mbtiles_metadata(p) if kind == "mbtiles" else pmtiles_metadata(p)
    lo, hi = check_zoom_range(p, meta.get("minzoom", 0), meta.get("maxzoom", 19))
    text = attribution or meta.get("attribution", "")
    return BasemapSource(
        name=p.name,
        url=str(p),
        kind=kind,
        attribution=str(text)[:2000] if isinstance(text, str | int | float) else "",
        min_zoom=lo,
        max_zoom=hi,
    )


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("siting-planner", appauthor=False)) / "tiles"


# ---------------------------------------------------------------------------- fetching
class _LocalReader:
    """Tiles from an MBTiles or PMTiles file; one bounded reader shared by the fetch threads."""

    def __init__(self, source: BasemapSource) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._file: Any = None

    def get(self, z: int, x: int, y: int) -> bytes | None:
        from planner.io.formats.tiles import MbtilesFile, PmtilesFile

        with self._lock:
            if self._file is None:
                path = Path(self.source.url)
                self._file = (
                    MbtilesFile(path) if self.source.kind == "mbtiles" else PmtilesFile(path)
                )
            reader = self._file
        return reader.get(z, x, y)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
            self._file = None


#: Largest tile image decoded (pixels a side): web tiles are 256 or 512, "retina" 1024.
MAX_TILE_PIXELS = 2048


def decode_tile(data: bytes) -> QImage:
    """The tile image, or a null image when it is not one or claims a huge size.

    The size is read from the image header before anything is decoded: a small
    file that decodes to 8000 x 8000 pixels (256 MB) is refused without the memory.
    """
    buf = QBuffer()
    buf.setData(QByteArray(data))
    buf.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buf)
    reader.setAllocationLimit(64)  # MB; Qt's own guard behind ours
    size = reader.size()
    if not size.isValid() or max(size.width(), size.height()) > MAX_TILE_PIXELS:
        return QImage()
    image = reader.read()
    return image if not image.isNull() else QImage()


class TileFetcher(QObject):
    """Loads tiles on Python threads and hands them to the GUI thread.

    Signals
    -------
    tile_ready(tile_id, image)
        A tile arrived (a ``QImage``; QPixmaps are made on the GUI thread).
    status(text)
        One line for the status bar: empty when the source works, else what failed.
    """

    tile_ready = Signal(object, QImage)
    status = Signal(str)

    def __init__(
        self,
        source: BasemapSource,
        *,
        cache_dir: Path | None = None,
        timeout_s: float = 10.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.source = source
        key = hashlib.sha256(source.url.encode()).hexdigest()[:16]
        self.cache_dir = (cache_dir or default_cache_dir()) / key
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=MAX_CONNECTIONS, thread_name_prefix="basemap")
        self._lock = threading.Lock()
        self._inflight: set[TileId] = set()
        self._wanted: set[TileId] = set()
        self._failed: dict[TileId, float] = {}
        self._offline = False
        self._local = _LocalReader(source) if source.kind != "xyz" else None
        self.requests = 0  # network requests made (tests)

    def request(self, tiles: list[TileId]) -> None:
        """Ask for the tiles the view shows now; older wishes not yet started are dropped."""
        now = time.monotonic()
        with self._lock:
            self._wanted = set(tiles)
            todo = [
                t
                for t in tiles
                if t not in self._inflight and now - self._failed.get(t, -1e9) > RETRY_AFTER_S
            ]
            self._inflight.update(todo)
        for t in todo:
            self._pool.submit(self._load, t)

    def shutdown(self) -> None:
        with self._lock:
            self._wanted = set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._local is not None:
            self._local.close()

    # -- worker side
    def _load(self, tile: TileId) -> None:
        try:
            with self._lock:
                if tile not in self._wanted:  # the view moved on before we started
                    return
            data = self._read(tile)
            image = decode_tile(data) if data else QImage()
            if not image.isNull():
                self.tile_ready.emit(tile, image)
        finally:
            with self._lock:
                self._inflight.discard(tile)

    def _read(self, tile: TileId) -> bytes | None:
        z, x, y = tile
        if self._local is not None:
            try:
                return self._local.get(z, x, y)
            except (sqlite3.Error, OSError, ValueError) as exc:
                with self._lock:
                    self._failed[tile] = time.monotonic()
                self._set_offline(f"Basemap {self.source.name}: cannot read ({exc})")
                return None
        path = self.cache_dir / str(z) / str(x) / f"{y}.tile"
        cached: bytes | None = None
        if path.is_file():
            cached = path.read_bytes()
            if time.time() - path.stat().st_mtime < CACHE_MAX_AGE_S:
                return cached
        try:  # the one network gate (planner.io.config.network): no request when it says no
            network.require("basemap", self.source.name)
        except network.NetworkRefused as exc:
            with self._lock:
                self._failed[tile] = time.monotonic()
            self._set_offline(f"Basemap {self.source.name}: {exc.what}")
            return cached
        url = self.source.tile_url(z, x, y)
        req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            self.requests += 1
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                data = resp.read(MAX_TILE_BYTES + 1)
            if len(data) > MAX_TILE_BYTES:
                msg = "tile larger than 4 MB"
                raise ValueError(msg)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            with self._lock:
                self._failed[tile] = time.monotonic()
            self._set_offline(offline_message(exc))
            return cached  # a stale tile is better than none
        self._set_online()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return data

    def _set_offline(self, text: str) -> None:
        with self._lock:
            was, self._offline = self._offline, True
        if not was:
            self.status.emit(text)

    def _set_online(self) -> None:
        with self._lock:
            was, self._offline = self._offline, False
            self._failed.clear()
        if was:
            self.status.emit("")


def offline_message(exc: BaseException) -> str:
    """Why the web basemap shows nothing new, in words (never an errno or a socket text).

    ``exc`` is what fetching a tile raised; a ``URLError`` is read through its reason.
    """
    if isinstance(exc, urllib.error.HTTPError):
        why = f"the tile server refused the request (HTTP {exc.code})"
    else:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, socket.gaierror):
            why = "no network connection"
        elif isinstance(reason, ConnectionRefusedError):
            why = "the tile server refused the connection"
        elif isinstance(reason, TimeoutError):
            why = "the tile server did not answer"
        elif isinstance(reason, ValueError):
            why = "the tile server sent a tile too large to show"
        else:
            why = "the tile server cannot be reached"
    return f"Basemap unavailable: {why}"


# ---------------------------------------------------------------------------- drawing
def lonlat_to_tile(lon: np.ndarray, lat: np.ndarray, z: int) -> tuple[np.ndarray, np.ndarray]:
    """Fractional XYZ tile coordinates of lon/lat at zoom ``z``."""
    n = float(1 << z)
    lat = np.clip(lat, -85.0511, 85.0511)
    x = (np.asarray(lon) + 180.0) / 360.0 * n
    rad = np.radians(lat)
    y = (1.0 - np.log(np.tan(rad) + 1.0 / np.cos(rad)) / math.pi) / 2.0 * n
    return x, y


def tile_to_lonlat(x: np.ndarray, y: np.ndarray, z: int) -> tuple[np.ndarray, np.ndarray]:
    n = float(1 << z)
    lon = np.asarray(x) / n * 360.0 - 180.0
    lat = np.degrees(np.arctan(np.sinh(math.pi * (1.0 - 2.0 * np.asarray(y) / n))))
    return lon, lat


def zoom_for(res_m: float, lat: float, *, lo: int, hi: int) -> int:
    """The web zoom whose pixels are closest to ``res_m`` metres at latitude ``lat``."""
    ground = 2 * _EARTH_HALF / TILE_SIZE * math.cos(math.radians(lat))
    z = round(math.log2(max(ground / max(res_m, 1e-6), 1.0)))
    return max(lo, min(hi, z))


class BasemapLayer(QObject):
    """The basemap as the canvas draws it: a memory cache over a :class:`TileFetcher`.

    Signals
    -------
    changed()
        New tiles arrived: repaint.
    """

    changed = Signal()

    def __init__(
        self,
        source: BasemapSource,
        *,
        cache_dir: Path | None = None,
        max_tiles: int = 400,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.fetcher = TileFetcher(source, cache_dir=cache_dir, parent=self)
        self.fetcher.tile_ready.connect(self._arrived)
        self._tiles: OrderedDict[TileId, QPixmap] = OrderedDict()
        self._max = max_tiles
        self.drawn = 0  # tiles drawn by the last paint (tests)

    @property
    def attribution(self) -> str:
        return self.source.attribution

    def has(self, tile: TileId) -> bool:
        return tile in self._tiles

    def _arrived(self, tile: TileId, image: QImage) -> None:
        self._tiles[tile] = QPixmap.fromImage(image)
        self._tiles.move_to_end(tile)
        while len(self._tiles) > self._max:
            self._tiles.popitem(last=False)
        self.changed.emit()

    def close(self) -> None:
        self.fetcher.shutdown()

    def tiles_for_view(self, corners_lonlat: np.ndarray, res_m: float) -> tuple[int, list[TileId]]:
        """The zoom and tiles covering a view given by its corners (lon/lat)."""
        lat_mid = float(np.mean(corners_lonlat[:, 1]))
        z = zoom_for(res_m, lat_mid, lo=self.source.min_zoom, hi=self.source.max_zoom)
        tx, ty = lonlat_to_tile(corners_lonlat[:, 0], corners_lonlat[:, 1], z)
        n = 1 << z
        x0, x1 = max(0, math.floor(tx.min())), min(n - 1, math.floor(tx.max()))
        y0, y1 = max(0, math.floor(ty.min())), min(n - 1, math.floor(ty.max()))
        if (x1 - x0 + 1) * (y1 - y0 + 1) > 400:  # never more than a screenful or so
            return z, []
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        tiles = [(z, x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]
        tiles.sort(key=lambda t: (t[1] - cx) ** 2 + (t[2] - cy) ** 2)
        return z, tiles

    def draw(
        self,
        painter: QPainter,
        *,
        corners_lonlat: np.ndarray,
        res_m: float,
        to_scene: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    ) -> None:
        """Draw the tiles of the view, asking for the missing ones.

        ``painter`` is in scene coordinates; ``to_scene(lon, lat)`` gives scene x, y.
        A missing tile is covered by a cached ancestor, scaled up.
        """
        z, tiles = self.tiles_for_view(corners_lonlat, res_m)
        self.drawn = 0
        if not tiles:
            return
        missing = [t for t in tiles if t not in self._tiles]
        if missing:
            self.fetcher.request(missing)
        xs = np.array([[t[1], t[1] + 1, t[1] + 1, t[1]] for t in tiles], dtype=float)
        ys = np.array([[t[2], t[2], t[2] + 1, t[2] + 1] for t in tiles], dtype=float)
        lon, lat = tile_to_lonlat(xs.ravel(), ys.ravel(), z)
        sx, sy = to_scene(lon, lat)
        quads = np.column_stack([sx, sy]).reshape(-1, 4, 2)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        base = painter.transform()
        square = QPolygonF(
            [
                QPointF(0, 0),
                QPointF(TILE_SIZE, 0),
                QPointF(TILE_SIZE, TILE_SIZE),
                QPointF(0, TILE_SIZE),
            ]
        )
        for tile, quad in zip(tiles, quads, strict=True):
            pix, src = self._best(tile)
            if pix is None:
                continue
            target = QPolygonF([QPointF(float(px), float(py)) for px, py in quad])
            t = QTransform()
            if not QTransform.quadToQuad(square, target, t):
                continue
            painter.setTransform(t * base)
            painter.drawPixmap(QRectF(0, 0, TILE_SIZE, TILE_SIZE), pix, src)
            self.drawn += 1
        painter.restore()

    def _best(self, tile: TileId) -> tuple[QPixmap | None, QRectF]:
        pix = self._tiles.get(tile)
        if pix is not None:
            self._tiles.move_to_end(tile)
            return pix, QRectF(0, 0, pix.width(), pix.height())
        z, x, y = tile
        for up in range(1, 5):
            if z - up < 0:
                break
            parent = (z - up, x >> up, y >> up)
            pix = self._tiles.get(parent)
            if pix is not None:
                k = 1 << up
                w = pix.width() / k
                return pix, QRectF((x % k) * w, (y % k) * w, w, w)
        return None, QRectF()


__all__ = [
    "CACHE_MAX_AGE_S",
    "USER_AGENT",
    "BasemapLayer",
    "BasemapSource",
    "TileFetcher",
    "default_cache_dir",
    "offline_message",
    "presets",
    "source_for_file",
    "zoom_for",
]
