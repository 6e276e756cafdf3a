"""How a review window is opened: from the command line (``siting-planner review PLAN``)
and from the main window's File menu."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from planner.app.review.window import ReviewWindow
from planner.app.siting.dialogs import PLAN_FILTER


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
