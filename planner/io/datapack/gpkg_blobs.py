"""GeoPackage geometry blobs, taken apart a chunk at a time with numpy.

A blob is a short header (``GP``, version, flags, SRS id, an optional envelope)
followed by standard WKB. Reading a citywide buildings layer one blob at a time in
Python costs more than the read itself, so a chunk of blobs is joined into one
buffer and the headers are parsed as arrays; the WKB is left where it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from planner.core.errors import InputError

#: Envelope bytes by the flags' envelope code (GeoPackage 1.3, table 3).
ENVELOPE_BYTES = np.array([0, 32, 48, 48, 64], dtype=np.int64)
_G, _P = ord("G"), ord("P")


@dataclass(frozen=True)
class BlobChunk:
    """One chunk of blobs: ``buffer[starts[i]:ends[i]]`` is row ``i``'s WKB.

    ``envelope[i]`` is ``(minx, miny, maxx, maxy)`` from the header, NaN where the
    header has none (or is big-endian, which this fast path leaves to shapely).
    ``missing[i]`` is true for a NULL cell or a blob flagged empty.
    """

    buffer: bytes
    starts: np.ndarray
    ends: np.ndarray
    envelope: np.ndarray
    missing: np.ndarray


def split_blobs(
    blobs: Sequence[Any], *, path: Path | str, layer: str, features: Sequence[int]
) -> BlobChunk:
    """Take a chunk of GeoPackage geometry cells apart.

    ``features`` names the rows in messages (their fids).

    Raises
    ------
    InputError
        A cell that is not a blob (SQLite is typeless: an edited cell may hold text
        or a number) or a blob that is not a GeoPackage geometry.
    """
    n = len(blobs)
    missing = np.zeros(n, dtype=bool)
    parts: Sequence[Any] = blobs
    if not set(map(type, blobs)) <= {bytes}:
        parts = []
        for k, blob in enumerate(blobs):
            if blob is None:
                missing[k] = True
                parts.append(b"")
            elif isinstance(blob, bytes):
                parts.append(blob)
            else:
                msg = f"not a GeoPackage geometry (a {type(blob).__name__} value)"
                raise InputError(path, f"layer {layer}, feature {features[k]}", msg)
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=n)
    # 8 bytes of padding: the header bytes of a short blob can be looked at, then refused
    buffer = b"".join(parts) + bytes(8)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    raw = np.frombuffer(buffer, dtype=np.uint8)
    present = ~missing
    ok = (lengths >= 8) & (raw[starts] == _G) & (raw[starts + 1] == _P)
    flags = raw[starts + 3]
    code = (flags >> 1) & 7
    ok &= code < len(ENVELOPE_BYTES)
    hdr = 8 + ENVELOPE_BYTES[np.minimum(code, len(ENVELOPE_BYTES) - 1)]
    ok &= lengths >= hdr
    bad = present & ~ok
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        where = f"layer {layer}, feature {features[k]}"
        raise InputError(path, where, "not a GeoPackage geometry")
    missing |= present & ((flags & 0x10) != 0)
    wkb_starts = starts + hdr
    ends = starts + lengths
    envelope = np.full((n, 4), np.nan)
    little = present & ((flags & 1) == 1) & (code > 0)
    rows = np.flatnonzero(little)
    if len(rows):
        # minx, maxx, miny, maxy as little-endian doubles right after the 8-byte header
        at = starts[rows, None] + 8 + np.arange(32)
        env = raw[at].copy().view("<f8").reshape(-1, 4)
        envelope[rows] = env[:, [0, 2, 1, 3]]
    return BlobChunk(buffer, wkb_starts, ends, envelope, missing)
