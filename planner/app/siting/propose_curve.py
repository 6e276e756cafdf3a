"""The Propose panel's curve: weight read against number of cameras, 1 … cover-all.

Drawn from the exact solves of the panel's *Curve 1 … all*; with cameras kept fixed
it starts from what they already read, and counts the cameras added to them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget


class CurveWidget(QWidget):
    """Weight read against number of cameras, 1 ... cover-all."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("propose_curve")
        self.points: list[float] = []
        self.base = 0.0  # what the fixed (existing) cameras read: the curve's start
        self.setMinimumHeight(120)

    def set_points(self, points: list[float], *, base: float = 0.0) -> None:
        self.points = list(points)
        self.base = float(base)
        more = " more" if base > 0 else ""  # beyond the kept cameras
        self.setToolTip(
            ""
            if not points
            else f"{len(points)}{more} cameras read everything readable "
            f"({points[-1]:,.0f} vehicles/day)"
        )
        self.update()

    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(34, 8, -8, -18)
        p.setPen(QPen(self.palette().mid().color()))
        p.drawLine(r.bottomLeft(), r.bottomRight())
        p.drawLine(r.bottomLeft(), r.topLeft())
        p.setPen(self.palette().text().color())
        if not self.points:
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, "No curve yet")
            return
        top = max(self.points) or 1.0
        n = len(self.points)
        path = QPainterPath(QPointF(r.left(), r.bottom() - r.height() * self.base / top))
        for i, v in enumerate(self.points):
            path.lineTo(
                QPointF(r.left() + r.width() * (i + 1) / n, r.bottom() - r.height() * v / top)
            )
        p.setPen(QPen(QColor("#1f6fb2"), 2))
        p.drawPath(path)
        p.setPen(self.palette().text().color())
        p.drawText(QPointF(r.left(), r.bottom() + 14), "0")
        p.drawText(
            QRectF(r.left(), r.bottom() + 2, r.width(), 16),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
            f"{n} more cameras" if self.base > 0 else f"{n} cameras",
        )
        p.drawText(QPointF(2, r.top() + 10), f"{top / 1000:,.0f}k")


__all__ = ["CurveWidget"]
