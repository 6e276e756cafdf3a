"""Identify: the attributes of whatever lies under a click, as QGIS's identify tool shows them.

:func:`identify_at` collects, top of the drawing order first, the cameras within a
few pixels, the sites whose symbol or footprint is under the point, the building
that contains it (read from the data pack through its spatial index, so it works
whatever the map has loaded), the nearest street within a few pixels, and the
boundaries that contain it. :class:`IdentifyPanel` lists them as a tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from planner.app.common.units import format_distance
from planner.app.map.canvas.prepare import name_text, site_info
from planner.app.siting import wording

#: Features within this many pixels of the click are identified.
TOLERANCE_PX = 8.0


@dataclass
class Identified:
    """One feature found: its layer, a title and its attributes in display order."""

    layer: str
    title: str
    attributes: dict[str, str] = field(default_factory=dict)
    ref: str = ""


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def _cameras(doc: Any, proj: Any, x: float, y: float, tol: float) -> list[Identified]:
    cams = doc.all_cameras()
    if not cams:
        return []
    cx, cy = proj.forward(np.array([c.lon for c in cams]), np.array([c.lat for c in cams]))
    d = np.hypot(cx - x, cy - y)
    out = []
    for i in np.argsort(d):
        if d[i] > tol:
            break
        cam = cams[int(i)]
        res = doc.results.get(cam.id)
        attrs = {
            "id": cam.id,
            "label": cam.label,
            "status": str(cam.status),
            "check": "" if res is None else str(res.status),
            "view": wording.view_note(res),
            "heading": "unknown" if cam.heading_deg is None else f"{cam.heading_deg:.1f}°",
            "field of view": f"{cam.fov_deg:g}°",
            "range": format_distance(cam.range_m),
            "model": cam.model or "",
            "lon, lat": f"{cam.lon:.6f}, {cam.lat:.6f}",
            "editable": "yes" if doc.is_editable(cam.id) else "no (existing camera from the pack)",
        }
        if res is not None:
            for n, f in enumerate(res.findings, 1):
                attrs[f"finding {n}"] = f"{f.severity}: {f.message}"
        out.append(
            Identified(
                "Camera", cam.label or cam.id, {k: v for k, v in attrs.items() if v}, ref=cam.id
            )
        )
    return out


def _sites(data: Any, proj: Any, x: float, y: float, tol: float) -> list[Identified]:
    out = []
    point = shapely.Point(x, y)
    for site in data.sites or ():
        g = site.geometry
        if g is None or g.is_empty:
            continue
        pg = proj.project(g)
        if pg.distance(point) <= tol or pg.representative_point().distance(point) <= tol:
            info = site_info(site)
            info["distance"] = format_distance(pg.distance(point))
            out.append(Identified("Protected site", info.pop("name"), info, ref=site.id))
    return out


def _building(pack: Path | None, lon: float, lat: float) -> list[Identified]:
    if pack is None:
        return []
    import pyogrio

    d = 1e-6
    try:
        frame = pyogrio.read_dataframe(
            pack, layer="buildings", bbox=(lon - d, lat - d, lon + d, lat + d)
        )
    except Exception:  # a pack without buildings (or not a pack): nothing to identify
        return []
    pt = shapely.Point(lon, lat)
    out = []
    for rec, geom in zip(
        frame.drop(columns="geometry").to_dict("records"), frame.geometry.values, strict=True
    ):
        if geom is None or not geom.contains(pt):
            continue
        attrs = {k: _text(v) for k, v in rec.items() if _text(v)}
        if "height" in attrs:
            attrs["height"] = format_distance(float(rec["height"]))
        out.append(Identified("Building", str(rec.get("building_id") or "building"), attrs))
    return out


def _streets(
    streets: Any, proj: Any, lon: float, lat: float, x: float, y: float, tol: float
) -> list[Identified]:
    from planner.io.formats.street_table import StreetTable

    table = StreetTable.of(streets)
    if table is None or not len(table):
        return []
    deg = tol / 90_000.0
    idx = np.sort(table.tree.query(shapely.box(lon - deg, lat - deg, lon + deg, lat + deg)))
    if len(idx) == 0:
        return []
    geoms = proj.project(table.geoms[idx])
    d = shapely.distance(geoms, shapely.Point(x, y))
    best = int(np.argmin(d))
    if d[best] > tol:
        return []
    attrs = {}
    for col in ("name", "highway", "lanes", "maxspeed", "oneway", "osmid", "length_m"):
        values = table.get(col)
        if values is not None:
            v = values[idx[best]]
            text = name_text(v) if col == "name" else _text(v)
            if col == "length_m" and text:
                text = format_distance(float(v))
            if text:
                attrs[col] = text
    return [Identified("Street", attrs.get("name") or attrs.get("highway", "street"), attrs)]


def _boundaries(canvas: Any, x: float, y: float) -> list[Identified]:
    b = canvas.boundary_layer
    if b.layer is None:
        return []
    pt = shapely.Point(x, -y)
    out = []
    for i in b.layer.query((x, -y, x, -y)):
        if b.layer.geoms[i].contains(pt):
            kind = (
                "City limits"
                if b.kinds is not None and b.kinds[i] == "city_limits"
                else "Council district"
            )
            out.append(
                Identified("Boundary", b.labels[i] or kind, {"kind": kind, "name": b.labels[i]})
            )
    return out


def identify_at(
    *, canvas: Any, doc: Any, x: float, y: float, tolerance_px: float = TOLERANCE_PX
) -> list[Identified]:
    """Every feature at projected ``x, y``, top of the drawing order first."""
    data, proj = doc.data, doc.projector
    if proj is None:
        return []
    tol = tolerance_px * canvas.resolution()
    lon, lat = proj.lonlat(x, y)
    out = _cameras(doc, proj, x, y, tol)
    if data is not None:
        out += _sites(data, proj, x, y, tol)
        out += _building(data.pack_path, lon, lat)
        out += _streets(data.streets, proj, lon, lat, x, y, tol)
    out += _boundaries(canvas, x, y)
    return out


class IdentifyPanel(QWidget):
    """The identify results: a tree of layer / feature / attribute.

    Signals
    -------
    feature_activated(identified)
        A feature row was double-clicked (the window zooms to it).
    """

    feature_activated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setObjectName("identify_tree")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Feature", "Value"])
        self.tree.setAlternatingRowColors(True)
        self.hint = QLabel("Identify tool (I): click the map to see what is there.")
        self.hint.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.hint)
        lay.addWidget(self.tree)
        self.results: list[Identified] = []
        self.tree.itemDoubleClicked.connect(self._double_clicked)

    def show_results(self, results: list[Identified], *, where: str = "") -> None:
        self.results = list(results)
        self.tree.clear()
        self.hint.setText(
            f"At {where}: {len(results)} feature(s)" if where else f"{len(results)} feature(s)"
        )
        for n, r in enumerate(results):
            top = QTreeWidgetItem([r.layer, r.title])
            top.setData(0, 256, n)
            for k, v in r.attributes.items():
                top.addChild(QTreeWidgetItem([k, v]))
            self.tree.addTopLevelItem(top)
            top.setExpanded(n == 0)
        self.tree.resizeColumnToContents(0)

    def attribute_text(self) -> str:
        """Everything listed, as plain text (tests, copy)."""
        lines = []
        for r in self.results:
            lines.append(f"{r.layer}: {r.title}")
            lines += [f"  {k}: {v}" for k, v in r.attributes.items()]
        return "\n".join(lines)

    def _double_clicked(self, item: QTreeWidgetItem, _col: int) -> None:
        while (parent := item.parent()) is not None:
            item = parent
        n = item.data(0, 256)
        if isinstance(n, int) and 0 <= n < len(self.results):
            self.feature_activated.emit(self.results[n])


__all__ = ["Identified", "IdentifyPanel", "identify_at"]
