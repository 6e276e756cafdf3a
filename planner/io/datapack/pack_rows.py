"""Rows of a pack's sites, entrances and existing cameras as model objects.

The GeoDataFrame reader's (:func:`planner.io.datapack.store.read_pack`); the sqlite3
reader in :mod:`planner.io.datapack.query` has its twin, and both refuse the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd

from planner.core.errors import InputError
from planner.core.model import Camera, Entrance, Site
from planner.io.datapack.layout import check_ids, isnull, where_in_layer
from planner.io.safety.common import parse_json_cell


def _text(value: Any) -> str:
    return "" if isnull(value) else str(value)


def _flag(value: Any) -> bool:
    return False if isnull(value) else bool(value)


def _json_tags(value: Any, path: Path, where: Callable[[], str]) -> dict[str, Any]:
    """Parse a tags cell; ``where`` is called only to name the row in an error."""
    if isnull(value) or value == "":
        return {}
    if not isinstance(value, str):
        raise InputError(path, where(), "tags must be JSON text")
    tags = parse_json_cell(value, path, where())
    if not isinstance(tags, dict):
        raise InputError(path, where(), "tags must be a JSON object")
    return tags


def sites_from_frames(
    path: Path, sites: gpd.GeoDataFrame, entrances: gpd.GeoDataFrame
) -> list[Site]:
    check_ids("sites", sites, file=str(path))
    check_ids("entrances", entrances, file=str(path))
    site_ids = set(sites["site_id"])
    by_site: dict[str, list[Entrance]] = {}
    for i, (eid, sid, basis, geom) in enumerate(
        zip(
            entrances["entrance_id"],
            entrances["site_id"],
            entrances["basis"],
            entrances.geometry,
            strict=True,
        )
    ):
        if isnull(sid) or sid not in site_ids:
            raise InputError(
                path,
                where_in_layer("entrances", i, entrances, "entrance_id"),
                f"unknown site_id {sid!r}",
            )
        by_site.setdefault(sid, []).append(
            Entrance(
                id=str(eid),
                site_id=str(sid),
                lon=geom.x,
                lat=geom.y,
                basis=_text(basis) or "manual",
            )
        )
    out: list[Site] = []
    for i, row in enumerate(sites.itertuples(index=False)):
        if isnull(row.category) or not str(row.category):
            raise InputError(
                path, where_in_layer("sites", i, sites, "site_id"), "category is missing"
            )
        verified = None if isnull(row.verified) else bool(row.verified)
        source = _text(row.source)
        if _text(row.source_id):
            source = f"{source}:{row.source_id}" if source else _text(row.source_id)
        out.append(
            Site(
                id=str(row.site_id),
                category=str(row.category),
                geometry=row.geometry,
                name=_text(row.name),
                entrances=tuple(by_site.get(str(row.site_id), ())),
                verified=verified,
                source=source,
                tags=_json_tags(
                    row.tags, path, partial(where_in_layer, "sites", i, sites, "site_id")
                ),
                footprint_protected=_flag(getattr(row, "footprint_protected", False)),
            )
        )
    return out


def cameras_from_frame(path: Path, cams: gpd.GeoDataFrame) -> list[Camera]:
    from planner.io.datapack.query_sites import camera_from_row

    check_ids("cameras_existing", cams, file=str(path))
    out: list[Camera] = []
    for i, row in enumerate(cams.itertuples(index=False)):
        values = {k: None if isnull(v) else v for k, v in row._asdict().items()}
        out.append(camera_from_row(path, i, values, row.geometry))
    return out
