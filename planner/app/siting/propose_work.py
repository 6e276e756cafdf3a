"""The Propose panel's work off the GUI thread: one run's inputs and the two jobs.

:class:`ProposeRequest` is read from the panel on the GUI thread; :func:`propose_work`
and :func:`curve_work` run on the app's worker thread and never touch a widget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

#: Seconds between live gap updates (HiGHS calls back far more often).
GAP_EVERY_S = 0.2
#: How long the quick answer may take (HiGHS starting from greedy).
PREVIEW_LIMIT_S = 0.05


@dataclass(frozen=True)
class ProposeRequest:
    """One Propose run's inputs, read from the panel on the GUI thread.

    Everything the worker needs, so that it never reads a widget.
    """

    checker: Any
    table: Any
    lenses: list[Any]
    params: Any
    targets: Any
    fixed: list[Any]
    budget: int | None
    time_limit: float
    used_ids: list[str]


def propose_work(request: ProposeRequest, progress: Any, cancel: Any) -> Any:
    """On the worker: candidates, the quick answer (sent as progress), then the exact solve."""
    from planner.propose.approaches import streets_from_table
    from planner.propose.engine import Proposer

    streets = streets_from_table(request.table, request.checker.projector)
    proposer = Proposer(
        request.checker,
        streets,
        request.lenses,
        request.params,
        targets=request.targets,
        workers=1,
        progress=lambda stage, f: progress(stage, f),
        cancel=cancel,
    )
    budget = request.budget
    kw: dict[str, Any] = {
        "cameras": budget,
        "cover_all": budget is None,
        "fixed": request.fixed,
        "used_ids": request.used_ids,
    }
    quick = proposer.solve(**kw, time_limit=PREVIEW_LIMIT_S)
    progress("quick", (proposer, quick))
    last = [0.0]

    def gap(primal: float, dual: float, g: float) -> None:
        now = time.monotonic()
        if now - last[0] >= GAP_EVERY_S:
            last[0] = now
            progress("gap", (primal, dual, g))

    exact = proposer.solve(**kw, time_limit=request.time_limit, progress=gap, cancel=cancel)
    return proposer, exact


def curve_work(proposer: Any, fixed: list[Any], progress: Any, cancel: Any) -> Any:
    """On the worker: the exact curve, 1 … cover-all more cameras, from what ``fixed`` read.

    Returns ``(base, points)``: the weight the fixed cameras read, and per number of
    added cameras the optimum total (fixed included), as :meth:`Proposer.solve` counts.
    """
    from planner.propose.solve import solve_max_cover, solve_set_cover

    sets, w = proposer.sets, proposer.approaches.weight
    covered, _values = proposer.fixed_values(fixed)
    base = float(w[covered].sum())
    fewest = int(solve_set_cover(sets, len(w), covered=covered, cancel=cancel).objective)
    points = []
    for n in range(1, fewest + 1):
        if cancel():
            break
        points.append(solve_max_cover(sets, w, n, covered=covered, time_limit=10.0).objective)
        progress(n, fewest)
    return base, points


__all__ = ["ProposeRequest", "curve_work", "propose_work"]
