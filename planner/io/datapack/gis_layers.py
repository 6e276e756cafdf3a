"""City GIS layers for a data pack: sites with a field mapping, buildings, boundaries.

A city's own lists (places of worship, clinics, consulates) come as GeoJSON,
GeoPackage, Shapefile or CSV with longitude/latitude columns. Each is added with a
category and a mapping of its field names, written on the command line as::

    places.csv:category=place_of_worship,name=NAME,id=OBJECTID,lon=LON,lat=LAT

Mapping keys: ``category`` (the category of every row) or ``category_field`` (a
column holding it), ``name``, ``id``, ``lon``, ``lat`` (CSV only), ``layer`` (inside
a GeoPackage), ``verified`` (``true``/``false`` for every row). A file in SPEC 5.2
form needs no mapping. Every row is validated; errors name the file and the row.
A CSV file itself is opened and its columns found by :mod:`planner.io.datapack.gis_csv`.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from shapely.geometry.base import BaseGeometry

from planner.core.errors import CheckCancelled, InputError
from planner.io.datapack.gis_csv import csv_columns, csv_reader, csv_rows
from planner.io.datapack.layout import conform_layer
from planner.io.formats.sites import read_sites, repair_geometry
from planner.io.safety.vector_source import check_plain_file, vector_source

Cancel = Callable[[], bool]

_MAPPING_KEYS = {
    "category",
    "category_field",
    "name",
    "id",
    "lon",
    "lat",
    "layer",
    "verified",
    "kind",
}
_CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_SITE_TYPES = {"Point", "Polygon", "MultiPolygon"}
_HEIGHT_FIELDS = ("height", "height_m", "bldg_height")


@dataclass(frozen=True)
class LayerSpec:
    """A GIS file and its field mapping, as given on the command line."""

    path: Path
    mapping: dict[str, str]
    #: The file as typed: GDAL paths such as ``/vsizip//abs/x.zip/y.gpkg`` need their ``//``.
    text: str = ""

    @property
    def source(self) -> str:
        return self.text or str(self.path)


def _site_row(
    path: Path,
    stem: str,
    local_id: str,
    category: str,
    name: str,
    tags: dict[str, Any],
    verified: bool | None,
    geom: BaseGeometry,
) -> dict[str, Any]:
    """One row of the pack's ``sites`` layer for a site read from a city layer."""
    return {
        "site_id": f"{stem}:{local_id}",
        "category": category,
        "name": name,
        "source": path.name,
        "source_id": local_id,
        "tags": tags,
        "verified": verified,
        "geometry": geom,
    }


def parse_layer_spec(text: str) -> LayerSpec:
    """Split ``FILE[:key=value,...]`` into the file and its mapping.

    The mapping starts at the last ``:`` followed by ``key=value`` pairs, so Windows
    drive letters and ``/vsizip/`` paths survive.
    """
    m = re.match(r"^(?P<path>.+?):(?P<map>[A-Za-z_]+=[^,]*(?:,[A-Za-z_]+=[^,]*)*)$", text)
    if m is None or not m.group("path"):
        return LayerSpec(Path(text), {}, text)
    mapping: dict[str, str] = {}
    for pair in m.group("map").split(","):
        key, _, value = pair.partition("=")
        key = key.strip()
        if key not in _MAPPING_KEYS:
            known = ", ".join(sorted(_MAPPING_KEYS))
            raise InputError(
                m.group("path"), "field mapping", f"unknown key {key!r} (known: {known})"
            )
        mapping[key] = value.strip()
    return LayerSpec(Path(m.group("path")), mapping, m.group("path"))


def _spec(spec: LayerSpec | str | Path) -> LayerSpec:
    if isinstance(spec, LayerSpec):
        return spec
    return parse_layer_spec(str(spec))


def _check_cancel(cancel: Cancel | None) -> None:
    if cancel is not None and cancel():
        msg = "cancelled"
        raise CheckCancelled(msg)


def _isnull(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def gdal_path(path: str | Path) -> str:
    """What GDAL may open for ``path``: see
    :func:`planner.io.safety.vector_source.vector_source`.
    """
    return vector_source(path)


def _pick_layer(
    src: str, file: Path | str, wanted: str | None, *, prefer: tuple[str, ...] = ()
) -> str | None:
    try:
        layers = pyogrio.list_layers(src)
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise InputError(file, "", f"cannot read as a GIS layer ({_short(exc)})") from None
    names = [str(n) for n, _ in layers]
    if not names:
        raise InputError(file, "", "holds no layers")
    if wanted:
        if wanted not in names:
            raise InputError(file, f"layer {wanted!r}", f"no such layer (has: {', '.join(names)})")
        return wanted
    for name in prefer:
        if name in names:
            return name
    spatial = [str(n) for n, g in layers if g is not None]
    return spatial[0] if spatial else names[0]


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _read_vector(
    file: Path | str,
    *,
    layer: str | None = None,
    prefer: tuple[str, ...] = (),
    bbox: tuple[float, float, float, float] | None = None,
    columns: Callable[[list[str]], list[str]] | None = None,
    fid_as_index: bool = False,
) -> gpd.GeoDataFrame:
    src = gdal_path(file)
    name = _pick_layer(src, file, layer, prefer=prefer)
    kwargs: dict[str, Any] = {"layer": name, "fid_as_index": fid_as_index}
    try:
        info = pyogrio.read_info(src, layer=name)
        if columns is not None:
            kwargs["columns"] = columns([str(f) for f in info["fields"]])
        if bbox is not None:
            kwargs["bbox"] = _bbox_in_layer_crs(bbox, info.get("crs"))
        frame = pyogrio.read_dataframe(src, **kwargs)
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise InputError(file, f"layer {name}", f"cannot read ({_short(exc)})") from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry is None:
        raise InputError(file, f"layer {name}", "has no geometry column")
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    elif not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    frame.attrs["layer"] = name
    return frame


def _bbox_in_layer_crs(
    bbox: tuple[float, float, float, float], crs: str | None
) -> tuple[float, ...]:
    if not crs or crs == "EPSG:4326":
        return tuple(bbox)
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return tuple(tr.transform_bounds(*bbox))


def _category(spec: LayerSpec, value: Any, where: str) -> str:
    cat = spec.mapping.get("category") if "category_field" not in spec.mapping else value
    if _isnull(cat) or not str(cat).strip():
        raise InputError(
            spec.path, where, "category is missing (give category=KEY or category_field=COLUMN)"
        )
    cat = str(cat).strip()
    if not _CATEGORY_RE.match(cat):
        raise InputError(
            spec.path, where, f"category must be a key like place_of_worship, got {cat!r}"
        )
    return cat


def _verified(spec: LayerSpec) -> bool | None:
    raw = spec.mapping.get("verified")
    if raw is None:
        return None
    if raw.lower() in ("true", "yes", "1"):
        return True
    if raw.lower() in ("false", "no", "0"):
        return False
    raise InputError(spec.path, "field mapping", f"verified must be true or false, got {raw!r}")


def read_site_layer(
    spec: LayerSpec | str | Path, *, cancel: Cancel | None = None, warnings: list[str] | None = None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Read a city layer of protected sites.

    Returns
    -------
    sites, entrances
        Frames in the pack's ``sites`` and ``entrances`` layouts. Site ids are
        ``<file stem>:<id>`` so that layers never collide with OSM ids or each other.
    """
    spec = _spec(spec)
    if "category" not in spec.mapping and "category_field" not in spec.mapping:
        return _read_spec_sites(spec, warnings)
    if spec.path.suffix.lower() in (".csv", ".txt"):
        return _read_csv_sites(spec, cancel)
    return _read_vector_sites(spec, cancel, warnings)


def _read_spec_sites(
    spec: LayerSpec, warnings: list[str] | None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A file already in SPEC 5.2 form (category per feature, optional entrances)."""
    if spec.path.suffix.lower() in (".csv", ".txt"):
        raise InputError(
            spec.path, "field mapping", "a CSV layer needs category=KEY (or category_field=COLUMN)"
        )
    check_plain_file(spec.path)  # existence and emptiness checks with the same messages
    sites = read_sites(spec.path, warnings=warnings)
    stem = spec.path.stem
    rows = []
    ents = []
    for s in sites:
        sid = f"{stem}:{s.id}"
        rows.append(
            {
                "site_id": sid,
                "category": s.category,
                "name": s.name,
                "source": spec.path.name,
                "source_id": s.id,
                "tags": dict(s.tags),
                "verified": s.verified,
                "geometry": s.geometry,
            }
        )
        for k, e in enumerate(s.entrances, start=1):
            ents.append(
                {
                    "entrance_id": f"{sid}/e{k}",
                    "site_id": sid,
                    "basis": e.basis,
                    "geometry": shapely.Point(e.lon, e.lat),
                }
            )
    return _frames(rows, ents)


def _frames(
    rows: list[dict[str, Any]], ents: list[dict[str, Any]]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    sites = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326") if rows else None
    entrances = gpd.GeoDataFrame(ents, geometry="geometry", crs="EPSG:4326") if ents else None
    return conform_layer("sites", sites), conform_layer("entrances", entrances)


def _number(spec: LayerSpec, raw: str, column: str, where: str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InputError(spec.path, where, f"{column} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise InputError(spec.path, where, f"{column} must be a finite number, got {raw!r}")
    return value


def _read_csv_sites(
    spec: LayerSpec, cancel: Cancel | None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    path = spec.path
    reader = csv_reader(path)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise InputError(path, "line 1 (header)", f"not a readable CSV header ({exc})") from None
    columns = csv_columns(path, spec.mapping, header)
    verified = _verified(spec)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for n, rec in enumerate(csv_rows(reader, path), start=1):
        if n % 5000 == 0:
            _check_cancel(cancel)
        where = f"line {reader.line_num} (row {n})"
        rows.append(_csv_site(spec, rec, n, where, columns, seen, verified))
    if not rows:
        raise InputError(path, "", "no data rows")
    return _frames(rows, [])


def _csv_site(
    spec: LayerSpec,
    rec: dict[str, Any],
    n: int,
    where: str,
    columns: dict[str, str],
    seen: dict[str, int],
    verified: bool | None,
) -> dict[str, Any]:
    """One CSV row as a site row: position in range, id unique (``seen``), category."""
    path = spec.path
    lon_col, lat_col = columns["lon"], columns["lat"]
    if None in rec:
        raise InputError(path, where, "more fields than the header has")
    lon = _number(spec, rec.get(lon_col) or "", lon_col, where)
    lat = _number(spec, rec.get(lat_col) or "", lat_col, where)
    if not -180 <= lon <= 180:
        raise InputError(path, where, f"{lon_col} must be a longitude in [-180, 180], got {lon}")
    if not -90 <= lat <= 90:
        raise InputError(path, where, f"{lat_col} must be a latitude in [-90, 90], got {lat}")
    raw_id = (rec.get(columns["id"]) or "").strip() if "id" in columns else ""
    local_id = raw_id or f"row{n}"
    if local_id in seen:
        raise InputError(path, where, f"duplicate id {local_id!r} (also on row {seen[local_id]})")
    seen[local_id] = n
    category = _category(spec, rec.get(columns.get("category_field", "")), where)
    name = (rec.get(columns["name"]) or "").strip() if "name" in columns else ""
    tags = {k: v for k, v in rec.items() if k not in (lon_col, lat_col) and v not in (None, "")}
    point = shapely.Point(lon, lat)
    return _site_row(path, path.stem, local_id, category, name, tags, verified, point)


def _read_vector_sites(
    spec: LayerSpec, cancel: Cancel | None, warnings: list[str] | None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    path = spec.path
    frame = _read_vector(spec.source, layer=spec.mapping.get("layer"))
    for key in ("name", "id", "category_field"):
        col = spec.mapping.get(key)
        if col and col not in frame.columns:
            cols = ", ".join(c for c in frame.columns if c != "geometry")
            raise InputError(path, "fields", f"missing field {col!r} for {key}; fields are: {cols}")
    verified = _verified(spec)
    stem = path.stem
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    attrs = [c for c in frame.columns if c != frame.geometry.name]
    for n, (geom, rec) in enumerate(
        zip(frame.geometry.values, frame[attrs].to_dict("records"), strict=True), start=1
    ):
        if n % 5000 == 0:
            _check_cancel(cancel)
        where = f"feature {n}"
        raw_id = rec.get(spec.mapping["id"]) if spec.mapping.get("id") else None
        local_id = f"f{n}" if _isnull(raw_id) or str(raw_id).strip() == "" else _id_text(raw_id)
        where = f"feature {n} (id {local_id!r})"
        if local_id in seen:
            raise InputError(path, where, f"duplicate id (also feature {seen[local_id]})")
        seen[local_id] = n
        if geom is None or geom.is_empty:
            raise InputError(path, where, "geometry is missing")
        if geom.geom_type not in _SITE_TYPES:
            raise InputError(
                path,
                where,
                f"geometry must be Point, Polygon or MultiPolygon, got {geom.geom_type}",
            )
        if geom.geom_type != "Point":
            geom = repair_geometry(geom, str(path), where, warnings)
        category = _category(spec, rec.get(spec.mapping.get("category_field", "")), where)
        name_col = spec.mapping.get("name")
        name = "" if not name_col or _isnull(rec.get(name_col)) else str(rec[name_col]).strip()
        tags = {k: _plain(v) for k, v in rec.items() if not _isnull(v) and v != ""}
        rows.append(_site_row(path, stem, local_id, category, name, tags, verified, geom))
    if not rows:
        raise InputError(path, "", "no features")
    return _frames(rows, [])


def _id_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def read_building_layer(
    path: str | Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    layer: str | None = None,
    warnings: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """Building footprints from GeoJSON, GeoPackage (also zipped), Shapefile.

    ``bbox`` filters in the reader (GeoPackage spatial index), so clipping the
    citywide layer to a neighbourhood is fast. A ``height`` column (any case) is
    kept; negative heights are noise in the city data and become unknown (NaN).
    Returns a frame in the pack's ``buildings`` layout.
    """
    p = str(path)
    frame = _read_vector(
        p,
        layer=layer,
        prefer=("buildings", "building", "footprints"),
        bbox=bbox,
        columns=lambda fields: [f for f in fields if f.lower() in _HEIGHT_FIELDS][:1],
        fid_as_index=True,
    )
    name = frame.attrs.get("layer", "")
    height_col = next((c for c in frame.columns if c != frame.geometry.name), None)
    frame = _footprints_only(frame, p, name, warnings)
    height = _heights(frame, height_col, p, name, warnings)
    stem = Path(str(p)).name.split(".")[0]
    label = Path(str(p)).name
    out = gpd.GeoDataFrame(
        {
            "building_id": [f"{stem}:{fid}" for fid in frame.index],
            "height": height,
            "source": np.full(len(frame), label, dtype=object),
        },
        geometry=np.asarray(frame.geometry.values, dtype=object),
        crs="EPSG:4326",
    )
    return out


def _footprints_only(
    frame: gpd.GeoDataFrame, p: str, name: str, warnings: list[str] | None
) -> gpd.GeoDataFrame:
    """Refuse a feature that is not a polygon; skip (and count) those with no geometry."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    types = shapely.get_type_id(geoms)
    missing = shapely.is_missing(geoms)
    bad = ~missing & ~np.isin(types, [3, 6])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            p,
            f"layer {name}, feature {frame.index[i]}",
            f"a building must be a Polygon or MultiPolygon, got {geoms[i].geom_type}",
        )
    empty = missing | shapely.is_empty(geoms)
    if empty.any():
        if warnings is not None:
            warnings.append(
                f"{p}: layer {name}: {int(empty.sum())} features without geometry skipped"
            )
        frame = frame.loc[~empty]
    return frame


def _heights(
    frame: gpd.GeoDataFrame, height_col: Any, p: str, name: str, warnings: list[str] | None
) -> np.ndarray:
    """The height column in metres, NaN where unknown; negative values (noise) unknown."""
    height = (
        pd.to_numeric(frame[height_col], errors="coerce").to_numpy(dtype=float)
        if height_col
        else np.full(len(frame), np.nan)
    )
    negative = height < 0
    if negative.any():
        if warnings is not None:
            warnings.append(
                f"{p}: layer {name}: {int(negative.sum())} negative heights treated as unknown"
            )
        height = np.where(negative, np.nan, height)
    return height


def read_boundary_layer(spec: LayerSpec | str | Path) -> gpd.GeoDataFrame:
    """City limits or districts: ``FILE[:kind=council_district,name=FIELD]``.

    Without ``name`` the first of name/NAME/DISTRICTS/INCORP is used; without
    ``kind`` the file stem. Returns a frame in the pack's ``boundaries`` layout.
    """
    spec = _spec(spec)
    frame = _read_vector(spec.source, layer=spec.mapping.get("layer"))
    name_col = spec.mapping.get("name")
    if name_col and name_col not in frame.columns:
        raise InputError(spec.path, "fields", f"missing field {name_col!r} for name")
    if not name_col:
        name_col = next(
            (
                c
                for c in ("name", "NAME", "Name", "DISTRICTS", "DISTRICT", "INCORP")
                if c in frame.columns
            ),
            None,
        )
    kind = spec.mapping.get("kind") or spec.path.stem
    geoms = np.asarray(frame.geometry.values, dtype=object)
    names = []
    for i, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            raise InputError(spec.path, f"feature {i + 1}", "geometry is missing")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError(
                spec.path, f"feature {i + 1}", f"a boundary must be a polygon, got {geom.geom_type}"
            )
        value = frame[name_col].iloc[i] if name_col else None
        names.append(f"{kind} {i + 1}" if _isnull(value) else _id_text(value))
    if not len(geoms):
        raise InputError(spec.path, "", "no features")
    return conform_layer(
        "boundaries",
        gpd.GeoDataFrame(
            {"name": names, "kind": [kind] * len(names)}, geometry=geoms, crs="EPSG:4326"
        ),
    )
