"""The first paint of a data pack: cameras, sites, boundaries and streets, before the rest.

Loading a citywide pack for checking reads and indexes 324,000 buildings, seconds of
work. The planner does not make the user stare at an empty map meanwhile: a preview
task (queued on the app's worker ahead of the full load) reads only the small layers,
and the canvas shows them with every camera marked "not checked yet". When the full
load arrives it replaces the preview; buildings then stream in by area
(:mod:`planner.app.map.canvas.stream`). Nothing in the preview is a check result, so
nothing on it can be mistaken for a clearance.

What lies between the process start and that first useful paint is kept short:
the preview's first frame renders its tiles itself rather than waiting for the tile
threads frame by frame, and the full load (which reads, repairs and indexes every
building of the pack, Python work that holds the interpreter lock most of the time)
waits on its worker until that frame is on screen (:func:`hold_until_painted`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from planner.core.model import Camera, CameraStatus


@dataclass
class Preview:
    """The small layers of a pack, ready for the canvas."""

    pack: Path
    projector: Any
    layers: Any  # planner.app.map.canvas.prepare.PreparedLayers (no buildings, no zones)
    cameras: list[Camera]
    osm: frozenset[str]


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def gpkg_wkb(blob: bytes) -> bytes | None:
    """The WKB inside a GeoPackage geometry blob (None for an empty or foreign blob).

    The blob is ``GP``, a version byte, a flags byte (bits 1-3: the envelope's size
    code, bit 4: empty), a 4-byte SRS id, the envelope, then standard WKB (GeoPackage
    1.3, clause 2.1.3).
    """
    # SQLite is typeless: an edited cell may hold text or a number
    if not isinstance(blob, bytes | bytearray | memoryview) or len(blob) < 8 or blob[:2] != b"GP":
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
    from planner.app.siting.loading import osm_layers_of
    from planner.core.crs import Projector

    pack = Path(pack)
    sites = _preview_sites(pack)
    cams = _preview_cameras(pack, cameras)
    pts = [(c.lon, c.lat) for c in cameras] or [(c.lon, c.lat) for c in cams]
    if not pts:
        pts = [(s.geometry.centroid.x, s.geometry.centroid.y) for s in sites[:1000]]
    projector = Projector.for_points(pts, fallback=(0.0, 0.0))
    return Preview(
        pack=pack,
        projector=projector,
        layers=_preview_layers(pack, sites, projector),
        cameras=cams,
        osm=osm_layers_of(_metadata(pack), sites),
    )


def _preview_sites(pack: Path) -> list[Any]:
    """The pack's protected sites (``planner.core.model.Site``), empty geometries left out."""
    from planner.core.model import Site

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
    return sites


def _preview_cameras(pack: Path, cameras: Sequence[Camera]) -> list[Camera]:
    """The plan's ``cameras``, then the pack's existing cameras the plan does not carry."""
    import shapely

    cam_geoms, cam_cols = read_gpkg_table(pack, "cameras_existing", ["camera_id"])
    ok = ~(shapely.is_missing(cam_geoms) | shapely.is_empty(cam_geoms))
    # as the document counts them (PlanDocument.all_cameras): the plan's cameras, then
    # the pack's existing cameras the plan does not carry itself; an existing plan made
    # from the pack carries them all, so the preview must not show each twice
    planned = {c.id for c in cameras}
    ok &= np.array([str(cid) not in planned for cid in cam_cols["camera_id"]], dtype=bool)
    xy = shapely.get_coordinates(cam_geoms[ok])
    return list(cameras) + [
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


def _preview_layers(pack: Path, sites: list[Any], projector: Any) -> Any:
    """Streets, sites and boundaries prepared for the canvas (no buildings, no zones)."""
    from planner.app.map.canvas.prepare import (
        PreparedLayers,
        ZoneLayer,
        prepare_boundary_arrays,
        prepare_sites,
        prepare_street_arrays,
    )

    street_geoms, street_cols = read_gpkg_table(pack, "streets", ["name", "highway"])
    bounds = read_boundaries(pack)
    return PreparedLayers(
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


class PreviewCameras:
    """Draws the preview's cameras over the map, grey: not checked yet.

    It also clocks the start-up (times from ``t0``, the process start):
    ``first_paint_s`` is the first paint with the preview's cameras on it;
    ``useful_paint_s`` the first paint showing cameras (the preview's, or the checked
    ones when the full load got there first) over a complete map, every tile of the
    view drawn from the current layers (streets, sites, boundaries). That paint opens
    the gates handed out by :meth:`gate`, which hold the full load back meanwhile.

    Parameters
    ----------
    canvas
        The map canvas (:class:`~planner.app.map.canvas.MapCanvas`).
    t0
        ``time.perf_counter()`` at the process start, or None (no clock).
    data_shown
        Whether the checked data is on the map (then its cameras are drawn as items).
    """

    def __init__(
        self,
        canvas: Any,
        *,
        t0: float | None = None,
        data_shown: Callable[[], bool] | None = None,
    ) -> None:
        self.canvas = canvas
        self.xy: list[tuple[float, float, bool]] = []  # projected x, y, existing
        self._scene = np.empty((0, 2))  # the same in scene coordinates
        self._existing = np.empty(0, dtype=bool)
        self.t0 = t0
        self.first_paint_s: float | None = None
        self.useful_paint_s: float | None = None
        self._data_shown = data_shown or (lambda: False)
        self._gates: list[threading.Event] = []
        canvas.add_overlay(self.draw)

    def gate(self) -> threading.Event:
        """An event set at the next paint of cameras over a complete map."""
        event = threading.Event()
        self._gates.append(event)
        return event

    def open_gates(self) -> None:
        """Let every held load go (the preview painted, failed or will not be shown)."""
        for event in self._gates:
            event.set()
        self._gates.clear()

    def show(self, preview: Preview) -> None:
        """Draw ``preview``'s cameras from the next paint on, with its tiles rendered in it.

        That one paint renders the view's tiles on the GUI thread: a tenth of a second
        for the small layers, where the pool would deliver them tile by tile, each one
        waiting for the previous frame's paint, over several tenths.
        """
        cams = preview.cameras
        lon = np.array([c.lon for c in cams], dtype=float)
        lat = np.array([c.lat for c in cams], dtype=float)
        x, y = preview.projector.forward(lon, lat)  # one call, not one per camera
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        self._existing = np.array([c.status is CameraStatus.EXISTING for c in cams], dtype=bool)
        self._scene = np.column_stack([x, -y])
        self.xy = list(zip(x.tolist(), y.tolist(), self._existing.tolist(), strict=True))
        self.canvas.render_next_paint_now()
        if not self.canvas.isVisible():
            self.open_gates()  # no paint will come: nothing to wait for

    def clear(self) -> None:
        self.xy = []
        self._scene, self._existing = np.empty((0, 2)), np.empty(0, dtype=bool)
        self.canvas.viewport().update()

    def draw(self, painter: QPainter) -> None:
        if self.xy:
            self._draw_cameras(painter)
            if self.first_paint_s is None and self.t0 is not None:
                self.first_paint_s = time.perf_counter() - self.t0
        elif not self._data_shown():
            return
        # overlays are drawn after the tiles of the same paint, so this paint's state
        if self.canvas.view_complete():
            if self.useful_paint_s is None and self.t0 is not None:
                self.useful_paint_s = time.perf_counter() - self.t0
            self.open_gates()

    def _draw_cameras(self, painter: QPainter) -> None:
        """Grey discs (proposed) and squares (existing), two paths for all of them.

        A thousand cameras drawn one call each cost the GUI thread ~10 ms per frame,
        and the first frames come one per tile; two paths cost under a millisecond.
        """
        from planner.app.map.canvas.paths import path_from_parts

        xy, existing = self._scene, self._existing
        t = self.canvas.viewportTransform()
        px = np.column_stack(
            [
                xy[:, 0] * t.m11() + xy[:, 1] * t.m21() + t.m31(),
                xy[:, 0] * t.m12() + xy[:, 1] * t.m22() + t.m32(),
            ]
        )
        w, h = self.canvas.viewport().width(), self.canvas.viewport().height()
        seen = (px[:, 0] >= -10) & (px[:, 0] <= w + 10) & (px[:, 1] >= -10) & (px[:, 1] <= h + 10)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(20, 20, 20), 1.0))
        painter.setBrush(QColor(120, 120, 120))
        for shape, sel in ((_DISC, seen & ~existing), (_SQUARE, seen & existing)):
            centres = px[sel]
            if not len(centres):
                continue
            ring = len(shape)
            verts = (centres[:, None, :] + shape[None, :, :]).reshape(-1, 2)
            path = path_from_parts(verts, np.arange(len(centres)) * ring)
            path.setFillRule(Qt.FillRule.WindingFill)  # overlapping symbols stay filled
            painter.drawPath(path)
        painter.setPen(Qt.PenStyle.NoPen)


#: The preview's camera symbols in view pixels, closed rings: a disc of radius 4.5
#: (a plan's camera) and an 8 px square (an existing camera of the pack).
_DISC = 4.5 * np.column_stack(
    [np.cos(np.linspace(0, 2 * np.pi, 21)), np.sin(np.linspace(0, 2 * np.pi, 21))]
)
_SQUARE = np.array([[-4.0, -4.0], [4.0, -4.0], [4.0, 4.0], [-4.0, 4.0], [-4.0, -4.0]])


def hold_until_painted(
    gate: threading.Event | None, cancel: Callable[[], bool], *, timeout_s: float = 3.0
) -> None:
    """Wait (on a worker) until ``gate`` opens, the task is cancelled or ``timeout_s`` passes.

    The full load reads and indexes every building of the pack: run beside the first
    paint, it takes the interpreter lock from the GUI thread and the tile renderers
    for several tenths of a second. Holding it back until the preview is on screen
    delays the check by about as long as that paint takes (a tenth of a second once
    the preview is read); the timeout covers a window that never paints (minimised).
    """
    if gate is None:
        return
    deadline = time.perf_counter() + timeout_s
    while not gate.wait(0.02):
        if cancel() or time.perf_counter() >= deadline:
            return


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


__all__ = ["Preview", "PreviewCameras", "hold_until_painted", "load_preview", "show_preview"]
