"""The Findings dock: every finding of every checked camera in a sortable, filtered table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from planner.app.common import units
from planner.app.siting import wording
from planner.app.siting.document import PlanDocument
from planner.core.model import Finding, Severity

Index = QModelIndex | QPersistentModelIndex


class FindingsModel(QAbstractTableModel):
    """Every finding of every checked camera, one row each."""

    COLUMNS = ("Severity", "Camera", "Rule", "Site", "Category", "Entrances", "Distance", "Message")
    SORT_ROLE = Qt.ItemDataRole.UserRole + 1
    FINDING_ROLE = Qt.ItemDataRole.UserRole + 2

    def __init__(self, doc: PlanDocument, parent: Any = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.rows: list[Finding] = []
        doc.results_reset.connect(self.refresh)
        doc.result_changed.connect(self.refresh)
        doc.camera_removed.connect(self.refresh)
        units.notifier.changed.connect(self.refresh)
        self.sentences: list[str] = []
        self.refresh()

    def refresh(self, *_args: object) -> None:
        self.beginResetModel()
        order = {cid: i for i, cid in enumerate(c.id for c in self.doc.all_cameras())}
        results = sorted(self.doc.results.values(), key=lambda r: order.get(r.camera_id, 1 << 30))
        self.rows = [f for r in results for f in r.findings]
        # in plain words, in the display unit (the core's messages are metric, for files)
        self.sentences = [self.doc.describe(f) for f in self.rows]
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.COLUMNS) - 1)

    def site_text(self, f: Finding) -> str:
        name = f.site_name or f.site_id or ""
        site = self.doc.site(f.site_id)
        return f"{name} (unverified)" if site is not None and site.verified is False else name

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if self.COLUMNS[section] == "Distance":
                return f"Distance ({units.unit_symbol()})"
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        f = self.rows[index.row()]
        col = index.column()
        if role == self.FINDING_ROLE:
            return f
        if role == self.SORT_ROLE:
            if col == 0:
                return f.severity.rank
            if col == 6:
                return -1.0 if f.distance_m is None else f.distance_m
            return str(self.data(index) or "")
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                str(f.severity).upper(),
                f.camera_id,
                str(f.rule),
                self.site_text(f),
                f.category or "",
                ", ".join(f.entrance_ids),
                "" if f.distance_m is None else f"{units.to_display(f.distance_m):.1f}",
                self.sentences[index.row()],
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 0:
            return QColor(190, 20, 20) if f.severity is Severity.BLOCK else QColor(170, 100, 0)
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and col == 3
            and self.site_text(f).endswith("(unverified)")
        ):
            return QColor(140, 40, 140)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.sentences[index.row()]
        return None


class FindingsPanel(QWidget):
    """Sortable findings table; click selects and zooms, double-click opens properties."""

    finding_clicked = Signal(object)
    finding_activated = Signal(object)

    def __init__(self, doc: PlanDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FindingsModel(doc, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(FindingsModel.SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter findings")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = QTableView()
        self.view.setObjectName("findings_view")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.view.horizontalHeader()
        # every column but the message as wide as its longest cell (rule ids, categories
        # and entrance ids must read whole); the message takes the rest, in a tooltip too
        for col in range(len(FindingsModel.COLUMNS) - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(FindingsModel.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        # one line of text per row, tight: the dock shows six findings at its default size
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        self.summary = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        # the filter and the summary share a row: every pixel of height is a row of findings
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.summary, 2)
        lay.addLayout(top)
        lay.addWidget(self.view)
        self.view.clicked.connect(lambda i: self.finding_clicked.emit(self.finding_at(i)))
        self.view.doubleClicked.connect(lambda i: self.finding_activated.emit(self.finding_at(i)))
        self.model.modelReset.connect(self._update_summary)
        self._update_summary()

    def finding_at(self, proxy_index: QModelIndex) -> Finding:
        return self.proxy.data(proxy_index, FindingsModel.FINDING_ROLE)

    def set_unchecked_reason(self, reason: str) -> None:
        """Why the plan has no result (shown instead of a count that would read "0 blocked")."""
        self._unchecked = reason
        self._update_summary()

    def _update_summary(self) -> None:
        n, n_block, n_warn, n_clear = self.model.doc.status_counts()
        if not n:
            reason = getattr(self, "_unchecked", "")
            self.summary.setText(f"Not checked. {reason}" if reason else "Not checked.")
            return
        blind = sum(bool(wording.view_note(r)) for r in self.model.doc.results.values())
        # a clear camera that sees nothing has no finding: the summary still says so
        extra = f"; {blind} with the {wording.VIEW_BLOCKED}" if blind else ""
        counts = (
            f"{n_block} blocked, {n_warn} warned, {n_clear} clear; "
            f"{len(self.model.rows)} findings{extra}"
        )
        doc = self.model.doc
        if not doc.plan.cameras:
            # an empty plan over a pack: the cameras checked are the pack's, say whose
            data = doc.data
            pack = data.pack_path if data is not None else None
            where = Path(pack).name if pack is not None else "the data"
            self.summary.setText(
                f"No cameras in this plan yet. {n} existing cameras in {where}: {counts}"
            )
            return
        self.summary.setText(f"{n} cameras checked: {counts}")
