"""The first paint of a data pack: cameras, sites, boundaries and streets, before the rest.

Loading a citywide pack for checking reads and indexes 324,000 buildings, seconds of
work. The planner does not make the user stare at an empty map meanwhile: a preview
task (queued on the app's worker ahead of the full load) reads only the small layers,
and the canvas shows them with every camera marked "not checked yet". When the full
load arrives it replaces the preview; buildings then stream in by area
(:mod:`planner.app.canvas.stream`). Nothing in the preview is a check result, so
nothing on it can be mistaken for a clearance.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from planner.core.model import Camera, CameraStatus


@dataclass
class Preview:
    """The small layers of a pack, ready for the canvas."""

    pack: Path
    projector: Any
    layers: Any  # planner.app.canvas.prepare.PreparedLayers (no buildings, no zones)
    cameras: list[Camera]
    osm: frozenset[str]


def _frame(pack: Path, layer: str, columns: list[str]) -> Any:
    import pyogrio

    return pyogrio.read_dataframe(pack, layer=layer, columns=columns)


def read_boundaries(pack: Path) -> Any:
    """The pack's boundaries for the map (None when it has none).

    Read straight from the GeoPackage: drawing them needs no validation beyond what
    the full load does, and hashing a citywide pack again would cost half a second.
    """
    import pyogrio

    if "boundaries" not in {str(n) for n, _t in pyogrio.list_layers(pack)}:
        return None
    return _frame(pack, "boundaries", ["name", "kind"])


def load_preview(*, pack: Path, cameras: Sequence[Camera], progress: Any = None,
                 cancel: Any = None) -> Preview:
    """Read sites, streets, boundaries and existing cameras of ``pack`` (worker thread).

    Only what the map needs to draw them, without the full load's validation (which
    follows at once and replaces all of it).
    """
    import shapely

    from planner.app.canvas.prepare import prepare_layers
    from planner.app.loading import osm_layers_of
    from planner.core.crs import Projector
    from planner.core.model import Site
    from planner.io.pack import read_metadata

    streets = _frame(pack, "streets", ["name", "highway"])
    frame = _frame(pack, "sites", ["site_id", "category", "name", "source", "verified"])
    sites = []
    for rec, geom in zip(frame.drop(columns="geometry").to_dict("records"),
                         frame.geometry.values, strict=True):
        if geom is None or geom.is_empty:
            continue
        verified = rec.get("verified")
        sites.append(Site(id=str(rec["site_id"]), category=str(rec["category"]), geometry=geom,
                          name=str(rec.get("name") or ""), source=str(rec.get("source") or ""),
                          verified=None if verified is None or verified != verified
                          else bool(verified)))
    existing = _frame(pack, "cameras_existing", ["camera_id"])
    xy = shapely.get_coordinates(existing.geometry.values)
    cams = list(cameras) + [
        Camera(id=str(cid), lon=float(x), lat=float(y), heading_deg=None, fov_deg=360.0,
               range_m=1.0, status=CameraStatus.EXISTING)
        for cid, (x, y) in zip(existing["camera_id"], xy, strict=True)]
    pts = [(c.lon, c.lat) for c in cameras] or [(c.lon, c.lat) for c in cams]
    if not pts:
        pts = [(s.geometry.centroid.x, s.geometry.centroid.y) for s in sites[:1000]]
    projector = Projector.for_points(pts, fallback=(0.0, 0.0))
    layers = prepare_layers(projector=projector, streets=streets, sites=sites,
                            boundaries=read_boundaries(pack))
    return Preview(pack=Path(pack), projector=projector, layers=layers, cameras=cams,
                   osm=osm_layers_of(read_metadata(pack), sites))


class PreviewCameras:
    """Draws the preview's cameras over the map, grey: not checked yet."""

    def __init__(self, canvas: Any, *, t0: float | None = None) -> None:
        self.canvas = canvas
        self.xy: list[tuple[float, float, bool]] = []
        self.t0 = t0
        self.first_paint_s: float | None = None
        canvas.add_overlay(self.draw)

    def show(self, preview: Preview) -> None:
        proj = preview.projector
        self.xy = [(*proj.point(c.lon, c.lat), c.status is CameraStatus.EXISTING)
                   for c in preview.cameras]
        self.canvas.viewport().update()

    def clear(self) -> None:
        self.xy = []
        self.canvas.viewport().update()

    def draw(self, painter: QPainter) -> None:
        if not self.xy:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(20, 20, 20), 1.0))
        painter.setBrush(QColor(120, 120, 120))
        w, h = self.canvas.viewport().width(), self.canvas.viewport().height()
        for x, y, existing in self.xy:
            p = self.canvas.scene_to_view(QPointF(x, -y))
            if not (-10 <= p.x() <= w + 10 and -10 <= p.y() <= h + 10):
                continue
            if existing:
                painter.drawRect(QRectF(p.x() - 4, p.y() - 4, 8, 8))
            else:
                painter.drawEllipse(p, 4.5, 4.5)
        painter.setPen(Qt.PenStyle.NoPen)
        if self.first_paint_s is None and self.t0 is not None:
            self.first_paint_s = time.perf_counter() - self.t0


def show_preview(canvas: Any, preview: Preview, cameras: PreviewCameras) -> None:
    """Put the preview on the canvas and fit it in the view."""
    ready = preview.layers
    canvas.set_projector(preview.projector)
    canvas.set_streets(ready.streets, osm="streets" in preview.osm)
    canvas.set_sites(ready.sites, osm="sites" in preview.osm)
    canvas.set_boundaries(ready.boundaries)
    cameras.show(preview)
    rect = QRectF()
    bounds = canvas.data_bounds()
    if bounds is not None:
        rect = QRectF(bounds[0], -bounds[3], bounds[2] - bounds[0], bounds[3] - bounds[1])
    for x, y, _e in cameras.xy:
        rect = rect.united(QRectF(x - 50, -y - 50, 100, 100))
    if not rect.isNull():
        canvas.zoom_to_rect(rect, margin=0.02)


__all__ = ["Preview", "PreviewCameras", "load_preview", "show_preview"]
