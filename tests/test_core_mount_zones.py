"""Shared walls (SPEC 4.2 mount rule) and plans that span UTM zones (SPEC 3), hand-computed."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from planner.core.buildings import BuildingIndex
from planner.core.checker import Checker
from planner.core.crs import Projector, utm_epsg
from planner.core.geometry import cone_polygon
from planner.core.model import Rule, Severity
from planner.core.visibility import ShadowOccluder, mount_buildings
from tests.geo_helpers import Frame, make_frame
from tests.test_core_checker import POLICY, chapel

F = make_frame()
_L = shapely.union(box(0, 0, 10, 5), box(0, 0, 5, 10)).normalize()


def _checker(frame: Frame, sites, buildings=(), projector: Projector | None = None) -> Checker:
    proj = projector or frame.projector
    bidx = None
    if buildings:
        bidx = BuildingIndex.from_geometries(frame.polys_lonlat(list(buildings)), projector=proj)
    return Checker(policy=POLICY, sites=sites, projector=proj, buildings=bidx)


# -- shared walls ------------------------------------------------------------------


def test_camera_inside_one_building_is_occluded_by_its_neighbour_3cm_away() -> None:
    # A (x <= 0) holds the camera, 3 cm from its east wall; B (x >= 0) shares
    # that wall. Looking east, every ray enters B at x = 0, so the camera sees
    # only the 3 cm strip inside A: the entrance 40 m east is 40 - 15 = 25 m beyond
    # the zone's rim, more than the 10 m margin. Exempting B too gave a false block.
    a, b = box(-20, -10, 0, 10), box(0, -10, 20, 10)
    site = chapel(((40.0, 0.0),))
    cam = F.camera("C", -0.03, 0.0, 90.0, 20.0, 60.0)
    c = _checker(F, [site], [a, b])
    res = c.check_camera(cam)
    assert res.status is Severity.CLEAR, res.findings
    vis = F.to_local(res.visible)
    assert vis.bounds[2] == pytest.approx(0.0, abs=1e-3)
    # Removing B: the entrance is in plain view.
    assert _checker(F, [site], [a]).check_camera(cam).status is Severity.BLOCK


def test_camera_between_two_buildings_mounts_on_the_nearest_only() -> None:
    # Outside both: 2 cm from A's east wall, 4 cm from B's west wall. A is the mount,
    # B occludes everything east of x = 0.06 (hand-computed: the visible cone is the
    # 4 cm deep tip of the sector, area = 0.04^2 * tan(10°)).
    a, b = box(-20, -10, 0, 10), box(0.06, -10, 20, 10)
    site = chapel(((40.0, 0.0),))
    cam = F.camera("C", 0.02, 0.0, 90.0, 20.0, 60.0)
    res = _checker(F, [site], [a, b]).check_camera(cam)
    assert res.status is Severity.CLEAR
    vis = F.to_local(res.visible)
    assert vis.bounds[2] == pytest.approx(0.06, abs=1e-3)
    assert vis.area == pytest.approx(0.04**2 * math.tan(math.radians(10)), rel=0.05)


def test_mount_rule_prefers_containing_buildings_then_one_nearest() -> None:
    geoms = np.array(
        [box(0, 0, 10, 10), box(10.03, 0, 20, 10), box(-5, -5, 5, 5), box(30, 0, 40, 10)]
    )
    assert mount_buildings(geoms, 1.0, 1.0).tolist() == [0, 2]  # inside both
    assert mount_buildings(geoms, 10.01, 5.0).tolist() == [0]  # 1 cm vs 2 cm
    assert mount_buildings(geoms, 10.02, 5.0).tolist() == [1]  # 2 cm vs 1 cm
    assert mount_buildings(geoms, 25.0, 5.0).tolist() == []  # nothing within 5 cm
    assert mount_buildings(geoms[:0], 0.0, 0.0).tolist() == []


def test_float_noise_never_makes_a_second_mount() -> None:
    # A nanometre inside a corner is on the wall, not inside: of two identical
    # buildings only the first is the mount. Deeper than 1 mm is inside both.
    twins = np.array([box(0, 0, 5, 5), box(0, 0, 5, 5)])
    assert mount_buildings(twins, 1e-9, 1e-9).tolist() == [0]
    assert mount_buildings(twins, -1e-9, 0.0).tolist() == [0]
    assert mount_buildings(twins, 0.002, 0.002).tolist() == [0, 1]
    # Half a millimetre inside the second, on the first's wall: a tie, so the first.
    geoms = np.array([box(-5, 0, 0, 5), box(-0.0005, 0, 5, 5)])
    assert mount_buildings(geoms, 0.0, 2.0).tolist() == [0]
    assert mount_buildings(geoms[::-1], 0.0, 2.0).tolist() == [0]


def _visible_fraction(blds, cam_xy) -> float:
    """Visible share of a 30 m disc around ``cam_xy``, after the lon/lat round trip."""
    bidx = BuildingIndex.from_geometries(F.polys_lonlat(blds), projector=F.projector)
    x, y = F.projector.point(*F.ll(*cam_xy))
    disc = cone_polygon(x, y, heading_deg=None, fov_deg=360.0, range_m=30.0)
    vis = ShadowOccluder(bidx).visible(x, y, disc, range_m=30.0, heading_deg=None, fov_deg=360.0)
    return vis.area / disc.area


@pytest.mark.parametrize(
    ("blds", "cam_xy", "seen"),
    [
        # On the corner of two identical buildings: one is the mount, the other
        # hides the quadrant it fills (it used to be exempt as well).
        ([box(0, 0, 5, 5), box(0, 0, 5, 5)], (0.0, 0.0), 0.75),
        # On the middle of their shared wall: the other hides a half-plane.
        ([box(-5, 0, 5, 5), box(-5, 0, 5, 5)], (0.0, 0.0), 0.5),
        # On the inner (reflex) corner of two identical L shapes: only the 90° notch.
        ([_L, _L], (5.0, 5.0), 0.25),
        # Deep inside the mount and on a corner of a building overlapping it: that
        # building's interior angle is hidden, though no edge of it faces the camera.
        ([box(-10, -10, 10, 10), box(0, 0, 5, 5)], (0.0, 0.0), 0.75),
        # 0.3 mm outside a corner it is still on that corner.
        ([box(-10, -10, 10, 10), box(0, 0, 5, 5)], (-0.0003, -0.0002), 0.75),
    ],
)
def test_a_wall_the_camera_stands_on_hides_what_goes_into_it(blds, cam_xy, seen) -> None:
    assert _visible_fraction(blds, cam_xy) == pytest.approx(seen, abs=1e-3)


# -- a plan over two UTM zones -------------------------------------------------------

SJ = (-121.8863, 37.3382)  # zone 10
LV = (-115.1398, 36.1699)  # zone 11


def _zone_frame(lonlat: tuple[float, float]) -> Frame:
    proj = Projector.from_crs(utm_epsg(*lonlat))
    ox, oy = proj.point(*lonlat)
    return Frame(proj, ox, oy)


def _near_miss_layout(frame: Frame, prefix: str):
    """A north-facing camera (fov 20°, range 80 m) and two entrances 60 m away.

    Each entrance sits 16.5 m off one edge ray of the cone, on the outside, so on the
    camera's own grid the view misses each 15 m zone by exactly 1.5 m. A rotation of
    the grid by 2.97° (zone 11 seen from San José) moves one of them 3.1 m closer.
    """
    off = math.degrees(math.asin(16.5 / 60.0))
    ents = []
    for sign in (1, -1):
        b = math.radians(sign * (10.0 + off))
        ents.append((60.0 * math.sin(b), 60.0 * math.cos(b)))
    sites = [
        frame.site(f"{prefix}-e", "place_of_worship", Point(*ents[0]).buffer(1), [ents[0]]),
        frame.site(f"{prefix}-w", "place_of_worship", Point(*ents[1]).buffer(1), [ents[1]]),
    ]
    cam = frame.camera(f"{prefix}-cam", 0.0, 0.0, 0.0, 20.0, 80.0)
    return cam, sites


def test_each_camera_is_measured_in_its_own_utm_zone() -> None:
    sj, lv = _zone_frame(SJ), _zone_frame(LV)
    cam_sj, sites_sj = _near_miss_layout(sj, "sj")
    cam_lv, sites_lv = _near_miss_layout(lv, "lv")
    cams = [cam_sj, cam_lv]
    # The plan's home CRS is the zone of the centroid (-118.5°): zone 11.
    home = Projector.for_points([(c.lon, c.lat) for c in cams])
    assert home.epsg == 32611
    c = Checker(policy=POLICY, sites=sites_sj + sites_lv, projector=home)
    for cam in cams:
        res = c.check_camera(cam)
        assert res.status is Severity.WARN, (cam.id, res.findings)
        assert [f.rule for f in res.findings] == [Rule.NEAR_ENTRANCE] * 2
        for f in res.findings:
            assert f.distance_m == pytest.approx(1.5, abs=0.02), (cam.id, f)
    assert c.crs_used(cams) == ["WGS 84 / UTM zone 11N", "WGS 84 / UTM zone 10N"]
    # Measured on zone 11's grid, San José's grid north is 2.97° off: a block.
    wrong = Checker(
        policy=POLICY, sites=sites_sj, projector=home
    )._home  # the home frame alone, as the old checker measured everything
    x, y = home.point(cam_sj.lon, cam_sj.lat)
    from planner.core.geometry import cone_polygon

    cone = cone_polygon(x, y, heading_deg=0.0, fov_deg=20.0, range_m=80.0)
    d = shapely.distance(cone, wrong.core).min() - 15.0
    assert d < 0.0


def test_out_of_zone_geometry_is_returned_in_the_home_crs_and_buildings_occlude() -> None:
    sj, lv = _zone_frame(SJ), _zone_frame(LV)
    home = Projector.from_crs(32611)
    # A building 20-30 m north of the San José camera hides an entrance at 50 m
    # (the view ends at 20 m: 30 - 15 = 15 m from the zone, beyond the 10 m margin).
    site = sj.site("s", "place_of_worship", box(-5, 55, 5, 65), [(0.0, 50.0)])
    cam = sj.camera("C", 0.0, 0.0, 0.0, 20.0, 60.0)
    wall = sj.polys_lonlat([box(-20, 20, 20, 30)])
    lv_block = lv.polys_lonlat([box(-5, 5, 5, 6)])
    bidx = BuildingIndex.from_geometries(np.concatenate([wall, lv_block]), projector=home)
    c = Checker(policy=POLICY, sites=[site], projector=home, buildings=bidx)
    res = c.check_camera(cam)
    assert res.status is Severity.CLEAR, res.findings
    # The visible cone (hand-computed in zone 10: the sector up to y = 20) comes back
    # in the home CRS; unprojected and re-projected into zone 10 it is the same shape.
    vis10 = sj.to_local(sj.projector.project(home.unproject(res.visible)))
    expected = 20.0**2 * math.tan(math.radians(10.0))
    assert vis10.area == pytest.approx(expected, rel=1e-3)
    assert vis10.bounds[3] == pytest.approx(20.0, abs=1e-3)
    no_wall = Checker(policy=POLICY, sites=[site], projector=home)
    assert no_wall.check_camera(cam).status is Severity.BLOCK
