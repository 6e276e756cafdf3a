"""View-space overlays: the scale bar and the attribution line."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from planner.app.common.units import FOOT_M, MILE_M, scale_unit

__all__ = ["FOOT_M", "MILE_M", "ScaleBar", "draw_attribution", "draw_scale_bar", "scale_bar"]


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar: ``value`` ``unit`` long, drawn ``pixels`` wide."""

    value: float
    unit: str
    metres: float
    pixels: float

    @property
    def label(self) -> str:
        text = f"{self.value:g}"
        return f"{text} {self.unit}"


def nice_number(x: float) -> float:
    """The largest of 1, 2, 5 x 10^n not above ``x``."""
    if x <= 0 or not math.isfinite(x):
        return 0.0
    exp = math.floor(math.log10(x))
    base = 10.0**exp
    for m in (5.0, 2.0, 1.0):
        if m * base <= x * (1 + 1e-9):
            return m * base
    return base


def scale_bar(res_m: float, *, units: str = "m", max_px: float = 120.0) -> ScaleBar:
    """The longest round length that fits in ``max_px`` pixels at ``res_m`` metres per pixel.

    ``units`` is ``"m"`` or ``"ft"``; the bar's unit (m, km, ft or mi) is the one the
    status bar states the scale in (:func:`planner.app.common.units.scale_unit`).
    """
    max_m = res_m * max_px
    unit, per = scale_unit(res_m, "feet" if units == "ft" else "metres")
    value = nice_number(max_m / per)
    metres = value * per
    return ScaleBar(value=value, unit=unit, metres=metres, pixels=metres / res_m)


def _overlay_font() -> QFont:
    font = QFont()
    font.setPixelSize(11)
    return font


def draw_scale_bar(painter: QPainter, bar: ScaleBar, *, height: float) -> None:
    """Bottom-left, in view pixels."""
    font = _overlay_font()
    fm = QFontMetricsF(font)
    x, y = 10.0, height - 12.0
    w = round(bar.pixels)
    box = QRectF(
        x - 6, y - fm.height() - 10, w + 12 + fm.horizontalAdvance(bar.label) + 8, fm.height() + 16
    )
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 255, 255, 200))
    painter.drawRoundedRect(box, 3, 3)
    painter.setPen(QPen(QColor("#222222"), 2.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
    painter.drawLine(QPointF(x, y), QPointF(x + w, y))
    painter.drawLine(QPointF(x, y), QPointF(x, y - 6))
    painter.drawLine(QPointF(x + w, y), QPointF(x + w, y - 6))
    painter.setFont(font)
    painter.drawText(QPointF(x + w + 6, y + 1), bar.label)


def draw_attribution(painter: QPainter, text: str, *, width: float, height: float) -> QRectF:
    """Bottom-right, in view pixels; returns the box drawn."""
    font = _overlay_font()
    fm = QFontMetricsF(font)
    tw = fm.horizontalAdvance(text)
    box = QRectF(width - tw - 12, height - fm.height() - 6, tw + 12, fm.height() + 6)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 255, 255, 200))
    painter.drawRect(box)
    painter.setPen(QColor("#333333"))
    painter.setFont(font)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    return box
