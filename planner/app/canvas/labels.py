"""Labels placed in view pixels: never over each other, never cut by the view's edge.

Site names and district names are placed per frame, after the view is known, so a
label is either drawn whole inside the view or not at all (a point label) or moved
inside (an area label, whose anchor is only a suggestion). Placement is greedy by
priority, trying the positions cartographers prefer for point labels (right,
left, above, below the symbol, then the four diagonals), against everything
already placed, including the symbols.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF

#: Gap between a point symbol's edge and its label, pixels.
GAP_PX = 3.0


@dataclass(frozen=True)
class LabelRequest:
    """A label to place.

    ``anchor`` is in view pixels; ``radius`` the half size of the symbol it belongs
    to (0 for an area label); ``size`` the text box (width, height). Higher
    ``priority`` is placed first.
    """

    text: str
    anchor: QPointF
    size: tuple[float, float]
    priority: float = 0.0
    radius: float = 0.0
    area: bool = False


def _candidates(req: LabelRequest) -> list[QRectF]:
    w, h = req.size
    x, y = req.anchor.x(), req.anchor.y()
    if req.area:
        return [QRectF(x - w / 2, y - h / 2, w, h)]
    r = req.radius + GAP_PX
    return [
        QRectF(x + r, y - h / 2, w, h),  # right
        QRectF(x - r - w, y - h / 2, w, h),  # left
        QRectF(x - w / 2, y - r - h, w, h),  # above
        QRectF(x - w / 2, y + r, w, h),  # below
        QRectF(x + r * 0.7, y + r * 0.7, w, h),  # below right
        QRectF(x - r * 0.7 - w, y + r * 0.7, w, h),  # below left
        QRectF(x + r * 0.7, y - r * 0.7 - h, w, h),  # above right
        QRectF(x - r * 0.7 - w, y - r * 0.7 - h, w, h),  # above left
    ]


def _inside(box: QRectF, view: QRectF) -> QRectF | None:
    """``box`` moved into ``view`` (None when it is larger than the view)."""
    if box.width() > view.width() or box.height() > view.height():
        return None
    dx = max(0.0, view.left() - box.left()) - max(0.0, box.right() - view.right())
    dy = max(0.0, view.top() - box.top()) - max(0.0, box.bottom() - view.bottom())
    return box.translated(dx, dy)


def place_labels(
    requests: list[LabelRequest], *, view: QRectF, occupied: list[QRectF] | None = None
) -> list[tuple[int, QRectF]]:
    """Where to draw each label that fits: ``(index into requests, box)``.

    No two boxes returned overlap, none overlaps ``occupied`` (symbols drawn
    already), and every box lies inside ``view``.
    """
    taken: list[QRectF] = list(occupied or [])
    placed: list[tuple[int, QRectF]] = []
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
            if any(box.intersects(t) for t in taken):
                continue
            taken.append(box)
            placed.append((i, box))
            break
    return placed


__all__ = ["LabelRequest", "place_labels"]
