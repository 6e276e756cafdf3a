"""Import cameras from a CSV inventory: map its columns, validate every row, report.

:class:`CsvMappingDialog` shows one drop-down per camera field, pre-filled from the
column names (:func:`planner.io.formats.exchange.guess_mapping`), with a preview of the first
rows. The import itself (:func:`import_cameras`) adds all valid rows as one undo
step and returns the report: every row that could not be used is listed with its
row number and the reason; none is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from planner.app.common import units
from planner.app.siting.properties_panel import RANGE_M
from planner.app.siting.undo_commands import AddCamerasCommand
from planner.app.siting.wording import plain_message
from planner.io.formats.exchange import (
    CSV_FIELDS,
    CsvImport,
    CsvTable,
    guess_mapping,
    read_camera_csv,
)

_UNMAPPED = "(not in the file)"


class CsvMappingDialog(QDialog):
    """Choose which CSV column holds each camera field."""

    def __init__(self, table: CsvTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import cameras from {table.path.name}")
        self.table = table
        guess = guess_mapping(table.header)
        form = QFormLayout()
        self.combos: dict[str, QComboBox] = {}
        for fld, required in CSV_FIELDS.items():
            combo = QComboBox()
            combo.addItem(_UNMAPPED)
            combo.addItems(table.header)
            if guess.get(fld):
                combo.setCurrentText(str(guess[fld]))
            combo.setObjectName(f"map_{fld}")
            label = f"{fld}{' *' if required else ''}"
            form.addRow(label, combo)
            self.combos[fld] = combo
        preview = QTableWidget(min(5, len(table.rows)), len(table.header))
        preview.setHorizontalHeaderLabels(table.header)
        for r, row in enumerate(table.rows[:5]):
            for c, cell in enumerate(row[: len(table.header)]):
                preview.setItem(r, c, QTableWidgetItem(cell))
        preview.setMaximumHeight(160)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(
            QLabel(
                f"{len(table.rows)} rows. Choose the column of each field "
                "(* required; fov and range fall back to the default camera "
                "model when not mapped)."
            )
        )
        lay.addLayout(form)
        lay.addWidget(QLabel("First rows:"))
        lay.addWidget(preview)
        lay.addWidget(buttons)

    def mapping(self) -> dict[str, str | None]:
        return {
            fld: (None if c.currentText() == _UNMAPPED else c.currentText())
            for fld, c in self.combos.items()
        }


class ImportReportDialog(QDialog):
    """What was imported and every row that was not, by row number."""

    def __init__(self, result: CsvImport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Camera import")
        # the rows' errors in the app's words ("field of view", not "fov_deg")
        text = QPlainTextEdit(plain_message(report_text(result)))
        text.setReadOnly(True)
        text.setObjectName("import_report")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addWidget(buttons)
        self.resize(560, 360)


#: A number a row error quotes from a range column (the file's value, in metres).
_GOT = re.compile(r"got (-?[0-9][0-9.]*(?:[eE][+-]?[0-9]+)?)")


def report_text(result: CsvImport, *, unit: str | None = None) -> str:
    """The import report in the display units.

    The file's ranges are metres (its ``range_m`` column), and the row errors quote them
    so; a person reading feet also gets each quoted range and the limit in feet.
    """
    text = result.report()
    if (unit or units.current_units()) != "feet":
        return text
    lines = []
    for line in text.splitlines():
        got = _GOT.search(line) if "range" in line else None
        if got is not None:
            metres = float(got[1])
            line += (
                f" ({metres:,.0f} m is {units.format_distance(metres, unit='feet', decimals=0)};"
                f" the most is {units.metric_limit(RANGE_M[1], unit='feet')})"
            )
        lines.append(line)
    return "\n".join(lines)


def import_cameras(
    doc: Any,
    table: CsvTable,
    mapping: Mapping[str, str | None],
    *,
    defaults: Mapping[str, float] | None = None,
) -> CsvImport:
    """Validate ``table`` and add its good rows to the plan as one undo step."""
    ids = {c.id for c in doc.all_cameras()}
    result = read_camera_csv(table, mapping, existing_ids=ids, defaults=defaults)
    if result.cameras:
        cams = list(result.cameras)
        what = import_text(len(cams))
        source = f"from {table.path.name}"
        doc.undo_stack.push(
            AddCamerasCommand(
                doc,
                cams,
                # an imported camera is an added camera: the audit trail says who and when
                audit=doc.audit_entries(cams, action="add", text=f"{what} {source}"),
                text=f"{what} {source}",
            )
        )
    return result


def import_text(n: int) -> str:
    """``Import 1 camera``, ``Import 3 cameras``: the undo text and the audit's what."""
    return f"Import {n} camera{'' if n == 1 else 's'}"


__all__ = [
    "CsvMappingDialog",
    "ImportReportDialog",
    "import_cameras",
    "import_text",
    "report_text",
]
