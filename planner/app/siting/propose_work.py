"""What the Propose panel runs on the worker thread: plain functions, no widgets.

:func:`propose_work` builds the candidates and solves (a quick answer reported at
once, then the exact solve with its gap); :func:`curve_work` solves the curve of
weight read against number of cameras exactly, starting from what the fixed
(existing) cameras already read, as the solve does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Seconds between live gap updates (HiGHS calls back far more often).
_GAP_EVERY_S = 0.2
#: How long the quick answer may take (HiGHS starting from greedy).
_PREVIEW_LIMIT_S = 0.05
#: Time limit of each point of the curve.
_CURVE_POINT_LIMIT_S = 10.0

Progress = Callable[[Any, Any], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class ProposeRun:
    """One proposal request, gathered from the panel on the GUI thread."""

    checker: Any
    table: Any  # the pack's street table
    lenses: list[Any]
    params: Any  # planner.propose.candidates.CandidateParams
    targets: Any  # shapely polygon in the checker's CRS, or None (everywhere)
    fixed: list[Any] = field(default_factory=list)
    budget: int | None = None  # None: the fewest cameras reading everything
    time_limit: float = 30.0
    used_ids: list[str] = field(default_factory=list)


def propose_work(run: ProposeRun, progress: Progress, cancel: Cancel) -> tuple[Any, Any]:
    """Candidates, a quick answer (reported as ``("quick", (proposer, result))``), the optimum."""
    from planner.propose.approaches import streets_from_table
    from planner.propose.engine import Proposer

    streets = streets_from_table(run.table, run.checker.projector)
    proposer = Proposer(
        run.checker,
        streets,
        run.lenses,
        run.params,
        targets=run.targets,
        workers=1,
        progress=lambda stage, f: progress(stage, f),
        cancel=cancel,
    )
    kw: dict[str, Any] = {
        "cameras": run.budget,
        "cover_all": run.budget is None,
        "fixed": run.fixed,
        "used_ids": run.used_ids,
    }
    quick = proposer.solve(**kw, time_limit=_PREVIEW_LIMIT_S)
    progress("quick", (proposer, quick))
    last = [0.0]

    def gap(primal: float, dual: float, g: float) -> None:
        now = time.monotonic()
        if now - last[0] >= _GAP_EVERY_S:
            last[0] = now
            progress("gap", (primal, dual, g))

    exact = proposer.solve(**kw, time_limit=run.time_limit, progress=gap, cancel=cancel)
    return proposer, exact


def curve_work(
    proposer: Any, fixed: list[Any], progress: Progress, cancel: Cancel
) -> tuple[float, list[float]]:
    """``(base, points)``: what ``fixed`` reads, then the optimum with 1 … cover-all more."""
    from planner.propose.solve import solve_max_cover, solve_set_cover

    sets, w = proposer.sets, proposer.approaches.weight
    covered, _values = proposer.fixed_values(fixed)
    base = float(w[covered].sum())
    fewest = int(solve_set_cover(sets, len(w), covered=covered, cancel=cancel).objective)
    points: list[float] = []
    for n in range(1, fewest + 1):
        if cancel():
            break
        sol = solve_max_cover(sets, w, n, covered=covered, time_limit=_CURVE_POINT_LIMIT_S)
        points.append(sol.objective)
        progress(n, fewest)
    return base, points


__all__ = ["ProposeRun", "curve_work", "propose_work"]
