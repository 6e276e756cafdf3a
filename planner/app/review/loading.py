"""The review's re-check, off the GUI thread: the plan checked with the reviewer's data,
and the map's layers prepared from what the re-check read (no second read of the pack)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from planner.app.common.workers import Task
from planner.io.checking.recheck import recheck


def review_inputs(
    plan: Path, *, data: Path | None, policy: Path | None, allowed_signers: Path | None
) -> SimpleNamespace:
    """What the re-check reads: the plan, the reviewer's pack and policy, the signers."""
    return SimpleNamespace(
        plan=Path(plan),
        data=data,
        sites=[],
        buildings=[],
        streets=None,
        policy=policy,
        allowed_signers=allowed_signers,
    )


def prepare_review(ns: SimpleNamespace, progress: Any, cancel: Any) -> SimpleNamespace:
    """Re-check the plan of ``ns`` and prepare its map: ``rc``, ``layers`` and ``xy``
    (each camera's projected position). Runs on the worker thread."""
    from planner.app.map.canvas.prepare import prepare_boundary_arrays, prepare_layers

    rc = recheck(ns, with_geometry=True, cancel=cancel, progress=lambda what, f: progress(what, f))
    progress("Preparing the map", 0.6)
    proj = rc.checker.projector
    # the boundaries of the pack the re-check read (IT's, when locked), as it read
    # them: no second read of the pack
    boundaries = None
    if getattr(rc.inputs, "boundaries", None) is not None:
        geoms, cols = rc.inputs.boundaries
        boundaries = prepare_boundary_arrays(
            geoms, names=cols.get("name"), kinds=cols.get("kind"), projector=proj
        )
    # buildings stream into the map by area from the checker's index, as in the
    # planner's window: a citywide copy projected for the map cost ~400 MB
    index = getattr(rc.checker, "buildings", None)
    stream = index is not None and len(index) > 0
    layers = prepare_layers(
        projector=proj,
        streets=rc.inputs.streets,
        buildings=None if stream else rc.inputs.buildings,
        sites=list(rc.checker.sites),
        zones=list(rc.checker.zones),
        boundaries=boundaries,
    )
    xy = {c.id: rc.checker.projector.point(c.lon, c.lat) for c in rc.plan.cameras}
    # one plain object: a tuple through a Qt signal may be converted to a list type
    return SimpleNamespace(rc=rc, layers=layers, xy=xy)


def wait_for(task: Task, delivered: Callable[[], bool]) -> None:
    """Run the event loop until ``task`` is done and its result ``delivered``."""
    from PySide6.QtWidgets import QApplication

    while not task.done.is_set():
        QApplication.processEvents()
        task.done.wait(0.01)
    # the result arrives as a queued signal: deliver it before returning
    for _ in range(500):
        QApplication.processEvents()
        if delivered() or task.is_cancelled:
            break
        time.sleep(0.01)
