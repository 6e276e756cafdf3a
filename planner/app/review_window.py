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
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
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
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner.app.camera_items import ConeItem, geometry_path, to_scene
from planner.app.canvas import MapCanvas
from planner.app.review_maps import MapCamera
from planner.app.workers import Task, start
from planner.core.model import AuditEntry, CameraStatus
from planner.core.review import (
    DECISION_LABELS,
    Change,
    Decision,
    DecisionRecord,
    DecisionState,
    changes_since,
    refusal,
)

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
        #: The map places the camera labels with its own (planner.app.map_labels).
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


class ReviewWindow(QMainWindow):
    """A plan under review. ``load`` re-checks it off the GUI thread."""

    loaded = Signal()

    def __init__(
        self,
        *,
        settings: Any,
        parent: QWidget | None = None,
        allowed_signers: Path | None = None,
        prompter: KeyPrompter | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.allowed_signers = allowed_signers
        self.prompter = prompter if prompter is not None else KeyPrompter(self)
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
        lay.addWidget(self.canvas, 1)
        self.setCentralWidget(central)
        self.controller = _Controller()
        self.bodies: dict[str, MapCamera] = {}
        # camera labels are placed with the site and district names, clear of every symbol
        from planner.app.map_labels import CameraLabels

        self.canvas.add_label_source(CameraLabels(lambda: self.bodies.values()))
        self.canvas.scene().selectionChanged.connect(self.canvas.invalidate_labels)

        self.model = DecisionsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.proxy.sort(-1)  # plan order until the reviewer sorts
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("Comment (recorded with the decision)")
        self.approve_btn = QPushButton("&Approve")
        self.reject_btn = QPushButton("&Reject")
        self.changes_btn = QPushButton("&Needs changes")
        self.approve_btn.clicked.connect(lambda: self.decide(Decision.APPROVE))
        self.reject_btn.clicked.connect(lambda: self.decide(Decision.REJECT))
        self.changes_btn.clicked.connect(lambda: self.decide(Decision.NEEDS_CHANGES))
        self.why = QLabel("")
        self.why.setWordWrap(True)
        self.trust_label = QLabel("")
        self.trust_label.setWordWrap(True)
        self.totals_label = QLabel("")
        self.totals_label.setWordWrap(True)
        panel = QWidget()
        pl = QVBoxLayout(panel)
        pl.addWidget(self.trust_label)
        pl.addWidget(self.totals_label)
        pl.addWidget(self.table, 1)
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

        menu = self.menuBar().addMenu("&Review")
        self.save_action = self._act(
            menu, "&Save decisions", self.save, QKeySequence.StandardKey.Save
        )
        self._act(menu, "&Next undecided or stale", lambda: self.next_attention(1), "F8")
        self._act(menu, "&Previous undecided or stale", lambda: self.next_attention(-1), "Shift+F8")
        self._act(menu, "Export review &report…", self.export_report, "Ctrl+E")
        menu.addSeparator()
        self._act(menu, "Signing &key…", self.choose_key, "")
        self._act(menu, "&Create a signing key…", self.create_key, "")
        self._act(menu, "&Close", self.close, QKeySequence.StandardKey.Close)
        self._update_buttons()

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
        from planner.io.recheck import recheck

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
            from planner.app.canvas.prepare import prepare_layers

            rc = recheck(
                ns, with_geometry=True, cancel=cancel, progress=lambda what, f: progress(what, f)
            )
            progress("Preparing the map", 0.6)
            boundaries = None
            if data is not None:
                from planner.io.pack import read_pack

                boundaries = read_pack(data, layers=["boundaries"]).boundaries
            layers = prepare_layers(
                projector=rc.checker.projector,
                streets=rc.inputs.streets,
                buildings=rc.inputs.buildings,
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
        from planner.io.review_store import camera_hashes, review_log, snapshots
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
        self.progress_label.setText(
            f"{len(plan.cameras)} cameras re-checked with {rc.policy.id} {rc.policy.version}; "
            f"{sum(1 for c in plan.ids() if self.model.needs_attention(c))} undecided or stale."
        )
        if self.model.ids:
            self.select(self.model.ids[0])
        self.loaded.emit()

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
        if cid is None or cid not in self.bodies:
            return
        body = self.bodies[cid]
        scene = self.canvas.scene()
        scene.blockSignals(True)
        scene.clearSelection()
        body.setSelected(True)
        scene.blockSignals(False)
        self.canvas.center_on_scene(body.pos())
        idx = self.audit_filter.findData(cid)
        if idx >= 0 and self.audit_filter.currentIndex() != 0:
            self.audit_filter.setCurrentIndex(idx)

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
            self.prompter.inform(
                "No trusted reviewers",
                f"{trust.describe() if trust else 'No allowed signers.'}\n\nA decision can "
                "only be recorded with a key the allowed-signers file lists. Ask IT for the "
                "file, or open the review with --allowed-signers FILE.",
            )
            return None
        from datetime import UTC, datetime

        from planner.core import sshsig
        from planner.core.errors import InputError
        from planner.io.signing import key_blob, load_signing_key

        action = self.prompter.key_action() if ask_first else "open"
        if action == "create":
            self.create_key()
            return None
        if action != "open":
            return None
        path = self.prompter.key_file()
        if path is None:
            return None
        try:
            key = load_signing_key(path, ask=self.prompter.passphrase, environ={})
        except InputError as exc:
            self.prompter.inform("Signing key", str(exc))
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
            self.prompter.show_signer_line(
                f"The key {fp} is not listed in {trust.path}: nothing can be signed with "
                "it yet. Send this line to IT (with your e-mail as the principal):",
                line,
            )
            return None
        principal = listed[0] if len(listed) == 1 else self.prompter.choose(listed)
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
        from planner.io.signing import create_key_pair

        answer = self.prompter.new_key()
        if answer is None:
            return None
        principal, path, passphrase = answer
        try:
            public = create_key_pair(path, passphrase, comment=principal)
        except InputError as exc:
            self.prompter.inform("Create a signing key", str(exc))
            return None
        self.prompter.show_signer_line(
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
        from planner.io.plan import now_iso

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
        self.next_attention(1)
        return True

    def _mark_dirty(self) -> None:
        self.setWindowModified(True)
        title = self.windowTitle().removesuffix(" *")
        self.setWindowTitle(title + (" *" if self.model.pending else ""))

    def save(self) -> bool:
        """Write the pending decisions into the plan's review log (atomic)."""
        if self.rc is None or not self.model.pending or self.plan_path is None:
            return True
        from planner.io.plan import now_iso, read_plan, write_plan
        from planner.io.review_store import camera_hashes, record_decisions

        # re-read the file: it must still be the plan that was reviewed
        current = read_plan(self.plan_path)
        if camera_hashes(current) != self.hashes or current.meta.name != self.rc.plan.meta.name:
            QMessageBox.warning(
                self,
                "Review",
                "The plan file changed on disk since it was "
                "opened; reopen it to review the new version. Nothing saved.",
            )
            return False
        records = list(self.model.pending.values())
        record_decisions(current, records, reviewer=records[-1].reviewer, when=now_iso())
        write_plan(current, self.plan_path, touch=False)
        self.rc.plan = current
        from planner.io.review_store import review_log

        self.log = review_log(current)
        self.model.states, self.plan_state, _ = self.rc.review_states()
        self.model.pending = {}
        self.model.beginResetModel()
        self.model.endResetModel()
        self._fill_audit()
        self._mark_dirty()
        self._show_totals()
        self.progress_label.setText(f"Saved {len(records)} decision(s) to {self.plan_path.name}.")
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
        """Write the review report (PDF or HTML) for the plan as saved."""
        if self.rc is None or self.plan_path is None:
            return None
        if (
            self.model.pending
            and QMessageBox.question(
                self, "Review", "Save your decisions first, so the report shows them?"
            )
            == QMessageBox.StandardButton.Yes
        ):
            self.save()
        if path is None:
            name, _ = QFileDialog.getSaveFileName(
                self,
                "Export review report",
                str(self.plan_path.with_suffix("").with_suffix("")) + ".review.pdf",
                "PDF (*.pdf);;HTML, one file (*.html)",
            )
            if not name:
                return None
            path = Path(name)
        from PySide6.QtWidgets import QApplication

        from planner.app.review_report import write_report

        # the re-check of this window is the report's: the cameras are those saved (their
        # hashes were compared on save); only the maps and the layout are left to do,
        # with Qt painting, which belongs to this thread
        self.progress_bar.show()

        def progress(what: str, frac: float) -> None:
            self.progress_label.setText(what)
            self.progress_bar.setValue(round(100 * frac))
            QApplication.processEvents()

        try:
            write_report(self.rc, path, reviewer=self.reviewer(), progress=progress)
        except OSError as exc:
            self._stopped(f"No report written: {exc}")
            return None
        self._stopped(f"Wrote {path}")
        return path

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

    from planner.app.settings import APPLICATION, ORGANIZATION, AppSettings

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
    name, _ = QFileDialog.getOpenFileName(
        main, "Review plan", "", "Siting plans (*.plan.geojson *.geojson)"
    )
    if not name:
        return None
    data = getattr(getattr(main, "doc", None), "data", None)
    pack = getattr(data, "pack_path", None)
    return open_review(
        plan=Path(name), data=Path(pack) if pack else None, settings=main.settings, parent=main
    )


def export_report_dialog(main: Any, path: Path | None = None) -> Path | None:
    """File → Export review report…: the saved plan, re-checked with the pack now loaded."""
    doc = main.doc
    if doc.path is None:
        QMessageBox.information(
            main,
            "Export review report",
            "Save the plan first: the report describes the saved file.",
        )
        return None
    if doc.dirty:
        QMessageBox.information(
            main,
            "Export review report",
            "The report describes the plan as saved; unsaved changes are not in it.",
        )
    if path is None:
        name, _ = QFileDialog.getSaveFileName(
            main,
            "Export review report",
            str(Path(doc.path).with_suffix("").with_suffix("")) + ".review.pdf",
            "PDF (*.pdf);;HTML, one file (*.html)",
        )
        if not name:
            return None
        path = Path(name)
    from PySide6.QtWidgets import QApplication

    from planner.app.review_report import write_report
    from planner.io.recheck import recheck

    pack = doc.data.pack_path if doc.data is not None else None
    ns = SimpleNamespace(
        plan=Path(doc.path),
        data=Path(pack) if pack else None,
        sites=[],
        buildings=[],
        streets=None,
        policy=None,
    )
    # the re-check (reading the pack, the buildings index) runs on the worker thread;
    # the maps and the layout paint with Qt, on this one
    task = start(
        Task(lambda progress, cancel: recheck(ns, with_geometry=True, cancel=cancel), name="report")
    )
    main.statusBar().showMessage("Re-checking the saved plan for the report…")
    while not task.done.is_set():
        QApplication.processEvents()
        task.done.wait(0.02)
    if task.error is not None:
        QMessageBox.critical(main, "Export review report", f"No report written: {task.error}")
        return None
    if task.result is None:
        return None

    def progress(what: str, frac: float) -> None:
        main.statusBar().showMessage(f"Review report: {what} ({round(100 * frac)}%)")
        QApplication.processEvents()

    try:
        write_report(
            task.result,
            path,
            reviewer=getattr(main.settings, "user_identity", "") or None,
            progress=progress,
        )
    except OSError as exc:
        QMessageBox.critical(main, "Export review report", f"No report written: {exc}")
        return None
    main.statusBar().showMessage(f"Wrote {path}", 8000)
    return path
