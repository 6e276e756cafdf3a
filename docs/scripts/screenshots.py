"""Regenerate the README's screenshots: ``python docs/scripts/screenshots.py docs/screenshots``.

Writes, into the folder given:

- ``demo.png``: the embedded demo as it opens;
- ``live_drag.png``: camera C-4 dragged with the mouse onto Birch St, facing the
  entrance of the demo church, before the drop: the live re-check paints its cone
  as blocked;
- ``refused_drag.png``: the same after the drop: refused, the camera back at its
  last committed pose, and the message naming the site, entrance and rule;
- with ``--real-plan PLAN`` (an existing-cameras plan from ``import --existing-plan``
  beside its pack): ``real_provenance.png``, ``real_refusal.png``, ``real_justify.png``
  and ``real_missing_pack.png`` (see :func:`shoot_real_work`);
- ``citywide.png``: the citywide benchmark pack (``benchmarks/pack_bench.py`` writes
  ``citywide-*.gpkg`` into ``~/.cache/siting-planner-bench/`` or
  ``$SITING_BENCH_CACHE``), skipped with a note when there is none, and
  ``citywide_street.png``, the same pack at street zoom around its blocked camera.

Run it with a real display for faithful fonts, e.g. under Xvfb:
``Xvfb :99 -screen 0 1600x1000x24 & DISPLAY=:99 QT_QPA_PLATFORM=xcb python -m ...``.
Settings and recovery files go to a temporary folder, never the user's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SIZE = (1400, 900)
DRAG_CAMERA = "C-4"
#: Where C-4 is dropped: on Birch St, 35 m west of the church's entrance e1, facing it.
DRAG_TARGET_OFFSET_M = (-35.0, -3.0)
#: Where the street-zoom view of the citywide pack is centred (downtown San José).
DOWNTOWN = (-121.8880, 37.3350)
#: The demo church whose entrance the drag aims at.
CHURCH_ENTRANCE = "demo-pow-1/e1"


def bench_cache() -> Path:
    return Path(
        os.environ.get("SITING_BENCH_CACHE", Path.home() / ".cache" / "siting-planner-bench")
    )


def citywide_pack() -> Path | None:
    """The newest ``citywide-*.gpkg`` the pack benchmark left in its cache, if any."""
    folder = bench_cache()
    packs = sorted(folder.glob("citywide-*.gpkg"), key=lambda p: p.stat().st_mtime)
    return packs[-1] if packs else None


def _pump(ms: int) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.perf_counter() + ms / 1000.0
    while time.perf_counter() < deadline:
        QApplication.processEvents()
        time.sleep(0.002)


def _entrance_xy(window: Any, entrance_id: str) -> tuple[float, float]:
    proj = window.doc.projector
    for site in window.doc.data.sites:
        for e in site.entrances:
            if e.id == entrance_id:
                return proj.point(e.lon, e.lat)
    msg = f"the demo has no entrance {entrance_id!r}"
    raise LookupError(msg)


def shoot_drag(window: Any, out: Path) -> list[Path]:
    """Drag C-4 into the church entrance with mouse events; capture during and after."""
    from PySide6.QtCore import QPoint, QRectF, Qt
    from PySide6.QtTest import QTest

    doc, canvas = window.doc, window.canvas
    proj = doc.projector
    cam = doc.camera(DRAG_CAMERA)
    cx, cy = proj.point(cam.lon, cam.lat)
    ex, ey = _entrance_xy(window, CHURCH_ENTRANCE)
    tx, ty = ex + DRAG_TARGET_OFFSET_M[0], ey + DRAG_TARGET_OFFSET_M[1]
    # the camera, where it goes and the church, with room for the cones
    x0, x1 = min(cx, tx, ex) - 90, max(cx, tx, ex) + 90
    y0, y1 = min(cy, ty, ey) - 90, max(cy, ty, ey) + 90
    canvas.zoom_to_rect(QRectF(x0, -y1, x1 - x0, y1 - y0))
    _pump(50)

    def view_pos(x: float, y: float) -> QPoint:
        return canvas.mapFromScene(canvas.to_scene(x, y))

    vp = canvas.viewport()
    start, end = view_pos(cx, cy), view_pos(tx, ty)
    window.controller.select([])
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    steps = 24
    for i in range(1, steps + 1):
        QTest.mouseMove(vp, start + (end - start) * (i / steps))
        _pump(20)  # a frame: the live re-check runs
    _pump(60)
    shots = [out / "live_drag.png"]
    window.screenshot(shots[0], size=SIZE, fit=False)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    _pump(60)
    if doc.camera(DRAG_CAMERA).pose != cam.pose:
        msg = "the scripted drag was committed; it should have been refused"
        raise RuntimeError(msg)
    shots.append(out / "refused_drag.png")
    window.screenshot(shots[1], size=SIZE, fit=False)
    return shots


def _warn_pose(window: Any, cam: Any) -> Any:
    """A heading of ``cam`` that gives a warning (for the justification dialog), or None."""
    for h in range(0, 360, 3):
        pose = cam.with_pose(heading_deg=float(h))
        res = window.doc.checker.check_camera(pose, with_geometry=False)
        if str(res.status) == "warn" and any(f.site_id for f in res.findings):
            return pose
    return None


def shoot_real_work(window: Any, out: Path, plan: Path) -> list[Path]:
    """The real San José plan: provenance, a refusal, a justification, a missing pack.

    ``plan`` is an existing-cameras plan written by ``import --existing-plan`` beside
    its pack. Writes ``real_provenance.png``, ``real_refusal.png``, ``real_justify.png``
    and ``real_missing_pack.png``.
    """
    import json
    import shutil

    from PySide6.QtCore import QRectF

    from planner.app.siting.dialogs import JustificationDialog

    shots: list[Path] = []
    window.open_plan(plan, wait=True)
    window.wait_idle()
    doc = window.doc
    blocked = [r.camera_id for r in doc.results.values() if str(r.status) == "block"]
    if not blocked:
        msg = f"{plan}: no blocked camera; expected the real San José plan"
        raise RuntimeError(msg)
    cam = doc.any_camera(blocked[0])
    x, y = doc.projector.point(cam.lon, cam.lat)
    window.docks["provenance"].show()
    window.docks["provenance"].raise_()
    window.controller.select([cam.id])

    def frame() -> None:
        window.canvas.zoom_to_rect(QRectF(x - 160, -y - 100, 320, 200))

    window.resize(*SIZE)
    _pump(50)
    frame()
    shots.append(out / "real_provenance.png")
    window.screenshot(shots[-1], size=SIZE, fit=False)

    # a refusal: a longer range would take more of the zone
    panel = window.properties_panel
    panel.set_camera(cam.id)
    panel.range.setText(f"{min(2000.0, cam.range_m * 2):g}")
    panel.apply_button.click()
    _pump(50)
    frame()
    shots.append(out / "real_refusal.png")
    window.screenshot(shots[-1], size=SIZE, fit=False)
    panel.revert_button.click()
    window.notice.dismiss()

    # the justification dialog for a warned pose, as the user sees it
    pose = _warn_pose(window, cam)
    if pose is not None:
        res = doc.checker.check_camera(pose, with_geometry=False)
        warn = [f for f in res.findings if str(f.severity) == "warn"]
        dlg = JustificationDialog(
            f"Rotate {cam.id}: this placement gives warnings. Why is it acceptable?",
            warn,
            window,
            sentences=[doc.describe(f, pose) for f in warn],
            camera_ids=[cam.id],
        )
        dlg.edit.setPlainText("ok")
        dlg.show()
        _pump(100)
        shots.append(out / "real_justify.png")
        dlg.grab().save(str(shots[-1]), "PNG")
        dlg.close()

    # the plan moved away from its pack: a banner, and no result
    moved = Path(window.settings.store.fileName()).parent / "moved"
    moved.mkdir(exist_ok=True)
    copy = moved / plan.name
    shutil.copy(plan, copy)
    data = json.loads(copy.read_text(encoding="utf-8"))
    link = data["siting_plan"].get("data_pack") or {}
    if isinstance(link, dict):
        link["absolute"] = str(moved / "gone" / Path(link.get("path", "pack.gpkg")).name)
        data["siting_plan"]["data_pack"] = link
    copy.write_text(json.dumps(data), encoding="utf-8")
    window.open_plan(copy, wait=True)
    window.wait_idle()
    shots.append(out / "real_missing_pack.png")
    window.screenshot(shots[-1], size=SIZE, fit=True)
    window.docks["findings"].raise_()
    return shots


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python docs/scripts/screenshots.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument(
        "--real-plan",
        type=Path,
        default=None,
        help="an existing-cameras plan made by import --existing-plan beside "
        "its pack: adds the real_*.png screenshots",
    )
    parser.add_argument(
        "--only-real", action="store_true", help="with --real-plan: only the real_*.png screenshots"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    tmp = tempfile.TemporaryDirectory(prefix="siting-screens-")
    os.environ["SITING_PLANNER_SETTINGS"] = str(Path(tmp.name) / "settings.ini")
    os.environ["SITING_PLANNER_RECOVERY_DIR"] = str(Path(tmp.name) / "recovery")

    from planner.app.shell.main import _application, _screenshot_prompter, create_window

    app = _application()
    window: Any = create_window(prompter=_screenshot_prompter(), autosave_ms=3_600_000)
    window.resize(*SIZE)
    window.show()
    app.processEvents()
    written: list[Path] = []

    if args.real_plan is not None:
        written += shoot_real_work(window, out, args.real_plan)
        window.doc.undo_stack.setClean()
        window.settings.last_project = None  # the demo next, not the last plan opened
        if args.only_real:
            window.close()
            for path in written:
                print(path)
            tmp.cleanup()
            return 0
    window.start_up(plan=None, data=None, wait=True, recover=False)
    window.wait_idle()
    written.append(out / "demo.png")
    window.screenshot(written[-1], size=SIZE)
    written += shoot_drag(window, out)
    window.notice.hide()

    pack = citywide_pack()
    if pack is None:
        print(
            f"note: no citywide pack in {bench_cache()} (run benchmarks/pack_bench.py); "
            "citywide.png skipped"
        )
    else:
        window.doc.undo_stack.setClean()
        window.new_plan()
        window.load(plan_path=None, pack=pack, wait=True)
        window.wait_idle()
        written.append(out / "citywide.png")
        window.screenshot(written[-1], size=SIZE)
        # the same pack at street zoom around its blocked camera (else downtown): real
        # footprints, streets, the site, the camera and its cone
        from PySide6.QtCore import QRectF

        doc = window.doc
        blocked = [r.camera_id for r in doc.results.values() if str(r.status) == "block"]
        if blocked:
            cam = doc.any_camera(blocked[0])
            window.controller.select([cam.id])
            x, y = doc.projector.point(cam.lon, cam.lat)
        else:
            x, y = doc.projector.point(*DOWNTOWN)
        window.canvas.zoom_to_rect(QRectF(x - 250, -y - 160, 500, 320))
        written.append(out / "citywide_street.png")
        window.screenshot(written[-1], size=SIZE, fit=False)
    window.doc.undo_stack.setClean()
    window.close()
    for path in written:
        print(path)
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
