"""Load data layers and build the checker; plain functions that run on a worker thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from planner.app.document import DataContext
from planner.core.model import Camera, Plan, Policy


def demo_paths() -> tuple[Path, Path]:
    """The embedded demo: ``(plan, data pack)``."""
    try:
        from planner import demo

        plan, pack = demo.demo_plan_path(), demo.demo_pack_path()
        return Path(plan), Path(pack)
    except (ImportError, AttributeError):
        from planner.resources import data_path

        return data_path("demo", "demo.plan.geojson"), data_path("demo", "demo.gpkg")


def load_policy() -> Policy:
    from planner.io.policy import builtin_policy

    return builtin_policy()


def load_catalogue() -> Any:
    from planner.io.catalogue import builtin_catalogue

    return builtin_catalogue()


def load_data_context(
    *,
    policy: Policy,
    cameras: Sequence[Camera],
    pack: Path | None = None,
    sites: Sequence[Path] = (),
    buildings: Sequence[Path] = (),
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> DataContext:
    """Read the layers and build the checker (slow: call on a worker for big packs).

    Raises
    ------
    InputError
        When a layer cannot be read; the caller shows it and keeps the old data.
    """
    from planner.io.loader import build_checker, load_inputs

    inputs = load_inputs(data=pack, sites=list(sites), buildings=list(buildings),
                         policy=policy, progress=progress, cancel=cancel)
    checker = build_checker(inputs, policy=policy, cameras=cameras)
    network = getattr(checker, "streets", None)
    buildings_geoms = inputs.buildings
    return DataContext(
        checker=checker,
        projector=checker.projector,
        sites=list(inputs.sites),
        buildings=buildings_geoms,
        streets=inputs.streets,
        street_network=network,
        cameras_existing=list(inputs.cameras_existing),
        layers=list(inputs.layers),
        pack_path=pack,
    )


def load_plan_and_data(
    *,
    plan_path: Path | None,
    pack: Path | None,
    policy: Policy,
    sites: Sequence[Path] = (),
    buildings: Sequence[Path] = (),
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[Plan | None, DataContext]:
    """Read a plan (if any) and its data; the plan's cameras choose the projection."""
    plan = None
    if plan_path is not None:
        from planner.io.plan import read_plan

        plan = read_plan(plan_path)
    cams = [] if plan is None else plan.cameras
    data = load_data_context(policy=policy, cameras=cams, pack=pack, sites=sites,
                             buildings=buildings, progress=progress, cancel=cancel)
    return plan, data
