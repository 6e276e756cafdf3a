"""The open plan: cameras, data layers, checker, undo stack, file path and results.

Every change a user makes goes through a :class:`QUndoCommand`
(:mod:`planner.app.siting.undo_commands`) pushed on :attr:`PlanDocument.undo_stack`;
the commands call the document's private mutators, which emit the signals the views
listen to. The siting gate (:meth:`PlanDocument.propose`) decides whether a new pose
may be committed: ``block`` is refused, ``warn`` needs a written justification,
``clear`` commits (its verdict: :mod:`planner.app.siting.verdict`).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from planner.app.siting import wording
from planner.app.siting.poses import quantize
from planner.app.siting.undo_commands import (
    AddCamerasCommand,
    DeleteCamerasCommand,
    SetCamerasCommand,
    SetPlanPropertiesCommand,
)
from planner.app.siting.verdict import Outcome, worsening
from planner.core.crs import Projector
from planner.core.model import (
    AuditEntry,
    Camera,
    CameraResult,
    CameraStatus,
    Finding,
    Plan,
    PlanMeta,
    PlanResult,
    Severity,
    Site,
)
from planner.io.formats.plan import now_iso as _now_iso

#: Asked for a justification of a ``warn`` placement; returns the text, or None to cancel.
Justifier = Callable[[str, Sequence[Finding]], "str | None"]


def now_iso() -> str:
    """UTC, ISO 8601, to the second, with ``Z``: the one timestamp format of the app."""
    return _now_iso()


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"


@dataclass
class DataContext:
    """The loaded layers and the checker built from them (all plain data, no Qt)."""

    checker: Any  # planner.core.checker.Checker
    projector: Projector
    sites: list[Any] = field(default_factory=list)
    buildings: Any = None  # lon/lat shapely array or GeoDataFrame
    streets: Any = None  # GeoDataFrame in EPSG:4326
    street_network: Any = None  # planner.core.streets.StreetNetwork
    cameras_existing: list[Camera] = field(default_factory=list)
    layers: list[Any] = field(default_factory=list)
    pack_path: Path | None = None
    #: Which of "streets", "buildings", "sites", "cameras_existing" are OSM-derived
    #: (from the data pack's metadata); the map shows the OSM attribution only for them.
    osm_layers: frozenset[str] = frozenset()
    #: The static layers projected for the map (``planner.app.map.canvas.prepare``), made on
    #: the worker with the rest; None: the canvas prepares them itself.
    canvas_layers: Any = None
    #: What was read from the pack alone (``planner.io.checking.loader`` inputs) and the pack's
    #: ``(size, mtime_ns)`` then; None when other layers were added. A re-check of the
    #: saved plan against the same, unchanged pack reuses them (see
    #: :func:`planner.app.siting.loading.reusable_inputs`).
    pack_inputs: Any = None
    pack_stamp: tuple[int, int] | None = None


class PlanDocument(QObject):
    """The plan being edited and everything derived from it.

    Signals
    -------
    camera_added(str), camera_removed(str), camera_changed(str)
        A camera entered, left or changed in the plan.
    result_changed(str)
        The cached check result of one camera changed.
    results_reset()
        All results were replaced (after a full check or a data load).
    plan_reset()
        A new plan was loaded: views rebuild from scratch.
    data_changed()
        New data layers / a new checker.
    path_changed(object)
        The document's file path changed (``Path`` or ``None``).
    message(str)
        A notice for the user (refusals and the like); also stored in ``last_message``.
    """

    camera_added = Signal(str)
    camera_removed = Signal(str)
    camera_changed = Signal(str)
    result_changed = Signal(str)
    results_reset = Signal()
    plan_reset = Signal()
    data_changed = Signal()
    path_changed = Signal(object)
    message = Signal(str)
    #: A change was refused: (camera id, plain-words message); the banner offers a way out.
    refused = Signal(str, str)
    audit_changed = Signal()
    #: The plan's name, author or department changed.
    properties_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.plan = Plan(meta=PlanMeta(created=now_iso()))
        self.path: Path | None = None
        self.data: DataContext | None = None
        self.results: dict[str, CameraResult] = {}
        self.undo_stack = QUndoStack(self)
        self.last_message = ""
        #: Called for a ``warn`` placement; the main window installs a dialog, tests a lambda.
        self.justifier: Justifier = lambda _prompt, _findings: None
        #: Who is making changes, for the audit trail (the main window asks the user once).
        self.identity: Callable[[], str] = login_name
        #: Why no result may be shown (the plan's data is missing or changed); "" when
        #: checks run. While set, nothing is checked, so nothing shows as clear.
        self.withheld = ""
        self._sites: dict[str, Site] = {}

    # -- state -----------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def checker(self) -> Any:
        return None if self.data is None else self.data.checker

    @property
    def projector(self) -> Projector | None:
        return None if self.data is None else self.data.projector

    def camera(self, camera_id: str) -> Camera:
        return self.plan.camera(camera_id)

    def has_camera(self, camera_id: str) -> bool:
        return any(c.id == camera_id for c in self.plan.cameras)

    def is_editable(self, camera_id: str) -> bool:
        """Only plan cameras are edited; context cameras from the data pack are read-only."""
        return self.has_camera(camera_id)

    def all_cameras(self) -> list[Camera]:
        """Plan cameras, then the data pack's existing cameras the plan does not override."""
        ids = set(self.plan.ids())
        pack = [] if self.data is None else self.data.cameras_existing
        extra = [c for c in pack if c.id not in ids]
        return [*self.plan.cameras, *extra]

    def any_camera(self, camera_id: str) -> Camera:
        for cam in self.all_cameras():
            if cam.id == camera_id:
                return cam
        msg = f"no camera with id {camera_id!r}"
        raise KeyError(msg)

    def set_message(self, text: str, *, refused_camera: str | None = None) -> None:
        self.last_message = text
        if refused_camera is not None:
            self.refused.emit(refused_camera, text)
        else:
            self.message.emit(text)

    # -- words -----------------------------------------------------------------------------
    def site(self, site_id: str | None) -> Site | None:
        return self._sites.get(site_id or "")

    def wording_context(self) -> wording.Context:
        return wording.Context(sites=self._sites, projector=self.projector)

    def describe(
        self, finding: Finding, camera: Camera | None = None, *, unit: str | None = None
    ) -> str:
        """``finding`` in plain words (units as displayed, or ``unit``)."""
        if camera is None:
            try:
                camera = self.any_camera(finding.camera_id)
            except KeyError:
                camera = None
        return wording.finding_sentence(finding, camera, self.wording_context(), unit=unit)

    def audit_entries(
        self, cameras: Sequence[Camera | str], *, action: str, text: str
    ) -> list[AuditEntry]:
        """Audit entries for a change made outside :meth:`propose` (a CSV import)."""
        return self._audit(cameras, action=action, text=text)

    def _audit(
        self,
        cameras: Sequence[Camera | str],
        *,
        action: str,
        text: str,
        justification: str = "",
        details: Mapping[str, str] | None = None,
    ) -> list[AuditEntry]:
        """One entry per camera (or one for the plan): who, when, what and why."""
        who, when = self.identity() or login_name(), now_iso()
        out = []
        targets: Sequence[Camera | str | None] = cameras or [None]
        for cam in targets:
            cid = cam if isinstance(cam, str) or cam is None else cam.id
            extra = (details or {}).get(cid or "", "")
            out.append(
                AuditEntry(
                    when=when,
                    who=who,
                    action=action,
                    camera_id=cid,
                    detail=f"{text}: {extra}" if extra else text,
                    justification=justification,
                )
            )
        return out

    # -- loading ---------------------------------------------------------------------------
    def load_plan(self, plan: Plan, path: Path | None, *, check: bool = True) -> None:
        """Replace the plan (after Open/New/recovery); clears undo history.

        ``check=False`` leaves the results empty: the caller runs the full check on a
        worker (large plans), or must not show any result (the plan's data is missing).
        """
        # The items of a plan installed just before with its data (set_data) are
        # already built: building 363 cameras' items twice cost the GUI 0.4 s.
        same, had_results = plan is self.plan, bool(self.results)
        self.plan = plan
        self.path = path
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.results = {}
        if not same:
            self.plan_reset.emit()
        self.path_changed.emit(path)
        self.properties_changed.emit()
        if check:
            self.recheck_all_sync()
        elif not same or had_results:
            self.results_reset.emit()

    def set_data(self, data: DataContext | None) -> None:
        self.data = data
        self._sites = {} if data is None else {s.id: s for s in data.sites}
        self.results = {}
        self.data_changed.emit()
        self.plan_reset.emit()

    def set_path(self, path: Path | None) -> None:
        self.path = path
        self.path_changed.emit(path)

    # -- checking --------------------------------------------------------------------------
    def evaluate(self, camera: Camera) -> CameraResult | None:
        """Check one camera pose without touching the cache (used live during drags)."""
        checker = self.checker
        if checker is None or self.withheld:
            return None
        return checker.check_camera(camera)

    def recheck(self, camera_id: str) -> None:
        try:
            cam = self.any_camera(camera_id)
        except KeyError:
            self.results.pop(camera_id, None)
            return
        result = self.evaluate(cam)
        if result is None:
            return
        self.results[camera_id] = result
        self.result_changed.emit(camera_id)

    def recheck_all_sync(self) -> None:
        """Check every camera on this thread (small plans; full checks use a worker)."""
        checker = self.checker
        if checker is None or self.withheld:
            self.results_reset.emit()
            return
        cams = self.all_cameras()
        self.results = {c.id: checker.check_camera(c) for c in cams}
        self.results_reset.emit()

    def apply_plan_result(self, cameras: Sequence[Camera], result: PlanResult) -> None:
        """Install the results of a worker's full check, dropping stale ones."""
        current = {c.id: c for c in self.all_cameras()}
        new: dict[str, CameraResult] = {}
        for cam, res in zip(cameras, result.results, strict=False):
            if current.get(cam.id) == cam:
                new[cam.id] = res
        stale = [cid for cid in current if cid not in new]
        self.results = new
        for cid in stale:  # edited while the worker ran: check again here, cheaply
            self.recheck(cid)
        self.results_reset.emit()

    def status_counts(self) -> tuple[int, int, int, int]:
        """``(checked, blocked, warned, clear)`` over the current results.

        The one count the status bar and the findings panel both show, so they never
        disagree (after a delete, an undo, a re-check).
        """
        statuses = [r.status for r in self.results.values()]
        n_b = sum(s is Severity.BLOCK for s in statuses)
        n_w = sum(s is Severity.WARN for s in statuses)
        return len(statuses), n_b, n_w, len(statuses) - n_b - n_w

    def status_of(self, camera_id: str) -> Severity | None:
        res = self.results.get(camera_id)
        return None if res is None else res.status

    # -- the siting gate -------------------------------------------------------------------
    def propose(
        self,
        before: Sequence[Camera],
        after: Sequence[Camera],
        *,
        action: str,
        text: str,
        add: bool = False,
        merge_key: str | None = None,
    ) -> Outcome:
        """Commit ``after`` (replacing ``before``, or added when ``add``) if the rules allow.

        ``block`` anywhere refuses the whole change with a message naming the site,
        the entrance and the rule; ``warn`` asks :attr:`justifier` and records the
        answer in the audit trail; ``clear`` commits.
        """
        after = [quantize(c) for c in after]
        if not add:
            # Only cameras that really change: a click, or a drag back to the start,
            # is no command (and asks no justification).
            pairs = [(b, a) for b, a in zip(before, after, strict=True) if quantize(b) != a]
            if not pairs:
                status = (self.status_of(before[0].id) if before else None) or Severity.CLEAR
                return Outcome(False, status, changed=False)
            before, after = [p[0] for p in pairs], [p[1] for p in pairs]
        results = [self.evaluate(c) for c in after]
        statuses = [Severity.CLEAR if r is None else r.status for r in results]
        worst = Severity.worst(statuses)
        findings = tuple(f for r in results if r is not None for f in r.findings)
        prior = {b.id: b for b in before}
        still_blocked = ""
        for cam, res in zip(after, results, strict=True):
            if res is None or res.status is not Severity.BLOCK:
                continue
            old = prior.get(cam.id)
            worse = worsening(None if old is None else self.evaluate(old), res)
            if worse is not None:
                msg = f"{text} refused: {self.describe(worse, cam)}"
                self.set_message(msg, refused_camera=cam.id)
                return Outcome(False, Severity.BLOCK, msg, findings)
            blocking = next(f for f in res.findings if f.severity is Severity.BLOCK)
            still_blocked = f"{text}: done, but still blocked: {self.describe(blocking, cam)}"
        justification = ""
        details: dict[str, str] = {}
        if worst is not Severity.CLEAR:
            for cam, res in zip(after, results, strict=True):
                if res is not None and res.findings:
                    # files stay metric, whatever the display unit
                    details[cam.id] = "; ".join(
                        self.describe(f, cam, unit="metres")
                        for f in res.findings
                        if f.severity is not Severity.CLEAR
                    )
        warned = [
            (c, r)
            for c, r in zip(after, results, strict=True)
            if r is not None and r.status is Severity.WARN
        ]
        if warned:
            warn_f = [f for _c, r in warned for f in r.findings if f.severity is Severity.WARN]
            names = ", ".join(sorted({f.site_name or f.site_id or str(f.rule) for f in warn_f}))
            prompt = f"{text}: this placement gives warnings ({names}). Why is it acceptable?"
            answer = self.justifier(prompt, warn_f)
            ids = [x for c, _r in warned for x in (c.id, c.label) if x]
            problem = (
                None if answer is None else wording.justification_problem(answer, camera_ids=ids)
            )
            if answer is None or problem is not None:
                why = (
                    "needs a written justification"
                    if answer is None or not answer.strip()
                    else f"the justification is too short. {problem}"
                )
                msg = f"Not committed: {text} {why} ({names})"
                self.set_message(msg)
                return Outcome(False, worst, msg, findings)
            justification = " ".join(answer.split())
        audit = self._audit(
            after, action=action, text=text, justification=justification, details=details
        )
        if add:
            cmd: QUndoCommand = AddCamerasCommand(self, list(after), audit=audit, text=text)
        else:
            cmd = SetCamerasCommand(
                self,
                list(before),
                list(after),
                audit=audit,
                text=text,
                merge_key=merge_key if not justification else None,
            )
        self.undo_stack.push(cmd)
        if still_blocked:
            self.set_message(still_blocked)
        elif warned:
            self.set_message(f"{text}: committed with justification")
        return Outcome(True, worst, "", findings)

    def edit_properties(self, before: Camera, after: Camera) -> Outcome:
        """Properties panel edits: pose and capability changes pass the gate, the rest commit."""
        needs_gate = before.pose != after.pose or before.capabilities != after.capabilities
        if before == after:
            return Outcome(True, self.status_of(before.id) or Severity.CLEAR)
        if needs_gate:
            return self.propose([before], [after], action="edit", text=f"Edit {after.id}")
        text = f"Edit {after.id}"
        self.undo_stack.push(
            SetCamerasCommand(
                self,
                [before],
                [after],
                text=text,
                audit=self._audit([after], action="edit", text=text),
            )
        )
        return Outcome(True, self.status_of(after.id) or Severity.CLEAR)

    def delete_cameras(self, ids: Sequence[str]) -> list[str]:
        """Delete the plan's cameras among ``ids``; returns those that are not the plan's."""
        mine = [i for i in ids if self.has_camera(i)]
        if mine:
            text = "Delete cameras" if len(mine) > 1 else f"Delete {mine[0]}"
            self.undo_stack.push(
                DeleteCamerasCommand(
                    self, mine, audit=self._audit(mine, action="delete", text=text)
                )
            )
        return [i for i in ids if i not in mine]

    def set_properties(self, *, name: str, author: str, department: str) -> bool:
        """Change the plan's name, author and department as one undoable step."""
        m = self.plan.meta
        before = {"name": m.name, "author": m.author, "department": m.department}
        after = {
            "name": " ".join(name.split()) or "Untitled plan",
            "author": " ".join(author.split()),
            "department": " ".join(department.split()),
        }
        if after == before:
            return False
        changed = ", ".join(f"{k} {after[k]!r}" for k in after if after[k] != before[k])
        text = "Plan properties"
        self.undo_stack.push(
            SetPlanPropertiesCommand(
                self,
                before,
                after,
                audit=self._audit([], action="properties", text=f"{text}: {changed}"),
            )
        )
        return True

    def _set_meta(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            setattr(self.plan.meta, key, value)
        self.properties_changed.emit()

    def duplicate_cameras(self, ids: Sequence[str], *, offset_m: float = 5.0) -> list[str]:
        """Copies shifted ``offset_m`` east, through the gate; returns the new ids."""
        originals = [self.camera(i) for i in ids if self.has_camera(i)]
        if not originals or self.projector is None:
            return []
        copies: list[Camera] = []
        taken = set(self.plan.ids())
        for cam in originals:
            n = 1
            while f"{cam.id}-copy{n}" in taken:
                n += 1
            new_id = f"{cam.id}-copy{n}"
            taken.add(new_id)
            x, y = self.projector.point(cam.lon, cam.lat)
            lon, lat = self.projector.lonlat(x + offset_m, y)
            copies.append(
                cam.replace(
                    id=new_id,
                    lon=lon,
                    lat=lat,
                    status=CameraStatus.PROPOSED,
                    label=f"{cam.label} copy" if cam.label else "",
                )
            )
        out = self.propose([], copies, action="duplicate", text="Duplicate cameras", add=True)
        return [c.id for c in copies] if out.committed else []

    # -- mutators used by commands only --------------------------------------------------------
    def _insert(self, index: int, camera: Camera) -> None:
        self.plan.cameras.insert(index, camera)
        self.camera_added.emit(camera.id)
        self.recheck(camera.id)

    def _remove(self, camera_id: str) -> tuple[int, Camera]:
        for i, cam in enumerate(self.plan.cameras):
            if cam.id == camera_id:
                del self.plan.cameras[i]
                self.results.pop(camera_id, None)
                self.camera_removed.emit(camera_id)
                return i, cam
        msg = f"no camera with id {camera_id!r}"
        raise KeyError(msg)

    def _replace(self, camera: Camera) -> None:
        for i, cam in enumerate(self.plan.cameras):
            if cam.id == camera.id:
                self.plan.cameras[i] = camera
                break
        else:
            msg = f"no camera with id {camera.id!r}"
            raise KeyError(msg)
        self.camera_changed.emit(camera.id)
        self.recheck(camera.id)

    def _add_audit(self, entries: Sequence[AuditEntry]) -> None:
        if entries:
            self.plan.meta.audit.extend(entries)
            self.audit_changed.emit()

    def _remove_audit(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            for i in range(len(self.plan.meta.audit) - 1, -1, -1):
                if self.plan.meta.audit[i] is entry:
                    del self.plan.meta.audit[i]
                    break
        if entries:
            self.audit_changed.emit()
