"""Read a data pack with the standard library's :mod:`sqlite3` and numpy, no pandas.

A data pack is a GeoPackage, that is an SQLite file whose layers each have an
R-tree (``rtree_<layer>_geom``). Going through pyogrio would import pandas and
geopandas (about 100 MB and most of a second) before the first byte is read, so:

- :func:`read_pack_arrays` reads a whole pack for the app (and for ``check`` when a
  policy has approach zones): sites, existing cameras, streets as a
  :class:`~planner.io.formats.street_table.StreetTable`, boundaries, and the buildings as
  compact :class:`~planner.core.buildings.Footprints`;
- :func:`read_pack_subset` and :func:`read_pack_buildings` serve ``check``: the sites,
  and only the buildings near cameras that can reach one, through the R-tree
  (:func:`check_regions` says when a plan is small enough for that).

Every refusal and repair is that of :func:`planner.io.datapack.store.read_pack` (GeoDataFrames,
still what ``import`` uses); tests compare the two readers.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from planner.core.buildings import Footprints, FootprintsBuilder
from planner.core.errors import InputError
from planner.core.model import Camera, CameraStatus, Entrance, Site
from planner.io.datapack.gpkg_blobs import split_blobs
from planner.io.datapack.layer_geoms import (
    check_layer_geoms,
    repair_layer_polygons,
    repair_messages,
)
from planner.io.formats.site_geometry import protect_site_geometry
from planner.io.formats.street_table import STREET_COLUMNS, StreetTable
from planner.io.safety.common import parse_json_cell

PACK_FORMAT = "siting-planner-pack"
PACK_FORMAT_VERSION = 1
_REQUIRED = ("streets", "buildings", "sites", "entrances", "cameras_existing")
#: Grid (degrees) the regions of a plan are gathered on: about 1 km.
_CELL_DEG = 0.01
#: Above this many grid cells a plan covers a city, and reading the whole layer in
#: one pass (the full reader) is faster than many R-tree queries.
MAX_CELLS = 400
#: Metres added around each camera's range so the region holds every building that
#: can touch its cone (the index pads its own queries by about 10 m as well).
_PAD_M = 25.0
_POLYGONAL = {3, 6}
_LINES = {1, 5}
#: Building rows decoded at a time: the whole layer never exists as shapely objects.
CHUNK_ROWS = 16_384
_SITE_TYPES = {0, 3, 6}


@dataclass
class PackSubset:
    """What :func:`read_pack_subset` read: lon/lat geometries and model objects."""

    sites: list[Site] = field(default_factory=list)
    buildings: Footprints = field(default_factory=lambda: Footprints.from_geometries([]))
    buildings_validated: bool = True
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: the pack's ``pack_metadata`` (sources, dates, the import's warnings)
    metadata: dict[str, Any] = field(default_factory=dict)


def check_regions(
    cameras: Sequence[Camera], *, max_cells: int = MAX_CELLS
) -> list[tuple[float, float, float, float]] | None:
    """Lon/lat boxes covering every camera's disc, or ``None`` when the plan is too large.

    Boxes are gathered on a 0.01° grid and each row of cells becomes one box, so a
    plan spread over a state still needs only a few R-tree queries.
    """
    if not cameras:
        return []
    lon = np.array([c.lon for c in cameras], dtype=float)
    lat = np.array([c.lat for c in cameras], dtype=float)
    reach = np.array([c.range_m for c in cameras], dtype=float) + _PAD_M
    dlat = reach / 110_000.0
    dlon = dlat / np.maximum(np.cos(np.radians(np.clip(np.abs(lat) + dlat, 0.0, 89.0))), 0.01)
    ix0 = np.floor((lon - dlon) / _CELL_DEG).astype(np.int64)
    ix1 = np.floor((lon + dlon) / _CELL_DEG).astype(np.int64)
    iy0 = np.floor((lat - dlat) / _CELL_DEG).astype(np.int64)
    iy1 = np.floor((lat + dlat) / _CELL_DEG).astype(np.int64)
    if int(((ix1 - ix0 + 1) * (iy1 - iy0 + 1)).sum()) > max_cells * 4:
        return None
    cells: set[tuple[int, int]] = set()
    for a, b, c, d in zip(ix0.tolist(), ix1.tolist(), iy0.tolist(), iy1.tolist(), strict=True):
        cells.update((x, y) for x in range(a, b + 1) for y in range(c, d + 1))
        if len(cells) > max_cells:
            return None
    boxes: list[tuple[float, float, float, float]] = []
    for y in sorted({y for _, y in cells}):
        xs = sorted(x for x, yy in cells if yy == y)
        start = prev = xs[0]
        for x in [*xs[1:], None]:
            if x is not None and x == prev + 1:
                prev = x
                continue
            boxes.append(
                (start * _CELL_DEG, y * _CELL_DEG, (prev + 1) * _CELL_DEG, (y + 1) * _CELL_DEG)
            )
            if x is not None:
                start = prev = x
    return boxes


def read_pack_subset(
    path: Path, *, regions: Sequence[tuple[float, float, float, float]] | None
) -> PackSubset:
    """Validate a pack, read all its sites and the buildings meeting ``regions``.

    ``regions=None`` reads no buildings (see :func:`read_pack_buildings`).

    Raises
    ------
    InputError
        Not a GeoPackage data pack, a newer format, a missing layer, a bad site or
        entrance (the same checks as :func:`planner.io.datapack.store.read_pack`).
    """
    with _reading(path) as con:
        metadata = _metadata(con, path)
        tables = {str(r[0]) for r in con.execute("SELECT table_name FROM gpkg_contents")}
        for name in _REQUIRED:
            if name not in tables:
                raise InputError(path, f"layer {name}", "missing required layer")
        out = PackSubset(metadata=metadata)
        out.counts = {name: _count(con, path, name) for name in _REQUIRED}
        out.sites = _sites(con, path)
        # Buildings skip validation only when this planner validated a file with these
        # very bytes before: never on the pack's own word (gpkg_contents.last_change
        # is whatever its last editor left there).
        from planner.io.datapack.hash_cache import cached_sha256
        from planner.io.datapack.validated import was_validated

        out.buildings_validated = was_validated(cached_sha256(path))
        if regions is not None:
            out.buildings, out.warnings = _read_buildings(
                con, path, regions, validate=not out.buildings_validated
            )
        return out


@dataclass
class PackArrays:
    """A whole data pack as model objects and arrays: what the app and a check read.

    :func:`read_pack_arrays` makes it with sqlite3 and numpy only, so neither pandas
    nor GDAL is imported (about 100 MB and a second of start-up the app no longer
    pays); the checks are those of :func:`planner.io.datapack.store.read_pack`.
    """

    sites: list[Site] = field(default_factory=list)
    cameras_existing: list[Camera] = field(default_factory=list)
    streets: StreetTable = field(default_factory=lambda: StreetTable(np.empty(0, dtype=object)))
    buildings: Footprints = field(default_factory=lambda: Footprints.from_geometries([]))
    #: ``(geometries, {"name": ..., "kind": ...})``, or None for a pack without boundaries
    boundaries: tuple[np.ndarray, dict[str, np.ndarray]] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def read_pack_arrays(
    path: Path, *, validated: bool, progress: Callable[[str, float], None] | None = None
) -> PackArrays:
    """Read and check every layer of a data pack (all but addresses), without pandas.

    ``validated`` says this planner validated a file with these very bytes before
    (:mod:`planner.io.datapack.validated`): the large layers' geometry checks are then skipped,
    as :func:`planner.io.datapack.store.read_pack` skips them.

    Raises
    ------
    InputError
        The refusals of :func:`planner.io.datapack.store.read_pack`.
    """
    with _reading(path) as con:
        out = PackArrays(metadata=_metadata(con, path))
        tables = {str(r[0]) for r in con.execute("SELECT table_name FROM gpkg_contents")}
        for name in _REQUIRED:
            if name not in tables:
                raise InputError(path, f"layer {name}", "missing required layer")

        def step(what: str, frac: float) -> None:
            if progress is not None:
                progress(what, frac)

        step("reading sites", 0.0)
        out.sites = _sites(con, path)
        out.cameras_existing = _cameras(con, path)
        step("reading streets", 0.05)
        out.streets = _streets(con, path, validate=not validated)
        if "boundaries" in tables:
            out.boundaries = _boundaries(con, path)
        out.buildings, out.warnings = _read_buildings(
            con,
            path,
            None,
            validate=not validated,
            progress=lambda f: step("reading buildings", 0.1 + 0.9 * f),
        )
        out.counts = {
            "sites": len(out.sites),
            "entrances": sum(len(s.entrances) for s in out.sites),
            "buildings": len(out.buildings),
            "streets": len(out.streets),
        }
        return out


def _table(
    con: sqlite3.Connection, path: Path, layer: str, columns: Sequence[str], *, required: bool
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Rows ``(geom, *columns)`` of a layer, in fid order; a required column must exist."""
    present = {str(r[1]) for r in con.execute(f'PRAGMA table_info("{layer}")')}
    missing = [c for c in columns if c not in present]
    if missing and required:
        raise InputError(path, f"layer {layer}", f"missing column(s): {', '.join(missing)}")
    cols = [c for c in columns if c in present]
    select = ", ".join(f'"{c}"' for c in ["geom", *cols])
    try:
        rows = con.execute(f'SELECT {select} FROM "{layer}" ORDER BY fid').fetchall()
    except sqlite3.DatabaseError as exc:
        raise InputError(path, f"layer {layer}", f"unreadable ({exc})") from None
    return cols, rows


def _columns(cols: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> dict[str, np.ndarray]:
    """The attribute columns of ``_table`` rows (after the geometry) as object arrays."""
    transposed = list(zip(*rows, strict=True))[1:] if rows else [()] * len(cols)
    out = {}
    for c, values in zip(cols, transposed, strict=True):
        col = np.empty(len(values), dtype=object)
        col[:] = values  # element by element: a list or tuple cell stays one value
        out[c] = col
    return out


def _streets(con: sqlite3.Connection, path: Path, *, validate: bool) -> StreetTable:
    cols, rows = _table(con, path, "streets", STREET_COLUMNS, required=True)
    geoms = _decode([r[0] for r in rows], path, "streets")
    if validate and len(geoms):
        check_layer_geoms(
            "streets",
            geoms,
            allowed=_LINES,
            file=str(path),
            where=lambda i: f"layer streets, feature {i + 1}",
        )
    columns = _columns(cols, rows)
    return StreetTable(geoms, columns)


def _boundaries(con: sqlite3.Connection, path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    cols, rows = _table(con, path, "boundaries", ("name", "kind"), required=True)
    geoms = _decode([r[0] for r in rows], path, "boundaries")
    if not len(geoms):
        return geoms, {c: np.empty(0, dtype=object) for c in cols}

    def where(i: int) -> str:
        return f"layer boundaries, feature {i + 1}"

    file = str(path)
    types = check_layer_geoms("boundaries", geoms, allowed=_POLYGONAL, file=file, where=where)
    # invalid outlines repaired; one left with no area is refused (layer_geoms)
    geoms = repair_layer_polygons("boundaries", geoms, types, file=file, where=where)[0]
    return geoms, _columns(cols, rows)


_CAMERA_COLUMNS = (
    "camera_id",
    "heading_deg",
    "fov_deg",
    "range_m",
    "brand",
    "direction_raw",
    "operator",
    "source_id",
    "tags",
)


def _cameras(con: sqlite3.Connection, path: Path) -> list[Camera]:
    cols, rows = _table(con, path, "cameras_existing", _CAMERA_COLUMNS, required=True)
    geoms = _decode([r[0] for r in rows], path, "cameras_existing")
    ids = [r[1] for r in rows]
    _unique(ids, path, "cameras_existing", "camera_id")
    _check_geoms(geoms, ids, path, "cameras_existing")
    return [
        camera_from_row(path, i, dict(zip(cols, r[1:], strict=True)), geoms[i])
        for i, r in enumerate(rows)
    ]


def camera_from_row(path: Path, i: int, row: dict[str, Any], point: shapely.Point) -> Camera:
    """An existing camera from one row of a pack's ``cameras_existing`` (nulls as None).

    Shared by both pack readers, so they accept and refuse the same rows.
    """
    where = f"layer cameras_existing, feature {i + 1} (camera_id {str(row['camera_id'])!r})"
    heading = _number(row["heading_deg"], path, where, "heading_deg")
    if heading is not None and not 0.0 <= heading < 360.0:
        raise InputError(path, where, f"heading_deg must be in [0, 360) or null, got {heading}")
    fov = _number(row["fov_deg"], path, where, "fov_deg")
    rng = _number(row["range_m"], path, where, "range_m")
    if fov is None or not (math.isfinite(fov) and 0.0 < fov <= 360.0):
        raise InputError(path, where, f"fov_deg must be in (0, 360], got {row['fov_deg']}")
    if rng is None or not (math.isfinite(rng) and 0.0 < rng <= 2000.0):
        raise InputError(path, where, f"range_m must be in (0, 2000], got {row['range_m']}")

    def text(key: str) -> str:
        value = row.get(key)
        return "" if value is None else str(value)

    brand, direction = text("brand"), text("direction_raw")
    extra: dict[str, Any] = {
        k: v
        for k, v in (
            ("brand", brand),
            ("direction_raw", direction),
            ("operator", text("operator")),
            ("source_id", text("source_id")),
        )
        if v
    }
    tags = _tags(row.get("tags"), path, where)
    if tags:
        extra["osm_tags"] = tags
    notes = (
        f"direction tag: {direction!r}" if direction else "direction tag missing: heading unknown"
    )
    return Camera(
        id=str(row["camera_id"]),
        lon=point.x,
        lat=point.y,
        heading_deg=heading,
        fov_deg=fov,
        range_m=rng,
        label=brand or "ALPR",
        status=CameraStatus.EXISTING,
        notes=notes,
        extra=extra,
    )


def _number(value: Any, path: Path, where: str, name: str) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        # SQLite is typeless: a text cell is refused rather than guessed at.
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InputError(path, where, f"{name} must be a number, got {value!r}") from None
    return float(value)


def read_pack_buildings(
    path: Path,
    *,
    regions: Sequence[tuple[float, float, float, float]] | None,
    validate: bool,
    progress: Callable[[float], None] | None = None,
) -> tuple[Footprints, list[str]]:
    """The pack's buildings meeting ``regions`` (every one for ``None``), and warnings.

    Rows are decoded, checked and (unless ``validate`` is false) repaired
    :data:`CHUNK_ROWS` at a time into compact :class:`~planner.core.buildings.Footprints`,
    so a citywide layer never exists as shapely objects all at once. The checks and
    repairs are those of :func:`planner.io.datapack.store.read_pack`.

    Raises
    ------
    InputError
        An unreadable pack or row, a non-polygonal or out-of-range footprint.
    """
    with _reading(path, where="layer buildings") as con:
        return _read_buildings(con, path, regions, validate=validate, progress=progress)


def _read_buildings(
    con: sqlite3.Connection,
    path: Path,
    regions: Sequence[tuple[float, float, float, float]] | None,
    *,
    validate: bool,
    progress: Callable[[float], None] | None = None,
) -> tuple[Footprints, list[str]]:
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
        types = check_layer_geoms("buildings", geoms, allowed=_POLYGONAL, file=file, where=where)
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


def cameras_near_sites(
    cameras: Sequence[Camera], sites: Sequence[Site], *, reach_m: float
) -> list[Camera]:
    """The cameras whose range comes within ``reach_m`` of a site's outline or entrance.

    Only those can have a site finding, so only around them do buildings matter.
    The test is on lon/lat boxes with a generous margin: it may keep a camera that
    is too far, never drop one that is near.
    """
    if not cameras or not sites:
        return []
    boxes = []
    for site in sites:
        w, s, e, n = site.geometry.bounds
        for ent in site.entrances:
            w, s, e, n = min(w, ent.lon), min(s, ent.lat), max(e, ent.lon), max(n, ent.lat)
        boxes.append(shapely.box(w, s, e, n))
    tree = shapely.STRtree(boxes)
    lon = np.array([c.lon for c in cameras], dtype=float)
    lat = np.array([c.lat for c in cameras], dtype=float)
    # 1.2 x the metres, and degrees of latitude taken as 100 km: never too small.
    dlat = (np.array([c.range_m for c in cameras], dtype=float) + reach_m) * 1.2 / 100_000.0
    dlon = dlat / np.maximum(np.cos(np.radians(np.clip(np.abs(lat) + dlat + 1.0, 0.0, 89.0))), 0.01)
    hits, _ = tree.query(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
    return [cameras[i] for i in np.unique(hits).tolist()]


@contextmanager
def _reading(path: Path, *, where: str = "") -> Iterator[sqlite3.Connection]:
    """A read-only connection to a pack; SQLite's and UTF-8 failures become InputError."""
    con = _connect(path)
    try:
        yield con
    except sqlite3.DatabaseError as exc:
        raise InputError(path, where, f"not a readable GeoPackage ({exc})") from None
    except UnicodeDecodeError as exc:
        # sqlite3 decodes TEXT as UTF-8; a damaged page yields bytes that are not.
        raise InputError(
            path, where, f"not a readable GeoPackage (text is not UTF-8: {exc.reason})"
        ) from None
    finally:
        con.close()


def _connect(path: Path) -> sqlite3.Connection:
    try:
        if not path.is_file():
            raise InputError(path, "", "file not found" if not path.exists() else "not a file")
        if path.stat().st_size == 0:
            raise InputError(path, "", "file is empty")
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise InputError(path, "", f"cannot read: {exc.strerror or exc}") from None
    if head != b"SQLite format 3\x00":
        raise InputError(
            path, "", "not a GeoPackage data pack (expected an SQLite/GeoPackage file)"
        )
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    # Views and triggers in a hostile file must not run functions with side effects.
    con.execute("PRAGMA trusted_schema = OFF")
    return con


def _metadata(con: sqlite3.Connection, path: Path) -> dict[str, Any]:
    where = "layer pack_metadata"
    try:
        rows = con.execute('SELECT "key", "value" FROM pack_metadata').fetchall()
    except sqlite3.DatabaseError:
        raise InputError(path, where, "missing: this is not a data pack made by import") from None
    meta: dict[str, Any] = {}
    for i, (key, value) in enumerate(rows):
        row = f"{where}, row {i + 1} ({key!r})"
        meta[str(key)] = parse_json_cell(value, path, row) if isinstance(value, str) else None
    if meta.get("format") != PACK_FORMAT:
        raise InputError(path, where, f"format must be {PACK_FORMAT!r}, got {meta.get('format')!r}")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InputError(path, where, f"format_version must be an integer, got {version!r}")
    if version > PACK_FORMAT_VERSION:
        raise InputError(
            path,
            where,
            f"pack format_version {version} is newer than this tool reads "
            f"({PACK_FORMAT_VERSION}); update the planner",
        )
    return meta


def _count(con: sqlite3.Connection, path: Path, name: str) -> int:
    try:
        row = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
    except sqlite3.DatabaseError as exc:
        raise InputError(path, f"layer {name}", f"unreadable ({exc})") from None
    return int(row[0])


def _decode(
    blobs: Sequence[Any], path: Path, layer: str, *, features: Sequence[int] | None = None
) -> np.ndarray:
    """GeoPackage geometry blobs to shapely (None for a missing or empty geometry).

    ``features`` numbers the rows in messages (their fids); by default 1, 2, ...
    """
    chunk = split_blobs(
        blobs, path=path, layer=layer, features=features or range(1, len(blobs) + 1)
    )
    view = memoryview(chunk.buffer)
    wkb = [
        None if gone else view[a:b].tobytes()
        for a, b, gone in zip(
            chunk.starts.tolist(), chunk.ends.tolist(), chunk.missing.tolist(), strict=True
        )
    ]
    try:
        return np.asarray(shapely.from_wkb(wkb), dtype=object)
    except shapely.errors.GEOSException as exc:
        first = str(exc).splitlines()[0] if str(exc) else "GEOS error"
        raise InputError(path, f"layer {layer}", f"unreadable geometry ({first})") from None


def _check_geoms(geoms: np.ndarray, ids: Sequence[Any], path: Path, layer: str) -> None:
    types = shapely.get_type_id(geoms)
    allowed = _SITE_TYPES if layer == "sites" else {0}
    for i in range(len(geoms)):
        where = f"layer {layer}, feature {i + 1} ({ids[i]!r})"
        if geoms[i] is None or shapely.is_empty(geoms[i]):
            raise InputError(path, where, "geometry is missing or empty")
        if int(types[i]) not in allowed:
            raise InputError(path, where, f"{geoms[i].geom_type} geometry is not allowed")
    if len(geoms):
        b = shapely.bounds(geoms)
        bad = ~np.isfinite(b).all(axis=1) | (b[:, 0] < -180) | (b[:, 2] > 180)
        bad |= (b[:, 1] < -90) | (b[:, 3] > 90)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                path,
                f"layer {layer}, feature {i + 1} ({ids[i]!r})",
                "coordinates outside lon [-180, 180] / lat [-90, 90]",
            )


def _unique(ids: Sequence[Any], path: Path, layer: str, col: str) -> None:
    seen: set[str] = set()
    for i, v in enumerate(ids):
        where = f"layer {layer}, feature {i + 1}"
        if v is None or str(v) == "":
            raise InputError(path, where, f"{col} is missing")
        if str(v) in seen:
            raise InputError(path, f"{where} ({col} {str(v)!r})", f"duplicate {col}")
        seen.add(str(v))


def _sites(con: sqlite3.Connection, path: Path) -> list[Site]:
    try:
        columns = {str(r[1]) for r in con.execute("PRAGMA table_info(sites)")}
        # a pack written before merges kept footprint protection has no such column
        flag = "footprint_protected" if "footprint_protected" in columns else "0"
        rows = con.execute(
            f"SELECT site_id, category, name, source, source_id, tags, verified, geom, {flag} "
            "FROM sites ORDER BY fid"
        ).fetchall()
        ents = con.execute(
            "SELECT entrance_id, site_id, basis, geom FROM entrances ORDER BY fid"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise InputError(path, "layer sites", f"unreadable ({exc})") from None
    site_ids = [r[0] for r in rows]
    _unique(site_ids, path, "sites", "site_id")
    geoms = _decode([r[7] for r in rows], path, "sites")
    _check_geoms(geoms, site_ids, path, "sites")
    ent_ids = [r[0] for r in ents]
    _unique(ent_ids, path, "entrances", "entrance_id")
    ent_geoms = _decode([r[3] for r in ents], path, "entrances")
    _check_geoms(ent_geoms, ent_ids, path, "entrances")
    known = {str(s) for s in site_ids}
    by_site: dict[str, list[Entrance]] = {}
    for i, ((eid, sid, basis, _), g) in enumerate(zip(ents, ent_geoms, strict=True)):
        if sid is None or str(sid) not in known:
            raise InputError(
                path, f"layer entrances, feature {i + 1} ({eid!r})", f"unknown site_id {sid!r}"
            )
        by_site.setdefault(str(sid), []).append(
            Entrance(str(eid), str(sid), float(g.x), float(g.y), basis=str(basis or "manual"))
        )
    out: list[Site] = []
    for i, (row, geom) in enumerate(zip(rows, geoms, strict=True)):
        sid, category, name, source, source_id, tags, verified, _, footprint = row
        where = f"layer sites, feature {i + 1} (site_id {str(sid)!r})"
        if not category:
            raise InputError(path, where, "category is missing")
        if int(shapely.get_type_id(geom)) in _POLYGONAL:
            # Bounded repair that never takes protection away (site_geometry).
            geom = protect_site_geometry(geom, str(path), where, None)
        src = str(source or "")
        if source_id:
            src = f"{src}:{source_id}" if src else str(source_id)
        out.append(
            Site(
                id=str(sid),
                category=str(category),
                geometry=geom,
                name=str(name or ""),
                entrances=tuple(by_site.get(str(sid), ())),
                verified=None if verified is None else bool(verified),
                source=src,
                tags=_tags(tags, path, where),
                footprint_protected=bool(footprint),
            )
        )
    return out


def _tags(value: Any, path: Path, where: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if not isinstance(value, str):
        raise InputError(path, where, "tags must be JSON text")
    tags = parse_json_cell(value, path, where)
    if not isinstance(tags, dict):
        raise InputError(path, where, "tags must be a JSON object")
    return tags
