"""The README's picture of the Propose panel on a real pack.

    xvfb-run -a .venv/bin/python docs/scripts/propose_shot.py PACK.gpkg OUT.png

Opens the window over ``PACK`` (the downtown San José pack of the README), zooms to
the blocks around Trinity Cathedral and First Unitarian, draws a target area there
with the Draw area tool, proposes 12 cameras with the Falcon and Falcon LR lenses
for the drawn area, solves the curve and saves the window. Settings and recovery
files go to a temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

#: The view (W, S, E, N): seven churches, the legality sweep has work to do.
VIEW = (-121.892, 37.336, -121.884, 37.341)
LENSES = ("flock_falcon", "flock_falcon_lr")
#: The drawn target area's corners (lon, lat), clicked in this order.
AREA = (
    (-121.8905, 37.3366),
    (-121.8858, 37.3370),
    (-121.8850, 37.3398),
    (-121.8878, 37.3406),
    (-121.8909, 37.3393),
)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        sys.stderr.write("usage: python docs/scripts/propose_shot.py PACK.gpkg OUT.png\n")
        return 2
    pack, out = Path(args[0]), Path(args[1])
    tmp = tempfile.mkdtemp(prefix="propose-shot-")
    os.environ["SITING_PLANNER_SETTINGS"] = str(Path(tmp) / "settings.ini")
    os.environ["SITING_PLANNER_RECOVERY_DIR"] = str(Path(tmp) / "recovery")
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from planner.app.common.settings import AppSettings
    from planner.app.shell.main_window import MainWindow
    from planner.app.siting.dialogs import ScriptedPrompter
    from planner.app.siting.loading import load_catalogue, load_policy

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    win = MainWindow(
        settings=AppSettings(),
        policy=load_policy(),
        catalogue=load_catalogue(),
        prompter=ScriptedPrompter(),
        autosave_ms=3_600_000,
    )
    win.resize(1500, 950)
    win.show()
    win.load(plan_path=None, pack=pack, wait=True)  # as File → Open data pack does
    data = win.doc.data
    assert data is not None, "the pack did not load"
    win.docks["propose"].raise_()
    # the findings are empty (no plan yet): their height goes to the proposals panel
    win.resizeDocks([win.docks["findings"]], [110], Qt.Orientation.Vertical)
    pump(1.0)
    x0, y0 = data.projector.point(VIEW[0], VIEW[1])
    x1, y1 = data.projector.point(VIEW[2], VIEW[3])
    win.canvas.zoom_to_rect(QRectF(x0, -y1, x1 - x0, y1 - y0), margin=0.0)
    pump(1.0)
    panel = win.propose_panel
    for i in range(panel.lenses.count()):
        item = panel.lenses.item(i)
        if item.data(Qt.ItemDataRole.UserRole) in LENSES:
            item.setCheckState(Qt.CheckState.Checked)
    panel.draw_area.setChecked(True)
    for lon, lat in AREA:
        panel.area_tool.add(*data.projector.point(lon, lat))
    panel.area_tool.finish()
    panel.budget.setValue(12)
    for step in (panel.run, panel.run_curve):
        step()
        end = time.monotonic() + 600
        while (panel.task is not None or panel.result is None) and time.monotonic() < end:
            pump(0.1)
    bar = win.docks["propose"].widget().verticalScrollBar()
    bar.setValue(bar.maximum())  # the list and the curve, below the form
    pump(2.0)
    win.canvas.wait_for_tiles()  # the map drawn in full, not its first coarse paint
    pump(0.5)
    win.grab().save(str(out))
    print(panel.state.text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
