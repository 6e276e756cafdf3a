"""Rendering of one map tile into a QImage, safe to run on a worker thread.

A tile is a square of ``TILE_PX`` pixels at one zoom level. Level ``k`` has
``level_res(k)`` scene metres per pixel, a factor sqrt(2) per level, and tile
``(i, j)`` covers scene x in ``[i, i + 1) * TILE_PX * res`` and the same for y. Every
feature is placed by its scene coordinates alone, so a symbol or label crossing a
tile edge is drawn, clipped, in every tile it touches and the halves meet exactly.

Tiles render on ``QThreadPool`` threads, which Python did not create: nothing in
this module may call pyproj (pyproj 3.7 can segfault there). Layers arrive already
projected, from :mod:`planner.app.map.canvas.prepare`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
)

from planner.app.map.canvas import style as st
from planner.app.map.canvas.layers import GeomLayer, PointLayer, StreetLayer
from planner.app.map.canvas.paths import path_from_parts
from planner.app.map.canvas.street_names import (
    LABEL_MARGIN_PX,
    StreetLabels,
    choose_street_labels,
    draw_street_labels,
)

TILE_PX = 256
MIN_LEVEL = -10  # ~0.03 m per pixel
MAX_LEVEL = 22  # ~2 km per pixel

#: Buildings are drawn up to this many metres per pixel, outlined up to the second.
BUILDINGS_MAX_RES = 6.0
BUILDING_EDGES_MAX_RES = 1.05
ENTRANCES_MAX_RES = 12.0
SITE_SYMBOL_PX = 16.0
ENTRANCE_PX = 7.0


def level_res(level: int) -> float:
    """Scene metres per pixel at zoom level ``level``."""
    return 2.0 ** (level / 2.0)


def level_for_res(res: float) -> int:
    """The coarsest level whose pixels are no larger than ``res`` metres."""
    return max(MIN_LEVEL, min(MAX_LEVEL, math.floor(2.0 * math.log2(res) + 1e-9)))


TileKey = tuple[int, int, int]  # (level, i, j)


def tile_rect(key: TileKey) -> tuple[float, float, float, float]:
    """Scene rectangle (x0, y0, x1, y1) of a tile."""
    level, i, j = key
    size = TILE_PX * level_res(level)
    return (i * size, j * size, (i + 1) * size, (j + 1) * size)


@dataclass(frozen=True)
class RenderState:
    """Everything a tile needs, frozen so worker threads can share it."""

    generation: int
    buildings: GeomLayer | None = None
    streets: StreetLayer | None = None
    zones: GeomLayer | None = None
    zone_actions: np.ndarray | None = None
    site_outlines: GeomLayer | None = None
    site_outline_styles: tuple[st.CategoryStyle, ...] = ()
    sites: PointLayer | None = None
    entrances: PointLayer | None = None
    boundaries: GeomLayer | None = None
    boundary_kinds: np.ndarray | None = None
    #: Tiles are drawn on a transparent ground, over a basemap.
    transparent: bool = False
    #: Street names drawn into the tiles (report maps); the canvas draws them itself,
    #: per view, so that none is cut by the view's edge.
    street_labels_in_tiles: bool = True
    visible: dict[str, bool] = field(default_factory=dict)
    opacity: dict[str, float] = field(default_factory=dict)

    def shown(self, layer: str) -> bool:
        return self.visible.get(layer, True) and self.opacity.get(layer, 1.0) > 0.0


class _Tile:
    """Pixel mapping of one tile."""

    def __init__(self, key: TileKey) -> None:
        self.key = key
        self.res = level_res(key[0])
        self.x0, self.y0, self.x1, self.y1 = tile_rect(key)

    @classmethod
    def of_rect(cls, rect: tuple[float, float, float, float], res: float) -> _Tile:
        """Any scene rectangle drawn at ``res`` metres per pixel (the canvas's view)."""
        tile = cls.__new__(cls)
        tile.key = (0, 0, 0)
        tile.res = res
        tile.x0, tile.y0, tile.x1, tile.y1 = rect
        return tile

    def rect(self, margin_px: float = 0.0) -> tuple[float, float, float, float]:
        m = margin_px * self.res
        return (self.x0 - m, self.y0 - m, self.x1 + m, self.y1 + m)

    def to_px(self, xy: np.ndarray) -> np.ndarray:
        return (xy - np.array([self.x0, self.y0])) / self.res


def _layer_steps(tile: _Tile, state: RenderState) -> list[tuple[str, Callable[[QPainter], None]]]:
    """The static layers in drawing order, bottom first, each bound to ``tile``."""
    return [
        ("buildings", lambda p: _draw_buildings(p, tile, state)),
        ("streets", lambda p: _draw_streets(p, tile, state)),
        ("boundaries", lambda p: _draw_boundaries(p, tile, state)),
        ("capture_zones", lambda p: _draw_zones(p, tile, state)),
        ("street_names", lambda p: _draw_labels(p, tile, state)),
        ("sites", lambda p: _draw_site_outlines(p, tile, state)),
        ("entrances", lambda p: _draw_entrances(p, tile, state)),
        ("sites", lambda p: _draw_site_symbols(p, tile, state)),
    ]


class _Region(_Tile):
    """Any scene rectangle at any resolution, drawn in one go (print and PDF output)."""

    def __init__(self, x0: float, y0: float, res: float, width_px: float, height_px: float) -> None:
        self.key = (0, 0, 0)
        self.res = res
        self.x0, self.y0 = x0, y0
        self.x1, self.y1 = x0 + width_px * res, y0 + height_px * res


def draw_region(
    painter: QPainter,
    state: RenderState,
    *,
    x0: float,
    y0: float,
    res: float,
    width_px: float,
    height_px: float,
) -> None:
    """Draw the static layers of a scene rectangle into any painter, as vectors.

    The same drawing code as the map's tiles, for a report page or a printed map:
    ``(x0, y0)`` is the scene point at the painter's origin and ``res`` the scene
    metres per painter unit. Layer opacity applies per layer draw (a vector device
    has no layer image to composite).
    """
    region = _Region(x0, y0, res, width_px, height_px)
    for layer, draw in _layer_steps(region, state):
        if not state.shown(layer):
            continue
        painter.save()
        painter.setOpacity(state.opacity.get(layer, 1.0))
        draw(painter)
        painter.restore()


def render_tile(key: TileKey, state: RenderState) -> QImage:
    """Draw the static layers of one tile. Thread safe: paints a QImage only."""
    tile = _Tile(key)
    image = QImage(TILE_PX, TILE_PX, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent if state.transparent else st.BACKGROUND)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    steps = _layer_steps(tile, state)
    for layer, draw in steps:
        if not state.shown(layer):
            continue
        opacity = state.opacity.get(layer, 1.0)
        if opacity >= 1.0:
            draw(painter)
            continue
        # a layer's own overlaps (casings, touching buildings) must not show
        # through each other, so it is drawn opaque and composited once
        sub = QImage(TILE_PX, TILE_PX, QImage.Format.Format_ARGB32_Premultiplied)
        sub.fill(Qt.GlobalColor.transparent)
        sp = QPainter(sub)
        sp.setRenderHints(painter.renderHints())
        draw(sp)
        sp.end()
        painter.setOpacity(opacity)
        painter.drawImage(0, 0, sub)
        painter.setOpacity(1.0)
    painter.end()
    return image


def _layer_path(
    layer: GeomLayer, tile: _Tile, margin_px: float = 2.0, *, oriented: bool = False
) -> QPainterPath | None:
    features = layer.query(tile.rect(margin_px))
    if len(features) == 0:
        return None
    xy, starts = layer.parts(features, tile.res, oriented=oriented)
    if len(xy) == 0:
        return None
    return path_from_parts(tile.to_px(xy), starts)


def _draw_buildings(p: QPainter, tile: _Tile, state: RenderState) -> None:
    if state.buildings is None or tile.res > BUILDINGS_MAX_RES:
        return
    # Footprints overlap (a pack holds both the city's and OpenStreetMap's outline of
    # many buildings): under the odd-even rule of one combined path each overlap was a
    # hole, and those buildings showed as unfilled outlines. Rings turned one way and
    # the winding rule fill every overlap and keep the courtyards.
    path = _layer_path(state.buildings, tile, oriented=True)
    if path is None:
        return
    path.setFillRule(Qt.FillRule.WindingFill)
    if tile.res <= BUILDING_EDGES_MAX_RES:
        p.setPen(QPen(st.BUILDING_EDGE, 0.8))
    else:
        p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(st.BUILDING_FILL)
    p.drawPath(path)


def _street_width_px(s: st.StreetStyle, res: float) -> float:
    return min(s.max_px, max(s.min_px, s.width_m / res))


def _draw_streets(p: QPainter, tile: _Tile, state: RenderState) -> None:
    if state.streets is None:
        return
    drawn: list[tuple[st.StreetStyle, QPainterPath, float]] = []
    for s in st.STREET_STYLES:
        layer = state.streets.classes.get(s.key)
        if layer is None or tile.res > s.max_res:
            continue
        width = _street_width_px(s, tile.res)
        path = _layer_path(layer, tile, margin_px=width + 2)
        if path is not None:
            drawn.append((s, path, width))
    p.setBrush(Qt.BrushStyle.NoBrush)
    cap, join = Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
    # all casings first, so that crossing streets of one class merge cleanly
    for s, path, width in drawn:
        if width >= s.casing_from_px:
            p.setPen(QPen(s.casing, width + 2.0, Qt.PenStyle.SolidLine, cap, join))
        else:
            p.setPen(QPen(s.thin, width, Qt.PenStyle.SolidLine, cap, join))
        p.drawPath(path)
    for s, path, width in drawn:
        if width >= s.casing_from_px:
            p.setPen(QPen(s.fill, width, Qt.PenStyle.SolidLine, cap, join))
            p.drawPath(path)


def _draw_boundaries(p: QPainter, tile: _Tile, state: RenderState) -> None:
    """City limits as a wide soft band with a dark line; districts as blue dash-dot lines.

    Drawn as outlines only, so they never hide what lies inside them.
    """
    layer = state.boundaries
    if layer is None or state.boundary_kinds is None:
        return
    features = layer.query(tile.rect(8.0))
    if len(features) == 0:
        return
    kinds = state.boundary_kinds[features]
    p.setBrush(Qt.BrushStyle.NoBrush)
    for is_city in (False, True):
        sel = features[(kinds == "city_limits") == is_city]
        if len(sel) == 0:
            continue
        if is_city:  # solid pens: only the tile's stretch of the ring is stroked
            xy, starts = layer.outline_parts(sel, tile.res, tile.rect(8.0))
        else:  # dashed: whole rings, so the dashes run on across tile seams
            xy, starts = layer.parts(sel, tile.res)
        if len(xy) == 0:
            continue
        path = path_from_parts(tile.to_px(xy), starts)
        if is_city:
            p.setPen(
                QPen(
                    st.CITY_LIMITS_BAND,
                    7.0,
                    Qt.PenStyle.SolidLine,
                    Qt.PenCapStyle.RoundCap,
                    Qt.PenJoinStyle.RoundJoin,
                )
            )
            p.drawPath(path)
            p.setPen(QPen(st.CITY_LIMITS_LINE, 1.6))
        else:
            p.setPen(
                QPen(
                    st.DISTRICT_LINE,
                    1.6,
                    st.DISTRICT_PEN_STYLE,
                    Qt.PenCapStyle.FlatCap,
                    Qt.PenJoinStyle.RoundJoin,
                )
            )
        p.drawPath(path)


def _draw_zones(p: QPainter, tile: _Tile, state: RenderState) -> None:
    if state.zones is None or state.zone_actions is None:
        return
    features = state.zones.query(tile.rect(2.0))
    if len(features) == 0:
        return
    actions = state.zone_actions[features]
    for action in np.unique(actions):
        sel = features[actions == action]
        xy, starts = state.zones.parts(sel, min(tile.res, 1.0))
        path = path_from_parts(tile.to_px(xy), starts)
        color = st.ZONE_COLORS.get(str(action), st.ZONE_COLORS["warn"])
        fill = QColor(color)
        fill.setAlpha(45)
        hatch = QColor(color)
        hatch.setAlpha(150)
        p.setPen(QPen(color, 1.2))
        p.setBrush(fill)
        p.drawPath(path)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(hatch, Qt.BrushStyle.BDiagPattern))
        p.drawPath(path)


def _draw_site_outlines(p: QPainter, tile: _Tile, state: RenderState) -> None:
    layer = state.site_outlines
    if layer is None:
        return
    features = layer.query(tile.rect(3.0))
    for f in features:
        style = state.site_outline_styles[f]
        xy, starts = layer.parts(np.array([f]), min(tile.res, 1.0))
        path = path_from_parts(tile.to_px(xy), starts)
        fill = QColor(style.color)
        fill.setAlpha(40)
        p.setBrush(fill)
        # verified: a solid outline; unverified: the fill only, under the dashed mark
        p.setPen(Qt.PenStyle.NoPen if style.unverified else QPen(style.color, 1.6))
        p.drawPath(path)


def site_symbol_px(res: float) -> float:
    """Site symbol size at ``res`` metres per pixel: smaller at city zoom, so 2,000
    sites do not bury the map; the shapes still tell the categories apart."""
    if res > 24.0:
        return SITE_SYMBOL_PX * 0.5
    if res > 6.0:
        return SITE_SYMBOL_PX * 0.75
    return SITE_SYMBOL_PX


def _draw_site_symbols(p: QPainter, tile: _Tile, state: RenderState) -> None:
    layer = state.sites
    if layer is None:
        return
    size = site_symbol_px(tile.res)
    hits = layer.query(tile.rect(size))
    px = tile.to_px(layer.xy[hits]) if len(hits) else np.empty((0, 2))
    for f, (x, y) in zip(hits, px, strict=True):
        st.draw_symbol(p, QPointF(x, y), layer.styles[f], size)


def _draw_entrances(p: QPainter, tile: _Tile, state: RenderState) -> None:
    layer = state.entrances
    if layer is None or tile.res > ENTRANCES_MAX_RES:
        return
    hits = layer.query(tile.rect(ENTRANCE_PX))
    if len(hits) == 0:
        return
    p.setPen(QPen(st.ENTRANCE_EDGE, 2.0))
    p.setBrush(st.ENTRANCE_FILL)
    r = ENTRANCE_PX / 2
    for x, y in tile.to_px(layer.xy[hits]):
        p.drawEllipse(QPointF(x, y), r, r)


def street_labels(
    state: RenderState,
    rect: tuple[float, float, float, float],
    res: float,
    *,
    margin_px: float = LABEL_MARGIN_PX,
) -> StreetLabels | None:
    """The street names to draw around ``rect`` (scene) at ``res`` metres per pixel.

    Thread safe (the tiles call it on the pool; the canvas on the GUI thread).
    """
    return choose_street_labels(state.streets, rect, res, margin_px)


def _draw_labels(p: QPainter, tile: _Tile, state: RenderState) -> None:
    """Street names along their streets, drawn into a tile (see :func:`choose_street_labels`)."""
    if not state.street_labels_in_tiles:
        return
    chosen = choose_street_labels(state.streets, tile.rect(), tile.res)
    if chosen is None:
        return
    draw_street_labels(p, chosen, tile.to_px(chosen.mid))
