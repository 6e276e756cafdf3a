"""The embedded demo: regenerated files match the committed ones; the plan checks 1/1/4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.core.buildings import BuildingIndex
from planner.core.checker import Checker
from planner.core.crs import Projector
from planner.core.model import Basis, Rule, Severity
from planner.io.datapack.demo import PACK_NAME, PLAN_NAME, TOWN_NAME, generate
from planner.io.datapack.store import read_pack
from planner.io.formats.plan import read_plan
from planner.io.formats.policy import builtin_policy
from planner.resources import data_path

COMMITTED = data_path("demo")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(out)
    return out


def test_committed_demo_is_small() -> None:
    files = {p.name: p.stat().st_size for p in COMMITTED.iterdir()}
    assert set(files) == {PACK_NAME, PLAN_NAME}
    assert sum(files.values()) < 2 * 1024 * 1024


def test_regenerated_plan_is_byte_identical(regenerated: Path) -> None:
    assert (regenerated / PLAN_NAME).read_bytes() == (COMMITTED / PLAN_NAME).read_bytes()


def test_regenerated_pack_matches_committed(regenerated: Path) -> None:
    new, old = read_pack(regenerated / PACK_NAME), read_pack(COMMITTED / PACK_NAME)
    assert new.warnings == old.warnings == []
    assert new.sites == old.sites  # ids, categories, names, entrances (geometry compared below)
    for a, b in zip(new.sites, old.sites, strict=True):
        assert a.geometry.equals_exact(b.geometry, 1e-9)
    assert new.cameras_existing == old.cameras_existing
    for name in ("streets", "buildings", "boundaries"):
        a, b = getattr(new, name), getattr(old, name)
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry")), name
        assert a.geometry.geom_equals_exact(b.geometry, 1e-9).all(), name
    strip = ("layer_state",)
    assert {k: v for k, v in new.metadata.items() if k not in strip} == {
        k: v for k, v in old.metadata.items() if k not in strip
    }


def test_demo_town_contents() -> None:
    pack = read_pack(COMMITTED / PACK_NAME)
    assert pack.metadata["name"] == TOWN_NAME and pack.metadata["synthetic"] is True
    assert 100 <= len(pack.buildings) <= 250
    assert len(pack.streets) > 100
    assert {"primary", "secondary", "tertiary", "residential"} <= set(pack.streets["highway"])
    assert pack.streets["name"].str.contains("Crescent").any()
    by_cat: dict[str, list] = {}
    for site in pack.sites:
        by_cat.setdefault(site.category, []).append(site)
    assert set(by_cat) == {"abortion_provider", "place_of_worship", "consulate", "embassy"}
    for category, sites in by_cat.items():
        assert any(s.entrances and s.geometry.geom_type == "Polygon" for s in sites), category
    assert any(s.geometry.geom_type == "Point" and not s.entrances for s in pack.sites)
    assert 3 <= len(pack.cameras_existing) <= 10
    assert any(c.heading_deg is None for c in pack.cameras_existing)
    lon, lat = pack.boundaries.geometry.iloc[0].centroid.coords[0]
    assert lon == pytest.approx(-121.95, abs=0.01) and lat == pytest.approx(37.35, abs=0.01)


def test_demo_plan_checks_one_block_one_warn_rest_clear() -> None:
    pack = read_pack(COMMITTED / PACK_NAME)
    plan = read_plan(COMMITTED / PLAN_NAME)
    projector = Projector.for_points([(c.lon, c.lat) for c in plan.cameras])
    buildings = BuildingIndex.from_geometries(
        np.asarray(pack.buildings.geometry.values), projector=projector
    )
    checker = Checker(
        policy=builtin_policy(), sites=pack.sites, projector=projector, buildings=buildings
    )
    result = checker.check_cameras(plan.cameras)
    status = {r.camera_id: r.status for r in result.results}
    assert list(status.values()).count(Severity.BLOCK) == 1
    assert list(status.values()).count(Severity.WARN) == 1
    assert list(status.values()).count(Severity.CLEAR) == len(plan.cameras) - 2 >= 3
    block = next(r for r in result.results if r.status is Severity.BLOCK)
    warn = next(r for r in result.results if r.status is Severity.WARN)
    assert [f.rule for f in block.findings] == [Rule.CAPTURES_ENTRANCE]
    assert block.findings[0].basis is Basis.ENTRANCE
    assert [f.rule for f in warn.findings] == [Rule.NEAR_ENTRANCE]
    # Within the 10 m margin of the 15 m zone, not inside it.
    assert 0 < warn.findings[0].distance_m <= 10
    # The labels in the plan say what to expect, so the demo explains itself.
    for cam in plan.cameras:
        assert cam.notes == f"demo: expected {status[cam.id]}"
