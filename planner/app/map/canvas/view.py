"""The map canvas: a QGraphicsView whose static layers come from a tile cache.

Static layers (buildings, streets, names, capture zones, sites, entrances) are
never QGraphicsItems: they are painted in :meth:`MapCanvas.drawBackground` from
pre-rendered 256-pixel tiles, which worker threads draw into QImages. Zoom moves
in whole levels (a factor sqrt(2)), so tiles are blitted 1:1; while a level's tiles
are rendering, cached tiles of neighbouring levels are shown scaled. Dynamic items
(cameras, cones, handles) are ordinary items in :meth:`scene` drawn over the map.

:class:`MapCanvas` joins its parts in this room: the layers and their legends
(:mod:`.view_layers`), the painting from tiles (:mod:`.view_tiles`) and navigation
(:mod:`.view_navigation`); here are its coordinates, units, attribution, overlays,
labels and hit-testing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget

from planner.app.map.canvas import style as st
from planner.app.map.canvas.label_layer import LabelLayer, LabelSource
from planner.app.map.canvas.labels import PlacedLabel
from planner.app.map.canvas.overlays import ScaleBar, draw_attribution, draw_scale_bar, scale_bar
from planner.app.map.canvas.prepare import BoundaryLayer, SiteLayers
from planner.app.map.canvas.render import RenderState
from planner.app.map.canvas.view_layers import LAYER_IDS, CanvasLayers
from planner.app.map.canvas.view_navigation import CanvasNavigation
from planner.app.map.canvas.view_tiles import MAX_TILES, CanvasTiles
from planner.core.crs import Projector

OSM_ATTRIBUTION = "© OpenStreetMap contributors"

#: A site under the mouse within this many pixels gets a tooltip.
TOOLTIP_PX = 10.0


class MapCanvas(CanvasLayers, CanvasTiles, CanvasNavigation, QGraphicsView):
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
        self._items_osm = False
        self._basemap: Any = None
        self._overlays: list[Callable[[QPainter], None]] = []
        self._init_layers()
        self._init_tiles(max_tiles=max_tiles, threads=threads)
        self._init_navigation()
        self._labels = LabelLayer(self, self)
        self._configure_view()
        self._apply_level(self._level)
        self._update_scene_rect()

    def _configure_view(self) -> None:
        """A view without scroll bars or frame, anchored for whole-level zooms."""
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

    # ------------------------------------------------------------------ basemap and layer state

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

    # ------------------------------------------------------------------ Qt overrides

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

    # ------------------------------------------------------------------ internals
    def _item_takes_mouse(self, pos: QPoint) -> bool:
        """Whether an item under ``pos`` (a camera, a handle) handles the left button."""
        return any(
            item.acceptedMouseButtons() & Qt.MouseButton.LeftButton and item.isVisible()
            for item in self.items(pos)
        )

    def _need_projector(self) -> Projector:
        if self._projector is None:
            msg = "set a projector before giving lon/lat layers to the canvas"
            raise ValueError(msg)
        return self._projector


__all__ = ["OSM_ATTRIBUTION", "MapCanvas"]
