"""Every checker rule of SPEC 4.3-4.7 on hand-computed layouts (metres from ORIGIN)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from planner.core.buildings import BuildingIndex
from planner.core.checker import Checker
from planner.core.model import (
    Action,
    Basis,
    CameraStatus,
    CategoryRule,
    Policy,
    Rule,
    Severity,
)
from planner.core.streets import StreetNetwork
from tests.geo_helpers import make_frame

F = make_frame()

POLICY = Policy(
    id="test",
    version="1",
    entrance_radius_m=15.0,
    warn_margin_m=10.0,
    prohibited_capabilities=("facial_recognition", "biometric_analysis"),
    categories={
        "place_of_worship": CategoryRule("place_of_worship", Action.BLOCK, label="worship"),
        "consulate": CategoryRule("consulate", Action.BLOCK),
        "clinic_watch": CategoryRule("clinic_watch", Action.WARN),
        "ignored": CategoryRule("ignored", Action.IGNORE),
        "small": CategoryRule("small", Action.BLOCK, entrance_radius_m=5.0, warn_margin_m=2.0),
    },
)


def checker(sites, *, buildings=None, streets=None, policy=POLICY) -> Checker:
    bidx = None
    if buildings:
        bidx = BuildingIndex.from_geometries(F.polys_lonlat(buildings), projector=F.projector)
    return Checker(
        policy=policy, sites=sites, projector=F.projector, buildings=bidx, streets=streets
    )


def chapel(entrances=((0, 40),), category="place_of_worship"):
    return F.site("s", category, box(-10, 45, 10, 60), entrances=entrances, name="Chapel")


def test_cone_over_entrance_is_blocked_with_entrance_named() -> None:
    res = checker([chapel()]).check_camera(F.camera("C", 0, 0, 0.0, 20, 50))
    assert res.status is Severity.BLOCK
    (f,) = res.findings
    assert f.rule is Rule.CAPTURES_ENTRANCE
    assert f.entrance_ids == ("s/e1",)
    assert f.basis is Basis.ENTRANCE
    assert f.distance_m == 0.0
    # Overlap against a brute-force grid integration of cone ∩ disc.
    xs, ys = np.meshgrid(np.arange(-20, 20, 0.1) + 0.05, np.arange(20, 60, 0.1) + 0.05)
    r = np.hypot(xs, ys)
    bearing = np.degrees(np.arctan2(xs, ys))
    inside = (r <= 50) & (np.abs(bearing) <= 10) & (np.hypot(xs, ys - 40) <= 15)
    assert f.overlap_m2 == pytest.approx(inside.sum() * 0.01, rel=0.02)
    assert "Chapel" in f.message and "s/e1" in f.message


def test_near_miss_warns_with_hand_computed_distance() -> None:
    # Left edge ray of a cone at (30, 0) heading north, fov 20: bearing -10°.
    # Distance from (0, 28) to it: |(-30, 28) x (sin -10°, cos -10°)| = 24.682; minus 15.
    res = checker([chapel(((0, 28),))]).check_camera(F.camera("C", 30, 0, 0.0, 20, 50))
    (f,) = res.findings
    assert res.status is Severity.WARN
    assert f.rule is Rule.NEAR_ENTRANCE
    u = (math.sin(math.radians(-10)), math.cos(math.radians(-10)))
    expected = abs(-30 * u[1] - 28 * u[0]) - 15
    assert f.distance_m == pytest.approx(expected, abs=0.01)
    assert f.overlap_m2 == 0.0


@pytest.mark.parametrize(
    ("gap", "status", "rule"),
    [
        (-0.05, Severity.BLOCK, Rule.CAPTURES_ENTRANCE),  # the disc reaches 5 cm into the cone
        (0.05, Severity.WARN, Rule.NEAR_ENTRANCE),
        (9.95, Severity.WARN, Rule.NEAR_ENTRANCE),
        (10.05, Severity.CLEAR, None),
    ],
)
def test_thresholds_around_radius_and_margin(
    gap: float, status: Severity, rule: Rule | None
) -> None:
    # A cone spanning bearings 0-90° has the ray x = 0 (y > 0) as its edge. An
    # entrance at (-(15 + gap), 30) is 15 + gap from it: gap < 0 reaches into the cone.
    site = chapel(((-(15 + gap), 30),))
    res = checker([site]).check_camera(F.camera("C", 0, 0, 45.0, 90, 60))
    assert res.status is status
    assert [f.rule for f in res.findings] == ([rule] if rule else [])


def test_unknown_heading_is_a_full_disc_and_warns() -> None:
    behind = chapel(((0, -30),))  # behind a north-facing camera, within range
    c = checker([behind])
    res = c.check_camera(F.camera("C", 0, 0, None, 20, 50))
    rules = {f.rule: f for f in res.findings}
    assert rules[Rule.HEADING_UNKNOWN].severity is Severity.WARN
    assert rules[Rule.CAPTURES_ENTRANCE].severity is Severity.BLOCK
    assert res.status is Severity.BLOCK
    assert c.check_camera(F.camera("C", 0, 0, 0.0, 20, 50)).status is Severity.CLEAR


def test_fov_360_is_a_disc_without_heading_warning() -> None:
    res = checker([chapel(((0, -30),))]).check_camera(F.camera("C", 0, 0, 0.0, 360, 50))
    assert [f.rule for f in res.findings] == [Rule.CAPTURES_ENTRANCE]


def test_heading_wraps_through_north() -> None:
    # Cone 345°..5°. Entrance at bearing 2°, 30 m: inside. Entrance at bearing 30°,
    # 40 m: 40 sin(25°) = 16.9 m from the 5° edge, beyond 15 m but within 25 m.
    def at(b, d):
        return (d * math.sin(math.radians(b)), d * math.cos(math.radians(b)))

    c = checker([chapel((at(2, 30),))])
    assert c.check_camera(F.camera("C", 0, 0, 355.0, 20, 60)).status is Severity.BLOCK
    c2 = checker([chapel((at(30, 40),))])
    res = c2.check_camera(F.camera("C", 0, 0, 355.0, 20, 60))
    assert res.status is Severity.WARN
    assert res.findings[0].distance_m == pytest.approx(
        40 * math.sin(math.radians(25)) - 15, abs=0.02
    )


@pytest.mark.parametrize("cap", ["facial_recognition", "biometric_analysis"])
def test_prohibited_capability_blocks_anywhere(cap: str) -> None:
    res = checker([]).check_camera(
        F.camera("C", 500, 500, 0.0, 20, 50, capabilities=("plate_read", cap))
    )
    assert res.status is Severity.BLOCK
    assert [f.rule for f in res.findings] == [Rule.PROHIBITED_CAPABILITY]
    assert cap in res.findings[0].message


def test_plate_read_alone_is_fine() -> None:
    res = checker([]).check_camera(F.camera("C", 0, 0, 0.0, 20, 50, capabilities=("plate_read",)))
    assert res.status is Severity.CLEAR and res.findings == ()


def test_removed_camera_gives_nothing() -> None:
    cam = F.camera(
        "C", 0, 0, 0.0, 20, 50, status=CameraStatus.REMOVED, capabilities=("facial_recognition",)
    )
    res = checker([chapel()]).check_camera(cam)
    assert res.status is Severity.CLEAR and res.findings == ()


def test_ignore_category_gives_nothing_and_warn_category_warns() -> None:
    cam = F.camera("C", 0, 0, 0.0, 20, 50)
    assert checker([chapel(category="ignored")]).check_camera(cam).findings == ()
    res = checker([chapel(category="clinic_watch")]).check_camera(cam)
    assert res.status is Severity.WARN
    assert res.findings[0].rule is Rule.CAPTURES_ENTRANCE
    assert res.findings[0].severity is Severity.WARN


def test_per_category_radius_and_margin_override() -> None:
    # Entrance 10 m left of the north edge ray of a 0-90° cone: inside the default
    # 15 m zone; the "small" category's 5 m zone leaves 5 m, beyond its 2 m margin.
    cam = F.camera("C", 0, 0, 45.0, 90, 60)
    assert checker([chapel(((-10, 30),))]).check_camera(cam).status is Severity.BLOCK
    res = checker([chapel(((-10, 30),), category="small")]).check_camera(cam)
    assert res.status is Severity.CLEAR  # 10 - 5 = 5 m > 2 m margin
    res = checker([chapel(((-6.5, 30),), category="small")]).check_camera(cam)
    assert res.status is Severity.WARN
    assert res.findings[0].distance_m == pytest.approx(1.5, abs=0.01)


def test_site_without_entrances_protects_its_footprint() -> None:
    site = F.site("k", "consulate", box(-10, 60, 10, 80), name="Consulate")
    c = checker([site])
    res = c.check_camera(
        F.camera("C", 0, 0, 0.0, 20, 50)
    )  # reaches y = 50, footprint zone from y = 45
    (f,) = res.findings
    assert f.basis is Basis.FOOTPRINT and f.entrance_ids == ()
    assert f.rule is Rule.CAPTURES_ENTRANCE
    assert "footprint" in f.message
    res = c.check_camera(F.camera("C", 0, 0, 0.0, 20, 40))  # reaches y = 40: 5 m short
    assert res.status is Severity.WARN
    assert res.findings[0].distance_m == pytest.approx(5.0, abs=0.02)


def test_one_finding_per_site_naming_every_entrance() -> None:
    site = chapel(((-3, 30), (3, 35), (200, 200)))
    res = checker([site]).check_camera(F.camera("C", 0, 0, 0.0, 30, 50))
    assert len(res.findings) == 1
    assert res.findings[0].entrance_ids == ("s/e1", "s/e2")


def test_capture_beats_near_for_the_same_site() -> None:
    site = chapel(((0, 30), (-40, 30)))  # second entrance only near
    res = checker([site]).check_camera(F.camera("C", 0, 0, 0.0, 20, 50))
    assert len(res.findings) == 1 and res.findings[0].rule is Rule.CAPTURES_ENTRANCE


def test_building_hides_the_entrance() -> None:
    site = chapel(((0, 40),))
    cam = F.camera("C", 0, 0, 0.0, 10, 60)
    # Wall from y = 5 to 8 across the whole cone: everything beyond is hidden, and the
    # visible part ends 40 - 15 - 8 = 17 m before the zone.
    res = checker([site], buildings=[box(-20, 5, 20, 8)]).check_camera(cam)
    assert res.status is Severity.CLEAR
    # A wall-mounted camera inside that building is not occluded by it.
    inside = F.camera("C", 0, 6, 0.0, 10, 60)
    assert (
        checker([site], buildings=[box(-20, 5, 20, 8)]).check_camera(inside).status
        is Severity.BLOCK
    )


def test_approach_streets_extend_the_zone() -> None:
    street = StreetNetwork.from_geometries(
        F.lines_lonlat([LineString([(-200, 0), (0, 0)]), LineString([(0, 0), (200, 0)])]),
        projector=F.projector,
    )
    site = chapel(((0, 5),))
    cam = F.camera("C", 40, -30, 0.0, 10, 35)  # looks at the street 40 m east of the entrance
    assert checker([site], streets=street).check_camera(cam).status is Severity.CLEAR
    pol = dataclasses.replace(POLICY, approach_m=50.0, approach_width_m=6.0)
    res = checker([site], streets=street, policy=pol).check_camera(cam)
    assert res.status is Severity.BLOCK
    assert res.findings[0].entrance_ids == ("s/e1",)
    # 80 m along the street is beyond the 50 m approach: 80 - 50 = 30 m away.
    far = F.camera("C", 80, -30, 0.0, 10, 35)
    assert checker([site], streets=street, policy=pol).check_camera(far).status is Severity.CLEAR


def test_approach_follows_the_network_around_corners() -> None:
    lines = [LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)])]
    street = StreetNetwork.from_geometries(F.lines_lonlat(lines), projector=F.projector)
    pol = dataclasses.replace(POLICY, approach_m=130.0, approach_width_m=3.0)
    c = checker([chapel(((90, -5),))], streets=street, policy=pol)
    zone = F.to_local(c.zones[0].geometry)
    # 10 m to the corner leaves 120 m: the whole 100 m side street is in.
    assert zone.contains(Point(100, 95))
    assert zone.contains(Point(0, 0))  # 90 m back along the first street
    pol2 = dataclasses.replace(pol, approach_m=60.0)
    z2 = F.to_local(checker([chapel(((90, -5),))], streets=street, policy=pol2).zones[0].geometry)
    assert z2.contains(Point(100, 45)) and not z2.contains(Point(100, 60))


def test_allowed_headings_match_hand_computed_arc() -> None:
    # Entrance 40 m north, radius 15: the disc subtends asin(15/40) = 22.02° each side;
    # with a 20° fov every heading within 32.02° of north is blocked.
    c = checker([chapel(((0, 40),))])
    cam = F.camera("C", 0, 0, 5.0, 20, 60)
    half = math.degrees(math.asin(15 / 40)) + 10
    (arc,) = c.allowed_headings(cam)
    assert arc[0] == pytest.approx(half, abs=1.0)
    assert arc[1] == pytest.approx(360 - half, abs=1.0)
    # Clear needs the 25 m warn radius out of view too: asin(25/40) + 10 = 48.7°.
    assert c.nearest_allowed_heading(cam) == pytest.approx(
        math.degrees(math.asin(25 / 40)) + 10, abs=1.0
    )
    assert c.allowed_headings(F.camera("C", 500, 500, 0.0, 20, 60)) == [(0.0, 360.0)]


def test_check_cameras_reports_progress_and_cancels() -> None:
    from planner.core.errors import CheckCancelled

    c = checker([chapel()])
    cams = [F.camera(f"C{i}", i * 100, 0, 0.0, 20, 50) for i in range(5)]
    seen = []
    result = c.check_cameras(cams, progress=lambda i, n: seen.append((i, n)))
    assert seen[-1] == (5, 5)
    assert result.summary() == {"cameras": 5, "block": 1, "warn": 0, "clear": 4}
    with pytest.raises(CheckCancelled):
        c.check_cameras(cams, cancel=lambda: True)


def test_zones_are_drawn_as_buffers() -> None:
    c = checker([chapel(((0, 40),)), F.site("k", "consulate", box(100, 100, 120, 110))])
    z = {(zone.site_id, zone.basis): zone for zone in c.zones}
    disc = F.to_local(z[("s", Basis.ENTRANCE)].geometry)
    assert disc.area == pytest.approx(math.pi * 225, rel=0.002)
    foot = F.to_local(z[("k", Basis.FOOTPRINT)].geometry)
    assert foot.area == pytest.approx(20 * 10 + 2 * 15 * 30 + math.pi * 225, rel=0.01)
    assert shapely.Point(110, 105).within(foot)


@pytest.mark.parametrize("x", [0.0, 3.3, 5.55, -7.1])
@pytest.mark.parametrize("round_trip", [False, True])
def test_camera_on_its_own_wall_never_depends_on_float_noise(x: float, round_trip: bool) -> None:
    # Building y in [20, 30]; the camera sits on its south wall, the entrance is
    # behind the building. The wall-mounted camera is not occluded by its own
    # building, whether or not projection noise or a save (8 decimals) moved it.
    site = chapel(((x, 45),))
    cam = F.camera("C", x, 20.0, None, 360, 40)
    if round_trip:
        cam = cam.replace(lon=round(cam.lon, 8), lat=round(cam.lat, 8))
    res = checker([site], buildings=[box(-20, 20, 20, 30)]).check_camera(cam)
    assert Rule.CAPTURES_ENTRANCE in [f.rule for f in res.findings]


def test_allowed_headings_with_a_step_that_does_not_divide_360() -> None:
    c = checker([chapel(((0, 40),))])
    cam = F.camera("C", 0, 0, 5.0, 20, 60)
    half = math.degrees(math.asin(15 / 40)) + 10
    (arc,) = c.allowed_headings(cam, step_deg=7.0)
    step = 360 / round(360 / 7.0)
    assert arc[0] == pytest.approx(half, abs=step / 2 + 0.01)
    assert arc[1] == pytest.approx(360 - half, abs=step / 2 + 0.01)


def test_heading_profile_agrees_with_full_checks() -> None:
    c = checker([chapel(((0, 40),)), F.site("k", "clinic_watch", box(-60, -10, -50, 0))])
    cam = F.camera("C", 0, 0, 0.0, 20, 60)
    for h, sev in c.heading_profile(cam, step_deg=15.0):
        full = c.check_camera(cam.replace(heading_deg=h))
        assert full.status is sev, h
