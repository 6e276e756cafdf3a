"""Street names along their streets: which to draw in an area, and drawing them.

The choice is a pure function of the streets and the area's bounds and resolution, so every
tile (and the canvas's per-view label layer, and the review maps) decides the same for a name
that spans several tiles. Thread safe, apart from the sprites (GUI thread only).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import shapely
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPixmap, QTransform

from planner.app.map.canvas import style as st
from planner.app.map.canvas.layers import StreetLayer

#: Street names are drawn up to this many metres per pixel.
LABELS_MAX_RES = 1.5
_LABEL_MAX_PX = 220.0  # longer names are not drawn
_LABEL_SAME_NAME_PX = 260.0  # one label per street name within this distance
#: How far around an area (px) candidates are looked at: enough for every rival.
LABEL_MARGIN_PX = _LABEL_MAX_PX / 2 + max(_LABEL_SAME_NAME_PX, _LABEL_MAX_PX + 8)


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


@dataclass(frozen=True)
class StreetLabels:
    """Street names chosen for an area: centre (scene), angle (degrees), text width (px)."""

    mid: np.ndarray
    angle: np.ndarray
    widths: np.ndarray
    names: np.ndarray


def choose_street_labels(
    streets: StreetLayer | None,
    bounds: tuple[float, float, float, float],
    res: float,
    margin_px: float = LABEL_MARGIN_PX,
) -> StreetLabels | None:
    """The street names to draw in ``bounds`` (scene) at ``res`` metres per pixel.

    A candidate label sits at the middle of a named segment long enough to hold
    it. It is drawn when no conflicting candidate (an overlapping label, or the
    same name nearby) ranks higher. That rule needs only the candidates within
    reach, so every tile decides the same for a label that spans several tiles.
    """
    if streets is None or res > LABELS_MAX_RES:
        return None
    m = margin_px * res
    x0, y0, x1, y1 = bounds
    cands = _candidates(streets, (x0 - m, y0 - m, x1 + m, y1 + m), res)
    if cands is None:
        return None
    mid, angle, widths, names, score, uid = cands
    accepted = _unrivalled(mid, angle, widths, names, score, uid, res)
    reach = _LABEL_MAX_PX * res
    inside = (
        (mid[:, 0] >= x0 - reach)
        & (mid[:, 0] <= x1 + reach)
        & (mid[:, 1] >= y0 - reach)
        & (mid[:, 1] <= y1 + reach)
    )
    chosen = np.flatnonzero(accepted & inside)
    if len(chosen) == 0:
        return None
    return StreetLabels(
        mid=mid[chosen], angle=angle[chosen], widths=widths[chosen], names=names[chosen]
    )


def _candidates(
    streets: StreetLayer, query: tuple[float, float, float, float], res: float
) -> tuple[np.ndarray, ...] | None:
    """Every named segment in ``query`` long enough for its name, at its middle.

    Returns ``(mid, angle, widths, names, score, uid)``: the label's centre (scene), its
    angle (degrees, never upside down), text width (px), text, rank score (street class,
    then length) and a segment id unique across classes; None when there is none.
    """
    metrics = QFontMetricsF(_label_font())
    cands: list[tuple[np.ndarray, ...]] = []
    for s in st.STREET_STYLES:
        layer = streets.classes.get(s.key)
        if layer is None or res > s.max_res:
            continue
        names = streets.names[s.key]
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
    return tuple(np.concatenate(c) for c in zip(*cands, strict=True))


def _unrivalled(
    mid: np.ndarray,
    angle: np.ndarray,
    widths: np.ndarray,
    names: np.ndarray,
    score: np.ndarray,
    uid: np.ndarray,
    res: float,
) -> np.ndarray:
    """Which candidates no higher-ranked rival (overlapping box, same name near) beats."""
    # rank by score, ties by segment id, so every tile orders the same way
    order = np.lexsort((uid, score))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    boxes = _label_boxes(mid, angle, widths, res)
    a_idx, b_idx = shapely.STRtree(boxes).query(boxes, predicate="intersects")
    pts = shapely.points(mid)
    reach = _LABEL_SAME_NAME_PX * res
    pa, pb = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=reach)
    same = names[pa] == names[pb]
    a_idx = np.concatenate([a_idx, pa[same]])
    b_idx = np.concatenate([b_idx, pb[same]])
    keep = a_idx != b_idx
    best_rival = np.full(len(rank), -1, dtype=np.int64)
    np.maximum.at(best_rival, a_idx[keep], rank[b_idx[keep]])
    return best_rival < rank


def _label_boxes(mid: np.ndarray, angle: np.ndarray, widths: np.ndarray, res: float) -> np.ndarray:
    """The labels' boxes as rotated rectangles in scene units."""
    h = 14.0 * res
    w = (widths + 6.0) * res
    rad = np.radians(angle)
    c, s_ = np.cos(rad), np.sin(rad)
    dx = np.stack([-w / 2, w / 2, w / 2, -w / 2], axis=1)
    dy = np.array([-h / 2, -h / 2, h / 2, h / 2])[None, :].repeat(len(w), 0)
    xs = mid[:, [0]] + dx * c[:, None] - dy * s_[:, None]
    ys = mid[:, [1]] + dx * s_[:, None] + dy * c[:, None]
    return shapely.polygons(np.stack([xs, ys], axis=2))


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
