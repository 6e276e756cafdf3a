"""The map canvas's layers: their data, visibility, opacity, counts and legends.

The layer data is prepared here (projected, simplified, indexed) and handed to the tile
renderer as one :class:`RenderState`; the layers panel reads :meth:`CanvasLayers.layer_info`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsView

from planner.app.map.canvas import style as st
from planner.app.map.canvas.layers import StreetLayer
from planner.app.map.canvas.prepare import (
    BoundaryLayer,
    SiteLayers,
    ZoneLayer,
    prepare_boundaries,
    prepare_buildings,
    prepare_sites,
    prepare_streets,
    prepare_zones,
)
from planner.app.map.canvas.stream import BuildingStream
from planner.core.crs import Projector
from planner.core.model import Site

if TYPE_CHECKING:
    _ViewBase = QGraphicsView
else:
    _ViewBase = object


#: Layer ids, top of the drawing order first (the order a layers panel lists them).
LAYER_IDS = (
    "sites",
    "entrances",
    "capture_zones",
    "street_names",
    "boundaries",
    "streets",
    "buildings",
    "basemap",
)
LAYER_NAMES = {
    "sites": "Protected sites",
    "entrances": "Site entrances",
    "capture_zones": "Capture zones",
    "street_names": "Street names",
    "boundaries": "Boundaries",
    "streets": "Streets",
    "buildings": "Buildings",
    "basemap": "Basemap",
}
_KEEP: Any = object()  # "leave this layer as it is" in set_layers


@dataclass(frozen=True)
class LegendEntry:
    """One line of a layer's legend."""

    label: str
    pixmap: QPixmap


@dataclass(frozen=True)
class LayerInfo:
    """What the layers panel shows for one layer."""

    id: str
    name: str
    visible: bool
    opacity: float
    features: int
    osm: bool


class CanvasLayers(_ViewBase):
    """Part of :class:`~planner.app.map.canvas.view.MapCanvas`: its layers and legends."""

    # what this part uses of the rest of the canvas
    _basemap: Any
    _boundaries: BoundaryLayer
    _counts: dict[str, int]
    _need_projector: Callable[[], Projector]
    _opacity: dict[str, float]
    _osm: dict[str, bool]
    _projector: Projector | None
    _set_state: Callable[..., None]
    _site_layers: SiteLayers
    _stream: BuildingStream | None
    _stream_dirty: bool
    _stream_timer: QTimer
    _synchronous: bool
    _visible: dict[str, bool]

    def _init_layers(self) -> None:
        """Every layer empty, visible and opaque; no building stream yet."""
        self._osm = dict.fromkeys(LAYER_IDS, False)
        self._counts = dict.fromkeys(LAYER_IDS, 0)
        self._visible = dict.fromkeys(LAYER_IDS, True)
        self._opacity = dict.fromkeys(LAYER_IDS, 1.0)
        self._stream = None
        self._stream_dirty = False
        self._stream_timer = QTimer(self)
        self._stream_timer.setSingleShot(True)
        self._stream_timer.setInterval(60)
        self._stream_timer.timeout.connect(self._apply_stream)
        self._boundaries = BoundaryLayer()
        self._site_layers = SiteLayers()

    def set_layers(
        self,
        *,
        streets: Any = _KEEP,
        buildings: Any = _KEEP,
        sites: Any = _KEEP,
        zones: Any = _KEEP,
    ) -> None:
        """Replace several layers at once; layers not named stay as they are."""
        if streets is not _KEEP:
            self.set_streets(streets)
        if buildings is not _KEEP:
            self.set_buildings(buildings)
        if sites is not _KEEP:
            self.set_sites(sites)
        if zones is not _KEEP:
            self.set_zones(zones)

    def set_streets(self, streets: Any, *, osm: bool = True) -> None:
        """Street centre lines: a GeoDataFrame in EPSG:4326 with ``highway`` and ``name``.

        Any other CRS is converted. A :class:`StreetLayer` from
        :func:`planner.app.map.canvas.prepare.prepare_streets` (made on the worker) is used
        as it is. ``osm`` marks the layer as OSM-derived.
        """
        if isinstance(streets, StreetLayer):
            layer: StreetLayer | None = streets
        elif streets is None or not len(streets):
            layer = None
        else:
            layer = prepare_streets(streets, projector=self._need_projector())
        self._osm["streets"] = self._osm["street_names"] = osm
        self._counts["streets"] = self._counts["street_names"] = 0 if layer is None else len(layer)
        self._set_state(streets=layer)

    def set_buildings(self, buildings: Any, *, projected: bool = False, osm: bool = False) -> None:
        """Building footprints: a shapely array or GeoDataFrame, lon/lat unless ``projected``.

        A :class:`GeomLayer` from :func:`planner.app.map.canvas.prepare_layer` (made on a
        worker thread) is used as it is.
        """
        self._close_stream()
        layer = prepare_buildings(buildings, projector=self._projector, projected=projected)
        self._osm["buildings"] = osm
        self._counts["buildings"] = 0 if layer is None else len(layer)
        self._set_state(buildings=layer)

    def set_building_stream(self, stream: BuildingStream | None, *, osm: bool = False) -> None:
        """Buildings read by area from a data pack as the view needs them (see
        :mod:`planner.app.map.canvas.stream`); None removes them."""
        self._close_stream()
        self._stream = stream
        self._osm["buildings"] = osm
        self._counts["buildings"] = 0 if stream is None else stream.total
        if stream is not None:
            stream.changed.connect(self._stream_changed)
        self._set_state(buildings=None if stream is None else stream.layer_now())

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.changed.disconnect(self._stream_changed)
            self._stream.close()
            self._stream = None
            self._stream_dirty = False

    def _stream_changed(self) -> None:
        self._stream_dirty = True
        if self._synchronous:
            self._apply_stream()
        elif not self._stream_timer.isActive():
            self._stream_timer.start()

    def _apply_stream(self) -> None:
        # one re-render of the visible tiles per burst of chunks, not one per chunk
        self._stream_timer.stop()
        if self._stream is not None and self._stream_dirty:
            self._stream_dirty = False
            self._set_state(buildings=self._stream.layer_now())

    def set_sites(
        self, sites: Sequence[Site] | SiteLayers | None, *, osm: bool | None = None
    ) -> None:
        """Protected sites (lon/lat) with their entrances, or prepared :class:`SiteLayers`.

        ``osm`` defaults to whether any site's ``source`` mentions OSM.
        """
        if isinstance(sites, SiteLayers):
            prepared = sites
            if osm is None:
                osm = False
        else:
            sites = list(sites or [])
            prepared = (
                prepare_sites(sites, projector=self._need_projector()) if sites else SiteLayers()
            )
            if osm is None:
                osm = any(
                    "osm" in s.source.lower() or "openstreetmap" in s.source.lower() for s in sites
                )
        self._osm["sites"] = self._osm["entrances"] = osm
        self._site_layers = prepared
        self._counts["sites"] = prepared.count
        self._counts["entrances"] = 0 if prepared.entrances is None else len(prepared.entrances)
        self._set_state(
            sites=prepared.points,
            site_outlines=prepared.outlines,
            site_outline_styles=prepared.outline_styles,
            entrances=prepared.entrances,
        )

    def set_boundaries(self, boundaries: Any) -> None:
        """City limits and districts: a GeoDataFrame (``name``, ``kind``) or a
        prepared :class:`BoundaryLayer`."""
        prepared = (
            boundaries
            if isinstance(boundaries, BoundaryLayer)
            else prepare_boundaries(boundaries, projector=self._projector)
            if boundaries is not None and len(boundaries)
            else BoundaryLayer()
        )
        self._boundaries = prepared
        self._counts["boundaries"] = prepared.count
        self._set_state(boundaries=prepared.layer, boundary_kinds=prepared.kinds)

    def set_zones(self, zones: Sequence[Any] | ZoneLayer | None) -> None:
        """Capture zones (``CaptureZone`` objects with projected ``geometry`` and ``action``)."""
        prepared = zones if isinstance(zones, ZoneLayer) else prepare_zones(zones)
        self._counts["capture_zones"] = prepared.count
        self._set_state(zones=prepared.layer, zone_actions=prepared.actions)

    def layer_ids(self) -> list[str]:
        """Static layer ids, top of the drawing order first."""
        return list(LAYER_IDS)

    def layer_name(self, layer_id: str) -> str:
        return LAYER_NAMES[self._check_layer(layer_id)]

    def layer_info(self, layer_id: str) -> LayerInfo:
        lid = self._check_layer(layer_id)
        return LayerInfo(
            id=lid,
            name=LAYER_NAMES[lid],
            visible=self._visible[lid],
            opacity=self._opacity[lid],
            features=self._counts[lid],
            osm=self._osm[lid],
        )

    def is_layer_visible(self, layer_id: str) -> bool:
        return self._visible[self._check_layer(layer_id)]

    def layer_opacity(self, layer_id: str) -> float:
        return self._opacity[self._check_layer(layer_id)]

    def set_layer_visible(self, layer_id: str, visible: bool) -> None:
        lid = self._check_layer(layer_id)
        if self._visible[lid] != bool(visible):
            self._visible[lid] = bool(visible)
            self._set_state()

    def set_layer_opacity(self, layer_id: str, opacity: float) -> None:
        lid = self._check_layer(layer_id)
        value = min(1.0, max(0.0, float(opacity)))
        if self._opacity[lid] != value:
            self._opacity[lid] = value
            self._set_state()

    def legend(self, layer_id: str) -> list[LegendEntry]:
        """Legend lines (label and 16-pixel symbol) of a layer."""
        lid = self._check_layer(layer_id)
        if lid == "buildings":
            return [
                LegendEntry(
                    "Building", st.swatch_pixmap(fill=st.BUILDING_FILL, edge=st.BUILDING_EDGE)
                )
            ]
        if lid == "streets":
            return [
                LegendEntry(
                    s.label,
                    st.swatch_pixmap(line=s.fill, edge=s.casing, line_width=2 + s.rank * 0.5),
                )
                for s in reversed(st.STREET_STYLES)
            ]
        if lid == "street_names":
            return [LegendEntry("Street name", _text_pixmap("Ab"))]
        if lid == "capture_zones":
            out = []
            for action in ("block", "warn"):
                label = f"Capture zone ({action})"
                c = st.ZONE_COLORS[action]
                fill = QColor(c)
                fill.setAlpha(45)
                out.append(
                    LegendEntry(
                        label,
                        st.swatch_pixmap(fill=fill, edge=c, pattern=Qt.BrushStyle.BDiagPattern),
                    )
                )
            return out
        if lid == "sites":
            return [
                LegendEntry(s.label, st.symbol_pixmap(s))
                for s in (*st.CATEGORY_STYLES.values(), st.OTHER_CATEGORY)
            ]
        if lid == "boundaries":
            return [
                LegendEntry(
                    "City limits",
                    st.swatch_pixmap(
                        line=st.CITY_LIMITS_LINE, edge=st.CITY_LIMITS_BAND, line_width=1.6
                    ),
                ),
                LegendEntry(
                    "Council district", _dash_pixmap(st.DISTRICT_LINE, st.DISTRICT_PEN_STYLE)
                ),
            ]
        if lid == "basemap":
            name = self._basemap.source.name if self._basemap is not None else "Basemap"
            return [LegendEntry(f"Basemap: {name}", _text_pixmap("\u25a6"))]
        return [LegendEntry("Vehicle entrance", _entrance_pixmap())]

    def legend_icon(self, layer_id: str) -> QPixmap:
        """One symbol standing for the whole layer."""
        return self.legend(layer_id)[0].pixmap

    def _check_layer(self, layer_id: str) -> str:
        if layer_id not in self._visible:
            msg = f"unknown layer {layer_id!r}; expected one of {', '.join(LAYER_IDS)}"
            raise KeyError(msg)
        return layer_id


def _text_pixmap(text: str, size: int = 16) -> QPixmap:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    font = QFont()
    font.setPixelSize(11)
    p.setFont(font)
    p.setPen(st.LABEL_TEXT)
    p.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    return pix


def _dash_pixmap(
    colour: QColor, style: Qt.PenStyle = Qt.PenStyle.DashLine, size: int = 16
) -> QPixmap:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setPen(QPen(colour, 1.6, style, Qt.PenCapStyle.FlatCap))
    p.drawLine(QPointF(0, size / 2), QPointF(size, size / 2))
    p.end()
    return pix


def _entrance_pixmap(size: int = 16) -> QPixmap:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(st.ENTRANCE_EDGE, 2.0))
    p.setBrush(st.ENTRANCE_FILL)
    p.drawEllipse(QPointF(size / 2, size / 2), 3.5, 3.5)
    p.end()
    return pix
