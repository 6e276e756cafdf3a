"""Colours, widths and symbols of the map.

Street classes follow OSM ``highway`` values. Site categories are told apart by
shape *and* colour, so the map still reads for colour-blind users and in greyscale
print-outs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

BACKGROUND = QColor("#f2efe9")
BUILDING_FILL = QColor("#d9d4ce")
BUILDING_EDGE = QColor("#bcb5ad")
LABEL_TEXT = QColor("#3a3a3a")
LABEL_HALO = QColor(255, 255, 255, 220)
ENTRANCE_FILL = QColor("#ffffff")
ENTRANCE_EDGE = QColor("#c62828")
CITY_LIMITS_LINE = QColor("#37474f")
CITY_LIMITS_BAND = QColor(55, 71, 79, 60)
#: Council districts: a blue dash-dot line, unlike anything a site is drawn with (purple is
#: places of worship and the dashed outline of an unverified site).
DISTRICT_LINE = QColor("#1f5fa8")
DISTRICT_LABEL = QColor("#174a85")
DISTRICT_PEN_STYLE = Qt.PenStyle.DashDotLine
SITE_LABEL = QColor("#1b1b1b")


@dataclass(frozen=True)
class StreetStyle:
    """How one street class is drawn.

    ``width_m`` is the drawn width on the ground; on screen it is clamped to
    ``[min_px, max_px]``. The class is hidden when a pixel covers more than
    ``max_res`` metres. Below ``casing_from_px`` a single ``thin`` line is drawn,
    because a white line with a grey casing vanishes when it is a pixel wide.
    """

    key: str
    label: str
    fill: QColor
    casing: QColor
    thin: QColor
    width_m: float
    min_px: float
    max_px: float
    max_res: float
    rank: int
    casing_from_px: float = 3.0


STREET_STYLES: tuple[StreetStyle, ...] = (
    StreetStyle(
        "service",
        "Service road",
        QColor("#ffffff"),
        QColor("#cbc5bc"),
        QColor("#d2ccc3"),
        5.0,
        0.6,
        10.0,
        2.9,
        0,
    ),
    StreetStyle(
        "residential",
        "Residential street",
        QColor("#ffffff"),
        QColor("#bdb6ab"),
        QColor("#c9c2b7"),
        9.0,
        0.6,
        16.0,
        11.4,
        1,
    ),
    StreetStyle(
        "tertiary",
        "Tertiary road",
        QColor("#ffffff"),
        QColor("#a9a297"),
        QColor("#b5aea3"),
        11.0,
        0.8,
        18.0,
        23.0,
        2,
    ),
    StreetStyle(
        "secondary",
        "Secondary road",
        QColor("#f7f3b0"),
        QColor("#a5a063"),
        QColor("#c8c27a"),
        13.0,
        1.0,
        20.0,
        64.0,
        3,
    ),
    StreetStyle(
        "primary",
        "Primary road",
        QColor("#fcd6a4"),
        QColor("#b38645"),
        QColor("#e0a65a"),
        15.0,
        1.2,
        22.0,
        90.0,
        4,
    ),
    StreetStyle(
        "trunk",
        "Trunk road",
        QColor("#f9b29c"),
        QColor("#bd6f55"),
        QColor("#e38d71"),
        18.0,
        1.5,
        24.0,
        1e9,
        5,
    ),
    StreetStyle(
        "motorway",
        "Motorway",
        QColor("#e8927c"),
        QColor("#a84f3a"),
        QColor("#d9745c"),
        20.0,
        1.8,
        26.0,
        1e9,
        6,
    ),
)
STREET_STYLE_BY_KEY = {s.key: s for s in STREET_STYLES}

_HIGHWAY_CLASS = {
    "motorway": "motorway",
    "motorway_link": "motorway",
    "trunk": "trunk",
    "trunk_link": "trunk",
    "primary": "primary",
    "primary_link": "primary",
    "secondary": "secondary",
    "secondary_link": "secondary",
    "tertiary": "tertiary",
    "tertiary_link": "tertiary",
    "residential": "residential",
    "unclassified": "residential",
    "living_street": "residential",
    "road": "residential",
}


def street_class(highway: object) -> str:
    """The drawing class of an OSM ``highway`` value (lists take their first item)."""
    if isinstance(highway, list | tuple):
        highway = highway[0] if highway else ""
    text = str(highway or "").strip().strip("[]'\"")
    return _HIGHWAY_CLASS.get(text, "service")


@dataclass(frozen=True)
class CategoryStyle:
    key: str
    label: str
    color: QColor
    shape: str  # diamond | square_cross | triangle | star | circle
    #: The site is not verified (``verified = false``): its outline is left to the dashed
    #: mark of :mod:`planner.app.siting.site_marks`; a verified site's outline is solid.
    unverified: bool = False


CATEGORY_STYLES: dict[str, CategoryStyle] = {
    "place_of_worship": CategoryStyle(
        "place_of_worship", "Place of worship", QColor("#7b3fa0"), "diamond"
    ),
    "abortion_provider": CategoryStyle(
        "abortion_provider", "Abortion provider", QColor("#00897b"), "square_cross"
    ),
    "consulate": CategoryStyle("consulate", "Consulate", QColor("#e65100"), "triangle"),
    "embassy": CategoryStyle("embassy", "Embassy", QColor("#e65100"), "star"),
}
OTHER_CATEGORY = CategoryStyle("other", "Other site", QColor("#546e7a"), "circle")

ZONE_COLORS = {
    "block": QColor("#d32f2f"),
    "warn": QColor("#f9a825"),
    "ignore": QColor("#78909c"),
}


def category_style(category: str) -> CategoryStyle:
    return CATEGORY_STYLES.get(category, OTHER_CATEGORY)


def symbol_path(shape: str, size: float) -> QPainterPath:
    """Outline of a site symbol of ``size`` pixels, centred on the origin."""
    r = size / 2.0
    path = QPainterPath()
    if shape == "diamond":
        path.addPolygon(QPolygonF([QPointF(0, -r), QPointF(r, 0), QPointF(0, r), QPointF(-r, 0)]))
    elif shape == "square_cross":
        s = r * 0.82
        path.addRect(QRectF(-s, -s, 2 * s, 2 * s))
    elif shape == "triangle":
        path.addPolygon(
            QPolygonF([QPointF(0, -r), QPointF(r * 0.95, r * 0.75), QPointF(-r * 0.95, r * 0.75)])
        )
    elif shape == "star":
        pts = []
        for i in range(10):
            rr = r if i % 2 == 0 else r * 0.45
            a = math.radians(-90 + 36 * i)
            pts.append(QPointF(rr * math.cos(a), rr * math.sin(a)))
        path.addPolygon(QPolygonF(pts))
    else:
        path.addEllipse(QPointF(0, 0), r * 0.8, r * 0.8)
    path.closeSubpath()
    return path


def draw_symbol(painter: QPainter, center: QPointF, style: CategoryStyle, size: float) -> None:
    """Draw one site symbol: a filled shape with a white rim, and a white cross for clinics."""
    path = symbol_path(style.shape, size).translated(center)
    painter.setPen(QPen(QColor("#ffffff"), 1.6))
    painter.setBrush(QBrush(style.color))
    painter.drawPath(path)
    if style.shape == "square_cross":
        s = size * 0.24
        painter.setPen(
            QPen(
                QColor("#ffffff"),
                max(1.5, size * 0.14),
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.FlatCap,
            )
        )
        painter.drawLine(QPointF(center.x() - s, center.y()), QPointF(center.x() + s, center.y()))
        painter.drawLine(QPointF(center.x(), center.y() - s), QPointF(center.x(), center.y() + s))


def symbol_icon(style: CategoryStyle, size: int = 16) -> QIcon:
    return QIcon(symbol_pixmap(style, size))


def symbol_pixmap(style: CategoryStyle, size: int = 16) -> QPixmap:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    draw_symbol(p, QPointF(size / 2, size / 2), style, size - 2)
    p.end()
    return pix


def swatch_pixmap(
    *,
    fill: QColor | None = None,
    edge: QColor | None = None,
    line: QColor | None = None,
    line_width: float = 3.0,
    pattern: Qt.BrushStyle | None = None,
    size: int = 16,
) -> QPixmap:
    """A legend swatch: a filled square, or a horizontal line for line layers."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(1.5, 1.5, size - 3, size - 3)
    if fill is not None:
        p.setPen(QPen(edge, 1.0) if edge is not None else Qt.PenStyle.NoPen)
        p.setBrush(fill)
        p.drawRect(rect)
        if pattern is not None and edge is not None:
            p.setBrush(QBrush(edge, pattern))
            p.drawRect(rect)
    if line is not None:
        if edge is not None and fill is None:
            p.setPen(QPen(edge, line_width + 2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
            p.drawLine(QPointF(0, size / 2), QPointF(size, size / 2))
        p.setPen(QPen(line, line_width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        p.drawLine(QPointF(0, size / 2), QPointF(size, size / 2))
    p.end()
    return pix
