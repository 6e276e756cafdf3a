"""Entry point of the desktop application (called by ``siting-planner`` without a subcommand)."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from planner.app.common.settings import APPLICATION, ORGANIZATION, AppSettings

if TYPE_CHECKING:
    from planner.app.shell.main_window import MainWindow
    from planner.app.siting.dialogs import Prompter


def _application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Siting planner")
    # Desktop files and installers name the icon too; this covers the title bar and the
    # task bar of a bundle started directly (assets/ sits beside data/ in every layout).
    from PySide6.QtGui import QIcon

    from planner.resources import data_dir

    icon = data_dir().parent / "assets" / "siting-planner.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def create_window(*, prompter: Prompter | None = None, autosave_ms: int = 60_000) -> MainWindow:
    """Build the main window (no data loaded yet).

    The policy and catalogue are the built-in ones unless the IT-managed system
    configuration (:mod:`planner.io.config.managed_config`) sets them; a locked setting is
    applied after the user's settings, so those cannot override it.
    """
    from planner.app.shell.main_window import MainWindow
    from planner.app.shell.managed import apply_to_window, managed_catalogue
    from planner.app.shell.network_ui import apply_setting, install_network_menu
    from planner.app.siting.loading import load_catalogue
    from planner.io.config.managed_config import load_managed_config
    from planner.io.config.managed_enforcement import managed_policy

    policy, config = managed_policy(load_managed_config())
    settings = AppSettings()
    # Before the window restores a web basemap: the network gate is set first.
    apply_setting(config, settings)
    window = MainWindow(
        settings=settings,
        policy=policy,
        catalogue=managed_catalogue(config, load_catalogue()),
        prompter=prompter,
        autosave_ms=autosave_ms,
    )
    apply_to_window(window, config)
    install_network_menu(window, config)
    logging.getLogger("planner").info(
        "app: policy %s version %s; settings %s",
        policy.id,
        policy.version,
        settings.store.fileName(),
    )
    return window


def _log_uncaught_errors() -> None:
    """Errors that reach Qt's event loop go to the log file with their traceback too."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        logging.getLogger("planner").error("uncaught error", exc_info=(kind, value, tb))
        previous(kind, value, tb)

    sys.excepthook = hook


def run_app(*, plan: Path | None, data: Path | None, screenshot: Path | None) -> int:
    """Open the main window; returns the process exit status.

    Parameters
    ----------
    plan
        A plan file to open; ``None`` opens the last project, else the embedded demo.
    data
        A data pack (GeoPackage) to load with it.
    screenshot
        When given: load everything, render the window to this PNG and exit 0
        (1 if the PNG could not be written).
    """
    t0 = time.perf_counter()
    _log_uncaught_errors()
    app = _application()
    from planner.core.errors import InputError

    try:
        window = create_window(prompter=_screenshot_prompter() if screenshot is not None else None)
    except InputError as exc:  # a broken built-in policy or catalogue override
        print(f"error: {exc}", file=sys.stderr)
        return 2
    window.t0 = t0
    window.show()
    # start_up first: the preview's read of the pack then runs on the worker while
    # the event loop lays out and paints the empty window (a question it asks, such
    # as recovering unsaved work, runs the event loop and shows the window anyway)
    window.start_up(plan=plan, data=data, wait=screenshot is not None, recover=screenshot is None)
    if screenshot is not None:
        window.wait_idle()
        ok = window.screenshot(screenshot)
        window.doc.undo_stack.setClean()
        window.close()
        return 0 if ok else 1
    return app.exec()


def _screenshot_prompter() -> Prompter:
    from planner.app.siting.dialogs import ScriptedPrompter

    class _Quiet(ScriptedPrompter):
        def error(self, title: str, text: str) -> None:
            print(f"error: {text}", file=sys.stderr)

    return _Quiet(recover=False, unsaved="discard")
