"""Covering problems over reading sets: merging, lazy greedy and the exact MILP.

Many legal poses read exactly the same approaches; the solver only needs one of
each *reading set*, and a set contained in another set is never needed either
(any solution using it is as good with the larger one). :func:`reduce_sets`
keeps the maximal distinct sets, which is what makes the MILP small: downtown San
José has tens of thousands of legal reading poses but about a thousand maximal
sets.

Two problems (SPEC 9), both over the approaches not already read by fixed
(existing) cameras:

- maximal covering, ``max sum w_j y_j`` subject to ``y_j <= sum_{s ∋ j} x_s``,
  ``sum x_s <= N``, ``x`` binary, ``0 <= y <= 1``;
- set covering, ``min sum x_s`` subject to ``sum_{s ∋ j} x_s >= 1`` for every
  approach some set reads.

:func:`greedy_max_cover` (lazy greedy, within ``1 - 1/e`` of the optimum) gives an
instant answer and the MILP's starting solution; :func:`solve_max_cover` and
:func:`solve_set_cover` run HiGHS with a time limit and return the best solution
found with its proven bound and gap.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Relative gap at which HiGHS stops: zero asks for a proven optimum.
MIP_REL_GAP = 0.0


@dataclass(frozen=True, slots=True)
class Solution:
    """Chosen sets and what the solver could prove about them.

    ``objective`` is the weight read (maximal covering) or the number of cameras
    (set covering), fixed cameras' share included in the weight; ``bound`` is the
    best bound proven (an upper bound for weight, a lower one for cameras);
    ``gap`` is ``|bound - objective| / max(|objective|, 1e-9)`` (0 when optimal).
    """

    chosen: tuple[int, ...]
    objective: float
    bound: float
    gap: float
    optimal: bool
    seconds: float
    method: str


def reduce_sets(
    sets: Sequence[np.ndarray], order: Sequence[int] | None = None
) -> tuple[list[np.ndarray], list[int]]:
    """Distinct maximal sets: duplicates and subsets of another set are dropped.

    ``order`` says which of equal sets to keep (the first in that order); returns
    the kept sets and, for each, its index in ``sets``.
    """
    order = list(range(len(sets))) if order is None else list(order)
    first: dict[bytes, int] = {}
    for i in order:
        key = np.asarray(sets[i], dtype=np.int64).tobytes()
        if len(sets[i]) and key not in first:
            first[key] = i
    cand = sorted(first.values(), key=lambda i: -len(sets[i]))
    as_sets = {i: frozenset(np.asarray(sets[i]).tolist()) for i in cand}
    # Sets containing each element, among those kept so far (larger ones first).
    holders: dict[int, list[int]] = {}
    kept: list[int] = []
    for i in cand:
        s = as_sets[i]
        rarest = min(s, key=lambda e: len(holders.get(e, ())))
        if any(s <= as_sets[j] for j in holders.get(rarest, ())):
            continue
        kept.append(i)
        for e in s:
            holders.setdefault(e, []).append(i)
    kept.sort()
    return [np.asarray(sets[i]) for i in kept], kept


def greedy_max_cover(
    sets: Sequence[np.ndarray],
    weight: np.ndarray,
    budget: int,
    *,
    covered: np.ndarray | None = None,
) -> list[int]:
    """Lazy greedy: up to ``budget`` sets, each the one adding the most weight."""
    done = np.zeros(len(weight), dtype=bool) if covered is None else covered.copy()
    heap = [(-float(weight[s][~done[s]].sum()), i) for i, s in enumerate(sets)]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap and len(chosen) < budget:
        _, i = heapq.heappop(heap)
        gain = float(weight[sets[i]][~done[sets[i]]].sum())
        if gain <= 0:
            continue
        if heap and gain < -heap[0][0] - 1e-9:
            heapq.heappush(heap, (-gain, i))
            continue
        chosen.append(i)
        done[sets[i]] = True
    return chosen


def greedy_set_cover(
    sets: Sequence[np.ndarray], n_items: int, *, covered: np.ndarray | None = None
) -> list[int]:
    """Greedy set cover of every item some set holds (unit weights)."""
    coverable = np.zeros(n_items, dtype=bool)
    for s in sets:
        coverable[s] = True
    if covered is not None:
        coverable &= ~covered
    return greedy_max_cover(sets, coverable.astype(float), len(sets), covered=~coverable)


def covered_weight(sets: Sequence[np.ndarray], chosen: Sequence[int], weight: np.ndarray) -> float:
    """Total weight of the items the chosen sets hold."""
    if not chosen:
        return 0.0
    items = np.unique(np.concatenate([sets[i] for i in chosen]))
    return float(weight[items].sum())


def marginal_weights(
    sets: Sequence[np.ndarray],
    chosen: Sequence[int],
    weight: np.ndarray,
    *,
    covered: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """The chosen sets in greedy order, each with the weight it adds to those before."""
    done = np.zeros(len(weight), dtype=bool) if covered is None else covered.copy()
    left = list(chosen)
    out: list[tuple[int, float]] = []
    while left:
        gains = [float(weight[sets[i]][~done[sets[i]]].sum()) for i in left]
        k = int(np.argmax(gains))
        i = left.pop(k)
        out.append((i, gains[k]))
        done[sets[i]] = True
    return out


_banner_shown = False


def _highs() -> Any:
    """A quiet HiGHS instance (one thread, proven optimum asked for)."""
    import highspy

    global _banner_shown
    if _banner_shown:
        h = highspy.Highs()
    else:
        # The first instance in a process prints a copyright banner on the C
        # stdout, which would corrupt ``propose --format json``: send it nowhere.
        _banner_shown = True
        with _c_stdout_silenced():
            h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    # One thread: the machine's other cores are for the user (and results repeat).
    h.setOptionValue("threads", 1)
    return h


@contextlib.contextmanager
def _c_stdout_silenced() -> Iterator[None]:
    """Point file descriptor 1, where C code prints, at the null device for a moment."""
    for stream in (sys.stdout, sys.__stdout__):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()  # type: ignore[union-attr]
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 at all (a GUI started without a console)
        yield
        return
    try:
        with Path(os.devnull).open("w") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _columns(
    sets: Sequence[np.ndarray], row_of: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    starts = [0]
    index: list[np.ndarray] = []
    for s in sets:
        rows = row_of[s]
        rows = np.unique(rows[rows >= 0])
        index.append(rows)
        starts.append(starts[-1] + len(rows))
    idx = np.concatenate(index).astype(np.int32) if index else np.empty(0, np.int32)
    return np.asarray(starts, dtype=np.int32), idx, np.ones(len(idx))


def solve_max_cover(
    sets: Sequence[np.ndarray],
    weight: np.ndarray,
    budget: int,
    *,
    covered: np.ndarray | None = None,
    time_limit: float = 60.0,
    start: Sequence[int] | None = None,
    cancel: Callable[[], bool] | None = None,
    progress: Callable[[float, float, float], None] | None = None,
) -> Solution:
    """Maximal covering with HiGHS: at most ``budget`` sets, most weight read.

    ``covered`` marks items fixed cameras already read (their weight counts, once);
    ``start`` is a feasible solution to begin from (greedy's by default).
    """
    t0 = time.perf_counter()
    done = np.zeros(len(weight), dtype=bool) if covered is None else covered
    base = float(weight[done].sum())
    if start is None:
        start = greedy_max_cover(sets, weight, budget, covered=done)
    open_items = np.zeros(len(weight), dtype=bool)
    for s in sets:
        open_items[s] = True
    open_items &= ~done
    open_items &= weight > 0
    open_weight = np.where(open_items, weight, 0.0)
    items = np.flatnonzero(open_items)
    if budget <= 0 or len(items) == 0 or len(sets) == 0:
        return Solution((), base, base, 0.0, True, time.perf_counter() - t0, "trivial")
    if budget >= len(sets):
        chosen = tuple(i for i, s in enumerate(sets) if open_items[s].any())
        value = base + covered_weight(sets, chosen, open_weight)
        return Solution(chosen, value, value, 0.0, True, time.perf_counter() - t0, "all")
    h = _highs()
    h.passModel(_max_cover_lp(sets, weight, items, budget))
    h.setOptionValue("time_limit", max(0.01, float(time_limit)))
    if start:
        _warm_start(h, sets, start, items, n_items=len(weight))
    _watch(h, cancel, progress)
    h.run()
    start_value = base + covered_weight(sets, start, open_weight)
    return _result(
        h, len(sets), base=base, sense=1.0, fallback=(tuple(start), start_value), t0=t0,
        sets=sets,
    )  # fmt: skip


def _max_cover_lp(
    sets: Sequence[np.ndarray], weight: np.ndarray, items: np.ndarray, budget: int
) -> Any:
    """``max sum w_j y_j`` s.t. ``y_j <= sum_{s ∋ j} x_s``, ``sum x_s <= budget``.

    Columns are the sets' ``x_s`` (integer) then the open items' ``y_j``.
    """
    import highspy

    row_of = np.full(len(weight), -1, dtype=np.int64)
    row_of[items] = np.arange(len(items))
    n_x, n_y = len(sets), len(items)
    x_start, x_index, _ = _columns(sets, row_of)
    # y_j - sum x_s <= 0 (rows 0..n_y-1); sum x_s <= budget (row n_y).
    starts = np.concatenate([x_start[:-1] + np.arange(n_x), x_start[-1] + n_x + np.arange(n_y + 1)])
    index = np.empty(len(x_index) + n_x + n_y, dtype=np.int32)
    coef = np.empty(len(index))
    for j in range(n_x):
        a, b = x_start[j], x_start[j + 1]
        o = a + j
        index[o : o + (b - a)] = x_index[a:b]
        coef[o : o + (b - a)] = -1.0
        index[o + (b - a)] = n_y
        coef[o + (b - a)] = 1.0
    o = x_start[-1] + n_x
    index[o:] = np.arange(n_y, dtype=np.int32)
    coef[o:] = 1.0
    lp = highspy.HighsLp()
    lp.num_col_ = n_x + n_y
    lp.num_row_ = n_y + 1
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([np.zeros(n_x), weight[items].astype(float)])
    lp.col_lower_ = np.zeros(n_x + n_y)
    lp.col_upper_ = np.ones(n_x + n_y)
    lp.row_lower_ = np.full(n_y + 1, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate([np.zeros(n_y), [float(budget)]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts.astype(np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = coef
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_x + [
        highspy.HighsVarType.kContinuous
    ] * n_y
    return lp


def _warm_start(
    h: Any, sets: Sequence[np.ndarray], start: Sequence[int], items: np.ndarray, *, n_items: int
) -> None:
    """Hand HiGHS the sets ``start`` and the open items they read as a first solution."""
    import highspy

    n_x = len(sets)
    col = np.zeros(n_x + len(items))
    col[list(start)] = 1.0
    hit = np.zeros(n_items, dtype=bool)
    for i in start:
        hit[sets[i]] = True
    col[n_x:] = hit[items].astype(float)
    sol = highspy.HighsSolution()
    sol.col_value = col.tolist()
    sol.value_valid = True
    h.setSolution(sol)


def solve_set_cover(
    sets: Sequence[np.ndarray],
    n_items: int,
    *,
    covered: np.ndarray | None = None,
    time_limit: float = 60.0,
    cancel: Callable[[], bool] | None = None,
    progress: Callable[[float, float, float], None] | None = None,
) -> Solution:
    """Set covering with HiGHS: the fewest sets holding every item some set holds."""
    import highspy

    t0 = time.perf_counter()
    done = np.zeros(n_items, dtype=bool) if covered is None else covered
    need = np.zeros(n_items, dtype=bool)
    for s in sets:
        need[s] = True
    need &= ~done
    items = np.flatnonzero(need)
    start = greedy_set_cover(sets, n_items, covered=done)
    if len(items) == 0:
        return Solution((), 0.0, 0.0, 0.0, True, time.perf_counter() - t0, "trivial")
    row_of = np.full(n_items, -1, dtype=np.int64)
    row_of[items] = np.arange(len(items))
    starts, index, value = _columns(sets, row_of)
    n_x = len(sets)
    lp = highspy.HighsLp()
    lp.num_col_ = n_x
    lp.num_row_ = len(items)
    lp.sense_ = highspy.ObjSense.kMinimize
    lp.col_cost_ = np.ones(n_x)
    lp.col_lower_ = np.zeros(n_x)
    lp.col_upper_ = np.ones(n_x)
    lp.row_lower_ = np.ones(len(items))
    lp.row_upper_ = np.full(len(items), highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_x
    h = _highs()
    h.passModel(lp)
    h.setOptionValue("time_limit", max(0.01, float(time_limit)))
    col = np.zeros(n_x)
    col[start] = 1.0
    sol = highspy.HighsSolution()
    sol.col_value = col.tolist()
    sol.value_valid = True
    h.setSolution(sol)
    _watch(h, cancel, progress)
    h.run()
    return _result(
        h, n_x, base=0.0, sense=-1.0, fallback=(tuple(start), float(len(start))), t0=t0, sets=sets
    )


def _watch(
    h: object,
    cancel: Callable[[], bool] | None,
    progress: Callable[[float, float, float], None] | None,
) -> None:
    """Stop HiGHS when ``cancel()`` turns true; report ``(primal, dual, gap)`` as it goes."""
    if cancel is None and progress is None:
        return

    def interrupt(event: object) -> None:
        out = event.data_out  # type: ignore[attr-defined]
        if progress is not None:
            progress(float(out.mip_primal_bound), float(out.mip_dual_bound), float(out.mip_gap))
        if cancel is not None and cancel():
            event.interrupt()  # type: ignore[attr-defined]

    h.cbMipInterrupt.subscribe(interrupt)  # type: ignore[attr-defined]


def _result(
    h: object,
    n_x: int,
    *,
    base: float,
    sense: float,
    fallback: tuple[tuple[int, ...], float],
    t0: float,
    sets: Sequence[np.ndarray],
) -> Solution:
    import highspy

    status = h.getModelStatus()  # type: ignore[attr-defined]
    info = h.getInfo()  # type: ignore[attr-defined]
    optimal = status == highspy.HighsModelStatus.kOptimal
    chosen, value = fallback
    if info.primal_solution_status == 2:  # feasible
        col = np.asarray(h.getSolution().col_value[:n_x])  # type: ignore[attr-defined]
        picked = tuple(int(i) for i in np.flatnonzero(col > 0.5))
        obj = float(info.objective_function_value) + base
        # HiGHS keeps the start when it finds nothing better; never do worse than it.
        if sense * obj >= sense * value - 1e-9:
            chosen, value = picked, obj
    bound = float(info.mip_dual_bound) + base
    if not math.isfinite(bound):
        bound = value if optimal else (math.inf if sense > 0 else 0.0)
        if sense < 0 and not optimal:
            bound = 0.0
    if optimal:
        bound = value
    # Whole cameras: a bound of 6.2 proves 7. A bound never beats the solution.
    bound = float(min(math.ceil(bound - 1e-6), value)) if sense < 0 else max(bound, value)
    gap = abs(bound - value) / max(abs(value), 1e-9) if math.isfinite(bound) else math.inf
    optimal = optimal or gap <= 1e-9
    return Solution(
        chosen, value, bound, 0.0 if optimal else gap, optimal, time.perf_counter() - t0, "milp"
    )
