"""Screenshots of the map tools on a real pack (run under Xvfb).

``python docs/scripts/map_screenshots.py OUTDIR --data PACK [--plan PLAN]
[--basemap FILE.mbtiles|.pmtiles]`` writes:

- ``downtown.png``: downtown San José at street zoom: streets, buildings, site
  labels, district boundaries, the legend panel;
- ``search.png``: "3131 Alum Rock" found and pinned;
- ``identify.png``: the identify panel on a downtown church;
- ``measure.png``: a measured line;
- ``city.png``: the whole city with the council districts labelled;
- ``export.png``, ``export.pdf``: the exported map sheet of the downtown view.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

DOWNTOWN = (-121.8880, 37.3355)  # near the Cathedral Basilica of Saint Joseph


def _settle(win: object, n: int = 5) -> None:
    from planner.app.siting import canvas_bridge

    canvas_bridge.wait_for_tiles(win.canvas)  # type: ignore[attr-defined]
    for _ in range(n):
        QApplication.processEvents()


def _grab(win: object, path: Path) -> None:
    _settle(win)
    win.grab().save(str(path), "PNG")  # type: ignore[attr-defined]
    win.canvas.set_synchronous(False)  # type: ignore[attr-defined]
    print(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--plan", type=Path)
    ap.add_argument("--basemap", type=Path)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from planner.app.shell.main import _application, _screenshot_prompter, create_window

    app = _application()
    win = create_window(prompter=_screenshot_prompter())
    win.resize(1500, 950)  # type: ignore[attr-defined]
    win.show()  # type: ignore[attr-defined]
    app.processEvents()
    win.load(plan_path=args.plan, pack=args.data, wait=True)  # type: ignore[attr-defined]
    win.wait_idle()  # type: ignore[attr-defined]
    gis = win.gis  # type: ignore[attr-defined]
    gis.search.set_data(
        sites=win.doc.data.sites,
        streets=win.doc.data.streets,  # type: ignore[attr-defined]
        pack=args.data,
        wait=True,
    )
    app.processEvents()
    if args.basemap is not None:
        from planner.app.map.basemap import source_for_file

        gis.set_basemap(source_for_file(args.basemap), remember=False)
    canvas = win.canvas  # type: ignore[attr-defined]
    proj = win.doc.projector  # type: ignore[attr-defined]
    win.docks["findings"].hide()  # type: ignore[attr-defined]
    win.docks["legend"].show()  # type: ignore[attr-defined]
    win.docks["legend"].raise_()  # type: ignore[attr-defined]
    # the whole city
    win.zoom_to_fit()  # type: ignore[attr-defined]
    _grab(win, args.out / "city.png")
    # downtown at street zoom
    x, y = proj.point(*DOWNTOWN)
    canvas.set_level(0)
    canvas.center_on(x, y)
    _grab(win, args.out / "downtown.png")
    # identify a church
    site = next(
        (
            s
            for s in win.doc.data.sites  # type: ignore[attr-defined]
            if "Cathedral" in (s.name or "")
        ),
        None,
    )
    if site is not None:
        c = proj.project(site.geometry).representative_point()
        canvas.center_on(c.x, c.y)
        gis.identify(c.x, c.y)
        _grab(win, args.out / "identify.png")
    # search
    gis.search_box.setText("3131 Alum Rock")
    gis.search_box.setFocus()
    gis.search_box.refresh()
    hits = gis.search_box.hits
    if hits:
        gis.go_to(hits[0])
        gis.search_box.refresh()
    _grab(win, args.out / "search.png")
    gis.search_box.completer_.popup().hide()
    # measure along Santa Clara Street downtown
    canvas.set_level(1)
    canvas.center_on(x, y)
    gis.set_tool("measure")
    gis.measure.click(x - 250, y - 60)
    gis.measure.click(x + 80, y + 120)
    gis.measure.click(x + 260, y + 40)
    gis.measure.finish()
    _grab(win, args.out / "measure.png")
    gis.set_tool(None)
    canvas.set_level(0)
    canvas.center_on(x, y)
    _settle(win)
    from planner.app.tools.export import default_title, export_view, sheet_subtitle

    export_view(
        canvas,
        args.out / "export.png",
        title=default_title(win.doc),  # type: ignore[attr-defined]
        subtitle=sheet_subtitle(canvas, win.doc, win.policy),
    )  # type: ignore[attr-defined]
    print(args.out / "export.png")
    export_view(
        canvas,
        args.out / "export.pdf",
        title=default_title(win.doc),  # type: ignore[attr-defined]
        subtitle=sheet_subtitle(canvas, win.doc, win.policy),
    )  # type: ignore[attr-defined]
    print(args.out / "export.pdf")
    win.doc.undo_stack.setClean()  # type: ignore[attr-defined]
    win.close()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
