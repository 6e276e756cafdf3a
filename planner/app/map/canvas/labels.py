"""Labels placed in view pixels: never over each other, never over a symbol, never cut.

Every label the map shows (camera ids, site names, "? unverified" tags, district
names; street names go through the same bookkeeping) is placed per frame, after the
view is known, so a label is either drawn whole inside the view or not at all (a
point label) or moved inside (an area label, whose anchors are only suggestions).
Placement is greedy by priority, as QGIS's labelling engine does with layer
priorities: each label tries the positions cartographers prefer for point labels
(right, left, above, below the symbol, then the four diagonals, or an order of its
own), against everything already placed, including the symbols; a label with no
free position is dropped at this zoom.
"""

from __future__ import annotations

import math
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPixmap

from planner.app.map.canvas import style as st

#: Gap between a point symbol's edge and its label, pixels.
GAP_PX = 3.0

#: Who wins where labels collide, highest first: what a planner needs most. The
#: selected camera's label is never dropped for another; protected sites are what the
#: checks are about; then the cameras; an "unverified" tag repeats what the site's
#: dashed outline already says; street names, then district names (the status bar
#: names the district under the cursor) give way to everything else.
PRIORITY = {
    "selected": 500.0,
    "site": 400.0,
    "camera": 300.0,
    "unverified": 200.0,
    "street": 100.0,
    "district": 0.0,
}

#: Point label positions around the symbol, in the order tried by default.
POSITIONS = (
    "right",
    "left",
    "above",
    "below",
    "below_right",
    "below_left",
    "above_right",
    "above_left",
)


@dataclass(frozen=True)
class LabelStyle:
    """How a label is drawn: text with a white halo, or on a white rounded box."""

    font_px: int = 12
    bold: bool = False
    colour: QColor = field(default_factory=lambda: QColor(st.SITE_LABEL))
    #: The box behind the text (None: a halo around the glyphs instead).
    box: QColor | None = None
    #: Horizontal and vertical padding around the text, pixels.
    pad: tuple[float, float] = (6.0, 2.0)

    def font(self) -> QFont:
        font = QFont()
        font.setPixelSize(self.font_px)
        font.setBold(self.bold)
        return font

    def size(self, text: str) -> tuple[float, float]:
        """The label's box (width, height) in pixels."""
        w, h = _text_size(self.font_px, self.bold, text)
        return (w + self.pad[0], h + self.pad[1])


@lru_cache(maxsize=8192)
def _text_size(font_px: int, bold: bool, text: str) -> tuple[float, float]:
    # measured once per text: a placement asks again for every camera on every pan
    font = QFont()
    font.setPixelSize(font_px)
    font.setBold(bold)
    fm = QFontMetricsF(font)
    return (fm.horizontalAdvance(text), fm.height())


@dataclass(frozen=True)
class LabelRequest:
    """A label to place.

    ``anchor`` is in view pixels; ``radius`` the half size of the symbol it belongs
    to (0 for an area label); ``size`` the text box (width, height). Higher
    ``priority`` is placed first. ``positions`` overrides the order of
    :data:`POSITIONS` tried for a point label; ``alternatives`` are further anchors
    for an area label, tried in order when the first is taken.
    """

    text: str
    anchor: QPointF
    size: tuple[float, float]
    priority: float = 0.0
    radius: float = 0.0
    area: bool = False
    role: str = "site"
    style: LabelStyle | None = None
    tooltip: str = ""
    positions: tuple[str, ...] | None = None
    alternatives: tuple[QPointF, ...] = ()
    #: Further distances (pixels) from the symbol tried when every position beside it is
    #: taken: the label then stands off, joined to its symbol by a leader line.
    reach: tuple[float, ...] = ()


@dataclass(frozen=True)
class PlacedLabel:
    """A label where it is drawn: its text, box (view pixels), role, style and tooltip."""

    text: str
    box: QRectF
    role: str
    style: LabelStyle | None = None
    tooltip: str = ""


def _point_box(req: LabelRequest, where: str) -> QRectF:
    w, h = req.size
    x, y = req.anchor.x(), req.anchor.y()
    r = req.radius + GAP_PX
    # symbols are avoided as boxes: a diagonal label clears the box's corner
    d = r
    return {
        "right": QRectF(x + r, y - h / 2, w, h),
        "left": QRectF(x - r - w, y - h / 2, w, h),
        "above": QRectF(x - w / 2, y - r - h, w, h),
        "below": QRectF(x - w / 2, y + r, w, h),
        "below_right": QRectF(x + d, y + d, w, h),
        "below_left": QRectF(x - d - w, y + d, w, h),
        "above_right": QRectF(x + d, y - d - h, w, h),
        "above_left": QRectF(x - d - w, y - d - h, w, h),
    }[where]


def _candidates(req: LabelRequest) -> list[QRectF]:
    w, h = req.size
    if req.area:
        return [QRectF(a.x() - w / 2, a.y() - h / 2, w, h) for a in (req.anchor, *req.alternatives)]
    out = [_point_box(req, where) for where in req.positions or POSITIONS]
    for d in req.reach:
        far = LabelRequest(req.text, req.anchor, req.size, radius=req.radius + d)
        out += [_point_box(far, where) for where in req.positions or POSITIONS]
    return out


def stands_off(req: LabelRequest, box: QRectF) -> bool:
    """Whether ``box`` was placed away from its symbol (one of ``req.reach``'s rings)."""
    if req.area or not req.reach:
        return False
    a = req.anchor
    dx = max(box.left() - a.x(), 0.0, a.x() - box.right())
    dy = max(box.top() - a.y(), 0.0, a.y() - box.bottom())
    return max(dx, dy) > req.radius + GAP_PX + 1.0


def _inside(box: QRectF, view: QRectF) -> QRectF | None:
    """``box`` moved into ``view`` (None when it is larger than the view)."""
    if box.width() > view.width() or box.height() > view.height():
        return None
    dx = max(0.0, view.left() - box.left()) - max(0.0, box.right() - view.right())
    dy = max(0.0, view.top() - box.top()) - max(0.0, box.bottom() - view.bottom())
    return box.translated(dx, dy)


class BoxIndex:
    """Boxes already taken (view pixels), bucketed on a grid so a test touches only
    the boxes near it: a city of camera symbols is thousands of boxes."""

    def __init__(self, boxes: Iterable[QRectF] = (), *, cell: float = 64.0) -> None:
        self.cell = cell
        self._cells: defaultdict[tuple[int, int], list[QRectF]] = defaultdict(list)
        self.boxes: list[QRectF] = []
        for b in boxes:
            self.add(b)

    def _keys(self, box: QRectF) -> Iterable[tuple[int, int]]:
        c = self.cell
        i0, i1 = math.floor(box.left() / c), math.floor(box.right() / c)
        j0, j1 = math.floor(box.top() / c), math.floor(box.bottom() / c)
        return ((i, j) for i in range(i0, i1 + 1) for j in range(j0, j1 + 1))

    def add(self, box: QRectF) -> None:
        self.boxes.append(box)
        for k in self._keys(box):
            self._cells[k].append(box)

    def hits(self, box: QRectF) -> bool:
        """Whether ``box`` overlaps a box of the index (touching edges do not)."""
        cells = self._cells
        return any(box.intersects(t) for k in self._keys(box) if k in cells for t in cells[k])


def place_labels(
    requests: Sequence[LabelRequest],
    *,
    view: QRectF,
    occupied: Iterable[QRectF] | BoxIndex | None = None,
) -> list[tuple[int, QRectF]]:
    """Where to draw each label that fits: ``(index into requests, box)``.

    No two boxes returned overlap, none overlaps ``occupied`` (symbols drawn
    already, labels placed before), and every box lies inside ``view``. A
    :class:`BoxIndex` given as ``occupied`` receives the placed boxes too.
    """
    taken = occupied if isinstance(occupied, BoxIndex) else BoxIndex(occupied or ())
    placed: list[tuple[int, QRectF]] = []
    # stable: equal priorities keep the caller's order
    order = sorted(range(len(requests)), key=lambda i: -requests[i].priority)
    for i in order:
        req = requests[i]
        for box in _candidates(req):
            if req.area:
                moved = _inside(box, view)
                if moved is None:
                    continue
                box = moved
            elif not view.contains(box):
                continue
            if taken.hits(box):
                continue
            taken.add(box)
            placed.append((i, box))
            break
    return placed


def draw_label(painter: QPainter, label: PlacedLabel) -> None:
    """Draw a placed label in view pixels (the painter has no transform)."""
    style = label.style or LabelStyle()
    font = style.font()
    box = label.box
    painter.save()
    if style.box is not None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.box)
        painter.drawRoundedRect(box, 3, 3)
        painter.setFont(font)
        painter.setPen(style.colour)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label.text)
        painter.restore()
        return
    fm = QFontMetricsF(font)
    tw = fm.horizontalAdvance(label.text)
    baseline = QPointF(
        box.center().x() - tw / 2, box.center().y() + (fm.ascent() - fm.descent()) / 2
    )
    path = QPainterPath()
    path.addText(baseline, font, label.text)
    halo = QPen(
        st.LABEL_HALO,
        3.5,
        Qt.PenStyle.SolidLine,
        Qt.PenCapStyle.RoundCap,
        Qt.PenJoinStyle.RoundJoin,
    )
    painter.strokePath(path, halo)
    # the glyphs themselves as text, so a PDF of the map can be searched for the names
    painter.setFont(font)
    painter.setPen(style.colour)
    painter.drawText(baseline, label.text)
    painter.restore()


#: Room around a label's box in its cached image, for the halo.
_HALO_MARGIN = 3
_PIXMAPS: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()
_PIXMAPS_MAX = 1024


def draw_label_cached(painter: QPainter, label: PlacedLabel, *, dpr: float = 1.0) -> None:
    """:func:`draw_label` through an image of the label made once per text and style.

    Stroking the halo around a text's outline costs a few milliseconds a label, every
    frame a view pans; the image is blitted instead. For screens only: a PDF keeps its
    labels as text.
    """
    style = label.style or LabelStyle()
    w, h = label.box.width(), label.box.height()
    key = (
        label.text,
        style.font_px,
        style.bold,
        style.colour.rgba(),
        None if style.box is None else style.box.rgba(),
        round(w, 2),
        round(h, 2),
        dpr,
    )
    pix = _PIXMAPS.get(key)
    if pix is None:
        m = _HALO_MARGIN
        pix = QPixmap(math.ceil((w + 2 * m) * dpr), math.ceil((h + 2 * m) * dpr))
        pix.setDevicePixelRatio(dpr)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        draw_label(p, PlacedLabel(label.text, QRectF(m, m, w, h), label.role, style))
        p.end()
        _PIXMAPS[key] = pix
        if len(_PIXMAPS) > _PIXMAPS_MAX:
            _PIXMAPS.popitem(last=False)
    else:
        _PIXMAPS.move_to_end(key)
    painter.drawPixmap(label.box.topLeft() - QPointF(_HALO_MARGIN, _HALO_MARGIN), pix)


__all__ = [
    "POSITIONS",
    "PRIORITY",
    "BoxIndex",
    "LabelRequest",
    "LabelStyle",
    "PlacedLabel",
    "draw_label",
    "draw_label_cached",
    "place_labels",
    "stands_off",
]
