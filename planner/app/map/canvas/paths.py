"""Build QPainterPaths from numpy coordinate arrays in one copy.

Appending thousands of subpaths with ``moveTo``/``lineTo`` from Python costs a
call per vertex; streaming the path's binary form through ``QDataStream`` costs
one numpy fill, which is what makes per-tile rendering of 300,000 buildings
affordable.
"""

from __future__ import annotations

import struct

import numpy as np
from PySide6.QtCore import QByteArray, QDataStream
from PySide6.QtGui import QPainterPath

_ELEMENT = np.dtype([("c", ">i4"), ("x", ">f8"), ("y", ">f8")])
_MOVE_TO = 0
_LINE_TO = 1


def path_from_parts(xy: np.ndarray, starts: np.ndarray) -> QPainterPath:
    """One path holding many polylines or rings.

    Parameters
    ----------
    xy : numpy.ndarray
        ``(n, 2)`` float coordinates, all parts concatenated.
    starts : numpy.ndarray
        Index in ``xy`` where each part begins (a ``moveTo``); parts run to the
        next start. Rings must repeat their first vertex to be stroked closed.

    Returns
    -------
    PySide6.QtGui.QPainterPath
        Filled with the odd-even rule, so interior rings are holes.
    """
    n = len(xy)
    path = QPainterPath()
    if n == 0:
        return path
    arr = np.empty(n, dtype=_ELEMENT)
    arr["c"] = _LINE_TO
    arr["c"][starts] = _MOVE_TO
    arr["x"] = xy[:, 0]
    arr["y"] = xy[:, 1]
    data = struct.pack(">i", n) + arr.tobytes() + struct.pack(">i", 0)
    stream = QDataStream(QByteArray(data))
    stream >> path
    return path
