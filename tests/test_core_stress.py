"""Real-data stress regression (issue: slivers, shared walls): checker vs ray sampling.

Cameras at random within 100 m of the 17 real sites, among the real downtown
building footprints. Every camera-site verdict must match an independent dense ray
sampler (``tests/ray_sampler.py``, no project code) wherever the distance is
farther from a threshold than the sampling step; no part of any visible cone may
have zero area, and no ``captures_entrance`` may report an overlap under 0.01 m².
"""

from __future__ import annotations

import pytest

from planner.core.buildings import BuildingIndex
from planner.core.checker import Checker
from planner.core.crs import Projector
from planner.io.formats.buildings import read_buildings
from planner.io.formats.policy import builtin_policy
from planner.io.formats.sites import read_sites
from tests.stress_support import compare, random_cameras

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def stress_setup(shared_data):
    policy = builtin_policy()
    sites = read_sites(shared_data / "sj_sensitive_sites.geojson", policy=policy)
    layer = read_buildings(shared_data / "sj_buildings_downtown.gpkg")
    proj = Projector.from_crs(32610)
    bidx = BuildingIndex.from_geometries(layer.geoms, projector=proj)
    checker = Checker(policy=policy, sites=sites, projector=proj, buildings=bidx)
    return checker, bidx.footprints.geometries(), sites


def _assert_clean(outcome) -> None:
    assert outcome.sliver_parts == 0
    assert outcome.tiny_overlaps == []
    assert outcome.disagreements == [], outcome.disagreements[:3]
    assert outcome.distance_errors == [], outcome.distance_errors[:3]


def test_random_cameras_near_real_sites_agree_with_ray_sampling(stress_setup) -> None:
    checker, blds, sites = stress_setup
    cams = random_cameras(sites, 40, seed=2026)
    outcome = compare(checker, cams, blds)
    _assert_clean(outcome)
    assert outcome.counts["agree"] >= 20, outcome.counts


@pytest.mark.slow
def test_more_random_cameras_near_real_sites(stress_setup) -> None:
    checker, blds, sites = stress_setup
    outcome = compare(checker, random_cameras(sites, 300, seed=7), blds)
    _assert_clean(outcome)
