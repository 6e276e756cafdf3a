"""Export the current view as a map sheet (PNG or PDF) and the plan for other tools.

The sheet holds a title, the map as shown (its tiles rendered first, so nothing is
missing), a scale bar, a north arrow, the legend beside the map and the data and
basemap attributions under it. The plan is exported through :mod:`planner.io.formats.exchange`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
    QPixmap,
)

from planner.app.siting.legend import legend_items, paint_legend

LEGEND_W = 300
SHEET_MARGIN = 16


def grab_map(canvas: Any) -> QPixmap:
    """The canvas as shown, after rendering every tile the view needs."""
    canvas.set_synchronous(True)
    try:
        canvas.viewport().repaint()
        return canvas.viewport().grab()
    finally:
        canvas.set_synchronous(False)


def draw_north_arrow(painter: QPainter, centre: QPointF, size: float = 28.0) -> None:
    """An arrow pointing up (the map is drawn north up) with an "N"."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 255, 255, 210))
    painter.drawEllipse(centre, size * 0.75, size * 0.95)
    half = size / 2
    left = QPainterPath()
    left.moveTo(centre + QPointF(0, -half))
    left.lineTo(centre + QPointF(-half * 0.5, half * 0.6))
    left.lineTo(centre + QPointF(0, half * 0.3))
    left.closeSubpath()
    right = QPainterPath()
    right.moveTo(centre + QPointF(0, -half))
    right.lineTo(centre + QPointF(half * 0.5, half * 0.6))
    right.lineTo(centre + QPointF(0, half * 0.3))
    right.closeSubpath()
    painter.setPen(QPen(QColor("#222222"), 1.2))
    painter.setBrush(QColor("#222222"))
    painter.drawPath(left)
    painter.setBrush(QColor("#ffffff"))
    painter.drawPath(right)
    font = QFont()
    font.setPixelSize(round(size * 0.45))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#222222"))
    painter.drawText(
        QRectF(centre.x() - half, centre.y() + half * 0.55, size, size * 0.5),
        Qt.AlignmentFlag.AlignCenter,
        "N",
    )
    painter.restore()


def compose_sheet(
    painter: QPainter,
    size: QSizeF,
    *,
    canvas: Any,
    map_pixmap: QPixmap,
    title: str,
    subtitle: str = "",
) -> None:
    """Draw the whole sheet into ``painter`` over a ``size`` page (pixels)."""
    w, h = size.width(), size.height()
    painter.fillRect(QRectF(0, 0, w, h), QColor("#ffffff"))
    tfont = QFont()
    tfont.setPixelSize(20)
    tfont.setBold(True)
    sfont = QFont()
    sfont.setPixelSize(12)
    tfm, sfm = QFontMetricsF(tfont), QFontMetricsF(sfont)
    painter.setPen(QColor("#111111"))
    painter.setFont(tfont)
    painter.drawText(QPointF(SHEET_MARGIN, SHEET_MARGIN + tfm.ascent()), title)
    top = SHEET_MARGIN + tfm.height() + 4
    if subtitle:
        painter.setFont(sfont)
        painter.setPen(QColor("#444444"))
        painter.drawText(QPointF(SHEET_MARGIN, top + sfm.ascent()), subtitle)
        top += sfm.height() + 4
    attribution = canvas.attribution_text() or ""
    bottom = h - SHEET_MARGIN - (sfm.height() + 4 if attribution else 0)
    legend_w = min(LEGEND_W, w * 0.3)
    box = QRectF(SHEET_MARGIN, top + 4, w - 3 * SHEET_MARGIN - legend_w, bottom - top - 8)
    # the whole view, scaled uniformly: its own scale bar (drawn by the canvas) stays true
    src = QRectF(map_pixmap.rect())
    scale = min(box.width() / max(src.width(), 1.0), box.height() / max(src.height(), 1.0))
    target = QRectF(box.left(), box.top(), src.width() * scale, src.height() * scale)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.drawPixmap(target, map_pixmap, src)
    painter.setPen(QPen(QColor("#333333"), 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(target)
    draw_north_arrow(painter, QPointF(target.right() - 30, target.top() + 36))
    painter.setPen(QColor("#222222"))
    lx = target.right() + SHEET_MARGIN
    paint_legend(
        painter, QPointF(lx, target.top()), legend_items(canvas), max_height=bottom - target.top()
    )
    if attribution:
        painter.setFont(sfont)
        painter.setPen(QColor("#333333"))
        painter.drawText(QPointF(SHEET_MARGIN, h - SHEET_MARGIN), attribution)


def export_view(
    canvas: Any,
    path: str | Path,
    *,
    title: str,
    subtitle: str = "",
    size: tuple[int, int] = (1754, 1240),
) -> Path:
    """Write the current view as a map sheet: ``.png`` (``size`` pixels) or ``.pdf``
    (A4 landscape, US Letter where the locale prefers it is left to the printer)."""
    from planner.io.safety.outputs import verify_pdf, verify_png, write_output_file

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".png", ".pdf"):
        msg = f"{p}: export the view as .png or .pdf"
        raise ValueError(msg)
    sheet = functools.partial(
        compose_sheet, canvas=canvas, map_pixmap=grab_map(canvas), title=title, subtitle=subtitle
    )
    # a fresh temporary, checked before it replaces an older export (full disk,
    # read-only folder: the old file stays and the error says why)
    if suffix == ".png":
        write_output_file(p, lambda tmp: _write_png(tmp, sheet, size), verify=verify_png)
    else:
        write_output_file(p, lambda tmp: _write_pdf(tmp, sheet, title), verify=verify_pdf)
    return p


def _write_png(tmp: Path, sheet: Callable[[QPainter, QSizeF], None], size: tuple[int, int]) -> None:
    """The sheet as a PNG of ``size`` pixels."""
    image = QImage(size[0], size[1], QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    sheet(painter, QSizeF(*size))
    painter.end()
    # PySide takes the format as str (its stub says bytes, which it refuses)
    if not image.save(str(tmp), "PNG"):  # type: ignore[call-overload]
        msg = "cannot write the PNG"
        raise OSError(msg)


def _write_pdf(tmp: Path, sheet: Callable[[QPainter, QSizeF], None], title: str) -> None:
    """The sheet on one A4 landscape page, laid out in screen pixels."""
    writer = QPdfWriter(str(tmp))
    writer.setTitle(title)
    writer.setCreator("siting-planner")
    writer.setResolution(96)  # the sheet is laid out in screen pixels
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Landscape,
            QMarginsF(8, 8, 8, 8),
            QPageLayout.Unit.Millimeter,
        )
    )
    painter = QPainter(writer)
    if not painter.isActive():
        msg = "the PDF writer could not open the file"
        raise OSError(msg)
    rect = writer.pageLayout().paintRectPixels(writer.resolution())
    sheet(painter, QSizeF(rect.width(), rect.height()))
    if not painter.end():
        msg = "the PDF could not be finished"
        raise OSError(msg)


def default_title(doc: Any) -> str:
    name = doc.plan.meta.name or (doc.path.stem if doc.path else "Siting plan")
    return f"{name}: camera siting map"


def sheet_subtitle(canvas: Any, doc: Any, policy: Any) -> str:
    from planner.app.common.units import format_resolution

    lon_lat = canvas.lonlat_at(canvas.viewport().rect().center())
    where = f"centre {lon_lat[1]:.5f}, {lon_lat[0]:.5f}" if lon_lat else ""
    pack = doc.data.pack_path.name if doc.data is not None and doc.data.pack_path else "no pack"
    res = canvas.resolution()
    return (
        f"Policy {policy.id} v{policy.version} · data {pack} · {where} · "
        f"{format_resolution(res)} · north up"
        if math.isfinite(res)
        else ""
    )


__all__ = ["compose_sheet", "default_title", "draw_north_arrow", "export_view", "grab_map"]
