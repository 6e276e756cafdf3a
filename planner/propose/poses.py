"""Legal candidate poses and what each reads: the sparse reading matrix (SPEC 9).

Legality is the checker's own decision: where a capture zone can reach the
position, :meth:`~planner.core.checker.Checker.heading_profile` gives the
severity of every heading of every lens (the visible disc of the lens cut per
heading, the same zones and the same capture test as ``check``); elsewhere no site
can be involved and every heading is clear. A pose is legal when it is ``clear``
(or ``warn`` where warnings are allowed) and its model has no prohibited
capability. The engine later re-checks each chosen pose with
:meth:`~planner.core.checker.Checker.check_camera` at the coordinates written
to the plan (:mod:`planner.propose.engine`).

What a legal pose reads comes from :class:`~planner.propose.reading.ReadingModel`.
For each position the checker's occluder gives the shadows of the visible full
disc once, at the longest lens range; every lens and heading is that disc cut by
its sector, because occlusion is radial (the same argument as
:meth:`~planner.core.checker.Checker.heading_profile`). The shadows are only
computed where some legal heading could read a zone over the pieces not surely
hidden (:mod:`planner.propose.reading`): buildings only ever hide, so elsewhere
every pose reads nothing either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from planner.core.checker import Checker
from planner.core.errors import CheckCancelled
from planner.core.model import Camera, Severity
from planner.propose.approaches import Approaches
from planner.propose.candidates import CandidateParams, Lens, Positions, subset
from planner.propose.reading import ReadingModel

Progress = Callable[[int, int], None]


@dataclass(eq=False)
class PoseTable:
    """Legal poses that read at least one approach, and the sparse reading matrix.

    Pose ``k`` reads the approaches ``reads[ptr[k]:ptr[k + 1]]`` (sorted).
    """

    position: np.ndarray
    lens: np.ndarray
    heading: np.ndarray
    severity: np.ndarray
    #: metres of read zone in view (all approaches read), to pick representatives
    read_m: np.ndarray
    ptr: np.ndarray
    reads: np.ndarray
    #: poses made (positions x lenses x headings) and legal ones among them
    made: int = 0
    legal: int = 0

    def __len__(self) -> int:
        return len(self.position)

    def reads_of(self, k: int) -> np.ndarray:
        return self.reads[self.ptr[k] : self.ptr[k + 1]]


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)


@dataclass(eq=False)
class _Rows:
    """The reading poses found so far, column by column."""

    position: list[np.ndarray] = field(default_factory=list)
    lens: list[np.ndarray] = field(default_factory=list)
    heading: list[np.ndarray] = field(default_factory=list)
    severity: list[np.ndarray] = field(default_factory=list)
    read_m: list[np.ndarray] = field(default_factory=list)
    reads: list[np.ndarray] = field(default_factory=list)
    legal: int = 0

    def table(self, made: int) -> PoseTable:
        counts = np.array([len(r) for r in self.reads], dtype=np.intp)
        return PoseTable(
            position=_cat(self.position, np.intp),
            lens=_cat(self.lens, np.intp),
            heading=_cat(self.heading, float),
            severity=_cat(self.severity, np.int8),
            read_m=_cat(self.read_m, float),
            ptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.intp),
            reads=_cat(self.reads, np.intp),
            made=made,
            legal=self.legal,
        )


class _Sweep:
    """Legality and reading of every pose at one position, for :func:`build_poses`."""

    def __init__(
        self,
        checker: Checker,
        approaches: Approaches,
        positions: Positions,
        lenses: Sequence[Lens],
        params: CandidateParams,
        model: ReadingModel | None,
    ) -> None:
        self.checker = checker
        self.model = model or ReadingModel(checker, approaches, params.read)
        self.positions = positions
        self.lenses = lenses
        self.params = params
        self.headings = params.headings
        prohibited = set(checker.policy.prohibited_capabilities)
        self.usable = [k for k, ln in enumerate(lenses) if not prohibited & set(ln.capabilities)]
        self.max_range = max((lenses[k].range_m for k in self.usable), default=0.0)
        self.accept = Severity.WARN.rank if params.allow_warn else Severity.CLEAR.rank
        self.probes = [
            Camera(id="probe", lon=float(lon), lat=float(lat), heading_deg=None, fov_deg=360.0,
                   range_m=self.max_range or 1.0)
            for lon, lat in zip(positions.lon, positions.lat, strict=True)
        ]  # fmt: skip
        # Per lens: a short lens is near fewer zones than the longest.
        self.near_zone = {
            k: checker.reaches_a_zone([c.replace(range_m=lenses[k].range_m) for c in self.probes])
            if self.probes
            else np.zeros(0, dtype=bool)
            for k in self.usable
        }

    def severities(self, p: int) -> dict[int, np.ndarray]:
        """Severity rank of every heading of every usable lens at position ``p``."""
        out = {}
        for k in self.usable:
            lens = self.lenses[k]
            if self.near_zone[k][p]:
                cam = self.probes[p].replace(
                    fov_deg=lens.fov_deg, range_m=lens.range_m, capabilities=lens.capabilities
                )
                profile = self.checker.heading_profile(cam, step_deg=self.params.heading_step_deg)
                out[k] = np.array([s.rank for _, s in profile], dtype=np.int8)
            else:
                # No capture zone within this lens's range: no site can be involved.
                out[k] = np.zeros(len(self.headings), dtype=np.int8)
        return out

    def read(self, p: int, sev: dict[int, np.ndarray], rows: _Rows) -> None:
        """Add the legal poses at position ``p`` that read an approach to ``rows``."""
        x, y = float(self.positions.x[p]), float(self.positions.y[p])
        legal = {k: s <= self.accept for k, s in sev.items() if (s <= self.accept).any()}
        if not legal:
            return
        model = self.model
        idx = model.near_pieces(x, y, self.max_range)
        if len(idx) == 0:
            return
        looks = [
            (self.lenses[k].fov_deg, self.lenses[k].range_m, self.headings[ok])
            for k, ok in legal.items()
        ]
        bound = model.seg.take(model.not_surely_hidden(x, y, idx))
        if len(model.zones_readable_unoccluded(x, y, bound, looks)) == 0:
            return
        idx = model.unhidden(x, y, self.max_range, idx)
        if len(idx) == 0:
            return
        seg = model.seg.take(idx)
        for k in legal:
            lens = self.lenses[k]
            zones, reads, lengths = model.reads(
                x, y, seg, fov_deg=lens.fov_deg, range_m=lens.range_m, headings=self.headings
            )
            hs = np.flatnonzero(reads.any(axis=0) & (sev[k] <= self.accept))
            rows.reads.extend(zones[reads[:, h]] for h in hs.tolist())
            rows.position.append(np.full(len(hs), p, dtype=np.intp))
            rows.lens.append(np.full(len(hs), k, dtype=np.intp))
            rows.heading.append(self.headings[hs])
            rows.severity.append(sev[k][hs])
            rows.read_m.append((lengths[:, hs] * reads[:, hs]).sum(axis=0))


def build_poses(
    checker: Checker,
    approaches: Approaches,
    positions: Positions,
    lenses: Sequence[Lens],
    params: CandidateParams,
    *,
    model: ReadingModel | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> PoseTable:
    """Every legal pose that reads an approach, with what it reads.

    ``model`` is the reading model of ``approaches`` with ``params.read``, when the
    caller has one (it is built otherwise).
    """
    sweep = _Sweep(checker, approaches, positions, lenses, params, model)
    rows = _Rows()
    total = len(positions)
    for p in range(total if sweep.usable else 0):
        if cancel is not None and p % 32 == 0 and cancel():
            raise CheckCancelled
        if progress is not None and p % 64 == 0:
            progress(p, total)
        sev = sweep.severities(p)
        rows.legal += sum(int((s <= sweep.accept).sum()) for s in sev.values())
        sweep.read(p, sev, rows)
    if progress is not None:
        progress(total, total)
    return rows.table(made=total * len(lenses) * len(params.headings))


def concat_poses(parts: Sequence[tuple[np.ndarray, PoseTable]]) -> PoseTable:
    """Pose tables built on subsets ``(positions idx, table)``, as one table."""
    ptrs = []
    offset = 0
    for _, t in parts:
        ptrs.append(t.ptr[:-1] + offset)
        offset += int(t.ptr[-1])
    ptr = np.concatenate([*ptrs, [offset]]).astype(np.intp)

    def cat(name: str, dtype: type) -> np.ndarray:
        return _cat([getattr(t, name) for _, t in parts], dtype)

    return PoseTable(
        position=_cat([idx[t.position] for idx, t in parts], np.intp),
        lens=cat("lens", np.intp),
        heading=cat("heading", float),
        severity=cat("severity", np.int8),
        read_m=cat("read_m", float),
        ptr=ptr,
        reads=cat("reads", np.intp),
        made=sum(t.made for _, t in parts),
        legal=sum(t.legal for _, t in parts),
    )


#: What forked workers share with their parent (set just before the fork).
_SHARED: dict[str, object] = {}


def _work(idx: np.ndarray) -> tuple[np.ndarray, PoseTable]:
    s = _SHARED
    table = build_poses(
        s["checker"],  # type: ignore[arg-type]
        s["approaches"],  # type: ignore[arg-type]
        subset(s["positions"], idx),  # type: ignore[arg-type]
        s["lenses"],  # type: ignore[arg-type]
        s["params"],  # type: ignore[arg-type]
        model=s["model"],  # type: ignore[arg-type]
    )
    return idx, table


def build_poses_parallel(
    checker: Checker,
    approaches: Approaches,
    positions: Positions,
    lenses: Sequence[Lens],
    params: CandidateParams,
    *,
    workers: int,
    model: ReadingModel | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> PoseTable:
    """:func:`build_poses` over ``workers`` forked processes (serial without fork).

    Positions are dealt out in small interleaved chunks, so the expensive ones
    (near sites, among many buildings) are shared out evenly; ``cancel`` is polled
    between chunks.
    """
    import multiprocessing as mp

    n = len(positions)
    if workers <= 1 or n < 64 or "fork" not in mp.get_all_start_methods():
        return build_poses(
            checker, approaches, positions, lenses, params, model=model, progress=progress,
            cancel=cancel,
        )  # fmt: skip
    model = model or ReadingModel(checker, approaches, params.read)
    chunks = [np.arange(i, n, 64 * workers) for i in range(64 * workers)]
    chunks = [c for c in chunks if len(c)]
    _SHARED.update(
        checker=checker, approaches=approaches, positions=positions, lenses=lenses, params=params,
        model=model,
    )  # fmt: skip
    parts: list[tuple[np.ndarray, PoseTable]] = []
    done = 0
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            for idx, table in pool.imap_unordered(_work, chunks):
                parts.append((idx, table))
                done += len(idx)
                if progress is not None:
                    progress(done, n)
                if cancel is not None and cancel():
                    pool.terminate()
                    raise CheckCancelled
    finally:
        _SHARED.clear()
    parts.sort(key=lambda p: int(p[0][0]))
    return concat_poses(parts)
