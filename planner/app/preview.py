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

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
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


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def gpkg_wkb(blob: bytes) -> bytes | None:
    """The WKB inside a GeoPackage geometry blob (None for an empty or foreign blob).

    The blob is ``GP``, a version byte, a flags byte (bits 1-3: the envelope's size
    code, bit 4: empty), a 4-byte SRS id, the envelope, then standard WKB (GeoPackage
    1.3, clause 2.1.3).
    """
    if blob is None or len(blob) < 8 or blob[:2] != b"GP":
        return None
    flags = blob[3]
    if flags & 0x10:
        return None
    size = _ENVELOPE_BYTES.get((flags >> 1) & 0x07)
    return None if size is None else bytes(blob[8 + size :])


def _quote(name: str) -> str:
    """An SQL identifier, quoted (names come from the file: never trust them)."""
    return '"' + str(name).replace('"', '""') + '"'


def read_gpkg_table(pack: Path, layer: str, columns: list[str]) -> tuple[np.ndarray, dict]:
    """Geometries (lon/lat shapely array) and columns of a pack layer, via sqlite.

    The preview reads the GeoPackage's tables itself: pyogrio imports pandas and
    geopandas, a second or more, which the first paint must not wait for. Only the
    planner's own packs (EPSG:4326) are read this way; anything else raises ValueError
    and the full load reports it.
    """
    import shapely

    con = sqlite3.connect(f"file:{pack}?mode=ro", uri=True)
    try:
        row = con.execute(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
        ).fetchone()
        if row is None:
            msg = f"{pack}: no layer {layer}"
            raise ValueError(msg)
        geom_col, srs = row
        if int(srs) != 4326:
            msg = f"{pack}: layer {layer} is not in EPSG:4326"
            raise ValueError(msg)
        names = {r[1] for r in con.execute(f"PRAGMA table_info({_quote(layer)})")}
        if geom_col not in names:
            msg = f"{pack}: layer {layer} has no geometry column {geom_col!r}"
            raise ValueError(msg)
        cols = [c for c in columns if c in names]
        select = ", ".join(_quote(c) for c in [geom_col, *cols])
        rows = con.execute(f"SELECT {select} FROM {_quote(layer)}").fetchall()
    except sqlite3.DatabaseError as exc:
        msg = f"{pack}: {exc}"
        raise ValueError(msg) from exc
    finally:
        con.close()
    wkb = [gpkg_wkb(r[0]) for r in rows]
    geoms = shapely.from_wkb(np.array(wkb, dtype=object), on_invalid="ignore")
    data = {c: np.array([r[k + 1] for r in rows], dtype=object) for k, c in enumerate(cols)}
    return np.asarray(geoms, dtype=object), data


def _metadata(pack: Path) -> dict[str, Any]:
    con = sqlite3.connect(f"file:{pack}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT key, value FROM pack_metadata").fetchall()
    except sqlite3.DatabaseError:
        return {}
    finally:
        con.close()
    out = {}
    for key, value in rows:
        try:
            out[str(key)] = json.loads(value)
        except (TypeError, ValueError):
            continue
    return out


def read_boundaries(pack: Path) -> Any:
    """The pack's boundaries for the map, as a prepared-layer input (None when none)."""
    try:
        geoms, cols = read_gpkg_table(Path(pack), "boundaries", ["name", "kind"])
    except ValueError:
        return None
    return geoms, cols


def load_preview(
    *, pack: Path, cameras: Sequence[Camera], progress: Any = None, cancel: Any = None
) -> Preview:
    """Read sites, streets, boundaries and existing cameras of ``pack`` (worker thread).

    Only what the map needs to draw them, without the full load's validation (which
    follows at once and replaces all of it).
    """
    import shapely

    from planner.app.canvas.prepare import (
        PreparedLayers,
        ZoneLayer,
        prepare_boundary_arrays,
        prepare_sites,
        prepare_street_arrays,
    )
    from planner.app.loading import osm_layers_of
    from planner.core.crs import Projector
    from planner.core.model import Site

    pack = Path(pack)
    street_geoms, street_cols = read_gpkg_table(pack, "streets", ["name", "highway"])
    site_geoms, site_cols = read_gpkg_table(
        pack, "sites", ["site_id", "category", "name", "source", "verified"]
    )
    sites = []
    for k, geom in enumerate(site_geoms):
        if geom is None or geom.is_empty:
            continue
        verified = site_cols.get("verified", [None] * len(site_geoms))[k]
        sites.append(
            Site(
                id=str(site_cols["site_id"][k]),
                category=str(site_cols["category"][k]),
                geometry=geom,
                name=str(site_cols["name"][k] or ""),
                source=str(site_cols["source"][k] or ""),
                verified=None if verified is None else bool(verified),
            )
        )
    cam_geoms, cam_cols = read_gpkg_table(pack, "cameras_existing", ["camera_id"])
    ok = ~(shapely.is_missing(cam_geoms) | shapely.is_empty(cam_geoms))
    xy = shapely.get_coordinates(cam_geoms[ok])
    cams = list(cameras) + [
        Camera(
            id=str(cid),
            lon=float(x),
            lat=float(y),
            heading_deg=None,
            fov_deg=360.0,
            range_m=1.0,
            status=CameraStatus.EXISTING,
        )
        for cid, (x, y) in zip(cam_cols["camera_id"][ok], xy, strict=True)
    ]
    pts = [(c.lon, c.lat) for c in cameras] or [(c.lon, c.lat) for c in cams]
    if not pts:
        pts = [(s.geometry.centroid.x, s.geometry.centroid.y) for s in sites[:1000]]
    projector = Projector.for_points(pts, fallback=(0.0, 0.0))
    bounds = read_boundaries(pack)
    layers = PreparedLayers(
        streets=prepare_street_arrays(
            street_geoms,
            highway=street_cols.get("highway"),
            names=street_cols.get("name"),
            projector=projector,
        ),
        buildings=None,
        sites=prepare_sites(sites, projector=projector),
        zones=ZoneLayer(),
        boundaries=prepare_boundary_arrays(
            bounds[0], names=bounds[1].get("name"), kinds=bounds[1].get("kind"), projector=projector
        )
        if bounds is not None
        else prepare_boundary_arrays(
            np.empty(0, dtype=object), names=None, kinds=None, projector=projector
        ),
    )
    return Preview(
        pack=pack,
        projector=projector,
        layers=layers,
        cameras=cams,
        osm=osm_layers_of(_metadata(pack), sites),
    )


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
        self.xy = [
            (*proj.point(c.lon, c.lat), c.status is CameraStatus.EXISTING) for c in preview.cameras
        ]
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
