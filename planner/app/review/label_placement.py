"""Labels on a report map, placed as the app's map places them: inside the frame, clear
of the camera and site symbols, the legend, the north arrow and each other.

Cameras first, then the street names, then the districts; a label with no room is
left out. The overview's callout numbers (its blocked and warned cameras) are never
left out: with no room beside its camera a number stands further off, with a leader
line, and at worst is clamped into the frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen

from planner.app.map.canvas import style as st
from planner.app.map.canvas.label_layer import _street_box, district_requests
from planner.app.map.canvas.labels import (
    PRIORITY,
    BoxIndex,
    LabelRequest,
    LabelStyle,
    PlacedLabel,
    draw_label,
    place_labels,
)
from planner.app.map.canvas.prepare import BoundaryLayer
from planner.app.map.canvas.render import RenderState, site_symbol_px, street_labels
from planner.app.map.canvas.street_names import StreetLabels, draw_street_labels
from planner.app.review.camera_symbols import MapCamera
from planner.app.review.map_frame import MapFrame, clip_streets
from planner.app.siting.map_labels import CAMERA_STYLE

#: "District N" on the overview: the map's district label, at the report's type size.
DISTRICT_STYLE = LabelStyle(font_px=10, bold=True, colour=QColor(st.DISTRICT_LABEL), pad=(6.0, 2.0))
#: The overview's numbered callouts of the blocked and warned cameras.
CALLOUT_STYLE = LabelStyle(
    font_px=9, bold=True, colour=QColor(20, 20, 20), box=QColor(255, 255, 255, 235), pad=(5.0, 2.0)
)
#: How far (symbol radii) a callout may stand off its camera, with a leader line,
#: where the symbols crowd: tried in turn after the places beside the symbol.
CALLOUT_STANDOFF = (2.5, 4.0, 6.0, 9.0)


@dataclass
class LabelsDrawn:
    """What one map's labelling drew (boxes in layout units)."""

    #: Text, box and role ("camera", "district", "callout") of every label.
    labels: list[tuple[str, QRectF, str]] = field(default_factory=list)
    #: Camera id to the box of its callout number.
    callouts: dict[str, QRectF] = field(default_factory=dict)
    #: The cameras whose number stood off with a leader line (no room beside them).
    crowded: list[str] = field(default_factory=list)
    #: Street names: text and box.
    streets: list[tuple[str, QRectF]] = field(default_factory=list)


def label_map(
    painter: QPainter,
    frame: MapFrame,
    *,
    state: RenderState,
    bodies: Sequence[MapCamera],
    districts: BoundaryLayer | None,
    callouts: Mapping[str, int],
    obstacles: Iterable[QRectF],
) -> LabelsDrawn:
    """Place and draw the labels of the map ``frame``; what was drawn.

    ``districts`` are the boundary labels to name (None: none), ``callouts`` numbers
    cameras by id, and ``obstacles`` are the boxes the map's furniture takes.
    """
    drawn = LabelsDrawn()
    reqs: list[LabelRequest] = []
    if districts is not None:
        reqs += district_requests(
            districts,
            rect=frame.rect,
            res=frame.res,
            scale=(1 / frame.res, 1 / frame.res),
            shift=(-frame.x0 / frame.res, -frame.y0 / frame.res),
            style=DISTRICT_STYLE,
        )
    taken_boxes = list(obstacles)
    camera_reqs, numbered = _camera_requests(painter, frame, bodies, callouts, taken_boxes)
    reqs += camera_reqs
    taken_boxes += _site_boxes(frame, state)
    # off the scale bar and the attribution line, as on the map
    view = QRectF(4, 4, frame.width - 8, frame.height - 34)
    taken = BoxIndex(taken_boxes)
    callout_boxes, leaders = _place_callouts(numbered, view=view, taken=taken, drawn=drawn)
    # as the map does: cameras and sites, then the street names, then the districts
    first = [i for i, r in enumerate(reqs) if r.priority > PRIORITY["street"]]
    then = [i for i, r in enumerate(reqs) if r.priority <= PRIORITY["street"]]
    placed = [
        (first[j], box)
        for j, box in place_labels([reqs[i] for i in first], view=view, occupied=taken)
    ]
    _street_names(painter, frame, state=state, view=view, taken=taken, drawn=drawn)
    placed += [
        (then[j], box)
        for j, box in place_labels([reqs[i] for i in then], view=view, occupied=taken)
    ]
    labels = [(reqs[i], box) for i, box in sorted(placed, key=lambda ib: reqs[ib[0]].priority)]
    _draw(painter, leaders=leaders, callouts=callout_boxes, labels=labels, drawn=drawn)
    return drawn


def _draw(
    painter: QPainter,
    *,
    leaders: list[tuple[QPointF, QRectF]],
    callouts: list[tuple[str, QRectF, LabelRequest]],
    labels: list[tuple[LabelRequest, QRectF]],
    drawn: LabelsDrawn,
) -> None:
    """Draw the placed labels (leader lines, then numbers, then the rest by priority)
    and note them in ``drawn``."""
    for anchor, box in leaders:
        painter.save()
        painter.setPen(QPen(QColor(20, 20, 20), 0.6))
        painter.drawLine(anchor, _nearest_on(box, anchor))
        painter.restore()
    for cid, box, req in callouts:
        draw_label(painter, PlacedLabel(req.text, box, req.role, req.style))
        drawn.callouts[cid] = box
        drawn.labels.append((req.text, box, req.role))
    for r, box in labels:
        draw_label(painter, PlacedLabel(r.text, box, r.role, r.style))
        drawn.labels.append((r.text, box, r.role))


def _camera_requests(
    painter: QPainter,
    frame: MapFrame,
    bodies: Sequence[MapCamera],
    callouts: Mapping[str, int],
    obstacles: list[QRectF],
) -> tuple[list[LabelRequest], list[tuple[str, LabelRequest]]]:
    """The labels and callout numbers of the cameras in the frame; their symbols' boxes
    go into ``obstacles``."""
    box = QRectF(0, 0, frame.width, frame.height)
    # a camera symbol ignores the painter's scale: its size is in device pixels
    t = painter.worldTransform()
    per_unit = max(math.hypot(t.m11(), t.m12()), 1e-9)
    reqs: list[LabelRequest] = []
    numbered: list[tuple[str, LabelRequest]] = []
    for item in bodies:
        pos = item.pos()
        at = frame.to_layout(pos.x(), pos.y())
        if not box.contains(at):
            continue
        half = item.symbol_half_px() / per_unit
        obstacles.append(QRectF(at.x() - half, at.y() - half, 2 * half, 2 * half))
        number = callouts.get(item.camera_id)
        if number is not None:
            text = str(number)
            req = LabelRequest(
                text,
                at,
                CALLOUT_STYLE.size(text),
                priority=PRIORITY["selected"],
                radius=half,
                role="callout",
                style=CALLOUT_STYLE,
            )
            numbered.append((item.camera_id, req))
        if item.shows_label():
            text = item.label_text()
            rank = 0 if item.status is None else item.status.rank
            reqs.append(
                LabelRequest(
                    text,
                    at,
                    CAMERA_STYLE.size(text),
                    priority=PRIORITY["camera"] + rank,
                    radius=half,
                    role="camera",
                    style=CAMERA_STYLE,
                    positions=item.label_sides(),
                )
            )
    return reqs, numbered


def _site_boxes(frame: MapFrame, state: RenderState) -> list[QRectF]:
    """The boxes of the site symbols in the frame."""
    sites = state.sites
    if sites is None or not len(sites):
        return []
    half = site_symbol_px(frame.res) / 2
    boxes = []
    for x, y in sites.xy[sites.query(frame.rect)]:
        at = frame.to_layout(x, y)
        boxes.append(QRectF(at.x() - half, at.y() - half, 2 * half, 2 * half))
    return boxes


def _street_names(
    painter: QPainter,
    frame: MapFrame,
    *,
    state: RenderState,
    view: QRectF,
    taken: BoxIndex,
    drawn: LabelsDrawn,
) -> None:
    """Street names whose whole box is inside the frame and clear of the labels and
    symbols placed before (the map's tiles would cut them at the frame's edge)."""
    # a name goes at the middle of the street's part inside this map: a small map
    # shows a piece of a block, and the whole segment's middle is often outside it
    rect = frame.rect
    streets = clip_streets(state.streets, rect)
    if streets is None:
        return
    sl = street_labels(replace(state, streets=streets), rect, frame.res)
    if sl is None or not len(sl.mid):
        return
    px = (np.asarray(sl.mid, dtype=float) - (frame.x0, frame.y0)) / frame.res
    keep = []
    for n in range(len(sl.mid)):
        box = _street_box(QPointF(*px[n]), sl, n)
        if view.contains(box) and not taken.hits(box):
            taken.add(box)
            keep.append(n)
            drawn.streets.append((str(sl.names[n]), box))
    if not keep:
        return
    idx = np.array(keep)
    subset = StreetLabels(
        mid=sl.mid[idx], angle=sl.angle[idx], widths=sl.widths[idx], names=sl.names[idx]
    )
    draw_street_labels(painter, subset, px[idx])


def _place_callouts(
    numbered: list[tuple[str, LabelRequest]],
    *,
    view: QRectF,
    taken: BoxIndex,
    drawn: LabelsDrawn,
) -> tuple[list[tuple[str, QRectF, LabelRequest]], list[tuple[QPointF, QRectF]]]:
    """Place every callout number: beside its camera, else further off with a leader
    line (anchor and box returned), else clamped into the view. The boxes go into
    ``taken``; the cameras placed off their symbol into ``drawn.crowded``."""
    boxes: list[tuple[str, QRectF, LabelRequest]] = []
    leaders: list[tuple[QPointF, QRectF]] = []
    todo = numbered
    for step, factor in enumerate((1.0, *CALLOUT_STANDOFF)):
        if not todo:
            break
        reqs = [replace(r, radius=r.radius * factor) for _cid, r in todo]
        placed = dict(place_labels(reqs, view=view, occupied=taken))
        left = []
        for i, (cid, req) in enumerate(todo):
            if i in placed:
                boxes.append((cid, placed[i], req))
                if step:
                    leaders.append((req.anchor, placed[i]))
                    drawn.crowded.append(cid)
            else:
                left.append((cid, req))
        todo = left
    for cid, req in todo:  # no free room at all: beside the camera, clamped to the view
        w, h = req.size
        box = QRectF(req.anchor.x() + req.radius + 2, req.anchor.y() - h / 2, w, h)
        dx = min(0.0, view.right() - box.right()) + max(0.0, view.left() - box.left())
        dy = min(0.0, view.bottom() - box.bottom()) + max(0.0, view.top() - box.top())
        box.translate(dx, dy)
        taken.add(box)
        boxes.append((cid, box, req))
        drawn.crowded.append(cid)
    return boxes, leaders


def _nearest_on(box: QRectF, at: QPointF) -> QPointF:
    """The point of ``box`` nearest to ``at`` (where a leader line meets its label)."""
    return QPointF(
        min(max(at.x(), box.left()), box.right()), min(max(at.y(), box.top()), box.bottom())
    )
