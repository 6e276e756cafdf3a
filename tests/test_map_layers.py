"""Context layers of the map: basemap tiles (served from 127.0.0.1, MBTiles, PMTiles),
boundaries with district labels, site labels that never overlap or leave the view, and
site tooltips (offscreen)."""

from __future__ import annotations

import http.server
import sqlite3
import threading
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from planner.app.map.basemap import (
    USER_AGENT,
    BasemapLayer,
    BasemapSource,
    lonlat_to_tile,
    source_for_file,
    zoom_for,
)
from planner.app.map.canvas import MapCanvas
from planner.app.map.canvas import style as st
from planner.app.map.canvas.labels import LabelRequest, place_labels
from planner.core.crs import Projector
from planner.core.model import Site

LON0, LAT0 = -121.886, 37.336
PROJ = Projector.for_points([(LON0, LAT0)])
X0, Y0 = PROJ.point(LON0, LAT0)
RED = QColor(220, 20, 20)


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    return PROJ.lonlat(X0 + dx, Y0 + dy)


def png(colour: QColor) -> bytes:
    image = QImage(256, 256, QImage.Format.Format_RGB32)
    image.fill(colour)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return bytes(data.data())


class TileServer:
    """A tile server on 127.0.0.1 that answers every /z/x/y.png with a red tile."""

    def __init__(self) -> None:
        body = png(RED)
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("User-Agent", "")))
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def canvas(qtbot):
    c = MapCanvas(projector=PROJ)
    # a site near the origin gives the scene its extent (the view cannot leave the scene)
    c.set_sites(
        [Site(id="o", category="place_of_worship", geometry=shapely.Point(*lonlat(-180, -120)))]
    )
    qtbot.addWidget(c)
    c.resize(400, 300)
    c.show()
    qtbot.waitExposed(c)
    c.center_on(X0, Y0)
    c.set_level(2)
    return c


def wait_drawn(canvas: MapCanvas, layer: BasemapLayer, timeout: float = 10.0) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        canvas.viewport().repaint()
        QApplication.processEvents()
        _z, tiles = layer.tiles_for_view(canvas._view_corners_lonlat(), canvas.resolution())
        if tiles and all(layer.has(t) for t in tiles):
            canvas.viewport().repaint()
            return
        time.sleep(0.02)
    pytest.fail("basemap tiles did not arrive")


def centre_pixel(canvas: MapCanvas) -> QColor:
    image = canvas.viewport().grab().toImage()
    return image.pixelColor(image.width() // 2, image.height() // 2)


def is_red(c: QColor) -> bool:
    return c.red() > 180 and c.green() < 80 and c.blue() < 80


def test_tiles_come_from_127_0_0_1_and_keep_showing_when_the_server_stops(canvas, tmp_path):
    server = TileServer()
    try:
        layer = BasemapLayer(
            BasemapSource("test", server.url, "© Test tiles"), cache_dir=tmp_path / "cache"
        )
        statuses: list[str] = []
        layer.fetcher.status.connect(statuses.append)
        canvas.set_basemap(layer)
        wait_drawn(canvas, layer)
        assert is_red(centre_pixel(canvas))
        assert layer.drawn > 0
        assert server.requests, "no request reached the server"
        # a proper User-Agent, and only the tiles the view shows (no bulk prefetch)
        assert {ua for _p, ua in server.requests} == {USER_AGENT}
        _z, visible = layer.tiles_for_view(canvas._view_corners_lonlat(), canvas.resolution())
        assert len(server.requests) <= len(visible)
        assert "Basemap: © Test tiles" in canvas.attribution_text()
    finally:
        server.stop()
    # server gone: the tiles on screen stay, panning asks quietly and reports one line
    n = len(server.requests)
    canvas.pan_by(2000, 0)
    deadline = time.perf_counter() + 10
    while not statuses and time.perf_counter() < deadline:
        canvas.viewport().repaint()
        QApplication.processEvents()
        time.sleep(0.02)
    assert statuses and statuses[0].startswith("Basemap unavailable: ")
    assert "Errno" not in statuses[0]
    assert len(statuses) == 1  # one status line, however many tiles failed
    canvas.pan_by(-2000, 0)
    canvas.viewport().repaint()
    assert is_red(centre_pixel(canvas))
    assert len(server.requests) == n
    # a new session offline draws from the disk cache
    fresh = BasemapLayer(
        BasemapSource("test", server.url, "© Test tiles"), cache_dir=tmp_path / "cache"
    )
    canvas.set_basemap(fresh)
    wait_drawn(canvas, fresh)
    assert is_red(centre_pixel(canvas))
    canvas.set_basemap(None)


def test_hiding_the_basemap_brings_back_the_opaque_ground(canvas, tmp_path):
    server = TileServer()
    try:
        layer = BasemapLayer(BasemapSource("test", server.url, "x"), cache_dir=tmp_path)
        canvas.set_basemap(layer)
        wait_drawn(canvas, layer)
        assert is_red(centre_pixel(canvas))
        canvas.set_layer_visible("basemap", False)
        canvas.set_synchronous(True)
        canvas.viewport().repaint()
        assert centre_pixel(canvas) == st.BACKGROUND
    finally:
        server.stop()
        canvas.set_basemap(None)


def _tile_at_centre(z: int) -> tuple[int, int]:
    tx, ty = lonlat_to_tile(LON0, LAT0, z)
    return int(tx), int(ty)


def test_offline_basemap_from_mbtiles(canvas, tmp_path):
    z = zoom_for(canvas.resolution(), LAT0, lo=0, hi=19)
    path = tmp_path / "city.mbtiles"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    con.execute(
        "CREATE TABLE tiles (zoom_level INT, tile_column INT, tile_row INT, tile_data BLOB)"
    )
    con.executemany(
        "INSERT INTO metadata VALUES (?, ?)",
        [("attribution", "© City tiles"), ("minzoom", "0"), ("maxzoom", "19")],
    )
    tx, ty = _tile_at_centre(z)
    con.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, tx, (1 << z) - 1 - ty, png(RED)))
    con.commit()
    con.close()
    src = source_for_file(path)
    assert src.kind == "mbtiles" and src.attribution == "© City tiles"
    layer = BasemapLayer(src, cache_dir=tmp_path / "unused")
    canvas.set_basemap(layer)
    deadline = time.perf_counter() + 10
    while not layer.has((z, tx, ty)) and time.perf_counter() < deadline:
        canvas.viewport().repaint()
        QApplication.processEvents()
        time.sleep(0.02)
    canvas.viewport().repaint()
    assert is_red(centre_pixel(canvas))
    assert not (tmp_path / "unused").exists()  # a local file is never cached or fetched
    canvas.set_basemap(None)


def test_offline_basemap_from_pmtiles(canvas, tmp_path):
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import write

    z = zoom_for(canvas.resolution(), LAT0, lo=0, hi=19)
    tx, ty = _tile_at_centre(z)
    path = tmp_path / "city.pmtiles"
    e7 = 10_000_000
    with write(str(path)) as w:
        w.write_tile(zxy_to_tileid(z, tx, ty), png(RED))
        w.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_lon_e7": int(-122 * e7),
                "min_lat_e7": int(37 * e7),
                "max_lon_e7": int(-121 * e7),
                "max_lat_e7": int(38 * e7),
                "center_zoom": z,
                "center_lon_e7": int(LON0 * e7),
                "center_lat_e7": int(LAT0 * e7),
            },
            {"attribution": "© PM tiles"},
        )
    layer = BasemapLayer(source_for_file(path), cache_dir=tmp_path / "unused")
    canvas.set_basemap(layer)
    deadline = time.perf_counter() + 10
    while not layer.has((z, tx, ty)) and time.perf_counter() < deadline:
        canvas.viewport().repaint()
        QApplication.processEvents()
        time.sleep(0.02)
    canvas.viewport().repaint()
    assert is_red(centre_pixel(canvas))
    canvas.set_basemap(None)


def test_a_bad_offline_file_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "x.mbtiles"
    bad.write_bytes(b"not sqlite at all" * 10)
    with pytest.raises(ValueError, match=r"x\.mbtiles"):
        source_for_file(bad)
    with pytest.raises(ValueError, match=r"mbtiles or \.pmtiles"):
        source_for_file(tmp_path / "x.png")


# ---------------------------------------------------------------------------- boundaries
def districts() -> gpd.GeoDataFrame:
    def sq(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
        return shapely.Polygon([lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1)])

    return gpd.GeoDataFrame(
        {
            "name": ["San Jose", "3", "4"],
            "kind": [
                "sj_city_limits_2016",
                "sj_council_districts_2016",
                "sj_council_districts_2016",
            ],
        },
        geometry=[
            sq(-3000, -3000, 3000, 3000),
            sq(-3000, -3000, 0, 3000),
            sq(0, -3000, 3000, 3000),
        ],
        crs=4326,
    )


def test_boundaries_are_drawn_and_districts_labelled(canvas):
    canvas.set_boundaries(districts())
    assert canvas.layer_info("boundaries").features == 3
    canvas.set_synchronous(True)
    canvas.set_level(6)  # 8 m per pixel: each district fills half the view
    canvas.center_on(X0, Y0)
    canvas.viewport().repaint()
    texts = [t for t, _box in canvas.labels_drawn]
    assert "District 3" in texts and "District 4" in texts
    assert "San Jose" not in texts  # city limits are drawn, not labelled
    # the dividing line x = 0 is drawn in the district colour (dash-dot) at the centre column
    image = canvas.viewport().grab().toImage()
    cx = round(canvas.scene_to_view(QPointF(X0, -Y0)).x())
    column = [image.pixelColor(cx + dx, y) for y in range(image.height()) for dx in (-1, 0, 1)]
    assert any(
        abs(c.red() - st.DISTRICT_LINE.red()) < 40
        and abs(c.blue() - st.DISTRICT_LINE.blue()) < 40
        and abs(c.green() - st.DISTRICT_LINE.green()) < 40
        for c in column
    )
    # identify the boundary layer by name in the legend
    assert [e.label for e in canvas.legend("boundaries")] == ["City limits", "Council district"]


# ---------------------------------------------------------------------------- labels
def test_place_labels_never_overlap_and_stay_in_the_view():
    view = QRectF(0, 0, 300, 200)
    reqs = [
        LabelRequest(
            f"Site {i}", QPointF(150 + (i % 3) * 4, 100 + i * 3), (80, 14), priority=1, radius=8
        )
        for i in range(12)
    ]
    reqs.append(LabelRequest("Edge site", QPointF(298, 5), (80, 14), radius=8))
    reqs.append(LabelRequest("Area", QPointF(-50, 190), (60, 16), area=True))
    placed = place_labels(reqs, view=view)
    boxes = [b for _i, b in placed]
    for i, a in enumerate(boxes):
        assert view.contains(a)
        for b in boxes[i + 1 :]:
            assert not a.intersects(b)
    names = {reqs[i].text for i, _b in placed}
    assert "Edge site" in names  # moved left and below, not cut
    assert "Area" in names  # an area label is moved into the view
    assert 2 <= len(placed) < len(reqs)  # a crowd is thinned, not piled up


def test_site_labels_at_street_zoom_with_tooltips(canvas):
    sites = [
        Site(
            id=f"s{i}",
            category="place_of_worship",
            geometry=shapely.Point(*lonlat(i * 6.0, 0)),
            name=f"Church number {i}",
            verified=i % 2 == 0,
            source="osm",
        )
        for i in range(6)
    ]
    sites.append(
        Site(
            id="edge",
            category="consulate",
            geometry=shapely.Point(*lonlat(0, 80)),
            name="Consulate at the edge",
            source="city list",
        )
    )
    canvas.set_sites(sites)
    canvas.set_synchronous(True)
    canvas.set_level(0)  # 1 m per pixel
    canvas.center_on(X0 + 15, Y0 + 20)
    canvas.viewport().repaint()
    drawn = canvas.labels_drawn
    view = QRectF(canvas.viewport().rect())
    assert drawn, "no site labels at street zoom"
    for i, (_t, a) in enumerate(drawn):
        assert view.contains(a)
        for _u, b in drawn[i + 1 :]:
            assert not a.intersects(b)
    assert 1 < len(drawn) < 7  # six sites 6 m apart cannot all be named legibly
    assert "Consulate at the edge" in [t for t, _b in drawn]
    # tooltip: name, category, verified, source
    pos = canvas.scene_to_view(QPointF(X0, -Y0)).toPoint()
    tip = canvas.site_tooltip(pos)
    assert tip is not None
    assert "Church number 0" in tip and "Place of worship" in tip
    assert "Verified: yes" in tip and "Source: osm" in tip
    # city zoom: no site names
    canvas.set_level(12)
    canvas.viewport().repaint()
    assert not any(t.startswith("Church") for t, _b in canvas.labels_drawn)


def test_basemap_menu_presets_come_from_xyzservices():
    from planner.app.map.basemap import presets

    names = [p.name for p in presets()]
    assert "OpenStreetMap" in names
    osm = next(p for p in presets() if p.name == "OpenStreetMap")
    assert "{z}" in osm.url and "OpenStreetMap" in osm.attribution
    assert osm.tile_url(3, 1, 2).endswith("/3/1/2.png")


def test_tile_cache_lives_in_the_user_cache_dir():
    from planner.app.map.basemap import default_cache_dir

    assert "siting-planner" in str(default_cache_dir())
    assert Path(default_cache_dir()).name == "tiles"


# ---------------------------------------------------------------------------- streaming
def _stream_of(*polys: shapely.Polygon):
    from planner.app.map.canvas.stream import BuildingStream
    from planner.core.buildings import BuildingIndex

    index = BuildingIndex.from_geometries(list(polys), projector=PROJ)
    return BuildingStream(index, PROJ)


def _sq(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.Polygon([lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1)])


def _wait_for_stream(canvas, stream, *, until=None) -> None:
    """Paint until the stream is idle (and ``until()`` holds), at most 10 s."""
    canvas.set_synchronous(True)
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        canvas.viewport().repaint()
        QApplication.processEvents()
        idle = stream.reads and stream.pending() == 0 and canvas.pending_tiles() == 0
        if idle and (until is None or until()):
            break
        time.sleep(0.01)
    canvas.viewport().repaint()


def test_buildings_stream_in_by_area_from_the_checkers_index(canvas):
    # one building at the view centre, one 20 km away
    stream = _stream_of(_sq(-30, -30, 30, 30), _sq(20000, 0, 20060, 60))
    canvas.set_building_stream(stream)
    assert canvas.layer_info("buildings").features == 2
    canvas.set_level(14)  # city zoom: buildings are not drawn, so none are read
    canvas.center_on(X0, Y0)
    canvas.viewport().repaint()
    QApplication.processEvents()
    assert stream.reads == 0
    canvas.set_level(0)
    canvas.center_on(X0, Y0)
    _wait_for_stream(canvas, stream)
    assert centre_pixel(canvas) == st.BUILDING_FILL
    # only the chunks around the view were read: the far building is not in memory
    assert len(canvas._state.buildings.geoms) == 1
    canvas.set_building_stream(None)


def test_panning_keeps_a_bounded_number_of_streamed_footprints(canvas, monkeypatch):
    from planner.app.map.canvas import stream as stream_mod

    # 20 x 20 m buildings on a 50 m grid over 4 x 4 km: 6,400 footprints, 16 chunks
    grid = [_sq(x, y, x + 20, y + 20) for x in range(0, 4000, 50) for y in range(0, 4000, 50)]
    stream = _stream_of(*grid)
    monkeypatch.setattr(stream_mod, "MAX_FEATURES", 1000)
    canvas.set_building_stream(stream)
    canvas.set_level(0)
    for x in range(210, 4000, 900):  # building centres, 900 m apart
        for y in range(210, 4000, 900):
            canvas.center_on(*PROJ.point(*lonlat(x, y)))
            _wait_for_stream(canvas, stream, until=lambda: centre_pixel(canvas) == st.BUILDING_FILL)
            # what the view needs is there, however far the planner has panned
            assert centre_pixel(canvas) == st.BUILDING_FILL, (x, y)
            # the cap, plus at most the chunk just arrived (about 440 footprints)
            assert stream.loaded_features() <= 1500
    assert stream.reads >= 9
    canvas.set_building_stream(None)


def test_street_names_are_placed_in_the_view_whole_and_apart(canvas):
    def line(*pts: tuple[float, float]) -> shapely.LineString:
        return shapely.LineString([lonlat(*p) for p in pts])

    streets = gpd.GeoDataFrame(
        {
            "highway": ["primary", "residential", "residential"],
            "name": ["Santa Clara Street", "First Street", "Edge Street"],
        },
        geometry=[
            line((-3000, 0), (3000, 0)),
            line((40, -2900), (40, 3000)),
            # only its last 60 m are in view: its name cannot fit whole
            line((150, 100), (260, 100)),
        ],
        crs=4326,
    )
    canvas.set_streets(streets)
    canvas.set_synchronous(True)
    canvas.set_level(0)
    canvas.center_on(X0, Y0)
    canvas.viewport().repaint()
    drawn = canvas.street_labels_drawn
    names = [n for n, _b in drawn]
    assert "Santa Clara Street" in names and "First Street" in names
    assert "Edge Street" not in names
    view = QRectF(canvas.viewport().rect())
    boxes = [b for _n, b in drawn]
    for i, a in enumerate(boxes):
        assert view.contains(a)
        for b in boxes[i + 1 :]:
            assert not a.intersects(b)
    # the tiles themselves carry no names (they would be cut at the view's edge)
    assert canvas._state.street_labels_in_tiles is False
