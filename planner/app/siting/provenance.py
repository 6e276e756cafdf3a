"""Which data judges the plan: the plan's link to its pack, ``checked_with``, and a panel.

SPEC 5.1: a program that opens a plan never silently checks it against other data
than the data it names; where a named layer is missing or its sha256 differs, it
says so before showing any result. :func:`data_problems` lists those differences in
plain words; the main window withholds results while there are any, until the user
locates the named data, chooses other data, or accepts the data in force.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from planner.app.siting.document import DataContext
from planner.core.model import PlanMeta, Policy
from planner.io.formats.plan import CHECKED_WITH_KEY, PackLink, checked_with_json, pack_link_json


def pack_digest(data: DataContext | None) -> str | None:
    """The sha256 of the data pack in force (the loader records it with each pack layer)."""
    if data is None or data.pack_path is None:
        return None
    prefix = f"{data.pack_path}#"
    return next((layer.sha256 for layer in data.layers if layer.path.startswith(prefix)), None)


def layer_file(path: str) -> str:
    """The file of a layer path (``pack.gpkg#sites`` -> ``pack.gpkg``)."""
    return path.split("#", 1)[0]


def data_problems(meta: PlanMeta, *, link: PackLink | None, data: DataContext | None) -> list[str]:
    """How the data in force differs from the data the plan names, in plain words.

    Compares the pack's sha256 with the plan's ``data_pack`` link, and every layer
    file recorded in ``checked_with`` with the layers loaded now. Empty: the plan is
    judged by the data it names.
    """
    problems: list[str] = []
    digest = pack_digest(data)
    if (
        link is not None
        and data is not None
        and data.checker is not None
        and data.pack_path is None
    ):
        problems.append(
            f"The data pack this plan names ({link.path}) is not loaded; only layer files are."
        )
    if (
        link is not None
        and link.sha256
        and data is not None
        and data.pack_path is not None
        and digest is not None
        and digest != link.sha256
    ):
        problems.append(
            f"The data pack {Path(data.pack_path).name} is not the one this plan was made "
            f"with: its sha256 is {digest[:12]}…, the plan names {link.sha256[:12]}…."
        )
    recorded = meta.extra.get(CHECKED_WITH_KEY)
    if not isinstance(recorded, dict):
        return problems
    loaded = set() if data is None else {layer.sha256 for layer in data.layers}
    seen: set[str] = set()
    for rec in recorded.get("layers") or ():
        if not isinstance(rec, dict):
            continue
        sha, path, kind = rec.get("sha256"), str(rec.get("path") or ""), rec.get("kind")
        if not isinstance(sha, str) or not sha or sha in loaded or sha in seen:
            continue
        seen.add(sha)
        if link is not None and sha == link.sha256 and problems:
            continue  # the pack's difference is already said
        problems.append(
            f"The {kind} layer this plan was last checked with ({Path(layer_file(path)).name},"
            f" sha256 {sha[:12]}…) is not loaded or has changed."
        )
    return problems


def policy_note(meta: PlanMeta, policy: Policy) -> str:
    """A note when the plan was last checked with another policy (results are still shown)."""
    recorded = meta.extra.get(CHECKED_WITH_KEY)
    pol = recorded.get("policy") if isinstance(recorded, dict) else None
    if not isinstance(pol, dict) or not pol.get("sha256") or pol.get("sha256") == policy.sha256:
        return ""
    return (
        f"This plan was last checked with policy {pol.get('id')} v{pol.get('version')}; "
        f"it is now checked with {policy.id} v{policy.version}."
    )


def record_check(
    meta: PlanMeta, *, policy: Policy, data: DataContext, statuses: dict[str, str] | None = None
) -> None:
    """Write ``checked_with`` (SPEC 5.1) for a save after a check.

    ``statuses`` are the per-camera statuses the planner saw; a review compares them
    with its own re-check.
    """
    meta.extra[CHECKED_WITH_KEY] = checked_with_json(
        policy_id=policy.id,
        policy_version=policy.version,
        policy_sha256=policy.sha256,
        layers=[layer.to_json() for layer in data.layers],
        cameras=statuses,
    )


def relink(
    meta: PlanMeta,
    *,
    pack: Path | None,
    sha256: str | None,
    link: PackLink | None,
    old_plan: Path | None,
    new_plan: Path,
) -> None:
    """Write the ``data_pack`` link for a plan saved at ``new_plan``.

    With a pack in force, the link names it; otherwise the link the plan had is kept,
    re-expressed relative to the new location (its absolute path stays valid).
    """
    from planner.io.formats.plan import PACK_LINK_KEY

    if pack is not None:
        meta.extra[PACK_LINK_KEY] = pack_link_json(pack=pack, plan_path=new_plan, sha256=sha256)
        meta.extra.pop("source_pack", None)
        return
    if link is None:
        return
    target = link.resolve(plan_path=old_plan)
    if target is None:
        cands = link.candidates(plan_path=old_plan)
        target = cands[0] if cands else None
    if target is not None:
        meta.extra[PACK_LINK_KEY] = pack_link_json(
            pack=target, plan_path=new_plan, sha256=link.sha256
        )
        meta.extra.pop("source_pack", None)


class ProvenancePanel(QWidget):
    """What judges the plan right now: pack, policy and layers, with their sha256."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setObjectName("provenance_text")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(scroll)

    def show_state(
        self,
        *,
        policy: Policy,
        data: DataContext | None,
        state: str,
        problems: Sequence[str],
        link: PackLink | None,
        plan_path: Path | None,
        recorded: Any,
    ) -> None:
        """Render the provenance; ``state`` is the sentence of the status bar's data label."""
        esc = html.escape
        head = [f"<p><b>{esc(state)}</b></p>"]
        head += [f"<p style='color:#8a1c1c'>\u26a0 {esc(p)}</p>" for p in problems]
        cells = _provenance_cells(
            policy=policy, data=data, link=link, plan_path=plan_path, recorded=recorded
        )
        rows = [*head, _cells_table(cells)]
        self.label.setText("".join(rows))
        tips = [state, *problems, f"Policy {policy.id} v{policy.version} sha256 {policy.sha256}"]
        if data is not None:
            tips += [f"{layer.kind}: {layer.path} sha256 {layer.sha256}" for layer in data.layers]
        self.label.setToolTip("\n".join(tips))


def _provenance_cells(
    *,
    policy: Policy,
    data: DataContext | None,
    link: PackLink | None,
    plan_path: Path | None,
    recorded: Any,
) -> list[tuple[str, str, str, str]]:
    """``(what, name or path, sha256, features)`` of the policy, the pack the plan names,
    every loaded layer and the last saved check."""
    cells: list[tuple[str, str, str, str]] = [
        ("Policy", f"{policy.id} v{policy.version}", policy.sha256 or "not recorded", "")
    ]
    if link is not None:
        cands = " or ".join(str(c) for c in link.candidates(plan_path=plan_path))
        cells.append(
            (
                "Plan names",
                f"{link.path} (looked for {cands})",
                link.sha256 or "not recorded",
                "",
            )
        )
    if data is not None and data.checker is not None:
        cells += [
            (
                f"Layer: {layer.kind}",
                layer_file(layer.path),
                layer.sha256,
                f"{layer.features:,}",
            )
            for layer in data.layers
        ]
    else:
        cells.append(("Layers", "none: the plan is not checked", "", ""))
    if isinstance(recorded, dict):
        pol = recorded.get("policy") or {}
        n = len(recorded.get("layers") or ())
        cells.append(
            (
                "Last saved check",
                f"policy {pol.get('id')} v{pol.get('version')}, {n} layers",
                str(pol.get("sha256") or ""),
                "",
            )
        )
    return cells


def _cells_table(cells: Sequence[tuple[str, str, str, str]]) -> str:
    """The provenance cells as an HTML table, every value escaped."""
    esc = html.escape
    body = "".join(
        f"<tr><td><b>{esc(a)}</b></td><td>{esc(b)}</td>"
        f"<td><tt>{esc(c)}</tt></td><td align='right'>{esc(d)}</td></tr>"
        for a, b, c, d in cells
    )
    return (
        "<table cellspacing='0' cellpadding='2'>"
        "<tr><th align='left'></th><th align='left'>name / path</th>"
        f"<th align='left'>sha256</th><th align='right'>features</th></tr>{body}</table>"
    )
