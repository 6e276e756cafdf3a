"""Marks for unverified sites on the map (``verified = false``).

A site whose category a person must still confirm (e.g. a Planned Parenthood clinic:
does it *primarily* provide abortion services?) is protected like any other, but
must not look like a confirmed one: it gets a dashed purple outline and an
"unverified" tag, whose tooltip says what to confirm.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from planner.app.camera_items import geometry_path, to_scene
from planner.app.document import PlanDocument
from planner.app.wording import unverified_note

Z_MARKS = 45.0  # above the site and zone layers, below the cones
COLOUR = QColor(130, 40, 160)
#: A point site is marked with a ring of this radius (metres).
POINT_RING_M = 12.0


class _Tag(QGraphicsSimpleTextItem):
    """A fixed-size "unverified" tag with a light background."""

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor(255, 255, 255, 220)))
        painter.drawRoundedRect(self.boundingRect().adjusted(-3, -1, 3, 1), 3, 3)
        super().paint(painter, option, widget)


class UnverifiedMarks(QObject):
    """Keeps one outline and one tag per unverified site of the document's data."""

    def __init__(
        self, doc: PlanDocument, scene: QGraphicsScene, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.doc, self.scene = doc, scene
        self.items: dict[str, tuple[QGraphicsPathItem, _Tag]] = {}
        doc.data_changed.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        for outline, tag in self.items.values():
            self.scene.removeItem(outline)
            self.scene.removeItem(tag)
        self.items = {}
        data, proj = self.doc.data, self.doc.projector
        if data is None or proj is None:
            return
        pen = QPen(COLOUR, 2.0, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        font = QFont()
        font.setPixelSize(10)
        font.setBold(True)
        for site in data.sites:
            note = unverified_note(site)
            if not note:
                continue
            geom = proj.project(site.geometry)
            c = geom.representative_point()
            if geom.geom_type in ("Polygon", "MultiPolygon"):
                path = geometry_path(geom, origin=(c.x, c.y))
            else:
                path = QPainterPath()
                path.addEllipse(QPointF(0, 0), POINT_RING_M, POINT_RING_M)
            outline = QGraphicsPathItem(path)
            outline.setPen(pen)
            outline.setBrush(Qt.BrushStyle.NoBrush)
            outline.setPos(to_scene(c.x, c.y))
            outline.setZValue(Z_MARKS)
            outline.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            tag = _Tag("? unverified")
            tag.setFont(font)
            tag.setBrush(QBrush(COLOUR))
            tag.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
            tag.setPos(to_scene(c.x, c.y))
            # below the site's own label (drawn at the same point by the sites layer)
            w = tag.boundingRect().width()
            tag.setTransform(QTransform.fromTranslate(-w / 2, 10))
            tag.setZValue(Z_MARKS + 1)
            text = f"{site.name or site.id}: {note}"
            outline.setToolTip(text)
            tag.setToolTip(text)
            self.scene.addItem(outline)
            self.scene.addItem(tag)
            self.items[site.id] = (outline, tag)

    def tag_rect(self, site_id: str) -> QRectF:
        return self.items[site_id][1].sceneBoundingRect()
