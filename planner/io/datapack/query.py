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
still what ``import`` uses); tests compare the two readers. Each kind of layer has its
module: sites, entrances and existing cameras :mod:`planner.io.datapack.query_sites`,
buildings :mod:`planner.io.datapack.query_buildings`; the connection, metadata and blob
decoding they share are :mod:`planner.io.datapack.pack_sqlite`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from planner.core.buildings import Footprints
from planner.core.errors import InputError
from planner.core.model import Camera, Site
from planner.io.datapack.layer_geoms import check_layer_geoms, repair_layer_polygons
from planner.io.datapack.pack_sqlite import (
    LINES,
    POLYGONAL,
    REQUIRED_LAYERS,
    count_rows,
    decode_blobs,
    layer_rows,
    read_metadata,
    reading,
    row_columns,
)
from planner.io.datapack.query_buildings import read_buildings
from planner.io.datapack.query_sites import read_cameras, read_sites
from planner.io.formats.street_table import STREET_COLUMNS, StreetTable

#: Grid (degrees) the regions of a plan are gathered on: about 1 km.
_CELL_DEG = 0.01
#: Above this many grid cells a plan covers a city, and reading the whole layer in
#: one pass (the full reader) is faster than many R-tree queries.
MAX_CELLS = 400
#: Metres added around each camera's range so the region holds every building that
#: can touch its cone (the index pads its own queries by about 10 m as well).
_PAD_M = 25.0


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
    with reading(path) as con:
        metadata = read_metadata(con, path)
        tables = {str(r[0]) for r in con.execute("SELECT table_name FROM gpkg_contents")}
        for name in REQUIRED_LAYERS:
            if name not in tables:
                raise InputError(path, f"layer {name}", "missing required layer")
        out = PackSubset(metadata=metadata)
        out.counts = {name: count_rows(con, path, name) for name in REQUIRED_LAYERS}
        out.sites = read_sites(con, path)
        # Buildings skip validation only when this planner validated a file with these
        # very bytes before: never on the pack's own word (gpkg_contents.last_change
        # is whatever its last editor left there).
        from planner.io.datapack.hash_cache import cached_sha256
        from planner.io.datapack.validated import was_validated

        out.buildings_validated = was_validated(cached_sha256(path))
        if regions is not None:
            out.buildings, out.warnings = read_buildings(
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
    with reading(path) as con:
        out = PackArrays(metadata=read_metadata(con, path))
        tables = {str(r[0]) for r in con.execute("SELECT table_name FROM gpkg_contents")}
        for name in REQUIRED_LAYERS:
            if name not in tables:
                raise InputError(path, f"layer {name}", "missing required layer")

        def step(what: str, frac: float) -> None:
            if progress is not None:
                progress(what, frac)

        step("reading sites", 0.0)
        out.sites = read_sites(con, path)
        out.cameras_existing = read_cameras(con, path)
        step("reading streets", 0.05)
        out.streets = _streets(con, path, validate=not validated)
        if "boundaries" in tables:
            out.boundaries = _boundaries(con, path)
        out.buildings, out.warnings = read_buildings(
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


def _streets(con: sqlite3.Connection, path: Path, *, validate: bool) -> StreetTable:
    cols, rows = layer_rows(con, path, "streets", STREET_COLUMNS, required=True)
    geoms = decode_blobs([r[0] for r in rows], path, "streets")
    if validate and len(geoms):
        check_layer_geoms(
            "streets",
            geoms,
            allowed=LINES,
            file=str(path),
            where=lambda i: f"layer streets, feature {i + 1}",
        )
    columns = row_columns(cols, rows)
    return StreetTable(geoms, columns)


def _boundaries(con: sqlite3.Connection, path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    cols, rows = layer_rows(con, path, "boundaries", ("name", "kind"), required=True)
    geoms = decode_blobs([r[0] for r in rows], path, "boundaries")
    if not len(geoms):
        return geoms, {c: np.empty(0, dtype=object) for c in cols}

    def where(i: int) -> str:
        return f"layer boundaries, feature {i + 1}"

    file = str(path)
    types = check_layer_geoms("boundaries", geoms, allowed=POLYGONAL, file=file, where=where)
    # invalid outlines repaired; one left with no area is refused (layer_geoms)
    geoms = repair_layer_polygons("boundaries", geoms, types, file=file, where=where)[0]
    return geoms, row_columns(cols, rows)


def read_pack_buildings(
    path: Path,
    *,
    regions: Sequence[tuple[float, float, float, float]] | None,
    validate: bool,
    progress: Callable[[float], None] | None = None,
) -> tuple[Footprints, list[str]]:
    """The pack's buildings meeting ``regions`` (every one for ``None``), and warnings.

    Rows are decoded, checked and (unless ``validate`` is false) repaired
    :data:`~planner.io.datapack.query_buildings.CHUNK_ROWS` at a time into compact
    :class:`~planner.core.buildings.Footprints`, so a citywide layer never exists as
    shapely objects all at once. The checks and
    repairs are those of :func:`planner.io.datapack.store.read_pack`.

    Raises
    ------
    InputError
        An unreadable pack or row, a non-polygonal or out-of-range footprint.
    """
    with reading(path, where="layer buildings") as con:
        return read_buildings(con, path, regions, validate=validate, progress=progress)


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
