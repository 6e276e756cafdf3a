"""Re-check a plan with the reviewer's own policy and data (SPEC 8), for the CLI and the app.

What the plan file says about itself is never used to judge it: the policy and the
layers are the reviewer's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.core.errors import InputError
from planner.core.model import Policy

Progress = Callable[[str, float], None]


@dataclass
class Recheck:
    """A plan re-checked with the reviewer's inputs."""

    plan: Any
    plan_path: Path
    policy: Any
    policy_path: Path | None
    inputs: Any
    checker: Any
    result: Any
    input_paths: list[Path] = field(default_factory=list)
    # What the IT-managed configuration changed (a locked policy wins over --policy):
    # said in every output, never silent.
    managed_notes: list[str] = field(default_factory=list)
    # The allowed signers in force and where they came from (planner.io.checking.signing.Trust).
    trust: Any = None
    managed: Any = None

    def status(self) -> dict[str, str]:
        return {r.camera_id: str(r.status) for r in self.result.results}

    def review_states(self) -> tuple[dict[str, Any], Any, str]:
        """Each decided camera's state, the plan-level decision's state and the plan hash.

        Judged against this re-check: signature, camera hash, re-check status (SPEC 8).
        """
        from planner.core.review_currency import decision_states, plan_decision_state, plan_status
        from planner.io.formats.review_store import camera_hashes, canonical_plan_hash, review_log

        log = review_log(self.plan, source=str(self.plan_path))
        status = self.status()
        judge = self.judge()
        signers = self.trust.signers if self.trust is not None else None
        states = decision_states(
            log, camera_hashes(self.plan), signers=signers, statuses=status, judge=judge
        )
        plan_sha = canonical_plan_hash(self.plan)
        plan_state = plan_decision_state(
            log,
            plan_sha,
            signers=signers,
            status=plan_status(status.values()),
            judge=judge,
        )
        return states, plan_state, plan_sha

    def judge(self) -> Any:
        from planner.core.review import Judge

        return Judge(
            policy={
                "id": self.policy.id,
                "version": self.policy.version,
                "sha256": self.policy.sha256,
            },
            layers=tuple(
                {"kind": x.kind, "path": x.path, "sha256": x.sha256} for x in self.inputs.layers
            ),
        )


def recheck(
    ns: Any,
    *,
    with_geometry: bool = False,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    reuse: Any = None,
) -> Recheck:
    """Read the plan and the reviewer's layers, and check every camera.

    ``ns`` names the inputs as the command line does: ``plan``, ``data``, ``sites``,
    ``buildings``, ``streets`` and ``policy`` (paths or None / lists).

    ``reuse`` (an object with ``inputs`` and ``checker``) is what a caller already read
    from the same pack alone, unchanged since: used instead of a second read of the pack
    when its checker's policy is the one in force here (a second citywide building index
    costs about 200 MB). Anything else is read as usual.
    """
    from planner.io.checking.provenance import use_named_pack
    from planner.io.config.managed_enforcement import enforce_managed
    from planner.io.formats.plan import read_plan
    from planner.io.formats.policy import builtin_policy, read_policy

    # The same rule as check: IT's locks first (an unusable config stops here), then
    # the pack the plan names when no data is given (SPEC 5.1).
    managed, managed_notes = enforce_managed(ns)
    policy_path = ns.policy
    from planner.io.checking.signing import resolve_trust

    # after IT's locks (a locked allowed-signers file has replaced the user's); a
    # malformed allowed-signers file is bad input before any slow work
    trust = resolve_trust(getattr(ns, "allowed_signers", None), managed=managed)
    managed_notes = [*managed_notes, *trust.notes]
    policy = builtin_policy() if policy_path is None else read_policy(policy_path)
    plan = read_plan(ns.plan)
    _link, _named, _from_plan, more = use_named_pack(ns, plan, config=managed)
    managed_notes.extend(more)
    if _can_reuse(reuse, policy, ns):
        inputs, checker = reuse.inputs, reuse.checker
    else:
        inputs, checker = _read_layers(ns, policy, plan, progress=progress, cancel=cancel)
    return _check(
        ns,
        plan,
        policy,
        policy_path,
        managed_notes,
        managed,
        inputs,
        checker,
        with_geometry=with_geometry,
        trust=trust,
        progress=progress,
        cancel=cancel,
    )


def _can_reuse(reuse: Any, policy: Policy, ns: Any) -> bool:
    """Whether ``reuse`` read the very pack in force, alone, under the same policy."""
    return bool(
        reuse is not None
        and getattr(reuse.checker.policy, "sha256", None) == policy.sha256
        and ns.data is not None
        and Path(getattr(reuse, "pack", "") or "") == Path(ns.data)
        and not (ns.sites or ns.buildings or ns.streets)
    )


def _read_layers(
    ns: Any,
    policy: Policy,
    plan: Any,
    *,
    progress: Progress | None,
    cancel: Callable[[], bool] | None,
) -> tuple[Any, Any]:
    """The reviewer's layers read and the checker built on them, for the plan's cameras."""
    from planner.io.checking.loader import build_checker, load_inputs

    if progress:
        progress("Reading the reviewer's data", 0.02)
    inputs = load_inputs(
        policy=policy,
        data=ns.data,
        sites=ns.sites,
        buildings=ns.buildings,
        streets=ns.streets,
        cancel=cancel,
    )
    _require_sites(ns, inputs)
    if progress:
        progress("Indexing buildings", 0.15)
    checker = build_checker(inputs, policy=policy, cameras=plan.cameras)
    return inputs, checker


def _require_sites(ns: Any, inputs: Any) -> None:
    if not inputs.sites:
        msg = (
            "no sites layer: give --data PACK or --sites FILE (a review against no sites "
            "would clear every camera)"
        )
        raise InputError(ns.plan, "", msg)


def _check(
    ns: Any,
    plan: Any,
    policy: Any,
    policy_path: Path | None,
    managed_notes: list[str],
    managed: Any,
    inputs: Any,
    checker: Any,
    *,
    with_geometry: bool,
    progress: Progress | None,
    cancel: Callable[[], bool] | None,
    trust: Any = None,
) -> Recheck:
    _require_sites(ns, inputs)

    def step(i: int, n: int) -> None:
        if progress and (i == n or i % 10 == 0):
            progress(f"Re-checking camera {i} of {n}", 0.2 + 0.2 * i / max(1, n))

    result = checker.check_cameras(
        plan.cameras, with_geometry=with_geometry, progress=step, cancel=cancel
    )
    paths = [p for p in (ns.plan, ns.data, policy_path, ns.streets, *ns.sites, *ns.buildings) if p]
    return Recheck(
        plan=plan,
        plan_path=ns.plan,
        policy=policy,
        policy_path=policy_path,
        inputs=inputs,
        checker=checker,
        result=result,
        input_paths=paths,
        managed_notes=managed_notes,
        trust=trust,
        managed=managed,
    )
