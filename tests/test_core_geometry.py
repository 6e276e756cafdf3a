"""Cones and bearings against hand-computed values (SPEC 3, 4.1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from planner.core.crs import Projector, utm_epsg
from planner.core.geometry import (
    angular_difference,
    bearing_deg,
    cone_polygon,
    normalize_bearing,
    sector_contains_bearing,
)


def test_utm_zone_of_san_jose_is_10n() -> None:
    assert utm_epsg(-121.886, 37.338) == 32610
    assert utm_epsg(151.2, -33.9) == 32756  # Sydney: zone 56 south
    assert utm_epsg(180.0, 0.0) == 32660


def test_projector_uses_centroid_of_points() -> None:
    proj = Projector.for_points([(-121.9, 37.3), (-121.8, 37.4)])
    assert proj.epsg == 32610
    x, y = proj.point(-121.85, 37.35)
    lon, lat = proj.lonlat(x, y)
    assert lon == pytest.approx(-121.85, abs=1e-9)
    assert lat == pytest.approx(37.35, abs=1e-9)


def test_projector_needs_points_or_fallback() -> None:
    with pytest.raises(ValueError, match="no points"):
        Projector.for_points([])
    assert Projector.for_points([], fallback=(2.35, 48.85)).epsg == 32631


@pytest.mark.parametrize(
    ("dx", "dy", "expected"),
    [(0, 1, 0.0), (1, 0, 90.0), (0, -1, 180.0), (-1, 0, 270.0), (1, 1, 45.0), (-1, 1, 315.0)],
)
def test_bearing_is_compass(dx: float, dy: float, expected: float) -> None:
    assert bearing_deg(0, 0, dx, dy) == pytest.approx(expected)


def test_normalize_and_difference() -> None:
    assert normalize_bearing(-10) == pytest.approx(350)
    assert normalize_bearing(720.5) == pytest.approx(0.5)
    assert normalize_bearing(-1e-15) < 360.0
    assert angular_difference(350, 10) == pytest.approx(20)
    assert angular_difference(10, 190) == pytest.approx(180)
    assert sector_contains_bearing(355, 20, 4.9)
    assert not sector_contains_bearing(355, 20, 5.5)


@pytest.mark.parametrize("fov", [10.0, 20.0, 90.0, 179.0, 181.0, 270.0])
def test_cone_area_matches_sector_formula(fov: float) -> None:
    cone = cone_polygon(0, 0, heading_deg=45, fov_deg=fov, range_m=100)
    exact = fov / 360.0 * math.pi * 100**2
    # The polyline circumscribes the arc, so it is a hair larger, never smaller.
    assert exact <= cone.area <= exact * 1.0001
    assert cone.is_valid


def test_full_disc_for_360_and_unknown_heading() -> None:
    for cone in (
        cone_polygon(5, 5, heading_deg=10, fov_deg=360, range_m=20),
        cone_polygon(5, 5, heading_deg=None, fov_deg=20, range_m=20),
    ):
        assert cone.area == pytest.approx(math.pi * 400, rel=1e-4)
        assert cone.contains(shapely.Point(5, 5))
        assert cone.contains(shapely.Point(5, -14.9))


def test_cone_axis_and_edges_point_the_right_way() -> None:
    cone = cone_polygon(0, 0, heading_deg=90, fov_deg=20, range_m=50)  # east
    assert cone.contains(shapely.Point(40, 0))
    assert not cone.contains(shapely.Point(-40, 0))
    assert not cone.contains(shapely.Point(0, 40))
    # Edge rays at 80° and 100°: a point at bearing 81° is in, 79° is out.
    for b, inside in ((81, True), (79, False), (99, True), (101, False)):
        p = shapely.Point(30 * math.sin(math.radians(b)), 30 * math.cos(math.radians(b)))
        assert cone.contains(p) is inside


def test_cone_wraps_through_north() -> None:
    cone = cone_polygon(0, 0, heading_deg=355, fov_deg=20, range_m=50)
    for b, inside in ((350, True), (0, True), (4, True), (6, False), (344, False), (180, False)):
        p = shapely.Point(30 * math.sin(math.radians(b)), 30 * math.cos(math.radians(b)))
        assert cone.contains(p) is inside, b


def test_arc_has_a_vertex_at_least_every_two_degrees() -> None:
    cone = cone_polygon(0, 0, heading_deg=0, fov_deg=90, range_m=100)
    coords = np.asarray(cone.exterior.coords)[1:-1]  # drop apex and closing point
    bearings = np.degrees(np.arctan2(coords[:, 0], coords[:, 1]))
    assert np.max(np.diff(np.sort(bearings))) <= 2.0
    # Every arc vertex lies within 1 cm of the true arc.
    radii = np.hypot(coords[:, 0], coords[:, 1])
    assert np.all(np.abs(radii - 100) < 0.01)
