"""What a plan says it was judged by, against what a command-line check uses.

SPEC 5.1: a program that opens a plan never silently checks it against other data
than the data the plan names: its ``siting_plan.checked_with`` (policy and every
layer with their sha256) and its ``siting_plan.data_pack`` link. The desktop app
withholds results until the user decides (``planner.app.siting.provenance``); ``check``
reports every difference before its results, in text and in JSON.

Two things live here, both without Qt:

- :func:`named_pack_for_check`: whether ``check PLAN`` without ``--data`` may use the
  pack the plan names. The link is input from whoever sent the plan, so the same
  rule as the app applies (:mod:`planner.io.safety.paths`): a pack in the plan's folder (or
  below) is used, anything else (another folder, a network share) only when the user
  passes it with ``--data``; a network path is never even looked at.
- :func:`compare_provenance`: the differences between the claim and this run.

Everything read from the plan is untrusted: wrong types are reported as an unreadable
claim rather than trusted or ignored, and the number of claimed layers compared is
bounded so a hostile plan cannot make the report arbitrarily long.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from planner.core.errors import InputError
from planner.core.provenance import ClaimedLayer as _Claimed
from planner.core.provenance import Difference, layer_differences
from planner.core.provenance import short_sha as _short
from planner.io.formats.plan import CHECKED_WITH_KEY, PACK_LINK_KEY, PackLink
from planner.io.safety.paths import PackLocation, classify_pack_path, is_network_path

#: More claimed layers than this are not compared (a real check uses a handful).
MAX_CLAIMED_LAYERS = 1000


class LayerLike(Protocol):
    """A layer used by this run (``planner.io.checking.loader.LayerInfo``)."""

    @property
    def kind(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def sha256(self) -> str: ...


class NamedPackState(enum.Enum):
    """What became of the pack a plan names, for a check given no ``--data``."""

    FOUND = "found"  # in the plan's folder or below: used
    MISSING = "missing"  # not there
    OUTSIDE = "outside"  # another folder on this machine: only with --data
    NETWORK = "network"  # a network path: only with --data, never touched


@dataclass(frozen=True, slots=True)
class NamedPack:
    """The outcome of :func:`named_pack_for_check`."""

    state: NamedPackState
    #: The pack to use (FOUND), the place refused (OUTSIDE, NETWORK) or looked at (MISSING).
    path: Path | None
    link: PackLink

    def refusal(self, *, plan_path: str | os.PathLike[str]) -> InputError:
        """Why a check cannot use the named pack by itself, naming what to pass instead."""
        named = self.link.path
        what = "" if self.path is None else f" ({self.path})"
        if self.state is NamedPackState.NETWORK:
            msg = (
                f"names data pack {named}, a network path{what}, which check never opens on "
                "its own: copy the pack and pass it with --data PACK, or pass --sites FILE, "
                "or --no-sites"
            )
        elif self.state is NamedPackState.OUTSIDE:
            msg = (
                f"names data pack {named}, outside the plan's folder{what}, which check "
                "opens only when asked: pass it with --data PACK (or other data with "
                "--sites FILE, or --no-sites)"
            )
        else:
            msg = (
                f"names data pack {named}, which is not there{what}: pass the pack with "
                "--data PACK, or other data with --sites FILE, or --no-sites"
            )
        return InputError(plan_path, f"siting_plan.{PACK_LINK_KEY}", msg)


def named_pack_for_check(link: PackLink, *, plan_path: str | os.PathLike[str]) -> NamedPack:
    """Where the pack the plan names is, and whether a check may open it unasked.

    The link's ``path`` (relative to the plan's folder) is tried first, then its
    ``absolute``. Only a regular file in the plan's folder or below is FOUND;
    symlinks are followed before deciding, so a link pointing out of the folder is
    OUTSIDE. A network spelling is classified from its text alone.
    """
    folder = Path(plan_path).resolve().parent
    refused: NamedPack | None = None
    looked: Path | None = None
    for text in (link.path, link.absolute):
        if not text:
            continue
        if is_network_path(text):
            refused = refused or NamedPack(NamedPackState.NETWORK, Path(text), link)
            continue
        where = classify_pack_path(text, plan_folder=folder)
        if where.location is PackLocation.NETWORK:
            refused = refused or NamedPack(NamedPackState.NETWORK, where.path, link)
        elif where.location is PackLocation.OUTSIDE:
            refused = refused or NamedPack(NamedPackState.OUTSIDE, where.path, link)
        elif where.path.is_file():
            return NamedPack(NamedPackState.FOUND, where.path, link)
        else:
            looked = looked or where.path
    return refused or NamedPack(NamedPackState.MISSING, looked, link)


@dataclass
class Provenance:
    """The plan's claim, this run's data pack, and every difference between them."""

    checked_with: dict[str, Any] | None
    link: PackLink | None
    pack: Path | None
    pack_sha256: str | None
    pack_from_plan: bool
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``differs``, ``no_claim`` (nothing to compare with) or ``matches``."""
        if self.differences:
            return "differs"
        if self.checked_with is None and (self.link is None or not self.link.sha256):
            return "no_claim"
        return "matches"

    def to_json(self) -> dict[str, Any]:
        """The ``provenance`` object of ``check --format json``."""
        link = None
        if self.link is not None:
            link = {
                "path": self.link.path,
                "absolute": self.link.absolute,
                "sha256": self.link.sha256,
            }
        used = None
        if self.pack is not None:
            used = {
                "path": str(self.pack),
                "sha256": self.pack_sha256,
                "named_by_plan": self.pack_from_plan,
            }
        return {
            "status": self.status,
            "claimed": {"checked_with": self.checked_with, "data_pack": link},
            "used": {"data_pack": used},
            "differences": [d.to_json() for d in self.differences],
            "notes": list(self.notes),
        }


def provenance_lines(obj: dict[str, Any]) -> list[str]:
    """``Provenance:`` lines of the text report from :meth:`Provenance.to_json`.

    The caller escapes each line (file names come from untrusted files).
    """
    out = [f"Provenance: {note}" for note in obj.get("notes", ())]
    out += [f"Provenance: DIFFERS: {d['message']}" for d in obj.get("differences", ())]
    if obj.get("status") == "matches":
        claimed = obj.get("claimed") or {}
        if claimed.get("checked_with") is None:
            out.append("Provenance: the data pack is the one the plan names (same sha256)")
        else:
            out.append(
                "Provenance: this check uses the policy and layers the plan was "
                "checked with (same sha256)"
            )
    return out


def _read_claim(raw: Any) -> tuple[dict[str, Any] | None, list[_Claimed], list[Difference]]:
    """``checked_with`` as far as it can be read: (policy, layers, problems)."""
    where = f"siting_plan.{CHECKED_WITH_KEY}"
    problems: list[Difference] = []

    def bad(at: str, what: str) -> None:
        problems.append(
            Difference("claim_unreadable", at, None, None, f"{at} {what}; it cannot be compared")
        )

    if not isinstance(raw, dict):
        bad(where, "is not an object")
        return None, [], problems
    policy: dict[str, Any] | None = None
    pol = raw.get("policy")
    if isinstance(pol, dict) and all(
        isinstance(pol.get(k), str) and pol.get(k) for k in ("id", "version", "sha256")
    ):
        policy = {k: pol[k] for k in ("id", "version", "sha256")}
    else:
        bad(f"{where}.policy", "does not give the policy's id, version and sha256 as text")
    layers: list[_Claimed] = []
    raw_layers = raw.get("layers")
    if not isinstance(raw_layers, list):
        bad(f"{where}.layers", "is not a list")
        raw_layers = []
    if len(raw_layers) > MAX_CLAIMED_LAYERS:
        bad(
            f"{where}.layers",
            f"lists {len(raw_layers)} layers; only the first {MAX_CLAIMED_LAYERS} are compared",
        )
    for i, item in enumerate(raw_layers[:MAX_CLAIMED_LAYERS], start=1):
        vals = [item.get(k) for k in ("kind", "path", "sha256")] if isinstance(item, dict) else []
        texts = [v for v in vals if isinstance(v, str) and v]
        if len(texts) == 3:
            layers.append(_Claimed(*texts))
        else:
            bad(f"{where}.layers[{i}]", "does not give the layer's kind, path and sha256 as text")
    return policy, layers, problems


def _pack_not_used(link: PackLink, pack_state: NamedPack | None) -> Difference:
    """The plan names a pack this check does not read; why, where the lookup says."""
    state = ""
    if pack_state is not None and pack_state.state is not NamedPackState.FOUND:
        state = {
            NamedPackState.MISSING: " (it is not there)",
            NamedPackState.OUTSIDE: " (it is outside the plan's folder)",
            NamedPackState.NETWORK: " (it is a network path)",
        }[pack_state.state]
    return Difference(
        "pack_not_used",
        "data pack",
        {"path": link.path, "sha256": link.sha256},
        None,
        f"the plan names data pack {link.path} (sha256 {_short(link.sha256)}){state}; "
        "this check does not use it, so its results are not judged by the data the "
        "plan names",
    )


def _pack_differences(
    link: PackLink,
    *,
    pack: Path | None,
    pack_sha256: str | None,
    pack_state: NamedPack | None,
    plan_path: Path,
) -> list[Difference]:
    claimed = {"path": link.path, "sha256": link.sha256}
    if pack is None:
        return [_pack_not_used(link, pack_state)]
    used = {"path": str(pack), "sha256": pack_sha256}
    if link.sha256:
        if pack_sha256 == link.sha256:
            return []
        return [
            Difference(
                "pack_sha256",
                "data pack",
                claimed,
                used,
                f"data pack {pack} is not the one the plan names: its sha256 is "
                f"{_short(pack_sha256)}, the plan names {link.path} with sha256 "
                f"{_short(link.sha256)}",
            )
        ]
    # An older link without a sha256: only the place can be compared.
    here = Path(os.path.realpath(pack))
    named = [
        Path(os.path.realpath(c))
        for c in link.candidates(plan_path=plan_path)
        if not is_network_path(str(c))
    ]
    if here in named:
        return []
    return [
        Difference(
            "pack_path",
            "data pack",
            claimed,
            used,
            f"the plan names data pack {link.path} (no sha256 recorded); this check uses {pack}",
        )
    ]


def compare_provenance(
    *,
    extra: dict[str, Any],
    link: PackLink | None,
    plan_path: str | os.PathLike[str],
    policy_id: str,
    policy_version: str,
    policy_sha256: str,
    layers: Sequence[LayerLike],
    pack: Path | None,
    pack_from_plan: bool = False,
    pack_state: NamedPack | None = None,
) -> Provenance:
    """Every difference between the plan's claim and what this check uses.

    Parameters
    ----------
    extra
        The plan's metadata beyond the known keys (``PlanMeta.extra``), where
        ``checked_with`` lives.
    link
        The plan's ``data_pack`` link (``planner.io.formats.plan.read_pack_link``).
    plan_path
        The plan file, against which a relative link is resolved.
    policy_id, policy_version, policy_sha256
        The policy this check uses.
    layers
        The layers this check uses, with the sha256 the loader computed.
    pack
        The data pack this check reads, if any.
    pack_from_plan
        Whether ``pack`` was taken from the plan's link (no ``--data`` given).
    pack_state
        Where the named pack was looked for, to say why it is not used.
    """
    plan = Path(plan_path)
    pack_sha = None
    if pack is not None:
        prefix = f"{pack}#"
        pack_sha = next((x.sha256 for x in layers if x.path.startswith(prefix)), None)
    raw = extra.get(CHECKED_WITH_KEY)
    prov = Provenance(
        checked_with=None, link=link, pack=pack, pack_sha256=pack_sha, pack_from_plan=pack_from_plan
    )
    if pack_from_plan and pack is not None:
        prov.notes.append(f"no --data given: using the data pack the plan names, {pack}")
    if link is not None:
        _compare_link(prov, link, pack_state=pack_state, plan_path=plan)
    if raw is None:
        prov.notes.append(
            "the plan records no checked_with (it has no provenance claim for its policy "
            "and layers), so they cannot be compared"
            if link is not None
            else "the plan has no provenance claim (no checked_with, no data_pack): nothing to "
            "compare this check's policy and layers with"
        )
        return prov
    used_policy = {"id": policy_id, "version": policy_version, "sha256": policy_sha256}
    _compare_claim(prov, raw, used_policy=used_policy, layers=layers)
    return prov


def _compare_link(
    prov: Provenance, link: PackLink, *, pack_state: NamedPack | None, plan_path: Path
) -> None:
    """Add how the pack in use differs from the one the plan's link names."""
    prov.differences += _pack_differences(
        link,
        pack=prov.pack,
        pack_sha256=prov.pack_sha256,
        pack_state=pack_state,
        plan_path=plan_path,
    )
    if not link.sha256:
        prov.notes.append(
            f"the plan's link to data pack {link.path} records no sha256, "
            "so the pack's content cannot be verified"
        )


def _compare_claim(
    prov: Provenance, raw: Any, *, used_policy: dict[str, str], layers: Sequence[LayerLike]
) -> None:
    """Add the plan's ``checked_with`` claim and how this check's policy and layers differ."""
    policy, claimed, problems = _read_claim(raw)
    prov.checked_with = {"policy": policy, "layers": [c.to_json() for c in claimed]}
    prov.differences += problems
    if policy is not None:
        prov.differences += _policy_differences(policy, used_policy)
    prov.differences += layer_differences(claimed, layers)


def _policy_differences(policy: dict[str, Any], used: dict[str, str]) -> list[Difference]:
    """One difference per policy field (id, version, sha256) the plan claims otherwise."""
    return [
        Difference(
            "policy",
            f"policy {key}",
            policy[key],
            used[key],
            f"policy {key}: the plan was checked with {policy[key]}, this check uses {used[key]}",
        )
        for key in ("id", "version", "sha256")
        if policy[key] != used[key]
    ]


def use_named_pack(
    ns: Any, plan: Any, *, config: Any = None
) -> tuple[PackLink | None, NamedPack | None, bool, list[str]]:
    """The data a command uses when the user gave none: one rule for check, review, report.

    SPEC 5.1: without ``--data``, ``--sites`` or ``--no-sites``, a plan that names
    its data pack is checked with that pack when it lies in the plan's folder (or
    below); any other named pack stops the command, naming it and what to pass.
    When IT locked the data (``ns.data_locked``, set by
    :func:`planner.io.config.managed_enforcement.enforce_managed`) the named pack is never used:
    the plan is checked with IT's pack, and a note says so. A plan naming no pack is
    checked with IT's first pack when the configuration names one.

    Sets ``ns.data``. Returns the plan's link, where its pack was found, whether
    ``ns.data`` came from the plan, and notes for the output.
    """
    from planner.io.formats.plan import read_pack_link

    notes: list[str] = []
    link = read_pack_link(plan.meta, source=str(ns.plan))
    named = None if link is None else named_pack_for_check(link, plan_path=ns.plan)
    gave_data = ns.data is not None or bool(ns.sites) or bool(getattr(ns, "no_sites", False))
    if getattr(ns, "data_locked", False):
        # IT's pack is used whatever the plan names; the provenance comparison then
        # says whether it is the pack the plan names (same sha256) or not
        return link, named, False, notes
    if gave_data:
        return link, named, False, notes
    if named is None:
        packs = getattr(config, "data_packs", ()) if config is not None else ()
        if packs:
            ns.data = packs[0]
            notes.append(f"no --data given: using IT's data pack {packs[0]}")
        return link, named, False, notes
    if named.state is not NamedPackState.FOUND:
        raise named.refusal(plan_path=ns.plan)
    ns.data = named.path
    return link, named, True, notes
