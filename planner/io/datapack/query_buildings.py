"""A pack's buildings read with sqlite3, chunk by chunk, into compact footprints.

The whole layer in one pass, or only the rows the R-tree finds in a plan's regions;
each chunk of :data:`CHUNK_ROWS` rows checked and repaired (or, for a file this
planner validated before, kept as read) by :class:`_FootprintReader`.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from planner.core.buildings import Footprints, FootprintsBuilder
from planner.core.errors import InputError
from planner.io.datapack.gpkg_blobs import split_blobs
from planner.io.datapack.layer_geoms import (
    check_layer_geoms,
    repair_layer_polygons,
    repair_messages,
)
from planner.io.datapack.pack_sqlite import POLYGONAL

#: Building rows decoded at a time: the whole layer never exists as shapely objects.
CHUNK_ROWS = 16_384


def read_buildings(
    con: sqlite3.Connection,
    path: Path,
    regions: Sequence[tuple[float, float, float, float]] | None,
    *,
    validate: bool,
    progress: Callable[[float], None] | None = None,
) -> tuple[Footprints, list[str]]:
    """The buildings (all, or those the R-tree finds in ``regions``) and warnings."""
    reader = _FootprintReader(con, path, validate=validate)
    if regions is None:
        # max(fid) is instant where count(*) scans the table: a progress estimate.
        total = max(1, int(con.execute("SELECT max(fid) FROM buildings").fetchone()[0] or 0))
        cursor = con.execute("SELECT fid, geom FROM buildings ORDER BY fid")
        while rows := cursor.fetchmany(CHUNK_ROWS):
            reader.add(rows)
            if progress is not None:
                progress(min(1.0, int(rows[-1][0]) / total))
    else:
        found: dict[int, Any] = {}
        query = (
            "SELECT fid, geom FROM buildings WHERE fid IN (SELECT id FROM rtree_buildings_geom "
            "WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)"
        )
        for w, s, e, n in regions:
            if all(math.isfinite(v) for v in (w, s, e, n)):
                for fid, blob in con.execute(query, (w, e, s, n)):
                    found[int(fid)] = blob
        rows = sorted(found.items())
        for k in range(0, len(rows), CHUNK_ROWS):
            reader.add(rows[k : k + CHUNK_ROWS])
    return reader.finish()


class _FootprintReader:
    """Checks and repairs building rows chunk by chunk (see :func:`read_pack_buildings`).

    A pack this planner has validated before (same sha256) is trusted: its WKB is
    kept as read and its bounds come from the blob headers, nothing is decoded.
    Otherwise every footprint is decoded and checked as :func:`~planner.io.datapack.store.read_pack`
    does, and the headers' envelopes must hold the geometries they describe (the
    trusted read relies on them).
    """

    def __init__(self, con: sqlite3.Connection, path: Path, *, validate: bool) -> None:
        self.con = con
        self.path = path
        self.validate = validate
        self.builder = FootprintsBuilder()
        self.skipped = 0
        self.repaired = 0
        self.messages: list[str] = []

    def where(self, fid: int) -> str:
        """A row for messages: its fid and, when it has one, its building_id."""
        try:
            row = self.con.execute("SELECT building_id FROM buildings WHERE fid = ?", (fid,))
            bid = (row.fetchone() or (None,))[0]
        except sqlite3.DatabaseError:
            bid = None
        label = "" if bid is None or bid == "" else f" (building_id {str(bid)!r})"
        return f"layer buildings, feature {fid}{label}"

    def add(self, rows: Sequence[tuple[Any, Any]]) -> None:
        fids, blobs = zip(*rows, strict=True)
        chunk = split_blobs(blobs, path=self.path, layer="buildings", features=fids)
        # A footprint with no geometry cannot occlude anything: skipped, and said so.
        self.skipped += int(chunk.missing.sum())
        keep = np.flatnonzero(~chunk.missing)
        starts, ends, envelope = chunk.starts[keep], chunk.ends[keep], chunk.envelope[keep]
        unknown = np.isnan(envelope).any(axis=1)
        if not self.validate and not unknown.any():
            self.builder.append_wkb(chunk.buffer, starts, ends, envelope)
            return
        geoms = self._decode(chunk.buffer, starts, ends, [fids[k] for k in keep.tolist()])
        if not self.validate:
            envelope[unknown] = shapely.bounds(geoms[unknown])
            self.builder.append_wkb(chunk.buffer, starts, ends, envelope)
            return

        def where(i: int) -> str:
            return self.where(fids[int(keep[i])])

        file = str(self.path)
        types = check_layer_geoms("buildings", geoms, allowed=POLYGONAL, file=file, where=where)
        bounds = shapely.bounds(geoms)
        tol = 1e-9 * np.maximum(1.0, np.abs(bounds))
        lies = ~unknown & (
            (envelope[:, :2] > bounds[:, :2] + tol[:, :2]).any(axis=1)
            | (envelope[:, 2:] < bounds[:, 2:] - tol[:, 2:]).any(axis=1)
        )
        if lies.any():
            i = int(np.flatnonzero(lies)[0])
            raise InputError(file, where(i), "the blob's envelope does not hold its geometry")
        fixed, idx, collapsed, reasons = repair_layer_polygons(
            "buildings", geoms, types, file=file, where=where
        )
        room = max(0, 20 - self.repaired)
        self.messages += repair_messages(file, idx[:room], collapsed, reasons[:room], where)
        self.repaired += len(idx)
        as_read = np.setdiff1d(np.arange(len(geoms)), idx)
        self.builder.append_wkb(chunk.buffer, starts[as_read], ends[as_read], bounds[as_read])
        # A footprint left with no area hides nothing; listed above, not silently lost.
        self.builder.append(fixed[np.setdiff1d(idx, collapsed)])

    def _decode(
        self, buffer: bytes, starts: np.ndarray, ends: np.ndarray, fids: Sequence[int]
    ) -> np.ndarray:
        view = memoryview(buffer)
        blobs = [view[a:b].tobytes() for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
        try:
            return np.asarray(shapely.from_wkb(blobs), dtype=object)
        except shapely.errors.GEOSException as exc:
            first = str(exc).splitlines()[0] if str(exc) else "GEOS error"
            # Name the row: decode one at a time until the bad one is found.
            for blob, fid in zip(blobs, fids, strict=True):
                try:
                    shapely.from_wkb(blob)
                except shapely.errors.GEOSException:
                    raise InputError(
                        self.path, self.where(fid), f"unreadable geometry ({first})"
                    ) from None
            raise InputError(
                self.path, "layer buildings", f"unreadable geometry ({first})"
            ) from None

    def finish(self) -> tuple[Footprints, list[str]]:
        out = list(self.messages)
        if self.repaired > 20:
            more = self.repaired - 20
            out.append(f"{self.path}: layer buildings: {more} more invalid polygons repaired")
        if self.skipped:
            n = self.skipped
            out.append(f"{self.path}: layer buildings: {n} features without geometry skipped")
        return self.builder.build(), out
