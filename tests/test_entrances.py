"""Site entrances derived from driveways and gates (planner/io/openstreetmap/entrances.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from pyproj import Geod

from planner.io.openstreetmap.entrances import DEDUP_M, POINT_SITE_RADIUS_M, REACH_M
from planner.io.openstreetmap.layers import read_osm_source
from planner.io.openstreetmap.xml_reader import read_osm_xml
from tests.test_osm import lonlat, write_osm

GEOD = Geod(ellps="WGS84")
CHURCH = {"amenity": "place_of_worship", "building": "church"}
DRIVEWAY = {"highway": "service", "service": "driveway"}


def square(first_id: int, x0: float, y0: float, x1: float, y1: float) -> dict:
    return {
        first_id: (x0, y0),
        first_id + 1: (x1, y0),
        first_id + 2: (x1, y1),
        first_id + 3: (x0, y1),
    }


def ring(first_id: int) -> list[int]:
    return [first_id, first_id + 1, first_id + 2, first_id + 3, first_id]


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory):
    """A 1 km street along y = 0 (node i at x = 50 (i - 1)) and sites beside it."""
    nodes: dict = {i: ((i - 1) * 50.0, 0.0) for i in range(1, 22)}
    nodes[22] = (953.0, 0.0)
    street = [*range(1, 21), 22, 21]
    ways: dict = {1: (street, {"highway": "residential", "name": "Main Street"})}
    # A: a private driveway from node 3 (x = 100) into the site.
    nodes |= square(101, 80, 30, 120, 60) | {111: (100.0, 40.0)}
    ways |= {100: (ring(101), CHURCH), 110: ([3, 111], {**DRIVEWAY, "access": "private"})}
    # B: a parking aisle inside the site, reached by a driveway from node 5 (x = 200).
    nodes |= square(201, 180, 60, 220, 90) | {211: (200.0, 75.0), 212: (200.0, 40.0)}
    ways |= {
        200: (ring(201), CHURCH),
        210: ([211, 212], {"highway": "service", "service": "parking_aisle"}),
        220: ([212, 5], {"highway": "service"}),
    }
    # C: a gate on the outline, on a service way that stops short of the street.
    nodes |= square(301, 480, 30, 520, 60) | {
        305: (500.0, 30.0, {"barrier": "gate"}),
        306: (500.0, 10.0),
    }
    ways |= {
        300: ([301, 305, 302, 303, 304, 301], CHURCH),
        310: ([305, 306], {"highway": "service"}),
    }
    # D: a door on the outline that no road reaches (pedestrian): no entrance.
    nodes |= square(401, 680, 30, 720, 60) | {405: (700.0, 30.0, {"entrance": "main"})}
    ways |= {400: ([401, 405, 402, 403, 404, 401], CHURCH)}
    # E: a point site 20 m from a driveway that meets the street at node 18 (x = 850).
    nodes |= {500: (850.0, 20.0, {"amenity": "place_of_worship"}), 511: (850.0, 15.0)}
    ways |= {510: ([18, 511], DRIVEWAY)}
    # F: two driveways meeting the street 3 m apart (nodes 20 and 22): one entrance.
    nodes |= square(601, 930, 30, 975, 60) | {621: (950.0, 40.0), 631: (953.0, 40.0)}
    ways |= {600: (ring(601), CHURCH), 620: ([20, 621], DRIVEWAY), 630: ([22, 631], DRIVEWAY)}
    # G: a site with no driveway or gate at all.
    nodes |= square(701, 600, 100, 640, 140)
    ways |= {700: (ring(701), CHURCH)}
    # H: a far parking lot (beyond REACH_M) linked to site H's aisle is not followed.
    nodes |= square(801, 300, 400, 340, 440) | {811: (320.0, 420.0), 812: (320.0, 300.0)}
    nodes |= {813: (320.0, 150.0), 814: (700.0, 150.0)}
    ways |= {
        800: (ring(801), CHURCH),
        810: ([811, 812], {"highway": "service", "service": "parking_aisle"}),
        820: ([812, 813, 814, 16], {"highway": "service"}),  # reaches the street at x = 750
    }
    path = write_osm(tmp_path_factory.mktemp("town") / "town.osm", nodes=nodes, ways=ways)
    layers = read_osm_source(path)
    by_site = {
        sid: group.sort_values("entrance_id") for sid, group in layers.entrances.groupby("site_id")
    }
    return layers, by_site


def at(frame, i: int) -> tuple[float, float]:
    pt = frame.geometry.iloc[i]
    return pt.x, pt.y


def assert_near(got: tuple[float, float], x: float, y: float, tol_m: float = 0.05) -> None:
    lon, lat = lonlat(x, y)
    _, _, dist = GEOD.inv(got[0], got[1], lon, lat)
    assert dist < tol_m, f"{dist:.2f} m away from ({x}, {y})"


def test_driveway_meets_street(town) -> None:
    _, by_site = town
    e = by_site["way/100"]
    assert e.entrance_id.tolist() == ["way/100/e1"]
    assert e.basis.tolist() == ["driveway"]
    assert_near(at(e, 0), 100.0, 0.0)


def test_parking_aisle_leads_to_its_driveway(town) -> None:
    _, by_site = town
    e = by_site["way/200"]
    assert e.basis.tolist() == ["driveway"]
    assert_near(at(e, 0), 200.0, 0.0)


def test_gate_on_outline_on_a_vehicular_way(town) -> None:
    _, by_site = town
    e = by_site["way/300"]
    assert e.basis.tolist() == ["entrance_node"]
    assert_near(at(e, 0), 500.0, 30.0)


def test_pedestrian_door_and_bare_site_get_no_entrance(town) -> None:
    layers, by_site = town
    assert "way/400" not in by_site
    assert "way/700" not in by_site
    assert {"way/400", "way/700"} <= set(layers.sites.site_id)


def test_point_site_uses_a_disc(town) -> None:
    _, by_site = town
    e = by_site["node/500"]
    assert e.basis.tolist() == ["driveway"]
    assert_near(at(e, 0), 850.0, 0.0)
    assert POINT_SITE_RADIUS_M == 30.0


def test_entrances_closer_than_dedup_distance_merge(town) -> None:
    _, by_site = town
    e = by_site["way/600"]
    assert len(e) == 1
    assert DEDUP_M > 3.0
    assert_near(at(e, 0), 950.0, 0.0)


def test_service_network_is_followed_only_near_the_site(town) -> None:
    _, by_site = town
    # The aisle's service road reaches the street 150 m + from the site's area.
    assert REACH_M < 150.0
    assert "way/800" not in by_site


def test_entrance_layer_columns(town) -> None:
    layers, _ = town
    ent = layers.entrances
    assert list(ent.columns) == ["entrance_id", "site_id", "basis", "geometry"]
    assert ent.entrance_id.is_unique
    assert set(ent.basis) == {"driveway", "entrance_node"}
    assert len(ent) == 5


# ---------------------------------------------------------------------- real data


def test_downtown_entrances(shared_data: Path) -> None:
    path = shared_data / "osm_sj_downtown_merged.osm.bz2"
    layers = read_osm_source(path)
    ent = layers.entrances
    # Verified by inspection: of the 13 places of worship only Our Lady of La Vang
    # (way/347450149, a 1.6 ha campus) has service roads entering it; the other
    # twelve are building footprints or nodes with no mapped driveway or gate
    # within reach, so they get no entrance and are protected by footprint.
    assert set(ent.site_id) == {"way/347450149"}
    assert ent.entrance_id.tolist() == [f"way/347450149/e{i}" for i in range(1, 5)]
    assert set(ent.basis) == {"driveway"}

    # Hand check: the five highway=service ways crossing the campus meet public
    # streets at these nodes (E Santa Clara x3, N 9th, N 8th).
    data = read_osm_xml(path)
    candidates = [4878688410, 4878688406, 4915531515, 4915531517, 4915532921]
    site = layers.sites.set_index("site_id").geometry["way/347450149"]
    for w in (496138801, 496138802, 500520641, 500520642, 500520644):
        line = shapely.LineString([data.nodes[n] for n in data.ways[w]])
        assert line.intersects(site)
        assert set(data.ways[w]) & set(candidates)
    # Two of them are under 5 m apart on East Santa Clara Street: one entrance.
    lon1, lat1 = data.nodes[4878688406]
    lon2, lat2 = data.nodes[4915531517]
    _, _, gap = GEOD.inv(lon1, lat1, lon2, lat2)
    assert gap < DEDUP_M
    got = {(round(p.x, 7), round(p.y, 7)) for p in ent.geometry}
    want = {(round(data.nodes[n][0], 7), round(data.nodes[n][1], 7)) for n in candidates}
    assert got < want and len(want - got) == 1
    # Every entrance lies on a public street (distance ~0 to the streets layer).
    streets = shapely.union_all(layers.streets.geometry.values)
    for p in ent.geometry:
        assert p.distance(streets) < 1e-7


def test_west_oakland_planned_parenthood_entrances(shared_data: Path) -> None:
    layers = read_osm_source(shared_data / "osm_west_oakland.osm.bz2")
    ent = layers.entrances
    assert set(ent.site_id) == {"node/3974904424"}
    assert ent.basis.tolist() == ["driveway", "driveway"]
    site = layers.sites.set_index("site_id").geometry["node/3974904424"]
    for p in ent.geometry:
        _, _, dist = GEOD.inv(site.x, site.y, p.x, p.y)
        assert dist < POINT_SITE_RADIUS_M + REACH_M
