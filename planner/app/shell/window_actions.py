"""The main window's actions, menus and tool bar, declared as tables and built in one loop.

:data:`ACTIONS` names every action (text, slot, shortcut), :data:`MENUS` and :data:`TOOLBAR`
list them; :class:`WindowActions` turns the tables into ``QAction`` objects on the window.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QToolBar

from planner.app.common import units

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

    from planner.app.common.settings import AppSettings
    from planner.app.siting.document import PlanDocument

    _WindowBase = QMainWindow
else:
    _WindowBase = object

#: Toolbar texts shorter than the menus': the whole toolbar fits 1,000 px, so no action
#: (rotate to the nearest allowed heading was one) is hidden behind its overflow arrow.
TOOLBAR_TEXT = {
    "add_mode": "Add camera",
    "fit": "Fit",
    "zoom_sel": "Zoom to selection",
    "check": "Check all",
    "allowed": "Allowed headings",
    "rotate_allowed": "Rotate to allowed",
}


@dataclass(frozen=True)
class ActionSpec:
    """One action of the main window: its name, menu text, slot and shortcut."""

    name: str
    text: str
    #: a method of the window, or a dotted path from it (``controller.rotate_to_allowed``)
    slot: str
    #: a standard key, a key sequence text, or several of them (all bound)
    shortcut: QKeySequence.StandardKey | str | tuple[QKeySequence.StandardKey | str, ...] | None = (
        None
    )
    checkable: bool = False
    tip: str = ""
    args: tuple[Any, ...] = ()


_S = QKeySequence.StandardKey
#: Every action of the main window except undo and redo (made by the undo stack).
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("new", "&New plan", "new_plan", _S.New),
    ActionSpec("open", "&Open plan…", "open_plan_dialog", _S.Open),
    ActionSpec("save", "&Save", "save", _S.Save),
    ActionSpec("save_as", "Save &as…", "save_as", _S.SaveAs),
    ActionSpec("open_pack", "Open &data pack…", "open_pack_dialog", "Ctrl+Shift+O"),
    ActionSpec("add_sites", "Add &sites layer…", "add_sites_dialog"),
    ActionSpec("add_buildings", "Add &buildings layer…", "add_buildings_dialog"),
    ActionSpec(
        "plan_properties",
        "Plan &properties…",
        "edit_plan_properties",
        tip="Plan name, author and department",
    ),
    ActionSpec(
        "user_identity", "User &identity…", "edit_user_identity", tip="Your name in the audit trail"
    ),
    ActionSpec("quit", "&Quit", "close", _S.Quit),
    ActionSpec(
        "review",
        "&Review plan…",
        "review_plan",
        tip="Open a plan read-only and record review decisions",
    ),
    ActionSpec(
        "export_review",
        "Export review re&port…",
        "export_review_report",
        tip="The review report of the saved plan (PDF/HTML)",
    ),
    ActionSpec(
        "add_mode",
        "&Add camera mode",
        "_toggle_add_mode",
        "A",
        checkable=True,
        tip="Click the map: the camera snaps to the nearest street",
    ),
    ActionSpec("add_here", "Add camera at &view centre", "add_camera_at_centre", "Insert"),
    ActionSpec("delete", "&Delete", "delete_selected", (_S.Delete, "Backspace")),
    ActionSpec("duplicate", "D&uplicate", "duplicate_selected", "Ctrl+D"),
    ActionSpec("next", "Select &next camera", "_select_step", "N", args=(1,)),
    ActionSpec("prev", "Select &previous camera", "_select_step", "Shift+N", args=(-1,)),
    ActionSpec("properties", "Camera &properties", "focus_properties", "Alt+Return"),
    ActionSpec("fit", "Zoom to &fit", "zoom_to_fit", "Ctrl+0"),
    ActionSpec("zoom_sel", "Zoom to &selection", "zoom_to_selection", "Ctrl+Shift+0"),
    ActionSpec("check", "Run full &check", "run_full_check", "F5"),
    ActionSpec("allowed", "Allowed &headings", "controller.set_show_allowed", "H", checkable=True),
    ActionSpec(
        "rotate_allowed",
        "&Rotate to nearest allowed heading",
        "controller.rotate_to_allowed",
        "Shift+H",
    ),
)

#: The menus, top to bottom: action names, None for a separator, ``@`` for a part the
#: window builds from its state (recent files, docks, units, camera models).
MENUS: tuple[tuple[str, tuple[str | None, ...]], ...] = (
    (
        "&File",
        (
            *("new", "open", "@recent", "save", "save_as", "plan_properties", None),
            *("open_pack", "add_sites", "add_buildings", None),
            *("review", "export_review", None, "quit"),
        ),
    ),
    ("&Edit", ("undo", "redo", None, "delete", "duplicate", "next", "prev", "properties")),
    ("&Siting", ("add_mode", "add_here", "allowed", "rotate_allowed", "check")),
    ("&View", ("fit", "zoom_sel", None, "@docks")),
    ("Se&ttings", ("user_identity", "@units", "@models")),
)

#: The main tool bar.
TOOLBAR: tuple[str | None, ...] = (
    *("new", "open", "save", None, "undo", "redo", None, "add_mode", "delete", "duplicate"),
    *(None, "allowed", "rotate_allowed", "check", None, "fit", "zoom_sel"),
)


class WindowActions(_WindowBase):
    """Part of :class:`~planner.app.shell.main_window.MainWindow`: its actions and menus."""

    # what this part uses of the rest of the window
    doc: PlanDocument
    settings: AppSettings
    catalogue: Any
    docks: dict[str, QDockWidget]
    actions_by_name: dict[str, QAction]
    default_model: Callable[[], Any]
    _recent_menu: Callable[[QMenu], None]
    _set_units: Callable[[str], None]
    _set_default_model: Callable[[str], None]

    def _action(
        self, text: str, slot: Any, shortcut: Any = None, *, checkable: bool = False, tip: str = ""
    ) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, list):
                act.setShortcuts(shortcut)
            else:
                act.setShortcut(QKeySequence(shortcut))
        act.setCheckable(checkable)
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        self.addAction(act)  # shortcuts work even with menus hidden
        return act

    def _build_actions(self) -> None:
        """Every action of :data:`ACTIONS`, then the menus and the tool bar that list them."""
        self.actions_by_name = {}
        for spec in ACTIONS:
            slot: Any = self
            for attr in spec.slot.split("."):
                slot = getattr(slot, attr)
            if spec.args:
                slot = functools.partial(slot, *spec.args)
            keys = spec.shortcut
            shortcut = [QKeySequence(k) for k in keys] if isinstance(keys, tuple) else keys
            self.actions_by_name[spec.name] = self._action(
                spec.text, slot, shortcut, checkable=spec.checkable, tip=spec.tip
            )
        S = QKeySequence.StandardKey
        undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(S.Undo)
        redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence(S.Redo), QKeySequence("Ctrl+Y")])
        self.addAction(undo)
        self.addAction(redo)
        self.actions_by_name["undo"], self.actions_by_name["redo"] = undo, redo
        self._build_menus()
        self._build_toolbar()

    def _build_menus(self) -> None:
        """The menus of :data:`MENUS`; ``@`` entries are built from the window's state."""
        special = {
            "@recent": self._recent_menu,
            "@docks": self._dock_actions,
            "@units": self._units_menu,
            "@models": self._models_menu,
        }
        for title, entries in MENUS:
            menu = self.menuBar().addMenu(title)
            for entry in entries:
                if entry is None:
                    menu.addSeparator()
                elif entry in special:
                    special[entry](menu)
                else:
                    menu.addAction(self.actions_by_name[entry])

    def _dock_actions(self, menu: QMenu) -> None:
        for dock in self.docks.values():
            menu.addAction(dock.toggleViewAction())

    def _units_menu(self, menu: QMenu) -> None:
        units_menu = menu.addMenu("Display &units")
        group = QActionGroup(self)
        for unit in units.UNITS:
            act = units_menu.addAction(unit)
            act.setCheckable(True)
            act.setChecked(self.settings.units == unit)
            act.triggered.connect(lambda _c=False, u=unit: self._set_units(u))
            group.addAction(act)

    def _models_menu(self, menu: QMenu) -> None:
        if self.catalogue is None:
            return
        models = menu.addMenu("Default camera &model")
        mgroup = QActionGroup(self)
        current = self.default_model().key
        for m in self.catalogue.models:
            act = models.addAction(m.label)
            act.setCheckable(True)
            act.setChecked(m.key == current)
            act.triggered.connect(lambda _c=False, k=m.key: self._set_default_model(k))
            mgroup.addAction(act)

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main")
        tb.setObjectName("toolbar_main")
        self.addToolBar(tb)
        a = self.actions_by_name
        for name in TOOLBAR:
            if name is None:
                tb.addSeparator()
                continue
            tb.addAction(a[name])
            if name in TOOLBAR_TEXT:
                a[name].setIconText(TOOLBAR_TEXT[name])
                text = a[name].text().replace("&", "")
                keys = a[name].shortcut()
                a[name].setToolTip(f"{text} ({keys.toString()})" if not keys.isEmpty() else text)
