"""The review window's decision table: one row per camera, as the DPO decides on them.

What the plan claims stands beside the re-check; a stale decision is shown as a claim,
never as if it stood, and only current decisions count in the totals (SPEC 8).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from planner.core.review import DECISION_LABELS, Change, DecisionRecord, DecisionState

#: Sort key of the re-check column: blocked first, then warned, then clear.
STATUS_ORDER = {"block": 0, "warn": 1, "clear": 2}
#: The role the table sorts by (the re-check column sorts by severity, not by word).
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class DecisionsModel(QAbstractTableModel):
    """One row per camera: re-check, what the plan claims, decision, stale, change."""

    HEADERS = ("Camera", "Re-check", "Plan claims", "Decision", "Stale", "Since last review")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ids: list[str] = []
        self.status: dict[str, str] = {}
        self.claimed: dict[str, str] = {}
        self.states: dict[str, DecisionState] = {}
        self.pending: dict[str, DecisionRecord] = {}
        self.changes: dict[str, Change] = {}

    def reset(
        self,
        *,
        ids: list[str],
        status: dict[str, str],
        claimed: dict[str, str],
        states: dict[str, DecisionState],
        changes: dict[str, Change],
    ) -> None:
        self.beginResetModel()
        self.ids, self.status, self.claimed = ids, status, claimed
        self.states, self.changes = states, changes
        self.pending = {}
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def decision_text(self, cid: str) -> str:
        rec = self.pending.get(cid)
        if rec is not None:
            return f"{DECISION_LABELS[rec.decision]} (unsaved)"
        st = self.states.get(cid)
        if st is None:
            return ""
        label = DECISION_LABELS[st.record.decision]
        # a stale decision is a claim: never shown as if it stood
        return f"claimed {label.lower()} (not counted)" if st.stale else f"{label} ✓"

    def is_stale(self, cid: str) -> bool:
        if cid in self.pending:
            return False
        st = self.states.get(cid)
        return bool(st is not None and st.stale)

    def needs_attention(self, cid: str) -> bool:
        """Undecided or stale: what F8 goes to."""
        return (cid not in self.pending and cid not in self.states) or self.is_stale(cid)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        cid = self.ids[index.row()]
        col = index.column()
        status = self.status.get(cid, "")
        claimed = self.claimed.get(cid, "")
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return cid
            if col == 1:
                return status
            if col == 2:
                return (
                    ""
                    if not claimed
                    else (claimed if claimed == status else f"{claimed} ≠ re-check")
                )
            if col == 3:
                return self.decision_text(cid)
            if col == 4:
                st = self.states.get(cid)
                return "STALE: " + ", ".join(st.reasons) if self.is_stale(cid) and st else ""
            if col == 5:
                ch = self.changes.get(cid)
                return "" if ch is None else ch.describe()
        if role == SORT_ROLE:
            if col == 1:
                return STATUS_ORDER.get(status, 3)
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 1:
                return QColor({"block": "#b71c1c", "warn": "#8a5a00"}.get(status, "#1b5e20"))
            if (col == 4 and self.is_stale(cid)) or (col == 2 and claimed and claimed != status):
                return QColor("#b71c1c")
        if role == Qt.ItemDataRole.ToolTipRole and col in (3, 4):
            st = self.states.get(cid)
            if st is not None and cid not in self.pending:
                return f"{st.record.reviewer} ({st.record.reviewer_name}), {st.record.when}: " + (
                    st.reason if st.stale else st.verification.detail
                )
        return None

    def counts(self) -> dict[str, int]:
        """Current decisions by kind; stale ones and unsaved ones apart (SPEC 8 totals)."""
        from planner.core.review import decision_counts

        counts = decision_counts(self.states, [c for c in self.ids if c not in self.pending])
        counts["unsaved"] = len(self.pending)
        return counts

    def refresh(self, cid: str) -> None:
        row = self.ids.index(cid)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
