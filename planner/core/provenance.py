"""Comparing what a plan says it was judged by with what a run used (no I/O).

Shared by ``check`` (``planner.io.checking.provenance``) and the review report
(``planner.report.model``), so both say exactly what differs for each layer: used
with another sha256, not used, or used but not named by the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Protocol


class LayerLike(Protocol):
    """A layer a run used (``planner.io.checking.loader.LayerInfo``, the report's ``LayerRow``)."""

    @property
    def kind(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Difference:
    """One way this run differs from what the plan claims.

    ``kind`` is one of ``pack_not_used``, ``pack_sha256``, ``pack_path``, ``policy``,
    ``layer_missing``, ``layer_changed``, ``layer_unnamed``, ``claim_unreadable``.
    """

    kind: str
    what: str
    claimed: Any
    used: Any
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "claimed": self.claimed,
            "used": self.used,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ClaimedLayer:
    kind: str
    path: str
    sha256: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path, "sha256": self.sha256}


def short_sha(sha: str | None) -> str:
    """The first 12 hex digits and an ellipsis, or ``not recorded``."""
    return f"{sha[:12]}…" if sha else "not recorded"


def layer_name(path: str) -> str:
    """``/a/b/pack.gpkg#sites`` -> ``pack.gpkg#sites``: the layer, wherever its file is."""
    file, sep, layer = path.partition("#")
    return PurePosixPath(file.replace("\\", "/")).name + sep + layer


def layer_differences(
    claimed: Sequence[ClaimedLayer], used: Sequence[LayerLike], *, run: str = "this check"
) -> list[Difference]:
    """Pair claimed and used layers: same kind and sha256, then same layer, then same kind."""
    pairs, left_claimed, left_used = _pair_layers(claimed, used)
    out = [_layer_changed(c, u, run) for c, u in pairs]
    for c in left_claimed:
        out.append(
            Difference(
                "layer_missing",
                f"{c.kind} layer",
                c.to_json(),
                None,
                f"{c.kind} layer: not used: {c.path} (sha256 {short_sha(c.sha256)}), which the "
                f"plan was checked with, is not used by {run}",
            )
        )
    for u in left_used:
        out.append(
            Difference(
                "layer_unnamed",
                f"{u.kind} layer",
                None,
                {"kind": u.kind, "path": u.path, "sha256": u.sha256},
                f"{u.kind} layer: not named by the plan: {u.path} (sha256 "
                f"{short_sha(u.sha256)}) is used by {run}, but the plan was not checked with it",
            )
        )
    return out


def _pair_layers(
    claimed: Sequence[ClaimedLayer], used: Sequence[LayerLike]
) -> tuple[list[tuple[ClaimedLayer, LayerLike]], list[ClaimedLayer], list[LayerLike]]:
    """Changed pairs, then the claimed layers and the used layers left without a partner.

    Identical layers (same kind and sha256) pair off first and are no difference.
    """
    left_used = list(used)
    left_claimed: list[ClaimedLayer] = []
    for c in claimed:
        hit = next((u for u in left_used if u.kind == c.kind and u.sha256 == c.sha256), None)
        if hit is None:
            left_claimed.append(c)
        else:
            left_used.remove(hit)
    pairs: list[tuple[ClaimedLayer, LayerLike]] = []
    for c in list(left_claimed):
        hit = next(
            (u for u in left_used if u.kind == c.kind and layer_name(u.path) == layer_name(c.path)),
            None,
        )
        if hit is not None:
            pairs.append((c, hit))
            left_claimed.remove(c)
            left_used.remove(hit)
    for kind in dict.fromkeys(c.kind for c in left_claimed):
        cs = [c for c in left_claimed if c.kind == kind]
        us = [u for u in left_used if u.kind == kind]
        if len(cs) == len(us) == 1:  # one layer of this kind, now another file
            pairs.append((cs[0], us[0]))
            left_claimed.remove(cs[0])
            left_used.remove(us[0])
    return pairs, left_claimed, left_used


def _layer_changed(c: ClaimedLayer, u: LayerLike, run: str) -> Difference:
    same = layer_name(u.path) == layer_name(c.path)
    used_as = f"the same layer {u.path}" if same else f"{u.path} in its place"
    return Difference(
        "layer_changed",
        f"{c.kind} layer",
        c.to_json(),
        {"kind": u.kind, "path": u.path, "sha256": u.sha256},
        f"{c.kind} layer: used with another sha256: the plan was checked with {c.path} "
        f"(sha256 {short_sha(c.sha256)}), {run} uses {used_as} "
        f"(sha256 {short_sha(u.sha256)})",
    )
