"""The siting controller: camera items in step with the document, and the siting gestures.

:class:`SitingController` owns the camera items of :mod:`planner.app.siting.camera_items`,
follows the document's signals and turns gestures (drags, handles, nudges, rotations,
add camera) into proposals to :meth:`PlanDocument.propose`. During a drag the latest
pose is stored and re-checked at most once per frame by a coalescing timer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from planner.app.siting.camera_items import CameraItem, ConeItem, HandleItem
from planner.app.siting.camera_style import Z_ARCS
from planner.app.siting.document import PlanDocument
from planner.app.siting.poses import moved, rotated
from planner.app.siting.scene_paths import from_scene, geometry_path, plain_cone_path, to_scene
from planner.app.siting.wording import view_note
from planner.core.geometry import angular_difference, bearing_deg
from planner.core.model import Camera, CameraResult, CameraStatus

#: A press that moves less than this many pixels before release is a click, not a drag.
CLICK_SLOP_PX = 3.0


class SitingController(QObject):
    """Keeps the camera items in step with the document and runs the siting gestures.

    Parameters
    ----------
    doc
        The document; all changes go through :meth:`PlanDocument.propose`.
    scene
        The canvas scene the items live in.
    frame_ms
        The live re-check coalescing interval during drags (one frame).
    """

    properties_requested = Signal(str)
    selection_changed = Signal()
    drag_status = Signal(str, object)  # camera id, live Severity
    #: A camera symbol or label moved, changed, came or went (the map places labels again).
    labels_changed = Signal()

    def __init__(
        self,
        doc: PlanDocument,
        scene: QGraphicsScene,
        *,
        frame_ms: int = 16,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.scene = scene
        self.bodies: dict[str, CameraItem] = {}
        self.cones: dict[str, ConeItem] = {}
        self.handles = {role: HandleItem(self, role) for role in ("rotate", "fov", "range")}
        for h in self.handles.values():
            scene.addItem(h)
            h.hide()
        self.arcs = QGraphicsPathItem()
        self.arcs.setZValue(Z_ARCS)
        self.arcs.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        pen = QPen(QColor(0, 140, 70, 220), 7)
        pen.setCosmetic(True)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        self.arcs.setPen(pen)
        scene.addItem(self.arcs)
        self.arcs.hide()
        self.show_allowed = False
        self.resolution = 1.0  # metres per pixel of the view, for the cameras' detail
        #: Whether the camera items paint their own labels (the map places them instead
        #: once :func:`planner.app.siting.map_labels.connect_map_labels` is called).
        self.item_labels = True
        self.recheck_ms: list[float] = []  # live re-check durations, for the benchmark
        self._drag: dict[str, Any] | None = None
        self._pending: list[Camera] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(frame_ms)
        self._timer.timeout.connect(self._live_recheck)
        doc.camera_added.connect(self._on_added)
        doc.camera_removed.connect(self._on_removed)
        doc.camera_changed.connect(self._on_changed)
        doc.result_changed.connect(self._on_result)
        doc.results_reset.connect(self._on_results_reset)
        doc.plan_reset.connect(self.rebuild)
        scene.selectionChanged.connect(self._on_selection)
        self.rebuild()

    # -- building items --------------------------------------------------------------------
    def rebuild(self) -> None:
        for cid in list(self.bodies):
            self._drop_items(cid)
        if self.doc.projector is None:
            return
        editable = set(self.doc.plan.ids())  # one set, not a scan of the plan per camera
        for cam in self.doc.all_cameras():
            self._make_items(cam, editable=cam.id in editable)  # with their current results

    def _make_items(self, cam: Camera, *, editable: bool | None = None) -> None:
        if editable is None:
            editable = self.doc.is_editable(cam.id)
        body = CameraItem(self, cam, editable=editable)
        cone = ConeItem(cam.id)
        self.scene.addItem(cone)
        self.scene.addItem(body)
        self.bodies[cam.id], self.cones[cam.id] = body, cone
        self._place(cam)

    def _drop_items(self, cid: str) -> None:
        for store in (self.bodies, self.cones):
            item = store.pop(cid, None)
            if item is not None:
                self.scene.removeItem(item)
        self.labels_changed.emit()

    def _place(
        self, cam: Camera, result: CameraResult | None = None, *, preview: bool = False
    ) -> None:
        """Put ``cam``'s items at its pose; cone from ``result`` or the plain cone."""
        proj = self.doc.projector
        body, cone = self.bodies.get(cam.id), self.cones.get(cam.id)
        if proj is None or body is None or cone is None:
            return
        x, y = proj.point(cam.lon, cam.lat)
        if body.camera.label != cam.label or body.camera.heading_deg != cam.heading_deg:
            body.camera = cam
            body.refresh_geometry()
        body.camera = cam
        body.setPos(to_scene(x, y))
        if result is None and not preview:
            result = self.doc.results.get(cam.id)
        geom = (
            None
            if result is None
            else (result.visible if result.visible is not None else result.cone)
        )
        cone.setPath(plain_cone_path(cam) if geom is None else geometry_path(geom, origin=(x, y)))
        cone.setPos(to_scene(x, y))
        removed = cam.status is CameraStatus.REMOVED
        if result is not None:
            cone.set_status(result.status, removed=removed)
            body.set_status(result.status)
            # hovering a camera with no cone drawn says why (a bare ✓ would not)
            note = view_note(result)
            name = cam.label or cam.id
            body.setToolTip(f"{name}: {note}" if note else name)
        body.update()
        self.labels_changed.emit()
        if body.isSelected():
            # The allowed-heading arcs cost up to ~50 ms on a citywide pack: not every
            # drag frame; they are hidden while dragging and redrawn on the drop.
            self._place_handles(cam, arcs=not preview)

    def _place_handles(self, cam: Camera | None, *, arcs: bool = True) -> None:
        proj = self.doc.projector
        if cam is None or proj is None or not self.doc.is_editable(cam.id):
            for h in self.handles.values():
                h.hide()
            self.arcs.hide()
            return
        x, y = proj.point(cam.lon, cam.lat)
        heading = cam.heading_deg or 0.0
        r = cam.range_m

        def at(bearing: float, dist: float) -> QPointF:
            b = math.radians(bearing)
            return to_scene(x + dist * math.sin(b), y + dist * math.cos(b))

        self.handles["rotate"].setPos(at(heading, r * 0.55))
        self.handles["range"].setPos(at(heading, r))
        self.handles["fov"].setPos(at(heading + min(cam.fov_deg, 359.0) / 2.0, r * 0.8))
        for h in self.handles.values():
            h.show()
        if arcs:
            self._update_arcs(cam)
        else:
            self.arcs.hide()

    def _update_arcs(self, cam: Camera) -> None:
        checker = self.doc.checker
        if not self.show_allowed or checker is None:
            self.arcs.hide()
            return
        proj = self.doc.projector
        assert proj is not None  # a checker comes with its data
        x, y = proj.point(cam.lon, cam.lat)
        radius = cam.range_m * 1.08
        path = QPainterPath()
        for start, end in checker.allowed_headings(cam):
            span = (end - start) % 360.0 or 360.0
            n = max(2, int(span / 2.0) + 1)
            bearings = np.radians(start + np.linspace(0.0, span, n))
            pts = [QPointF(radius * math.sin(b), -radius * math.cos(b)) for b in bearings]
            path.moveTo(pts[0])
            for p in pts[1:]:
                path.lineTo(p)
        self.arcs.setPath(path)
        self.arcs.setPos(to_scene(x, y))
        self.arcs.setToolTip("Compliant headings from here")
        self.arcs.show()

    # -- document signals ------------------------------------------------------------------
    def _on_added(self, cid: str) -> None:
        if cid not in self.bodies and self.doc.projector is not None:
            self._make_items(self.doc.any_camera(cid))

    def _on_removed(self, cid: str) -> None:
        self._drop_items(cid)
        self._on_selection()

    def _on_changed(self, cid: str) -> None:
        if cid in self.bodies:
            self._place(self.doc.any_camera(cid))

    def _on_result(self, cid: str) -> None:
        if cid in self.bodies and (self._drag is None or cid not in self._drag["ids"]):
            self._place(self.doc.any_camera(cid))

    def _on_results_reset(self) -> None:
        for cid in self.bodies:
            self._place(self.doc.any_camera(cid))

    def _on_selection(self) -> None:
        try:
            sel = self.selected_ids()
        except RuntimeError:  # the scene is being destroyed with its items
            return
        self._place_handles(
            self.doc.camera(sel[0]) if len(sel) == 1 and self.doc.has_camera(sel[0]) else None
        )
        self.labels_changed.emit()  # the selection is labelled at every zoom
        self.selection_changed.emit()

    # -- selection -------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return [cid for cid, item in self.bodies.items() if item.isSelected()]

    def selected_editable(self) -> list[str]:
        return [cid for cid in self.selected_ids() if self.doc.is_editable(cid)]

    def select(self, ids: Sequence[str]) -> None:
        self.scene.clearSelection()
        for cid in ids:
            if cid in self.bodies:
                self.bodies[cid].setSelected(True)

    def select_in_rect(self, rect: QRectF, extend: bool = False) -> list[str]:
        """Select the cameras whose position lies in the scene ``rect`` (a rubber band).

        With ``extend`` they are added to the selection; otherwise they replace it.
        Returns the selected ids.
        """
        inside = [
            cid
            for cid, body in self.bodies.items()
            if body.isVisible() and rect.contains(body.pos())
        ]
        keep = self.selected_ids() if extend else []
        self.select(list(dict.fromkeys([*keep, *inside])))
        return self.selected_ids()

    def select_next(self, step: int = 1) -> str | None:
        ids = self.doc.plan.ids()
        if not ids:
            return None
        sel = self.selected_ids()
        i = ids.index(sel[0]) + step if sel and sel[0] in ids else 0
        cid = ids[i % len(ids)]
        self.select([cid])
        return cid

    def set_resolution(self, m_per_px: float) -> None:
        """The view's zoom changed: cameras drop labels, then symbols, as it widens."""
        self.resolution = float(m_per_px)
        for body in self.bodies.values():
            body.refresh_geometry()

    def set_show_allowed(self, on: bool) -> None:
        self.show_allowed = on
        self._on_selection()

    # -- drags -----------------------------------------------------------------------------
    def begin_drag(self, scene_pos: QPointF) -> bool:
        ids = self.selected_editable()
        if not ids or self.doc.projector is None:
            return False
        self._drag = {
            "kind": "move",
            "ids": ids,
            "start": from_scene(scene_pos),
            "press": from_scene(scene_pos),
            "moved": False,
            "before": [self.doc.camera(i) for i in ids],
        }
        return True

    def begin_handle(self, role: str, scene_pos: QPointF | None = None) -> bool:
        ids = self.selected_editable()
        if len(ids) != 1:
            return False
        press = None if scene_pos is None else from_scene(scene_pos)
        self._drag = {
            "kind": role,
            "ids": ids,
            "start": None,
            "press": press,
            "moved": press is None,
            "before": [self.doc.camera(ids[0])],
        }
        return True

    def _moved_enough(self, scene_pos: QPointF) -> bool:
        """Whether the pointer left the click slop around the press (a real drag)."""
        assert self._drag is not None
        if self._drag["moved"]:
            return True
        px, py = self._drag["press"]
        mx, my = from_scene(scene_pos)
        if math.hypot(mx - px, my - py) / max(self.resolution, 1e-9) >= CLICK_SLOP_PX:
            self._drag["moved"] = True
        return self._drag["moved"]

    def _preview_poses(self, scene_pos: QPointF) -> list[Camera]:
        assert self._drag is not None
        proj = self.doc.projector
        assert proj is not None  # cameras on the map come with their data
        mx, my = from_scene(scene_pos)
        kind, before = self._drag["kind"], self._drag["before"]
        if kind == "move":
            sx, sy = self._drag["start"]
            return [moved(c, proj, mx - sx, my - sy) for c in before]
        cam = before[0]
        x, y = proj.point(cam.lon, cam.lat)
        if kind == "rotate":
            return [cam.with_pose(heading_deg=round(bearing_deg(x, y, mx, my), 1))]
        if kind == "fov":
            half = angular_difference(bearing_deg(x, y, mx, my), cam.heading_deg or 0.0)
            return [cam.with_pose(fov_deg=round(min(360.0, max(1.0, 2.0 * half)), 1))]
        dist = math.hypot(mx - x, my - y)
        return [cam.with_pose(range_m=round(min(2000.0, max(1.0, dist)), 1))]

    def drag_to(self, scene_pos: QPointF) -> None:
        """Show the new pose at once (plain cone) and queue a live re-check for this frame."""
        if self._drag is None or not self._moved_enough(scene_pos):
            return  # still a click: nothing changes, nothing is previewed
        poses = self._preview_poses(scene_pos)
        self._pending = poses
        self._drag["last"] = poses
        for cam in poses:
            self._place(cam, preview=True)
        if not self._timer.isActive():
            self._timer.start()

    def _live_recheck(self) -> None:
        poses, self._pending = self._pending, None
        if not poses:
            return
        for cam in poses:
            t0 = time.perf_counter()
            result = self.doc.evaluate(cam)
            self.recheck_ms.append((time.perf_counter() - t0) * 1000.0)
            if result is not None:
                self._place(cam, result, preview=True)
                self.drag_status.emit(cam.id, result.status)

    def end_drag(self) -> bool:
        """Commit the drag through the gate; a refused one snaps back. Returns committed."""
        drag, self._drag = self._drag, None
        self._timer.stop()
        poses, self._pending = self._pending, None
        if drag is None:
            return False
        before: list[Camera] = drag["before"]
        if not drag["moved"]:
            return False  # a click selects, nothing more
        after = poses or drag.get("last") or before
        if all(a.pose == b.pose for a, b in zip(after, before, strict=True)):
            for cam in before:
                self._place(cam)
            return False
        kind = drag["kind"]
        text = {
            "move": "Move",
            "rotate": "Rotate",
            "fov": "Change field of view of",
            "range": "Change range of",
        }[kind]
        label = ", ".join(c.id for c in before)
        outcome = self.doc.propose(before, after, action=kind, text=f"{text} {label}")
        if not outcome.committed:
            for cam in before:  # back to the last committed pose
                self._place(self.doc.camera(cam.id))
        return outcome.committed

    @property
    def dragging(self) -> bool:
        return self._drag is not None

    # -- keyboard --------------------------------------------------------------------------
    def nudge(self, dx: float, dy: float) -> bool:
        ids = self.selected_editable()
        proj = self.doc.projector
        if not ids or proj is None:
            return False
        before = [self.doc.camera(i) for i in ids]
        after = [moved(c, proj, dx, dy) for c in before]
        out = self.doc.propose(
            before,
            after,
            action="move",
            text=f"Nudge {', '.join(ids)}",
            merge_key="nudge:" + ",".join(ids),
        )
        return out.committed

    def rotate_selected(self, delta_deg: float) -> bool:
        ids = self.selected_editable()
        if not ids:
            return False
        before = [self.doc.camera(i) for i in ids]
        after = [rotated(c, delta_deg) for c in before]
        out = self.doc.propose(
            before,
            after,
            action="rotate",
            text=f"Rotate {', '.join(ids)}",
            merge_key="rotate:" + ",".join(ids),
        )
        return out.committed

    def rotate_to_allowed(self) -> bool:
        ids = self.selected_editable()
        checker = self.doc.checker
        if len(ids) != 1 or checker is None:
            return False
        cam = self.doc.camera(ids[0])
        heading = checker.nearest_allowed_heading(cam)
        if heading is None:
            self.doc.set_message(f"No compliant heading for {cam.id} at this position")
            return False
        out = self.doc.propose(
            [cam],
            [cam.with_pose(heading_deg=float(heading))],
            action="rotate",
            text=f"Rotate {cam.id} to an allowed heading",
        )
        return out.committed

    # -- adding ----------------------------------------------------------------------------
    def add_camera_at(
        self,
        x: float,
        y: float,
        *,
        fov_deg: float,
        range_m: float,
        model: str | None = None,
        capabilities: Sequence[str] = (),
    ) -> str | None:
        """Add a camera at the street point nearest (x, y), facing along the street."""
        proj = self.doc.projector
        if proj is None:
            return None
        heading: float | None = 0.0
        data = self.doc.data
        network = None if data is None else data.street_network
        snap = None if network is None else network.snap(x, y)
        if snap is not None:
            x, y, heading = snap.x, snap.y, float(snap.bearing_deg) % 360.0
        lon, lat = proj.lonlat(x, y)
        cid = self.doc.plan.next_id()
        cam = Camera(
            id=cid,
            lon=lon,
            lat=lat,
            heading_deg=heading,
            fov_deg=fov_deg,
            range_m=range_m,
            model=model,
            capabilities=tuple(capabilities),
            label=cid if snap is None else f"{cid} {snap.name}".strip(),
        )
        out = self.doc.propose([], [cam], action="add", text=f"Add camera {cid}", add=True)
        if not out.committed:
            return None
        self.select([cid])
        return cid
