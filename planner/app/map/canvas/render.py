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
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QTransform,
)

from planner.app.map.canvas import style as st
from planner.app.map.canvas.layers import GeomLayer
from planner.app.map.canvas.paths import path_from_parts

TILE_PX = 256
MIN_LEVEL = -10  # ~0.03 m per pixel
MAX_LEVEL = 22  # ~2 km per pixel

#: Buildings are drawn up to this many metres per pixel, outlined up to the second.
BUILDINGS_MAX_RES = 6.0
BUILDING_EDGES_MAX_RES = 1.05
#: Street names are drawn up to this many metres per pixel.
LABELS_MAX_RES = 1.5
ENTRANCES_MAX_RES = 12.0
SITE_SYMBOL_PX = 16.0
ENTRANCE_PX = 7.0

_LABEL_MAX_PX = 220.0  # longer names are not drawn
_LABEL_SAME_NAME_PX = 260.0  # one label per street name within this distance
_LABEL_MARGIN_PX = _LABEL_MAX_PX / 2 + max(_LABEL_SAME_NAME_PX, _LABEL_MAX_PX + 8)


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


_metrics_lock = threading.Lock()
_text_width: dict[str, float] = {}


def _label_font() -> QFont:
    font = QFont()
    font.setPixelSize(11)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    return font


def _text_widths(names: np.ndarray, metrics: QFontMetricsF) -> np.ndarray:
    out = np.empty(len(names))
    with _metrics_lock:
        for n, name in enumerate(names):
            w = _text_width.get(name)
            if w is None:
                w = _text_width[name] = metrics.horizontalAdvance(name)
            out[n] = w
    return out


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


@dataclass(frozen=True)
class StreetLabels:
    """Street names chosen for an area: centre (scene), angle (degrees), text width (px)."""

    mid: np.ndarray
    angle: np.ndarray
    widths: np.ndarray
    names: np.ndarray


def street_labels(
    state: RenderState,
    rect: tuple[float, float, float, float],
    res: float,
    *,
    margin_px: float = _LABEL_MARGIN_PX,
) -> StreetLabels | None:
    """The street names to draw around ``rect`` (scene) at ``res`` metres per pixel.

    Thread safe (the tiles call it on the pool; the canvas on the GUI thread).
    """
    return _street_labels(_Tile.of_rect(rect, res), state, margin_px)


def _draw_labels(p: QPainter, tile: _Tile, state: RenderState) -> None:
    """Street names along their streets, drawn into a tile (see :func:`_street_labels`)."""
    if not state.street_labels_in_tiles:
        return
    chosen = _street_labels(tile, state, _LABEL_MARGIN_PX)
    if chosen is None:
        return
    draw_street_labels(p, chosen, tile.to_px(chosen.mid))


def _street_labels(tile: _Tile, state: RenderState, margin_px: float) -> StreetLabels | None:
    """Street names along their streets.

    A candidate label sits at the middle of a named segment long enough to hold
    it. It is drawn when no conflicting candidate (an overlapping label, or the
    same name nearby) ranks higher. That rule needs only the candidates within
    reach, so every tile decides the same for a label that spans several tiles.
    """
    if state.streets is None or tile.res > LABELS_MAX_RES:
        return None
    font = _label_font()
    metrics = QFontMetricsF(font)
    res = tile.res
    query = tile.rect(margin_px)
    cands: list[tuple[np.ndarray, ...]] = []
    for s in st.STREET_STYLES:
        layer = state.streets.classes.get(s.key)
        if layer is None or res > s.max_res:
            continue
        names = state.streets.names[s.key]
        hits = layer.query(query)
        hits = hits[names[hits] != ""]
        if len(hits) == 0:
            continue
        geoms = layer.geoms[hits]
        length_px = shapely.length(geoms) / res
        widths = _text_widths(names[hits], metrics)
        ok = (length_px >= widths + 16) & (widths <= _LABEL_MAX_PX)
        if not ok.any():
            continue
        hits, geoms, length_px, widths = hits[ok], geoms[ok], length_px[ok], widths[ok]
        half = shapely.length(geoms) / 2
        step = np.minimum(3 * res, half)
        mid = shapely.get_coordinates(shapely.line_interpolate_point(geoms, half))
        a = shapely.get_coordinates(shapely.line_interpolate_point(geoms, half - step))
        b = shapely.get_coordinates(shapely.line_interpolate_point(geoms, half + step))
        angle = np.degrees(np.arctan2(b[:, 1] - a[:, 1], b[:, 0] - a[:, 0]))
        angle = np.where(angle > 90, angle - 180, np.where(angle <= -90, angle + 180, angle))
        score = s.rank * 1e7 + np.minimum(length_px, 1e6)
        cands.append((mid, angle, widths, names[hits], score, hits + s.rank * 10**9))
    if not cands:
        return None
    mid, angle, widths, names, score, uid = (np.concatenate(c) for c in zip(*cands, strict=True))
    # rank by score, ties by segment id, so every tile orders the same way
    order = np.lexsort((uid, score))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    # label boxes as rotated rectangles in scene units
    h = 14.0 * res
    w = (widths + 6.0) * res
    rad = np.radians(angle)
    c, s_ = np.cos(rad), np.sin(rad)
    dx = np.stack([-w / 2, w / 2, w / 2, -w / 2], axis=1)
    dy = np.array([-h / 2, -h / 2, h / 2, h / 2])[None, :].repeat(len(w), 0)
    xs = mid[:, [0]] + dx * c[:, None] - dy * s_[:, None]
    ys = mid[:, [1]] + dx * s_[:, None] + dy * c[:, None]
    boxes = shapely.polygons(np.stack([xs, ys], axis=2))
    tree = shapely.STRtree(boxes)
    a_idx, b_idx = tree.query(boxes, predicate="intersects")
    pts = shapely.points(mid)
    reach = _LABEL_SAME_NAME_PX * res
    pa, pb = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=reach)
    same = names[pa] == names[pb]
    a_idx = np.concatenate([a_idx, pa[same]])
    b_idx = np.concatenate([b_idx, pb[same]])
    keep = a_idx != b_idx
    best_rival = np.full(len(rank), -1, dtype=np.int64)
    np.maximum.at(best_rival, a_idx[keep], rank[b_idx[keep]])
    accepted = best_rival < rank
    inside = (
        (mid[:, 0] >= tile.x0 - _LABEL_MAX_PX * res)
        & (mid[:, 0] <= tile.x1 + _LABEL_MAX_PX * res)
        & (mid[:, 1] >= tile.y0 - _LABEL_MAX_PX * res)
        & (mid[:, 1] <= tile.y1 + _LABEL_MAX_PX * res)
    )
    chosen = np.flatnonzero(accepted & inside)
    if len(chosen) == 0:
        return None
    return StreetLabels(
        mid=mid[chosen], angle=angle[chosen], widths=widths[chosen], names=names[chosen]
    )


def draw_street_labels(p: QPainter, labels: StreetLabels, px: np.ndarray) -> None:
    """Draw ``labels`` centred on the pixel positions ``px``."""
    font = _label_font()
    metrics = QFontMetricsF(font)
    ascent = metrics.ascent()
    descent = metrics.descent()
    halo = _street_halo()
    for n, (x, y) in enumerate(px):
        text = QPainterPath()
        text.addText(
            QPointF(-labels.widths[n] / 2, (ascent - descent) / 2), font, str(labels.names[n])
        )
        p.save()
        p.translate(x, y)
        p.rotate(float(labels.angle[n]))
        p.strokePath(text, halo)
        p.fillPath(text, st.LABEL_TEXT)
        p.restore()


#: Street names rendered once each (halo and glyphs, rotated), keyed by text, angle
#: (whole degrees: a street's angle moves by a fraction of one between zoom levels)
#: and device pixel ratio.
_STREET_SPRITES: OrderedDict[tuple[str, int, float], tuple[QPixmap, float, float]] = OrderedDict()
#: A street zoom view names a few hundred streets; a long pan several thousand.
STREET_SPRITES_MAX = 2048
#: Room around a sprite's text for the halo and antialiasing, pixels.
_SPRITE_MARGIN = 3.0


def street_sprite(
    name: str, angle: float, width: float, dpr: float = 1.0
) -> tuple[QPixmap, float, float]:
    """Street name ``name`` drawn at ``angle`` degrees, halo included: ``(pixmap, dx, dy)``.

    Drawing the sprite with its top left at ``(x + dx, y + dy)`` centres the name on
    ``(x, y)``, as :func:`draw_street_labels` does. Made once per name and angle, then
    reused: stroking the halo along the glyphs' outlines every frame cost a pan frame
    at street zoom 20-30 ms. GUI thread only (a QPixmap); tiles draw their own.
    """
    key = (name, round(angle) % 360, dpr)
    hit = _STREET_SPRITES.get(key)
    if hit is not None:
        _STREET_SPRITES.move_to_end(key)
        return hit
    font = _label_font()
    metrics = QFontMetricsF(font)
    text = QPainterPath()
    text.addText(QPointF(-width / 2, (metrics.ascent() - metrics.descent()) / 2), font, name)
    rotate = QTransform().rotate(float(round(angle)))
    path = rotate.map(text)
    box = path.boundingRect().adjusted(
        -_SPRITE_MARGIN, -_SPRITE_MARGIN, _SPRITE_MARGIN, _SPRITE_MARGIN
    )
    pix = QPixmap(max(1, math.ceil(box.width() * dpr)), max(1, math.ceil(box.height() * dpr)))
    pix.setDevicePixelRatio(dpr)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.translate(-box.left(), -box.top())
    p.strokePath(path, _street_halo())
    p.fillPath(path, st.LABEL_TEXT)
    p.end()
    hit = (pix, box.left(), box.top())
    _STREET_SPRITES[key] = hit
    if len(_STREET_SPRITES) > STREET_SPRITES_MAX:
        _STREET_SPRITES.popitem(last=False)
    return hit


def draw_street_sprites(
    p: QPainter, labels: StreetLabels, px: np.ndarray, dpr: float = 1.0
) -> None:
    """:func:`draw_street_labels` through :func:`street_sprite`: one blit per name."""
    for n, (x, y) in enumerate(px.tolist()):
        pix, dx, dy = street_sprite(
            str(labels.names[n]), float(labels.angle[n]), float(labels.widths[n]), dpr
        )
        p.drawPixmap(QPointF(x + dx, y + dy), pix)


def _street_halo() -> QPen:
    return QPen(
        st.LABEL_HALO,
        3.0,
        Qt.PenStyle.SolidLine,
        Qt.PenCapStyle.RoundCap,
        Qt.PenJoinStyle.RoundJoin,
    )
