"""Measure: distance and bearing between clicks, in the display units.

Lengths are measured as the checker measures (SPEC 3): straight lines in the
projected metres of the map's UTM zone, and bearings clockwise from grid north
(within 1° of true north inside a zone). Each click adds a vertex; the overlay shows
every leg's length and bearing and the running total. Right-click, double-click or
Esc ends the line; the next click starts a new one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen

from planner.app.common.units import format_length


def leg(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Length (metres) and compass bearing (degrees, [0, 360)) from ``a`` to ``b``."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    return math.hypot(dx, dy), math.degrees(math.atan2(dx, dy)) % 360.0


def total_length(points: Sequence[tuple[float, float]]) -> float:
    return sum(leg(points[i], points[i + 1])[0] for i in range(len(points) - 1))


def describe(points: Sequence[tuple[float, float]]) -> str:
    """``"Distance 125 m, bearing 36.9°"``; with more legs, the total and the last leg."""
    if len(points) < 2:
        return "Measure: click the map to start; each click adds a point"
    d, brg = leg(points[-2], points[-1])
    if len(points) == 2:
        return f"Distance {format_length(d)}, bearing {brg:.1f}°"
    return (
        f"Total {format_length(total_length(points))} over {len(points) - 1} legs; "
        f"last leg {format_length(d)}, bearing {brg:.1f}°"
    )


class MeasureTool(QObject):
    """Collects clicked points (projected metres) and draws them over the canvas.

    Signals
    -------
    changed(text)
        The measurement text, for the status bar.
    """

    changed = Signal(str)

    def __init__(self, canvas: object, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.points: list[tuple[float, float]] = []
        self.hover: tuple[float, float] | None = None
        self.finished = False
        self.active = False
        canvas.add_overlay(self.draw)  # type: ignore[attr-defined]

    def set_active(self, on: bool) -> None:
        self.active = bool(on)
        if not on:
            self.clear()

    def clear(self) -> None:
        self.points, self.hover, self.finished = [], None, False
        self.canvas.viewport().update()  # type: ignore[attr-defined]

    def click(self, x: float, y: float) -> str:
        """Add a vertex at projected ``x, y``; returns the measurement text."""
        if self.finished:
            self.points, self.finished = [], False
        self.points.append((x, y))
        text = describe(self.points)
        self.changed.emit(text)
        self.canvas.viewport().update()  # type: ignore[attr-defined]
        return text

    def move(self, x: float, y: float) -> None:
        if self.points and not self.finished:
            self.hover = (x, y)
            self.changed.emit(describe([*self.points, self.hover]))
            self.canvas.viewport().update()  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.finished, self.hover = True, None
        self.changed.emit(describe(self.points))
        self.canvas.viewport().update()  # type: ignore[attr-defined]

    def draw(self, painter: QPainter) -> None:
        pts = list(self.points) + ([self.hover] if self.hover is not None else [])
        if not self.active or not pts:
            return
        c = self.canvas
        view = [c.scene_to_view(QPointF(x, -y)) for x, y in pts]  # type: ignore[attr-defined]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        path = QPainterPath(view[0])
        for p in view[1:]:
            path.lineTo(p)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(255, 255, 255, 220), 5))
        painter.drawPath(path)
        painter.setPen(QPen(QColor("#d81b60"), 2.2, Qt.PenStyle.DashLine))
        painter.drawPath(path)
        painter.setPen(QPen(QColor("#d81b60"), 2))
        painter.setBrush(QColor("#ffffff"))
        for p in view:
            painter.drawEllipse(p, 4, 4)
        font = QFont()
        font.setPixelSize(12)
        font.setBold(True)
        fm = QFontMetricsF(font)
        for i in range(len(pts) - 1):
            d, brg = leg(pts[i], pts[i + 1])
            text = f"{format_length(d)}  {brg:.0f}°"
            mid = (view[i] + view[i + 1]) / 2
            box = QRectF(
                mid.x() + 6,
                mid.y() - fm.height() - 2,
                fm.horizontalAdvance(text) + 8,
                fm.height() + 4,
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(255, 255, 255, 230))
            painter.drawRoundedRect(box, 3, 3)
            painter.setPen(QColor("#880e4f"))
            painter.setFont(font)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


__all__ = ["MeasureTool", "describe", "leg", "total_length"]
