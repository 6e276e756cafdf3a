"""The main window's data: opening a plan and its pack, and what is in force.

A plan is judged by the data it names: the pack is found (asking before any file outside
the plan's folder), read on a worker after the preview's first paint, and installed; when
it is missing or changed the results are withheld behind a banner until the user decides.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.app.shell.managed import enforce_pack
from planner.app.shell.recovery import discard, find_recovery_files
from planner.app.siting import canvas_bridge
from planner.app.siting.document import DataContext
from planner.app.siting.loading import demo_paths, is_bundled, load_data_context
from planner.app.siting.provenance import data_problems, pack_digest, policy_note
from planner.core.errors import InputError
from planner.io.formats.plan import CHECKED_WITH_KEY, PackLink, read_pack_link

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    from planner.app.common.settings import AppSettings
    from planner.app.common.workers import Task
    from planner.app.map.canvas import MapCanvas
    from planner.app.shell.banner import Banner
    from planner.app.shell.gis_tools import GisTools
    from planner.app.shell.recovery import Autosaver
    from planner.app.shell.statusbar import ElidedLabel
    from planner.app.siting.dialogs import Prompter
    from planner.app.siting.document import PlanDocument
    from planner.app.siting.layers_panel import LayersPanel
    from planner.app.siting.provenance import ProvenancePanel
    from planner.core.model import Plan, Policy
    from planner.io.config.managed_config import ManagedConfig

    _WindowBase = QMainWindow
else:
    _WindowBase = object

_log = logging.getLogger("planner")


class WindowData(_WindowBase):
    """Part of :class:`~planner.app.shell.main_window.MainWindow`: loading and data in force."""

    # what this part uses of the rest of the window
    doc: PlanDocument
    settings: AppSettings
    policy: Policy
    prompter: Prompter
    managed: ManagedConfig
    canvas: MapCanvas
    gis: GisTools
    autosaver: Autosaver
    notice: Banner
    data_banner: Banner
    policy_label: ElidedLabel
    layers_panel: LayersPanel
    provenance_panel: ProvenancePanel
    plan_link: PackLink | None
    disk_sha256: dict[Path, str]
    data_state: str
    data_issues: list[str]
    extra_sites: list[Path]
    extra_buildings: list[Path]
    load_task: Task | None
    show_notice: Callable[[str], None]
    zoom_to_fit: Callable[[], None]
    run_full_check: Callable[..., None]
    open_pack_dialog: Callable[[], None]
    _run: Callable[..., Task]
    _update_title: Callable[..., None]
    _update_check_label: Callable[..., None]
    _forget_plan: Callable[[], None]
    _fill_recent: Callable[[], None]

    def start_up(
        self, *, plan: Path | None, data: Path | None, wait: bool = False, recover: bool = True
    ) -> None:
        """Open what the command line asked for; else recovery, the last project or the demo."""
        if recover and self.offer_recovery(data=data, wait=wait):
            return
        if plan is None and data is None:
            last = self.settings.last_project
            if last is not None and last.is_file():
                plan = last
            else:
                plan, data = demo_paths()
        self.load(plan_path=plan, pack=data, wait=wait)

    def offer_recovery(self, *, data: Path | None = None, wait: bool = False) -> bool:
        """Offer each leftover recovery file; returns True when one was recovered.

        The recovered plan is judged by the data it names, like an opened one.
        """
        for rec in find_recovery_files(self.autosaver.folder):
            if self.prompter.offer_recovery(rec.original, rec.saved_at):
                try:
                    from planner.io.formats.plan import read_plan

                    plan = read_plan(rec.plan_path)
                except InputError as exc:
                    self.prompter.error("Cannot recover", str(exc))
                    continue
                discard(rec)
                self.load(plan_path=rec.original, pack=data, plan=plan, wait=wait, recovered=True)
                return True
            discard(rec)
        return False

    def pack_for(self, plan: Plan | None, plan_path: Path | None) -> Path | None:
        """The data pack a plan names (relative to the plan, else its absolute path).

        Without a plan: the pack in force. Never the last-used pack of another session:
        a plan is judged by the data it names, or by data the user chose.
        """
        if plan is not None:
            link = read_pack_link(plan.meta, source=str(plan_path or "plan"))
            return None if link is None else link.resolve(plan_path=plan_path)
        if self.doc.data is not None:
            return self.doc.data.pack_path
        return None

    def load(
        self,
        *,
        plan_path: Path | None,
        pack: Path | None,
        wait: bool = False,
        plan: Plan | None = None,
        recovered: bool = False,
    ) -> None:
        """Read a plan and/or a data pack on a worker, then install them.

        A plan without ``pack`` is checked against the pack it names. When that pack is
        missing, or its sha256 (or a layer in ``checked_with``) differs, the plan is shown
        without results and a banner says so, offering to locate it or choose another.
        """
        pack = enforce_pack(self.managed, pack)  # IT-locked data wins (planner.app.shell.managed)
        _log.info("open: plan %s, data pack %s", plan_path or "(none)", pack or "(none)")
        if plan is None and plan_path is not None:
            plan = self._read_plan_file(plan_path)
            if plan is None:
                return
        if self.managed.error is not None:
            # IT's configuration is unusable: fail closed. The cameras are shown, but
            # nothing is checked (never with the built-in policy or data instead).
            self._show_without_data(
                plan if plan is not None else self.doc.plan,
                plan_path if plan is not None else self.doc.path,
                link=None,
                recovered=recovered,
                reason="managed",
            )
            return
        link: PackLink | None = None
        if plan is not None:
            found = self._plan_pack(plan, plan_path, pack, recovered=recovered)
            if found is None:
                return
            pack, link = found
        self._load_data(
            plan=plan, plan_path=plan_path, pack=pack, link=link, wait=wait, recovered=recovered
        )

    def _read_plan_file(self, plan_path: Path) -> Plan | None:
        """The plan at ``plan_path``, or None when it cannot be read (the user was told)."""
        from planner.io.formats.plan_lock import read_plan_with_sha256

        try:
            plan, digest = read_plan_with_sha256(plan_path)
        except InputError as exc:
            self._open_failed(plan_path, str(exc))
            return None
        except OSError as exc:
            self._open_failed(plan_path, f"{plan_path}: {exc.strerror or exc}")
            return None
        # what Save compares with, to keep what others recorded meanwhile
        self.disk_sha256[Path(plan_path).resolve()] = digest
        return plan

    def _plan_pack(
        self, plan: Plan, plan_path: Path | None, pack: Path | None, *, recovered: bool
    ) -> tuple[Path | None, PackLink | None] | None:
        """The pack to load a plan with and the plan's link to its own pack.

        None when there is no pack to load: the plan is then shown without data (or
        its link could not be read), and the user was told why.
        """
        try:
            link = read_pack_link(plan.meta, source=str(plan_path or "plan"))
        except InputError as exc:
            self._open_failed(plan_path, str(exc))
            return None
        if pack is None and link is not None:
            found, declined = self._find_named_pack(link, plan_path, recovered=recovered)
            if found is None:
                self._show_without_data(
                    plan,
                    plan_path,
                    link=link,
                    recovered=recovered,
                    reason="missing" if declined is None else "declined",
                    declined=declined,
                )
                return None
            pack = found
        if pack is None and not self.extra_sites:
            self._show_without_data(
                plan, plan_path, link=None, recovered=recovered, reason="unnamed"
            )
            return None
        return pack, link

    def _load_data(
        self,
        *,
        plan: Plan | None,
        plan_path: Path | None,
        pack: Path | None,
        link: PackLink | None,
        wait: bool,
        recovered: bool,
    ) -> None:
        """Read the data on a worker, once the preview has painted; then install it."""
        cams = plan.cameras if plan is not None else self.doc.plan.cameras
        sites, buildings = list(self.extra_sites), list(self.extra_buildings)
        if self.managed.lock_data:
            # IT's pack alone: layers added before the lock (or by any route) are not used
            sites, buildings = [], []
        policy = self.policy

        painted = None  # the preview's first useful paint, which the full load waits for

        def work(progress: Any, cancel: Any) -> DataContext:
            from planner.app.siting.preview import hold_until_painted

            hold_until_painted(painted, cancel)
            return load_data_context(
                policy=policy,
                cameras=list(cams),
                pack=pack,
                sites=sites,
                buildings=buildings,
                progress=progress,
                cancel=cancel,
            )

        def done(data: DataContext) -> None:
            self._data_loaded(
                data,
                plan=plan,
                plan_path=plan_path,
                pack=pack,
                link=link,
                wait=wait,
                recovered=recovered,
            )

        def failed() -> None:
            if plan is not None and self.doc.data is None and not self.doc.plan.cameras:
                self._fall_back_to_demo(plan_path, "its data could not be read")

        if pack is not None and not wait:
            painted = self.gis.preview(pack=pack, cameras=list(cams))  # cameras, sites, streets
        self.load_task = self._run(work, done, name="Loading data", wait=wait, on_fail=failed)

    def _data_loaded(
        self,
        data: DataContext,
        *,
        plan: Plan | None,
        plan_path: Path | None,
        pack: Path | None,
        link: PackLink | None,
        wait: bool,
        recovered: bool,
    ) -> None:
        """Install freshly read data with its plan; check, or withhold when the data differs."""
        if plan is not None:
            self.doc.plan = plan  # before set_data so items are built once
            self.plan_link = link
        self.install_data(data)
        if plan is not None:
            self.doc.load_plan(plan, plan_path, check=False)
            self._after_plan_loaded(plan_path, recovered=recovered)
        if pack is not None:
            self.settings.last_data_pack = pack
        problems = data_problems(self.doc.plan.meta, link=self.plan_link, data=data)
        self.zoom_to_fit()
        if problems:
            self._withhold(problems, reason="changed")
        else:
            self._release(f"Data: {Path(pack).name}" if pack is not None else "Data: layer files")
            self.run_full_check(wait=wait)

    def _find_named_pack(
        self, link: PackLink, plan_path: Path | None, *, recovered: bool
    ) -> tuple[Path | None, Path | None]:
        """The pack a plan names: ``(found, None)``, ``(None, declined)`` or ``(None, None)``.

        A pack beside the plan (its folder or below) opens without asking. Anything else
        is input steering the program to another file: the user is asked first, and a
        network path is not even looked at before they agree (:mod:`planner.io.safety.paths`).
        A recovery snapshot's link was written by this app, so it is trusted.
        """
        from planner.io.safety.paths import PackLocation, classify_pack_path

        declined: Path | None = None
        for cand in link.candidates(plan_path=plan_path):
            if recovered:
                if cand.is_file():
                    return cand, None
                continue
            folder = Path(plan_path).resolve().parent if plan_path is not None else None
            where = (
                classify_pack_path(str(cand), plan_folder=folder) if folder is not None else None
            )
            if where is not None and where.location is PackLocation.INSIDE:
                if cand.is_file():
                    return cand, None
                continue
            network = where is not None and where.location is PackLocation.NETWORK
            if not network and not cand.is_file():
                continue
            place = "on a network path" if network else "outside its own folder"
            if self.prompter.confirm(
                "Open data pack?",
                f"This plan names a data pack {place}:\n{cand}\n\nOpen it to check the plan?",
            ):
                if cand.is_file():
                    return cand, None
                continue
            declined = cand
        return None, declined

    def _after_plan_loaded(self, plan_path: Path | None, *, recovered: bool) -> None:
        self._forget_plan()
        if recovered:
            self.doc.undo_stack.resetClean()  # recovered work is unsaved work
            self._update_title()
            self.show_notice("Recovered unsaved changes; save them to keep them")
        elif plan_path is not None and not is_bundled(plan_path):
            self.settings.add_recent_file(plan_path)
            self.settings.last_project = plan_path.resolve()
            self._fill_recent()

    def _show_without_data(
        self,
        plan: Plan,
        plan_path: Path | None,
        *,
        link: PackLink | None,
        recovered: bool,
        reason: str,
        declined: Path | None = None,
    ) -> None:
        """Show the plan's cameras with no result: its data is missing or unnamed."""
        from planner.core.crs import Projector

        proj = Projector.for_points([(c.lon, c.lat) for c in plan.cameras] or [(0.0, 0.0)])
        self.plan_link = link
        self.doc.plan = plan
        self.install_data(DataContext(checker=None, projector=proj, pack_path=None))
        self.doc.load_plan(plan, plan_path, check=False)
        self._after_plan_loaded(plan_path, recovered=recovered)
        if reason == "missing" and link is not None:
            looked = " or ".join(str(c) for c in link.candidates(plan_path=plan_path))
            problems = [f"This plan's data pack is missing: {link.path} (looked for {looked})."]
        elif reason == "declined":
            problems = [f"The data pack this plan names was not opened: {declined}."]
        elif reason == "managed":
            problems = [
                "The system configuration is unusable, so nothing is checked until IT "
                f"fixes it: {self.managed.error}."
            ]
        else:
            problems = ["This plan does not name a data pack, so it has not been checked."]
        self.zoom_to_fit()
        self._withhold(problems, reason=reason)

    def _withhold(self, problems: list[str], *, reason: str) -> None:
        """No result until the user decides: say why in a banner that stays."""
        self.data_issues = list(problems)
        self.doc.withheld = " ".join(problems)
        self.doc.results = {}
        self.doc.results_reset.emit()
        actions: list[tuple[str, Any]] = []
        if reason in ("missing", "declined"):
            actions.append(("Locate the data pack…", self.locate_pack))
        if not self.managed.lock_data:
            actions.append(("Choose another data pack…", self.open_pack_dialog))
        if reason == "changed":
            actions.append(("Check with the data in force", self.accept_data_in_force))
        text = " ".join(problems)
        if reason != "managed":  # only IT can fix an unusable configuration
            text += " No result is shown until you decide."
        self.data_banner.show_message(text, actions=actions, dismissible=False)
        self.notice.place()
        self.data_state = "Data: not checked"
        self._update_provenance()

    def _release(self, state: str) -> None:
        self.data_issues = []
        self.doc.withheld = ""
        self.data_banner.clear()
        self.data_state = state
        note = policy_note(self.doc.plan.meta, self.policy)
        if note:
            self.show_notice(note)
        self._update_provenance()

    def accept_data_in_force(self) -> None:
        """The user accepts the loaded data instead of the data the plan names."""
        data = self.doc.data
        if data is None or data.checker is None:
            return
        name = Path(data.pack_path).name if data.pack_path is not None else "the layer files"
        self.plan_link = None  # the next save links the pack in force
        self._release(f"Data: {name} (chosen, differs from the plan's)")
        self.show_notice(
            f"Checking with {name}, not the data this plan was made with; "
            "saving links the plan to it."
        )
        self.run_full_check()

    def locate_pack(self) -> None:
        self.open_pack_dialog()

    def _recovery_pack_link(self) -> dict[str, Any] | None:
        """The pack in force, as an absolute link, for the recovery snapshot."""
        from planner.io.formats.plan import pack_link_json

        data = self.doc.data
        if data is None or data.pack_path is None or self.data_issues:
            return None
        return pack_link_json(pack=data.pack_path, plan_path=None, sha256=pack_digest(data))

    def _update_provenance(self) -> None:
        data = self.doc.data
        digest = pack_digest(data)
        pol = self.policy
        tip = self.data_state
        if data is not None and data.pack_path is not None:
            tip = f"{self.data_state}\n{data.pack_path}\nsha256 {digest or 'n/a'}"
        self.policy_label.setText(f"{self.data_state} · Policy {pol.id} v{pol.version}")
        self.policy_label.setToolTip(
            f"{tip}\n\nPolicy {pol.id} v{pol.version}\nsha256 {pol.sha256 or 'n/a'}"
        )
        self.provenance_panel.show_state(
            policy=self.policy,
            data=data,
            state=self.data_state,
            problems=self.data_issues,
            link=self.plan_link,
            plan_path=self.doc.path,
            recorded=self.doc.plan.meta.extra.get(CHECKED_WITH_KEY),
        )
        self._update_title()
        self._update_check_label()

    def _open_failed(self, path: Path | None, message: str) -> None:
        """An open error: the whole message, and the previous document stays."""
        _log.warning("open failed: %s", message)
        self.prompter.error("Cannot open plan", message)
        if self.doc.data is None and not self.doc.plan.cameras:
            self._fall_back_to_demo(path, message)
            return
        current = self.doc.path.name if self.doc.path else self.doc.plan.meta.name
        self.show_notice(
            f"Could not open {Path(path).name if path else 'the plan'}: {message}"
            f" — {current} is still open."
        )

    def _fall_back_to_demo(self, path: Path | None, message: str) -> None:
        plan, pack = demo_paths()
        name = Path(path).name if path else "the plan"
        if path is not None and Path(path).resolve() == plan.resolve():
            self.show_notice(f"Could not open {name}: {message}")
            return
        self.load(plan_path=plan, pack=pack)
        self.show_notice(f"Could not open {name}: {message} — showing the demo instead.")

    def install_data(self, data: DataContext) -> None:
        self.doc.set_data(data)
        canvas_bridge.show_data(self.canvas, data)
        self.layers_panel.set_layers(canvas_bridge.layer_entries(self.canvas))
        canvas_bridge.set_units(self.canvas, self.settings.units)
        self._update_attribution()
        self._update_provenance()

    def _update_attribution(self) -> None:
        """Tell the canvas whether the cameras on it are OSM-derived.

        OSM layers say so themselves (see :func:`canvas_bridge.show_data`); the
        cameras are OSM data when the pack's existing cameras were imported from OSM,
        or the plan was made from such a pack (its ``attribution`` says so).
        """
        data = self.doc.data
        existing = (
            data is not None
            and bool(data.cameras_existing)
            and "cameras_existing" in data.osm_layers
        )
        plan_attr = str(self.doc.plan.meta.extra.get("attribution") or "").lower()
        planned = "openstreetmap" in plan_attr and bool(self.doc.plan.cameras)
        self.canvas.set_items_osm(existing or planned)
