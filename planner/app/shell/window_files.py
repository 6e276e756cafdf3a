"""The main window's file actions: new, open, recent plans, save, save as, add layers.

Saving never loses work: a bundled plan is saved as a copy, a failed write keeps the plan in
memory and in the recovery file, and what another program recorded meanwhile is merged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from planner.app.siting.dialogs import LAYER_FILTER, PACK_FILTER, PLAN_FILTER
from planner.app.siting.loading import is_bundled, user_documents_dir
from planner.app.siting.provenance import pack_digest, record_check, relink
from planner.core.errors import InputError
from planner.core.model import Plan, PlanMeta
from planner.io.formats.plan import PackLink, read_pack_link

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow, QMenu

    from planner.app.common.settings import AppSettings
    from planner.app.shell.banner import Banner
    from planner.app.shell.gis_tools import GisTools
    from planner.app.shell.recovery import Autosaver
    from planner.app.siting.dialogs import Prompter
    from planner.app.siting.document import PlanDocument
    from planner.app.siting.properties_panel import PropertiesPanel
    from planner.app.siting.siting_controller import SitingController
    from planner.core.model import Policy
    from planner.io.formats.plan_lock import SaveOutcome

    _WindowBase = QMainWindow
else:
    _WindowBase = object

_log = logging.getLogger("planner")


class WindowFiles(_WindowBase):
    """Part of :class:`~planner.app.shell.main_window.MainWindow`: the plan's file actions."""

    # what this part uses of the rest of the window
    doc: PlanDocument
    settings: AppSettings
    policy: Policy
    prompter: Prompter
    controller: SitingController
    gis: GisTools
    autosaver: Autosaver
    notice: Banner
    data_banner: Banner
    properties_panel: PropertiesPanel
    plan_link: PackLink | None
    disk_sha256: dict[Path, str]
    data_state: str
    data_issues: list[str]
    extra_sites: list[Path]
    extra_buildings: list[Path]
    recent_menu: QMenu
    show_notice: Callable[[str], None]
    load: Callable[..., None]
    pack_for: Callable[[Plan | None, Path | None], Path | None]
    _update_title: Callable[..., None]
    _update_provenance: Callable[[], None]

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        if not self.doc.dirty:
            return True
        name = self.doc.path.name if self.doc.path else "the untitled plan"
        answer = self.prompter.unsaved_changes(name)
        if answer == "save":
            return self.save()
        return answer == "discard"

    def plan_folder(self) -> Path | None:
        """The open plan's folder, where its file dialogs start (None: new or bundled)."""
        path = self.doc.path
        if path is None or is_bundled(path):
            return None
        return Path(path).resolve().parent

    def new_plan(self) -> None:
        """An empty plan over the data in force; nothing of the previous plan is kept."""
        if not self.maybe_save():
            return
        from planner.app.siting.document import now_iso

        self.autosaver.clear()
        self.plan_link = None
        self.notice.clear()
        self.doc.load_plan(Plan(meta=PlanMeta(created=now_iso())), None)
        self._forget_plan()
        if self.data_issues:
            # the banner was about the previous plan's data; a new plan names none yet
            self.data_banner.clear()
            self.data_issues = []
            self.doc.withheld = ""
            self.data_state = "No data loaded" if self.doc.checker is None else self.data_state
        self._update_provenance()

    def _forget_plan(self) -> None:
        """Clear the panels that showed the previous plan's things (New, Open)."""
        self.gis.forget_plan()
        self.controller.select([])
        self.properties_panel.set_camera(None)
        self.statusBar().clearMessage()

    def open_plan_dialog(self) -> None:
        if not self.maybe_save():
            return
        path = self.prompter.open_path("Open siting plan", PLAN_FILTER, kind="plan")
        if path is not None:
            self.open_plan(path)

    def open_plan(self, path: Path, *, wait: bool = False) -> None:
        self.autosaver.clear()
        self.load(plan_path=path, pack=None, wait=wait)

    def _recent_menu(self, menu: QMenu) -> None:
        self.recent_menu = menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()

    def _fill_recent(self) -> None:
        """The recent plans, each once, with its folder (two plans may share a name).

        Refilled whenever a plan is opened or saved: a disabled menu never shows, so
        filling it only when it opens would leave it disabled for the first session.
        """
        self.recent_menu.clear()
        seen: set[Path] = set()
        recent = []
        for path in self.settings.recent_files:
            key = Path(path).resolve()
            if key not in seen:
                seen.add(key)
                recent.append(key)
        home = Path.home()
        for i, path in enumerate(recent, 1):
            folder = path.parent
            try:
                where = "~/" + str(folder.relative_to(home)) if folder != home else "~"
            except ValueError:
                where = str(folder)
            # "&&": a literal ampersand in a menu text
            label = f"{path.name}  —  {where}".replace("&", "&&")
            act = self.recent_menu.addAction(f"&{i % 10} {label}" if i <= 10 else label)
            act.setToolTip(str(path))
            act.setStatusTip(str(path))
            act.triggered.connect(lambda _c=False, p=path: self._open_recent(p))
        self.recent_menu.setEnabled(bool(recent))

    def _open_recent(self, path: Path) -> None:
        if not path.is_file():
            self.prompter.error("Open recent", f"{path}: the file no longer exists")
            self.settings.remove_recent_file(path)
            return
        if self.maybe_save():
            self.open_plan(path)

    def save(self) -> bool:
        """Save in place; a new or bundled plan (the demo) is saved as a copy instead."""
        if self.doc.path is None or is_bundled(self.doc.path):
            return self.save_as()
        return self.save_to(self.doc.path)

    def save_as(self) -> bool:
        path = self.doc.path
        if path is None:
            from planner.io.safety.paths import suggested_file_name

            # the plan's name is text from a file: a bare file name, never a path; the
            # dialog puts it in the folder plans were last saved in, else Documents
            suggestion = suggested_file_name(self.doc.plan.meta.name)
        elif is_bundled(path):
            # bundled files are read-only: a copy goes to the user's documents folder
            suggestion = str(user_documents_dir() / path.name)
        else:
            suggestion = str(path)
        target = self.prompter.save_path("Save siting plan", PLAN_FILTER, suggestion, kind="plan")
        return False if target is None else self.save_to(target)

    def save_to(self, path: Path) -> bool:
        """Save the plan to ``path`` under its lock; False when it was not saved (user told)."""
        from planner.io.formats.plan_lock import save_plan

        path = Path(path)
        if is_bundled(path):
            self.prompter.error(
                "Cannot save",
                f"{path}: this folder holds the planner's bundled files, which are read-only; "
                f"save the plan in your documents folder ({user_documents_dir()}) instead",
            )
            return False
        self._stamp_provenance(path)
        key = path.resolve()
        same = self.doc.path is not None and Path(self.doc.path).resolve() == key
        try:
            # under the plan's lock; decisions or audit entries another program
            # (review --decide, the review window) wrote meanwhile are merged, not lost
            outcome = save_plan(
                self.doc.plan, path, expected_sha256=self.disk_sha256.get(key) if same else None
            )
        except (OSError, InputError) as exc:
            # The plan stays in memory and in the recovery file: nothing is lost.
            _log.warning("save failed: %s: %s", path, exc)
            self.prompter.error("Cannot save", str(exc))
            return False
        self._saved(path, outcome)
        return True

    def _stamp_provenance(self, path: Path) -> None:
        """Link the plan to the pack in force and record the check, before it is written."""
        data = self.doc.data
        meta = self.doc.plan.meta
        withheld = bool(self.data_issues)
        pack = None if data is None or withheld else data.pack_path
        relink(
            meta,
            pack=None if pack is None else Path(pack),
            sha256=pack_digest(data) if pack is not None else None,
            link=self.plan_link,
            old_plan=self.doc.path,
            new_plan=path,
        )
        if data is not None and data.checker is not None and not withheld and self.doc.results:
            results = self.doc.results
            record_check(
                meta,
                policy=self.policy,
                data=data,
                statuses={
                    c.id: str(results[c.id].status)
                    for c in self.doc.plan.cameras
                    if c.id in results
                },
            )

    def _saved(self, path: Path, outcome: SaveOutcome) -> None:
        """After a save: the document is clean at ``path``, and the recent files know it."""
        _log.info("saved plan %s", path)
        self.disk_sha256[path.resolve()] = outcome.sha256
        if outcome.merged:
            _log.info("merged into %s: %s", path, outcome.message())
            self.show_notice(outcome.message())
        self.plan_link = read_pack_link(self.doc.plan.meta, source=str(path))
        self.autosaver.clear()
        self.doc.set_path(Path(path))
        self.doc.undo_stack.setClean()
        self.settings.add_recent_file(Path(path))
        self.settings.last_project = Path(path).resolve()
        self._fill_recent()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self._update_title()

    def open_pack_dialog(self) -> None:
        path = self.prompter.open_path("Open data pack", PACK_FILTER, kind="pack")
        if path is not None:
            self.load(plan_path=None, pack=path)

    def add_sites_dialog(self) -> None:
        path = self.prompter.open_path("Add sites layer", LAYER_FILTER, kind="layer")
        if path is not None:
            self.extra_sites.append(path)
            self.load(plan_path=None, pack=self.pack_for(None, None))

    def add_buildings_dialog(self) -> None:
        path = self.prompter.open_path("Add buildings layer", LAYER_FILTER, kind="layer")
        if path is not None:
            self.extra_buildings.append(path)
            self.load(plan_path=None, pack=self.pack_for(None, None))
