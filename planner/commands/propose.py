"""``siting-planner propose``: legal poses that read the most traffic (SPEC 9).

Reads a data pack (and optionally a plan of existing cameras and a target area),
builds the candidate poses with :mod:`planner.propose`, solves the covering
problem and writes a plan file of proposed cameras. Bad input: one line on
stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.core.errors import InputError
from planner.io.safety.printable import json_printable, printable

if TYPE_CHECKING:
    import numpy as np

    from planner.core.catalogue import Catalogue
    from planner.io.config.managed_config import ManagedConfig
    from planner.io.formats.street_table import StreetTable
    from planner.propose.approaches import Streets
    from planner.propose.engine import Proposer, Result

#: Most cameras one request may ask for (a city has some tens of thousands of approaches).
MAX_CAMERAS = 100_000
#: Most poles a pole layer may hold (a city has tens of thousands of street lights).
MAX_POLES = 500_000
#: Approaches named in one camera's notes; the rest are counted.
_NOTES_APPROACHES = 12


def configure_parser(p: argparse.ArgumentParser) -> None:
    """The ``propose`` options (SPEC 9), grouped as ``--help`` shows them."""
    _problem_arguments(p)
    _input_arguments(p)
    _search_arguments(p)
    _output_arguments(p)


def _problem_arguments(p: argparse.ArgumentParser) -> None:
    """How many cameras, and where they should read."""
    g = p.add_argument_group("the problem")
    what = g.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--cameras",
        type=int,
        metavar="N",
        help="propose N cameras reading the most traffic (maximal covering)",
    )
    what.add_argument(
        "--cover-all",
        action="store_true",
        help="propose the fewest cameras reading every approach any legal pose reads",
    )
    where = g.add_mutually_exclusive_group()
    where.add_argument(
        "--targets", type=Path, metavar="FILE", help="polygon layer of the areas to cover"
    )
    where.add_argument(
        "--bbox",
        type=float,
        nargs=4,
        metavar=("W", "S", "E", "N"),
        help="area to cover, in degrees",
    )


def _input_arguments(p: argparse.ArgumentParser) -> None:
    """The data, the policy and the cameras the proposal works with."""
    g = p.add_argument_group("inputs")
    g.add_argument(
        "--data", type=Path, metavar="PACK", help="data pack made by 'siting-planner import'"
    )
    g.add_argument(
        "--policy", type=Path, metavar="FILE", help="policy TOML (default: built-in policy)"
    )
    g.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME",
        help="camera model from the catalogue to propose (repeatable; default: the "
        "catalogue's default model)",
    )
    g.add_argument(
        "--poles",
        type=Path,
        metavar="FILE",
        help="point layer of poles (street lights, signal masts) to use as positions too",
    )
    g.add_argument(
        "--existing",
        type=Path,
        metavar="PLAN",
        help="plan of existing cameras: fixed, counted as reading what they read, and "
        "each one's value reported",
    )


def _search_arguments(p: argparse.ArgumentParser) -> None:
    """Which poses are tried and how long the solver may take."""
    g = p.add_argument_group("the search")
    g.add_argument(
        "--allow-warn",
        action="store_true",
        help="also propose poses that only warn (near a capture zone); default: clear only",
    )
    g.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="solver time limit; past it the best solution found is written with its "
        "proven bound and gap (default 60)",
    )
    g.add_argument(
        "--spacing",
        type=float,
        default=10.0,
        metavar="M",
        help="distance between candidate positions along a kerb (default 10)",
    )
    g.add_argument(
        "--heading-step",
        type=float,
        default=10.0,
        metavar="DEG",
        help="step between candidate headings (default 10)",
    )


def _output_arguments(p: argparse.ArgumentParser) -> None:
    """The plan written and the summary printed."""
    g = p.add_argument_group("output")
    g.add_argument(
        "--format", choices=("text", "json"), default="text", help="summary format (default text)"
    )
    g.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT.plan.geojson",
        help="plan file to write the proposed cameras to",
    )


def _usage(message: str) -> InputError:
    return InputError("propose", "arguments", message)


def _validate(ns: argparse.Namespace) -> None:
    if ns.cameras is not None and not 1 <= ns.cameras <= MAX_CAMERAS:
        raise _usage(f"--cameras must be between 1 and {MAX_CAMERAS}, got {ns.cameras}")
    if not (math.isfinite(ns.time_limit) and 0 < ns.time_limit <= 86_400):
        raise _usage(f"--time-limit must be in (0, 86400] seconds, got {ns.time_limit:g}")
    if not (math.isfinite(ns.spacing) and 1.0 <= ns.spacing <= 1000.0):
        raise _usage(f"--spacing must be in [1, 1000] m, got {ns.spacing:g}")
    if not (math.isfinite(ns.heading_step) and 1.0 <= ns.heading_step <= 180.0):
        raise _usage(f"--heading-step must be in [1, 180] degrees, got {ns.heading_step:g}")
    if ns.bbox is not None:
        w, s, e, n = ns.bbox
        if not all(math.isfinite(v) for v in ns.bbox):
            raise _usage("--bbox values must be finite numbers")
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise _usage("--bbox must be W S E N in degrees with W < E and S < N")


def resolve_pack_and_policy(ns: argparse.Namespace) -> tuple[ManagedConfig, list[str]]:
    """IT's configuration applied to ``ns`` (policy, data), as for every command.

    :func:`planner.io.config.managed_config.enforce_managed` is the one rule: a locked
    policy or data pack replaces ``--policy``/``--data`` with a note, an unusable
    configuration stops the command (exit 2). Unlocked, IT's first pack is the
    default when ``--data`` is not given. Sets ``ns.policy`` and ``ns.data``.
    """
    from planner.commands.common import managed_inputs, say_managed

    managed, notes = managed_inputs(ns)
    if ns.data is None and managed.data_packs:
        ns.data = managed.data_packs[0]
    say_managed(notes)
    return managed, notes


@dataclass
class _Inputs:
    """What one ``propose`` run works with, read and checked before any candidate is built."""

    policy: Any
    lenses: list[Any]
    existing: list[Any]
    targets_lonlat: Any
    poles_lonlat: np.ndarray | None
    notes: list[str]


def run(ns: argparse.Namespace) -> int:
    """Run ``siting-planner propose``; returns the exit status."""
    t_start = time.perf_counter()
    got = _read_inputs(ns)
    proposer, t_load = _proposer(ns, got)
    result = proposer.solve(
        cameras=ns.cameras,
        cover_all=ns.cover_all,
        fixed=got.existing,
        time_limit=ns.time_limit,
        used_ids=[c.id for c in got.existing],
    )
    summary = _summary(ns, proposer, result, notes=got.notes)
    summary["seconds"] = {
        "load": round(t_load - t_start, 3),
        **{k: round(v, 3) for k, v in proposer.stats.seconds.items()},
        "solve": round(result.solution.seconds, 3),
        "total": round(time.perf_counter() - t_start, 3),
    }
    _write_plan(ns, proposer, result, policy=got.policy)
    if ns.format == "json":
        text = json_printable(json.dumps(summary, indent=2, ensure_ascii=False)) + "\n"
    else:
        text = _text(summary)
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


def _read_inputs(ns: argparse.Namespace) -> _Inputs:
    """The arguments checked, IT's locks applied, then every input file read (bounded)."""
    _validate(ns)
    managed, notes = resolve_pack_and_policy(ns)
    if ns.data is None:
        raise _usage("no data pack: give --data PACK (streets, buildings and sites)")
    from planner.io.formats.catalogue import read_catalogue
    from planner.io.formats.policy import builtin_policy, read_policy
    from planner.io.safety.outputs import refuse_output_over_inputs

    refuse_output_over_inputs(
        ns.output,
        [
            ("the data pack", ns.data),
            ("the existing plan", ns.existing),
            ("the targets layer", ns.targets),
            ("the poles layer", ns.poles),
            ("the policy", ns.policy),
        ],
        option="--output",
    )
    policy = builtin_policy() if ns.policy is None else read_policy(ns.policy)
    lenses = _lenses(read_catalogue(), ns.model, default=managed.default_camera_model)
    existing: list[Any] = []
    if ns.existing is not None:
        from planner.io.formats.plan import read_plan

        existing = list(read_plan(ns.existing).cameras)
    return _Inputs(
        policy=policy,
        lenses=lenses,
        existing=existing,
        targets_lonlat=_targets(ns),
        poles_lonlat=None if ns.poles is None else read_poles(ns.poles),
        notes=notes,
    )


def _proposer(ns: argparse.Namespace, got: _Inputs) -> tuple[Proposer, float]:
    """The pack's layers loaded, then the candidates built and judged (the long step).

    Returns the proposer and the clock time when loading ended and building began.
    """
    from planner.io.checking.loader import build_checker, load_inputs
    from planner.propose.candidates import CandidateParams
    from planner.propose.engine import Proposer

    inputs = load_inputs(policy=got.policy, data=ns.data)
    got.notes.extend(inputs.warnings)
    if inputs.streets is None or not len(inputs.streets):
        raise InputError(ns.data, "streets", "the pack has no streets to place cameras on")
    checker = build_checker(inputs, policy=got.policy, cameras=got.existing)
    project = checker.projector.project
    params = CandidateParams(
        spacing_m=ns.spacing, heading_step_deg=ns.heading_step, allow_warn=ns.allow_warn
    )
    streets = _streets(inputs.streets, checker.projector)
    t_load = time.perf_counter()
    proposer = Proposer(
        checker,
        streets,
        got.lenses,
        params,
        targets=None if got.targets_lonlat is None else project(got.targets_lonlat),
        poles=None if got.poles_lonlat is None else project(got.poles_lonlat),
        workers=min(2, os.cpu_count() or 1),
    )
    if not len(proposer.approaches):
        raise InputError(
            ns.targets or ns.data, "streets", "no intersection approaches inside the target area"
        )
    return proposer, t_load


def _lenses(catalogue: Catalogue, names: list[str], *, default: str | None) -> list[Any]:
    from planner.propose.candidates import Lens

    wanted = names or [default or catalogue.default_key]
    out = []
    for name in dict.fromkeys(wanted):
        model = catalogue.find(name)
        if model is None:
            raise _usage(
                f"--model {printable(name)!r} is not in the camera catalogue "
                f"(known: {', '.join(catalogue.keys)})"
            )
        out.append(Lens(model.key, model.fov_deg, model.range_m, model.capabilities))
    return out


def _targets(ns: argparse.Namespace) -> Any:
    import shapely

    if ns.bbox is not None:
        return shapely.box(*ns.bbox)
    if ns.targets is None:
        return None
    from planner.io.datapack.gis_layers import read_boundary_layer

    frame = read_boundary_layer(ns.targets)
    geoms = shapely.make_valid(frame.geometry.to_numpy())
    return shapely.union_all(geoms)


def read_poles(path: Path) -> np.ndarray:
    """Points of a pole layer (any GIS format), in lon/lat; bad input is an InputError."""
    import numpy as np
    import pyogrio
    import shapely

    from planner.io.datapack.gis_layers import gdal_path

    src = gdal_path(path)
    try:
        frame = pyogrio.read_dataframe(src)
    except Exception as exc:  # GDAL raises several types
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InputError(path, "", f"cannot read as a point layer ({first})") from None
    if getattr(frame, "geometry", None) is None:
        raise InputError(path, "", "has no geometry column")
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    if len(frame) > MAX_POLES:
        raise InputError(path, "", f"holds {len(frame):,} features; at most {MAX_POLES:,}")
    geoms = np.asarray(frame.geometry.values, dtype=object)
    for i, g in enumerate(geoms):
        if g is None or g.is_empty or g.geom_type not in ("Point", "MultiPoint"):
            what = "nothing" if g is None or g.is_empty else g.geom_type
            raise InputError(path, f"feature {i + 1}", f"a pole must be a point, got {what}")
    points = shapely.get_parts(geoms)
    xy = shapely.get_coordinates(points)
    if not np.isfinite(xy).all():
        raise InputError(path, "", "coordinates must be finite numbers")
    if (len(xy) and (np.abs(xy[:, 0]) > 180).any()) or (np.abs(xy[:, 1]) > 90).any():
        raise InputError(path, "", "coordinates are not longitude/latitude")
    return points


def _streets(table: StreetTable, projector: Any) -> Streets:
    from planner.propose.approaches import streets_from_table

    try:
        return streets_from_table(table, projector)
    except ValueError as exc:
        raise InputError("propose", "streets", str(exc)) from None


def _camera_json(proposer: Proposer, pc: Any) -> dict[str, Any]:
    cam = pc.camera
    return {
        "id": cam.id,
        "lon": cam.lon,
        "lat": cam.lat,
        "heading_deg": cam.heading_deg,
        "model": cam.model,
        "fov_deg": cam.fov_deg,
        "range_m": cam.range_m,
        "status": str(pc.severity),
        "marginal_weight": round(pc.marginal_weight, 3),
        "reads": proposer.approach_labels(pc.reads),
    }


def _summary(
    ns: argparse.Namespace, proposer: Proposer, result: Result, *, notes: list[str]
) -> dict[str, Any]:
    from planner import __version__

    st = proposer.stats
    sol = result.solution
    weight = proposer.approaches.weight
    return {
        "tool": {"name": "siting-planner", "version": __version__},
        "problem": "cover_all" if ns.cover_all else "max_cover",
        "cameras_requested": ns.cameras,
        "output": str(ns.output),
        "approaches": st.approaches,
        "readable_approaches": st.readable_approaches,
        "total_weight": round(float(weight.sum()), 3),
        "readable_weight": round(float(weight[proposer.readable].sum()), 3),
        "positions": st.positions,
        "candidates": st.candidates,
        "legal": st.legal,
        "reading_poses": st.reading_poses,
        "distinct_sets": st.distinct_sets,
        "maximal_sets": st.maximal_sets,
        "objective": sol.objective,
        "bound": _finite(sol.bound),
        "gap": _finite(sol.gap),
        "optimal": sol.optimal,
        "greedy_objective": None
        if math.isnan(result.greedy_objective)
        else result.greedy_objective,
        "fixed_weight": result.fixed_weight,
        "rechecked": result.rechecked,
        "recheck_failures": result.recheck_failures,
        "cameras": [_camera_json(proposer, pc) for pc in result.cameras],
        "existing": [
            {
                "id": v.camera_id,
                "reads": proposer.approach_labels(v.reads),
                "weight": round(v.weight, 3),
                "unique_weight": round(v.unique_weight, 3),
            }
            for v in result.fixed
        ],
        "warnings": notes,
    }


def _finite(value: float) -> float | None:
    """JSON has no infinity: an unproven bound is ``null``."""
    return value if math.isfinite(value) else None


def _write_plan(ns: argparse.Namespace, proposer: Proposer, result: Result, *, policy: Any) -> None:
    from dataclasses import replace

    from planner.core.model import Plan, PlanMeta
    from planner.io.formats.plan import write_plan

    cams = []
    for pc in result.cameras:
        labels = proposer.approach_labels(pc.reads)
        shown = "; ".join(labels[:_NOTES_APPROACHES])
        more = len(labels) - _NOTES_APPROACHES
        note = (
            f"proposed: reads {len(labels)} approach{'es' if len(labels) != 1 else ''} "
            f"({shown}{f'; and {more} more' if more > 0 else ''}); adds weight "
            f"{pc.marginal_weight:,.0f} vehicles/day"
        )
        cams.append(
            replace(pc.camera, notes=note, label=f"{pc.camera.id} (+{pc.marginal_weight:,.0f})")
        )
    sol = result.solution
    meta = PlanMeta(
        name=f"Proposal: {len(cams)} cameras",
        extra={
            "proposal": {
                "problem": "cover_all" if ns.cover_all else "max_cover",
                "policy": {"id": policy.id, "version": policy.version},
                "data_pack": str(ns.data),
                "objective": sol.objective,
                "bound": _finite(sol.bound),
                "gap": _finite(sol.gap),
                "optimal": sol.optimal,
            }
        },
    )
    write_plan(Plan(cameras=cams, meta=meta), ns.output)


def _text(summary: dict[str, Any]) -> str:
    lines = []
    problem = (
        "fewest cameras reading every readable approach"
        if summary["problem"] == "cover_all"
        else f"{summary['cameras_requested']} cameras reading the most traffic"
    )
    lines.append(f"Proposal: {problem}")
    lines.append(
        f"Approaches: {summary['approaches']} ({summary['readable_approaches']} readable by a "
        f"legal pose)"
    )
    lines.append(
        f"Candidates: {summary['candidates']:,} poses at {summary['positions']:,} positions, "
        f"{summary['legal']:,} legal, {summary['reading_poses']:,} read an approach, "
        f"{summary['distinct_sets']:,} distinct reading sets ({summary['maximal_sets']:,} maximal)"
    )
    gap, bound = summary["gap"], summary["bound"]
    state = "optimal" if summary["optimal"] else ("no bound" if gap is None else f"gap {gap:.2%}")
    unit = "cameras" if summary["problem"] == "cover_all" else "vehicles/day read"
    bound_text = "none proven" if bound is None else f"{bound:,.0f}"
    lines.append(f"Objective: {summary['objective']:,.0f} {unit} (bound {bound_text}, {state})")
    for cam in summary["cameras"]:
        n = len(cam["reads"])
        lines.append(
            f"  {cam['id']:<6} {cam['model']:<18} heading {cam['heading_deg']:5.1f}  "
            f"+{cam['marginal_weight']:,.0f}  ({n} approach{'es' if n != 1 else ''})"
        )
    for ex in summary["existing"]:
        lines.append(
            f"  existing {ex['id']}: reads {len(ex['reads'])} approaches, weight "
            f"{ex['weight']:,.0f} ({ex['unique_weight']:,.0f} read by no other existing camera)"
        )
    for w in summary["warnings"]:
        lines.append(f"Warning: {w}")
    lines.append(f"Wrote {summary['output']} in {summary['seconds']['total']:.1f} s")
    return "\n".join(printable(line) for line in lines) + "\n"
