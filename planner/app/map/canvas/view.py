"""The map canvas: a QGraphicsView whose static layers come from a tile cache.

Static layers (buildings, streets, names, capture zones, sites, entrances) are
never QGraphicsItems: they are painted in :meth:`MapCanvas.drawBackground` from
pre-rendered 256-pixel tiles, which worker threads draw into QImages. Zoom moves
in whole levels (a factor sqrt(2)), so tiles are blitted 1:1; while a level's tiles
are rendering, cached tiles of neighbouring levels are shown scaled. Dynamic items
(cameras, cones, handles) are ordinary items in :meth:`scene` drawn over the map.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QEvent,
    QObject,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsScene,
    QGraphicsView,
    QRubberBand,
    QWidget,
)
from shapely.geometry.base import BaseGeometry

from planner.app.map.canvas import style as st
from planner.app.map.canvas.label_layer import LabelLayer, LabelSource
from planner.app.map.canvas.labels import PlacedLabel
from planner.app.map.canvas.overlays import ScaleBar, draw_attribution, draw_scale_bar, scale_bar
from planner.app.map.canvas.prepare import (
    BoundaryLayer,
    SiteLayers,
    ZoneLayer,
    prepare_boundaries,
    prepare_buildings,
    prepare_sites,
    prepare_streets,
    prepare_zones,
)
from planner.app.map.canvas.render import (
    BUILDINGS_MAX_RES,
    MAX_LEVEL,
    MIN_LEVEL,
    TILE_PX,
    RenderState,
    StreetLayer,
    TileKey,
    level_for_res,
    level_res,
    render_tile,
)
from planner.app.map.canvas.stream import BuildingStream
from planner.core.crs import Projector
from planner.core.model import Site

OSM_ATTRIBUTION = "© OpenStreetMap contributors"

#: Layer ids, top of the drawing order first (the order a layers panel lists them).
LAYER_IDS = (
    "sites",
    "entrances",
    "capture_zones",
    "street_names",
    "boundaries",
    "streets",
    "buildings",
    "basemap",
)
LAYER_NAMES = {
    "sites": "Protected sites",
    "entrances": "Site entrances",
    "capture_zones": "Capture zones",
    "street_names": "Street names",
    "boundaries": "Boundaries",
    "streets": "Streets",
    "buildings": "Buildings",
    "basemap": "Basemap",
}
#: A site under the mouse within this many pixels gets a tooltip.
TOOLTIP_PX = 10.0

_KEEP: Any = object()  # "leave this layer as it is" in set_layers


@dataclass(frozen=True)
class LegendEntry:
    """One line of a layer's legend."""

    label: str
    pixmap: QPixmap


@dataclass(frozen=True)
class LayerInfo:
    """What the layers panel shows for one layer."""

    id: str
    name: str
    visible: bool
    opacity: float
    features: int
    osm: bool


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


class MapCanvas(QGraphicsView):
    """Slippy map of the planner's static layers, in projected metres.

    Scene coordinates are the checker's projected metres with y flipped
    (scene y = -northing): use :meth:`to_scene` and :meth:`from_scene`.

    Signals
    -------
    cursor_moved(lon, lat)
        The mouse moved over the map.
    scale_changed(metres_per_pixel)
        The zoom level changed.
    clicked_empty(x, y)
        A click (press and release without dragging) on the map where no item
        took the mouse; projected metres.
    area_selected(rect, extend)
        Shift+drag on the map drew a rubber band: ``rect`` is the scene rectangle;
        ``extend`` is true when Ctrl was held too (add to the selection).
    layers_changed()
        Layer data, visibility or opacity changed (refresh a layers panel).
    tiles_idle()
        Every requested tile has been rendered.
    """

    cursor_moved = Signal(float, float)
    scale_changed = Signal(float)
    clicked_empty = Signal(float, float)
    area_selected = Signal(QRectF, bool)
    layers_changed = Signal()
    tiles_idle = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        projector: Projector | None = None,
        scene: QGraphicsScene | None = None,
        max_tiles: int = MAX_TILES,
        threads: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setScene(scene if scene is not None else QGraphicsScene(self))
        self._projector = projector
        self._units = "m"
        self._attribution: str | None = OSM_ATTRIBUTION
        # street names are placed per view (see LabelLayer), not baked into tiles
        self._state = RenderState(generation=0, street_labels_in_tiles=False)
        self._osm: dict[str, bool] = dict.fromkeys(LAYER_IDS, False)
        self._items_osm = False
        self._counts: dict[str, int] = dict.fromkeys(LAYER_IDS, 0)
        self._visible: dict[str, bool] = dict.fromkeys(LAYER_IDS, True)
        self._opacity: dict[str, float] = dict.fromkeys(LAYER_IDS, 1.0)
        self._cache: OrderedDict[TileKey, tuple[int, QPixmap]] = OrderedDict()
        self._max_tiles = max_tiles
        self._queue: list[TileKey] = []
        self._running: set[TileKey] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(
            threads or max(1, min(4, QThreadPool.globalInstance().maxThreadCount()))
        )
        self._signals = _TileSignals(self)
        self._signals.done.connect(self._on_tile_done)
        self._synchronous = False
        self.tiles_rendered = 0
        self.tile_times_ms: list[float] = []
        self._level = 0
        self._wheel_acc = 0
        self._press: QPoint | None = None
        self._panning = False
        self._moved = False
        self._band: QRubberBand | None = None
        self._band_origin: QPoint | None = None
        self._band_extend = False
        self._update_timer = QTimer(self)
        self._update_timer.setSingleShot(True)
        self._update_timer.setInterval(16)
        self._update_timer.timeout.connect(self.viewport().update)
        self._basemap: Any = None
        self._ground_generation = 0  # tiles older than this have the wrong ground
        self._stream: BuildingStream | None = None
        self._stream_dirty = False
        self._stream_timer = QTimer(self)
        self._stream_timer.setSingleShot(True)
        self._stream_timer.setInterval(60)
        self._stream_timer.timeout.connect(self._apply_stream)
        self._boundaries = BoundaryLayer()
        self._site_layers = SiteLayers()
        self._labels = LabelLayer(self, self)
        self._overlays: list[Callable[[QPainter], None]] = []
        self._view_complete = False  # the last paint drew every tile, current
        self._render_next_paint = False  # see render_next_paint_now

        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # overlays are pinned to the viewport, so scrolling must repaint, not blit
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, False)
        self.setBackgroundBrush(st.BACKGROUND)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self._apply_level(self._level)
        self._update_scene_rect()

    # ------------------------------------------------------------------ coordinates
    @property
    def projector(self) -> Projector | None:
        return self._projector

    def set_projector(self, projector: Projector | None) -> None:
        """Change the projected CRS. Layers must be set again afterwards."""
        self._projector = projector

    @staticmethod
    def to_scene(x: float, y: float) -> QPointF:
        """Projected metres to scene coordinates."""
        return QPointF(x, -y)

    @staticmethod
    def from_scene(point: QPointF) -> tuple[float, float]:
        """Scene coordinates to projected metres."""
        return (point.x(), -point.y())

    def view_to_scene(self, pos: QPoint | QPointF) -> QPointF:
        """Exact (sub-pixel) scene point under a viewport position."""
        inv, _ok = self.viewportTransform().inverted()
        return inv.map(QPointF(pos))

    def scene_to_view(self, point: QPointF) -> QPointF:
        return self.viewportTransform().map(point)

    def xy_at(self, pos: QPoint | QPointF) -> tuple[float, float]:
        """Projected metres under a viewport position."""
        return self.from_scene(self.view_to_scene(pos))

    def lonlat_at(self, pos: QPoint | QPointF) -> tuple[float, float] | None:
        """Longitude and latitude under a viewport position (None without a projector)."""
        if self._projector is None:
            return None
        return self._projector.lonlat(*self.xy_at(pos))

    # ------------------------------------------------------------------ units & overlays
    @property
    def units(self) -> str:
        """Display units of the scale bar: ``"m"`` or ``"ft"``."""
        return self._units

    @units.setter
    def units(self, value: str) -> None:
        if value not in ("m", "ft"):
            msg = f"units must be 'm' or 'ft', got {value!r}"
            raise ValueError(msg)
        self._units = value
        self.viewport().update()

    def set_units(self, value: str) -> None:
        self.units = value

    def set_attribution(self, text: str | None) -> None:
        """Text shown bottom-right while an OSM-derived layer is visible; None hides it."""
        self._attribution = text
        self.viewport().update()

    def set_items_osm(self, on: bool) -> None:
        """Mark the scene's items (such as cameras mapped in OSM) as OSM-derived."""
        self._items_osm = bool(on)
        self.viewport().update()

    def attribution_shown(self) -> bool:
        """Whether the OSM attribution is drawn now: an OSM-derived layer or item is shown."""
        if not self._attribution:
            return False
        return self._items_osm or any(
            self._osm[k] and self._counts[k] and self._visible[k] for k in LAYER_IDS
        )

    def attribution_text(self) -> str:
        """Every attribution owed by what is on the map now (data, then basemap)."""
        parts = []
        if self.attribution_shown() and self._attribution:
            parts.append(self._attribution)
        # a basemap is credited for the tiles it drew, not for being switched on (offline,
        # it draws nothing: no "Basemap: © OpenStreetMap" over an empty background)
        if self.basemap_shown() and getattr(self._basemap, "drawn", 0) > 0:
            text = self._basemap.attribution.strip()
            if (
                text
                and text not in parts
                and not (parts and "openstreetmap" in text.lower() and text in parts[0])
            ):
                parts.append(f"Basemap: {text}")
        return " | ".join(parts)

    def scale_bar(self) -> ScaleBar:
        return scale_bar(self.resolution(), units=self._units)

    # ------------------------------------------------------------------ layers
    def set_layers(
        self,
        *,
        streets: Any = _KEEP,
        buildings: Any = _KEEP,
        sites: Any = _KEEP,
        zones: Any = _KEEP,
    ) -> None:
        """Replace several layers at once; layers not named stay as they are."""
        if streets is not _KEEP:
            self.set_streets(streets)
        if buildings is not _KEEP:
            self.set_buildings(buildings)
        if sites is not _KEEP:
            self.set_sites(sites)
        if zones is not _KEEP:
            self.set_zones(zones)

    def set_streets(self, streets: Any, *, osm: bool = True) -> None:
        """Street centre lines: a GeoDataFrame in EPSG:4326 with ``highway`` and ``name``.

        Any other CRS is converted. A :class:`StreetLayer` from
        :func:`planner.app.map.canvas.prepare.prepare_streets` (made on the worker) is used
        as it is. ``osm`` marks the layer as OSM-derived.
        """
        if isinstance(streets, StreetLayer):
            layer: StreetLayer | None = streets
        elif streets is None or not len(streets):
            layer = None
        else:
            layer = prepare_streets(streets, projector=self._need_projector())
        self._osm["streets"] = self._osm["street_names"] = osm
        self._counts["streets"] = self._counts["street_names"] = 0 if layer is None else len(layer)
        self._set_state(streets=layer)

    def set_buildings(self, buildings: Any, *, projected: bool = False, osm: bool = False) -> None:
        """Building footprints: a shapely array or GeoDataFrame, lon/lat unless ``projected``.

        A :class:`GeomLayer` from :func:`planner.app.map.canvas.prepare_layer` (made on a
        worker thread) is used as it is.
        """
        self._close_stream()
        layer = prepare_buildings(buildings, projector=self._projector, projected=projected)
        self._osm["buildings"] = osm
        self._counts["buildings"] = 0 if layer is None else len(layer)
        self._set_state(buildings=layer)

    def set_building_stream(self, stream: BuildingStream | None, *, osm: bool = False) -> None:
        """Buildings read by area from a data pack as the view needs them (see
        :mod:`planner.app.map.canvas.stream`); None removes them."""
        self._close_stream()
        self._stream = stream
        self._osm["buildings"] = osm
        self._counts["buildings"] = 0 if stream is None else stream.total
        if stream is not None:
            stream.changed.connect(self._stream_changed)
        self._set_state(buildings=None if stream is None else stream.layer_now())

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.changed.disconnect(self._stream_changed)
            self._stream.close()
            self._stream = None
            self._stream_dirty = False

    def _stream_changed(self) -> None:
        self._stream_dirty = True
        if self._synchronous:
            self._apply_stream()
        elif not self._stream_timer.isActive():
            self._stream_timer.start()

    def _apply_stream(self) -> None:
        # one re-render of the visible tiles per burst of chunks, not one per chunk
        self._stream_timer.stop()
        if self._stream is not None and self._stream_dirty:
            self._stream_dirty = False
            self._set_state(buildings=self._stream.layer_now())

    def set_sites(
        self, sites: Sequence[Site] | SiteLayers | None, *, osm: bool | None = None
    ) -> None:
        """Protected sites (lon/lat) with their entrances, or prepared :class:`SiteLayers`.

        ``osm`` defaults to whether any site's ``source`` mentions OSM.
        """
        if isinstance(sites, SiteLayers):
            prepared = sites
            if osm is None:
                osm = False
        else:
            sites = list(sites or [])
            prepared = (
                prepare_sites(sites, projector=self._need_projector()) if sites else SiteLayers()
            )
            if osm is None:
                osm = any(
                    "osm" in s.source.lower() or "openstreetmap" in s.source.lower() for s in sites
                )
        self._osm["sites"] = self._osm["entrances"] = osm
        self._site_layers = prepared
        self._counts["sites"] = prepared.count
        self._counts["entrances"] = 0 if prepared.entrances is None else len(prepared.entrances)
        self._set_state(
            sites=prepared.points,
            site_outlines=prepared.outlines,
            site_outline_styles=prepared.outline_styles,
            entrances=prepared.entrances,
        )

    def set_boundaries(self, boundaries: Any) -> None:
        """City limits and districts: a GeoDataFrame (``name``, ``kind``) or a
        prepared :class:`BoundaryLayer`."""
        prepared = (
            boundaries
            if isinstance(boundaries, BoundaryLayer)
            else prepare_boundaries(boundaries, projector=self._projector)
            if boundaries is not None and len(boundaries)
            else BoundaryLayer()
        )
        self._boundaries = prepared
        self._counts["boundaries"] = prepared.count
        self._set_state(boundaries=prepared.layer, boundary_kinds=prepared.kinds)

    def add_overlay(self, draw: Callable[[QPainter], None]) -> None:
        """Draw ``draw(painter)`` over the map each frame, in view pixels (tools, markers)."""
        self._overlays.append(draw)

    def remove_overlay(self, draw: Callable[[QPainter], None]) -> None:
        if draw in self._overlays:
            self._overlays.remove(draw)

    def set_basemap(self, basemap: Any) -> None:
        """A :class:`planner.app.map.basemap.BasemapLayer` under the map, or None."""
        if self._basemap is not None:
            self._basemap.changed.disconnect(self._basemap_changed)
            self._basemap.close()
        self._basemap = basemap
        self._counts["basemap"] = 0 if basemap is None else 1
        if basemap is not None:
            basemap.changed.connect(self._basemap_changed)
        self._set_state()

    @property
    def boundary_layer(self) -> BoundaryLayer:
        """The prepared boundaries (scene coordinates, kinds and labels)."""
        return self._boundaries

    @property
    def site_layers(self) -> SiteLayers:
        """The prepared sites (scene coordinates, names and tooltip facts)."""
        return self._site_layers

    @property
    def render_state(self) -> RenderState:
        """What the tiles are drawn from now (scene coordinates)."""
        return self._state

    @property
    def basemap(self) -> Any:
        return self._basemap

    # ------------------------------------------------------------------ labels
    def add_label_source(self, source: LabelSource) -> None:
        """Place the labels and avoid the symbols ``source`` gives (camera labels, tags)
        together with the map's own labels; see :mod:`planner.app.map.canvas.label_layer`."""
        self._labels.add_source(source)

    def remove_label_source(self, source: LabelSource) -> None:
        self._labels.remove_source(source)

    def invalidate_labels(self) -> None:
        """A label source's labels or symbols changed: place every label again."""
        self._labels.invalidate()

    @property
    def drawn_labels(self) -> list[PlacedLabel]:
        """The last frame's labels (not street names): text, view box, role, tooltip."""
        return list(self._labels.drawn)

    @property
    def labels_drawn(self) -> list[tuple[str, QRectF]]:
        """The last frame's labels (not street names) as ``(text, view box)``."""
        return [(label.text, label.box) for label in self._labels.drawn]

    @property
    def street_labels_drawn(self) -> list[tuple[str, QRectF]]:
        """The last frame's street names and the boxes around them (view pixels)."""
        return list(self._labels.streets_drawn)

    def label_obstacles(self) -> list[QRectF]:
        """The symbol boxes (view pixels) the labels were placed around."""
        return self._labels.obstacle_boxes()

    def label_at(self, pos: QPoint | QPointF) -> PlacedLabel | None:
        """The label drawn under a view position, or None."""
        return self._labels.label_at(QPointF(pos))

    def basemap_shown(self) -> bool:
        return (
            self._basemap is not None and self._visible["basemap"] and self._opacity["basemap"] > 0
        )

    def _basemap_changed(self) -> None:
        if not self._update_timer.isActive():
            self._update_timer.start()

    def site_at(self, pos: QPoint | QPointF, *, tolerance_px: float = TOOLTIP_PX) -> int | None:
        """Index of the site symbol nearest ``pos`` (view pixels) within the tolerance."""
        layer = self._state.sites
        if layer is None or not len(layer) or not self._visible["sites"]:
            return None
        p = self.view_to_scene(pos)
        r = tolerance_px * self.resolution()
        hits = layer.query((p.x() - r, p.y() - r, p.x() + r, p.y() + r))
        if len(hits) == 0:
            return None
        d = np.hypot(layer.xy[hits, 0] - p.x(), layer.xy[hits, 1] - p.y())
        best = int(np.argmin(d))
        return int(hits[best]) if d[best] <= r else None

    def site_info(self, index: int) -> dict[str, str]:
        """Tooltip facts of site symbol ``index`` (name, category, verified, source...)."""
        info = self._site_layers.info
        return dict(info[index]) if 0 <= index < len(info) else {}

    def site_tooltip(self, pos: QPoint | QPointF) -> str | None:
        """The tooltip text of the site under ``pos``, or None."""
        i = self.site_at(pos)
        if i is None:
            return None
        info = self.site_info(i)
        if not info:
            return None
        return (
            f"{info['name']}\nCategory: {info['category']}\nVerified: {info['verified']}"
            f"\nSource: {info['source']}"
        )

    def set_zones(self, zones: Sequence[Any] | ZoneLayer | None) -> None:
        """Capture zones (``CaptureZone`` objects with projected ``geometry`` and ``action``)."""
        prepared = zones if isinstance(zones, ZoneLayer) else prepare_zones(zones)
        self._counts["capture_zones"] = prepared.count
        self._set_state(zones=prepared.layer, zone_actions=prepared.actions)

    def layer_ids(self) -> list[str]:
        """Static layer ids, top of the drawing order first."""
        return list(LAYER_IDS)

    def layer_name(self, layer_id: str) -> str:
        return LAYER_NAMES[self._check_layer(layer_id)]

    def layer_info(self, layer_id: str) -> LayerInfo:
        lid = self._check_layer(layer_id)
        return LayerInfo(
            id=lid,
            name=LAYER_NAMES[lid],
            visible=self._visible[lid],
            opacity=self._opacity[lid],
            features=self._counts[lid],
            osm=self._osm[lid],
        )

    def is_layer_visible(self, layer_id: str) -> bool:
        return self._visible[self._check_layer(layer_id)]

    def layer_opacity(self, layer_id: str) -> float:
        return self._opacity[self._check_layer(layer_id)]

    def set_layer_visible(self, layer_id: str, visible: bool) -> None:
        lid = self._check_layer(layer_id)
        if self._visible[lid] != bool(visible):
            self._visible[lid] = bool(visible)
            self._set_state()

    def set_layer_opacity(self, layer_id: str, opacity: float) -> None:
        lid = self._check_layer(layer_id)
        value = min(1.0, max(0.0, float(opacity)))
        if self._opacity[lid] != value:
            self._opacity[lid] = value
            self._set_state()

    def legend(self, layer_id: str) -> list[LegendEntry]:
        """Legend lines (label and 16-pixel symbol) of a layer."""
        lid = self._check_layer(layer_id)
        if lid == "buildings":
            return [
                LegendEntry(
                    "Building", st.swatch_pixmap(fill=st.BUILDING_FILL, edge=st.BUILDING_EDGE)
                )
            ]
        if lid == "streets":
            return [
                LegendEntry(
                    s.label,
                    st.swatch_pixmap(line=s.fill, edge=s.casing, line_width=2 + s.rank * 0.5),
                )
                for s in reversed(st.STREET_STYLES)
            ]
        if lid == "street_names":
            return [LegendEntry("Street name", _text_pixmap("Ab"))]
        if lid == "capture_zones":
            out = []
            for action in ("block", "warn"):
                label = f"Capture zone ({action})"
                c = st.ZONE_COLORS[action]
                fill = QColor(c)
                fill.setAlpha(45)
                out.append(
                    LegendEntry(
                        label,
                        st.swatch_pixmap(fill=fill, edge=c, pattern=Qt.BrushStyle.BDiagPattern),
                    )
                )
            return out
        if lid == "sites":
            return [
                LegendEntry(s.label, st.symbol_pixmap(s))
                for s in (*st.CATEGORY_STYLES.values(), st.OTHER_CATEGORY)
            ]
        if lid == "boundaries":
            return [
                LegendEntry(
                    "City limits",
                    st.swatch_pixmap(
                        line=st.CITY_LIMITS_LINE, edge=st.CITY_LIMITS_BAND, line_width=1.6
                    ),
                ),
                LegendEntry(
                    "Council district", _dash_pixmap(st.DISTRICT_LINE, st.DISTRICT_PEN_STYLE)
                ),
            ]
        if lid == "basemap":
            name = self._basemap.source.name if self._basemap is not None else "Basemap"
            return [LegendEntry(f"Basemap: {name}", _text_pixmap("\u25a6"))]
        return [LegendEntry("Vehicle entrance", _entrance_pixmap())]

    def legend_icon(self, layer_id: str) -> QPixmap:
        """One symbol standing for the whole layer."""
        return self.legend(layer_id)[0].pixmap

    def data_bounds(self) -> tuple[float, float, float, float] | None:
        """Projected bounds (minx, miny, maxx, maxy) of every non-empty layer."""
        s = self._state
        boxes = []
        for layer in (s.buildings, s.streets, s.zones, s.site_outlines, s.boundaries):
            if layer is not None and (b := layer.bounds) is not None:
                boxes.append(b)
        for pts in (s.sites, s.entrances):
            if pts is not None and len(pts):
                boxes.append((*pts.xy.min(axis=0), *pts.xy.max(axis=0)))
        if not boxes:
            return None
        a = np.array(boxes, dtype=float)
        # scene y is -northing
        return (a[:, 0].min(), -a[:, 3].max(), a[:, 2].max(), -a[:, 1].min())

    # ------------------------------------------------------------------ navigation
    def resolution(self) -> float:
        """Metres per screen pixel."""
        return 1.0 / self.transform().m11()

    def level(self) -> int:
        return self._level

    def set_level(self, level: int, *, anchor: QPoint | QPointF | None = None) -> None:
        """Zoom to ``level`` keeping the scene point under ``anchor`` (view centre) still."""
        self._apply_level(level, anchor)

    def zoom_in(self, steps: int = 1, *, anchor: QPoint | QPointF | None = None) -> None:
        self._apply_level(self._level - steps, anchor)

    def zoom_out(self, steps: int = 1, *, anchor: QPoint | QPointF | None = None) -> None:
        self._apply_level(self._level + steps, anchor)

    def zoom_to_rect(self, rect: QRectF, *, margin: float = 0.05) -> None:
        """Show a scene rectangle whole, at the closest level that fits."""
        if rect.isNull() or not rect.isValid():
            rect = QRectF(rect.center() - QPointF(50, 50), rect.center() + QPointF(50, 50))
        vw, vh = max(1, self.viewport().width()), max(1, self.viewport().height())
        need = max(rect.width() / vw, rect.height() / vh, 1e-3) * (1.0 + 2 * margin)
        level = math.ceil(2.0 * math.log2(need) - 1e-9)
        self._apply_level(level)
        self.center_on_scene(rect.center())

    def zoom_to_geometry(
        self, geometry: BaseGeometry | Sequence[float], *, min_size_m: float = 120.0
    ) -> None:
        """Show projected bounds ``(minx, miny, maxx, maxy)`` or a projected geometry."""
        if isinstance(geometry, BaseGeometry):
            minx, miny, maxx, maxy = geometry.bounds
        else:
            minx, miny, maxx, maxy = (float(v) for v in geometry)
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        w, h = max(maxx - minx, min_size_m), max(maxy - miny, min_size_m)
        self.zoom_to_rect(QRectF(cx - w / 2, -cy - h / 2, w, h))

    def zoom_to_fit(self) -> None:
        """Show every layer."""
        bounds = self.data_bounds()
        if bounds is not None:
            self.zoom_to_geometry(bounds, min_size_m=200.0)

    def center_on(self, x: float, y: float) -> None:
        """Centre the view on projected metres."""
        self.center_on_scene(self.to_scene(x, y))

    def center_on_scene(self, point: QPointF) -> None:
        center = QPointF(self.viewport().width() / 2, self.viewport().height() / 2)
        delta = self.scene_to_view(point) - center
        self.pan_by(round(delta.x()), round(delta.y()))

    def center(self) -> tuple[float, float]:
        """Projected metres at the view centre."""
        return self.xy_at(QPointF(self.viewport().width() / 2, self.viewport().height() / 2))

    def pan_by(self, dx: int, dy: int) -> None:
        """Move the view by whole pixels (positive dx shows what lies east)."""
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + int(dx))
        v.setValue(v.value() + int(dy))

    # ------------------------------------------------------------------ tiles
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

    # ------------------------------------------------------------------ Qt overrides
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

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        h, w = self.viewport().height(), self.viewport().width()
        self._labels.draw(painter)
        for overlay in self._overlays:
            painter.save()
            overlay(painter)
            painter.restore()
        draw_scale_bar(painter, self.scale_bar(), height=h)
        text = self.attribution_text()
        if text:
            draw_attribution(painter, text, width=w, height=h)
        painter.restore()

    def wheelEvent(self, event: QWheelEvent) -> None:
        self._wheel_acc += event.angleDelta().y()
        steps = int(self._wheel_acc / 120)
        if steps:
            self._wheel_acc -= steps * 120
            self.zoom_in(steps, anchor=event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        arrows: dict[int, tuple[int, int]] = {
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
        }
        if key in arrows:
            # a focused item (a selected camera being nudged) gets the keys first
            scene = self.scene()
            if scene is not None and scene.focusItem() is not None:
                event.ignore()
                QApplication.sendEvent(scene, event)
                if event.isAccepted():
                    return
            dx, dy = arrows[key]
            step = max(32, min(self.viewport().width(), self.viewport().height()) // 6)
            self.pan_by(dx * step, dy * step)
            event.accept()
            return
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
            event.accept()
            return
        if key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
            event.accept()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        mods = event.modifiers()
        if (
            event.button() == Qt.MouseButton.LeftButton
            and mods & Qt.KeyboardModifier.ShiftModifier
            and not self._item_takes_mouse(event.position().toPoint())
        ):
            # Shift+drag on the map selects with a rubber band; a plain drag pans.
            self._band_origin = event.position().toPoint()
            self._band_extend = bool(mods & Qt.KeyboardModifier.ControlModifier)
            if self._band is None:
                self._band = QRubberBand(QRubberBand.Shape.Rectangle, self.viewport())
            self._band.setGeometry(QRect(self._band_origin, QSize()))
            self._band.show()
            event.accept()
            return
        super().mousePressEvent(event)
        scene = self.scene()
        grabbed = scene is not None and scene.mouseGrabberItem() is not None
        if event.button() == Qt.MouseButton.LeftButton and not grabbed:
            self._press = event.position().toPoint()
            self._panning = True
            self._moved = False
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        ll = self.lonlat_at(pos)
        if ll is not None:
            self.cursor_moved.emit(ll[0], ll[1])
        if self._band_origin is not None and self._band is not None:
            self._band.setGeometry(QRect(self._band_origin, pos.toPoint()).normalized())
            event.accept()
            return
        if self._panning and self._press is not None:
            now = pos.toPoint()
            delta = now - self._press
            if not self._moved and delta.manhattanLength() < QApplication.startDragDistance():
                return
            if not self._moved:
                self._moved = True
                self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            self._press = now
            self.pan_by(-delta.x(), -delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._band_origin is not None and event.button() == Qt.MouseButton.LeftButton:
            rect = QRect(self._band_origin, event.position().toPoint()).normalized()
            self._band_origin = None
            if self._band is not None:
                self._band.hide()
            scene_rect = QRectF(
                self.view_to_scene(rect.topLeft()), self.view_to_scene(rect.bottomRight())
            ).normalized()
            self.area_selected.emit(scene_rect, self._band_extend)
            event.accept()
            return
        if self._panning and event.button() == Qt.MouseButton.LeftButton:
            self._panning = False
            self._press = None
            self.viewport().unsetCursor()
            if not self._moved:
                x, y = self.xy_at(event.position())
                self.clicked_empty.emit(x, y)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.viewport().update()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self._wheel_acc = 0
        return super().event(event)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            from PySide6.QtGui import QHelpEvent
            from PySide6.QtWidgets import QToolTip

            if isinstance(event, QHelpEvent):
                label = self.label_at(event.pos())
                text = label.tooltip if label is not None else ""
                text = text or self.site_tooltip(event.pos()) or ""
                if text:
                    QToolTip.showText(event.globalPos(), text, self.viewport())
                    return True
                QToolTip.hideText()
        return super().viewportEvent(event)

    # ------------------------------------------------------------------ basemap & labels
    def _view_corners_lonlat(self) -> np.ndarray:
        w, h = self.viewport().width(), self.viewport().height()
        pts = [self.view_to_scene(QPointF(x, y)) for x, y in ((0, 0), (w, 0), (w, h), (0, h))]
        xs = np.array([p.x() for p in pts])
        ys = -np.array([p.y() for p in pts])
        lon, lat = self._projector.inverse(xs, ys)  # type: ignore[union-attr]
        return np.column_stack([lon, lat])

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

    # ------------------------------------------------------------------ internals
    def _item_takes_mouse(self, pos: QPoint) -> bool:
        """Whether an item under ``pos`` (a camera, a handle) handles the left button."""
        return any(
            item.acceptedMouseButtons() & Qt.MouseButton.LeftButton and item.isVisible()
            for item in self.items(pos)
        )

    def _check_layer(self, layer_id: str) -> str:
        if layer_id not in self._visible:
            msg = f"unknown layer {layer_id!r}; expected one of {', '.join(LAYER_IDS)}"
            raise KeyError(msg)
        return layer_id

    def _need_projector(self) -> Projector:
        if self._projector is None:
            msg = "set a projector before giving lon/lat layers to the canvas"
            raise ValueError(msg)
        return self._projector

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

    def _update_scene_rect(self) -> None:
        bounds = self.data_bounds()
        if bounds is None:
            cx, cy, half = 0.0, 0.0, 1e5
        else:
            minx, miny, maxx, maxy = bounds
            cx, cy = (minx + maxx) / 2, -(miny + maxy) / 2
            half = max(maxx - minx, maxy - miny) / 2 + 5e4
        current = self.sceneRect()
        wanted = QRectF(cx - half, cy - half, 2 * half, 2 * half)
        if not current.contains(wanted):
            self.setSceneRect(wanted)

    def _apply_level(self, level: int, anchor: QPoint | QPointF | None = None) -> None:
        level = max(MIN_LEVEL, min(MAX_LEVEL, int(level)))
        if anchor is None:
            anchor = QPointF(self.viewport().width() / 2, self.viewport().height() / 2)
        anchor = QPointF(anchor)
        target = self.view_to_scene(anchor)
        changed = level != self._level or abs(self.transform().m11() * level_res(level) - 1) > 1e-9
        self._level = level
        s = 1.0 / level_res(level)
        self.setTransform(QTransform.fromScale(s, s))
        delta = self.scene_to_view(target) - anchor
        self.pan_by(round(delta.x()), round(delta.y()))
        if changed:
            self._queue.clear()
            self.scale_changed.emit(level_res(level))
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


def _text_pixmap(text: str, size: int = 16) -> QPixmap:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    font = QFont()
    font.setPixelSize(11)
    p.setFont(font)
    p.setPen(st.LABEL_TEXT)
    p.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    return pix


def _dash_pixmap(
    colour: QColor, style: Qt.PenStyle = Qt.PenStyle.DashLine, size: int = 16
) -> QPixmap:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setPen(QPen(colour, 1.6, style, Qt.PenCapStyle.FlatCap))
    p.drawLine(QPointF(0, size / 2), QPointF(size, size / 2))
    p.end()
    return pix


def _entrance_pixmap(size: int = 16) -> QPixmap:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(st.ENTRANCE_EDGE, 2.0))
    p.setBrush(st.ENTRANCE_FILL)
    p.drawEllipse(QPointF(size / 2, size / 2), 3.5, 3.5)
    p.end()
    return pix


__all__ = [
    "LAYER_IDS",
    "OSM_ATTRIBUTION",
    "LayerInfo",
    "LegendEntry",
    "MapCanvas",
    "level_for_res",
    "level_res",
]
