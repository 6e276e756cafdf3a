"""Address points for finding places: city address points and OSM ``addr:*`` tags.

The pack's optional ``addresses`` layer holds one point per address with its
display text, so the app's search box can find "3131 Alum Rock Avenue" without the
city GIS files. Sources:

- the ``address_points`` layer of a buildings GeoPackage (the City of San José
  layer has ``hno``, ``street``, ``unit``, ``postcode``, ``city``);
- ``addr:housenumber`` / ``addr:street`` tags of imported sites (OSM objects and
  SPEC 5.2 site files that carry them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from planner.io.datapack.gis_layers import gdal_path

#: Address point layers are capped, like every input (a city has ~10^5-10^6).
MAX_ADDRESSES = 2_000_000
ADDRESS_COLUMNS = ("address", "housenumber", "street", "unit", "postcode", "city", "source")
_FIELDS = {
    "housenumber": (
        "hno",
        "housenumber",
        "house_number",
        "addr:housenumber",
        "number",
        "add_number",
        "addressnum",
    ),
    "street": ("street", "addr:street", "street_name", "streetname", "fullname", "st_name"),
    "unit": ("unit", "addr:unit", "unit_number"),
    "postcode": ("postcode", "zip", "zipcode", "addr:postcode", "postal_code"),
    "city": ("city", "addr:city", "municipality"),
}
ADDRESS_LAYER_NAMES = ("address_points", "addresses", "address")


def empty_addresses() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in ADDRESS_COLUMNS},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        crs="EPSG:4326",
    )


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def address_text(housenumber: str, street: str, unit: str = "", city: str = "") -> str:
    """``"3131 Alum Rock Avenue, Unit 5, San Jose"``."""
    text = " ".join(p for p in (housenumber, street) if p)
    if unit:
        text += f", Unit {unit}"
    if city:
        text += f", {city}"
    return text


def address_layer_of(path: str | Path) -> str | None:
    """The name of an address point layer in a (zipped) GeoPackage, if it has one."""
    try:
        layers = pyogrio.list_layers(gdal_path(path))
    except Exception:  # not a multi-layer source (GeoJSON, shapefile): no address layer
        return None
    names = {str(n).lower(): str(n) for n, _t in layers}
    return next((names[n] for n in ADDRESS_LAYER_NAMES if n in names), None)


def read_address_points(
    path: str | Path,
    *,
    layer: str,
    bbox: tuple[float, float, float, float] | None = None,
    source: str | None = None,
) -> gpd.GeoDataFrame:
    """Address points of ``layer`` in the pack's ``addresses`` layout (EPSG:4326)."""
    src = gdal_path(path)
    info = pyogrio.read_info(src, layer=layer)
    if int(info.get("features") or 0) > MAX_ADDRESSES:
        msg = f"{path}: layer {layer}: more than {MAX_ADDRESSES:,} address points"
        raise ValueError(msg)
    fields = {str(f).lower(): str(f) for f in info["fields"]}
    pick = {
        k: next((fields[c] for c in cands if c in fields), None) for k, cands in _FIELDS.items()
    }
    if pick["housenumber"] is None or pick["street"] is None:
        return empty_addresses()
    frame = pyogrio.read_dataframe(
        src, layer=layer, bbox=bbox, columns=[c for c in pick.values() if c]
    )
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    geoms = np.asarray(frame.geometry.values, dtype=object)
    ok: np.ndarray = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    ok &= shapely.get_type_id(np.where(ok, geoms, np.asarray(None, dtype=object))) == 0
    frame = frame[ok]
    cols = {k: ([_text(v) for v in frame[c]] if c else [""] * len(frame)) for k, c in pick.items()}
    keep = [bool(h and s) for h, s in zip(cols["housenumber"], cols["street"], strict=True)]
    out = pd.DataFrame(cols)[keep]
    out.insert(
        0,
        "address",
        [
            address_text(h, s, u)
            for h, s, u in zip(out["housenumber"], out["street"], out["unit"], strict=True)
        ],
    )
    out["source"] = source or f"{Path(str(path)).name}:{layer}"
    return gpd.GeoDataFrame(
        out.reset_index(drop=True),
        geometry=np.asarray(frame.geometry.values)[keep],
        crs="EPSG:4326",
    )


def addresses_from_sites(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One address per site whose tags carry ``addr:housenumber`` and ``addr:street``."""
    rows, geoms = [], []
    for tags, geom, source in zip(
        sites.get("tags", []),
        sites.geometry.values,
        sites.get("source", [""] * len(sites)),
        strict=False,
    ):
        if not isinstance(tags, dict) or geom is None or geom.is_empty:
            continue
        h, s = _text(tags.get("addr:housenumber")), _text(tags.get("addr:street"))
        if not (h and s):
            continue
        unit, city = _text(tags.get("addr:unit")), _text(tags.get("addr:city"))
        rows.append(
            {
                "address": address_text(h, s, unit),
                "housenumber": h,
                "street": s,
                "unit": unit,
                "postcode": _text(tags.get("addr:postcode")),
                "city": city,
                "source": str(source or ""),
            }
        )
        geoms.append(geom.representative_point() if geom.geom_type != "Point" else geom)
    if not rows:
        return empty_addresses()
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def merge_addresses(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """All frames in one, each address once per place (same text within ~1 m)."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return empty_addresses()
    merged = gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326"
    )
    xy = shapely.get_coordinates(np.asarray(merged.geometry.values))
    key = pd.DataFrame(
        {"a": merged["address"].str.lower(), "x": np.round(xy[:, 0], 5), "y": np.round(xy[:, 1], 5)}
    )
    return merged[~key.duplicated()].reset_index(drop=True)


__all__ = [
    "ADDRESS_COLUMNS",
    "address_layer_of",
    "address_text",
    "addresses_from_sites",
    "empty_addresses",
    "merge_addresses",
    "read_address_points",
]
