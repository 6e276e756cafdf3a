"""Every label of the map (camera labels, site names, "? unverified" tags, district and
street names) is placed apart from every other and from every symbol (offscreen).

The scene: an unverified clinic with a camera right under it (where its tag used to
go) and one right of it (where its name goes), a ring of cameras 384 m apart around
it, two council districts meeting at the clinic and a named street. At street zoom
there is room for everything near the clinic; at city zoom the cameras crowd the
clinic and the tag must give way.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from PySide6.QtCore import QPointF, QRectF

from planner.app.map.canvas import MapCanvas
from planner.app.map.canvas.labels import PRIORITY, LabelRequest, place_labels
from planner.app.map.canvas.render import site_symbol_px
from planner.app.siting.camera_items import CameraItem
from planner.app.siting.camera_style import SYMBOL_MAX_RES
from planner.app.siting.document import DataContext, PlanDocument
from planner.app.siting.map_labels import connect_map_labels
from planner.app.siting.site_marks import TAG_TEXT, UnverifiedMarks
from planner.app.siting.siting_controller import SitingController
from planner.core.crs import Projector
from planner.core.model import Camera, CameraStatus, Plan, Site

LON0, LAT0 = -121.886, 37.336
PROJ = Projector.for_points([(LON0, LAT0)])
X0, Y0 = PROJ.point(LON0, LAT0)
SPACING_M = 384.0  # 12 px at city zoom (32 m per pixel), 384 px at street zoom
STREET_LEVEL, CITY_LEVEL = 0, 10  # 1 m and 32 m per pixel


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    return PROJ.lonlat(X0 + dx, Y0 + dy)


def camera(cid: str, dx: float, dy: float, heading: float, **kw: object) -> Camera:
    lon, lat = lonlat(dx, dy)
    return Camera(id=cid, lon=lon, lat=lat, heading_deg=heading, fov_deg=60.0, range_m=30.0, **kw)


def cameras() -> list[Camera]:
    # right under the clinic (where its tag goes first) and right of it (its name)
    out = [
        camera("UNDER", 0.0, -22.0, 180.0, label="Camera under the clinic"),
        camera("RIGHT", 70.0, 0.0, 90.0, label="Camera right of it"),
    ]
    for i in range(-4, 5):
        for j in range(-4, 5):
            if (i, j) != (0, 0):
                out.append(
                    camera(
                        f"G{i}{j}".replace("-", "m"),
                        i * SPACING_M,
                        j * SPACING_M,
                        0.0,
                        status=CameraStatus.EXISTING,
                    )
                )
    return out


def clinic() -> Site:
    return Site(
        id="pp1",
        category="abortion_provider",
        geometry=shapely.Point(*lonlat(0.0, 0.0)),
        name="Test Clinic of the Valley",
        verified=False,
        source="test",
    )


def districts() -> gpd.GeoDataFrame:
    def sq(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
        return shapely.Polygon([lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1)])

    kind = "sj_council_districts_2016"
    return gpd.GeoDataFrame(
        {"name": ["3", "4"], "kind": [kind, kind]},
        geometry=[sq(-4000, -4000, 0, 4000), sq(0, -4000, 4000, 4000)],
        crs=4326,
    )


def streets() -> gpd.GeoDataFrame:
    line = shapely.LineString([lonlat(-600, -45), lonlat(600, -45)])
    return gpd.GeoDataFrame(
        {"highway": ["primary"], "name": ["Santa Clara Street"]}, geometry=[line], crs=4326
    )


@pytest.fixture
def scene(qtbot):
    canvas = MapCanvas(projector=PROJ)
    qtbot.addWidget(canvas)
    canvas.resize(800, 600)
    doc = PlanDocument()
    site = clinic()
    doc.set_data(DataContext(checker=None, projector=PROJ, sites=[site]))
    doc.load_plan(Plan(cameras=cameras()), None, check=False)
    controller = SitingController(doc, canvas.scene())
    marks = UnverifiedMarks(doc, canvas.scene())
    canvas.scale_changed.connect(controller.set_resolution)
    connect_map_labels(canvas, controller=controller, marks=marks)
    canvas.set_sites([site])
    canvas.set_boundaries(districts())
    canvas.set_streets(streets())
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_synchronous(True)
    return canvas, controller, marks


def show(canvas: MapCanvas, controller: SitingController, level: int) -> None:
    canvas.set_level(level)
    controller.set_resolution(canvas.resolution())
    canvas.center_on(X0, Y0)
    canvas.viewport().repaint()


def symbol_boxes(canvas: MapCanvas, controller: SitingController) -> dict[str, QRectF]:
    """Where the symbols are drawn (view pixels), computed here from the positions."""
    res = canvas.resolution()
    # the body (9 px half side, a diamond 11) and its outline; a dot of 4 px at city zoom
    half = CameraItem.SIZE + 2.5 if res <= SYMBOL_MAX_RES else 5.0
    out = {}
    for cid, body in controller.bodies.items():
        p = canvas.scene_to_view(body.pos())
        out[cid] = QRectF(p.x() - half, p.y() - half, 2 * half, 2 * half)
    p = canvas.scene_to_view(canvas.to_scene(X0, Y0))
    s = site_symbol_px(res) / 2
    out["site pp1"] = QRectF(p.x() - s, p.y() - s, 2 * s, 2 * s)
    return out


def assert_apart(canvas: MapCanvas, controller: SitingController) -> list[tuple[str, QRectF]]:
    labels = canvas.labels_drawn + canvas.street_labels_drawn
    view = QRectF(canvas.viewport().rect())
    symbols = symbol_boxes(canvas, controller)
    for i, (text, box) in enumerate(labels):
        assert view.contains(box), f"{text!r} is cut by the view's edge"
        for other, obox in labels[i + 1 :]:
            assert not box.intersects(obox), f"{text!r} overlaps {other!r}"
        for name, sbox in symbols.items():
            if view.intersects(sbox):
                assert not box.intersects(sbox), f"{text!r} is drawn over {name}"
    return labels


def test_street_zoom_labels_keep_apart_and_the_tag_moves_off_the_camera(scene):
    canvas, controller, _marks = scene
    show(canvas, controller, STREET_LEVEL)
    labels = assert_apart(canvas, controller)
    texts = [t for t, _b in labels]
    # there is room for all of them near the clinic: nothing hidden needlessly
    for text in (
        TAG_TEXT,
        "Test Clinic of the Valley",
        "Camera under the clinic",
        "Camera right of it",
        "Santa Clara Street",
    ):
        assert text in texts
    # the tag's tooltip says what to confirm
    tag = next(lab for lab in canvas.drawn_labels if lab.text == TAG_TEXT)
    hit = canvas.label_at(tag.box.center())
    assert hit is not None and "confirm that" in hit.tooltip
    # the camera symbols are the obstacles the labels were placed around
    centres = {(round(b.center().x()), round(b.center().y())) for b in canvas.label_obstacles()}
    under = canvas.scene_to_view(controller.bodies["UNDER"].pos())
    assert (round(under.x()), round(under.y())) in centres


def test_city_zoom_hides_the_tag_rather_than_cover_a_camera(scene):
    canvas, controller, marks = scene
    show(canvas, controller, CITY_LEVEL)
    labels = assert_apart(canvas, controller)
    texts = [t for t, _b in labels]
    # cameras 12 px apart all around the clinic: no room for its tag at this zoom...
    assert TAG_TEXT not in texts
    # ...and the dashed outline still marks the site as unverified
    assert marks.items["pp1"].isVisible()
    # district names sit between the camera symbols where they can, never over them
    assert not any(t.startswith("Camera") for t in texts)  # no camera labels this far out


@pytest.mark.parametrize("level", [-2, 1, 3, 5, 7, 9, 12, 14])
def test_labels_keep_apart_at_every_zoom(scene, level):
    canvas, controller, _marks = scene
    show(canvas, controller, level)
    assert_apart(canvas, controller)


def test_selected_camera_is_labelled_at_city_zoom_and_wins(scene):
    canvas, controller, _marks = scene
    controller.select(["G44"])  # the corner of the ring: room on its right
    show(canvas, controller, CITY_LEVEL)
    assert_apart(canvas, controller)
    assert "G44" in [t for t, _b in canvas.labels_drawn]


def test_a_dragged_camera_moves_the_labels_with_it(scene):
    canvas, controller, _marks = scene
    show(canvas, controller, STREET_LEVEL)
    name_box = dict(canvas.labels_drawn)["Test Clinic of the Valley"]
    # drag the camera right of the clinic onto the clinic's name: the name must move
    body = controller.bodies["RIGHT"]
    controller.select(["RIGHT"])
    assert controller.begin_drag(body.pos())
    controller.drag_to(canvas.view_to_scene(name_box.center()))
    canvas.viewport().repaint()
    assert name_box.contains(canvas.scene_to_view(body.pos()))
    labels = dict(assert_apart(canvas, controller))
    assert labels.get("Test Clinic of the Valley") != name_box
    assert "Camera right of it" in labels  # the selection is labelled first


def test_priorities_put_sites_and_cameras_before_tags_and_districts():
    order = ["selected", "site", "camera", "unverified", "street", "district"]
    assert [PRIORITY[k] for k in order] == sorted(PRIORITY.values(), reverse=True)
    # one free spot right of a symbol: the higher priority takes it, the other is dropped
    view = QRectF(0, 0, 200, 40)
    at = QPointF(10, 20)
    reqs = [
        LabelRequest("tag", at, (80, 14), priority=PRIORITY["unverified"], radius=5),
        LabelRequest("Clinic", at, (80, 14), priority=PRIORITY["site"], radius=5),
    ]
    placed = place_labels(reqs, view=view, occupied=[QRectF(0, 0, 18, 40)])
    assert [reqs[i].text for i, _b in placed] == ["Clinic"]


def test_labels_give_way_to_the_search_pin(scene):
    from planner.app.tools.search import SearchHit, SearchMarker

    canvas, controller, _marks = scene
    show(canvas, controller, STREET_LEVEL)
    name = dict(canvas.labels_drawn)["Test Clinic of the Valley"]
    # a search result pinned just left of the clinic's name: its pin covers where the
    # clinic's name was
    marker = SearchMarker(canvas)
    at = canvas.view_to_scene(QPointF(name.left() + 4, name.bottom() + 20))
    marker.set(SearchHit("address", "1 Test Street", *lonlat(0, 0)), (at.x(), at.y()))
    canvas.viewport().repaint()
    pin = [marker._pin_box(canvas.scene_to_view(at))]
    assert pin[0].intersects(name)  # the old spot is taken
    # the pin's own name goes where no label is (never pushing one away)
    pin += [marker.name_box] if marker.name_box is not None else []
    labels = assert_apart(canvas, controller)
    for text, box in labels:
        assert not any(box.intersects(p) for p in pin), f"{text!r} is under the search pin"
