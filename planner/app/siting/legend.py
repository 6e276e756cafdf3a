"""The map legend: every symbol on the map, each told apart by shape or pattern too.

Colour is never the only difference: site categories have their own shapes, camera
life cycles their own shapes (circle proposed, square existing, diamond approved),
check results their own marks (✕ block, ! warn, ✓ clear) and cone patterns
(cross-hatch, diagonal hatch, plain), boundaries their own line styles. The same
entries feed the Legend panel and exported maps.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from planner.app.map.canvas import style as st
from planner.app.siting.camera_style import STATUS_STYLE, paint_status_swatch, status_mark_path
from planner.core.model import Severity

ICON_PX = 20


@dataclass(frozen=True)
class LegendItem:
    section: str
    label: str
    pixmap: QPixmap


def _pix(size: int = ICON_PX) -> tuple[QPixmap, QPainter]:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pix, p


def camera_pixmap(shape: str, status: Severity | None, size: int = ICON_PX) -> QPixmap:
    """A camera symbol as the map draws it: shape by life cycle, mark by check status."""
    pix, p = _pix(size)
    colour, _ = STATUS_STYLE[status]
    s = size / 2 - 3
    c = QPointF(size / 2, size / 2)
    p.setPen(QPen(QColor(20, 20, 20), 1.3))
    p.setBrush(QBrush(colour))
    if shape == "existing":
        p.drawRect(QRectF(c.x() - s, c.y() - s, 2 * s, 2 * s))
    elif shape == "approved":
        p.drawPolygon(
            QPolygonF(
                [
                    c + QPointF(0, -s - 2),
                    c + QPointF(s + 2, 0),
                    c + QPointF(0, s + 2),
                    c + QPointF(-s - 2, 0),
                ]
            )
        )
    else:
        p.drawEllipse(c, s, s)
    # the same stroked mark as on the map
    p.setPen(
        QPen(
            QColor(255, 255, 255),
            1.8,
            Qt.PenStyle.SolidLine,
            Qt.PenCapStyle.RoundCap,
            Qt.PenJoinStyle.RoundJoin,
        )
    )
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(status_mark_path(status, s).translated(c))
    p.end()
    return pix


def cone_pixmap(status: Severity | None, size: int = ICON_PX) -> QPixmap:
    """A cone swatch with the status's colour and pattern."""
    pix, p = _pix(size)
    path = QPainterPath()
    path.addPolygon(
        QPolygonF([QPointF(2, size - 2), QPointF(size - 2, 2), QPointF(size - 2, size - 2)])
    )
    path.closeSubpath()
    paint_status_swatch(p, path, status, hatch_alpha=200, pen_width=1.5)
    p.end()
    return pix


def outline_pixmap(unverified: bool, size: int = ICON_PX) -> QPixmap:
    """A site's footprint: solid outline when verified, the dashed mark when not."""
    from planner.app.siting.site_marks import COLOUR, UNVERIFIED_PEN_STYLE

    pix, p = _pix(size)
    colour = COLOUR if unverified else st.CATEGORY_STYLES["place_of_worship"].color
    fill = QColor(colour)
    fill.setAlpha(40)
    p.setBrush(fill)
    p.setPen(QPen(colour, 2.0, UNVERIFIED_PEN_STYLE if unverified else Qt.PenStyle.SolidLine))
    p.drawRect(QRectF(2.5, 2.5, size - 5, size - 5))
    p.end()
    return pix


def ring_pixmap(size: int = ICON_PX) -> QPixmap:
    """The allowed-heading ring: thick green arcs around the camera."""
    pix, p = _pix(size)
    pen = QPen(QColor(0, 140, 70, 220), 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)
    p.setPen(pen)
    r = QRectF(3, 3, size - 6, size - 6)
    p.drawArc(r, 30 * 16, 100 * 16)
    p.drawArc(r, 200 * 16, 80 * 16)
    p.end()
    return pix


def legend_items(canvas: object | None = None) -> list[LegendItem]:
    """Every legend entry, by section, in the order the map draws them (top first)."""
    out: list[LegendItem] = []
    for key, label in (
        ("proposed", "Proposed camera"),
        ("existing", "Existing camera"),
        ("approved", "Approved camera"),
    ):
        out.append(LegendItem("Cameras", label, camera_pixmap(key, None)))
    out.append(LegendItem("Cameras", "Allowed headings (H)", ring_pixmap()))
    for status, label in (
        (Severity.BLOCK, "Blocked (✕)"),
        (Severity.WARN, "Warning (!)"),
        (Severity.CLEAR, "Clear (✓)"),
        (None, "Not checked yet (\u2013)"),
    ):
        out.append(
            LegendItem("Check result", f"Camera: {label}", camera_pixmap("proposed", status))
        )
        out.append(
            LegendItem(
                "Check result",
                f"Cone: {label.split(' (')[0].lower()} ({_pattern_name(status)})",
                cone_pixmap(status),
            )
        )
    for s in (*st.CATEGORY_STYLES.values(), st.OTHER_CATEGORY):
        out.append(LegendItem("Protected sites", s.label, st.symbol_pixmap(s, ICON_PX)))
    out.append(
        LegendItem("Protected sites", "Verified site (solid outline)", outline_pixmap(False))
    )
    out.append(
        LegendItem(
            "Protected sites",
            "Unverified site: to confirm (dashed outline, ? unverified)",
            outline_pixmap(True),
        )
    )
    if canvas is not None:
        for lid in ("entrances", "capture_zones", "boundaries", "streets", "buildings"):
            section = {
                "entrances": "Protected sites",
                "capture_zones": "Protected sites",
                "boundaries": "Boundaries",
                "streets": "Streets",
                "buildings": "Buildings",
            }[lid]
            for entry in canvas.legend(lid):  # type: ignore[attr-defined]
                out.append(LegendItem(section, entry.label, entry.pixmap))
    return out


def _pattern_name(status: Severity | None) -> str:
    return {
        Severity.BLOCK: "cross-hatched",
        Severity.WARN: "diagonal hatch",
        Severity.CLEAR: "plain",
        None: "dotted",
    }[status]


class LegendPanel(QWidget):
    """The legend as a dock panel: section headings and symbol rows."""

    def __init__(self, canvas: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.list = QListWidget()
        self.list.setObjectName("legend_list")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(QLabel("Every symbol on the map:"))
        lay.addWidget(self.list)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        section = None
        for item in legend_items(self.canvas):
            if item.section != section:
                section = item.section
                head = QListWidgetItem(section)
                font = head.font()
                font.setBold(True)
                head.setFont(font)
                head.setFlags(Qt.ItemFlag.NoItemFlags)
                self.list.addItem(head)
            self.list.addItem(QListWidgetItem(item.pixmap, item.label))

    def labels(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]


def paint_legend(
    painter: QPainter,
    top_left: QPointF,
    items: list[LegendItem],
    *,
    max_height: float,
    font_px: int = 11,
) -> QRectF:
    """Draw the legend from ``top_left`` in one column, rows shrunk to fit ``max_height``
    (down to 13 pixels; below that it continues in a second column). Returns its box."""
    sections = len({i.section for i in items})
    rows = len(items) + sections
    row = max(13.0, min(ICON_PX + 3.0, (max_height - 16) / max(rows, 1)))
    icon = row - 3
    font = QFont()
    font.setPixelSize(min(font_px, max(8, round(row * 0.6))))
    bold = QFont(font)
    bold.setBold(True)
    fm = QFontMetricsF(font)
    x, y = top_left.x() + 8, top_left.y() + 8
    col_w = 0.0
    right = x
    section = None
    for item in items:
        need = row * (2 if item.section != section else 1)
        if y + need > top_left.y() + max_height and y > top_left.y() + 8:
            x += col_w + 16
            y, col_w = top_left.y() + 8, 0.0
        if item.section != section:
            section = item.section
            painter.setFont(bold)
            painter.setPen(QColor("#222222"))
            painter.drawText(QPointF(x, y + fm.ascent()), section)
            col_w = max(col_w, QFontMetricsF(bold).horizontalAdvance(section))
            y += row
        painter.drawPixmap(QRectF(x, y, icon, icon), item.pixmap, QRectF(item.pixmap.rect()))
        painter.setFont(font)
        painter.setPen(QColor("#222222"))
        painter.drawText(
            QPointF(x + icon + 6, y + (icon + fm.ascent() - fm.descent()) / 2), item.label
        )
        col_w = max(col_w, icon + 6 + fm.horizontalAdvance(item.label))
        y += row
        right = max(right, x + col_w)
    return QRectF(top_left, QPointF(right + 8, top_left.y() + max_height))


__all__ = ["LegendItem", "LegendPanel", "legend_items", "paint_legend"]
