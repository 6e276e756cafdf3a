"""Maps of the review report, drawn by the app's own renderer.

The static layers come from :func:`planner.app.map.canvas.render.draw_region` (the code
that draws the map's tiles) and the cameras from the app's :class:`ConeItem` and
:class:`CameraItem`, so the report shows what the planner shows. Maps are drawn
straight into the output painter: vectors in a PDF, pixels in an HTML image.

What lives beside this module: :mod:`~planner.app.review.map_frame` (a map's frame and
the layers cut to it), :mod:`~planner.app.review.label_placement` (the labels and
callout numbers), :mod:`~planner.app.review.map_legend` (legends and north arrow) and
:mod:`~planner.app.review.camera_symbols` (the camera symbols).

Call on the GUI thread or a Python thread (the layers are projected here with pyproj).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QTransform
from PySide6.QtWidgets import QGraphicsScene, QStyleOptionGraphicsItem

from planner.app.map.canvas import style as st
from planner.app.map.canvas.layers import GeomLayer
from planner.app.map.canvas.overlays import draw_attribution, draw_scale_bar, scale_bar
from planner.app.map.canvas.prepare import prepare_layers
from planner.app.map.canvas.render import RenderState, draw_region
from planner.app.review.camera_symbols import MapCamera, camera_items, view_geometry
from planner.app.review.label_placement import label_map
from planner.app.review.map_frame import MapFrame, clipped, nearby_buildings
from planner.app.review.map_legend import (
    draw_legend,
    draw_mini_legend,
    draw_north_arrow,
    legend_rect,
)
from planner.app.siting.camera_items import ConeItem
from planner.app.siting.camera_style import LABEL_MAX_RES, SYMBOL_MAX_RES
from planner.core.model import Camera, PlanResult

OSM_ATTRIBUTION = "© OpenStreetMap contributors"

Extent = tuple[float, float, float, float]


@dataclass(frozen=True)
class MapOptions:
    """One map of the report: its size, what it shows and how its furniture is scaled."""

    #: Size in layout units (points in a PDF).
    width: float
    height: float
    #: What it shows: projected metres, ``(minx, miny, maxx, maxy)``.
    extent: Extent
    #: The overview's legend box, top left.
    legend: bool = False
    #: Room around ``extent``, a fraction of it on each side.
    pad: float = 0.06
    #: The scale bar, north arrow and attribution, shrunk for small maps.
    overlay_scale: float = 1.0
    #: The camera symbols, shrunk where a city of them shares one map.
    symbol_scale: float = 1.0
    #: The camera the map is about: drawn selected, alone labelled, with a small legend.
    subject: str | None = None
    #: Cameras numbered on the map, by id.
    callouts: Mapping[str, int] | None = None


@dataclass
class _Detail:
    """What :class:`CameraItem` asks its controller: the map's metres per pixel."""

    resolution: float = 1.0
    #: The camera a map is about: only it is labelled (None: every camera, as in the app).
    subject: str | None = None
    #: Whether the symbols paint their own labels: a camera's map, centred on its camera;
    #: the overview places them with the district names instead, inside its frame.
    item_labels: bool = True


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
        #: The last overview's labels: text, box (layout units) and role, for tests.
        self.labels_drawn: list[tuple[str, QRectF, str]] = []
        #: The last overview's callouts: camera id to the box of its number.
        self.callouts_drawn: dict[str, QRectF] = {}
        #: The cameras whose number stood off with a leader line (no room beside them).
        self.callouts_crowded: list[str] = []
        #: The last map's street names: text and box (layout units).
        self.streets_drawn: list[tuple[str, QRectF]] = []
        #: The last camera map's small legend box (layout units), None on the overview.
        self.mini_legend_drawn: QRectF | None = None
        self._prepare_layers(checker, cameras, streets, buildings, boundaries)
        self._add_cameras(cameras, result)

    def _prepare_layers(
        self, checker: Any, cameras: Sequence[Camera], streets: Any, buildings: Any, boundaries: Any
    ) -> None:
        """Project the static layers once, into the state every map draws from."""
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
            # placed with the other labels, inside each map's frame (see label_placement)
            street_labels_in_tiles=False,
            **extra,
        )

    def _add_cameras(self, cameras: Sequence[Camera], result: PlanResult) -> None:
        """Every camera's cone and symbol into the scene, and their boxes to pick from."""
        self.detail = _Detail(resolution=-1.0)
        self.scene = QGraphicsScene()
        self.bodies: list[MapCamera] = []
        self.body_by_id: dict[str, MapCamera] = {}
        self.xy: dict[str, tuple[float, float]] = {}
        self.bounds_by_id: dict[str, Extent] = {}
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
            geom = view_geometry(r)
            if geom is not None:
                self.bounds_by_id[cam.id] = geom.bounds
            cone, body = camera_items(self.detail, cam, r, (x, y))
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
    def overview_extent(self) -> Extent:
        """Projected bounds of every camera and its cone."""
        xs, ys = [], []
        for cid, (x, y) in self.xy.items():
            b = self.bounds_by_id.get(cid, (x, y, x, y))
            xs += [b[0], b[2]]
            ys += [b[1], b[3]]
        if not xs:
            return (-500.0, -500.0, 500.0, 500.0)
        return (min(xs), min(ys), max(xs), max(ys))

    def callout_extent(self, ids: Sequence[str], *, aspect: float) -> Extent | None:
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

    def camera_extent(self, camera: Camera) -> Extent:
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
    def draw(self, painter: QPainter, options: MapOptions) -> None:
        """Draw the map ``options`` describes in ``(0, 0, width, height)``.

        Nothing is drawn outside the frame, and every label is placed inside it, clear
        of the symbols and of each other.
        """
        o = options
        frame = MapFrame.fit(o.extent, width=o.width, height=o.height, pad=o.pad)
        painter.save()
        painter.setClipRect(QRectF(0, 0, o.width, o.height))
        painter.fillRect(QRectF(0, 0, o.width, o.height), st.BACKGROUND)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self._draw_layers(painter, frame)
        body = self._draw_cameras(painter, frame, o)
        self._draw_labels(painter, frame, o, body)
        self._draw_furniture(painter, frame, o)
        painter.setClipping(False)
        painter.setPen(QPen(QColor("#6b7680"), 0.8))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(0, 0, o.width, o.height))
        painter.restore()

    def _draw_layers(self, painter: QPainter, frame: MapFrame) -> None:
        """The static layers, cut to the frame."""
        margin = 40 * frame.res  # wide lines and labels near the edge still draw whole
        x0, y0, x1, y1 = frame.rect
        state = clipped(self.state, (x0 - margin, y0 - margin, x1 + margin, y1 + margin))
        draw_region(
            painter,
            state,
            x0=frame.x0,
            y0=frame.y0,
            res=frame.res,
            width_px=frame.width,
            height_px=frame.height,
        )

    def _draw_cameras(self, painter: QPainter, frame: MapFrame, o: MapOptions) -> MapCamera | None:
        """The cones and symbols, the subject selected; returns the subject's symbol."""
        res = frame.res
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
        body = self.body_by_id.get(o.subject or "")
        self.detail.subject = o.subject if body is not None else None
        if body is not None:
            body.setSelected(True)
        painter.save()
        k = o.symbol_scale
        painter.scale(k, k)
        if o.subject is None or k != 1.0:
            self.scene.render(
                painter,
                QRectF(0, 0, frame.width / k, frame.height / k),
                QRectF(frame.x0, frame.y0, frame.width * res, frame.height * res),
                Qt.AspectRatioMode.IgnoreAspectRatio,
            )
        else:
            self._paint_near(painter, frame)
        painter.restore()
        if body is not None:
            body.setSelected(False)
        return body

    def _draw_labels(
        self, painter: QPainter, frame: MapFrame, o: MapOptions, body: MapCamera | None
    ) -> None:
        """A camera map's small legend, then every label, clear of it and of the rest."""
        mini = None
        if o.subject is not None and body is not None:
            mini = draw_mini_legend(painter, body.status, k=o.overlay_scale)
        self.mini_legend_drawn = mini
        # the north arrow, a camera map's small legend, the overview's legend
        obstacles = [QRectF(frame.width - 40, 0, 40, 50)]
        if mini is not None:
            obstacles.append(mini)
        if o.legend:
            obstacles.append(self.legend_rect())
        drawn = label_map(
            painter,
            frame,
            state=self.state,
            bodies=self.bodies,
            districts=self.boundary_labels if o.subject is None else None,
            callouts=o.callouts or {},
            obstacles=obstacles,
        )
        self.labels_drawn = drawn.labels
        self.callouts_drawn = drawn.callouts
        self.callouts_crowded = drawn.crowded
        self.streets_drawn = drawn.streets

    def _draw_furniture(self, painter: QPainter, frame: MapFrame, o: MapOptions) -> None:
        """Scale bar, north arrow, attribution and the overview's legend."""
        painter.save()
        k = o.overlay_scale
        painter.scale(k, k)
        draw_scale_bar(painter, scale_bar(frame.res / k, units="m"), height=frame.height / k)
        draw_north_arrow(painter, QPointF(frame.width / k - 22, 30))
        if self.osm:
            draw_attribution(
                painter, OSM_ATTRIBUTION, width=frame.width / k, height=frame.height / k
            )
        painter.restore()
        if o.legend:
            draw_legend(painter, has_boundaries=self.has_boundaries)

    def _paint_near(self, painter: QPainter, frame: MapFrame) -> None:
        """Paint the cameras near a small map's window, as ``scene.render`` would.

        A scene asks every symbol that ignores the zoom for its box on each render:
        hundreds of maps times hundreds of cameras. A camera map needs only the
        cameras around it, painted in the scene's stacking order.
        """
        res = frame.res
        pad = 80.0 * res  # a symbol and its label reach this far beyond its point
        x0, y0, x1, y1 = frame.rect
        b = self._boxes
        near = np.flatnonzero(
            (b[:, 0] <= x1 + pad)
            & (b[:, 2] >= x0 - pad)
            & (b[:, 1] <= y1 + pad)
            & (b[:, 3] >= y0 - pad)
        )
        items = [item for i in near.tolist() for item in self._pairs[i]]
        # the scene's order: by z, then insertion order (cone before its camera)
        items.sort(key=lambda item: item.zValue())
        option = QStyleOptionGraphicsItem()
        world = painter.worldTransform()
        for item in items:
            pos = item.pos()
            at = frame.to_layout(pos.x(), pos.y())
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

    def callout_numbers(self, report: Any) -> dict[str, int]:
        """Camera id to its callout number on the overview (blocked and warned cameras)."""
        from planner.report.describe import callouts

        return {s.camera.id: n for n, s in callouts(report)}

    @property
    def district_labels_drawn(self) -> list[tuple[str, QRectF]]:
        """The district names the last overview drew: text and box (layout units)."""
        return [(t, box) for t, box, role in self.labels_drawn if role == "district"]

    def legend_rect(self) -> QRectF:
        """Where the overview's legend box is drawn (layout units)."""
        return legend_rect(has_boundaries=self.has_boundaries)

    def image(self, options: MapOptions, *, scale: float = 1.5) -> QImage:
        """The map as an image (HTML report), ``scale`` pixels per layout unit."""
        img = QImage(
            round(options.width * scale), round(options.height * scale), QImage.Format.Format_RGB32
        )
        img.fill(st.BACKGROUND)
        p = QPainter(img)
        p.scale(scale, scale)
        self.draw(p, options)
        p.end()
        return img


def _detail_class(res: float) -> int:
    """Which of the camera symbol's detail levels ``res`` metres per pixel shows."""
    return 2 if res <= LABEL_MAX_RES else (1 if res <= SYMBOL_MAX_RES else 0)


def fit_extent(extent: Extent, *, aspect: float) -> Extent:
    """Grow ``extent`` to ``aspect`` (width / height), keeping its centre."""
    minx, miny, maxx, maxy = extent
    w, h = maxx - minx, maxy - miny
    if w / max(h, 1e-9) < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


__all__ = ["OSM_ATTRIBUTION", "MapOptions", "ReportMaps", "fit_extent"]
