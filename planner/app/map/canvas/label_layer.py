"""Every label of the map canvas, placed together so none hides another or a symbol.

The canvas' own layers give the site names, the district names and the street
names; the app adds camera labels and "? unverified" tags through label sources
(:meth:`LabelLayer.add_source`), which also report the symbols they draw (camera
bodies) so that no label covers one. Placement runs once per view (see
:meth:`LabelLayer.draw`) in priority order (:data:`~planner.app.map.canvas.labels.PRIORITY`):
the point labels, then the street names against them, then the district names in
what room is left. A label that finds no free position is hidden at this zoom.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QSizeF, QTimer
from PySide6.QtGui import QColor, QPainter, QPen, QTransform

from planner.app.map.canvas import style as st
from planner.app.map.canvas.labels import (
    PRIORITY,
    BoxIndex,
    LabelRequest,
    LabelStyle,
    PlacedLabel,
    draw_label_cached,
    place_labels,
    stands_off,
)
from planner.app.map.canvas.render import site_symbol_px, street_labels
from planner.app.map.canvas.street_names import StreetLabels, draw_street_sprites

if TYPE_CHECKING:
    from planner.app.map.canvas.prepare import BoundaryLayer
from typing import Protocol

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QWidget

from planner.app.map.canvas.prepare import SiteLayers
from planner.app.map.canvas.render import RenderState


class LabelCanvas(Protocol):
    """What the label layer reads of the map canvas (:class:`~.view.MapCanvas` has it all).

    A protocol, not the class: the canvas owns its label layer, so the layer importing
    the canvas's module would close an import cycle.
    """

    @property
    def boundary_layer(self) -> BoundaryLayer: ...
    @property
    def site_layers(self) -> SiteLayers: ...
    @property
    def render_state(self) -> RenderState: ...
    @property
    def synchronous(self) -> bool: ...
    def is_layer_visible(self, layer_id: str) -> bool: ...
    def layer_opacity(self, layer_id: str) -> float: ...
    def resolution(self) -> float: ...
    def level(self) -> int: ...
    def center(self) -> tuple[float, float]: ...
    def view_to_scene(self, pos: QPoint | QPointF) -> QPointF: ...
    def scene_to_view(self, point: QPointF) -> QPointF: ...
    def viewport(self) -> QWidget: ...
    def viewportTransform(self) -> QTransform: ...  # Qt's name


#: Site names are drawn up to this many metres per pixel (street zoom).
SITE_LABELS_MAX_RES = 3.0
#: District names are drawn from this many metres per pixel up (they would sit in the
#: middle of the work at street zoom, where the status bar names the district instead).
DISTRICT_LABELS_MIN_RES = 1.0
#: Anchors offered per district: the roomiest first, then others far enough apart that
#: one of them is likely free of cameras and other labels.
DISTRICT_ANCHORS = 200
#: At most this many site symbols are labelled per placement (they stay obstacles).
MAX_SITE_LABELS = 300

SITE_STYLE = LabelStyle(font_px=12)


def _translucent(colour: QColor, alpha: int) -> QColor:
    out = QColor(colour)
    out.setAlpha(alpha)
    return out


DISTRICT_STYLE = LabelStyle(
    font_px=14, bold=True, colour=_translucent(st.DISTRICT_LABEL, 200), pad=(8.0, 2.0)
)

#: Maps a scene point to view pixels.
ToView = Callable[[QPointF], QPointF]


@dataclass
class LabelBatch:
    """What a label source adds: labels to place and symbol boxes (view pixels) to avoid."""

    requests: list[LabelRequest] = field(default_factory=list)
    obstacles: list[QRectF] = field(default_factory=list)


#: ``source(scene_rect, metres_per_pixel, to_view)``: the labels and symbols in the area.
LabelSource = Callable[[QRectF, float, ToView], LabelBatch]


@dataclass(frozen=True)
class _Kept:
    """A placed label kept in scene units, so the next frames only move it."""

    text: str
    top_left: QPointF  # scene
    size: QSizeF
    role: str
    style: LabelStyle | None
    tooltip: str
    #: The symbol a label placed away from it points to (scene), else None.
    leader: QPointF | None = None


@dataclass(frozen=True)
class _Placement:
    key: tuple[object, ...]
    labels: list[_Kept]
    streets: StreetLabels | None
    obstacles: list[QRectF]  # view pixels when placed
    to_scene: QTransform  # view pixels to scene when placed


def district_requests(
    boundaries: BoundaryLayer,
    *,
    rect: tuple[float, float, float, float],
    res: float,
    scale: tuple[float, float],
    shift: tuple[float, float],
    style: LabelStyle = DISTRICT_STYLE,
) -> list[LabelRequest]:
    """One area label per district with room inside ``rect`` (scene coordinates).

    Each offers up to :data:`DISTRICT_ANCHORS` anchors (pixels: scene times ``scale``
    plus ``shift``): the candidate point with the most room to both the district's
    edge and the area's, then the roomiest half a label away from those already
    offered, down to narrow parts of the district, so the name can move to where no
    camera or other label is.
    """
    b = boundaries
    xy = b.label_xy
    if xy is None or not len(xy) or b.label_room is None or b.label_owner is None:
        return []
    # room to the area's edges too, so the label sits well inside both
    edge = np.minimum.reduce(
        [xy[:, 0] - rect[0], rect[2] - xy[:, 0], xy[:, 1] - rect[1], rect[3] - xy[:, 1]]
    )
    score = np.minimum(b.label_room, edge)
    # a district is named where it has the room (the label's half height inside);
    # its narrower parts come later as alternatives, where cameras leave no room
    roomy = score > 12 * res
    ok = score > 4 * res
    px = xy * scale + shift
    out = []
    for i in np.unique(b.label_owner[roomy]):
        text = b.labels[i]
        if not text:
            continue
        sel = np.flatnonzero(ok & (b.label_owner == i))
        sel = sel[np.argsort(-score[sel], kind="stable")]
        size = style.size(text)
        anchors: list[QPointF] = []
        while len(sel) and len(anchors) < DISTRICT_ANCHORS:
            x, y = px[sel[0]]
            anchors.append(QPointF(x, y))
            sel = sel[np.hypot(px[sel, 0] - x, px[sel, 1] - y) > size[0] / 2]
        out.append(
            LabelRequest(
                text,
                anchors[0],
                size,
                priority=PRIORITY["district"],
                area=True,
                role="district",
                style=style,
                alternatives=tuple(anchors[1:]),
            )
        )
    return out


class LabelLayer(QObject):
    """Places and draws the canvas' labels; see the module docstring."""

    def __init__(self, canvas: LabelCanvas, parent: QObject) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self._sources: list[LabelSource] = []
        self._revision = 0
        self._placement: _Placement | None = None
        self._exact_at: tuple[int, float, float] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.settle)
        #: The last frame's labels (text and view box), for tests and tooltips.
        self.drawn: list[PlacedLabel] = []
        #: The last frame's street names (text and the rotated label's bounding box).
        self.streets_drawn: list[tuple[str, QRectF]] = []

    # -- sources ---------------------------------------------------------------------------
    def add_source(self, source: LabelSource) -> None:
        self._sources.append(source)
        self.invalidate()

    def remove_source(self, source: LabelSource) -> None:
        if source in self._sources:
            self._sources.remove(source)
            self.invalidate()

    def invalidate(self) -> None:
        """Something labelled moved or changed: place the labels again on the next frame."""
        self._revision += 1
        self._placement = None
        self.canvas.viewport().update()

    def settle(self) -> None:
        """The view rests: place for exactly this view, so edge labels find room."""
        c = self.canvas
        cx, cy = c.center()
        self._exact_at = (c.level(), round(cx, 1), round(cy, 1))
        c.viewport().update()

    # -- queries ---------------------------------------------------------------------------
    def label_at(self, pos: QPointF) -> PlacedLabel | None:
        """The drawn label under a view position (the topmost), or None."""
        for label in reversed(self.drawn):
            if label.box.contains(pos):
                return label
        return None

    def obstacle_boxes(self) -> list[QRectF]:
        """The symbol boxes (view pixels) the current labels were placed around."""
        if self._placement is None:
            return []
        placed = self._placement
        to_view = self.canvas.scene_to_view
        return [
            QRectF(to_view(placed.to_scene.map(b.topLeft())), b.size()) for b in placed.obstacles
        ]

    # -- placement -------------------------------------------------------------------------
    def _sites(self, region: QRectF, rect: QRectF, res: float, to_view: ToView) -> LabelBatch:
        c = self.canvas
        batch = LabelBatch()
        sites = c.render_state.sites
        if sites is None or not len(sites) or not c.is_layer_visible("sites"):
            return batch
        hits = sites.query((rect.left(), rect.top(), rect.right(), rect.bottom()))
        if not len(hits):
            return batch
        size = site_symbol_px(res)
        # every symbol is an obstacle; only street zoom names them
        for i in hits:
            p = to_view(QPointF(*sites.xy[i]))
            batch.obstacles.append(QRectF(p.x() - size / 2, p.y() - size / 2, size, size))
        names = c.site_layers.names
        if res > SITE_LABELS_MAX_RES or not names:
            return batch
        for n, i in enumerate(hits[:MAX_SITE_LABELS]):
            text = names[i]
            if not text:
                continue
            box = batch.obstacles[n]
            if not region.intersects(box):
                continue
            batch.requests.append(
                LabelRequest(
                    text,
                    box.center(),
                    SITE_STYLE.size(text),
                    priority=PRIORITY["site"],
                    radius=size / 2,
                    role="site",
                    style=SITE_STYLE,
                )
            )
        return batch

    def _districts(self, rect: QRectF, res: float) -> list[LabelRequest]:
        c = self.canvas
        if not c.is_layer_visible("boundaries") or res < DISTRICT_LABELS_MIN_RES:
            return []
        t = c.viewportTransform()  # scale and shift only: the map never rotates
        return district_requests(
            c.boundary_layer,
            rect=(rect.left(), rect.top(), rect.right(), rect.bottom()),
            res=res,
            scale=(t.m11(), t.m22()),
            shift=(t.dx(), t.dy()),
        )

    def _streets(
        self, region: QRectF, rect: QRectF, res: float, to_view: ToView, taken: BoxIndex
    ) -> StreetLabels | None:
        """The street names (chosen so that they never overlap each other) whose whole
        rotated box is inside ``region`` and clear of everything in ``taken``."""
        c = self.canvas
        if (
            not (c.is_layer_visible("street_names") and c.is_layer_visible("streets"))
            or c.layer_opacity("street_names") <= 0
        ):
            return None
        sl = street_labels(
            c.render_state, (rect.left(), rect.top(), rect.right(), rect.bottom()), res
        )
        if sl is None or not len(sl.mid):
            return None
        chosen = []
        for n in range(len(sl.mid)):
            box = _street_box(to_view(QPointF(*sl.mid[n])), sl, n)
            if region.contains(box) and not taken.hits(box):
                taken.add(box)
                chosen.append(n)
        if not chosen:
            return None
        idx = np.array(chosen)
        return StreetLabels(
            mid=sl.mid[idx], angle=sl.angle[idx], widths=sl.widths[idx], names=sl.names[idx]
        )

    def _place(self, key: tuple[object, ...], region: QRectF) -> _Placement:
        c = self.canvas
        res = c.resolution()
        tl, br = c.view_to_scene(region.topLeft()), c.view_to_scene(region.bottomRight())
        rect = QRectF(tl, br).normalized()
        to_view = c.viewportTransform().map  # one transform for the whole placement
        batches = [self._sites(region, rect, res, to_view)]
        batches += [source(rect, res, to_view) for source in self._sources]
        obstacles = [box for b in batches for box in b.obstacles]
        taken = BoxIndex(obstacles)
        before = [r for b in batches for r in b.requests if r.priority > PRIORITY["street"]]
        after = [r for b in batches for r in b.requests if r.priority <= PRIORITY["street"]]
        after += self._districts(rect, res)
        placed = [(before[i], box) for i, box in place_labels(before, view=region, occupied=taken)]
        streets = self._streets(region, rect, res, to_view, taken)
        placed += [(after[i], box) for i, box in place_labels(after, view=region, occupied=taken)]
        placed.sort(key=lambda rb: rb[0].priority)  # drawn bottom up
        kept = [
            _Kept(
                r.text,
                c.view_to_scene(box.topLeft()),
                box.size(),
                r.role,
                r.style,
                r.tooltip,
                c.view_to_scene(r.anchor) if stands_off(r, box) else None,
            )
            for r, box in placed
        ]
        return _Placement(
            key=key,
            labels=kept,
            streets=streets,
            obstacles=obstacles,
            to_scene=c.viewportTransform().inverted()[0],
        )

    # -- drawing ---------------------------------------------------------------------------
    def draw(self, painter: QPainter) -> None:
        """Place (when the view changed) and draw the labels.

        While the view moves, labels are placed once for the view and half a view
        around it (cheap to reuse frame after frame; a label that would cross the edge
        is left out); when the view rests they are placed again for exactly the view,
        so edge labels find a position that fits.
        """
        c = self.canvas
        w, h = c.viewport().width(), c.viewport().height()
        res = c.resolution()
        cx, cy = c.center()
        # a margin keeps labels off the scale bar and the attribution line
        view = QRectF(4, 4, w - 8, h - 34)
        here = (c.level(), round(cx, 1), round(cy, 1))
        exact = c.synchronous or self._exact_at == here
        cell = max(w, h) * res / 2
        where = here if exact else (math.floor(cx / cell), math.floor(cy / cell))
        key = (
            c.render_state.generation,
            self._revision,
            c.level(),
            exact,
            where,
            w,
            h,
        )
        if self._placement is None or self._placement.key != key:
            region = view if exact else QRectF(-w / 2, -h / 2, 2 * w, 2 * h)
            self._placement = self._place(key, region)
        if not exact:
            self._timer.start()
        drawn = []
        leaders: list[tuple[QPointF, QRectF, LabelStyle | None]] = []
        to_view = c.viewportTransform().map
        for k in self._placement.labels:
            box = QRectF(to_view(k.top_left), k.size)
            if view.contains(box):
                drawn.append(PlacedLabel(k.text, box, k.role, k.style, k.tooltip))
                if k.leader is not None:
                    leaders.append((to_view(k.leader), box, k.style))
        self.drawn = drawn
        self._draw_streets(painter, view)
        for anchor, box, style in leaders:
            _draw_leader(painter, anchor, box, style)
        dpr = c.viewport().devicePixelRatioF()
        for label in drawn:
            draw_label_cached(painter, label, dpr=dpr)

    def _draw_streets(self, painter: QPainter, view: QRectF) -> None:
        c = self.canvas
        sl = None if self._placement is None else self._placement.streets
        self.streets_drawn = []
        if sl is None:
            return
        t = c.viewportTransform()  # scale and shift only: the map never rotates
        px = sl.mid * (t.m11(), t.m22()) + (t.dx(), t.dy())
        keep = []
        for n in range(len(sl.mid)):
            box = _street_box(QPointF(*px[n]), sl, n)
            if view.contains(box):
                keep.append(n)
                self.streets_drawn.append((str(sl.names[n]), box))
        if not keep:
            return
        idx = np.array(keep)
        subset = StreetLabels(
            mid=sl.mid[idx], angle=sl.angle[idx], widths=sl.widths[idx], names=sl.names[idx]
        )
        painter.save()
        painter.setOpacity(c.layer_opacity("street_names"))
        # each name blitted from its cached sprite: a pan frame strokes no outline
        draw_street_sprites(painter, subset, px[idx], c.viewport().devicePixelRatioF())
        painter.restore()


def _draw_leader(painter: QPainter, anchor: QPointF, box: QRectF, style: LabelStyle | None) -> None:
    """A thin line from a label standing off to the symbol it names."""
    end = QPointF(
        min(max(anchor.x(), box.left()), box.right()),
        min(max(anchor.y(), box.top()), box.bottom()),
    )
    colour = QColor(style.colour if style is not None else st.LABEL_TEXT)
    painter.save()
    painter.setPen(QPen(QColor(255, 255, 255, 200), 3.0))
    painter.drawLine(anchor, end)
    painter.setPen(QPen(colour, 1.2))
    painter.drawLine(anchor, end)
    painter.restore()


def _street_box(p: QPointF, sl: StreetLabels, n: int) -> QRectF:
    """The axis-aligned box (view pixels) around street name ``n`` drawn rotated at ``p``."""
    rad = math.radians(float(sl.angle[n]))
    hw = (float(sl.widths[n]) + 6.0) / 2
    hh = 7.0
    ex = abs(math.cos(rad)) * hw + abs(math.sin(rad)) * hh
    ey = abs(math.sin(rad)) * hw + abs(math.cos(rad)) * hh
    return QRectF(p.x() - ex, p.y() - ey, 2 * ex, 2 * ey)


__all__ = [
    "DISTRICT_LABELS_MIN_RES",
    "SITE_LABELS_MAX_RES",
    "LabelBatch",
    "LabelLayer",
    "LabelSource",
    "ToView",
    "district_requests",
]
