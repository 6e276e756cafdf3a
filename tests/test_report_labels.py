"""The review report's overview map names the council districts (offscreen).

The demo plan is re-checked and its overview drawn with two districts meeting under
the cameras: "District 3" and "District 4" must be written on the map (as text a PDF
reader finds), inside its frame, clear of the camera symbols, the site symbols, the
legend and each other.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PySide6.QtCore import QMarginsF, QPointF, QRectF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPdfWriter

from planner.app.map.canvas.render import site_symbol_px
from planner.app.review.maps import MapOptions, ReportMaps, fit_extent
from planner.app.siting.camera_items import CameraItem
from planner.app.siting.camera_style import SYMBOL_MAX_RES
from planner.io.checking.recheck import recheck

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "data" / "demo" / "demo.plan.geojson"
DEMO_PACK = ROOT / "data" / "demo" / "demo.gpkg"
W, H = 520.0, 420.0  # the overview's size in layout units


@pytest.fixture(scope="module")
def maps() -> ReportMaps:
    ns = argparse.Namespace(
        plan=DEMO_PLAN, data=DEMO_PACK, sites=[], buildings=[], streets=None, policy=None
    )
    rc = recheck(ns, with_geometry=True)
    proj = rc.checker.projector
    xs, ys = zip(*(proj.point(c.lon, c.lat) for c in rc.plan.cameras), strict=True)
    cx, cy = float(np.mean(xs)), float(np.mean(ys))

    def square(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        return shapely.Polygon([proj.lonlat(cx + x, cy + y) for x, y in corners])

    kind = "sj_council_districts_2016"
    districts = gpd.GeoDataFrame(
        {"name": ["3", "4"], "kind": [kind, kind]},
        # wider than the overview: the map's edge cuts both districts
        geometry=[square(-3000, -3000, 0, 3000), square(0, -3000, 3000, 3000)],
        crs=4326,
    )
    return ReportMaps(
        checker=rc.checker,
        cameras=rc.plan.cameras,
        result=rc.result,
        streets=rc.inputs.streets,
        boundaries=districts,
    )


def overview(maps: ReportMaps, device: QImage | QPdfWriter) -> tuple[float, float, float, float]:
    """Draw the overview as the report does; its extent."""
    extent = fit_extent(maps.overview_extent(), aspect=W / H)
    painter = QPainter(device)
    try:
        maps.draw(
            painter,
            MapOptions(width=W, height=H, extent=extent, legend=True, symbol_scale=0.6),
        )
    finally:
        painter.end()
    return extent


def test_overview_labels_stay_in_the_frame_clear_of_symbols_and_legend(qtbot, maps) -> None:
    extent = overview(maps, QImage(int(W), int(H), QImage.Format.Format_RGB32))
    assert sorted(t for t, _b in maps.district_labels_drawn) == ["District 3", "District 4"]
    # the demo's overview is close enough to label the cameras too: placed with the names
    drawn = [(t, b) for t, b, _role in maps.labels_drawn]
    cameras = [t for t, _b, role in maps.labels_drawn if role == "camera"]
    assert "Central Ave northbound" in cameras
    # the map's scale, as draw() computes it (6 % padding around the extent)
    minx, miny, maxx, maxy = extent
    res = max((maxx - minx) / W, (maxy - miny) / H) * 1.12
    x0 = (minx + maxx) / 2 - W * res / 2
    y0 = -(miny + maxy) / 2 - H * res / 2
    # symbols drawn in device pixels: 1 per layout unit in this image
    half = CameraItem.SIZE + 2.5 if res <= SYMBOL_MAX_RES else 5.0
    symbols = []
    for x, y in maps.xy.values():
        at = QPointF((x - x0) / res, (-y - y0) / res)
        symbols.append(QRectF(at.x() - half, at.y() - half, 2 * half, 2 * half))
    s = site_symbol_px(res) / 2
    for site in maps.state.sites.xy:
        at = QPointF((site[0] - x0) / res, (site[1] - y0) / res)
        symbols.append(QRectF(at.x() - s, at.y() - s, 2 * s, 2 * s))
    legend = maps.legend_rect()
    frame = QRectF(0, 0, W, H)
    for i, (text, box) in enumerate(drawn):
        assert frame.contains(box), f"{text} is cut by the map's edge"
        assert not box.intersects(legend), f"{text} is under the legend"
        assert not any(box.intersects(o) for _t, o in drawn[i + 1 :])
        for sym in symbols:
            assert not box.intersects(sym), f"{text} covers a symbol at {sym.center()}"


def test_overview_district_names_are_text_in_the_pdf(qtbot, maps, tmp_path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = tmp_path / "overview.pdf"
    writer = QPdfWriter(str(pdf))
    writer.setResolution(96)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(10, 10, 10, 10),
            QPageLayout.Unit.Millimeter,
        )
    )
    overview(maps, writer)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "District 3" in text and "District 4" in text


def test_camera_maps_name_no_district(qtbot, maps) -> None:
    img = QImage(250, 190, QImage.Format.Format_RGB32)
    overview(maps, QImage(int(W), int(H), QImage.Format.Format_RGB32))
    assert maps.district_labels_drawn  # the overview named them...
    cid = next(iter(maps.xy))
    cam = next(b.camera for b in maps.bodies if b.camera_id == cid)
    extent = fit_extent(maps.camera_extent(cam), aspect=250 / 190)
    painter = QPainter(img)
    try:
        maps.draw(painter, MapOptions(width=250, height=190, extent=extent, subject=cid))
    finally:
        painter.end()
    # ...a camera's own map does not: it shows a few hundred metres
    assert maps.district_labels_drawn == []


def test_camera_maps_keep_every_label_inside_the_frame_clear_of_symbols(qtbot, maps) -> None:
    """A camera map: its label, street names and legend inside the frame, apart."""
    from planner.app.siting.camera_items import CameraItem

    w, h = 250.0, 190.0
    frame = QRectF(0, 0, w, h)
    for body in maps.bodies:
        cam = body.camera
        extent = fit_extent(maps.camera_extent(cam), aspect=w / h)
        img = QImage(int(w), int(h), QImage.Format.Format_RGB32)
        painter = QPainter(img)
        try:
            maps.draw(painter, MapOptions(width=w, height=h, extent=extent, subject=cam.id))
        finally:
            painter.end()
        legend = maps.mini_legend_drawn
        assert legend is not None and frame.contains(legend)
        boxes = [b for _t, b, _r in maps.labels_drawn] + [b for _t, b in maps.streets_drawn]
        assert [t for t, _b, r in maps.labels_drawn if r == "camera"] == [body.label_text()]
        minx, miny, maxx, maxy = extent
        res = max((maxx - minx) / w, (maxy - miny) / h) * 1.12
        x0 = (minx + maxx) / 2 - w * res / 2
        y0 = -(miny + maxy) / 2 - h * res / 2
        half = CameraItem.SIZE + 3
        symbols = [
            QRectF((x - x0) / res - half, (-y - y0) / res - half, 2 * half, 2 * half)
            for x, y in maps.xy.values()
        ]
        for i, box in enumerate(boxes):
            assert frame.contains(box), f"{cam.id}: a label is cut by the frame"
            assert not box.intersects(legend), f"{cam.id}: a label under the legend"
            assert not any(box.intersects(o) for o in boxes[i + 1 :]), cam.id
            assert not any(box.intersects(s) for s in symbols), f"{cam.id}: label on a symbol"


def test_overview_numbers_every_blocked_and_warned_camera(qtbot, maps) -> None:
    statuses = {b.camera_id: b.status for b in maps.bodies}
    numbered = {
        cid: n
        for n, cid in enumerate(
            (c for c, s in statuses.items() if s is not None and s.rank > 0), start=1
        )
    }
    assert len(numbered) >= 2  # the demo has a blocked and a warned camera
    extent = fit_extent(maps.overview_extent(), aspect=W / H)
    img = QImage(int(W), int(H), QImage.Format.Format_RGB32)
    painter = QPainter(img)
    try:
        maps.draw(
            painter,
            MapOptions(width=W, height=H, extent=extent, legend=True, callouts=numbered),
        )
    finally:
        painter.end()
    assert set(maps.callouts_drawn) == set(numbered)
    frame = QRectF(0, 0, W, H)
    boxes = [b for _t, b, _r in maps.labels_drawn]
    texts = sorted(t for t, _b, r in maps.labels_drawn if r == "callout")
    assert texts == sorted(str(n) for n in numbered.values())
    for i, box in enumerate(boxes):
        assert frame.contains(box)
        assert not box.intersects(maps.legend_rect())
        assert not any(box.intersects(o) for o in boxes[i + 1 :])
