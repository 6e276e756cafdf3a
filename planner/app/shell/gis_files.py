"""The GIS tools' file exchange: export the view (PNG, PDF) or the plan (CSV, GeoPackage,
KML), and import cameras from a CSV table.

Part of :class:`~planner.app.shell.gis_tools.GisTools`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    _ToolsBase = QObject
else:
    _ToolsBase = object

EXPORT_VIEW_FILTER = "PNG image (*.png);;PDF document (*.pdf)"
EXPORT_PLAN_FILTER = "CSV (*.csv);;GeoPackage (*.gpkg);;KML (*.kml)"
CSV_FILTER = "CSV files (*.csv *.txt);;All files (*)"


class GisFiles(_ToolsBase):
    """Part of :class:`~planner.app.shell.gis_tools.GisTools`: export and import."""

    # what this part uses of the rest of the tools
    w: Any
    canvas: Any
    doc: Any

    def _export_name(self, default: str) -> str:
        """A file name for an export: the plan's own stem with ``default``'s ending."""
        path = self.doc.path
        if path is None:
            return default
        stem = path.name.removesuffix(".geojson").removesuffix(".plan")
        return f"{stem}{Path(default).suffix}" if stem else default

    def export_view_dialog(self) -> None:
        from planner.app.tools.export import default_title, export_view, sheet_subtitle

        path = self.w.prompter.save_path(
            "Export view", EXPORT_VIEW_FILTER, self._export_name("map.png"), kind="export"
        )
        if path is None:
            return
        if path.suffix.lower() not in (".png", ".pdf"):
            path = path.with_suffix(".png")
        try:
            export_view(
                self.canvas,
                path,
                title=default_title(self.doc),
                subtitle=sheet_subtitle(self.canvas, self.doc, self.w.policy),
            )
        except (OSError, ValueError) as exc:
            self.w.prompter.error("Export view", str(exc))
            return
        self.w.statusBar().showMessage(f"Exported the view to {path}", 8000)

    def export_plan(self, path: Path) -> Path:
        from planner.io.formats.exchange import write_plan_csv, write_plan_gpkg, write_plan_kml

        cams = self.doc.plan.cameras
        results = self.doc.results
        suffix = path.suffix.lower()
        if suffix == ".gpkg":
            write_plan_gpkg(path, cams, results)
        elif suffix == ".kml":
            write_plan_kml(path, cams, results, name=self.doc.plan.meta.name or "Siting plan")
        else:
            path = path if suffix == ".csv" else path.with_suffix(".csv")
            write_plan_csv(path, cams, results)
        return path

    def export_plan_dialog(self) -> None:
        path = self.w.prompter.save_path(
            "Export plan", EXPORT_PLAN_FILTER, self._export_name("plan.csv"), kind="export"
        )
        if path is None:
            return
        try:
            path = self.export_plan(path)
        except (OSError, ValueError) as exc:
            self.w.prompter.error("Export plan", str(exc))
            return
        self.w.statusBar().showMessage(
            f"Exported {len(self.doc.plan.cameras)} cameras to {path}", 8000
        )

    def import_csv_dialog(self) -> None:
        from planner.app.tools.csv_import import CsvMappingDialog, ImportReportDialog
        from planner.io.formats.exchange import read_csv_table

        path = self.w.prompter.open_path("Import cameras from CSV", CSV_FILTER, kind="csv")
        if path is None:
            return
        try:
            table = read_csv_table(path)
        except (OSError, ValueError) as exc:
            self.w.prompter.error("Import cameras", str(exc))
            return
        dialog = CsvMappingDialog(table, self.w)
        if dialog.exec() != CsvMappingDialog.DialogCode.Accepted:
            return
        result = self.import_csv(table, dialog.mapping())
        if result is not None:
            ImportReportDialog(result, self.w).exec()

    def import_csv(self, table: Any, mapping: dict[str, str | None]) -> Any:
        """Add the valid rows of ``table`` (one undo step), check them, return the report."""
        from planner.app.tools.csv_import import import_cameras

        defaults = {}
        if self.w.catalogue is not None:
            model = self.w.default_model()
            defaults = {"fov_deg": model.fov_deg, "range_m": model.range_m}
        try:
            result = import_cameras(self.doc, table, mapping, defaults=defaults)
        except ValueError as exc:
            self.w.prompter.error("Import cameras", str(exc))
            return None
        if result.cameras:
            self.w.run_full_check()
        self.w.statusBar().showMessage(
            f"Imported {len(result.cameras)} of {result.rows} rows"
            + (
                f"; {len(result.errors)} rows not imported (see the report)"
                if result.errors
                else ""
            ),
            10_000,
        )
        return result
