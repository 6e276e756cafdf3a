"""Real-data stress comparison: the checker against the ray sampler of ``ray_sampler``.

Cameras are placed at random within 100 m of the 17 real sites, with random poses,
among the real building footprints; every camera-site pair is judged by both and
classified. Used by ``tests/test_core_stress.py`` (a few dozen cameras) and by
``benchmarks/stress_check.py`` (thousands).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import shapely

from planner.core.checker import Checker
from planner.core.model import Camera, Rule, Site
from tests import ray_sampler

FOVS = (14.0, 20.0, 24.0, 44.0, 90.0, 360.0)
RANGES = (25.0, 45.0, 76.0)


def random_cameras(sites: list[Site], n: int, seed: int) -> list[Camera]:
    """``n`` cameras within 100 m of a random site's footprint, random poses."""
    gen = np.random.default_rng(seed)
    tr = ray_sampler.utm_transformer(*sites[0].geometry.centroid.coords[0])
    inv = ray_sampler.Transformer.from_crs(tr.target_crs, 4326, always_xy=True)
    cams = []
    for i in range(n):
        site = sites[int(gen.integers(len(sites)))]
        c = site.geometry.centroid
        x, y = tr.transform(c.x, c.y)
        r = 100.0 * math.sqrt(gen.uniform()) + gen.uniform(0, 20)
        a = gen.uniform(0, 2 * math.pi)
        lon, lat = inv.transform(x + r * math.sin(a), y + r * math.cos(a))
        heading = None if gen.uniform() < 0.05 else float(gen.uniform(0, 360))
        cams.append(
            Camera(
                f"S{i}",
                round(float(lon), 8),
                round(float(lat), 8),
                heading,
                float(gen.choice(FOVS)),
                float(gen.choice(RANGES)),
            )
        )
    return cams


@dataclass
class Outcome:
    counts: Counter = field(default_factory=Counter)
    disagreements: list[dict] = field(default_factory=list)
    sliver_parts: int = 0
    tiny_overlaps: list[tuple[str, str, float]] = field(default_factory=list)
    distance_errors: list[tuple[str, str, float, float]] = field(default_factory=list)
    #: Pairs the rays cannot decide: (camera, site, checker verdict, sampled slack m).
    borderline: list[tuple[str, str, str, float]] = field(default_factory=list)


def compare(
    checker: Checker,
    cams: list[Camera],
    buildings_lonlat: np.ndarray,
    *,
    step_deg: float = 0.05,
) -> Outcome:
    """Judge every camera-site pair within reach by the checker and by the sampler."""
    out = Outcome()
    policy = checker.policy
    tree = shapely.STRtree(buildings_lonlat)
    for cam in cams:
        tr = ray_sampler.utm_transformer(cam.lon, cam.lat)
        res = checker.check_camera(cam, with_geometry=True)
        vis = res.visible
        if vis is not None and not vis.is_empty:
            parts = shapely.get_parts(vis)
            out.sliver_parts += int((shapely.area(parts) < 1e-6).sum())
        by_site = {f.site_id: f for f in res.findings if f.site_id is not None}
        deg = (cam.range_m + 200.0) / 90_000.0
        near_idx = tree.query(
            shapely.box(cam.lon - deg, cam.lat - deg, cam.lon + deg, cam.lat + deg)
        )
        scene = ray_sampler.make_scene(
            tr,
            cam.lon,
            cam.lat,
            cam.heading_deg,
            cam.fov_deg,
            cam.range_m,
            buildings_lonlat[near_idx],
        )
        bs = ray_sampler.bearings(scene, step_deg)
        tol = cam.range_m * math.radians(step_deg) + 0.05
        for site in checker.sites:
            core = shapely.transform(
                site.geometry, lambda c, tr=tr: np.column_stack(tr.transform(c[:, 0], c[:, 1]))
            )
            radius = policy.entrance_radius(site.category)
            margin = policy.warn_margin(site.category)
            if core.distance(shapely.Point(scene.x, scene.y)) > cam.range_m + radius + margin + 1:
                continue
            f = by_site.get(site.id)
            got = (
                "none" if f is None else ("capture" if f.rule is Rule.CAPTURES_ENTRANCE else "near")
            )
            d, bearing = ray_sampler.zone_distance(scene, core, bs)
            want = _verdict(d, radius, margin)
            nearest = _nearest_bearing(vis, core, scene, bearing)
            if f is not None and f.rule is Rule.CAPTURES_ENTRANCE and (f.overlap_m2 or 0) < 0.01:
                # The telltale of a sliver, unless the rays really enter the zone: a
                # camera standing a few cm inside the zone's rim, or a wall just in
                # front of it, leaves only a tiny but real overlap.
                if min(d, ray_sampler.refined_distance(scene, core, nearest)) < radius:
                    out.counts["of which grazing captures (overlap < 0.01 m2, rays agree)"] += 1
                else:
                    out.tiny_overlaps.append((cam.id, site.id, float(f.overlap_m2 or 0)))
            if min(abs(d - radius), abs(d - radius - margin)) <= tol:
                # Too close to a threshold for the coarse rays: zoom in on both bearings.
                d = min(
                    d,
                    ray_sampler.refined_distance(scene, core, nearest),
                    ray_sampler.refined_distance(scene, core, bearing),
                )
                want = _verdict(d, radius, margin)
                if min(abs(d - radius), abs(d - radius - margin)) <= 0.01:
                    out.counts["within 1 cm of a threshold"] += 1
                    out.borderline.append((cam.id, site.id, got, round(d - radius, 4)))
                    continue
                out.counts["compared after zooming in"] += 1
            if got != want:
                # Zoom in where the checker's view comes nearest, and where the rays did.
                d2 = min(
                    ray_sampler.refined_distance(scene, core, nearest),
                    ray_sampler.refined_distance(scene, core, bearing),
                )
                want2 = _verdict(d2, radius, margin)
                if want2 == got:
                    out.counts["agree after zooming in"] += 1
                    continue
                out.counts["disagree"] += 1
                out.disagreements.append(
                    {
                        "camera": cam,
                        "site": site.id,
                        "checker": got,
                        "sampler": want2,
                        "sampler_distance_m": round(d2, 3),
                        "checker_distance_m": None if f is None else f.distance_m,
                    }
                )
                continue
            out.counts["agree"] += 1
            if got == "near":
                expected = d - radius
                if abs((f.distance_m or 0.0) - expected) > tol + 0.01:
                    d2 = (
                        min(
                            ray_sampler.refined_distance(scene, core, nearest),
                            ray_sampler.refined_distance(scene, core, bearing),
                        )
                        - radius
                    )
                    if abs((f.distance_m or 0.0) - d2) > 0.02:
                        out.distance_errors.append((cam.id, site.id, f.distance_m, d2))
    return out


def _nearest_bearing(vis, core, scene, fallback: float) -> float:
    """Bearing from the camera to the point of the checker's view nearest to ``core``."""
    if vis is None or vis.is_empty:
        return fallback
    (x0, y0), _ = shapely.shortest_line(vis, core).coords
    return math.degrees(math.atan2(x0 - scene.x, y0 - scene.y))


def _verdict(d: float, radius: float, margin: float) -> str:
    if d < radius:
        return "capture"
    if d <= radius + margin:
        return "near"
    return "none"
