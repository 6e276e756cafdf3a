"""What a report map explains itself with: the overview's legend, a camera map's small
legend, the north arrow, and the swatches they draw."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)

from planner.app.map.canvas import style as st
from planner.app.siting.camera_style import paint_status_swatch
from planner.core.model import Severity

#: Draws a legend row's symbol into its box.
Swatch = Callable[[QPainter, QRectF], None]

LEGEND_LINE_H = 13.0


def _legend_font() -> QFont:
    font = QFont()
    font.setPixelSize(9)
    return font


def legend_rows(*, has_boundaries: bool) -> list[tuple[str, Swatch]]:
    """The overview legend's rows: text and swatch, top to bottom."""
    rows: list[tuple[str, Swatch]] = [
        ("Camera view: blocked", partial(_cone_swatch, status=Severity.BLOCK)),
        ("Camera view: warning", partial(_cone_swatch, status=Severity.WARN)),
        ("Camera view: clear", partial(_cone_swatch, status=Severity.CLEAR)),
        ("Existing camera", partial(_camera_swatch, kind="existing")),
        ("Proposed camera", partial(_camera_swatch, kind="proposed")),
    ]
    rows += [(s.label, partial(_site_swatch, style=s)) for s in st.CATEGORY_STYLES.values()]
    rows.append(("Vehicle entrance", _entrance_swatch))
    rows.append(("Capture zone", _zone_swatch))
    if has_boundaries:
        limits = getattr(st, "CITY_LIMITS_LINE", QColor("#37474f"))
        rows.append(
            ("City limits", partial(_line_swatch, colour=limits, style=Qt.PenStyle.SolidLine))
        )
        rows.append(
            (
                "Council district",
                partial(_line_swatch, colour=st.DISTRICT_LINE, style=st.DISTRICT_PEN_STYLE),
            )
        )
    return rows


def legend_rect(*, has_boundaries: bool) -> QRectF:
    """Where the overview's legend box is drawn (layout units)."""
    rows = legend_rows(has_boundaries=has_boundaries)
    fm = QFontMetricsF(_legend_font())
    w = max(fm.horizontalAdvance(t) for t, _ in rows) + 30
    return QRectF(8.0, 8.0, w, LEGEND_LINE_H * len(rows) + 10)


def draw_legend(painter: QPainter, *, has_boundaries: bool) -> None:
    """The overview's legend, top left."""
    font = _legend_font()
    rows = legend_rows(has_boundaries=has_boundaries)
    line_h = LEGEND_LINE_H
    box = legend_rect(has_boundaries=has_boundaries)
    x, y, w, h = box.x(), box.y(), box.width(), box.height()
    painter.save()
    painter.setPen(QPen(QColor("#9aa3ab"), 0.6))
    painter.setBrush(QColor(255, 255, 255, 225))
    painter.drawRect(QRectF(x, y, w, h))
    painter.setFont(font)
    for i, (text, draw) in enumerate(rows):
        top = y + 5 + i * line_h
        painter.save()
        draw(painter, QRectF(x + 5, top, 14, 11))
        painter.restore()
        painter.setPen(QColor("#222222"))
        painter.drawText(
            QRectF(x + 24, top - 1, w - 26, line_h),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            text,
        )
    painter.restore()


def draw_mini_legend(painter: QPainter, status: Severity | None, *, k: float) -> QRectF:
    """A camera map's small legend (top left): its cone, a capture zone, an entrance.

    ``k`` scales it as the map's other furniture; returns its box (layout units).
    """
    status = status or Severity.CLEAR
    word = {Severity.BLOCK: "blocked", Severity.WARN: "warning"}.get(status, "clear")
    rows: list[tuple[str, Swatch]] = [
        (f"View: {word}", partial(_cone_swatch, status=status)),
        ("Capture zone", _zone_swatch),
        ("Vehicle entrance", _entrance_swatch),
    ]
    font = QFont()
    font.setPixelSize(8)
    fm = QFontMetricsF(font)
    line_h = 11.0
    w = max(fm.horizontalAdvance(t) for t, _ in rows) + 26
    box = QRectF(4.0, 4.0, w, line_h * len(rows) + 6)
    painter.save()
    painter.scale(k, k)
    painter.setPen(QPen(QColor("#9aa3ab"), 0.6))
    painter.setBrush(QColor(255, 255, 255, 230))
    painter.drawRect(box)
    painter.setFont(font)
    for i, (text, draw) in enumerate(rows):
        top = box.y() + 3 + i * line_h
        painter.save()
        draw(painter, QRectF(box.x() + 4, top + 0.5, 12, 9.5))
        painter.restore()
        painter.setPen(QColor("#222222"))
        painter.drawText(
            QRectF(box.x() + 21, top - 1, w - 22, line_h),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            text,
        )
    painter.restore()
    return QRectF(box.x() * k, box.y() * k, box.width() * k, box.height() * k)


def draw_north_arrow(p: QPainter, at: QPointF) -> None:
    p.save()
    p.translate(at)
    p.setPen(QPen(QColor("#222222"), 0.8))
    p.setBrush(QColor(255, 255, 255, 220))
    p.drawEllipse(QPointF(0, 0), 13, 13)
    p.setBrush(QColor("#222222"))
    p.drawPolygon(QPolygonF([QPointF(0, -10), QPointF(5, 6), QPointF(0, 3), QPointF(-5, 6)]))
    font = QFont()
    font.setPixelSize(8)
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor("#222222"))
    p.drawText(QRectF(-8, -26, 16, 12), Qt.AlignmentFlag.AlignCenter, "N")
    p.restore()


def _cone_swatch(p: QPainter, r: QRectF, status: Severity) -> None:
    path = QPainterPath()
    apex = QPointF(r.left(), r.bottom())
    path.moveTo(apex)
    path.arcTo(
        QRectF(apex.x() - r.width(), apex.y() - r.width(), 2 * r.width(), 2 * r.width()), 10, 60
    )
    path.closeSubpath()
    paint_status_swatch(p, path, status, hatch_alpha=170, pen_width=1.0)


def _site_swatch(p: QPainter, r: QRectF, style: st.CategoryStyle) -> None:
    st.draw_symbol(p, r.center(), style, 10)


def _camera_swatch(p: QPainter, r: QRectF, kind: str) -> None:
    p.setPen(QPen(QColor(20, 20, 20), 1.0))
    p.setBrush(QColor(120, 120, 120))
    c = r.center()
    if kind == "existing":
        p.drawRect(QRectF(c.x() - 4, c.y() - 4, 8, 8))
    else:
        p.drawEllipse(c, 4.5, 4.5)


def _entrance_swatch(p: QPainter, r: QRectF) -> None:
    p.setPen(QPen(st.ENTRANCE_EDGE, 1.5))
    p.setBrush(st.ENTRANCE_FILL)
    p.drawEllipse(r.center(), 3.2, 3.2)


def _zone_swatch(p: QPainter, r: QRectF) -> None:
    colour = st.ZONE_COLORS["block"]
    fill = QColor(colour)
    fill.setAlpha(45)
    p.setPen(QPen(colour, 1.0))
    p.setBrush(fill)
    p.drawEllipse(r.center(), 5.5, 5.5)
    hatch = QColor(colour)
    hatch.setAlpha(150)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(hatch, Qt.BrushStyle.BDiagPattern))
    p.drawEllipse(r.center(), 5.5, 5.5)


def _line_swatch(p: QPainter, r: QRectF, colour: QColor, style: Qt.PenStyle) -> None:
    p.setPen(QPen(colour, 1.4, style))
    p.drawLine(QPointF(r.left(), r.center().y()), QPointF(r.right(), r.center().y()))
