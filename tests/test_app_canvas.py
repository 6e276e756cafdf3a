"""The map canvas: coordinates, navigation, tiles, layers and overlays (offscreen)."""

from __future__ import annotations

import math
import time

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from planner.app.map.canvas import MapCanvas, nice_number, scale_bar
from planner.app.map.canvas import style as st
from planner.core.crs import Projector
from planner.core.model import Entrance, Site

LON0, LAT0 = -121.886, 37.336
PROJ = Projector.for_points([(LON0, LAT0)])
X0, Y0 = PROJ.point(LON0, LAT0)


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    """Lon/lat of a point dx, dy metres from the origin."""
    return PROJ.lonlat(X0 + dx, Y0 + dy)


def line(*pts: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([lonlat(*p) for p in pts])


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.Polygon([lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1)])


@pytest.fixture
def streets() -> gpd.GeoDataFrame:
    # a primary street along y = 0 from -400 to 400 m, a residential one along x = 200
    return gpd.GeoDataFrame(
        {
            "highway": ["primary", "residential", "service"],
            "name": ["Main Street", "Elm Street", None],
        },
        geometry=[
            line((-400, 0), (400, 0)),
            line((200, -300), (200, 300)),
            line((-300, -200), (-100, -200)),
        ],
        crs=4326,
    )


@pytest.fixture
def buildings() -> np.ndarray:
    return np.array([box(-150, 60, -60, 140), box(60, -140, 150, -60)], dtype=object)


@pytest.fixture
def sites() -> list[Site]:
    return [
        Site(
            id="w1",
            category="place_of_worship",
            geometry=box(-300, 150, -250, 200),
            name="Church",
            entrances=(Entrance("w1/e1", "w1", *lonlat(-275, 145)),),
        ),
        Site(id="a1", category="abortion_provider", geometry=shapely.Point(lonlat(300, 200))),
    ]


@pytest.fixture
def canvas(qtbot, streets, buildings, sites) -> MapCanvas:
    c = MapCanvas(projector=PROJ)
    qtbot.addWidget(c)
    c.resize(800, 600)
    c.set_streets(streets)
    c.set_buildings(buildings)
    c.set_sites(sites)
    c.show()
    qtbot.waitExposed(c)
    c.set_synchronous(True)
    c.set_level(0)  # 1 m per pixel
    c.center_on(X0, Y0)
    return c


def grab(c: MapCanvas) -> QImage:
    return c.viewport().grab().toImage()


def pixel_at(c: MapCanvas, dx: float, dy: float) -> QColor:
    pos = c.scene_to_view(c.to_scene(X0 + dx, Y0 + dy))
    return grab(c).pixelColor(round(pos.x()), round(pos.y()))


def same(a: QColor, b: QColor, tol: int = 6) -> bool:
    return all(abs(u - v) <= tol for u, v in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def test_coordinate_round_trip(canvas):
    x, y = X0 + 123.4, Y0 - 56.7
    scene = canvas.to_scene(x, y)
    assert scene.y() == pytest.approx(-y)
    assert canvas.from_scene(scene) == pytest.approx((x, y))
    view = canvas.scene_to_view(scene)
    assert canvas.xy_at(view) == pytest.approx((x, y), abs=1e-6)
    lon, lat = canvas.lonlat_at(view)
    assert PROJ.point(lon, lat) == pytest.approx((x, y), abs=1e-3)
    # north is up: a point further north is higher on screen
    north = canvas.scene_to_view(canvas.to_scene(x, y + 50))
    assert north.y() < view.y()


def test_wheel_zoom_keeps_point_under_cursor(canvas):
    pos = QPointF(200, 150)
    before = canvas.xy_at(pos)
    res = canvas.resolution()
    seen = []
    canvas.scale_changed.connect(seen.append)
    ev = QWheelEvent(
        pos,
        canvas.viewport().mapToGlobal(pos),
        QPoint(),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), ev)
    assert canvas.resolution() == pytest.approx(res / math.sqrt(2))
    assert seen == [pytest.approx(canvas.resolution())]
    after = canvas.xy_at(pos)
    assert math.dist(before, after) <= canvas.resolution()
    ev = QWheelEvent(
        pos,
        canvas.viewport().mapToGlobal(pos),
        QPoint(),
        QPoint(0, -240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), ev)
    assert canvas.resolution() == pytest.approx(res * math.sqrt(2))
    assert math.dist(before, canvas.xy_at(pos)) <= canvas.resolution()


def test_plus_minus_keys_zoom(canvas, qtbot):
    res = canvas.resolution()
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.resolution() < res
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.resolution() > res


def test_arrow_keys_pan(canvas, qtbot):
    x, y = canvas.center()
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    x2, y2 = canvas.center()
    assert x2 > x + 10 and y2 == pytest.approx(y, abs=1)
    qtbot.keyClick(canvas, Qt.Key.Key_Up)
    assert canvas.center()[1] > y2 + 10


def test_drag_pans_and_click_reports_empty(canvas, qtbot):
    vp = canvas.viewport()
    clicks = []
    canvas.clicked_empty.connect(lambda x, y: clicks.append((x, y)))
    start = canvas.center()

    def mouse(kind, pos, buttons):
        ev = QMouseEvent(
            kind,
            QPointF(pos),
            QPointF(vp.mapToGlobal(pos)),
            Qt.MouseButton.LeftButton,
            buttons,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(vp, ev)

    left = Qt.MouseButton.LeftButton
    mouse(QEvent.Type.MouseButtonPress, QPoint(400, 300), left)
    for x in (390, 370, 340, 300):
        mouse(QEvent.Type.MouseMove, QPoint(x, 300), left)
    mouse(QEvent.Type.MouseButtonRelease, QPoint(300, 300), Qt.MouseButton.NoButton)
    assert canvas.center()[0] == pytest.approx(start[0] + 100 * canvas.resolution(), abs=2)
    assert clicks == []
    pos = QPoint(250, 200)
    expected = canvas.xy_at(pos)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=pos)
    assert len(clicks) == 1
    assert clicks[0] == pytest.approx(expected, abs=1e-6)


def test_cursor_moved_signal(canvas, qtbot):
    got = []
    canvas.cursor_moved.connect(lambda lon, lat: got.append((lon, lat)))
    pos = canvas.scene_to_view(canvas.to_scene(X0, Y0)).toPoint()
    qtbot.mouseMove(canvas.viewport(), pos)
    assert got
    assert got[-1] == pytest.approx((LON0, LAT0), abs=2e-5)


def test_zoom_to_fit_shows_all_layers(canvas):
    canvas.set_level(-6)
    canvas.center_on(X0 + 5000, Y0)
    canvas.zoom_to_fit()
    minx, miny, maxx, maxy = canvas.data_bounds()
    vp = canvas.viewport()
    for x, y in ((minx, miny), (maxx, maxy), (minx, maxy), (maxx, miny)):
        p = canvas.scene_to_view(canvas.to_scene(x, y))
        assert 0 <= p.x() <= vp.width() and 0 <= p.y() <= vp.height()
    # and it is not zoomed out needlessly: one level closer no longer fits
    width_px = (maxx - minx) / canvas.resolution()
    height_px = (maxy - miny) / canvas.resolution()
    assert max(width_px / vp.width(), height_px / vp.height()) > 0.5


def test_zoom_to_geometry_and_rect(canvas):
    canvas.zoom_to_geometry((X0 - 20, Y0 - 20, X0 + 20, Y0 + 20), min_size_m=40)
    assert canvas.resolution() < 0.2
    assert math.dist(canvas.center(), (X0, Y0)) < 2 * canvas.resolution() + 1e-9
    canvas.zoom_to_geometry(shapely.box(X0 - 2000, Y0 - 1000, X0 + 2000, Y0 + 1000))
    assert 4000 / canvas.resolution() <= canvas.viewport().width()


def test_layer_visibility_and_opacity_change_pixels(canvas):
    street = pixel_at(canvas, -300, 0)  # middle of Main Street, away from other things
    primary = st.STREET_STYLE_BY_KEY["primary"]
    assert same(street, primary.fill)
    canvas.set_layer_visible("streets", False)
    assert same(pixel_at(canvas, -300, 0), st.BACKGROUND)
    canvas.set_layer_visible("streets", True)
    canvas.set_layer_opacity("streets", 0.5)
    half = pixel_at(canvas, -300, 0)
    for a, b, m in zip(
        primary.fill.getRgb()[:3], st.BACKGROUND.getRgb()[:3], half.getRgb()[:3], strict=True
    ):
        assert m == pytest.approx((a + b) / 2, abs=6)

    assert same(pixel_at(canvas, -105, 100), st.BUILDING_FILL)
    canvas.set_layer_visible("buildings", False)
    assert same(pixel_at(canvas, -105, 100), st.BACKGROUND)
    info = canvas.layer_info("buildings")
    assert info.visible is False and info.features == 2
    with pytest.raises(KeyError):
        canvas.set_layer_visible("nope", True)


def test_site_symbol_drawn_in_category_colour(canvas):
    # the abortion provider's square is teal around its centre (the cross is white)
    c = pixel_at(canvas, 300 - 5, 200 + 5)
    assert same(c, st.CATEGORY_STYLES["abortion_provider"].color, tol=20)
    canvas.set_layer_visible("sites", False)
    assert same(pixel_at(canvas, 300 - 5, 200 + 5), st.BACKGROUND)


def test_legend_for_every_layer(canvas):
    assert canvas.layer_ids()[0] == "sites"
    for lid in canvas.layer_ids():
        entries = canvas.legend(lid)
        assert entries and all(not e.pixmap.isNull() and e.label for e in entries)
    labels = [e.label for e in canvas.legend("sites")]
    assert "Place of worship" in labels and "Embassy" in labels


@pytest.mark.parametrize("res", [0.05, 0.3, 1.0, 1.41, 7.3, 16.0, 90.0, 1000.0])
@pytest.mark.parametrize("units", ["m", "ft"])
def test_scale_bar_is_round(res, units):
    bar = scale_bar(res, units=units)
    mantissa = bar.value / 10 ** math.floor(math.log10(bar.value))
    assert (
        mantissa == pytest.approx(1) or mantissa == pytest.approx(2) or mantissa == pytest.approx(5)
    )
    assert 48 <= bar.pixels <= 120
    assert bar.unit in (("m", "km") if units == "m" else ("ft", "mi"))


def test_nice_number():
    assert [nice_number(x) for x in (0.7, 1, 3, 7.5, 19, 450)] == [0.5, 1, 2, 5, 10, 200]


def test_canvas_scale_bar_follows_zoom_and_units(canvas):
    canvas.set_level(0)
    assert canvas.scale_bar().label == "100 m"
    canvas.units = "ft"
    assert canvas.scale_bar().label == "200 ft"
    with pytest.raises(ValueError, match="units"):
        canvas.units = "yards"


def test_tiles_are_cached(canvas):
    canvas.set_synchronous(False)
    canvas.clear_tile_cache()
    canvas.viewport().repaint()
    assert canvas.wait_for_tiles(20000)
    first = canvas.tiles_rendered
    assert first > 0
    grab(canvas)
    grab(canvas)
    assert canvas.tiles_rendered == first
    # a change of style renders again, showing the old tiles meanwhile
    canvas.set_layer_opacity("buildings", 0.4)
    grab(canvas)
    assert canvas.wait_for_tiles(20000)
    assert canvas.tiles_rendered > first


def test_tiles_render_off_thread_without_blocking(canvas):
    canvas.set_synchronous(False)
    canvas.set_level(-4)
    t0 = time.perf_counter()
    canvas.viewport().repaint()
    paint_ms = (time.perf_counter() - t0) * 1000
    assert canvas.pending_tiles() > 0  # tiles were queued, not drawn in the paint
    assert paint_ms < 200
    assert canvas.wait_for_tiles(20000)
    assert canvas.pending_tiles() == 0


def test_attribution_only_with_osm_layers(qtbot, buildings, streets):
    c = MapCanvas(projector=PROJ)
    qtbot.addWidget(c)
    c.resize(600, 400)
    c.set_synchronous(True)
    c.set_buildings(buildings)  # city footprints, not OSM
    c.show()
    c.zoom_to_fit()
    w, h = c.viewport().width(), c.viewport().height()
    assert not c.attribution_shown()
    c.set_streets(streets)  # OSM-derived
    assert c.attribution_shown()
    shown = grab(c)
    c.set_attribution(None)
    assert not c.attribution_shown()
    hidden = grab(c)

    def differing(x0, y0, x1, y1):
        return sum(
            shown.pixel(x, y) != hidden.pixel(x, y) for x in range(x0, x1) for y in range(y0, y1)
        )

    # the attribution changes the bottom-right corner only
    assert differing(w - 150, h - 18, w, h) > 200
    assert differing(0, 0, w, h - 20) == 0
    c.set_attribution("© OpenStreetMap contributors")
    c.set_layer_visible("streets", False)
    c.set_layer_visible("street_names", False)
    assert not c.attribution_shown()
    c.set_layer_visible("streets", True)
    assert c.attribution_shown()


@pytest.mark.realdata
def test_real_downtown_buildings_render(qtbot, shared_data):
    import pyogrio

    gdf = pyogrio.read_dataframe(
        shared_data / "sj_buildings_downtown.gpkg", layer="buildings", columns=[]
    )
    c = MapCanvas(projector=PROJ)
    qtbot.addWidget(c)
    c.resize(1000, 700)
    t0 = time.perf_counter()
    c.set_buildings(gdf)
    prep_s = time.perf_counter() - t0
    c.show()
    c.zoom_to_fit()
    assert c.wait_for_tiles(60000)
    c.set_level(2)  # 2 m per pixel: buildings drawn
    c.center_on(X0, Y0)
    t0 = time.perf_counter()
    assert c.wait_for_tiles(60000)
    render_s = time.perf_counter() - t0
    img = grab(c)
    grey = sum(
        same(img.pixelColor(x, y), st.BUILDING_FILL, tol=8)
        for x in range(0, img.width(), 10)
        for y in range(0, img.height(), 10)
    )
    assert grey > 100  # downtown is full of buildings
    assert prep_s < 10 and render_s < 30
