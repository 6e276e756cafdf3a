"""The review window's bottom dock: the plan's claims beside the re-check, the changes
since the last review, and the audit trail, filtered by camera."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from PySide6.QtWidgets import (
    QComboBox,
    QListWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner.app.review.wording import NO_DIFFERENCES
from planner.core.model import AuditEntry
from planner.core.review import Change


class HistoryTabs(QTabWidget):
    """Claims and differences, changes since the last review, the audit trail.

    ``audit`` gives the plan's audit trail as it is now (it grows with each save).
    """

    def __init__(self, audit: Callable[[], list[AuditEntry]]) -> None:
        super().__init__()
        self._audit = audit
        self.claims = QListWidget()
        self.changes_table = QTableWidget(0, 2)
        self.changes_table.setHorizontalHeaderLabels(["Camera", "Change since the last review"])
        self.changes_table.horizontalHeader().setStretchLastSection(True)
        audit_box = QWidget()
        al = QVBoxLayout(audit_box)
        self.audit_filter = QComboBox()
        self.audit_filter.currentIndexChanged.connect(self.fill_audit)
        al.addWidget(self.audit_filter)
        self.audit_table = QTableWidget(0, 6)
        self.audit_table.setHorizontalHeaderLabels(
            ["When", "Who", "Action", "Camera", "What", "Why"]
        )
        self.audit_table.horizontalHeader().setStretchLastSection(True)
        al.addWidget(self.audit_table)
        self.addTab(self.claims, "Claims and differences")
        self.addTab(self.changes_table, "Changes since last review")
        self.addTab(audit_box, "Audit trail")

    def show_claims(self, claims: list[str]) -> None:
        self.claims.clear()
        self.claims.addItems(claims or [NO_DIFFERENCES])

    def show_changes(self, changes: Mapping[str, Change]) -> None:
        self.changes_table.setRowCount(0)
        for cid in list(changes):
            n = self.changes_table.rowCount()
            self.changes_table.insertRow(n)
            self.changes_table.setItem(n, 0, QTableWidgetItem(cid))
            self.changes_table.setItem(n, 1, QTableWidgetItem(changes[cid].describe()))

    def set_cameras(self, ids: Iterable[str]) -> None:
        """The audit filter's choices: all cameras, then each; the trail shown again."""
        self.audit_filter.blockSignals(True)
        self.audit_filter.clear()
        self.audit_filter.addItem("All cameras", None)
        for cid in ids:
            self.audit_filter.addItem(cid, cid)
        self.audit_filter.blockSignals(False)
        self.fill_audit()

    def follow(self, cid: str) -> None:
        """Show camera ``cid``'s trail, unless the trail of every camera is shown."""
        idx = self.audit_filter.findData(cid)
        if idx >= 0 and self.audit_filter.currentIndex() != 0:
            self.audit_filter.setCurrentIndex(idx)

    def audit_entries(self) -> list[AuditEntry]:
        """The audit trail's entries the filter shows."""
        cid = self.audit_filter.currentData()
        return [a for a in self._audit() if cid is None or a.camera_id == cid]

    def fill_audit(self, *_a: object) -> None:
        rows = self.audit_entries()
        self.audit_table.setRowCount(len(rows))
        for i, a in enumerate(rows):
            for j, v in enumerate(
                (a.when, a.who, a.action, a.camera_id or "", a.detail, a.justification)
            ):
                self.audit_table.setItem(i, j, QTableWidgetItem(v))
