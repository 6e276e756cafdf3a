"""Sites files (SPEC 5.2): GeoJSON, or any vector format pyogrio reads (GeoPackage, Shapefile).

GeoJSON is parsed by hand so that every problem can name its feature; other formats
go through pyogrio and are validated row by row.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from planner.core.errors import InputError
from planner.core.model import Entrance, Policy, Site
from planner.io.formats.site_geometry import outline_polygon, protect_site_geometry
from planner.io.safety.common import check_lonlat, parse_json, read_bytes_checked
from planner.io.safety.vector_source import vector_source

_SITE_TYPES = {"Point", "Polygon", "MultiPolygon"}
_VECTOR_SUFFIXES = {".gpkg", ".shp", ".fgb", ".zip", ".gml", ".kml", ".sqlite"}


def read_sites(
    path: str | Path, *, policy: Policy | None = None, warnings: list[str] | None = None
) -> list[Site]:
    """Read protected sites; unknown categories are an error unless the policy allows them.

    Invalid polygons are repaired with ``make_valid`` and a message is appended to
    ``warnings`` for each, so nothing is silently dropped or changed.
    """
    p = Path(path)
    if p.suffix.lower() in _VECTOR_SUFFIXES:
        sites = _read_vector_sites(p, warnings)
    else:
        data = parse_json(read_bytes_checked(p), p)
        sites = sites_from_geojson(data, source=str(p), warnings=warnings)
    if policy is not None:
        check_categories(sites, policy=policy, source=str(p))
    return sites


def check_categories(sites: Iterable[Site], *, policy: Policy, source: str) -> None:
    """Reject sites whose category the policy does not know (SPEC 5.4)."""
    if policy.unknown_category in ("warn", "ignore"):
        return
    known = ", ".join(sorted(policy.categories))
    for site in sites:
        if site.category not in policy.categories:
            raise InputError(
                source,
                f'site "{site.id}"',
                f"category {site.category!r} is not in policy {policy.id} (known: {known})",
            )


def _positions(coords: Any, levels: int) -> np.ndarray | None:
    """Every [lon, lat] of a GeoJSON coordinates array nested ``levels`` deep above the
    positions (Polygon 2, MultiPolygon 3), or ``None`` when it is not shaped so."""
    items = [coords]
    for _ in range(levels):
        if not all(isinstance(i, list) for i in items):
            return None
        items = [x for i in items for x in i]
    out = []
    for pos in items:
        if (
            not isinstance(pos, list)
            or len(pos) not in (2, 3)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos)
        ):
            return None
        out.append((float(pos[0]), float(pos[1])))
    return np.asarray(out, dtype=float) if out else None


def _geometry(raw: Any, source: str, where: str, warnings: list[str] | None = None) -> BaseGeometry:
    if not isinstance(raw, dict):
        raise InputError(source, where, "geometry is missing")
    gtype = raw.get("type")
    if not isinstance(gtype, str) or gtype not in _SITE_TYPES:
        raise InputError(
            source, where, f"geometry must be Point, Polygon or MultiPolygon, got {gtype!r}"
        )
    try:
        geom = shape(raw)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        levels = {"Polygon": 2, "MultiPolygon": 3}.get(str(gtype), 0)
        positions = _positions(raw.get("coordinates"), levels) if levels else None
        if positions is None:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(source, where, f"malformed {gtype} coordinates ({first})") from None
        # A ring of fewer than four positions is no polygon, but the site it marks
        # is still protected: by the outline through its positions.
        check_site_coordinates(shapely.MultiPoint(positions), source, where)
        if warnings is not None:
            warnings.append(
                f"{source}: {where}: {gtype} ring with fewer than 4 positions "
                "kept as its outline, so the site stays protected"
            )
        return outline_polygon(shapely.MultiPoint(positions))
    return check_site_coordinates(geom, source, where)


def check_site_coordinates(geom: BaseGeometry, source: str, where: str) -> BaseGeometry:
    """Refuse an empty geometry, non-finite coordinates and positions off the globe."""
    gtype = geom.geom_type
    coords = shapely.get_coordinates(geom)
    if len(coords) == 0:
        raise InputError(source, where, f"empty {gtype}")
    if not np.isfinite(coords).all():
        raise InputError(source, where, "coordinates must be finite numbers")
    lon, lat = coords[:, 0], coords[:, 1]
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        bad = coords[(np.abs(lon) > 180) | (np.abs(lat) > 90)][0]
        raise InputError(
            source,
            where,
            f"coordinates outside lon [-180, 180] / lat [-90, 90]: [{bad[0]}, {bad[1]}]",
        )
    return geom


def repair_geometry(
    geom: BaseGeometry, source: str, where: str, warnings: list[str] | None
) -> BaseGeometry:
    """Make an invalid site polygon valid and report it in ``warnings`` (SPEC 7).

    The repair never takes protection away: see
    :func:`planner.io.formats.site_geometry.protect_site_geometry`.
    """
    return protect_site_geometry(geom, source, where, warnings)


def _entrances(raw: Any, site_id: str, source: str, where: str) -> tuple[Entrance, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        try:
            raw = parse_json(raw.encode("utf-8", "surrogatepass"), source) if raw.strip() else []
        except InputError as exc:
            msg = f"entrances must be a JSON list of [lon, lat] ({exc.what})"
            raise InputError(source, where, msg) from None
    if not isinstance(raw, list):
        raise InputError(source, where, f"entrances must be a list of [lon, lat], got {raw!r}")
    out = []
    for k, pos in enumerate(raw, start=1):
        ewhere = f"{where} entrance {k}"
        if not isinstance(pos, list) or len(pos) not in (2, 3):
            raise InputError(source, ewhere, f"must be [lon, lat], got {pos!r}")
        lon, lat = check_lonlat(pos[0], pos[1], source, ewhere)
        out.append(
            Entrance(id=f"{site_id}/e{k}", site_id=site_id, lon=lon, lat=lat, basis="manual")
        )
    return tuple(out)


def sites_from_geojson(data: Any, *, source: str, warnings: list[str] | None = None) -> list[Site]:
    """Sites from a parsed SPEC 5.2 FeatureCollection."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputError(source, "top level", "expected a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise InputError(source, "features", "must be a list")
    sites: list[Site] = []
    seen: dict[str, int] = {}
    for i, feat in enumerate(features, start=1):
        where = f"feature {i}"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise InputError(source, where, "must be a GeoJSON Feature object")
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            raise InputError(source, where, "properties must be an object")
        raw_id = props.get("id", feat.get("id"))
        if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
            raw_id = f"site-{i}"
        if not isinstance(raw_id, str | int) or isinstance(raw_id, bool):
            raise InputError(source, where, f"id must be a string or integer, got {raw_id!r}")
        site_id = str(raw_id)
        where = f'feature {i} (site "{site_id}")'
        if site_id in seen:
            raise InputError(source, where, f"duplicate id (also used by feature {seen[site_id]})")
        seen[site_id] = i
        category = props.get("category")
        if not isinstance(category, str) or not category.strip():
            raise InputError(source, where, f"category is required (a string), got {category!r}")
        name = props.get("name") or ""
        if not isinstance(name, str):
            raise InputError(source, where, f"name must be a string, got {name!r}")
        geom = repair_geometry(
            _geometry(feat.get("geometry"), source, where, warnings), source, where, warnings
        )
        verified = props.get("verified")
        if verified is not None and not isinstance(verified, bool):
            raise InputError(source, where, f"verified must be true or false, got {verified!r}")
        tags = {
            k: v
            for k, v in props.items()
            if k not in {"id", "category", "name", "entrances", "verified"}
        }
        sites.append(
            Site(
                id=site_id,
                category=category.strip(),
                geometry=geom,
                name=name,
                entrances=_entrances(props.get("entrances"), site_id, source, where),
                verified=verified,
                source=Path(source).name,
                tags=tags,
            )
        )
    return sites


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _read_vector_sites(path: Path, warnings: list[str] | None) -> list[Site]:
    import pyogrio

    src = vector_source(path)
    try:
        # Name the layer: a multi-layer file would otherwise print a warning on stderr.
        names = [str(n) for n, _ in pyogrio.list_layers(src)]
        if not names:
            raise InputError(path, "", "holds no layers")
        df = pyogrio.read_dataframe(src, layer="sites" if "sites" in names else names[0])
    except InputError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError/DataLayerError and GDAL errors
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(path, "", f"cannot read as a vector layer: {first}") from None
    if df.crs is not None and df.crs.to_epsg() != 4326:
        df = df.to_crs(4326)
    if "category" not in df.columns:
        raise InputError(path, "columns", "a sites layer needs a 'category' column")
    id_col = next((c for c in ("site_id", "id") if c in df.columns), None)
    sites: list[Site] = []
    seen: set[str] = set()
    for row_no, row in enumerate(df.itertuples(index=False), start=1):
        # A null cell comes back as None or NaN depending on the column's type.
        rec = {k: None if _is_null(v) else v for k, v in row._asdict().items()}
        site_id = (
            str(rec[id_col]) if id_col and rec.get(id_col) not in (None, "") else f"site-{row_no}"
        )
        where = f'row {row_no} (site "{site_id}")'
        if site_id in seen:
            raise InputError(path, where, "duplicate id")
        seen.add(site_id)
        category = rec.get("category")
        if not isinstance(category, str) or not category.strip():
            raise InputError(path, where, f"category is required, got {category!r}")
        geom = rec.get("geometry")
        if geom is None or geom.is_empty:
            raise InputError(path, where, "geometry is missing")
        if geom.geom_type not in _SITE_TYPES:
            msg = f"geometry must be Point, Polygon or MultiPolygon, got {geom.geom_type}"
            raise InputError(path, where, msg)
        check_site_coordinates(geom, str(path), where)
        geom = repair_geometry(geom, str(path), where, warnings)
        name = rec.get("name")
        name = "" if name is None else str(name)
        sites.append(
            Site(
                id=site_id,
                category=category.strip(),
                geometry=geom,
                name=name,
                entrances=_entrances(rec.get("entrances"), site_id, str(path), where),
                source=path.name,
            )
        )
    return sites
