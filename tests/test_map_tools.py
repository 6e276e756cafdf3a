"""The GIS tools in the main window: find, identify, measure, legend, export, CSV
exchange, help and context menus (pytest-qt, offscreen)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from planner.app.tools.search import SearchIndex, parse_coordinates
from planner.core.model import Camera, CameraStatus
from planner.io.formats.exchange import (
    guess_mapping,
    read_camera_csv,
    read_csv_table,
    write_plan_csv,
    write_plan_gpkg,
    write_plan_kml,
)
from tests import app_support
from tests.app_support import LAT0, LON0, PROJ, X0, Y0, lonlat
from tests.test_map_import import ALUM_ROCK_BOX, small_city_gpkg

app_env = app_support.app_env
window = app_support.window


def view_pos(win, x: float, y: float) -> QPoint:
    return win.canvas.scene_to_view(QPointF(x, -y)).toPoint()


# ---------------------------------------------------------------------------- find
def test_coordinates_in_either_order():
    assert parse_coordinates("37.3366, -121.8270") == (-121.8270, 37.3366)
    assert parse_coordinates("-121.8270 37.3366") == (-121.8270, 37.3366)
    assert parse_coordinates("3131 Alum Rock") is None
    assert parse_coordinates("200, 300") is None


def test_search_ranks_by_word_prefixes_in_any_order():
    from planner.app.tools.search import SearchHit

    idx = SearchIndex(
        [
            SearchHit("address", "3131 Alum Rock Avenue", -121.8274, 37.3665),
            SearchHit("address", "31 Alum Street", -121.0, 37.0),
            SearchHit("street", "Alum Rock Avenue", -121.83, 37.36),
            SearchHit("site", "Église Saint-Joseph", -121.89, 37.33),
        ]
    )
    assert idx.search("3131 Alum Rock")[0].text == "3131 Alum Rock Avenue"
    assert idx.search("alum rock 3131")[0].text == "3131 Alum Rock Avenue"
    assert [h.kind for h in idx.search("alum rock")][:1] == ["street"]
    assert idx.search("eglise jos")[0].kind == "site"  # accents and case aside
    assert idx.search("37.3366, -121.8270")[0].kind == "coordinates"
    cams = [
        Camera(
            id="C-9",
            lon=-121.9,
            lat=37.3,
            heading_deg=0.0,
            fov_deg=40,
            range_m=50,
            label="Market St north",
        )
    ]
    assert idx.search("market", cameras=cams)[0].ref == "C-9"


@pytest.fixture(scope="module")
def alum_rock_pack(tmp_path_factory, shared_data):
    from planner.io.datapack.importer import run_import

    tmp = tmp_path_factory.mktemp("alum")
    gpkg = small_city_gpkg(shared_data, tmp / "city.gpkg")
    run_import(
        [],
        tmp / "pack.gpkg",
        bbox=ALUM_ROCK_BOX,
        site_layers=[str(shared_data / "sj_sensitive_sites.geojson")],
        building_layers=[gpkg],
    )
    return tmp / "pack.gpkg"


@pytest.mark.realdata
def test_search_finds_planned_parenthood_eastside_and_zooms_to_it(window, alum_rock_pack, qtbot):
    win = window
    win.load(plan_path=None, pack=alum_rock_pack, wait=True)
    gis = win.gis
    gis.search.set_data(
        sites=win.doc.data.sites, streets=win.doc.data.streets, pack=alum_rock_pack, wait=True
    )
    qtbot.waitUntil(lambda: len(gis.search.index) > 100, timeout=5000)
    win.actions_by_name["find"].trigger()
    assert gis.search_box.hasFocus()
    qtbot.keyClicks(gis.search_box, "3131 Alum Rock")
    qtbot.waitUntil(lambda: bool(gis.search_box.hits), timeout=3000)
    texts = [h.text for h in gis.search_box.hits]
    assert texts[0] == "3131 Alum Rock Avenue"  # the city's address point
    assert any("Planned Parenthood Eastside" in t for t in texts)  # and the clinic's address
    qtbot.keyClick(gis.search_box, Qt.Key.Key_Return)
    proj = win.doc.projector
    x, y = proj.point(-121.8274, 37.36651)
    cx, cy = win.canvas.center()
    assert math.hypot(cx - x, cy - y) < 3 * win.canvas.resolution() + 1
    assert win.canvas.resolution() < 2.0  # street zoom
    assert gis.marker.hit is not None and gis.marker.hit.text == "3131 Alum Rock Avenue"


def test_typed_coordinates_and_camera_ids_are_found(window):
    gis = window.gis
    lon, lat = lonlat(X0 + 100, Y0 + 50)
    gis.search_box.setText(f"{lat:.6f}, {lon:.6f}")
    gis.search_box.go()
    cx, cy = window.canvas.center()
    assert math.hypot(cx - (X0 + 100), cy - (Y0 + 50)) < 2 * window.canvas.resolution() + 0.5
    gis.search_box.setText("C-1")
    gis.search_box.go()
    assert window.controller.selected_ids() == ["C-1"]


# ---------------------------------------------------------------------------- identify
def test_identify_shows_a_sites_attributes(window, qtbot):
    win = window
    win.actions_by_name["identify"].trigger()
    assert win.gis.tool == "identify"
    # click the middle of the church footprint (40 m north of the street)
    pos = view_pos(win, X0, Y0 + 40)
    qtbot.mouseClick(win.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    text = win.gis.identify_panel.attribute_text()
    assert "Protected site: Test Church" in text
    assert "category: Place of worship" in text
    assert "id: w1" in text and "entrances: 1" in text
    # the click identified; it did not add, move or select anything
    assert win.doc.undo_stack.count() == 0
    # a camera is identified with its check result
    found = win.gis.identify(X0 + 200, Y0)
    cam = next(f for f in found if f.layer == "Camera")
    assert cam.attributes["id"] == "C-1" and cam.attributes["check"] == "clear"
    qtbot.keyClick(win.canvas, Qt.Key.Key_Escape)
    assert win.gis.tool is None


# ---------------------------------------------------------------------------- measure
def test_measure_gives_the_hand_computed_distance_and_bearing(window, qtbot):
    win = window
    win.actions_by_name["measure"].trigger()
    tool = win.gis.measure
    # 300 m east and 400 m north: 500 m at bearing atan2(300, 400) = 36.87°
    tool.click(X0, Y0)
    text = tool.click(X0 + 300.0, Y0 + 400.0)
    assert text == "Distance 500 m, bearing 36.9°"
    from planner.app.common import units

    units.set_units("feet")
    try:
        # then 400 m due south: 900 m = 2,952.8 ft in all, the last leg 1,312.3 ft at 180°
        assert tool.click(X0 + 300.0, Y0) == (
            "Total 2,953 ft over 2 legs; last leg 1,312 ft, bearing 180.0°"
        )
    finally:
        units.set_units("metres")
    tool.finish()
    # with the mouse: two clicks on the view measure the distance between them
    tool.clear()
    a, b = QPoint(100, 300), QPoint(400, 300)
    qtbot.mouseClick(win.canvas.viewport(), Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseClick(win.canvas.viewport(), Qt.MouseButton.LeftButton, pos=b)
    assert len(tool.points) == 2
    d = math.dist(tool.points[0], tool.points[1])
    assert d == pytest.approx(300 * win.canvas.resolution(), rel=1e-6)
    assert win.doc.undo_stack.count() == 0


def test_measure_leg_bearings():
    from planner.app.tools.measure import leg

    assert leg((0, 0), (0, 10)) == (10.0, 0.0)
    assert leg((0, 0), (10, 0))[1] == 90.0
    assert leg((0, 0), (0, -10))[1] == 180.0
    assert leg((0, 0), (-10, 0))[1] == 270.0


# ---------------------------------------------------------------------------- legend
def test_legend_lists_every_symbol(window):
    labels = window.gis.legend_panel.labels()
    for wanted in (
        "Place of worship",
        "Abortion provider",
        "Consulate",
        "Embassy",
        "Proposed camera",
        "Existing camera",
        "Camera: Blocked (✕)",
        "Camera: Warning (!)",
        "Camera: Clear (✓)",
        "Capture zone (block)",
        "Allowed headings (H)",
        "City limits",
        "Council district",
        "Building",
    ):
        assert any(wanted in label for label in labels), wanted
    cones = [label for label in labels if label.startswith("Cone:")]
    # never colour alone: each cone status names its pattern
    assert any("cross-hatched" in c for c in cones) and any("diagonal" in c for c in cones)


# ---------------------------------------------------------------------------- export
def test_export_view_png_and_pdf(window, tmp_path):
    from planner.app.tools.export import export_view

    png = export_view(window.canvas, tmp_path / "map.png", title="Test map", size=(1200, 800))
    image = QImage(str(png))
    assert image.width() == 1200 and image.height() == 800
    pdf = export_view(window.canvas, tmp_path / "map.pdf", title="Test map")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    with pytest.raises(ValueError, match=r"png or \.pdf"):
        export_view(window.canvas, tmp_path / "map.jpg", title="x")


def cameras_for_round_trip() -> list[Camera]:
    return [
        Camera(
            id="A-1",
            lon=-121.88630000000001,
            lat=37.338200000000004,
            heading_deg=0.1 + 0.2,
            fov_deg=40.0,
            range_m=55.5,
            label='Market, north "gate"',
        ),
        Camera(
            id="A-2",
            lon=-121.9,
            lat=37.3,
            heading_deg=None,
            fov_deg=360.0,
            range_m=2000.0,
            status=CameraStatus.EXISTING,
            label="",
        ),
        Camera(
            id="Ü-3",
            lon=1e-9,
            lat=-0.0,
            heading_deg=359.99999999,
            fov_deg=1e-3,
            range_m=0.001,
            status=CameraStatus.APPROVED,
            label="émoji 📷",
        ),
    ]


def test_csv_round_trip_keeps_every_camera_exactly(tmp_path):
    cams = cameras_for_round_trip()
    write_plan_csv(tmp_path / "plan.csv", cams)
    table = read_csv_table(tmp_path / "plan.csv")
    mapping = guess_mapping(table.header)
    result = read_camera_csv(table, mapping)
    assert result.errors == []
    assert result.cameras == cams  # every field, every bit of every float


def test_plan_gpkg_and_kml_hold_every_camera(tmp_path):
    import pyogrio

    cams = cameras_for_round_trip()
    write_plan_gpkg(tmp_path / "plan.gpkg", cams)
    frame = pyogrio.read_dataframe(tmp_path / "plan.gpkg", layer="cameras")
    assert list(frame["id"]) == [c.id for c in cams]
    assert frame.geometry.iloc[0].x == cams[0].lon
    write_plan_kml(tmp_path / "plan.kml", cams)
    kml = (tmp_path / "plan.kml").read_text()
    assert kml.count("<Placemark>") == 2 * len(cams)
    assert "&quot;gate&quot;" in kml or '"gate"' in kml


def test_csv_with_a_bad_row_reports_its_row_number(window, tmp_path):
    lon, lat = LON0, LAT0
    (tmp_path / "inv.csv").write_text(
        "Camera ID,Longitude,Latitude,Direction,FOV,Range,Where\n"
        f"N-1,{lon},{lat},90,40,50,Corner A\n"
        f"N-2,{lon},{lat},90,400,50,Corner B\n"
        f"N-3,{lon},{lat},,40,50,Corner C\n"
        f"N-1,{lon},{lat},10,40,50,again\n"
        f"N-5,abc,{lat},10,40,50,bad lon\n",
        encoding="utf-8",
    )
    table = read_csv_table(tmp_path / "inv.csv")
    mapping = guess_mapping(table.header)
    assert mapping["id"] == "Camera ID" and mapping["heading_deg"] == "Direction"
    mapping["label"] = "Where"
    n0 = len(window.doc.plan.cameras)
    result = window.gis.import_csv(table, mapping)
    assert [c.id for c in result.cameras] == ["N-1", "N-3"]
    assert result.errors == [
        (3, "fov_deg must be in (0, 360], got 400"),
        (5, "id 'N-1' repeats row 2"),
        (6, "lon must be a number, got 'abc'"),
    ]
    assert "row 3: fov_deg must be in (0, 360], got 400" in result.report()
    assert result.rows == 5 == len(result.cameras) + len(result.errors)  # none silently lost
    assert len(window.doc.plan.cameras) == n0 + 2
    assert window.doc.any_camera("N-3").heading_deg is None
    window.doc.undo_stack.undo()  # one import, one undo step
    assert len(window.doc.plan.cameras) == n0


# ---------------------------------------------------------------------------- help, menus
def test_about_and_shortcuts(window):
    from planner.app.shell.about import about_html, shortcut_rows

    text = about_html(
        policy=window.policy, pack="sanjose.gpkg", attribution=window.canvas.attribution_text()
    )
    import planner

    assert planner.__version__ in text and window.policy.id in text
    assert "sanjose.gpkg" in text and "© OpenStreetMap contributors" in text
    assert "MIT" in text and "LGPL" in text
    rows = dict((b, a) for a, b in shortcut_rows(window.actions()))
    assert rows["Find"] == "Ctrl+F"
    assert rows["Keyboard shortcuts"] == "F1"
    assert rows["Measure distance and bearing"] == "M"


def test_context_menu_on_a_camera_uses_the_window_actions(window):
    win = window
    win.zoom_to_selection()
    cam = win.doc.any_camera("C-1")
    x, y = PROJ.point(cam.lon, cam.lat)
    win.canvas.set_level(0)
    win.canvas.center_on(x, y)
    menu = win.gis.build_context_menu(view_pos(win, x, y))
    assert menu is not None
    texts = [a.text().replace("&", "") for a in menu.actions() if a.text()]
    assert texts == [
        "Camera properties…",
        "Rotate to nearest allowed heading",
        "Delete camera",
        "Identify",
    ]
    delete = next(a for a in menu.actions() if a.text() == "&Delete camera")
    delete.trigger()
    assert not win.doc.has_camera("C-1")
    assert win.doc.undo_stack.count() == 1  # the window's Delete command, one undo step
    win.doc.undo_stack.undo()
    assert win.doc.has_camera("C-1")


def test_context_menu_on_a_site_identifies_and_zooms(window):
    win = window
    win.canvas.set_level(0)
    win.canvas.center_on(X0, Y0 + 40)
    site_xy = win.canvas.site_info(0)
    assert site_xy["name"] == "Test Church"
    pos = win.canvas.scene_to_view(QPointF(*win.canvas._state.sites.xy[0])).toPoint()
    menu = win.gis.build_context_menu(pos)
    assert menu is not None
    texts = [a.text().replace("&", "") for a in menu.actions()]
    assert texts == ["Identify site", "Zoom to site"]
    menu.actions()[0].trigger()
    assert "Test Church" in win.gis.identify_panel.attribute_text()
    assert win.gis.build_context_menu(QPoint(5, 5)) is None  # nothing there, no menu


def test_export_plan_writes_the_format_of_the_suffix(window, tmp_path):
    out = window.gis.export_plan(tmp_path / "p.csv")
    assert out.read_text().splitlines()[0] == (
        "id,lon,lat,heading_deg,fov_deg,range_m,status,label,check,findings"
    )
    assert window.gis.export_plan(tmp_path / "p.kml").read_text().startswith("<?xml")
    assert Path(window.gis.export_plan(tmp_path / "p.gpkg")).stat().st_size > 0


def test_preview_shows_cameras_sites_and_boundaries_before_the_full_load(window, tmp_path, qtbot):
    import json

    from planner.io.datapack.importer import run_import

    lon, lat = lonlat(X0, Y0 + 40)
    sites = tmp_path / "sites.geojson"
    sites.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": "p1",
                        "geometry": {"type": "Point", "coordinates": [lon, lat]},
                        "properties": {"category": "place_of_worship", "name": "Preview Church"},
                    }
                ],
            }
        )
    )
    w, s = lonlat(X0 - 500, Y0 - 500)
    e, n = lonlat(X0 + 500, Y0 + 500)
    districts = tmp_path / "districts.geojson"
    districts.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
                        },
                        "properties": {"DISTRICT": "7"},
                    }
                ],
            }
        )
    )
    pack = tmp_path / "p.gpkg"
    run_import(
        [],
        pack,
        site_layers=[str(sites)],
        boundary_layers=[f"{districts}:kind=council_district,name=DISTRICT"],
    )
    win = window
    win.doc.set_data(None)
    cam = Camera(id="P-1", lon=LON0, lat=LAT0, heading_deg=90.0, fov_deg=40, range_m=40)
    win.gis.preview(pack=pack, cameras=[cam])
    qtbot.waitUntil(lambda: bool(win.gis.preview_cameras.xy), timeout=10_000)
    assert win.canvas.layer_info("sites").features == 1
    assert win.canvas.layer_info("boundaries").features == 1
    assert win.canvas.boundary_layer.labels == ("District 7",)
    assert len(win.gis.preview_cameras.xy) == 1
    # the full load replaces the preview
    win.install_data(app_support.make_data(win.policy))
    assert win.gis.preview_cameras.xy == []


def test_csv_mapping_dialog_guesses_and_returns_the_mapping(qtbot, tmp_path):
    from planner.app.tools.csv_import import CsvMappingDialog

    (tmp_path / "inv.csv").write_text(
        "Asset ID;Lat;Lng;Bearing;Notes\nA;37.3;-121.9;10;x\n", encoding="utf-8"
    )
    table = read_csv_table(tmp_path / "inv.csv")
    assert table.header == ["Asset ID", "Lat", "Lng", "Bearing", "Notes"]  # ';' sniffed
    dialog = CsvMappingDialog(table)
    qtbot.addWidget(dialog)
    mapping = dialog.mapping()
    assert mapping["id"] == "Asset ID" and mapping["lon"] == "Lng" and mapping["lat"] == "Lat"
    assert mapping["heading_deg"] == "Bearing" and mapping["fov_deg"] is None
    dialog.combos["label"].setCurrentText("Notes")
    assert dialog.mapping()["label"] == "Notes"
    result = read_camera_csv(table, dialog.mapping(), defaults={"fov_deg": 40, "range_m": 50})
    assert [c.id for c in result.cameras] == ["A"] and result.cameras[0].fov_deg == 40


def test_basemap_choice_is_remembered(window, tmp_path):
    from planner.app.map.basemap import BasemapSource

    src = BasemapSource("City tiles", "http://127.0.0.1:9/{z}/{x}/{y}.png", "© City")
    window.gis.set_basemap(src)
    assert window.canvas.basemap.source == src
    # credited once its tiles are drawn; here none can be (port 9 answers nothing)
    assert "Basemap: © City" not in window.canvas.attribution_text()
    window.gis.set_basemap(None, remember=False)
    window.gis._restore_basemap()
    assert window.canvas.basemap is not None and window.canvas.basemap.source.url == src.url
    window.gis.set_basemap(None)
    assert window.canvas.basemap is None
