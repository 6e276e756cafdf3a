"""Maps of the review report, drawn by the app's own renderer.

The static layers come from :func:`planner.app.map.canvas.render.draw_region` (the code
that draws the map's tiles) and the cameras from the app's :class:`ConeItem` and
:class:`CameraItem`, so the report shows what the planner shows. Maps are drawn
straight into the output painter: vectors in a PDF, pixels in an HTML image.

Call on the GUI thread or a Python thread (the layers are projected here with pyproj).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QTransform,
)
from PySide6.QtWidgets import QGraphicsScene, QStyleOptionGraphicsItem

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
from planner.app.map.canvas.layers import GeomLayer
from planner.app.map.canvas.overlays import draw_attribution, draw_scale_bar, scale_bar
from planner.app.map.canvas.prepare import prepare_layers
from planner.app.map.canvas.render import (
    RenderState,
    StreetLabels,
    StreetLayer,
    draw_region,
    draw_street_labels,
    site_symbol_px,
    street_labels,
)
from planner.app.siting.camera_items import CameraItem, ConeItem
from planner.app.siting.camera_style import LABEL_MAX_RES, SYMBOL_MAX_RES, paint_status_swatch
from planner.app.siting.map_labels import CAMERA_STYLE
from planner.app.siting.scene_paths import geometry_path, to_scene
from planner.core.buildings import BoundsIndex, BuildingIndex, Footprints
from planner.core.model import Camera, CameraStatus, PlanResult, Severity

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
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
class _Detail:
    """What :class:`CameraItem` asks its controller: the map's metres per pixel."""

    resolution: float = 1.0
    #: The camera a map is about: only it is labelled (None: every camera, as in the app).
    subject: str | None = None
    #: Whether the symbols paint their own labels: a camera's map, centred on its camera;
    #: the overview places them with the district names instead, inside its frame.
    item_labels: bool = True


class MapCamera(CameraItem):
    """The app's camera symbol with its bounding box cached.

    A scene must ask every zoom-independent item for its box on each render; the app's
    item measures its label text each time, 360 cameras times 360 maps.
    """

    _box: QRectF | None = None

    def boundingRect(self) -> QRectF:
        if self._box is None:
            self._box = super().boundingRect()
        return self._box

    def refresh_geometry(self) -> None:
        self._box = None
        super().refresh_geometry()

    def _detail(self) -> int:
        # on a camera's own map the neighbours keep their symbol but not their label,
        # so the labels never hide each other (the box stays the labelled one: a superset)
        detail = super()._detail()
        subject = getattr(self.controller, "subject", None)
        return min(detail, 1) if subject not in (None, self.camera_id) else detail


class ReportMaps:
    """Overview and per-camera maps of one re-checked plan."""

    def __init__(
        self,
        *,
        checker: Any,
        cameras: Sequence[Camera],
        result: PlanResult,
        streets: Any = None,
        buildings: Any = None,
        boundaries: Any = None,
        osm: bool = False,
    ) -> None:
        self.projector = checker.projector
        self.osm = osm
        # the overview never draws buildings (too small at city scale): only the camera maps do
        reach = max((c.range_m for c in cameras), default=0.0) * 2.0 + 150.0
        buildings = nearby_buildings(
            buildings, cameras, reach_m=reach, index=getattr(checker, "buildings", None)
        )
        layers = prepare_layers(
            projector=self.projector,
            streets=streets,
            buildings=buildings,
            sites=list(checker.sites),
            zones=list(checker.zones),
            boundaries=boundaries,
        )
        bnd = getattr(layers, "boundaries", None)
        self.has_boundaries = bool(bnd is not None and getattr(bnd, "count", 0))
        #: The districts' names and candidate label points (the overview names them).
        self.boundary_labels = bnd if self.has_boundaries else None
        #: The last overview's labels: text, box (layout units) and role, for tests.
        self.labels_drawn: list[tuple[str, QRectF, str]] = []
        #: The last overview's callouts: camera id to the box of its number.
        self.callouts_drawn: dict[str, QRectF] = {}
        #: The cameras whose number stood off with a leader line (no room beside them).
        self.callouts_crowded: list[str] = []
        #: The last map's street names: text and box (layout units).
        self.streets_drawn: list[tuple[str, QRectF]] = []
        extra = {}
        if self.has_boundaries and bnd is not None:
            # drawn as outlines only: as lines, a map's cut adds no edge along its frame
            # (a cut polygon would gain one, stroked and written into the PDF per map)
            lines = GeomLayer(shapely.boundary(bnd.layer.geoms))
            extra = {"boundaries": lines, "boundary_kinds": bnd.kinds}
        self.state = RenderState(
            generation=1,
            buildings=layers.buildings,
            streets=layers.streets,
            zones=layers.zones.layer,
            zone_actions=layers.zones.actions,
            site_outlines=layers.sites.outlines,
            site_outline_styles=layers.sites.outline_styles,
            sites=layers.sites.points,
            entrances=layers.sites.entrances,
            # placed with the other labels, inside each map's frame (see _street_names)
            street_labels_in_tiles=False,
            **extra,
        )
        self.detail = _Detail(resolution=-1.0)
        self.scene = QGraphicsScene()
        self.bodies: list[MapCamera] = []
        self.body_by_id: dict[str, MapCamera] = {}
        self.xy: dict[str, tuple[float, float]] = {}
        self.bounds_by_id: dict[str, tuple[float, float, float, float]] = {}
        self._pairs: list[tuple[ConeItem, MapCamera]] = []
        results = {r.camera_id: r for r in result.results}
        # one projection call for every camera, not one per camera
        xs, ys = self.projector.forward(
            np.array([c.lon for c in cameras], dtype=float),
            np.array([c.lat for c in cameras], dtype=float),
        )
        for cam, x, y in zip(cameras, xs.tolist(), ys.tolist(), strict=True):
            self.xy[cam.id] = (x, y)
            r = results.get(cam.id)
            geom = None if r is None else (r.visible if r.visible is not None else r.cone)
            cone = ConeItem(cam.id)
            if geom is not None and not geom.is_empty:
                cone.setPath(geometry_path(geom, origin=(x, y)))
                self.bounds_by_id[cam.id] = geom.bounds
            cone.setPos(to_scene(x, y))
            cone.set_status(
                None if r is None else r.status, removed=cam.status is CameraStatus.REMOVED
            )
            body = MapCamera(self.detail, cam, editable=False)  # type: ignore[arg-type]
            body.setPos(to_scene(x, y))
            body.set_status(None if r is None else r.status)
            # blocked and warned cameras stay on top where symbols crowd (the overview)
            rank = 0 if r is None else r.status.rank
            body.setZValue(body.zValue() + 0.1 * rank)
            cone.setZValue(cone.zValue() + 0.1 * rank)
            self.body_by_id[cam.id] = body
            self.scene.addItem(cone)
            self.scene.addItem(body)
            self.bodies.append(body)
            self._pairs.append((cone, body))
        # scene boxes (y down) of each camera and its cone, to pick a small map's items
        boxes = []
        for cam in cameras:
            x, y = self.xy[cam.id]
            b = self.bounds_by_id.get(cam.id, (x, y, x, y))
            boxes.append((min(b[0], x), -max(b[3], y), max(b[2], x), -min(b[1], y)))
        self._boxes = np.array(boxes, dtype=float).reshape(-1, 4)

    # -- extents ---------------------------------------------------------------------------
    def overview_extent(self) -> tuple[float, float, float, float]:
        """Projected bounds of every camera and its cone."""
        xs, ys = [], []
        for cid, (x, y) in self.xy.items():
            b = self.bounds_by_id.get(cid, (x, y, x, y))
            xs += [b[0], b[2]]
            ys += [b[1], b[3]]
        if not xs:
            return (-500.0, -500.0, 500.0, 500.0)
        return (min(xs), min(ys), max(xs), max(ys))

    def callout_extent(
        self, ids: Sequence[str], *, aspect: float
    ) -> tuple[float, float, float, float] | None:
        """A detail of the overview around the cameras ``ids`` (those whose numbers
        crowd it), or None when the overview shows them large enough already (under
        twice as close)."""
        pts = [self.xy[i] for i in ids if i in self.xy]
        if len(pts) < 2:
            return None
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        # the numbered cameras and some room around them for the numbers
        pad = max(150.0, 0.08 * max(max(xs) - min(xs), max(ys) - min(ys)))
        detail = fit_extent(
            (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad), aspect=aspect
        )
        whole = fit_extent(self.overview_extent(), aspect=aspect)
        if (detail[2] - detail[0]) * 2 > whole[2] - whole[0]:
            return None
        return detail

    def camera_extent(self, camera: Camera) -> tuple[float, float, float, float]:
        """The camera, its whole range and some surroundings."""
        x, y = self.xy[camera.id]
        b = self.bounds_by_id.get(camera.id, (x, y, x, y))
        minx, miny = min(b[0], x), min(b[1], y)
        maxx, maxy = max(b[2], x), max(b[3], y)
        # the whole view and some surroundings, never closer than a city block
        half = max(60.0, (maxx - minx) * 0.65, (maxy - miny) * 0.65)
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        return (cx - half, cy - half, cx + half, cy + half)

    # -- drawing ---------------------------------------------------------------------------
    def draw(
        self,
        painter: QPainter,
        *,
        width: float,
        height: float,
        extent: tuple[float, float, float, float],
        legend: bool = False,
        pad: float = 0.06,
        overlay_scale: float = 1.0,
        symbol_scale: float = 1.0,
        subject: str | None = None,
        callouts: Mapping[str, int] | None = None,
    ) -> None:
        """Draw a map of ``extent`` (projected metres) in ``(0, 0, width, height)``.

        ``overlay_scale`` shrinks the scale bar, north arrow and attribution for small
        maps, ``symbol_scale`` the camera symbols (a city of them); ``subject`` is the
        camera the map is about, drawn selected, with a small legend; ``callouts``
        numbers cameras (by id) on the map. Nothing is drawn outside the frame, and
        every label is placed inside it, clear of the symbols and of each other.
        """
        minx, miny, maxx, maxy = extent
        dx, dy = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        res = max(dx / width, dy / height) * (1 + 2 * pad)
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        x0, y0 = cx - width * res / 2, -cy - height * res / 2  # scene coordinates (y flipped)
        painter.save()
        painter.setClipRect(QRectF(0, 0, width, height))
        painter.fillRect(QRectF(0, 0, width, height), st.BACKGROUND)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        margin = 40 * res  # wide lines and labels near the edge still draw whole
        state = _clipped(
            self.state,
            (x0 - margin, y0 - margin, x0 + width * res + margin, y0 + height * res + margin),
        )
        draw_region(painter, state, x0=x0, y0=y0, res=res, width_px=width, height_px=height)
        if _detail_class(res) != _detail_class(self.detail.resolution):
            # the symbols' size and labels change with the zoom: once per change, not per map
            self.detail.resolution = res
            for item in self.bodies:
                item.refresh_geometry()
        self.detail.resolution = res
        if self.detail.item_labels:
            # labels are placed below, inside the frame: a symbol's own label is cut
            # by the frame's edge or covered by a neighbour
            self.detail.item_labels = False
            for item in self.bodies:
                item.refresh_geometry()
        body = self.body_by_id.get(subject or "")
        self.detail.subject = subject if body is not None else None
        if body is not None:
            body.setSelected(True)
        painter.save()
        k = symbol_scale
        painter.scale(k, k)
        if subject is None or k != 1.0:
            self.scene.render(
                painter,
                QRectF(0, 0, width / k, height / k),
                QRectF(x0, y0, width * res, height * res),
                Qt.AspectRatioMode.IgnoreAspectRatio,
            )
        else:
            self._paint_near(painter, x0=x0, y0=y0, res=res, width=width, height=height)
        painter.restore()
        if body is not None:
            body.setSelected(False)
        self.labels_drawn = []
        self.callouts_drawn = {}
        self.callouts_crowded = []
        mini = None
        if subject is not None and body is not None:
            mini = self._mini_legend(painter, body, k=overlay_scale)
        #: The last camera map's small legend box (layout units), None on the overview.
        self.mini_legend_drawn = mini
        self._overview_labels(
            painter,
            x0=x0,
            y0=y0,
            res=res,
            width=width,
            height=height,
            legend=legend,
            districts=subject is None,
            callouts=callouts or {},
            extra=[mini] if mini is not None else [],
        )
        painter.save()
        k = overlay_scale
        painter.scale(k, k)
        draw_scale_bar(painter, scale_bar(res / k, units="m"), height=height / k)
        _north_arrow(painter, QPointF(width / k - 22, 30))
        if self.osm:
            draw_attribution(painter, OSM_ATTRIBUTION, width=width / k, height=height / k)
        painter.restore()
        if legend:
            self._legend(painter, width=width)
        painter.setClipping(False)
        painter.setPen(QPen(QColor("#6b7680"), 0.8))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(0, 0, width, height))
        painter.restore()

    def _paint_near(
        self, painter: QPainter, *, x0: float, y0: float, res: float, width: float, height: float
    ) -> None:
        """Paint the cameras near a small map's window, as ``scene.render`` would.

        A scene asks every symbol that ignores the zoom for its box on each render:
        hundreds of maps times hundreds of cameras. A camera map needs only the
        cameras around it, painted in the scene's stacking order.
        """
        pad = 80.0 * res  # a symbol and its label reach this far beyond its point
        b = self._boxes
        near = np.flatnonzero(
            (b[:, 0] <= x0 + width * res + pad)
            & (b[:, 2] >= x0 - pad)
            & (b[:, 1] <= y0 + height * res + pad)
            & (b[:, 3] >= y0 - pad)
        )
        items = [item for i in near.tolist() for item in self._pairs[i]]
        # the scene's order: by z, then insertion order (cone before its camera)
        items.sort(key=lambda item: item.zValue())
        option = QStyleOptionGraphicsItem()
        world = painter.worldTransform()
        for item in items:
            pos = item.pos()
            at = QPointF((pos.x() - x0) / res, (pos.y() - y0) / res)
            painter.save()
            if isinstance(item, ConeItem):
                painter.translate(at)
                painter.scale(1.0 / res, 1.0 / res)
            else:
                # a symbol that ignores transformations keeps only its device position
                # (the painter's own scale too, as QGraphicsScene.render does)
                device = world.map(at)
                painter.setWorldTransform(QTransform.fromTranslate(device.x(), device.y()))
            item.paint(painter, option, None)
            painter.restore()

    def _overview_labels(
        self,
        painter: QPainter,
        *,
        x0: float,
        y0: float,
        res: float,
        width: float,
        height: float,
        legend: bool,
        districts: bool = True,
        callouts: Mapping[str, int] | None = None,
        extra: Sequence[QRectF] = (),
    ) -> None:
        """Label the cameras and name the districts as the map does: inside the frame,
        clear of the camera and site symbols, the legend and the north arrow, cameras
        first; a label with no room is left out. A callout number is never left out:
        with no room beside its camera it stands further off, with a leader line."""
        rect = (x0, y0, x0 + width * res, y0 + height * res)
        reqs: list[LabelRequest] = []
        numbered: list[tuple[str, LabelRequest]] = []
        if districts and self.boundary_labels is not None:
            reqs += district_requests(
                self.boundary_labels,
                rect=rect,
                res=res,
                scale=(1 / res, 1 / res),
                shift=(-x0 / res, -y0 / res),
                style=DISTRICT_STYLE,
            )
        frame = QRectF(0, 0, width, height)
        # a camera symbol ignores the painter's scale: its size is in device pixels
        t = painter.worldTransform()
        per_unit = max(math.hypot(t.m11(), t.m12()), 1e-9)
        obstacles = [QRectF(width - 40, 0, 40, 50), *extra]  # the north arrow, a legend
        if legend:
            obstacles.append(self.legend_rect())
        for item in self.bodies:
            pos = item.pos()
            at = QPointF((pos.x() - x0) / res, (pos.y() - y0) / res)
            if not frame.contains(at):
                continue
            half = item.symbol_half_px() / per_unit
            obstacles.append(QRectF(at.x() - half, at.y() - half, 2 * half, 2 * half))
            number = (callouts or {}).get(item.camera_id)
            if number is not None:
                text = str(number)
                numbered.append(
                    (
                        item.camera_id,
                        LabelRequest(
                            text,
                            at,
                            CALLOUT_STYLE.size(text),
                            priority=PRIORITY["selected"],
                            radius=half,
                            role="callout",
                            style=CALLOUT_STYLE,
                        ),
                    )
                )
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
        sites = self.state.sites
        if sites is not None and len(sites):
            half = site_symbol_px(res) / 2
            for x, y in sites.xy[sites.query(rect)]:
                at = QPointF((x - x0) / res, (y - y0) / res)
                obstacles.append(QRectF(at.x() - half, at.y() - half, 2 * half, 2 * half))
        # off the scale bar and the attribution line, as on the map
        view = QRectF(4, 4, width - 8, height - 34)
        taken = BoxIndex(obstacles)
        callout_boxes, leaders = self._place_callouts(numbered, view=view, taken=taken)
        # as the map does: cameras and sites, then the street names, then the districts
        first = [i for i, r in enumerate(reqs) if r.priority > PRIORITY["street"]]
        then = [i for i, r in enumerate(reqs) if r.priority <= PRIORITY["street"]]
        placed = [
            (first[j], box)
            for j, box in place_labels([reqs[i] for i in first], view=view, occupied=taken)
        ]
        self._street_names(painter, rect=rect, x0=x0, y0=y0, res=res, view=view, taken=taken)
        placed += [
            (then[j], box)
            for j, box in place_labels([reqs[i] for i in then], view=view, occupied=taken)
        ]
        for anchor, box in leaders:
            painter.save()
            painter.setPen(QPen(QColor(20, 20, 20), 0.6))
            painter.drawLine(anchor, _nearest_on(box, anchor))
            painter.restore()
        for cid, box, req in callout_boxes:
            draw_label(painter, PlacedLabel(req.text, box, req.role, req.style))
            self.callouts_drawn[cid] = box
            self.labels_drawn.append((req.text, box, req.role))
        for i, box in sorted(placed, key=lambda ib: reqs[ib[0]].priority):
            r = reqs[i]
            draw_label(painter, PlacedLabel(r.text, box, r.role, r.style))
            self.labels_drawn.append((r.text, box, r.role))

    def _street_names(
        self,
        painter: QPainter,
        *,
        rect: tuple[float, float, float, float],
        x0: float,
        y0: float,
        res: float,
        view: QRectF,
        taken: BoxIndex,
    ) -> None:
        """Street names whose whole box is inside the frame and clear of the labels and
        symbols placed before (the map's tiles would cut them at the frame's edge)."""
        self.streets_drawn = []
        # a name goes at the middle of the street's part inside this map: a small map
        # shows a piece of a block, and the whole segment's middle is often outside it
        streets = _clip_streets(self.state.streets, rect)
        if streets is None:
            return
        sl = street_labels(replace(self.state, streets=streets), rect, res)
        if sl is None or not len(sl.mid):
            return
        px = (np.asarray(sl.mid, dtype=float) - (x0, y0)) / res
        keep = []
        for n in range(len(sl.mid)):
            box = _street_box(QPointF(*px[n]), sl, n)
            if view.contains(box) and not taken.hits(box):
                taken.add(box)
                keep.append(n)
                self.streets_drawn.append((str(sl.names[n]), box))
        if not keep:
            return
        idx = np.array(keep)
        subset = StreetLabels(
            mid=sl.mid[idx], angle=sl.angle[idx], widths=sl.widths[idx], names=sl.names[idx]
        )
        draw_street_labels(painter, subset, px[idx])

    def _place_callouts(
        self,
        numbered: list[tuple[str, LabelRequest]],
        *,
        view: QRectF,
        taken: BoxIndex,
    ) -> tuple[list[tuple[str, QRectF, LabelRequest]], list[tuple[QPointF, QRectF]]]:
        """Place every callout number: beside its camera, else further off with a leader
        line (anchor and box returned), else clamped into the view. The boxes go into
        ``taken``; the cameras placed off their symbol into :attr:`callouts_crowded`."""
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
                        self.callouts_crowded.append(cid)
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
            self.callouts_crowded.append(cid)
        return boxes, leaders

    def callout_numbers(self, report: Any) -> dict[str, int]:
        """Camera id to its callout number on the overview (blocked and warned cameras)."""
        from planner.report.describe import callouts

        return {s.camera.id: n for n, s in callouts(report)}

    def _mini_legend(self, painter: QPainter, body: MapCamera, *, k: float) -> QRectF:
        """A camera map's small legend (top left): its cone, a capture zone, an entrance."""
        status = body.status or Severity.CLEAR
        word = {Severity.BLOCK: "blocked", Severity.WARN: "warning"}.get(status, "clear")
        rows: list[tuple[str, Any]] = [
            (f"View: {word}", lambda p, r: _cone_swatch(p, r, status)),
            ("Capture zone", _zone_swatch),
            ("Vehicle entrance", _entrance_swatch),
        ]
        font = QFont()
        font.setPixelSize(8)
        fm = QFontMetricsF(font)
        line_h = 11.0
        w = max(fm.horizontalAdvance(t) for t, _ in rows) + 26
        box = QRectF(4.0, 4.0, w, line_h * len(rows) + 6)
        painter.save()
        painter.scale(k, k)
        painter.setPen(QPen(QColor("#9aa3ab"), 0.6))
        painter.setBrush(QColor(255, 255, 255, 230))
        painter.drawRect(box)
        painter.setFont(font)
        for i, (text, draw) in enumerate(rows):
            top = box.y() + 3 + i * line_h
            painter.save()
            draw(painter, QRectF(box.x() + 4, top + 0.5, 12, 9.5))
            painter.restore()
            painter.setPen(QColor("#222222"))
            painter.drawText(
                QRectF(box.x() + 21, top - 1, w - 22, line_h),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                text,
            )
        painter.restore()
        return QRectF(box.x() * k, box.y() * k, box.width() * k, box.height() * k)

    @property
    def district_labels_drawn(self) -> list[tuple[str, QRectF]]:
        """The district names the last overview drew: text and box (layout units)."""
        return [(t, box) for t, box, role in self.labels_drawn if role == "district"]

    def _legend_rows(self) -> list[tuple[str, Any]]:
        rows: list[tuple[str, Any]] = [
            ("Camera view: blocked", lambda p, r: _cone_swatch(p, r, Severity.BLOCK)),
            ("Camera view: warning", lambda p, r: _cone_swatch(p, r, Severity.WARN)),
            ("Camera view: clear", lambda p, r: _cone_swatch(p, r, Severity.CLEAR)),
            ("Existing camera", lambda p, r: _camera_swatch(p, r, "existing")),
            ("Proposed camera", lambda p, r: _camera_swatch(p, r, "proposed")),
        ]
        for style in st.CATEGORY_STYLES.values():
            rows.append((style.label, lambda p, r, s=style: st.draw_symbol(p, r.center(), s, 10)))
        rows.append(("Vehicle entrance", _entrance_swatch))
        rows.append(("Capture zone", _zone_swatch))
        if self.has_boundaries:
            rows.append(
                (
                    "City limits",
                    lambda p, r: _line_swatch(
                        p,
                        r,
                        getattr(st, "CITY_LIMITS_LINE", QColor("#37474f")),
                        Qt.PenStyle.SolidLine,
                    ),
                )
            )
            rows.append(
                (
                    "Council district",
                    lambda p, r: _line_swatch(p, r, st.DISTRICT_LINE, st.DISTRICT_PEN_STYLE),
                )
            )
        return rows

    def legend_rect(self) -> QRectF:
        """Where the overview's legend box is drawn (layout units)."""
        rows = self._legend_rows()
        fm = QFontMetricsF(_legend_font())
        w = max(fm.horizontalAdvance(t) for t, _ in rows) + 30
        return QRectF(8.0, 8.0, w, LEGEND_LINE_H * len(rows) + 10)

    def _legend(self, painter: QPainter, *, width: float) -> None:
        font = _legend_font()
        rows = self._legend_rows()
        line_h = LEGEND_LINE_H
        box = self.legend_rect()
        x, y, w, h = box.x(), box.y(), box.width(), box.height()
        painter.save()
        painter.setPen(QPen(QColor("#9aa3ab"), 0.6))
        painter.setBrush(QColor(255, 255, 255, 225))
        painter.drawRect(QRectF(x, y, w, h))
        painter.setFont(font)
        for i, (text, draw) in enumerate(rows):
            top = y + 5 + i * line_h
            painter.save()
            draw(painter, QRectF(x + 5, top, 14, 11))
            painter.restore()
            painter.setPen(QColor("#222222"))
            painter.drawText(
                QRectF(x + 24, top - 1, w - 26, line_h),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                text,
            )
        painter.restore()

    def image(
        self,
        *,
        width: int,
        height: int,
        extent: tuple[float, float, float, float],
        legend: bool = False,
        scale: float = 1.5,
        overlay_scale: float = 1.0,
        symbol_scale: float = 1.0,
        subject: str | None = None,
        callouts: Mapping[str, int] | None = None,
    ) -> QImage:
        """The map as an image (HTML report), ``scale`` pixels per layout unit."""
        img = QImage(round(width * scale), round(height * scale), QImage.Format.Format_RGB32)
        img.fill(st.BACKGROUND)
        p = QPainter(img)
        p.scale(scale, scale)
        self.draw(
            p,
            width=width,
            height=height,
            extent=extent,
            legend=legend,
            overlay_scale=overlay_scale,
            symbol_scale=symbol_scale,
            subject=subject,
            callouts=callouts,
        )
        p.end()
        return img


LEGEND_LINE_H = 13.0


def _legend_font() -> QFont:
    font = QFont()
    font.setPixelSize(9)
    return font


def _detail_class(res: float) -> int:
    """Which of the camera symbol's detail levels ``res`` metres per pixel shows."""
    return 2 if res <= LABEL_MAX_RES else (1 if res <= SYMBOL_MAX_RES else 0)


def nearby_buildings(
    buildings: Footprints | None,
    cameras: Sequence[Camera],
    *,
    reach_m: float,
    index: BuildingIndex | None = None,
) -> np.ndarray | None:
    """Only the footprints a camera map can show: a citywide layer is 300,000 of them.

    ``index`` is the checker's :class:`~planner.core.buildings.BuildingIndex` of the
    same footprints: its index is used rather than indexing the layer a second time.
    """
    if buildings is None or not len(buildings) or not cameras:
        return None
    query = index.query_lonlat if index is not None else BoundsIndex(buildings.bounds).query
    lat0 = float(np.mean([c.lat for c in cameras]))
    dlat = reach_m / 111_320.0
    dlon = dlat / max(0.1, np.cos(np.radians(lat0)))
    hits = [query((c.lon - dlon, c.lat - dlat, c.lon + dlon, c.lat + dlat)) for c in cameras]
    return buildings.take(np.unique(np.concatenate(hits)))


class _CutLayer(GeomLayer):
    """A layer already cut to one map: every feature is drawn, so no index is built.

    Building an STRtree for each layer of each of hundreds of small maps cost more
    than drawing them.
    """

    def __post_init__(self) -> None:
        self.geoms = np.asarray(self.geoms, dtype=object)
        self._lod = {}
        self.tree = None
        self.bounds = None
        self._boxes = shapely.bounds(self.geoms)

    def query(self, rect: tuple[float, float, float, float]) -> np.ndarray:
        # what the map's edge cuts off is never written into a PDF: envelope test
        b = self._boxes
        x0, y0, x1, y1 = rect
        hit = (b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)
        return np.flatnonzero(hit)


def _clip_layer(
    layer: GeomLayer | None, rect: tuple[float, float, float, float]
) -> tuple[GeomLayer | None, np.ndarray]:
    """The features of ``layer`` meeting ``rect``, cut to it, and their indices.

    A PDF keeps every vertex a path is given, clipped or not: a district outline of
    20,000 vertices would be written out whole into every camera's little map.
    """
    if layer is None:
        return None, np.empty(0, dtype=np.intp)
    hits = layer.query(rect)
    if len(hits) == 0:
        return None, hits
    cut = shapely.clip_by_rect(layer.geoms[hits], *rect)
    keep = ~shapely.is_empty(cut)
    return (_CutLayer(cut[keep]) if keep.any() else None), hits[keep]


def _clipped(state: RenderState, rect: tuple[float, float, float, float]) -> RenderState:
    """``state`` with every polygon and line layer cut to ``rect`` (points stay)."""
    changes: dict[str, Any] = {}
    changes["buildings"], _ = _clip_layer(state.buildings, rect)
    zones, zi = _clip_layer(state.zones, rect)
    changes["zones"] = zones
    changes["zone_actions"] = None if state.zone_actions is None else state.zone_actions[zi]
    outlines, oi = _clip_layer(state.site_outlines, rect)
    changes["site_outlines"] = outlines
    changes["site_outline_styles"] = tuple(state.site_outline_styles[i] for i in oi)
    if getattr(state, "boundaries", None) is not None:
        bnd, bi = _clip_layer(state.boundaries, rect)
        changes["boundaries"] = bnd
        kinds = state.boundary_kinds
        changes["boundary_kinds"] = None if kinds is None else kinds[bi]
    if state.streets is not None:
        changes["streets"] = _clip_streets(state.streets, rect)
    return replace(state, **changes)


def _clip_streets(
    streets: StreetLayer | None, rect: tuple[float, float, float, float]
) -> StreetLayer | None:
    """``streets`` cut to ``rect``, each class with its names (None: nothing left)."""
    if streets is None:
        return None
    classes, names = {}, {}
    for key, layer in streets.classes.items():
        cut, hits = _clip_layer(layer, rect)
        if cut is not None:
            classes[key], names[key] = cut, streets.names[key][hits]
    return StreetLayer(classes=classes, names=names) if classes else None


def _nearest_on(box: QRectF, at: QPointF) -> QPointF:
    """The point of ``box`` nearest to ``at`` (where a leader line meets its label)."""
    return QPointF(
        min(max(at.x(), box.left()), box.right()), min(max(at.y(), box.top()), box.bottom())
    )


def _north_arrow(p: QPainter, at: QPointF) -> None:
    p.save()
    p.translate(at)
    p.setPen(QPen(QColor("#222222"), 0.8))
    p.setBrush(QColor(255, 255, 255, 220))
    p.drawEllipse(QPointF(0, 0), 13, 13)
    p.setBrush(QColor("#222222"))
    p.drawPolygon(QPolygonF([QPointF(0, -10), QPointF(5, 6), QPointF(0, 3), QPointF(-5, 6)]))
    font = QFont()
    font.setPixelSize(8)
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor("#222222"))
    p.drawText(QRectF(-8, -26, 16, 12), Qt.AlignmentFlag.AlignCenter, "N")
    p.restore()


def _cone_swatch(p: QPainter, r: QRectF, status: Severity) -> None:
    path = QPainterPath()
    apex = QPointF(r.left(), r.bottom())
    path.moveTo(apex)
    path.arcTo(
        QRectF(apex.x() - r.width(), apex.y() - r.width(), 2 * r.width(), 2 * r.width()), 10, 60
    )
    path.closeSubpath()
    paint_status_swatch(p, path, status, hatch_alpha=170, pen_width=1.0)


def _camera_swatch(p: QPainter, r: QRectF, kind: str) -> None:
    p.setPen(QPen(QColor(20, 20, 20), 1.0))
    p.setBrush(QColor(120, 120, 120))
    c = r.center()
    if kind == "existing":
        p.drawRect(QRectF(c.x() - 4, c.y() - 4, 8, 8))
    else:
        p.drawEllipse(c, 4.5, 4.5)


def _entrance_swatch(p: QPainter, r: QRectF) -> None:
    p.setPen(QPen(st.ENTRANCE_EDGE, 1.5))
    p.setBrush(st.ENTRANCE_FILL)
    p.drawEllipse(r.center(), 3.2, 3.2)


def _zone_swatch(p: QPainter, r: QRectF) -> None:
    colour = st.ZONE_COLORS["block"]
    fill = QColor(colour)
    fill.setAlpha(45)
    p.setPen(QPen(colour, 1.0))
    p.setBrush(fill)
    p.drawEllipse(r.center(), 5.5, 5.5)
    hatch = QColor(colour)
    hatch.setAlpha(150)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(hatch, Qt.BrushStyle.BDiagPattern))
    p.drawEllipse(r.center(), 5.5, 5.5)


def _line_swatch(p: QPainter, r: QRectF, colour: QColor, style: Qt.PenStyle) -> None:
    p.setPen(QPen(colour, 1.4, style))
    p.drawLine(QPointF(r.left(), r.center().y()), QPointF(r.right(), r.center().y()))


def fit_extent(
    extent: tuple[float, float, float, float], *, aspect: float
) -> tuple[float, float, float, float]:
    """Grow ``extent`` to ``aspect`` (width / height), keeping its centre."""
    minx, miny, maxx, maxy = extent
    w, h = maxx - minx, maxy - miny
    if w / max(h, 1e-9) < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


__all__ = ["OSM_ATTRIBUTION", "ReportMaps", "fit_extent"]
