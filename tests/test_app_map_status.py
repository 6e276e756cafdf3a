"""What the map says about each camera agrees with the check, at every zoom (offscreen).

A blocked camera is drawn over a clear one where they crowd, keeps a mark that is not
its colour at city zoom, and the counts on screen (status bar, findings) are one count.
Street names are rendered once and blitted, not stroked again on every pan frame.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
import shapely
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from planner.app.siting.camera_style import STATUS_STYLE
from planner.core.model import Plan, PlanMeta, Severity
from tests.app_support import X0, Y0, app_env, camera_at, make_data, new_window

__all__ = ["app_env"]  # the fixture, used by name

#: Where both cameras stand: 55 m south of the church's driveway.
SPOT = (X0, Y0 - 45)
#: Looking north at the driveway, in range: blocked. The clear one stands on the same spot
#: looking south, away from it.
BLOCKED = camera_at("B-1", *SPOT, 0.0, rng=70.0)
CLEAR = camera_at("A-1", *SPOT, 180.0)


def _window(qtbot, cameras):
    win = new_window(qtbot, size=(900, 650))
    win.install_data(make_data(win.policy))
    win.doc.load_plan(
        Plan(cameras=list(cameras), meta=PlanMeta(name="t", created="2026-03-10T00:00:00+00:00")),
        None,
    )
    win.wait_idle(30)
    return win


def _show(win, level: int) -> QImage:
    c = win.canvas
    c.set_synchronous(True)
    c.set_level(level)
    win.controller.set_resolution(c.resolution())
    c.center_on(*SPOT)
    c.viewport().repaint()
    return c.viewport().grab().toImage()


def _at_camera(win, image: QImage) -> QColor:
    p = win.canvas.scene_to_view(win.canvas.to_scene(*SPOT)).toPoint()
    return image.pixelColor(p)


def _close(a: QColor, b: QColor, tol: int = 40) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def _white_near(win, image: QImage, half: int) -> int:
    """White pixels (the mark's strokes) inside the symbol's square at the camera."""
    p = win.canvas.scene_to_view(win.canvas.to_scene(*SPOT)).toPoint()
    n = 0
    for dx in range(-half, half + 1):
        for dy in range(-half, half + 1):
            c = image.pixelColor(p + QPoint(dx, dy))
            n += c.red() > 235 and c.green() > 235 and c.blue() > 235
    return n


@pytest.mark.parametrize("order", ["blocked first", "clear first"])
def test_a_blocked_camera_is_drawn_over_a_clear_one_at_city_zoom(qtbot, app_env, order):
    cams = [BLOCKED, CLEAR] if order == "blocked first" else [CLEAR, BLOCKED]
    win = _window(qtbot, cams)
    assert win.doc.status_of("B-1") is Severity.BLOCK
    assert win.doc.status_of("A-1") is Severity.CLEAR
    image = _show(win, 13)  # about 90 m per pixel: the whole city in view
    assert win.canvas.resolution() > 12  # the city-zoom dot, not the full symbol
    # the topmost camera item under the point is the blocked one, cone and body
    p = win.canvas.scene_to_view(win.canvas.to_scene(*SPOT)).toPoint()
    top = [i for i in win.canvas.items(p) if getattr(i, "camera_id", None)]
    assert top[0].camera_id == "B-1"
    # and the pixel beside the mark's strokes is the blocked red, not the clear green
    red, green = STATUS_STYLE[Severity.BLOCK][0], STATUS_STYLE[Severity.CLEAR][0]
    px = image.pixelColor(p + QPoint(4, 0))
    assert _close(px, red), px.getRgb()
    assert not _close(px, green)


@pytest.mark.parametrize("level", [1, 4, 7, 10, 13, 16])
def test_every_zoom_keeps_a_status_mark_that_is_not_colour(qtbot, app_env, level):
    win = _window(qtbot, [BLOCKED])
    image = _show(win, level)
    # white strokes inside the symbol: the ✕, whatever the zoom (a bare dot has none)
    assert _white_near(win, image, 4) >= 4


def _counts(text: str) -> tuple[int, int, int]:
    m = re.search(r"(\d+) block\w*, (\d+) warn\w*, (\d+) clear", text)
    assert m is not None, text
    return int(m[1]), int(m[2]), int(m[3])


def test_status_bar_and_findings_agree_after_a_delete(qtbot, app_env):
    far = camera_at("C-9", X0 + 300, Y0, 90.0)
    win = _window(qtbot, [BLOCKED, far])
    summary = win.findings_panel.summary
    assert _counts(win.check_label.text()) == _counts(summary.text()) == (1, 0, 1)
    win.controller.select(["B-1"])
    win.actions_by_name["delete"].trigger()
    qtbot.waitUntil(lambda: not win.doc.has_camera("B-1"), timeout=5000)
    assert _counts(win.check_label.text()) == _counts(summary.text()) == (0, 0, 1)
    win.doc.undo_stack.undo()
    assert _counts(win.check_label.text()) == _counts(summary.text()) == (1, 0, 1)
    win.doc.undo_stack.setClean()


def test_demo_start_up_never_shows_not_checked_beside_a_count(qtbot, app_env):
    win = new_window(qtbot)
    seen: list[tuple[str, str]] = []
    bar = win.statusBar()

    def note(*_a: object) -> None:
        seen.append((bar.currentMessage(), win.check_label.text()))

    bar.messageChanged.connect(note)
    win.doc.results_reset.connect(note)
    win.doc.data_changed.connect(note)
    win.start_up(plan=None, data=None, recover=False)
    qtbot.waitUntil(lambda: win.doc.data is not None and not win.tasks, timeout=60_000)
    win.wait_idle(30)
    note()
    previews = [m for m, _ in seen if "not checked yet" in m]
    assert previews, "the demo shows its preview first"
    # the preview counted each camera once, as the check does
    shown = int(previews[0].split()[0])
    assert shown == len(win.doc.all_cameras()) == len(win.doc.results)
    both = [(m, c) for m, c in seen if "not checked yet" in m and c.startswith("Checked:")]
    assert not both
    assert "not checked yet" not in bar.currentMessage()
    win.doc.undo_stack.setClean()


def test_street_names_are_not_stroked_again_on_every_pan_frame(qtbot, monkeypatch):
    from planner.app.map.canvas import MapCanvas
    from planner.core.crs import Projector

    proj = Projector.for_points([(-121.8863, 37.3382)])
    x0, y0 = proj.point(-121.8863, 37.3382)
    names = [f"Street {k}" for k in range(12)]
    lines = [
        proj.unproject(shapely.LineString([(x0 - 600, y0 + 60 * k), (x0 + 600, y0 + 60 * k)]))
        for k in range(len(names))
    ]
    canvas = MapCanvas(projector=proj)
    qtbot.addWidget(canvas)
    canvas.resize(800, 600)
    canvas.set_streets(
        gpd.GeoDataFrame(
            {"highway": ["primary"] * len(names), "name": names}, geometry=lines, crs=4326
        )
    )
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_synchronous(True)
    canvas.set_level(1)
    canvas.center_on(x0, y0 + 300)

    def named() -> bool:
        canvas.viewport().repaint()
        return len(canvas.street_labels_drawn) >= 5

    qtbot.waitUntil(named, timeout=5000)
    calls = 0
    stroke = QPainter.strokePath

    def counting(self, *args):
        nonlocal calls
        calls += 1
        return stroke(self, *args)

    monkeypatch.setattr(QPainter, "strokePath", counting)
    frames = 20
    for k in range(frames):
        canvas.pan_by(1 if k % 2 else -1, 0)
        canvas.viewport().repaint()
    assert len(canvas.street_labels_drawn) >= 5
    # the names drawn once each before the pan; a pan frame only blits them
    assert calls < frames, calls


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on: connecting is refused at once."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_offline_basemap_says_why_in_words_until_switched_off(
    qtbot, app_env, tmp_path, monkeypatch
):
    import planner.app.map.basemap as basemap
    from planner.app.map.basemap import BasemapSource

    monkeypatch.setattr(basemap, "default_cache_dir", lambda: tmp_path / "tiles")

    win = _window(qtbot, [CLEAR])
    win.zoom_to_fit()
    url = f"http://127.0.0.1:{_closed_port()}/{{z}}/{{x}}/{{y}}.png"
    source = BasemapSource("Test tiles", url, "(C) OpenStreetMap contributors")
    win.gis.set_basemap(source, remember=False)
    label = win.gis.basemap_label

    def shown() -> bool:
        win.canvas.viewport().repaint()
        return label.isVisible()

    qtbot.waitUntil(shown, timeout=15_000)
    assert label.text() == "Basemap unavailable: the tile server refused the connection"
    # nothing was drawn, so nothing of the basemap is credited
    win.canvas.viewport().repaint()
    assert win.canvas.basemap.drawn == 0
    assert "Basemap:" not in win.canvas.attribution_text()
    # other messages come and go; the basemap's stays
    win.statusBar().showMessage("Saved somewhere", 1)
    qtbot.wait(30)
    win.statusBar().clearMessage()
    assert label.isVisible() and label.text().startswith("Basemap unavailable")
    # the basemap layer switched off in the Layers panel (its check box), then on again
    panel = win.layers_panel
    row = panel.keys().index("basemap")
    panel.model.item(row).setCheckState(Qt.CheckState.Unchecked)
    assert not win.canvas.basemap_shown() and not label.isVisible()
    panel.model.item(row).setCheckState(Qt.CheckState.Checked)
    assert label.isVisible()
    win.gis.set_basemap(None, remember=False)
    assert not label.isVisible()


def test_offline_reasons_are_words_not_errno():
    import socket
    import urllib.error

    from planner.app.map.basemap import offline_message

    dns = urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))
    assert offline_message(dns) == "Basemap unavailable: no network connection"
    refused = urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
    assert "refused the connection" in offline_message(refused)
    assert "did not answer" in offline_message(TimeoutError("timed out"))
    for exc in (dns, refused):
        assert "Errno" not in offline_message(exc) and "[" not in offline_message(exc)


# -- sites ----------------------------------------------------------------------------------
def _repaint_until(qtbot, canvas, ready) -> None:
    """Paint until ``ready()``: labels are placed on a paint and drawn on the next."""

    def painted() -> bool:
        canvas.viewport().repaint()
        return bool(ready())

    qtbot.waitUntil(painted, timeout=3000)


def _site_scene(qtbot, cams, sites):
    from planner.app.map.canvas import MapCanvas
    from planner.app.siting.document import DataContext, PlanDocument
    from planner.app.siting.map_labels import connect_map_labels
    from planner.app.siting.site_marks import UnverifiedMarks
    from planner.app.siting.siting_controller import SitingController
    from tests.test_map_labels import PROJ

    canvas = MapCanvas(projector=PROJ)
    qtbot.addWidget(canvas)
    canvas.resize(800, 600)
    doc = PlanDocument()
    doc.set_data(DataContext(checker=None, projector=PROJ, sites=sites))
    doc.load_plan(Plan(cameras=cams), None, check=False)
    controller = SitingController(doc, canvas.scene())
    marks = UnverifiedMarks(doc, canvas.scene())
    canvas.scale_changed.connect(controller.set_resolution)
    connect_map_labels(canvas, controller=controller, marks=marks)
    canvas.set_sites(sites)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_synchronous(True)
    return canvas, controller


def test_a_crowded_unverified_tag_stands_off_with_a_leader_at_city_zoom(qtbot):
    from planner.app.siting.site_marks import TAG_TEXT
    from tests.test_map_labels import CITY_LEVEL, camera, clinic, show

    # camera symbols 10 px apart all round the clinic (32 m per pixel), open map beyond
    cams = [
        camera(f"G{i}{j}".replace("-", "m"), i * 320.0, j * 320.0, 0.0)
        for i in range(-2, 3)
        for j in range(-2, 3)
        if (i, j) != (0, 0)
    ]
    canvas, controller = _site_scene(qtbot, cams, [clinic()])
    show(canvas, controller, CITY_LEVEL)

    def tagged() -> bool:
        canvas.viewport().repaint()
        return any(text == TAG_TEXT for text, _box in canvas.labels_drawn)

    qtbot.waitUntil(tagged, timeout=3000)
    tags = [box for text, box in canvas.labels_drawn if text == TAG_TEXT]
    assert len(tags) == 1, canvas.labels_drawn
    # clear of every camera symbol
    for body in controller.bodies.values():
        p = canvas.scene_to_view(body.pos())
        h = body.symbol_half_px()
        assert not tags[0].intersects(QRectF(p.x() - h, p.y() - h, 2 * h, 2 * h))


def _edge_coverage(image: QImage, y: int, x0: int, x1: int, colour: QColor) -> float:
    """Share of the columns x0..x1 where a pixel within 2 px of row y is the outline colour."""
    hits = 0
    for x in range(x0, x1):
        hits += any(_close(image.pixelColor(x, y + d), colour, 60) for d in range(-2, 3))
    return hits / (x1 - x0)


def test_verified_outlines_are_solid_and_unverified_ones_dashed(qtbot):
    from planner.app.map.canvas import style as st
    from planner.app.siting.site_marks import COLOUR
    from planner.core.model import Site
    from tests.test_map_labels import PROJ
    from tests.test_map_labels import X0 as LX0
    from tests.test_map_labels import Y0 as LY0

    def square(x: float, verified: bool) -> Site:
        poly = PROJ.unproject(shapely.box(LX0 + x, LY0 - 60, LX0 + x + 120, LY0 + 60))
        return Site(
            id=f"s{x}", category="place_of_worship", geometry=poly, name="", verified=verified
        )

    canvas, _controller = _site_scene(qtbot, [], [square(-200, True), square(80, False)])
    canvas.set_level(0)  # 1 m per pixel
    canvas.center_on(LX0, LY0)
    canvas.viewport().repaint()
    image = canvas.viewport().grab().toImage()
    top = round(canvas.scene_to_view(canvas.to_scene(LX0, LY0 + 60)).y())

    def xs(x: float) -> tuple[int, int]:
        a = canvas.scene_to_view(canvas.to_scene(LX0 + x + 10, LY0)).x()
        return round(a), round(a) + 100

    solid = _edge_coverage(image, top, *xs(-200), st.CATEGORY_STYLES["place_of_worship"].color)
    dashed = _edge_coverage(image, top, *xs(80), COLOUR)
    assert solid > 0.95, solid
    assert 0.3 < dashed < 0.9, dashed


def test_districts_and_unverified_sites_are_told_apart_and_in_the_legend():
    from planner.app.map.canvas import style as st
    from planner.app.siting.legend import legend_items
    from planner.app.siting.site_marks import COLOUR, UNVERIFIED_PEN_STYLE

    assert st.DISTRICT_PEN_STYLE != UNVERIFIED_PEN_STYLE
    assert not _close(st.DISTRICT_LINE, COLOUR, 60)
    labels = [i.label for i in legend_items()]
    assert any(label.startswith("Unverified site") for label in labels)
    assert any(label.startswith("Verified site") for label in labels)


def test_search_pin_name_never_repeats_a_site_label_nor_leaves_the_view(qtbot):
    from planner.app.tools.search import SearchHit, SearchMarker
    from tests.test_map_labels import STREET_LEVEL, clinic, lonlat, show
    from tests.test_map_labels import X0 as LX0
    from tests.test_map_labels import Y0 as LY0

    site = clinic()
    canvas, controller = _site_scene(qtbot, [], [site])
    show(canvas, controller, STREET_LEVEL)
    _repaint_until(qtbot, canvas, lambda: site.name in dict(canvas.labels_drawn))
    marker = SearchMarker(canvas)
    marker.set(SearchHit("site", site.name, *lonlat(0, 0)), canvas.to_scene(LX0, LY0).toTuple())
    _repaint_until(qtbot, canvas, lambda: bool(canvas.labels_drawn))
    assert marker.name_box is None  # the map already names it
    assert site.name in dict(canvas.labels_drawn)  # and still does
    # an address pinned at the right edge of the view: its name turns to fit inside
    edge = canvas.view_to_scene(QPointF(canvas.viewport().width() - 6, 200))
    marker.set(SearchHit("address", "1234 Long Example Avenue", *lonlat(0, 0)), edge.toTuple())
    _repaint_until(qtbot, canvas, lambda: marker.name_box is not None)
    box = marker.name_box
    assert box is not None
    assert box.right() <= canvas.viewport().width() and box.left() >= 0


def test_a_camera_whose_view_a_building_hides_says_so(qtbot, app_env):
    import numpy as np

    from planner.app.siting.document import DataContext
    from planner.app.siting.wording import VIEW_BLOCKED
    from planner.app.tools.identify import identify_at
    from planner.core.buildings import BuildingIndex
    from planner.core.checker import Checker
    from tests.app_support import PROJ, make_sites

    win = new_window(qtbot, size=(1000, 700))
    base = make_data(win.policy)
    x, y = X0 + 200, Y0 - 30
    block = PROJ.unproject(shapely.box(x, y - 30, x + 60, y + 30))
    bidx = BuildingIndex.from_geometries(np.array([block], dtype=object), projector=PROJ)
    checker = Checker(
        policy=win.policy,
        sites=make_sites(),
        projector=PROJ,
        streets=base.street_network,
        buildings=bidx,
    )
    win.install_data(
        DataContext(
            checker=checker,
            projector=PROJ,
            sites=base.sites,
            street_network=base.street_network,
        )
    )
    # half a metre from the building's west wall, looking east into it
    facing = camera_at("W-1", x - 0.5, y, 90.0)
    open_view = camera_at("O-1", x - 100, y, 270.0)
    win.doc.load_plan(Plan(cameras=[facing, open_view], meta=PlanMeta(name="t")), None)
    win.wait_idle(30)
    assert win.doc.status_of("W-1") is Severity.CLEAR
    # the findings panel counts it (a clear camera has no finding row of its own)
    assert f"1 with the {VIEW_BLOCKED}" in win.findings_panel.summary.text()
    # the properties panel says why there is a ✓ and no cone
    win.controller.select(["W-1"])
    assert VIEW_BLOCKED in win.properties_panel.note.text()
    win.controller.select(["O-1"])
    assert VIEW_BLOCKED not in win.properties_panel.note.text()
    # hovering and identifying say it too
    assert VIEW_BLOCKED in win.controller.bodies["W-1"].toolTip()
    assert VIEW_BLOCKED not in win.controller.bodies["O-1"].toolTip()
    found = identify_at(canvas=win.canvas, doc=win.doc, x=x - 0.5, y=y)
    assert found and found[0].attributes.get("view") == VIEW_BLOCKED
    win.doc.undo_stack.setClean()


def test_the_preview_counts_a_camera_the_plan_carries_once():
    from pathlib import Path

    from planner.app.siting.preview import load_preview, read_gpkg_table
    from planner.core.model import Camera, CameraStatus

    pack = Path(__file__).resolve().parents[1] / "data" / "demo" / "demo.gpkg"
    geoms, cols = read_gpkg_table(pack, "cameras_existing", ["camera_id"])
    assert len(geoms) >= 2
    # an existing plan made from the pack: it carries the pack's first camera itself
    first = geoms[0]
    carried = Camera(
        id=str(cols["camera_id"][0]),
        lon=first.x,
        lat=first.y,
        heading_deg=90.0,
        fov_deg=60.0,
        range_m=40.0,
        status=CameraStatus.EXISTING,
    )
    preview = load_preview(pack=pack, cameras=[carried])
    ids = [c.id for c in preview.cameras]
    assert len(ids) == len(set(ids)) == len(geoms)
