"""The undo commands of the siting document: one user gesture, one undo step.

The document pushes them on its undo stack once the siting gate has allowed a change
(:meth:`planner.app.siting.document.PlanDocument.propose`); each calls the document's
private mutators, which emit the signals the views listen to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand

from planner.core.model import AuditEntry, Camera, Plan


class EditablePlan(Protocol):
    """The document's mutators the commands call (the siting document has them).

    A protocol, so the commands need not import the document that pushes them.
    """

    plan: Plan

    def _insert(self, index: int, camera: Camera) -> None: ...
    def _remove(self, camera_id: str) -> tuple[int, Camera]: ...
    def _replace(self, camera: Camera) -> None: ...
    def _set_meta(self, values: Mapping[str, str]) -> None: ...
    def _add_audit(self, entries: Sequence[AuditEntry]) -> None: ...
    def _remove_audit(self, entries: Sequence[AuditEntry]) -> None: ...


class AddCamerasCommand(QUndoCommand):
    """Add one or more cameras (Add camera, Duplicate)."""

    def __init__(
        self,
        doc: EditablePlan,
        cameras: list[Camera],
        *,
        audit: Sequence[AuditEntry] = (),
        text: str = "Add camera",
    ) -> None:
        super().__init__(text)
        self.doc, self.cameras, self.audit = doc, cameras, list(audit)

    def redo(self) -> None:
        for cam in self.cameras:
            self.doc._insert(len(self.doc.plan.cameras), cam)
        self.doc._add_audit(self.audit)

    def undo(self) -> None:
        self.doc._remove_audit(self.audit)
        for cam in reversed(self.cameras):
            self.doc._remove(cam.id)


class AddCameraCommand(AddCamerasCommand):
    def __init__(self, doc: EditablePlan, camera: Camera, **kw: Any) -> None:
        super().__init__(doc, [camera], **kw)


_MERGE_ID = 4711


class SetCamerasCommand(QUndoCommand):
    """Replace cameras by new versions: moves, rotations, property edits.

    Commands with the same ``merge_key`` (arrow-key nudges of the same selection)
    merge into one undo step.
    """

    def __init__(
        self,
        doc: EditablePlan,
        before: list[Camera],
        after: list[Camera],
        *,
        audit: Sequence[AuditEntry] = (),
        text: str = "Move camera",
        merge_key: str | None = None,
    ) -> None:
        super().__init__(text)
        self.doc, self.before, self.after = doc, before, after
        self.audit = list(audit)
        self.merge_key = merge_key

    def id(self) -> int:
        return _MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetCamerasCommand) or other.merge_key != self.merge_key:
            return False
        if [c.id for c in other.before] != [c.id for c in self.after]:
            return False
        self.after = other.after
        # one run of nudges is one change: one audit entry, not one per key press
        plain = [e for e in other.audit if not e.justification]
        self.doc._remove_audit(plain)
        self.audit.extend(e for e in other.audit if e.justification)
        return True

    def redo(self) -> None:
        for cam in self.after:
            self.doc._replace(cam)
        self.doc._add_audit(self.audit)

    def undo(self) -> None:
        self.doc._remove_audit(self.audit)
        for cam in self.before:
            self.doc._replace(cam)


class MoveCameraCommand(SetCamerasCommand):
    """One drag (or a run of merged nudges) of one or more cameras."""


class EditCameraPropertiesCommand(SetCamerasCommand):
    def __init__(self, doc: EditablePlan, before: Camera, after: Camera) -> None:
        super().__init__(doc, [before], [after], text=f"Edit {after.id}")


class DeleteCamerasCommand(QUndoCommand):
    def __init__(
        self, doc: EditablePlan, ids: Sequence[str], *, audit: Sequence[AuditEntry] = ()
    ) -> None:
        super().__init__("Delete cameras" if len(ids) > 1 else f"Delete {ids[0]}")
        self.doc, self.ids = doc, list(ids)
        self.audit = list(audit)
        self.removed: list[tuple[int, Camera]] = []

    def redo(self) -> None:
        self.removed = [self.doc._remove(i) for i in self.ids]
        self.doc._add_audit(self.audit)

    def undo(self) -> None:
        self.doc._remove_audit(self.audit)
        for index, cam in reversed(self.removed):
            self.doc._insert(index, cam)


class SetPlanPropertiesCommand(QUndoCommand):
    """Change the plan's name, author and department (File > Plan properties...)."""

    def __init__(
        self,
        doc: EditablePlan,
        before: Mapping[str, str],
        after: Mapping[str, str],
        *,
        audit: Sequence[AuditEntry] = (),
    ) -> None:
        super().__init__("Plan properties")
        self.doc, self.before, self.after = doc, dict(before), dict(after)
        self.audit = list(audit)

    def redo(self) -> None:
        self.doc._set_meta(self.after)
        self.doc._add_audit(self.audit)

    def undo(self) -> None:
        self.doc._remove_audit(self.audit)
        self.doc._set_meta(self.before)


class DuplicateCamerasCommand(AddCamerasCommand):
    def __init__(self, doc: EditablePlan, copies: list[Camera]) -> None:
        super().__init__(doc, copies, text="Duplicate cameras")
