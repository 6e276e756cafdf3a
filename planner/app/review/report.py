"""Write the review report: a tagged, archival PDF, or one self-contained HTML file.

The PDF is laid out by Typst (the ``typst`` wheel: compiler and fonts inside, no
system library) from markup made of the report model (:mod:`planner.report.typst_source`):
Typst tags headings, tables, lists, links and figures and writes PDF/A-2a and PDF/UA-1.
Qt's ``QPdfWriter``, used before, cannot tag a PDF. The maps are still drawn by the
app's renderer (:class:`planner.app.review.maps.ReportMaps`), into SVG files with
``QSvgGenerator``, so they stay vectors in the PDF.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF
from PySide6.QtGui import QFont, QImageWriter, QPainter

from planner.app.review.maps import MapOptions, ReportMaps, fit_extent
from planner.report.html import report_html
from planner.report.model import Boundary, LayerRow, Report, build_report

Progress = Callable[[str, float], None]

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


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _boundaries(data: Path | None) -> tuple[Any, list[Boundary]]:
    """The pack's boundaries as a frame (for the map) and as report boundaries."""
    if data is None:
        return None, []
    from planner.io.datapack.store import read_pack

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

    from planner.io.datapack.basis import describe_basis
    from planner.io.formats.policy import builtin_policy_path
    from planner.io.formats.review_store import plan_features, review_log
    from planner.io.safety.common import sha256_file

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
        basis=describe_basis(
            rc.inputs,
            rc.plan.cameras,
            rc.checker.projector,
            site_files=[
                Path(x.path) for x in rc.inputs.layers if x.kind == "sites" and "#" not in x.path
            ],
        ),
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
    from planner.io.safety.outputs import verify_pdf, write_output_file

    # A fresh temporary (random name, never a planted link), checked before it
    # replaces the old report: a full disk or a read-only folder keeps the old one.
    if out.suffix.lower() == ".pdf":
        pages = write_output_file(
            out,
            lambda tmp: write_pdf_tagged(report, maps, tmp, progress=progress),
            verify=verify_pdf,
        )
    else:
        pages = 0
        write_output_file(out, lambda tmp: write_html(report, maps, tmp, progress=progress))
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


class ReportMap(NamedTuple):
    """One map of the report: its key in the report's images, a file name, what it shows."""

    key: str
    stem: str
    options: MapOptions


def report_maps(
    report: Report,
    maps: ReportMaps,
    *,
    overview: tuple[float, float],
    inset: tuple[float, float],
    progress: Progress | None,
    span: float,
) -> Iterator[ReportMap]:
    """The report's maps in order: the overview, its detail where numbers crowd, each
    camera's. Lazy: the detail depends on the overview drawn before it is asked for.

    ``progress`` hears of the camera maps, from 0.55 over ``span`` of the whole.
    """
    ow, oh = overview
    numbers = maps.callout_numbers(report)
    yield ReportMap(
        "overview",
        "overview",
        MapOptions(
            width=ow,
            height=oh,
            extent=fit_extent(maps.overview_extent(), aspect=ow / oh),
            legend=True,
            symbol_scale=OVERVIEW_SYMBOL_SCALE,
            callouts=numbers,
        ),
    )
    detail = maps.callout_extent(maps.callouts_crowded, aspect=ow / oh)
    if detail is not None:
        yield ReportMap(
            "detail", "detail", MapOptions(width=ow, height=oh, extent=detail, callouts=numbers)
        )
    iw, ih = inset
    n = max(1, len(report.sections))
    for i, s in enumerate(report.sections):
        options = MapOptions(
            width=iw,
            height=ih,
            extent=fit_extent(maps.camera_extent(s.camera), aspect=iw / ih),
            overlay_scale=INSET_OVERLAY_SCALE,
            subject=s.camera.id,
        )
        yield ReportMap(f"camera:{s.camera.id}", f"camera-{i}", options)
        if progress and i % 10 == 0:
            progress(f"Drawing map {i + 1} of {n}", 0.55 + span * i / n)


def write_html(
    report: Report, maps: ReportMaps, path: Path, *, progress: Progress | None = None
) -> None:
    """One self-contained HTML file: every image inlined, no external reference."""
    images = {}
    for m in report_maps(
        report, maps, overview=OVERVIEW_SIZE, inset=INSET_SIZE, progress=progress, span=0.4
    ):
        # the overview and its detail span the text column: drawn sharper than the insets
        scale = HTML_SCALE if m.options.subject is not None else HTML_OVERVIEW_SCALE
        images[m.key] = _data_uri(maps.image(m.options, scale=scale))
    text = report_html(report, images, overview_size=OVERVIEW_SIZE, inset_size=INSET_SIZE)
    path.write_text(text, encoding="utf-8")


# -- tagged PDF (Typst) ---------------------------------------------------------------------

#: PDF standards of the report: archival (PDF/A-2a, which needs the tags too) and
#: accessible (PDF/UA-1).
PDF_STANDARDS = ["a-2a", "ua-1"]


#: What a map's SVG may not hold as it is: the C0 controls XML 1.0 forbids (tab, newline
#: and carriage return are the SVG's own whitespace), and what the report shows as
#: escapes everywhere (``planner.report.typst_source``): DEL and C1 controls, bidi
#: overrides and marks, separators, zero-width characters, the BOM.
_SVG_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def _svg_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _svg(path: Path, *, width: float, height: float, draw: Callable[[QPainter], None]) -> None:
    """One map as an SVG file of ``width`` × ``height`` points: vectors stay vectors."""
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QFontInfo, QGuiApplication
    from PySide6.QtSvg import QSvgGenerator

    # an SVG names fonts by family, and "Sans Serif" (what a default QFont asks for)
    # is no font Typst knows: the maps' text would be set in another face than the one
    # Qt measured it with (labels overrunning their boxes). Name the real family.
    # Named for the map's drawing only: the app's own font is given back after it.
    default = QGuiApplication.font()
    real = QFontInfo(default).family()
    renamed = bool(real) and default.family() != real
    if renamed:
        fixed = QFont(default)
        fixed.setFamily(real)
        QGuiApplication.setFont(fixed)
    buf = QByteArray()
    dev = QBuffer(buf)
    dev.open(QIODevice.OpenModeFlag.WriteOnly)
    gen = QSvgGenerator()
    gen.setOutputDevice(dev)
    gen.setSize(QSize(round(width), round(height)))
    gen.setViewBox(QRectF(0, 0, width, height))
    gen.setResolution(72)  # one layout unit is one point, as in the page layout
    painter = QPainter(gen)
    try:
        draw(painter)
    finally:
        painter.end()
        dev.close()
        if renamed:
            QGuiApplication.setFont(default)
    # a plan's label may hold control characters, which XML forbids (Qt writes them as
    # they are), or a bidi override: written as escapes, as the report's text does
    text = bytes(buf.data()).decode("utf-8", errors="replace")
    path.write_text(_SVG_UNSAFE.sub(_svg_escape, text), encoding="utf-8")


def write_pdf_tagged(
    report: Report, maps: ReportMaps, path: Path, *, progress: Progress | None = None
) -> int:
    """Write the tagged PDF/A-2a + PDF/UA-1 report with Typst; returns the page count."""
    import tempfile

    from planner.report.typst_source import INSET_PT, OVERVIEW_PT, report_typst

    with tempfile.TemporaryDirectory(prefix="siting-report-") as td:
        root = Path(td)
        images: dict[str, str] = {}
        for m in report_maps(
            report, maps, overview=OVERVIEW_PT, inset=INSET_PT, progress=progress, span=0.3
        ):
            name = f"{m.stem}.svg"
            _svg(
                root / name,
                width=m.options.width,
                height=m.options.height,
                draw=partial(maps.draw, options=m.options),
            )
            images[m.key] = name
        text = report_typst(report, images)
        if progress:
            progress("Laying out the PDF", 0.88)
        _compile(text, root, path)
    return _page_count(path)


def _compile(text: str, root: Path, path: Path) -> None:
    """Compile the Typst ``text`` (its maps in ``root``) into the PDF ``path``.

    A PDF/A may hold no character its fonts cannot draw: a name in a script no
    installed font covers is written as its code point instead, in the text and in
    the maps, and the compilation tried again.
    """
    from planner.report.typst_compile import compile_pdf

    source = root / "report.typ"
    for _attempt in range(MAX_GLYPH_RETRIES):
        source.write_text(text, encoding="utf-8")
        error = compile_pdf(source, path, root=root, standards=list(PDF_STANDARDS))
        if error is None:
            return
        missing = _undisplayable(error)
        if not missing:
            raise RuntimeError(error)
        for ch in missing:
            text = text.replace(ch, f"\\\\u{ord(ch):04x}")
        for svg in root.glob("*.svg"):  # a camera's label on its map
            data = svg.read_text(encoding="utf-8")
            if any(ch in data for ch in missing):
                for ch in missing:
                    data = data.replace(ch, f"\\u{ord(ch):04x}")
                svg.write_text(data, encoding="utf-8")
    msg = "too many characters no installed font can draw"
    raise ValueError(msg)


#: Compilations tried, each writing one more undrawable character as its code point.
MAX_GLYPH_RETRIES = 12
_UNDISPLAYABLE = re.compile(r"the text `\"(.*?)\"` could not be displayed")


def _undisplayable(message: str) -> set[str]:
    """The non-ASCII characters of the text Typst says no font can display."""
    found = _UNDISPLAYABLE.search(message)
    if found is None:
        return set()
    # the message quotes the text as Rust does: unassigned code points as \u{378}
    quoted = re.sub(
        r"\\u\{([0-9a-fA-F]{1,6})\}", lambda m: chr(int(m.group(1), 16)), found.group(1)
    )
    return {ch for ch in quoted if ord(ch) > 0x7F}


def _page_count(path: Path) -> int:
    """Pages of a PDF, from its page tree's root ``/Count`` (Typst writes one tree)."""
    data = path.read_bytes()
    counts = [int(m) for m in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    counts += [int(m) for m in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    return max(counts, default=0)
