"""Write the review report: PDF with Qt's own machinery, or one self-contained HTML file.

Why Qt and not reportlab: the maps must be drawn by the app's renderer, which paints
with ``QPainter``; ``QPdfWriter`` takes that painter's output as vectors, and
``QTextDocument`` lays out the text (tables, page breaks) and embeds the fonts. No
new dependency enters the installed bundle.

The PDF is laid out by ``QTextDocument`` from the same HTML the HTML report uses;
each map is a custom text object whose drawing the writer does with
:class:`planner.app.review_maps.ReportMaps`, straight into the PDF painter.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QImageWriter,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QPyTextObject,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

from planner.app.review_maps import ReportMaps, fit_extent
from planner.report.html import footer_text, report_html
from planner.report.model import Boundary, LayerRow, Report, build_report

Progress = Callable[[str, float], None]

MAP_OBJECT = QTextFormat.ObjectTypes.UserObject + 10
_KEY = QTextFormat.Property.UserProperty + 10
PAGE = QPageSize.PageSizeId.Letter
MARGIN_PT = 50.0
FOOTER_PT = 26.0
OVERVIEW_SIZE = (510, 470)
INSET_SIZE = (250, 190)
#: Scale bar, north arrow and attribution of the small camera maps, relative to the overview.
INSET_OVERLAY_SCALE = 0.7
#: Camera symbols on the overview, relative to the app's (hundreds share one page).
OVERVIEW_SYMBOL_SCALE = 0.6
#: HTML images: pixels per layout unit, and JPEG quality (a city must be able to email it).
HTML_SCALE = 1.5
#: The overview is shown across the whole text column: drawn sharper than the insets.
HTML_OVERVIEW_SCALE = 2.0
HTML_JPEG_QUALITY = 80

_QT_CSS = """
h1 { font-size: 20pt; color: #0b3d62; }
h2 { font-size: 14pt; color: #0b3d62; margin-top: 8px; }
h3 { font-size: 11pt; color: #0b3d62; margin-top: 10px; }
p { margin-top: 3px; margin-bottom: 3px; }
th { background-color: #e8edf2; text-align: left; }
.mono { font-family: "DejaVu Sans Mono"; font-size: 7pt; }
.small { font-size: 7.5pt; color: #4a4a4a; }
.kicker { font-size: 8pt; color: #4a5a6a; }
.stale { color: #b71c1c; font-weight: bold; }
pre { font-size: 7pt; }
"""


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _boundaries(data: Path | None) -> tuple[Any, list[Boundary]]:
    """The pack's boundaries as a frame (for the map) and as report boundaries."""
    if data is None:
        return None, []
    from planner.io.pack import read_pack

    try:
        pack = read_pack(data, layers=["boundaries"])
    except Exception:  # the layer is optional; the re-check has read the pack already
        return None, []
    frame = pack.boundaries
    if frame is None or not len(frame):
        return None, []
    out = []
    for name, kind, geom in zip(frame["name"], frame["kind"], frame.geometry, strict=True):
        text = str(kind or "").lower()
        cls = "city_limits" if ("limit" in text or text == "city") else "district"
        out.append(Boundary(name=str(name or ""), kind=cls, geometry=geom))
    return frame, out


def _osm(rc: Any) -> bool:
    paths = [layer.path.lower() for layer in rc.inputs.layers]
    if any("osm" in p or "openstreetmap" in p for p in paths):
        return True
    return any("osm" in (s.source or "").lower() for s in rc.checker.sites) or bool(
        rc.inputs.streets is not None and len(rc.inputs.streets)
    )


def build(rc: Any, *, reviewer: str | None, progress: Progress | None) -> tuple[Report, Any]:
    """The report model and the pack's boundaries frame, from a re-check."""

    from planner.io.common import sha256_file
    from planner.io.policy import builtin_policy_path
    from planner.io.review_store import plan_features, review_log

    policy_path = rc.policy_path or builtin_policy_path()
    try:
        policy_text = Path(policy_path).read_text(encoding="utf-8")[:200_000]
    except (OSError, UnicodeDecodeError):
        policy_text = "(the policy file could not be read back)"
    frame, boundaries = _boundaries(getattr(rc, "data_path", None) or _pack_of(rc))
    streets = None
    if rc.inputs.streets is not None and len(rc.inputs.streets):
        table = rc.inputs.streets
        lines = rc.checker.projector.project(table.geoms)
        names = table.get("name")
        streets = (lines, names if names is not None else [None] * len(table))
    report = build_report(
        plan=rc.plan,
        plan_path=str(rc.plan_path),
        file_sha256=sha256_file(rc.plan_path),
        features=plan_features(rc.plan),
        review=review_log(rc.plan, source=str(rc.plan_path)),
        policy=rc.policy,
        policy_text=policy_text,
        layers=[LayerRow(x.kind, x.path, x.sha256, x.features) for x in rc.inputs.layers],
        checker=rc.checker,
        result=rc.result,
        streets=streets,
        boundaries=boundaries,
        generated_on=_now(),
        reviewer=reviewer,
        osm=_osm(rc),
        warnings=[*rc.managed_notes, *rc.inputs.warnings],
        progress=progress,
        signers=rc.trust.signers if getattr(rc, "trust", None) is not None else None,
        trust=rc.trust.describe() if getattr(rc, "trust", None) is not None else "",
    )
    return report, frame


def _pack_of(rc: Any) -> Path | None:
    for layer in rc.inputs.layers:
        if "#" in layer.path:
            return Path(layer.path.split("#", 1)[0])
    return None


def ensure_app() -> None:
    """A Qt application for fonts and painting; headless (offscreen) from the command line."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        QApplication(["siting-planner"])


def write_report(
    rc: Any, out: Path, *, reviewer: str | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """Write ``out`` (.pdf or .html) atomically; returns ``{"pages", "bytes"}``."""
    ensure_app()
    report, frame = build(rc, reviewer=reviewer, progress=progress)
    if progress:
        progress("Preparing the maps", 0.5)
    maps = ReportMaps(
        checker=rc.checker,
        cameras=rc.plan.cameras,
        result=rc.result,
        streets=rc.inputs.streets,
        buildings=rc.inputs.buildings,
        boundaries=frame,
        osm=report.osm,
    )
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        if out.suffix.lower() == ".pdf":
            pages = write_pdf(report, maps, tmp, progress=progress)
        else:
            pages = 0
            write_html(report, maps, tmp, progress=progress)
        tmp.replace(out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return {"pages": pages, "bytes": out.stat().st_size, "report": report}


# -- HTML ----------------------------------------------------------------------------------


def _data_uri(image: Any) -> str:
    buf = QByteArray()
    dev = QBuffer(buf)
    dev.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(dev, b"jpeg")
    writer.setQuality(HTML_JPEG_QUALITY)
    # optimised Huffman tables: 15 % smaller maps for a quarter more encoding time
    # (about 0.1 s for 360 maps), worth it in a file meant to be emailed
    writer.setOptimizedWrite(True)
    if not writer.write(image):
        msg = f"cannot encode a map image: {writer.errorString()}"
        raise OSError(msg)
    dev.close()
    return "data:image/jpeg;base64," + base64.b64encode(bytes(buf.data())).decode("ascii")


def write_html(
    report: Report, maps: ReportMaps, path: Path, *, progress: Progress | None = None
) -> None:
    """One self-contained HTML file: every image inlined, no external reference."""
    aspect = OVERVIEW_SIZE[0] / OVERVIEW_SIZE[1]
    images = {
        "overview": _data_uri(
            maps.image(
                width=OVERVIEW_SIZE[0],
                height=OVERVIEW_SIZE[1],
                legend=True,
                scale=HTML_OVERVIEW_SCALE,
                symbol_scale=OVERVIEW_SYMBOL_SCALE,
                extent=fit_extent(maps.overview_extent(), aspect=aspect),
            )
        )
    }
    n = max(1, len(report.sections))
    inset_aspect = INSET_SIZE[0] / INSET_SIZE[1]
    for i, s in enumerate(report.sections):
        images[f"camera:{s.camera.id}"] = _data_uri(
            maps.image(
                width=INSET_SIZE[0],
                height=INSET_SIZE[1],
                scale=HTML_SCALE,
                overlay_scale=INSET_OVERLAY_SCALE,
                subject=s.camera.id,
                extent=fit_extent(maps.camera_extent(s.camera), aspect=inset_aspect),
            )
        )
        if progress and i % 10 == 0:
            progress(f"Drawing map {i + 1} of {n}", 0.55 + 0.4 * i / n)
    text = report_html(
        report, images, for_qt=False, overview_size=OVERVIEW_SIZE, inset_size=INSET_SIZE
    )
    path.write_text(text, encoding="utf-8")


# -- PDF -----------------------------------------------------------------------------------


class _MapObject(QPyTextObject):
    """Draws a map where the text layout placed its ``map:KEY`` image."""

    def __init__(self, report: Report, maps: ReportMaps) -> None:
        super().__init__()
        self.maps = maps
        self.cameras = {s.camera.id: s.camera for s in report.sections}
        self.drawn = 0
        self.on_draw: Callable[[int], None] | None = None

    def intrinsicSize(self, doc: QTextDocument, pos: int, fmt: QTextFormat) -> QSizeF:
        img = fmt.toImageFormat()
        return QSizeF(img.width(), img.height())

    def drawObject(
        self, painter: QPainter, rect: QRectF, doc: QTextDocument, pos: int, fmt: QTextFormat
    ) -> None:
        key = str(fmt.property(_KEY))
        w, h = rect.width(), rect.height()
        if key == "overview":
            extent = fit_extent(self.maps.overview_extent(), aspect=w / h)
            legend = True
        else:
            cam = self.cameras[key.removeprefix("camera:")]
            extent = fit_extent(self.maps.camera_extent(cam), aspect=w / h)
            legend = False
        painter.save()
        painter.translate(rect.topLeft())
        self.maps.draw(
            painter,
            width=w,
            height=h,
            extent=extent,
            legend=legend,
            overlay_scale=1.0 if legend else INSET_OVERLAY_SCALE,
            symbol_scale=OVERVIEW_SYMBOL_SCALE if legend else 1.0,
            subject=None if legend else key.removeprefix("camera:"),
        )
        painter.restore()
        self.drawn += 1
        if self.on_draw is not None:
            self.on_draw(self.drawn)


def _bind_maps(doc: QTextDocument) -> None:
    """Turn every ``map:KEY`` image of the document into a map object."""
    block = doc.begin()
    edits: list[tuple[int, str, Any]] = []
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            fmt = frag.charFormat()
            if fmt.isImageFormat():
                img = fmt.toImageFormat()
                if img.name().startswith("map:"):
                    edits.append((frag.position(), img.name()[4:], img))
            it += 1
        block = block.next()
    cursor = QTextCursor(doc)
    # one edit block: the layout runs once at the end, not once per map
    cursor.beginEditBlock()
    for pos, key, img in edits:
        cursor.setPosition(pos)
        cursor.setPosition(pos + 1, QTextCursor.MoveMode.KeepAnchor)
        fmt = QTextCharFormat(img)
        fmt.setObjectType(MAP_OBJECT)
        fmt.setProperty(_KEY, key)
        cursor.setCharFormat(fmt)
    cursor.endEditBlock()


def write_pdf(
    report: Report, maps: ReportMaps, path: Path, *, progress: Progress | None = None
) -> int:
    """Lay out and write the PDF; returns the page count."""
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(PAGE))
    writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Point)
    writer.setResolution(72)  # one layout unit is one point
    writer.setTitle(report.title)
    writer.setCreator("siting-planner")
    if hasattr(writer, "setAuthor"):
        writer.setAuthor(report.reviewer)
    page_w = writer.width()
    page_h = writer.height()
    body_w = page_w - 2 * MARGIN_PT
    body_h = page_h - 2 * MARGIN_PT - FOOTER_PT

    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(writer)
    font = QFont("DejaVu Sans")
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPointSizeF(8.5)
    doc.setDefaultFont(font)
    doc.setDefaultStyleSheet(_QT_CSS)
    doc.setDocumentMargin(0)
    handler = _MapObject(report, maps)
    doc.documentLayout().registerHandler(MAP_OBJECT, handler)
    # placeholders keep the layout from fetching images: the maps are drawn, not loaded
    doc.setUndoRedoEnabled(False)
    doc.setHtml(
        report_html(report, {}, for_qt=True, overview_size=OVERVIEW_SIZE, inset_size=INSET_SIZE)
    )
    _bind_maps(doc)
    doc.setPageSize(QSizeF(body_w, body_h))
    pages = doc.pageCount()
    n_maps = len(report.sections) + 1
    if progress:
        handler.on_draw = lambda k: (
            (k % 10 == 0) and progress(f"Drawing map {k} of {n_maps}", 0.55 + 0.4 * k / n_maps)
        )
    footer = footer_text(report)
    painter = QPainter(writer)
    small = QFont(font)
    small.setPointSizeF(6.5)
    try:
        for i in range(pages):
            if i:
                writer.newPage()
            painter.save()
            painter.translate(MARGIN_PT, MARGIN_PT - i * body_h)
            clip = QRectF(0, i * body_h, body_w, body_h)
            painter.setClipRect(clip)
            ctx = QAbstractTextDocumentLayout.PaintContext()
            ctx.clip = clip
            doc.documentLayout().draw(painter, ctx)
            painter.restore()
            _footer(
                painter,
                small,
                footer=footer,
                page=i + 1,
                pages=pages,
                osm=report.osm,
                x=MARGIN_PT,
                y=page_h - MARGIN_PT - FOOTER_PT + 10,
                width=body_w,
                plan=report.plan_name,
            )
    finally:
        painter.end()
    return pages


def _footer(
    painter: QPainter,
    font: QFont,
    *,
    footer: str,
    page: int,
    pages: int,
    osm: bool,
    x: float,
    y: float,
    width: float,
    plan: str,
) -> None:
    painter.save()
    painter.setPen(QPen(QColor("#8a96a3"), 0.5))
    painter.drawLine(x, y, x + width, y)
    painter.setFont(font)
    painter.setPen(QColor("#4a4a4a"))
    left = f"{plan} · DPO review" + (" · Map data © OpenStreetMap contributors" if osm else "")
    painter.drawText(QRectF(x, y + 3, width, 10), Qt.AlignmentFlag.AlignLeft, left)
    painter.drawText(
        QRectF(x, y + 3, width, 10), Qt.AlignmentFlag.AlignRight, f"Page {page} of {pages}"
    )
    painter.drawText(QRectF(x, y + 12, width, 10), Qt.AlignmentFlag.AlignLeft, footer)
    painter.restore()
