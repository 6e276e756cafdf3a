"""How a camera looks on every map: status colours and patterns, marks, drawing order.

The status of a camera shows as a colour AND a pattern (block: red cross-hatch, warn:
amber diagonal hatch, clear: light green solid; unchecked: grey dots) and as a stroked
mark on its symbol, so status never rests on colour alone. The app's map, its legend
and the review report's maps all draw with these, so a symbol means the same thing
everywhere.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen

from planner.core.model import Severity

#: Drawing order of the siting items: cones under the allowed-heading arcs under the
#: camera symbols under the handles of the selected camera.
Z_CONE = 50.0
Z_ARCS = 55.0
Z_CAMERA = 60.0
Z_HANDLE = 70.0

#: status -> (colour, pattern); None means "not checked yet".
STATUS_STYLE: dict[Severity | None, tuple[QColor, Qt.BrushStyle]] = {
    Severity.BLOCK: (QColor(215, 25, 28), Qt.BrushStyle.DiagCrossPattern),
    Severity.WARN: (QColor(230, 145, 0), Qt.BrushStyle.BDiagPattern),
    Severity.CLEAR: (QColor(26, 150, 65), Qt.BrushStyle.SolidPattern),
    None: (QColor(120, 120, 120), Qt.BrushStyle.Dense6Pattern),
}


def paint_status_swatch(
    p: QPainter, path: QPainterPath, status: Severity | None, *, hatch_alpha: int, pen_width: float
) -> None:
    """Fill ``path`` as a cone of ``status`` is drawn: a light tint, the status hatch, an outline.

    Legends and report maps draw their cone swatches with this, so a symbol means the
    same thing everywhere.
    """
    colour, pattern = STATUS_STYLE[status]
    tint = QColor(colour)
    tint.setAlpha(60)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(tint)
    p.drawPath(path)
    if pattern is not Qt.BrushStyle.SolidPattern:
        hatch = QColor(colour)
        hatch.setAlpha(hatch_alpha)
        p.setBrush(QBrush(hatch, pattern))
        p.drawPath(path)
    p.setPen(QPen(colour, pen_width))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)


#: Drawing order by check status: where symbols crowd (a city of cameras at city zoom),
#: a blocked camera is drawn over a warned one, a warned over a clear one, a clear over
#: one not checked yet, whatever else (editable or not) tells them apart.
STATUS_Z = {None: 0.0, Severity.CLEAR: 1.0, Severity.WARN: 2.0, Severity.BLOCK: 3.0}
#: At city zoom (one symbol a dot), half the side of each status' symbol, pixels: blocked
#: and warned cameras are larger so they show among hundreds of clear ones.
DOT_HALF_PX = {None: 4.0, Severity.CLEAR: 4.0, Severity.WARN: 5.5, Severity.BLOCK: 6.5}


def status_mark_path(status: Severity | None, s: float) -> QPainterPath:
    """The ✕ / ! / ✓ / ? mark of ``status`` as strokes inside a square of half side ``s``.

    Drawn as lines, not glyphs, so the mark still reads on a symbol a few pixels wide
    (city zoom), where a font's ✓ is a smudge: the status never rests on colour alone.
    """
    path = QPainterPath()
    k = s * 0.55
    if status is Severity.BLOCK:
        path.moveTo(-k, -k)
        path.lineTo(k, k)
        path.moveTo(k, -k)
        path.lineTo(-k, k)
    elif status is Severity.WARN:
        path.moveTo(0.0, -k * 1.2)
        path.lineTo(0.0, k * 0.15)
        path.moveTo(0.0, k * 0.85)
        path.lineTo(0.0, k * 0.9)
    elif status is Severity.CLEAR:
        path.moveTo(-k, 0.0)
        path.lineTo(-k * 0.25, k * 0.7)
        path.lineTo(k, -k * 0.75)
    else:
        # not checked yet: a short bar, "nothing known"
        path.moveTo(-k * 0.7, 0.0)
        path.lineTo(k * 0.7, 0.0)
    return path


#: Camera labels are drawn up to this many metres per pixel (the selection always).
LABEL_MAX_RES = 2.5
#: Up to this many metres per pixel a camera is its full symbol; beyond, a small dot.
SYMBOL_MAX_RES = 12.0


def label_font() -> QFont:
    """The font of a camera label painted by its item."""
    font = QFont()
    font.setPixelSize(10)
    return font
