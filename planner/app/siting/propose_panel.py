"""The Propose panel: legal camera poses that read the most traffic (SPEC 9).

The planner picks the area (the current view or the whole pack), a budget (or the
fewest cameras reading everything), the lenses, whether warnings are allowed and
whether the cameras already on the map count. The engine
(:mod:`planner.propose`) runs on the app's worker thread: candidates with a
progress bar, then a quick answer shown at once, then the exact solve with its gap
live; Cancel keeps the quick answer. Proposals are drawn on the map as dashed cones
labelled with the weight each adds; *Accept checked* and *Accept all* add them to
the plan through the siting gate, one undoable command each. *Curve* solves the
whole curve of weight read against number of cameras, exactly, so a planner sees
where the next camera stops paying.
"""

from __future__ import annotations

import html
import math
from typing import Any, cast

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainterPath, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSimpleTextItem,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from planner.app.common.workers import Task, start
from planner.app.siting.area_tool import AreaTool
from planner.app.siting.propose_curve import CurveWidget
from planner.app.siting.propose_work import ProposeRun, curve_work, propose_work

_PROPOSAL_Z = 40.0
_VIEW, _PACK, _DRAWN = "Current view", "Whole data pack", "Drawn area"
#: The target areas, in the order of the Area box.
_AREAS = (_VIEW, _PACK, _DRAWN)


def _button(text: str, name: str, *, checkable: bool = False, tip: str = "") -> QPushButton:
    """A push button with its object name (tests and style sheets find it by name)."""
    button = QPushButton(text)
    button.setObjectName(name)
    button.setCheckable(checkable)
    if tip:
        button.setToolTip(tip)
    return button


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w)
    return row


def make_propose_dock(window: Any) -> tuple[ProposePanel, QDockWidget]:
    """The panel in a dock that scrolls rather than forcing its height on the others."""
    panel = ProposePanel(window)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(panel)
    dock = QDockWidget("Propose cameras", window)
    dock.setObjectName("dock_propose")
    dock.setWidget(scroll)
    return panel, dock


class ProposePanel(QWidget):
    """The dock's contents; ``host``, the main window, gives document, catalogue, map, tasks."""

    def __init__(self, window: Any) -> None:
        super().__init__()
        self.setObjectName("propose_panel")
        self.host: Any = window  # the main window: document, catalogue, map, tasks
        self.proposer: Any = None
        self.result: Any = None
        self.task: Task | None = None
        self._items: list[QGraphicsItem] = []
        self._fixed: list[Any] = []  # the cameras the last run kept fixed
        self.area_tool = AreaTool(window.canvas, self)
        self._build_inputs(window.catalogue)
        self._build_actions()
        self._lay_out()
        self._set_idle(True)
        self._connect()

    def _build_inputs(self, catalogue: Any) -> None:
        self.area = QComboBox()
        self.area.setObjectName("propose_area")
        self.area.addItems(list(_AREAS))
        self.draw_area = _button(
            "Draw area",
            "propose_draw_area",
            checkable=True,
            tip="Click the corners of the area on the map; double-click or Enter closes it, "
            "Backspace takes back a point, Esc cancels",
        )
        self.clear_area = _button("Clear area", "propose_clear_area")
        self.clear_area.setEnabled(False)
        self.budget = QSpinBox()
        self.budget.setObjectName("propose_budget")
        self.budget.setRange(1, 5000)
        self.budget.setValue(10)
        self.cover_all = QCheckBox("Fewest cameras reading every approach")
        self.cover_all.setObjectName("propose_cover_all")
        self.lenses = QListWidget()
        self.lenses.setObjectName("propose_lenses")
        self.lenses.setMaximumHeight(90)
        for model in catalogue:
            item = QListWidgetItem(f"{model.label} ({model.fov_deg:g}°, {model.range_m:g} m)")
            item.setData(Qt.ItemDataRole.UserRole, model.key)
            on = model.key == catalogue.default_key
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.lenses.addItem(item)
        self.allow_warn = QCheckBox("Allow poses that warn")
        self.allow_warn.setObjectName("propose_allow_warn")
        self.keep_existing = QCheckBox("Cameras on the map count as reading")
        self.keep_existing.setObjectName("propose_keep_existing")
        self.keep_existing.setChecked(True)
        self.time_limit = QDoubleSpinBox()
        self.time_limit.setRange(0.1, 3600.0)
        self.time_limit.setValue(30.0)
        self.time_limit.setSuffix(" s")

    def _build_actions(self) -> None:
        self.run_button = _button("Propose", "propose_run")
        self.cancel_button = _button("Cancel", "propose_cancel")
        self.progress = QProgressBar()
        self.progress.setObjectName("propose_progress")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.state = QLabel("Choose an area and a budget, then Propose.")
        self.state.setObjectName("propose_state")
        self.state.setWordWrap(True)
        # Site and street names come from data files: shown as text, never as markup.
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        self.results = QListWidget()
        self.results.setObjectName("propose_results")
        self.results.setMinimumHeight(100)
        self.accept_checked = _button("Accept checked", "propose_accept_checked")
        self.accept_all = _button("Accept all", "propose_accept_all")
        self.why_button = _button(
            "Why not here? (click the map)",
            "propose_why",
            checkable=True,
            tip="Click a point of the map: which headings of the chosen lenses are allowed "
            "there, and which site and rule exclude the others",
        )
        self.curve_button = _button("Curve 1 … all", "propose_curve_button")
        self.curve = CurveWidget()

    def _lay_out(self) -> None:
        area_buttons = _row(self.draw_area, self.clear_area)
        form = QFormLayout()
        form.addRow("Area", self.area)
        form.addRow("", area_buttons)
        form.addRow("Cameras", self.budget)
        form.addRow("", self.cover_all)
        form.addRow("Lenses", self.lenses)
        form.addRow("", self.allow_warn)
        form.addRow("", self.keep_existing)
        form.addRow("Time limit", self.time_limit)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(_row(self.run_button, self.cancel_button))
        lay.addWidget(self.progress)
        lay.addWidget(self.state)
        lay.addWidget(self.why_button)
        lay.addWidget(self.results, 1)
        lay.addLayout(_row(self.accept_checked, self.accept_all))
        lay.addWidget(self.curve_button)
        lay.addWidget(self.curve)

    def _connect(self) -> None:
        self.cover_all.toggled.connect(lambda on: self.budget.setEnabled(not on))
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.accept_checked.clicked.connect(lambda: self.accept(checked_only=True))
        self.accept_all.clicked.connect(lambda: self.accept(checked_only=False))
        self.curve_button.clicked.connect(self.run_curve)
        self.why_button.toggled.connect(self._why_mode)
        self.draw_area.toggled.connect(self._draw_mode)
        self.clear_area.clicked.connect(self._clear_area)
        self.area_tool.drawn.connect(self._area_drawn)
        self.area_tool.message.connect(self._tool_said)
        # An area drawn over other data lies elsewhere, maybe in another CRS.
        self.host.doc.data_changed.connect(self._forget_area)

    # -- state ----------------------------------------------------------------

    def _set_idle(self, idle: bool) -> None:
        self.run_button.setEnabled(idle)
        self.cancel_button.setEnabled(not idle)
        has = self.result is not None and bool(self.result.cameras)
        self.accept_checked.setEnabled(idle and has)
        self.accept_all.setEnabled(idle and has)
        self.curve_button.setEnabled(idle and self.proposer is not None)

    def _chosen_lenses(self) -> list[Any]:
        from planner.propose.candidates import Lens

        out = []
        for i in range(self.lenses.count()):
            item = self.lenses.item(i)
            if item.checkState() is Qt.CheckState.Checked:
                m = self.host.catalogue.get(item.data(Qt.ItemDataRole.UserRole))
                out.append(Lens(m.key, m.fov_deg, m.range_m, m.capabilities))
        return out

    def _view_polygon(self) -> Any:
        import shapely

        canvas = self.host.canvas
        poly = canvas.mapToScene(canvas.viewport().rect())
        return shapely.Polygon([(pt.x(), -pt.y()) for pt in poly])

    def _say(self, text: str) -> None:
        self.state.setText(text)

    # -- the drawn area (view state: no undo step, the plan stays unmodified) ----

    def _draw_mode(self, on: bool) -> None:
        if on:
            self._leave_other_map_tools()
            self.area_tool.start()
        elif self.area_tool.active:
            self.area_tool.cancel()

    def _leave_other_map_tools(self) -> None:
        """One map tool at a time: the clicks that follow are the area's corners."""
        self.why_button.setChecked(False)
        gis = getattr(self.host, "gis", None)
        if gis is not None and gis.tool is not None:
            gis.set_tool(None)  # identify, measure
        add_mode = getattr(self.host, "actions_by_name", {}).get("add_mode")
        if add_mode is not None and add_mode.isChecked():
            add_mode.trigger()

    def _tool_said(self, text: str) -> None:
        self.draw_area.setChecked(self.area_tool.active)  # Esc ends drawing too
        self._say(text)

    def _area_drawn(self, polygon: object) -> None:
        self.draw_area.setChecked(False)
        self.clear_area.setEnabled(True)
        self.area.setCurrentIndex(_AREAS.index(_DRAWN))
        km2 = cast("Any", polygon).area / 1e6
        self._say(f"Area drawn ({km2:,.3f} km²): Propose limits the targets to it.")

    def _forget_area(self) -> None:
        if self.area_tool.active:
            self.area_tool.stop()
            self.draw_area.setChecked(False)
        self._clear_area()

    def _clear_area(self) -> None:
        self.area_tool.clear()
        self.clear_area.setEnabled(False)
        if self.area.currentText() == _DRAWN:
            self.area.setCurrentIndex(0)

    def _targets(self) -> tuple[bool, Any]:
        """``(ok, targets)`` for the chosen area; ``ok`` False when none is drawn yet."""
        choice = self.area.currentText()
        if choice == _DRAWN:
            return self.area_tool.area is not None, self.area_tool.area
        return True, self._view_polygon() if choice == _VIEW else None

    # -- running ----------------------------------------------------------------

    def _request(self) -> ProposeRun | str:
        """The run the panel asks for, or what is missing to ask for one."""
        data = self.host.doc.data
        if data is None or data.checker is None or data.streets is None or not len(data.streets):
            return "Load a data pack with streets first: proposals follow its streets."
        lenses = self._chosen_lenses()
        if not lenses:
            return "Check at least one lens."
        ok, targets = self._targets()
        if not ok:
            return "Draw an area first (Draw area), or choose another one."
        from planner.propose.candidates import CandidateParams

        cams = self.host.doc.all_cameras()
        keep = self.keep_existing.isChecked()
        return ProposeRun(
            checker=data.checker,
            table=data.streets,
            lenses=lenses,
            params=CandidateParams(allow_warn=self.allow_warn.isChecked()),
            targets=targets,
            fixed=[c for c in cams if keep and str(c.status) != "removed"],
            budget=None if self.cover_all.isChecked() else self.budget.value(),
            time_limit=self.time_limit.value(),
            used_ids=[c.id for c in cams],
        )

    def run(self) -> None:
        """Build candidates and solve on the worker (quick answer first, then exact)."""
        request = self._request()
        if isinstance(request, str):
            self._say(request)
            return
        self.clear_proposals()
        self.proposer = None
        self.result = None
        self._fixed = list(request.fixed)
        task = Task(
            lambda progress, cancel: propose_work(request, progress, cancel), name="Proposing"
        )
        self._wire(task, self._on_done, self._on_cancelled)
        self._start(task)
        self._say("Finding legal poses and what each reads…")

    def _wire(self, task: Task, done: Any, cancelled: Any) -> None:
        queued = Qt.ConnectionType.QueuedConnection
        task.signals.progress.connect(self._on_progress, queued)
        task.signals.finished.connect(done, queued)
        task.signals.failed.connect(self._on_failed, queued)
        task.signals.cancelled.connect(cancelled, queued)

    def _start(self, task: Task) -> None:
        self.task = task
        self.host.tasks.append(task)
        self.progress.setValue(0)
        self._set_idle(False)
        start(task)

    def _finish(self) -> None:
        if self.task is not None and self.task in self.host.tasks:
            self.host.tasks.remove(self.task)
        self.task = None
        self._set_idle(True)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _on_progress(self, stage: object, value: object) -> None:
        if stage == "quick":
            self.proposer, self.result = cast("tuple[Any, Any]", value)
            self.show_result(exact=False)
            self._say(self.state.text() + " Proving the optimum…")
        elif stage == "gap":
            primal, dual, gap = cast("tuple[float, float, float]", value)
            if math.isfinite(gap):
                self._say(f"Best found {primal:,.0f}, bound {dual:,.0f}, gap {gap:.2%}…")
        elif isinstance(stage, str) and isinstance(value, float):
            self.progress.setValue(round(100 * value))
        elif isinstance(stage, int) and isinstance(value, int) and value > 0:
            self.progress.setValue(round(100 * stage / value))

    def _on_done(self, payload: object) -> None:
        self._finish()
        self.progress.setValue(100)
        self.proposer, self.result = cast("tuple[Any, Any]", payload)
        self.show_result(exact=True)
        self._set_idle(True)

    def _on_failed(self, exc: object) -> None:
        self._finish()
        self._say(f"Proposal failed: {exc}")

    def _on_cancelled(self) -> None:
        self._finish()
        if self.result is not None:
            self._say(
                self.state.text().split(" Proving")[0] + " Cancelled: the quick answer is shown."
            )
        else:
            self._say("Cancelled.")

    # -- results ------------------------------------------------------------------

    def show_result(self, *, exact: bool) -> None:
        """List the proposals and draw them on the map."""
        self.clear_proposals()
        res, st = self.result, self.proposer.stats
        sol = res.solution
        for pc in res.cameras:
            cam = pc.camera
            item = QListWidgetItem(
                f"{cam.id}  {cam.model}  {cam.heading_deg:.0f}°  +{pc.marginal_weight:,.0f}"
                f"  ({len(pc.reads)} approach{'es' if len(pc.reads) != 1 else ''})"
            )
            item.setData(Qt.ItemDataRole.UserRole, cam.id)
            item.setCheckState(Qt.CheckState.Checked)
            # Escaped and forced to rich text: a street name is never markup.
            labels = self.proposer.approach_labels(pc.reads)
            item.setToolTip("<p>" + "<br>".join(html.escape(t) for t in labels) + "</p>")
            self.results.addItem(item)
            self._draw(pc)
        what = "cameras" if math.isnan(res.greedy_objective) else "vehicles/day read"
        state = "optimal" if sol.optimal else (f"gap {sol.gap:.2%}" if exact else "quick answer")
        self._say(
            f"{len(res.cameras)} proposals: {sol.objective:,.0f} {what} ({state}, bound "
            f"{sol.bound:,.0f}). {st.candidates:,} poses, {st.legal:,} legal, "
            f"{st.maximal_sets:,} distinct reading sets; {st.readable_approaches} of "
            f"{st.approaches} approaches readable."
        )
        self._set_idle(self.task is None)

    def _draw(self, pc: Any) -> None:
        from planner.core.geometry import cone_polygon

        scene = self.host.canvas.scene()
        cam = pc.camera
        x, y = self.host.doc.data.checker.camera_xy(cam)
        cone = cone_polygon(
            x, y, heading_deg=cam.heading_deg, fov_deg=cam.fov_deg, range_m=cam.range_m
        )
        path = QPainterPath()
        coords = list(cone.exterior.coords)
        path.moveTo(coords[0][0], -coords[0][1])
        for cx, cy in coords[1:]:
            path.lineTo(cx, -cy)
        item = QGraphicsPathItem(path)
        pen = QPen(QColor("#7b2cbf"), 2, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        item.setPen(pen)
        item.setBrush(QBrush(QColor(123, 44, 191, 40)))
        item.setZValue(_PROPOSAL_Z)
        item.setToolTip(f"Proposed {cam.id}: +{pc.marginal_weight:,.0f} vehicles/day")
        scene.addItem(item)
        label = QGraphicsSimpleTextItem(f"{cam.id} +{pc.marginal_weight:,.0f}")
        label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        label.setBrush(QBrush(QColor("#4a148c")))
        label.setPos(x, -y)
        label.setZValue(_PROPOSAL_Z + 1)
        scene.addItem(label)
        self._items += [item, label]

    def clear_proposals(self) -> None:
        """Remove the drawn proposals and the list."""
        scene = self.host.canvas.scene()
        for item in self._items:
            if item.scene() is scene:
                scene.removeItem(item)
        self._items = []
        self.results.clear()

    def accept(self, *, checked_only: bool) -> None:
        """Add proposals to the plan through the siting gate: one undoable command."""
        if self.result is None:
            return
        wanted = set()
        for i in range(self.results.count()):
            item = self.results.item(i)
            if not checked_only or item.checkState() is Qt.CheckState.Checked:
                wanted.add(item.data(Qt.ItemDataRole.UserRole))
        cams = [pc.camera for pc in self.result.cameras if pc.camera.id in wanted]
        if not cams:
            self._say("Nothing checked to accept.")
            return
        doc = self.host.doc
        taken = {c.id for c in doc.all_cameras()}
        renamed = []
        for cam in cams:
            cid, n = cam.id, 1
            while cid in taken:
                cid, n = f"P-{n}", n + 1
            taken.add(cid)
            renamed.append(cam.replace(id=cid, label=cam.label or cid))
        text = f"Accept {len(renamed)} proposed camera{'s' if len(renamed) != 1 else ''}"
        outcome = doc.propose([], renamed, action="propose", text=text, add=True)
        if not outcome.committed:
            self._say(outcome.message or f"{text}: not committed")
            return
        left = [pc for pc in self.result.cameras if pc.camera.id not in wanted]
        from dataclasses import replace

        self.result = replace(self.result, cameras=tuple(left))
        self.show_result(exact=True)
        self._say(f"{text}: added to the plan (Undo takes them back).")

    # -- why not here -----------------------------------------------------------------

    def _why_mode(self, on: bool) -> None:
        viewport = self.host.canvas.viewport()
        if on:
            self.draw_area.setChecked(False)  # one map tool at a time
            viewport.installEventFilter(self)
            self._say("Click a point of the map to see which poses are allowed there.")
        else:
            viewport.removeEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.MouseButtonPress
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
        ):
            pt = self.host.canvas.mapToScene(event.position().toPoint())
            self.why_button.setChecked(False)
            self.explain(pt.x(), -pt.y())
            return True  # the click was a question, not a map action
        return False

    def explain(self, x: float, y: float) -> None:
        """Say which headings of the chosen lenses are allowed at ``(x, y)`` and why not."""
        data = self.host.doc.data
        if data is None or data.checker is None:
            self._say("Load data first.")
            return
        lenses = self._chosen_lenses()
        if not lenses:
            self._say("Check at least one lens.")
            return
        from planner.propose.engine import explain_position

        lon, lat = data.checker.projector.lonlat(x, y)
        lines = explain_position(
            data.checker, lenses, lon, lat, allow_warn=self.allow_warn.isChecked()
        )
        self._say(f"At {lon:.6f}, {lat:.6f}: " + " | ".join(lines))

    # -- curve ---------------------------------------------------------------------

    def run_curve(self) -> None:
        """Solve the whole curve 1 … cover-all exactly on the worker, from the fixed cameras."""
        proposer, fixed = self.proposer, list(self._fixed)
        if proposer is None:
            return
        task = Task(
            lambda progress, cancel: curve_work(proposer, fixed, progress, cancel), name="Curve"
        )
        self._wire(task, self._on_curve, self._finish)
        self._start(task)
        self._say("Solving the curve of weight against cameras…")

    def _on_curve(self, payload: object) -> None:
        self._finish()
        base, values = cast("tuple[float, list[float]]", payload)
        self.curve.set_points(values, base=base)
        if values:
            start = f"the cameras kept read {base:,.0f}; 1 more" if base > 0 else "1 camera"
            self._say(
                f"Curve: {start} reads {values[0]:,.0f}; {len(values)} read "
                f"everything readable ({values[-1]:,.0f} vehicles/day)."
            )
