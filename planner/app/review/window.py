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

Beside this module: the decision table (``decisions_model``), the map
(``review_map``), the bottom dock of claims, changes and audit (``history``), the
signing key's dialogs (``keys``), the window's sentences (``wording``), the re-check
off the GUI thread (``loading``), the report export (``export``) and how the window is
opened (``launch``).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from planner.app.common.workers import Task, start
from planner.app.review.decisions_model import SORT_ROLE, DecisionsModel
from planner.app.review.export import ask_report_path, write_report_with_progress
from planner.app.review.history import HistoryTabs
from planner.app.review.keys import KeyPrompter, ask_identity, create_signing_key, signed
from planner.app.review.loading import prepare_review, review_inputs, wait_for
from planner.app.review.review_map import ReviewMap
from planner.app.review.wording import claims_lines, count_text, findings_text, totals_text
from planner.app.siting.dialogs import Prompter
from planner.core.model import AuditEntry
from planner.core.review import Change, Decision, DecisionRecord, changes_since, refusal

BANNER = (
    "REVIEW MODE: read-only. The plan was re-checked with your policy and data; "
    "cameras cannot be moved or edited here. Only your decisions are saved."
)


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
        self._build_map()
        self._build_decisions_dock()
        self._build_history_dock()
        self.prompter = Prompter(self, settings=settings, plan_folder=self._plan_folder)
        self._zoom_on_select = True
        self._build_menu()
        self._update_buttons()

    # -- building --------------------------------------------------------------------------
    def _build_map(self) -> None:
        """The banner over the map."""
        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        self.banner = QLabel(BANNER)
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background:#0b3d62; color:white; padding:6px; font-weight:bold")
        lay.addWidget(self.banner)
        self.map = ReviewMap(self, settings=self.settings)
        self.canvas = self.map.canvas
        #: The camera symbols on the map, by camera id.
        self.bodies = self.map.bodies
        lay.addWidget(self.canvas, 1)
        self.setCentralWidget(central)

    def _build_table(self) -> None:
        """The decisions table: worst first (blocked, warned, clear; plan order within)."""
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

    def _build_decision_widgets(self) -> None:
        """The comment box, the decision buttons and the labels around the table."""
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
        self.why, self.trust_label, self.totals_label = QLabel(""), QLabel(""), QLabel("")
        for label in (self.why, self.trust_label, self.totals_label):
            label.setWordWrap(True)
        # the selected camera's findings in plain words, what the decision is about
        self.findings = QLabel("")
        self.findings.setObjectName("review_findings")
        self.findings.setWordWrap(True)
        self.findings.setTextFormat(Qt.TextFormat.PlainText)
        self.findings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.findings.setStyleSheet("QLabel { background: #f4f6f8; padding: 6px; }")
        self.progress_label = QLabel("")
        self.progress_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.cancel_btn = QPushButton("Cancel")

    def _build_decisions_dock(self) -> None:
        """The right dock: trust, totals, the table, the findings, the decision, progress."""
        self._build_table()
        self._build_decision_widgets()
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
        pl.addWidget(self.progress_label)
        prow = QHBoxLayout()
        prow.addWidget(self.progress_bar, 1)
        prow.addWidget(self.cancel_btn)
        pl.addLayout(prow)
        self.progress_bar.hide()
        self.cancel_btn.hide()
        self.decisions_dock = QDockWidget("Decisions", self)
        self.decisions_dock.setObjectName("review_decisions")
        self.decisions_dock.setWidget(panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.decisions_dock)

    def _build_history_dock(self) -> None:
        """The bottom dock: claims and differences, changes, the audit trail."""
        self.history = HistoryTabs(lambda: [] if self.rc is None else self.rc.plan.meta.audit)
        bottom = QDockWidget("Provenance, changes and audit", self)
        bottom.setObjectName("review_bottom")
        bottom.setWidget(self.history)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, bottom)
        self.resizeDocks([self.decisions_dock], [560], Qt.Orientation.Horizontal)
        self.resizeDocks([bottom], [200], Qt.Orientation.Vertical)

    def _build_menu(self) -> None:
        """The Review menu; its shortcuts are the window's keys."""
        # "Re&view", not "&Review": Alt+R is Reject's
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
        self.plan_path, self.pack = Path(plan), data
        ns = review_inputs(
            Path(plan), data=data, policy=policy, allowed_signers=self.allowed_signers
        )
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.cancel_btn.show()
        self.progress_label.setText("Re-checking the plan with your data…")
        task = Task(lambda progress, cancel: prepare_review(ns, progress, cancel), name="review")
        queued = Qt.ConnectionType.QueuedConnection
        task.signals.progress.connect(lambda a, b: self._progress(a, b), queued)
        task.signals.finished.connect(lambda result: self._loaded(result), queued)
        task.signals.failed.connect(lambda exc: self._failed(exc), queued)
        task.signals.cancelled.connect(lambda: self._stopped("Re-check cancelled."), queued)
        self.cancel_btn.clicked.connect(task.cancel)
        self.task = start(task)
        if wait:
            wait_for(task, lambda: self.rc is not None or self.error is not None)

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
        """The re-check is in: the map, the cameras, the decisions, the first row."""
        self._stopped("")
        self.rc = result.rc
        self.setWindowTitle(f"Review (read-only): {self.rc.plan.meta.name}")
        self.map.show_layers(self.rc, result.layers)
        self.map.show_cameras(self.rc, result.xy)
        self.canvas.scene().selectionChanged.connect(self._map_selection)
        self._show_review()
        if self.model.ids:
            # the first row (the worst camera), with the whole plan still in view
            self._zoom_on_select = False
            try:
                self.select(self.model.ids[self.proxy.mapToSource(self.proxy.index(0, 0)).row()])
            finally:
                self._zoom_on_select = True
        self.loaded.emit()

    def _show_review(self) -> None:
        """The decisions, the plan's claims, the changes since the last review, the audit."""
        from planner.io.formats.review_store import camera_hashes, review_log, snapshots
        from planner.report.model import _claimed_statuses

        rc, plan = self.rc, self.rc.plan
        self.log = review_log(plan, source=str(self.plan_path))
        self.hashes = camera_hashes(plan)
        states, self.plan_state, _ = rc.review_states()
        changes: dict[str, Change] = {}
        if self.log.sessions:
            last = self.log.sessions[-1].cameras
            changes = {c.camera_id: c for c in changes_since(last, snapshots(plan))}
        claimed = _claimed_statuses(plan.meta.extra.get("checked_with"))
        self.model.reset(
            ids=plan.ids(), status=rc.status(), claimed=claimed, states=states, changes=changes
        )
        self.history.show_claims(
            claims_lines(rc, claimed=claimed, states=states, plan_state=self.plan_state)
        )
        self.history.show_changes(changes)
        self.removed_since = [cid for cid in changes if cid not in self.hashes]
        self.history.set_cameras(plan.ids())
        self.trust_label.setText(f"Trusted reviewers: {rc.trust.describe()}")
        self._show_totals()
        self._update_count()

    def _plan_folder(self) -> Path | None:
        return None if self.plan_path is None else self.plan_path.resolve().parent

    def undecided(self) -> int:
        """How many cameras are undecided or stale (pending decisions count as decided)."""
        return sum(1 for c in self.model.ids if self.model.needs_attention(c))

    def _update_count(self) -> None:
        if self.rc is None:
            return
        self.progress_label.setText(
            count_text(
                self.rc,
                cameras=len(self.model.ids),
                undecided=self.undecided(),
                pending=len(self.model.pending),
            )
        )

    def findings_text(self, cid: str) -> str:
        """The re-check of camera ``cid`` in plain words (what the findings panel shows)."""
        return "" if self.rc is None else findings_text(self.rc, cid)

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
        self.map.select(cid)
        if self._zoom_on_select:
            self.zoom_to_camera(cid)
        self.canvas.invalidate_labels()
        self.history.follow(cid)

    def zoom_to_camera(self, cid: str) -> None:
        """Show camera ``cid`` with all it can see (its range around it)."""
        if self.rc is None or cid not in self.bodies:
            return
        cam = next(c for c in self.rc.plan.cameras if c.id == cid)
        self.map.zoom_to(cid, cam.range_m)

    def _map_selection(self) -> None:
        picked = self.map.picked()
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
        self.totals_label.setText(totals_text(self.model.counts(), self.plan_state))

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
        self.signing = ask_identity(self.keys, self.rc.trust, ask_first=ask_first)
        if self.signing is not None:
            s = self.signing
            self.progress_label.setText(
                f"Signing as {s.principal} ({s.name}) with key {s.fingerprint}."
            )
        return self.signing

    def create_key(self) -> Path | None:
        """Create an Ed25519 key pair (OpenSSH format, passphrase) and show the line for IT."""
        return create_signing_key(self.keys)

    def decide(self, decision: Decision) -> bool:
        """Record a signed, unsaved ``decision`` for the current camera (no blocked approval)."""
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
        self.model.pending[cid] = signed(record, who)
        self.model.refresh(cid)
        self.comment.clear()
        self._decisions_changed()
        if self.next_attention(1) is None:
            self._update_count()
        return True

    def _decisions_changed(self) -> None:
        self._mark_dirty()
        self._show_totals()
        self._update_count()

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
        from planner.io.formats.review_store import camera_hashes, record_decisions, review_log

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
        self.log = review_log(current)
        self.model.states, self.plan_state, _ = self.rc.review_states()
        self.model.pending = {}
        self.model.beginResetModel()
        self.model.endResetModel()
        self.history.fill_audit()
        self._decisions_changed()
        self.progress_label.setText(
            f"Saved {len(records)} decision{'s' if len(records) != 1 else ''} to "
            f"{self.plan_path.name}. " + self.progress_label.text()
        )
        return True

    def audit_entries(self) -> list[AuditEntry]:
        """The audit trail's entries the bottom dock shows (filtered by camera)."""
        return [] if self.rc is None else self.history.audit_entries()

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
            path = ask_report_path(self.prompter, self.plan_path)
            if path is None:
                return None
        # the re-check of this window is the report's: the cameras are those saved (their
        # hashes were compared on save); only the maps and the layout are left to do
        written = write_report_with_progress(self, self.rc, Path(path), reviewer=self.reviewer())
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
