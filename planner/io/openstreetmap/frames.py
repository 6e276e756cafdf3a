"""The layers read from OSM: their fixed columns and :class:`OsmLayers`, which holds them.

Every reader of this room builds its frames here, so each layer has the same columns
and dtypes whatever the source (see :data:`COLUMNS`), in EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

CRS = "EPSG:4326"

COLUMNS: dict[str, dict[str, str]] = {
    "streets": {
        "u": "int64", "v": "int64", "key": "int64", "osmid": "object", "name": "object",
        "highway": "object", "lanes": "object", "oneway": "bool", "maxspeed": "object",
        "length_m": "float64",
    },
    "buildings": {"building_id": "object", "height": "float64", "source": "object"},
    "sites": {
        "site_id": "object", "category": "object", "name": "object", "source": "object",
        "source_id": "object", "tags": "object", "verified": "bool",
    },
    "entrances": {"entrance_id": "object", "site_id": "object", "basis": "object"},
    "cameras_existing": {
        "camera_id": "object", "heading_deg": "float64", "fov_deg": "float64",
        "range_m": "float64", "brand": "object", "direction_raw": "object",
        "operator": "object", "source_id": "object", "tags": "object",
    },
}  # fmt: skip

ProgressFn = Callable[[str, float], None]
CancelFn = Callable[[], bool]


def empty_layer(kind: str) -> gpd.GeoDataFrame:
    """An empty layer of ``kind`` with its columns and dtypes."""
    cols = COLUMNS[kind]
    frame = pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)


def make_layer(
    kind: str, rows: list[dict[str, Any]], geoms: list[BaseGeometry]
) -> gpd.GeoDataFrame:
    """A layer of ``kind`` from its rows and geometries, with its columns and dtypes."""
    if not rows:
        return empty_layer(kind)
    cols = COLUMNS[kind]
    frame = pd.DataFrame(rows, columns=list(cols)).astype(cols)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


@dataclass
class OsmLayers:
    """Layers read from one OSM source; every frame in EPSG:4326."""

    streets: gpd.GeoDataFrame = field(default_factory=lambda: empty_layer("streets"))
    buildings: gpd.GeoDataFrame = field(default_factory=lambda: empty_layer("buildings"))
    sites: gpd.GeoDataFrame = field(default_factory=lambda: empty_layer("sites"))
    entrances: gpd.GeoDataFrame = field(default_factory=lambda: empty_layer("entrances"))
    cameras_existing: gpd.GeoDataFrame = field(
        default_factory=lambda: empty_layer("cameras_existing")
    )
    osm_timestamp: str | None = None
    rules_used: dict[str, Any] = field(default_factory=dict)
    #: Things repaired or skipped on the way (invalid polygons made valid ...).
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "streets": len(self.streets),
            "buildings": len(self.buildings),
            "sites": len(self.sites),
            "entrances": len(self.entrances),
            "cameras_existing": len(self.cameras_existing),
        }

    def is_empty(self) -> bool:
        return not any(self.counts().values())
