"""Real San José data: cameras on the real downtown streets, real sites and buildings.

Each camera's verdict is compared with an independent brute-force computation that
samples points of the capture zones and tests the camera-to-point segment against
every nearby building, so the checker is not only tested against itself.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

from planner.core.buildings import Footprints
from planner.core.model import Camera, Severity
from planner.io.checking.loader import Inputs, build_checker, read_streets_file
from planner.io.formats.buildings import read_buildings
from planner.io.formats.policy import builtin_policy
from planner.io.formats.sites import read_sites

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def downtown(shared_data):
    policy = builtin_policy()
    sites = read_sites(shared_data / "sj_sensitive_sites.geojson", policy=policy)
    layer = read_buildings(shared_data / "sj_buildings_downtown.gpkg")
    streets = read_streets_file(shared_data / "sj_downtown_drive.graphml")
    inputs = Inputs(sites=sites, buildings=Footprints.from_geometries(layer.geoms), streets=streets)
    checker = build_checker(
        inputs, policy=policy, cameras=[Camera("x", -121.886, 37.335, 0, 20, 25)]
    )
    return checker, streets


def _cameras(checker, n: int, seed: int) -> list[Camera]:
    """Poses on real street edges: half near a real site aiming roughly at it, half random."""
    gen = np.random.default_rng(seed)
    net = checker.streets
    cams = []
    sites_xy = [checker.projector.project(s.geometry).centroid for s in checker.sites]
    # Only the downtown sites have streets in this extract.
    sites_xy = [c for c in sites_xy if net.snap(c.x, c.y, max_distance_m=300) is not None]
    assert len(sites_xy) >= 10
    for i in range(n):
        if i % 2 == 0:
            target = sites_xy[gen.integers(len(sites_xy))]
            snap = net.snap(target.x, target.y, max_distance_m=300)
            line = net.lines[snap.edge]
            along = line.project(Point(snap.x, snap.y)) + gen.uniform(-40, 40)
            p = line.interpolate(min(max(along, 0.0), line.length))
            heading = math.degrees(math.atan2(target.x - p.x, target.y - p.y)) + gen.uniform(
                -25, 25
            )
        else:
            line = net.lines[gen.integers(len(net.lines))]
            p = line.interpolate(gen.uniform(0, line.length))
            heading = net.snap(p.x, p.y).bearing_deg + gen.choice([0.0, 180.0])
        lon, lat = checker.projector.lonlat(p.x, p.y)
        cams.append(
            Camera(
                f"R{i}",
                lon,
                lat,
                heading % 360,
                float(gen.choice([14, 20, 24, 44])),
                float(gen.choice([25, 45, 76])),
            )
        )
    return cams


def _brute_capture(checker, cam: Camera, zone: shapely.Geometry, spacing: float = 1.0) -> int:
    """How many grid points of ``zone`` the camera sees, by direct segment tests."""
    x0, y0 = checker.projector.point(cam.lon, cam.lat)
    minx, miny, maxx, maxy = zone.bounds
    xs, ys = np.meshgrid(np.arange(minx, maxx, spacing), np.arange(miny, maxy, spacing))
    pts = shapely.points(xs.ravel(), ys.ravel())
    pts = pts[shapely.contains(zone, pts)]
    dx = shapely.get_x(pts) - x0
    dy = shapely.get_y(pts) - y0
    r = np.hypot(dx, dy)
    b = np.degrees(np.arctan2(dx, dy))
    d = np.abs((b - cam.heading_deg + 180) % 360 - 180)
    pts = pts[(r < cam.range_m - 0.05) & (d < cam.fov_deg / 2 - 0.05)]
    if len(pts) == 0:
        return 0
    blds = checker.buildings.lonlat(checker.buildings.query(zone.union(Point(x0, y0)).envelope))
    blds = checker.projector.project(blds)
    blds = blds[~shapely.intersects(blds, Point(x0, y0))]
    seen = 0
    for p in pts:
        seg = LineString([(x0, y0), (p.x, p.y)])
        if not any(shapely.relate_pattern(seg, blds, "T********")):
            seen += 1
    return seen


def test_real_downtown_cameras_agree_with_brute_force(downtown) -> None:
    checker, _ = downtown
    cams = _cameras(checker, 60, seed=11)
    results = checker.check_cameras(cams).results
    statuses = [r.status for r in results]
    assert Severity.BLOCK in statuses and Severity.CLEAR in statuses
    zones = {z.site_id: z.geometry for z in checker.zones}
    compared = 0
    for cam, res in zip(cams, results, strict=True):
        captured = {f.site_id for f in res.findings if f.rule.value == "captures_entrance"}
        for site_id, zone in zones.items():
            if zone.distance(Point(checker.projector.point(cam.lon, cam.lat))) > cam.range_m:
                continue
            seen = _brute_capture(checker, cam, zone)
            if seen >= 3:
                assert site_id in captured, (cam, site_id, seen)
            if site_id in captured:
                overlap = next(f.overlap_m2 for f in res.findings if f.site_id == site_id)
                if overlap > 5.0:
                    assert seen > 0, (cam, site_id, overlap)
            compared += 1
    assert compared >= 20, compared


def test_real_sites_have_footprint_zones(downtown) -> None:
    checker, _ = downtown
    assert len(checker.sites) == 17
    assert all(z.basis.value == "footprint" for z in checker.zones)
    assert len(checker.zones) == 17
