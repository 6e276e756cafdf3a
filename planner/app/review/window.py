"""Review mode: the DPO's read-only window over a plan re-checked with their own data.

The plan cannot be edited here: there is no edit action, the cameras on the map are
not draggable, and the only thing saved is the review log (decisions) and the audit
trail, atomically. The plan's stored results and provenance appear only as claims
beside the re-check, every difference flagged.

Decisions are signed (SPEC 8): the first decision of a session asks for the
reviewer's Ed25519 key (file, then passphrase) or creates one; the identity a
decision carries is the principal the allowed signers list that key for, never the
operating-system login. Only current decisions count in the totals.

Keys: ``F8`` / ``Shift+F8`` next / previous camera that is undecided or stale;
``Alt+A`` approve, ``Alt+R`` reject, ``Alt+N`` needs changes (the comment box takes
the text first); ``Ctrl+S`` saves the decisions.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner.app.common.workers import Task, start
from planner.app.map.canvas import MapCanvas
from planner.app.review.maps import MapCamera
from planner.app.siting.camera_items import ConeItem, geometry_path, to_scene
from planner.app.siting.dialogs import PLAN_FILTER, Prompter
from planner.core.model import AuditEntry, CameraStatus
from planner.core.review import DECISION_LABELS, Decision, DecisionRecord, refusal
from planner.core.review_changes import Change, changes_since
from planner.core.review_currency import DecisionState

#: Report formats, the first the default (:meth:`Prompter.save_path` picks the ending).
REPORT_FILTER = "PDF (*.pdf);;HTML, one file (*.html)"
#: Sort key of the re-check column: blocked first, then warned, then clear.
STATUS_ORDER = {"block": 0, "warn": 1, "clear": 2}
#: The role the table sorts by (the re-check column sorts by severity, not by word).
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

BANNER = (
    "REVIEW MODE: read-only. The plan was re-checked with your policy and data; "
    "cameras cannot be moved or edited here. Only your decisions are saved."
)


class _Controller(QObject):
    """What a camera symbol asks of its controller: the zoom, and where to send a double click."""

    properties_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.resolution = 1.0
        #: The map places the camera labels with its own (planner.app.siting.map_labels).
        self.item_labels = False


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
        from planner.core.review_currency import decision_counts

        counts = decision_counts(self.states, [c for c in self.ids if c not in self.pending])
        counts["unsaved"] = len(self.pending)
        return counts

    def refresh(self, cid: str) -> None:
        row = self.ids.index(cid)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))


class ReviewWindow(QMainWindow):
    """A plan under review. ``load`` re-checks it off the GUI thread."""

    loaded = Signal()

    def __init__(
        self,
        *,
        settings: Any,
        parent: QWidget | None = None,
        allowed_signers: Path | None = None,
        key_prompter: KeyPrompter | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.allowed_signers = allowed_signers
        self.keys = key_prompter if key_prompter is not None else KeyPrompter(self)
        #: The reviewer's key and principal, asked for once per session.
        self.signing: SimpleNamespace | None = None
        self.plan_state: Any = None
        self.read_only = True
        self.rc: Any = None
        self.plan_path: Path | None = None
        self.pack: Path | None = None
        self.task: Task | None = None
        self.error: str | None = None
        self.setWindowTitle("Review (read-only)")
        self.resize(1400, 900)
        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        self.banner = QLabel(BANNER)
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background:#0b3d62; color:white; padding:6px; font-weight:bold")
        lay.addWidget(self.banner)
        self.canvas = MapCanvas(self)
        # the scale bar (and every distance shown) in the planner's display units
        from planner.app.common import units
        from planner.app.siting import canvas_bridge

        unit = str(getattr(settings, "units", units.current_units()))
        if unit in units.UNITS:
            units.set_units(unit)
            canvas_bridge.set_units(self.canvas, unit)
        units.notifier.changed.connect(self._units_changed)
        lay.addWidget(self.canvas, 1)
        self.setCentralWidget(central)
        self.controller = _Controller()
        self.bodies: dict[str, MapCamera] = {}
        # camera labels are placed with the site and district names, clear of every symbol
        from planner.app.siting.map_labels import CameraLabels

        self.canvas.add_label_source(CameraLabels(lambda: self.bodies.values()))
        self.canvas.scene().selectionChanged.connect(self.canvas.invalidate_labels)

        self.model = DecisionsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setObjectName("decisions_table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        # blocked, then warned, then clear (plan order within each: the sort is stable)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("Comment (recorded with the decision)")
        # The keys are window shortcuts of the Review menu's actions, not button
        # mnemonics: a mnemonic is a platform's choice (off on macOS, and Alt+R was also
        # the "&Review" menu's, so it only moved the focus between the two)
        self.approve_btn = QPushButton("Approve (Alt+A)")
        self.reject_btn = QPushButton("Reject (Alt+R)")
        self.changes_btn = QPushButton("Needs changes (Alt+N)")
        self.approve_btn.clicked.connect(lambda: self.decide(Decision.APPROVE))
        self.reject_btn.clicked.connect(lambda: self.decide(Decision.REJECT))
        self.changes_btn.clicked.connect(lambda: self.decide(Decision.NEEDS_CHANGES))
        self.why = QLabel("")
        self.why.setWordWrap(True)
        self.trust_label = QLabel("")
        self.trust_label.setWordWrap(True)
        self.totals_label = QLabel("")
        self.totals_label.setWordWrap(True)
        # the selected camera's findings in plain words, what the decision is about
        self.findings = QLabel("")
        self.findings.setObjectName("review_findings")
        self.findings.setWordWrap(True)
        self.findings.setTextFormat(Qt.TextFormat.PlainText)
        self.findings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.findings.setStyleSheet("QLabel { background: #f4f6f8; padding: 6px; }")
        panel = QWidget()
        pl = QVBoxLayout(panel)
        pl.addWidget(self.trust_label)
        pl.addWidget(self.totals_label)
        pl.addWidget(self.table, 1)
        pl.addWidget(self.findings)
        pl.addWidget(self.why)
        pl.addWidget(self.comment)
        row = QHBoxLayout()
        for b in (self.approve_btn, self.reject_btn, self.changes_btn):
            row.addWidget(b)
        pl.addLayout(row)
        self.progress_label = QLabel("")
        self.progress_label.setWordWrap(True)
        pl.addWidget(self.progress_label)
        prow = QHBoxLayout()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.cancel_btn = QPushButton("Cancel")
        prow.addWidget(self.progress_bar, 1)
        prow.addWidget(self.cancel_btn)
        pl.addLayout(prow)
        self.progress_bar.hide()
        self.cancel_btn.hide()
        dock = QDockWidget("Decisions", self)
        dock.setObjectName("review_decisions")
        dock.setWidget(panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

        self.tabs = QTabWidget()
        self.claims = QListWidget()
        self.changes_table = QTableWidget(0, 2)
        self.changes_table.setHorizontalHeaderLabels(["Camera", "Change since the last review"])
        self.changes_table.horizontalHeader().setStretchLastSection(True)
        audit_box = QWidget()
        al = QVBoxLayout(audit_box)
        self.audit_filter = QComboBox()
        self.audit_filter.currentIndexChanged.connect(self._fill_audit)
        al.addWidget(self.audit_filter)
        self.audit_table = QTableWidget(0, 6)
        self.audit_table.setHorizontalHeaderLabels(
            ["When", "Who", "Action", "Camera", "What", "Why"]
        )
        self.audit_table.horizontalHeader().setStretchLastSection(True)
        al.addWidget(self.audit_table)
        self.tabs.addTab(self.claims, "Claims and differences")
        self.tabs.addTab(self.changes_table, "Changes since last review")
        self.tabs.addTab(audit_box, "Audit trail")
        bottom = QDockWidget("Provenance, changes and audit", self)
        bottom.setObjectName("review_bottom")
        bottom.setWidget(self.tabs)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, bottom)
        self.resizeDocks([dock], [560], Qt.Orientation.Horizontal)
        self.resizeDocks([bottom], [200], Qt.Orientation.Vertical)

        # "Re&view", not "&Review": Alt+R is Reject's
        self.prompter = Prompter(self, settings=settings, plan_folder=self._plan_folder)
        self._zoom_on_select = True
        menu = self.menuBar().addMenu("Re&view")
        self.save_action = self._act(
            menu, "&Save decisions", self.save, QKeySequence.StandardKey.Save
        )
        self._act(menu, "&Next undecided or stale", lambda: self.next_attention(1), "F8")
        self._act(menu, "&Previous undecided or stale", lambda: self.next_attention(-1), "Shift+F8")
        menu.addSeparator()
        self.decision_actions = {
            d: self._act(menu, text, lambda _c=False, d=d: self.decide(d), key)
            for d, text, key in (
                (Decision.APPROVE, "&Approve", "Alt+A"),
                (Decision.REJECT, "&Reject", "Alt+R"),
                (Decision.NEEDS_CHANGES, "&Needs changes", "Alt+N"),
            )
        }
        menu.addSeparator()
        # through a lambda: triggered(bool) would arrive as the path
        self._act(menu, "Export review &report…", lambda: self.export_report(), "Ctrl+E")
        menu.addSeparator()
        self._act(menu, "Signing &key…", self.choose_key, "")
        self._act(menu, "&Create a signing key…", self.create_key, "")
        self._act(menu, "&Close", self.close, QKeySequence.StandardKey.Close)
        self._update_buttons()

    def _units_changed(self, unit: str) -> None:
        from planner.app.siting import canvas_bridge

        canvas_bridge.set_units(self.canvas, unit)
        self.canvas.viewport().update()

    def _act(self, menu: Any, text: str, slot: Any, shortcut: Any) -> QAction:
        act = QAction(text, self)
        act.triggered.connect(slot)
        act.setShortcut(QKeySequence(shortcut))
        menu.addAction(act)
        return act

    # -- loading ---------------------------------------------------------------------------
    def load(
        self, plan: Path, *, data: Path | None, policy: Path | None = None, wait: bool = False
    ) -> None:
        """Re-check ``plan`` with the reviewer's ``data`` on the worker thread."""
        from planner.io.checking.recheck import recheck

        self.plan_path, self.pack = Path(plan), data
        ns = SimpleNamespace(
            plan=Path(plan),
            data=data,
            sites=[],
            buildings=[],
            streets=None,
            policy=policy,
            allowed_signers=self.allowed_signers,
        )
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.cancel_btn.show()
        self.progress_label.setText("Re-checking the plan with your data…")

        def work(progress: Any, cancel: Any) -> Any:
            from planner.app.map.canvas.prepare import prepare_boundary_arrays, prepare_layers

            rc = recheck(
                ns, with_geometry=True, cancel=cancel, progress=lambda what, f: progress(what, f)
            )
            progress("Preparing the map", 0.6)
            proj = rc.checker.projector
            # the boundaries of the pack the re-check read (IT's, when locked), as it read
            # them: no second read of the pack
            boundaries = None
            if getattr(rc.inputs, "boundaries", None) is not None:
                geoms, cols = rc.inputs.boundaries
                boundaries = prepare_boundary_arrays(
                    geoms, names=cols.get("name"), kinds=cols.get("kind"), projector=proj
                )
            # buildings stream into the map by area from the checker's index, as in the
            # planner's window: a citywide copy projected for the map cost ~400 MB
            index = getattr(rc.checker, "buildings", None)
            stream = index is not None and len(index) > 0
            layers = prepare_layers(
                projector=proj,
                streets=rc.inputs.streets,
                buildings=None if stream else rc.inputs.buildings,
                sites=list(rc.checker.sites),
                zones=list(rc.checker.zones),
                boundaries=boundaries,
            )
            xy = {c.id: rc.checker.projector.point(c.lon, c.lat) for c in rc.plan.cameras}
            # one plain object: a tuple through a Qt signal may be converted to a list type
            return SimpleNamespace(rc=rc, layers=layers, xy=xy)

        task = Task(work, name="review")
        queued = Qt.ConnectionType.QueuedConnection
        task.signals.progress.connect(lambda a, b: self._progress(a, b), queued)
        task.signals.finished.connect(lambda result: self._loaded(result), queued)
        task.signals.failed.connect(lambda exc: self._failed(exc), queued)
        task.signals.cancelled.connect(lambda: self._stopped("Re-check cancelled."), queued)
        self.cancel_btn.clicked.connect(task.cancel)
        self.task = start(task)
        if wait:
            from PySide6.QtWidgets import QApplication

            while not task.done.is_set():
                QApplication.processEvents()
                task.done.wait(0.01)
            # the result arrives as a queued signal: deliver it before returning
            for _ in range(500):
                QApplication.processEvents()
                if self.rc is not None or self.error is not None or task.is_cancelled:
                    break
                time.sleep(0.01)

    def _progress(self, a: object, b: object) -> None:
        if isinstance(a, str) and isinstance(b, float):
            self.progress_label.setText(a)
            self.progress_bar.setValue(round(100 * b))

    def _stopped(self, text: str) -> None:
        self.progress_bar.hide()
        self.cancel_btn.hide()
        self.progress_label.setText(text)

    def _failed(self, exc: BaseException) -> None:
        self._stopped("The plan could not be re-checked.")
        self.error = str(exc)
        QMessageBox.critical(self, "Review", f"The plan could not be re-checked: {exc}")

    def _loaded(self, result: SimpleNamespace) -> None:
        from planner.io.formats.review_store import camera_hashes, review_log, snapshots
        from planner.report.model import LayerRow, _claimed_statuses, provenance_claims

        self._stopped("")
        rc, layers, xy = result.rc, result.layers, result.xy
        self.rc = rc
        plan = rc.plan
        self.setWindowTitle(f"Review (read-only): {plan.meta.name}")
        canvas = self.canvas
        canvas.set_projector(rc.checker.projector)
        canvas.set_layers(
            streets=layers.streets,
            buildings=layers.buildings,
            sites=layers.sites,
            zones=layers.zones,
        )
        index = getattr(rc.checker, "buildings", None)
        if layers.buildings is None and index is not None and len(index):
            from planner.app.map.canvas.stream import BuildingStream

            # the checker's own footprints: the map draws what was checked
            canvas.set_building_stream(BuildingStream(index, rc.checker.projector))
        if getattr(layers, "boundaries", None) is not None:
            canvas.set_boundaries(layers.boundaries)
        results = {r.camera_id: r for r in rc.result.results}
        scene = canvas.scene()
        for cam in plan.cameras:
            x, y = xy[cam.id]
            r = results[cam.id]
            geom = r.visible if r.visible is not None else r.cone
            cone = ConeItem(cam.id)
            if geom is not None:
                cone.setPath(geometry_path(geom, origin=(x, y)))
            cone.setPos(to_scene(x, y))
            cone.set_status(r.status, removed=cam.status is CameraStatus.REMOVED)
            body = MapCamera(self.controller, cam, editable=False)  # type: ignore[arg-type]
            body.setPos(to_scene(x, y))
            body.set_status(r.status)
            # blocked and warned cameras stay on top where symbols crowd
            body.setZValue(body.zValue() + 0.1 * r.status.rank)
            cone.setZValue(cone.zValue() + 0.1 * r.status.rank)
            scene.addItem(cone)
            scene.addItem(body)
            self.bodies[cam.id] = body
        scene.selectionChanged.connect(self._map_selection)
        canvas.invalidate_labels()
        canvas.zoom_to_fit()
        self.controller.resolution = canvas.resolution()
        canvas.scale_changed.connect(self._scale_changed)

        log = review_log(plan, source=str(self.plan_path))
        self.log = log
        hashes = camera_hashes(plan)
        self.hashes = hashes
        states, self.plan_state, _ = rc.review_states()
        changes: dict[str, Change] = {}
        if log.sessions:
            changes = {
                c.camera_id: c for c in changes_since(log.sessions[-1].cameras, snapshots(plan))
            }
        checked_with = plan.meta.extra.get("checked_with")
        claimed = _claimed_statuses(checked_with)
        self.model.reset(
            ids=plan.ids(), status=rc.status(), claimed=claimed, states=states, changes=changes
        )
        rows = [LayerRow(x.kind, x.path, x.sha256, x.features) for x in rc.inputs.layers]
        claims = provenance_claims(checked_with, policy=rc.policy, layers=rows)
        claims += [
            f"Camera {cid}: the plan says {c}, the re-check says {rc.status()[cid]}."
            for cid, c in claimed.items()
            if cid in rc.status() and c != rc.status()[cid]
        ]
        claims += [
            f"Decision on {cid} is STALE, a claim not counted: {st.reason}."
            for cid, st in states.items()
            if st.stale
        ]
        if self.plan_state is not None and self.plan_state.stale:
            claims.append(
                f"Decision on the whole plan is STALE, a claim not counted: "
                f"{self.plan_state.reason}."
            )
        self.claims.clear()
        self.claims.addItems(
            claims or ["No differences: the plan's stored provenance matches the re-check."]
        )
        self.changes_table.setRowCount(0)
        removed = [cid for cid in changes if cid not in hashes]
        for cid in list(changes):
            n = self.changes_table.rowCount()
            self.changes_table.insertRow(n)
            self.changes_table.setItem(n, 0, QTableWidgetItem(cid))
            self.changes_table.setItem(n, 1, QTableWidgetItem(changes[cid].describe()))
        self.removed_since = removed
        self.audit_filter.blockSignals(True)
        self.audit_filter.clear()
        self.audit_filter.addItem("All cameras", None)
        for cid in plan.ids():
            self.audit_filter.addItem(cid, cid)
        self.audit_filter.blockSignals(False)
        self._fill_audit()
        self.trust_label.setText(f"Trusted reviewers: {rc.trust.describe()}")
        self._show_totals()
        self._update_count()
        if self.model.ids:
            # the first row (the worst camera), with the whole plan still in view
            self._zoom_on_select = False
            try:
                self.select(self.model.ids[self.proxy.mapToSource(self.proxy.index(0, 0)).row()])
            finally:
                self._zoom_on_select = True
        self.loaded.emit()

    def _plan_folder(self) -> Path | None:
        return None if self.plan_path is None else self.plan_path.resolve().parent

    def undecided(self) -> int:
        """How many cameras are undecided or stale (pending decisions count as decided)."""
        return sum(1 for c in self.model.ids if self.model.needs_attention(c))

    def _update_count(self) -> None:
        if self.rc is None:
            return
        rc = self.rc
        self.progress_label.setText(
            f"{len(self.model.ids)} cameras re-checked with {rc.policy.id} {rc.policy.version}; "
            f"{self.undecided()} undecided or stale"
            + (
                f", {len(self.model.pending)} decisions not saved yet."
                if self.model.pending
                else "."
            )
        )

    def findings_text(self, cid: str) -> str:
        """The re-check of camera ``cid`` in plain words (what the findings panel shows)."""
        from planner.app.siting import wording

        rc = self.rc
        if rc is None:
            return ""
        result = next((r for r in rc.result.results if r.camera_id == cid), None)
        cam = next((c for c in rc.plan.cameras if c.id == cid), None)
        name = f"{cid} ({cam.label})" if cam is not None and cam.label else cid
        if result is None:
            return f"{name}: not re-checked."
        head = {
            "block": "BLOCKED",
            "warn": "warning",
            "clear": "clear",
        }.get(str(result.status), str(result.status))
        if not result.findings:
            return f"{name}: {head}. Nothing it sees is near a protected site."
        ctx = wording.Context(
            sites={s.id: s for s in rc.checker.sites}, projector=rc.checker.projector
        )
        lines = [f"{name}: {head}."]
        lines += [f"\u2022 {wording.finding_sentence(f, cam, ctx)}" for f in result.findings]
        return "\n".join(lines)

    def _scale_changed(self, res: float) -> None:
        self.controller.resolution = res
        for b in self.bodies.values():
            b.refresh_geometry()

    # -- selection -------------------------------------------------------------------------
    def current_id(self) -> str | None:
        idx = self.table.currentIndex()
        if not idx.isValid():
            return None
        return self.model.ids[self.proxy.mapToSource(idx).row()]

    def select(self, cid: str) -> None:
        row = self.model.ids.index(cid)
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.setCurrentIndex(idx)
        self.table.scrollTo(idx)

    def _row_changed(self, *_a: object) -> None:
        cid = self.current_id()
        self._update_buttons()
        self.findings.setText("" if cid is None else self.findings_text(cid))
        if cid is None or cid not in self.bodies:
            return
        body = self.bodies[cid]
        scene = self.canvas.scene()
        scene.blockSignals(True)
        scene.clearSelection()
        body.setSelected(True)
        scene.blockSignals(False)
        if self._zoom_on_select:
            self.zoom_to_camera(cid)
        self.canvas.invalidate_labels()
        idx = self.audit_filter.findData(cid)
        if idx >= 0 and self.audit_filter.currentIndex() != 0:
            self.audit_filter.setCurrentIndex(idx)

    def zoom_to_camera(self, cid: str) -> None:
        """Show camera ``cid`` with all it can see (its range around it)."""
        if self.rc is None or cid not in self.bodies:
            return
        cam = next(c for c in self.rc.plan.cameras if c.id == cid)
        centre = self.bodies[cid].pos()
        r = max(cam.range_m, 30.0) * 1.3
        self.canvas.zoom_to_rect(QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r))

    def _map_selection(self) -> None:
        picked = [cid for cid, b in self.bodies.items() if b.isSelected()]
        if picked and picked[0] != self.current_id():
            self.select(picked[0])

    def next_attention(self, step: int = 1) -> str | None:
        """Select the next (or previous) camera, in table order, that is undecided or stale."""
        n = self.proxy.rowCount()
        if n == 0:
            return None
        cur = self.table.currentIndex().row()
        for k in range(1, n + 1):
            row = (cur + step * k) % n
            cid = self.model.ids[self.proxy.mapToSource(self.proxy.index(row, 0)).row()]
            if self.model.needs_attention(cid):
                self.select(cid)
                return cid
        self.progress_label.setText("Every camera is decided and none is stale.")
        return None

    def _update_buttons(self) -> None:
        cid = self.current_id()
        status = self.model.status.get(cid or "")
        why = refusal(cid or "", Decision.APPROVE, status=status) if cid else "no camera"
        self.approve_btn.setEnabled(cid is not None and why is None)
        self.approve_btn.setToolTip(why or "Approve this camera")
        self.reject_btn.setEnabled(cid is not None)
        self.changes_btn.setEnabled(cid is not None)
        self.why.setText("" if cid is None or why is None else f"Cannot approve: {why}.")

    # -- decisions -------------------------------------------------------------------------
    def _show_totals(self) -> None:
        c = self.model.counts()
        stale = f", {c['stale']} stale (claims, not counted)" if c["stale"] else ""
        unsaved = f"; {c['unsaved']} unsaved" if c["unsaved"] else ""
        whole = ""
        if self.plan_state is not None:
            rec = self.plan_state.record
            whole = (
                f" Whole plan: {DECISION_LABELS[rec.decision].lower()}"
                + (" (stale claim, not counted)" if self.plan_state.stale else "")
                + "."
            )
        self.totals_label.setText(
            f"Current decisions: {c['approve']} approved, {c['reject']} rejected, "
            f"{c['needs_changes']} needing changes{stale}, {c['undecided']} undecided"
            f"{unsaved}.{whole}"
        )

    def reviewer(self) -> str | None:
        """The signing principal of this session, or None before a key was given."""
        return self.signing.principal if self.signing is not None else None

    def choose_key(self) -> SimpleNamespace | None:
        """Ask for the key file and its passphrase (Review → Signing key…)."""
        self.signing = None
        return self.signing_identity(ask_first=False)

    def signing_identity(self, *, ask_first: bool = True) -> SimpleNamespace | None:
        """The reviewer's key and principal, asked for once per session.

        The principal is the one the allowed signers list for the key; a key they do
        not list cannot sign (the dialog shows the line to send to IT).
        """
        if self.signing is not None:
            return self.signing
        if self.rc is None:
            return None
        trust = self.rc.trust
        if trust is None or trust.signers is None:
            self.keys.inform(
                "No trusted reviewers",
                f"{trust.describe() if trust else 'No allowed signers.'}\n\nA decision can "
                "only be recorded with a key the allowed-signers file lists. Ask IT for the "
                "file, or open the review with --allowed-signers FILE.",
            )
            return None
        from datetime import UTC, datetime

        from planner.core import sshsig
        from planner.core.errors import InputError
        from planner.io.checking.signing import key_blob, load_signing_key

        action = self.keys.key_action() if ask_first else "open"
        if action == "create":
            self.create_key()
            return None
        if action != "open":
            return None
        path = self.keys.key_file()
        if path is None:
            return None
        try:
            key = load_signing_key(path, ask=self.keys.passphrase, environ={})
        except InputError as exc:
            self.keys.inform("Signing key", str(exc))
            return None
        blob = key_blob(key)
        fp = sshsig.fingerprint(blob)
        now = datetime.now(UTC)
        listed = [
            p
            for p in trust.signers.principals_for(blob)
            if not any(c in p for c in "*?!") and trust.signers.allows(p, blob, now=now)
        ]
        if not listed:
            line = sshsig.allowed_signers_line(["YOUR.NAME@sanjoseca.gov"], key.public_key())
            self.keys.show_signer_line(
                f"The key {fp} is not listed in {trust.path}: nothing can be signed with "
                "it yet. Send this line to IT (with your e-mail as the principal):",
                line,
            )
            return None
        principal = listed[0] if len(listed) == 1 else self.keys.choose(listed)
        if principal is None:
            return None
        name = trust.signers.name_for(principal, blob) or principal
        self.signing = SimpleNamespace(key=key, principal=principal, name=name, fingerprint=fp)
        self.progress_label.setText(f"Signing as {principal} ({name}) with key {fp}.")
        return self.signing

    def create_key(self) -> Path | None:
        """Create an Ed25519 key pair (OpenSSH format, passphrase) and show the line for IT."""
        from planner.core import sshsig
        from planner.core.errors import InputError
        from planner.io.checking.signing import create_key_pair

        answer = self.keys.new_key()
        if answer is None:
            return None
        principal, path, passphrase = answer
        try:
            public = create_key_pair(path, passphrase, comment=principal)
        except InputError as exc:
            self.keys.inform("Create a signing key", str(exc))
            return None
        self.keys.show_signer_line(
            f"Created {path} (private, keep it) and {path}.pub. Send this line to IT so "
            "they add it to the allowed signers; your decisions count once they have:",
            sshsig.allowed_signers_line([principal], public),
        )
        return path

    def decide(self, decision: Decision) -> bool:
        """Record a signed, unsaved ``decision`` for the current camera (no blocked approval)."""
        from dataclasses import replace

        from planner.core import sshsig

        cid = self.current_id()
        if cid is None or self.rc is None:
            return False
        why = refusal(cid, decision, status=self.model.status.get(cid))
        if why is not None:
            self.why.setText(f"Refused: {why}.")
            return False
        who = self.signing_identity()
        if who is None:
            return False
        from planner.io.formats.plan import now_iso

        record = DecisionRecord(
            camera_id=cid,
            decision=decision,
            reviewer=who.principal,
            reviewer_name=who.name,
            key=who.fingerprint,
            when=now_iso(),
            camera_sha256=self.hashes[cid],
            comment=self.comment.text().strip(),
            status=self.model.status[cid],
            judge=self.rc.judge(),
        )
        self.model.pending[cid] = replace(
            record, signature=sshsig.sign(who.key, record.signed_bytes())
        )
        self.model.refresh(cid)
        self.comment.clear()
        self._mark_dirty()
        self._show_totals()
        self._update_count()
        if self.next_attention(1) is None:
            self._update_count()
        return True

    def _mark_dirty(self) -> None:
        self.setWindowModified(True)
        title = self.windowTitle().removesuffix(" *")
        self.setWindowTitle(title + (" *" if self.model.pending else ""))

    def save(self) -> bool:
        """Write the pending decisions into the plan's review log (atomic)."""
        if self.rc is None or not self.model.pending or self.plan_path is None:
            return True
        from planner.core.errors import InputError
        from planner.io.formats.plan import now_iso
        from planner.io.formats.plan_lock import update_plan
        from planner.io.formats.review_store import camera_hashes, record_decisions

        records = list(self.model.pending.values())
        changed = (
            "The plan file changed on disk since it was opened; "
            "reopen it to review the new version. Nothing saved."
        )

        def record(current: Any) -> None:
            # the file as it is now, under its lock: it must still be the plan reviewed
            if camera_hashes(current) != self.hashes or current.meta.name != self.rc.plan.meta.name:
                raise InputError(str(self.plan_path), "", changed)
            record_decisions(current, records, reviewer=records[-1].reviewer, when=now_iso())

        try:
            current = update_plan(self.plan_path, record)
        except InputError as exc:
            QMessageBox.warning(self, "Review", changed if exc.what == changed else str(exc))
            return False
        self.rc.plan = current
        from planner.io.formats.review_store import review_log

        self.log = review_log(current)
        self.model.states, self.plan_state, _ = self.rc.review_states()
        self.model.pending = {}
        self.model.beginResetModel()
        self.model.endResetModel()
        self._fill_audit()
        self._mark_dirty()
        self._show_totals()
        self._update_count()
        self.progress_label.setText(
            f"Saved {len(records)} decision{'s' if len(records) != 1 else ''} to "
            f"{self.plan_path.name}. " + self.progress_label.text()
        )
        return True

    # -- audit -----------------------------------------------------------------------------
    def audit_entries(self) -> list[AuditEntry]:
        if self.rc is None:
            return []
        cid = self.audit_filter.currentData()
        return [a for a in self.rc.plan.meta.audit if cid is None or a.camera_id == cid]

    def _fill_audit(self, *_a: object) -> None:
        rows = self.audit_entries()
        self.audit_table.setRowCount(len(rows))
        for i, a in enumerate(rows):
            for j, v in enumerate(
                (a.when, a.who, a.action, a.camera_id or "", a.detail, a.justification)
            ):
                self.audit_table.setItem(i, j, QTableWidgetItem(v))

    # -- report ----------------------------------------------------------------------------
    def export_report(self, path: Path | None = None) -> Path | None:
        """Write the review report (PDF or HTML) for the plan as saved.

        Asks where (the real save dialog, PDF or HTML by the filter or the typed
        ending), then draws it with a progress dialog whose Cancel stops it and
        leaves no file.
        """
        if self.rc is None or self.plan_path is None:
            return None
        if self.model.pending and self.prompter.confirm(
            "Review", "Save your decisions first, so the report shows them?"
        ):
            self.save()
        if path is None:
            suggestion = self.plan_path.with_suffix("").with_suffix("").name + ".review.pdf"
            path = self.prompter.save_path(
                "Export review report", REPORT_FILTER, suggestion, kind="report"
            )
            if path is None:
                return None
        reviewer = self.reviewer()
        # the re-check of this window is the report's: the cameras are those saved (their
        # hashes were compared on save); only the maps and the layout are left to do
        written = write_report_with_progress(self, self.rc, Path(path), reviewer=reviewer)
        self.progress_label.setText(f"Wrote {path}" if written else "No report written.")
        return written

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.model.pending:
            answer = QMessageBox.question(
                self,
                "Review",
                "Save your decisions before closing?",
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel or (
                answer == QMessageBox.StandardButton.Save and not self.save()
            ):
                event.ignore()
                return
        super().closeEvent(event)


# -- the key dialogs ---------------------------------------------------------------------------


class KeyPrompter:
    """The dialogs of signing: which key, its passphrase, a new key, the line for IT.

    Real Qt dialogs (tests answer them as a person would); one object so the window
    asks through one place.
    """

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def key_action(self) -> str | None:
        """``"open"`` an existing key, ``"create"`` a new one, or None."""
        box = QMessageBox(self.parent)
        box.setWindowTitle("Sign your decisions")
        box.setText(
            "Decisions are signed with your Ed25519 SSH key, which IT lists as yours in "
            "the allowed signers. Choose your key file, or create a key (once)."
        )
        open_btn = box.addButton("Choose key file…", QMessageBox.ButtonRole.AcceptRole)
        create_btn = box.addButton("Create a key…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return "open" if clicked is open_btn else "create" if clicked is create_btn else None

    def key_file(self) -> Path | None:
        start = Path.home() / ".ssh"
        name, _ = QFileDialog.getOpenFileName(
            self.parent,
            "Your signing key (OpenSSH private key)",
            str(start if start.is_dir() else Path.home()),
            "All files (*)",
        )
        return Path(name) if name else None

    def passphrase(self, prompt: str) -> str | None:
        text, ok = QInputDialog.getText(
            self.parent, "Key passphrase", prompt, QLineEdit.EchoMode.Password
        )
        return text if ok else None

    def choose(self, principals: list[str]) -> str | None:
        item, ok = QInputDialog.getItem(
            self.parent, "Sign as", "The key is listed for:", principals, 0, False
        )
        return item if ok and item else None

    def new_key(self) -> tuple[str, Path, str] | None:
        """Principal, key path and passphrase for a new key, or None."""
        principal, ok = QInputDialog.getText(
            self.parent,
            "Create a signing key",
            "Your principal (the e-mail IT will list the key for):",
        )
        principal = principal.strip()
        if not ok or not principal or any(c.isspace() or c in ',"*?!' for c in principal):
            return None
        default = Path.home() / ".ssh" / "siting_planner_ed25519"
        name, _ = QFileDialog.getSaveFileName(
            self.parent, "Save the new private key", str(default), "All files (*)"
        )
        if not name:
            return None
        first = self.passphrase("A passphrase for the new key (at least 8 characters):")
        if first is None:
            return None
        again = self.passphrase("The same passphrase again:")
        if again != first or len(first) < 8:
            self.inform(
                "Create a signing key",
                "The passphrases differ or are shorter than 8 characters; no key was made.",
            )
            return None
        return principal, Path(name), first

    def show_signer_line(self, text: str, line: str) -> None:
        box = QMessageBox(self.parent)
        box.setWindowTitle("Allowed-signers line for IT")
        box.setText(text)
        box.setInformativeText(line)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.exec()

    def inform(self, title: str, text: str) -> None:
        QMessageBox.information(self.parent, title, text)


# -- entry points: the command line and the main window's File menu --------------------------


def open_review(
    *,
    plan: Path,
    data: Path | None,
    settings: Any,
    policy: Path | None = None,
    parent: QWidget | None = None,
    wait: bool = False,
    allowed_signers: Path | None = None,
) -> ReviewWindow:
    """Open ``plan`` in a review window (re-checked with ``data``)."""
    window = ReviewWindow(settings=settings, parent=parent, allowed_signers=allowed_signers)
    if parent is not None:
        window.setWindowFlag(Qt.WindowType.Window, True)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, parent is not None)
    window.show()
    window.load(plan, data=data, policy=policy, wait=wait)
    return window


def run_review_app(
    *,
    plan: Path,
    data: Path | None,
    policy: Path | None = None,
    screenshot: Path | None = None,
    allowed_signers: Path | None = None,
) -> int:
    """``siting-planner review PLAN`` without ``--decide``: the review window alone."""
    from PySide6.QtWidgets import QApplication

    from planner.app.common.settings import APPLICATION, ORGANIZATION, AppSettings

    app = QApplication.instance() or QApplication(["siting-planner"])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    window = open_review(
        plan=plan,
        data=data,
        settings=AppSettings(),
        policy=policy,
        wait=screenshot is not None,
        allowed_signers=allowed_signers,
    )
    if screenshot is not None:
        window.canvas.wait_for_tiles()
        ok = window.grab().save(str(screenshot))
        window.model.pending = {}
        window.close()
        return 0 if ok else 1
    return app.exec()


def review_plan_dialog(main: Any) -> ReviewWindow | None:
    """File → Review plan…: choose a plan; it is re-checked with the pack now loaded."""
    chosen = main.prompter.open_path("Review plan", PLAN_FILTER, kind="plan")
    if chosen is None:
        return None
    name = str(chosen)
    data = getattr(getattr(main, "doc", None), "data", None)
    pack = getattr(data, "pack_path", None)
    return open_review(
        plan=Path(name), data=Path(pack) if pack else None, settings=main.settings, parent=main
    )


class ReportCancelled(Exception):
    """The user pressed Cancel while the report was being written."""


def write_report_with_progress(
    parent: QWidget, rc: Any, path: Path, *, reviewer: str | None
) -> Path | None:
    """Write the report of ``rc`` to ``path`` behind a progress dialog with Cancel.

    The maps paint with Qt on this thread; each progress step lets the event loop
    run, so the window repaints and Cancel is heard. A cancelled or failed report
    leaves no file (:func:`planner.app.review.report.write_report` writes a
    temporary file and renames it at the end). Returns the path, or None.
    """
    from planner.app.review.report import write_report

    dlg = _progress_dialog(parent, "Writing the review report…")

    def progress(what: str, frac: float) -> None:
        QApplication.processEvents()
        if dlg.wasCanceled():
            raise ReportCancelled
        dlg.setLabelText(f"Review report: {what}…")
        dlg.setValue(max(1, min(99, round(100 * frac))))

    try:
        write_report(rc, path, reviewer=reviewer, progress=progress)
    except ReportCancelled:
        return None
    except (OSError, ValueError) as exc:
        dlg.close()
        QMessageBox.critical(parent, "Export review report", f"No report written: {exc}")
        return None
    finally:
        dlg.close()
        dlg.deleteLater()
    return path


def _progress_dialog(parent: QWidget, text: str) -> QProgressDialog:
    dlg = QProgressDialog(text, "Cancel", 0, 100, parent)
    dlg.setObjectName("report_progress")
    dlg.setWindowTitle("Export review report")
    dlg.setWindowModality(Qt.WindowModality.WindowModal)
    dlg.setMinimumDuration(0)
    dlg.setAutoClose(False)
    dlg.setAutoReset(False)
    dlg.setValue(0)
    dlg.show()
    QApplication.processEvents()
    return dlg


def export_report_dialog(main: Any, path: Path | None = None) -> Path | None:
    """File → Export review report…: the saved plan, re-checked with the pack now loaded."""
    doc = main.doc
    if doc.path is None:
        main.prompter.error(
            "Export review report", "Save the plan first: the report describes the saved file."
        )
        return None
    if path is None:
        suggestion = Path(doc.path).with_suffix("").with_suffix("").name + ".review.pdf"
        path = main.prompter.save_path(
            "Export review report", REPORT_FILTER, suggestion, kind="report"
        )
        if path is None:
            return None
    if doc.dirty:
        main.show_notice(
            "The review report describes the plan as saved: your unsaved changes are not in it."
        )
    from planner.io.checking.recheck import recheck

    pack = doc.data.pack_path if doc.data is not None else None
    ns = SimpleNamespace(
        plan=Path(doc.path),
        data=Path(pack) if pack else None,
        sites=[],
        buildings=[],
        streets=None,
        policy=None,
    )
    # the re-check (reading the pack, the buildings index) runs on the worker thread,
    # behind the same progress dialog; the maps and the layout paint with Qt, on this one
    from planner.app.siting.loading import reusable_inputs

    # the pack the window already read, when unchanged: no second citywide index in memory
    reuse = reusable_inputs(doc.data, ns.data)
    dlg = _progress_dialog(main, "Re-checking the saved plan for the report…")
    task = Task(
        lambda progress, cancel: recheck(
            ns,
            with_geometry=True,
            cancel=cancel,
            reuse=reuse,
            progress=lambda what, f: progress(what, f),
        ),
        name="report",
    )

    def stage(what: object, frac: object) -> None:
        if isinstance(what, str) and isinstance(frac, float) and not dlg.wasCanceled():
            dlg.setLabelText(f"Re-checking the saved plan: {what}…")
            dlg.setValue(max(1, min(99, round(50 * frac))))

    task.signals.progress.connect(stage, Qt.ConnectionType.QueuedConnection)
    start(task)
    while not task.done.is_set():
        QApplication.processEvents()
        if dlg.wasCanceled():
            task.cancel()
        task.done.wait(0.02)
    cancelled = dlg.wasCanceled()
    dlg.close()
    dlg.deleteLater()
    if cancelled or (task.result is None and task.error is None):
        main.statusBar().showMessage("Review report cancelled: no file written", 8000)
        return None
    if task.error is not None:
        main.prompter.error("Export review report", f"No report written: {task.error}")
        return None
    written = write_report_with_progress(
        main,
        task.result,
        Path(path),
        reviewer=getattr(main.settings, "user_identity", "") or None,
    )
    if written is None:
        main.statusBar().showMessage("Review report cancelled: no file written", 8000)
        return None
    main.statusBar().showMessage(f"Wrote {path}", 8000)
    return written
