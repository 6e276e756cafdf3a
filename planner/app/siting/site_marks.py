"""Marks for unverified sites on the map (``verified = false``).

A site whose category a person must still confirm (e.g. a Planned Parenthood clinic:
does it *primarily* provide abortion services?) is protected like any other, but
must not look like a confirmed one: it gets a dashed purple outline, always, and a
"? unverified" tag whose tooltip says what to confirm. The tag is placed by the map
with its other labels (:meth:`UnverifiedMarks.map_labels`): where it would cover a
camera or another label it is hidden at that zoom, and the outline still says it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from planner.app.map.canvas.label_layer import LabelBatch, ToView
from planner.app.map.canvas.labels import PRIORITY, LabelRequest, LabelStyle
from planner.app.map.canvas.render import site_symbol_px
from planner.app.siting.document import PlanDocument
from planner.app.siting.scene_paths import geometry_path, to_scene
from planner.app.siting.wording import unverified_note

Z_MARKS = 45.0  # above the site and zone layers, below the cones
COLOUR = QColor(130, 40, 160)
#: The outline of an unverified site (a verified one is solid).
UNVERIFIED_PEN_STYLE = Qt.PenStyle.DashLine
#: A point site is marked with a ring of this radius (metres).
POINT_RING_M = 12.0
TAG_TEXT = "? unverified"
#: How far (pixels beyond the symbol) a tag may stand off when no place beside it is free.
TAG_REACH_PX = (14.0, 28.0, 44.0)
TAG_STYLE = LabelStyle(font_px=10, bold=True, colour=COLOUR, box=QColor(255, 255, 255, 220))
#: Below the site's symbol first: its name is tried on the right.
TAG_SIDES = (
    "below",
    "above",
    "below_right",
    "below_left",
    "above_right",
    "above_left",
    "right",
    "left",
)


@dataclass(frozen=True)
class Tag:
    """Where an unverified site's tag belongs (scene point) and what its tooltip says."""

    site_id: str
    at: QPointF
    tooltip: str


class UnverifiedMarks(QObject):
    """Keeps one outline per unverified site of the document's data, and their tags.

    Signals
    -------
    changed()
        The marks were rebuilt (the map places the tags again).
    """

    changed = Signal()

    def __init__(
        self, doc: PlanDocument, scene: QGraphicsScene, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.doc, self.scene = doc, scene
        self.items: dict[str, QGraphicsPathItem] = {}
        self.tags: dict[str, Tag] = {}
        doc.data_changed.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        for outline in self.items.values():
            self.scene.removeItem(outline)
        self.items, self.tags = {}, {}
        data, proj = self.doc.data, self.doc.projector
        if data is None or proj is None:
            self.changed.emit()
            return
        pen = QPen(COLOUR, 2.0, UNVERIFIED_PEN_STYLE)
        pen.setCosmetic(True)
        for site in data.sites:
            note = unverified_note(site)
            if not note:
                continue
            geom = proj.project(site.geometry)
            # the point the map's site symbol stands on (shapely's point on surface)
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
            text = f"{site.name or site.id}: {note}"
            outline.setToolTip(text)
            self.scene.addItem(outline)
            self.items[site.id] = outline
            self.tags[site.id] = Tag(site.id, to_scene(c.x, c.y), text)
        self.changed.emit()

    def map_labels(self, rect: QRectF, res: float, to_view: ToView) -> LabelBatch:
        """The tags of the sites in ``rect`` (scene), beside the site symbols.

        A label source of :meth:`planner.app.map.canvas.MapCanvas.add_label_source`.
        """
        batch = LabelBatch()
        size = TAG_STYLE.size(TAG_TEXT)
        radius = site_symbol_px(res) / 2
        for tag in self.tags.values():
            if not rect.contains(tag.at):
                continue
            batch.requests.append(
                LabelRequest(
                    TAG_TEXT,
                    to_view(tag.at),
                    size,
                    priority=PRIORITY["unverified"],
                    radius=radius,
                    role="unverified",
                    style=TAG_STYLE,
                    tooltip=tag.tooltip,
                    positions=TAG_SIDES,
                    # in a crowd of camera symbols (city zoom) the tag stands off with
                    # a leader rather than disappear: the dashed outline is too small there
                    reach=TAG_REACH_PX,
                )
            )
        return batch
