"""The sites (with their entrances) and existing cameras of a pack, read with sqlite3.

Each row is checked as :func:`planner.io.datapack.store.read_pack` checks it (ids
present and unique, geometry types, coordinates in range, tags a JSON object, an
entrance's site known); :func:`camera_from_row` is shared by both readers.
"""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

import shapely

from planner.core.errors import InputError
from planner.core.model import Camera, CameraStatus, Entrance, Site
from planner.io.datapack.pack_sqlite import (
    POLYGONAL,
    check_point_geoms,
    check_unique,
    decode_blobs,
    layer_rows,
)
from planner.io.formats.site_geometry import protect_site_geometry
from planner.io.safety.common import parse_json_cell


def read_sites(con: sqlite3.Connection, path: Path) -> list[Site]:
    """Every site with its entrances; protection never lost to a bad outline."""
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
    check_unique(site_ids, path, "sites", "site_id")
    geoms = decode_blobs([r[7] for r in rows], path, "sites")
    check_point_geoms(geoms, site_ids, path, "sites")
    ent_ids = [r[0] for r in ents]
    check_unique(ent_ids, path, "entrances", "entrance_id")
    ent_geoms = decode_blobs([r[3] for r in ents], path, "entrances")
    check_point_geoms(ent_geoms, ent_ids, path, "entrances")
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
        if int(shapely.get_type_id(geom)) in POLYGONAL:
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


def read_cameras(con: sqlite3.Connection, path: Path) -> list[Camera]:
    """Every existing camera of the pack, its id unique and its position a point."""
    cols, rows = layer_rows(con, path, "cameras_existing", _CAMERA_COLUMNS, required=True)
    geoms = decode_blobs([r[0] for r in rows], path, "cameras_existing")
    ids = [r[1] for r in rows]
    check_unique(ids, path, "cameras_existing", "camera_id")
    check_point_geoms(geoms, ids, path, "cameras_existing")
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
