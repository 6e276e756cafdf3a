"""Make the PNG sizes, the Windows ICO and the macOS ICNS from ``siting-planner.svg``.

    python assets/make_icons.py

Renders with Qt's SVG renderer (already a dependency), so no image tool is needed.
ICO and ICNS are written here because both are simple containers of PNG images
(ICO since Windows Vista, ICNS since macOS 10.7): a header and a table of entries.
The output is committed; run this again after changing the SVG.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE / "siting-planner.svg"
OUT = HERE / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types holding PNG data and their pixel sizes (Apple's "icns" format);
# ic11-ic14 are the @2x (retina) versions of 16, 32, 128 and 256 points.
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)


def render_png(size: int) -> bytes:
    """The SVG rendered at ``size`` x ``size`` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        msg = f"{SVG}: not a valid SVG"
        raise ValueError(msg)
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows ICO holding one PNG per size (ICONDIR + ICONDIRENTRY table)."""
    sizes = [s for s in ICO_SIZES if s in pngs]
    head = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    table, blobs = b"", b""
    for s in sizes:
        data = pngs[s]
        dim = 0 if s >= 256 else s  # 0 means 256 in an ICONDIRENTRY
        table += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return head + table + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS ICNS holding one PNG element per type."""
    body = b""
    for kind, px in ICNS_TYPES:
        body += kind + struct.pack(">I", 8 + len(pngs[px])) + pngs[px]
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    OUT.mkdir(exist_ok=True)
    pngs = {s: render_png(s) for s in (*PNG_SIZES, 1024)}
    for s in PNG_SIZES:
        (OUT / f"siting-planner-{s}.png").write_bytes(pngs[s])
    (OUT / "siting-planner.ico").write_bytes(ico(pngs))
    (OUT / "siting-planner.icns").write_bytes(icns(pngs))
    print(f"wrote {len(PNG_SIZES)} PNGs, an ICO and an ICNS to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
