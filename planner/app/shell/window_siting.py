"""The main window's siting actions: add, delete, duplicate and select cameras, zoom to
them, and the keys that nudge and rotate the selection on the map.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRectF, Qt

from planner.app.siting import canvas_bridge

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QKeyEvent
    from PySide6.QtWidgets import QDockWidget, QMainWindow

    from planner.app.map.canvas import MapCanvas
    from planner.app.shell.banner import Banner
    from planner.app.siting.document import PlanDocument
    from planner.app.siting.properties_panel import PropertiesPanel
    from planner.app.siting.siting_controller import SitingController
    from planner.core.model import Finding

    _WindowBase = QMainWindow
else:
    _WindowBase = object

NUDGE_M, NUDGE_BIG_M = 1.0, 10.0
ROTATE_DEG, ROTATE_BIG_DEG = 1.0, 15.0


class WindowSiting(_WindowBase):
    """Part of :class:`~planner.app.shell.main_window.MainWindow`: editing cameras on the map."""

    # what this part uses of the rest of the window
    doc: PlanDocument
    catalogue: Any
    canvas: MapCanvas
    controller: SitingController
    notice: Banner
    properties_panel: PropertiesPanel
    docks: dict[str, QDockWidget]
    actions_by_name: dict[str, QAction]
    default_model: Callable[[], Any]
    show_notice: Callable[[str], None]

    def _toggle_add_mode(self, on: bool) -> None:
        self.canvas.viewport().setCursor(
            Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor
        )
        if on:
            self.statusBar().showMessage("Add camera: click the map near a street (Esc ends)")
        else:
            self.statusBar().clearMessage()

    def _clicked_empty(self, x: float, y: float) -> None:
        if self.actions_by_name["add_mode"].isChecked():
            self.add_camera(x, y)

    def add_camera(self, x: float, y: float) -> str | None:
        model = self.default_model() if self.catalogue is not None else None
        fov = model.fov_deg if model else 90.0
        rng = model.range_m if model else 50.0
        caps = model.capabilities if model else ("plate_read",)
        return self.controller.add_camera_at(
            x, y, fov_deg=fov, range_m=rng, model=model.key if model else None, capabilities=caps
        )

    def add_camera_at_centre(self) -> str | None:
        centre = self.canvas.mapToScene(self.canvas.viewport().rect().center())
        return self.add_camera(centre.x(), -centre.y())

    def delete_selected(self) -> None:
        selected = self.controller.selected_ids()
        if not selected:
            self.statusBar().showMessage("Delete: select a camera of the plan first", 4000)
            return
        others = self.doc.delete_cameras(selected)
        if others:
            pack = self.doc.data.pack_path if self.doc.data is not None else None
            where = f"the data pack {Path(pack).name}" if pack is not None else "the data"
            self.show_notice(
                f"{', '.join(others)}: existing camera{'s' if len(others) > 1 else ''} from "
                f"{where}, not part of this plan, so not deleted. To plan its removal, open "
                "the plan of existing cameras made with the data pack (its "
                '"existing.plan.geojson"), select the camera and set its status to removed.'
            )

    def duplicate_selected(self) -> None:
        new = self.doc.duplicate_cameras(self.controller.selected_editable())
        if new:
            self.controller.select(new)

    def _select_step(self, step: int) -> None:
        cid = self.controller.select_next(step)
        if cid is not None:
            self.zoom_to_selection(keep_scale=True)

    def _selection_changed(self) -> None:
        sel = self.controller.selected_ids()
        self.properties_panel.set_camera(sel[0] if len(sel) == 1 else None)

    def focus_properties(self) -> None:
        self.docks["properties"].show()
        self.docks["properties"].raise_()
        self.properties_panel.label.setFocus()

    def _open_properties_for(self, camera_id: str) -> None:
        self.controller.select([camera_id])
        self.focus_properties()

    def _finding_activated(self, finding: Finding) -> None:
        self.zoom_to_finding(finding)
        self._open_properties_for(finding.camera_id)

    def zoom_to_fit(self) -> None:
        canvas_bridge.zoom_to_fit(self.canvas, self.doc)

    def _zoom_rect(self, rect: QRectF, *, keep_scale: bool = False) -> None:
        if keep_scale:
            self.canvas.centerOn(rect.center())
        else:
            canvas_bridge.zoom_to_rect(self.canvas, rect)

    def zoom_to_selection(self, *, keep_scale: bool = False) -> None:
        ids = self.controller.selected_ids()
        proj = self.doc.projector
        if not ids or proj is None:
            return
        rect = QRectF()
        for cid in ids:
            cam = self.doc.any_camera(cid)
            x, y = proj.point(cam.lon, cam.lat)
            r = cam.range_m
            rect = rect.united(QRectF(x - r, -y - r, 2 * r, 2 * r))
        self._zoom_rect(rect.adjusted(-20, -20, 20, 20), keep_scale=keep_scale)

    def zoom_to_finding(self, finding: Finding) -> None:
        """Select the finding's camera and show it together with the site."""
        proj, data = self.doc.projector, self.doc.data
        if proj is None or data is None:
            return
        self.controller.select([finding.camera_id])
        cam = self.doc.any_camera(finding.camera_id)
        x, y = proj.point(cam.lon, cam.lat)
        rect = QRectF(x - cam.range_m, -y - cam.range_m, 2 * cam.range_m, 2 * cam.range_m)
        site = next((s for s in data.sites if s.id == finding.site_id), None)
        if site is not None:
            x0, y0, x1, y1 = proj.project(site.geometry).bounds
            rect = rect.united(QRectF(x0, -y1, x1 - x0, y1 - y0))
        self._zoom_rect(rect.adjusted(-30, -30, 30, 30))

    def _map_key(self, event: QKeyEvent) -> bool:
        """Arrow keys nudge and [ ] rotate the selection; with nothing selected the map pans."""
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Escape:
            handled = False
            if self.actions_by_name["add_mode"].isChecked():
                self.actions_by_name["add_mode"].setChecked(False)
                self._toggle_add_mode(False)
                handled = True
            elif self.notice.isVisible():
                self.notice.dismiss()
                handled = True
            self.statusBar().clearMessage()
            return handled
        if not self.controller.selected_editable():
            return False
        big = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        step = NUDGE_BIG_M if big else NUDGE_M
        turn = ROTATE_BIG_DEG if big else ROTATE_DEG
        arrows: dict[int, tuple[float, float]] = {
            Qt.Key.Key_Left: (-step, 0.0),
            Qt.Key.Key_Right: (step, 0.0),
            Qt.Key.Key_Up: (0.0, step),
            Qt.Key.Key_Down: (0.0, -step),
        }
        if key in arrows:
            if ctrl:
                if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
                    self.controller.rotate_selected(-turn if key == Qt.Key.Key_Left else turn)
                    return True
                return False
            self.controller.nudge(*arrows[key])
            return True
        if key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BraceLeft):
            self.controller.rotate_selected(-turn)
            return True
        if key in (Qt.Key.Key_BracketRight, Qt.Key.Key_BraceRight):
            self.controller.rotate_selected(turn)
            return True
        return False
