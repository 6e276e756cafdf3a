"""Building layers: GeoJSON, GeoPackage (also zipped) or any format pyogrio reads (SPEC 5.3)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from planner.core.errors import InputError

_POLY_TYPES = {"Polygon", "MultiPolygon", "Polygon Z", "MultiPolygon Z", "Unknown", "Geometry"}


@dataclass(frozen=True)
class BuildingLayer:
    """Building footprints in lon/lat with optional heights (NaN when unknown)."""

    path: str
    geoms: np.ndarray
    heights: np.ndarray | None

    def __len__(self) -> int:
        return len(self.geoms)


def gdal_path(path: str | Path) -> str:
    """What GDAL may open for ``path``: see
    :func:`planner.io.safety.vector_source.vector_source`.
    """
    from planner.io.safety.vector_source import vector_source

    return vector_source(path)


def _pick_layer(src: str, path: Path, layer: str | None) -> str | None:
    import pyogrio

    try:
        layers = pyogrio.list_layers(src)
    except Exception as exc:  # GDAL errors come in several types
        raise InputError(path, "", f"cannot open as a vector data set: {exc}") from None
    names = [str(n) for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise InputError(
                path, f"layer {layer!r}", f"no such layer (layers: {', '.join(names)})"
            )
        return layer
    if "buildings" in names:
        return "buildings"
    polys = [str(n) for n, t in layers if str(t) in _POLY_TYPES]
    if not polys:
        raise InputError(path, "", "no polygon layer found")
    return polys[0]


def _bbox_in_layer_crs(
    bbox: tuple[float, float, float, float] | None, crs: str | None
) -> tuple[float, float, float, float] | None:
    # GDAL filters in the layer's CRS; callers always speak lon/lat.
    if bbox is None or not crs:
        return bbox
    from pyproj import CRS, Transformer

    layer_crs = CRS.from_user_input(crs)
    if layer_crs.to_epsg() == 4326:
        return bbox
    transformer = Transformer.from_crs(4326, layer_crs, always_xy=True)
    return tuple(transformer.transform_bounds(*bbox))  # type: ignore[return-value]


def read_buildings(
    path: str | Path,
    *,
    layer: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> BuildingLayer:
    """Read building polygons (lon/lat) and their ``height`` column if there is one.

    ``bbox`` is (west, south, east, north) in lon/lat whatever the layer's own CRS.
    """
    import pyogrio

    p = Path(path)
    if not p.exists():
        raise InputError(p, "", "file not found")
    if p.is_file() and p.stat().st_size == 0:
        raise InputError(p, "", "file is empty")
    src = gdal_path(p)
    name = _pick_layer(src, p, layer)
    try:
        info = pyogrio.read_info(src, layer=name)
        cols = ["height"] if "height" in list(info["fields"]) else []
        bbox = _bbox_in_layer_crs(bbox, info["crs"])
        # No use_arrow: pyarrow is not a dependency (109 MB of the bundle) and, for a
        # zipped citywide file, decompression dominates the read either way.
        df = pyogrio.read_dataframe(src, layer=name, columns=cols, bbox=bbox)
    except Exception as exc:  # GDAL errors come in several types
        raise InputError(p, f"layer {name!r}", f"cannot read buildings: {exc}") from None
    if df.crs is not None and df.crs.to_epsg() != 4326:
        df = df.to_crs(4326)
    geoms = np.asarray(df.geometry.values, dtype=object)
    types = shapely.get_type_id(geoms)
    poly = np.isin(types, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    if len(geoms) and not poly.any():
        raise InputError(p, f"layer {name!r}", "holds no Polygon or MultiPolygon features")
    geoms = geoms[poly]
    if len(geoms):
        bounds = shapely.total_bounds(geoms)
        if bounds[0] < -180 or bounds[2] > 180 or bounds[1] < -90 or bounds[3] > 90:
            raise InputError(p, f"layer {name!r}", "coordinates are not longitude/latitude")
    heights = None
    if cols:
        # pandas is here already (pyogrio); importing it at the top would cost every
        # check half a second, read_buildings or not.
        import pandas as pd

        # A file may hold anything in a height cell (text, a list): not a number is
        # an unknown height, never an error or a crash.
        raw = [v if isinstance(v, int | float | str) else None for v in df["height"].tolist()]
        h = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(dtype=float)
        h = np.where(np.isfinite(h), h, np.nan)[poly]
        # Negative heights in the city data are noise; treat them as unknown.
        heights = np.where(h > 0, h, np.nan)
    return BuildingLayer(path=str(p), geoms=geoms, heights=heights)
