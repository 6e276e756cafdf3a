"""The proposal engine: candidates once, then any number of solves (SPEC 9).

:class:`Proposer` builds the approaches, the candidate poses and the reading
sets once (the expensive part); :meth:`Proposer.solve` then answers a budget or
``cover_all`` in a fraction of a second, with fixed cameras (existing ones, or
proposals a planner has accepted) counting as already read.

Every pose the engine proposes is checked once more with
:meth:`planner.core.checker.Checker.check_camera`, the very code ``check`` runs,
at the coordinates written to the plan. Should one fail (it never has: the pose
table comes from the same checker), the next pose with the same reading set
takes its place, or the set is dropped and the problem solved again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry.base import BaseGeometry

from planner.core.checker import Checker
from planner.core.model import Camera, CameraStatus, Severity
from planner.propose.approaches import Approaches, Streets, build_approaches
from planner.propose.candidates import CandidateParams, Lens, Positions, kerb_positions
from planner.propose.poses import PoseTable, build_poses_parallel
from planner.propose.reading import ReadingModel
from planner.propose.solve import (
    Solution,
    greedy_max_cover,
    marginal_weights,
    reduce_sets,
    solve_max_cover,
    solve_set_cover,
)

#: How often a failed re-check may make the engine solve again.
_MAX_RESOLVES = 5


@dataclass(frozen=True, slots=True)
class ProposedCamera:
    """One proposal: the camera to write and what it adds."""

    camera: Camera
    reads: tuple[int, ...]
    marginal_weight: float
    severity: Severity


@dataclass(frozen=True, slots=True)
class CameraValue:
    """What a fixed (existing) camera reads and the weight only it reads."""

    camera_id: str
    reads: tuple[int, ...]
    weight: float
    unique_weight: float


@dataclass(frozen=True, slots=True)
class Result:
    """The answer to one solve, with the figures SPEC 9 asks for."""

    cameras: tuple[ProposedCamera, ...]
    solution: Solution
    greedy_objective: float
    fixed_weight: float
    fixed: tuple[CameraValue, ...]
    rechecked: int
    recheck_failures: int


@dataclass
class Stats:
    """Sizes and timings of the candidate stage."""

    approaches: int = 0
    readable_approaches: int = 0
    positions: int = 0
    candidates: int = 0
    legal: int = 0
    reading_poses: int = 0
    distinct_sets: int = 0
    maximal_sets: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


class Proposer:
    """Candidates, legality and reading sets for one area, ready to solve.

    Parameters
    ----------
    checker
        The checker ``check`` would build for the same policy and data.
    streets
        The directed street layer, projected in ``checker.projector``'s CRS.
    lenses
        The camera models to propose.
    params
        Candidate layout and reading parameters.
    targets
        Polygon(s) in the checker's CRS; ``None`` proposes everywhere.
    poles
        Optional extra positions (Points, checker's CRS).
    workers
        Processes for the candidate stage (forked; 1 runs in this process).
    """

    def __init__(
        self,
        checker: Checker,
        streets: Streets,
        lenses: Sequence[Lens],
        params: CandidateParams | None = None,
        *,
        targets: BaseGeometry | None = None,
        poles: np.ndarray | None = None,
        workers: int = 1,
        progress: Callable[[str, float], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> None:
        self.checker = checker
        self.params = params or CandidateParams()
        self.lenses = tuple(lenses)
        self.stats = Stats()
        t0 = time.perf_counter()
        streets, self.approaches = self._streets_and_approaches(streets, targets)
        self.reading = ReadingModel(checker, self.approaches, self.params.read)
        self.positions: Positions = kerb_positions(
            streets, checker, self.params, targets=targets, poles=poles
        )
        t1 = time.perf_counter()
        self.poses: PoseTable = build_poses_parallel(
            checker,
            self.approaches,
            self.positions,
            self.lenses,
            self.params,
            workers=workers,
            model=self.reading,
            progress=None
            if progress is None
            else lambda done, total: progress("candidates", done / max(total, 1)),
            cancel=cancel,
        )
        t2 = time.perf_counter()
        self._merge()
        t3 = time.perf_counter()
        self._count(
            {"approaches_positions": t1 - t0, "candidates_legality": t2 - t1, "merge": t3 - t2}
        )
        self._bad_poses: set[int] = set()

    def _streets_and_approaches(
        self, streets: Streets, targets: BaseGeometry | None
    ) -> tuple[Streets, Approaches]:
        """The streets a camera in ``targets`` could see, and the approaches in ``targets``."""
        import shapely

        if targets is not None:
            # Only streets a camera in the targets could see matter (a citywide layer
            # has 160,000 rows); whole edges, so intersections keep their degree.
            reach = max((lens.range_m for lens in self.lenses), default=0.0)
            reach += self.params.read.read_far_m + 50.0
            near = shapely.intersects(streets.lines, shapely.buffer(targets, reach))
            streets = _streets_subset(streets, np.flatnonzero(near))
        approaches = build_approaches(streets, self.params.read)
        if targets is not None and len(approaches):
            inside = shapely.intersects(targets, approaches.zones)
            approaches = _take(approaches, np.flatnonzero(inside))
        return streets, approaches

    def _count(self, seconds: dict[str, float]) -> None:
        self.stats.approaches = len(self.approaches)
        self.stats.positions = len(self.positions)
        self.stats.candidates = self.poses.made
        self.stats.legal = self.poses.legal
        self.stats.reading_poses = len(self.poses)
        self.stats.seconds = dict(seconds)

    # -- reading sets -----------------------------------------------------------

    def _merge(self) -> None:
        poses = self.poses
        # Representatives: clear before warned, then the most road in view.
        order = np.lexsort(
            (poses.heading, poses.lens, poses.position, -poses.read_m, poses.severity)
        )
        sets = [poses.reads_of(int(k)) for k in range(len(poses))]
        members: dict[bytes, list[int]] = {}
        for k in order.tolist():
            members.setdefault(sets[k].tobytes(), []).append(k)
        self.stats.distinct_sets = len(members)
        kept_sets, kept = reduce_sets(sets, order.tolist())
        self.sets: list[np.ndarray] = kept_sets
        self.members: list[list[int]] = [members[sets[k].tobytes()] for k in kept]
        self.stats.maximal_sets = len(kept_sets)
        readable = np.zeros(len(self.approaches), dtype=bool)
        for s in kept_sets:
            readable[s] = True
        self.readable = readable
        self.stats.readable_approaches = int(readable.sum())

    # -- cameras --------------------------------------------------------------------

    def pose_camera(self, k: int, camera_id: str) -> Camera:
        """Pose ``k`` as a proposed camera at its saved coordinates."""
        p = int(self.poses.position[k])
        lens = self.lenses[int(self.poses.lens[k])]
        return Camera(
            id=camera_id,
            lon=float(self.positions.lon[p]),
            lat=float(self.positions.lat[p]),
            heading_deg=float(self.poses.heading[k]),
            fov_deg=lens.fov_deg,
            range_m=lens.range_m,
            status=CameraStatus.PROPOSED,
            model=lens.model,
            capabilities=lens.capabilities,
        )

    def fixed_values(self, cameras: Sequence[Camera]) -> tuple[np.ndarray, list[CameraValue]]:
        """What ``cameras`` read together, and each one's reads and unique weight."""
        w = self.approaches.weight
        reads = [self.reading.reads_of_camera(c) for c in cameras]
        count = np.zeros(len(w), dtype=np.int64)
        for r in reads:
            count[r] += 1
        values = [
            CameraValue(
                camera_id=c.id,
                reads=tuple(int(i) for i in r),
                weight=float(w[r].sum()),
                unique_weight=float(w[r][count[r] == 1].sum()),
            )
            for c, r in zip(cameras, reads, strict=True)
        ]
        return count > 0, values

    # -- solving ----------------------------------------------------------------

    def solve(
        self,
        *,
        cameras: int | None = None,
        cover_all: bool = False,
        fixed: Sequence[Camera] = (),
        time_limit: float = 60.0,
        id_prefix: str = "P-",
        used_ids: Sequence[str] = (),
        progress: Callable[[float, float, float], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> Result:
        """Propose ``cameras`` more cameras, or the fewest reading everything readable."""
        if (cameras is None) == (not cover_all):
            msg = "give either cameras or cover_all"
            raise ValueError(msg)
        covered, values = self.fixed_values(fixed)
        fixed_weight = float(self.approaches.weight[covered].sum())
        tally = _Recheck(taken=set(used_ids))
        active = list(range(len(self.sets)))
        for _ in range(_MAX_RESOLVES + 1):
            sets = [self.sets[i] for i in active]
            if cover_all:
                sol = solve_set_cover(
                    sets, len(covered), covered=covered, time_limit=time_limit, cancel=cancel
                )
                greedy = float("nan")
            else:
                sol, greedy = self._max_cover(
                    sets, int(cameras or 0), covered, time_limit, progress, cancel
                )
            out = self._rechecked_cameras(sol, active, covered, id_prefix, tally)
            if out is not None:
                return Result(
                    cameras=tuple(out),
                    solution=sol,
                    greedy_objective=greedy,
                    fixed_weight=fixed_weight,
                    fixed=tuple(values),
                    rechecked=tally.rechecked,
                    recheck_failures=tally.failures,
                )
            active = [i for i in active if any(m not in self._bad_poses for m in self.members[i])]
        msg = "proposals kept failing the re-check; please report this"
        raise RuntimeError(msg)

    def _max_cover(
        self,
        sets: list[np.ndarray],
        budget: int,
        covered: np.ndarray,
        time_limit: float,
        progress: Callable[[float, float, float], None] | None,
        cancel: Callable[[], bool] | None,
    ) -> tuple[Solution, float]:
        """The exact maximal covering, started from greedy, and greedy's objective."""
        w = self.approaches.weight
        greedy_pick = greedy_max_cover(sets, w, budget, covered=covered)
        greedy = float(w[covered].sum()) + _gain(sets, greedy_pick, w, covered)
        sol = solve_max_cover(
            sets, w, budget, covered=covered, time_limit=time_limit, start=greedy_pick,
            cancel=cancel, progress=progress,
        )  # fmt: skip
        return sol, greedy

    def _rechecked_cameras(
        self,
        sol: Solution,
        active: list[int],
        covered: np.ndarray,
        id_prefix: str,
        tally: _Recheck,
    ) -> list[ProposedCamera] | None:
        """The chosen sets as cameras, each re-checked as ``check`` would check it.

        A pose that fails is replaced by the next member of its set; ``None`` when a
        set has no member left (the caller solves again without it).
        """
        accept = Severity.WARN.rank if self.params.allow_warn else Severity.CLEAR.rank
        sets = [self.sets[i] for i in active]
        out: list[ProposedCamera] = []
        n = 0
        for local, gain in marginal_weights(sets, list(sol.chosen), self.approaches.weight,
                                            covered=covered):  # fmt: skip
            s = active[local]
            while True:
                n += 1
                while f"{id_prefix}{n}" in tally.taken:
                    n += 1
                k = next((m for m in self.members[s] if m not in self._bad_poses), None)
                if k is None:
                    return None
                cam = self.pose_camera(k, f"{id_prefix}{n}")
                tally.rechecked += 1
                status = self.checker.check_camera(cam, with_geometry=False).status
                if status.rank <= accept:
                    reads = tuple(int(i) for i in self.sets[s])
                    out.append(ProposedCamera(cam, reads, gain, status))
                    break
                tally.failures += 1
                self._bad_poses.add(k)
        return out

    def approach_labels(self, reads: Sequence[int]) -> list[str]:
        return [self.approaches.label(int(i)) for i in reads]


@dataclass
class _Recheck:
    """Re-checks made and failed over the solves of one request, and the ids taken."""

    taken: set[str]
    rechecked: int = 0
    failures: int = 0


def _gain(
    sets: Sequence[np.ndarray], chosen: Sequence[int], w: np.ndarray, covered: np.ndarray
) -> float:
    if not chosen:
        return 0.0
    items = np.unique(np.concatenate([sets[i] for i in chosen]))
    return float(w[items][~covered[items]].sum())


def _streets_subset(s: Streets, idx: np.ndarray) -> Streets:
    return Streets(
        lines=s.lines[idx],
        u=s.u[idx],
        v=s.v[idx],
        names=s.names[idx],
        highway=s.highway[idx],
        lanes=s.lanes[idx],
        oneway=s.oneway[idx],
        aadt=None if s.aadt is None else s.aadt[idx],
    )


def _take(a: Approaches, idx: np.ndarray) -> Approaches:
    return Approaches(
        zones=a.zones[idx],
        weight=a.weight[idx],
        row=a.row[idx],
        node=a.node[idx],
        name=tuple(a.name[i] for i in idx.tolist()),
        counted=a.counted[idx],
    )


def explain_position(
    checker: Checker,
    lenses: Sequence[Lens],
    lon: float,
    lat: float,
    *,
    step_deg: float = 10.0,
    allow_warn: bool = False,
) -> list[str]:
    """Why poses at ``(lon, lat)`` are or are not allowed: one line per lens.

    Each line names the headings that are clear (and those that only warn), and
    for the rest the site and rule that forbid them, as ``check`` would report them
    (the finding of the first forbidden heading of each run).
    """
    prohibited = set(checker.policy.prohibited_capabilities)
    ok_rank = Severity.WARN.rank if allow_warn else Severity.CLEAR.rank
    out: list[str] = []
    for lens in lenses:
        name = f"{lens.model} ({lens.fov_deg:g}°, {lens.range_m:g} m)"
        banned = sorted(prohibited & set(lens.capabilities))
        if banned:
            out.append(f"{name}: never, the policy prohibits {', '.join(banned)}")
            continue
        cam = Camera(
            id="here",
            lon=lon,
            lat=lat,
            heading_deg=None,
            fov_deg=lens.fov_deg,
            range_m=lens.range_m,
            model=lens.model,
            capabilities=lens.capabilities,
        )
        out.append(f"{name}: {_explain_headings(checker, cam, step_deg, ok_rank)}")
    return out


def _explain_headings(checker: Checker, cam: Camera, step_deg: float, ok_rank: int) -> str:
    """The allowed headings of ``cam``, and the site and rule excluding each other run."""
    from planner.core.geometry import normalize_bearing

    profile = checker.heading_profile(cam, step_deg=step_deg)
    bad = [h for h, sev in profile if sev.rank > ok_rank]
    if not bad:
        return "every heading is allowed here"
    allowed = [h for h, sev in profile if sev.rank <= ok_rank]
    why: dict[str, list[float]] = {}
    for h in bad:
        res = checker.check_camera(cam.replace(heading_deg=h), with_geometry=False)
        worst = [f for f in res.findings if f.severity.rank > ok_rank]
        key = (
            "; ".join(sorted({f"{f.rule} {f.site_name or f.site_id or ''}".strip() for f in worst}))
            or "the heading sweep"
        )
        why.setdefault(key, []).append(h)
    parts = [
        f"heading{'s' if len(hs) > 1 else ''} "
        f"{_spans([normalize_bearing(h) for h in hs], step_deg)} excluded: {key}"
        for key, hs in why.items()
    ]
    ok = _spans(allowed, step_deg) if allowed else "none"
    return f"allowed headings {ok}; " + "; ".join(parts)


def _spans(headings: Sequence[float], step: float) -> str:
    """``[0, 10, 20, 90]`` -> ``"0–20°, 90°"`` (runs of consecutive steps)."""
    hs = sorted(headings)
    runs: list[list[float]] = []
    for h in hs:
        if runs and abs(h - runs[-1][-1] - step) < 1e-6:
            runs[-1].append(h)
        else:
            runs.append([h])
    if len(runs) > 1 and runs[0][0] < 1e-6 and abs(runs[-1][-1] + step - 360.0) < 1e-6:
        # A run through north: 340, 350, 0, 10 reads "340–10°".
        runs = [runs[-1] + runs[0], *runs[1:-1]]
    return ", ".join(f"{r[0]:g}°" if len(r) == 1 else f"{r[0]:g}–{r[-1]:g}°" for r in runs)
