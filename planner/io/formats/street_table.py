"""Street centre lines as plain arrays: what the checker, the map and search read.

A data pack's streets are read with sqlite3 (:mod:`planner.io.datapack.query`), so the
app and ``check`` never import pandas for them; street files (GeoJSON, GeoPackage,
GraphML) come through geopandas and are turned into the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import shapely

#: Street attributes a data pack holds (SPEC 6), besides the geometry.
STREET_COLUMNS = ("u", "v", "key", "name", "highway", "lanes", "oneway", "maxspeed", "length_m")


@dataclass(frozen=True, eq=False)
class StreetTable:
    """LineStrings in lon/lat and their attribute columns (object arrays, same length)."""

    geoms: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.geoms)

    def get(self, name: str) -> np.ndarray | None:
        """Column ``name``, or None when the layer has no such column."""
        return self.columns.get(name)

    @classmethod
    def of(cls, streets: Any) -> StreetTable | None:
        """``streets`` as a table: a table as it is, a (Geo)DataFrame converted, None kept."""
        if streets is None or isinstance(streets, StreetTable):
            return streets
        frame = streets
        if getattr(frame, "crs", None) is not None and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
        geometry = frame.geometry.name
        return cls(
            np.asarray(frame.geometry.values, dtype=object),
            {str(c): frame[c].to_numpy(dtype=object) for c in frame.columns if c != geometry},
        )

    def concat(self, other: StreetTable, *, drop: tuple[str, ...] = ()) -> StreetTable:
        """Both tables' rows; columns missing on one side are None there, ``drop`` dropped."""
        names = [c for c in dict.fromkeys([*self.columns, *other.columns]) if c not in drop]

        def col(t: StreetTable, c: str) -> np.ndarray:
            v = t.columns.get(c)
            return v if v is not None else np.full(len(t), None, dtype=object)

        return StreetTable(
            np.concatenate([self.geoms, other.geoms]),
            {c: np.concatenate([col(self, c), col(other, c)]) for c in names},
        )

    @property
    def total_bounds(self) -> np.ndarray:
        """``(minx, miny, maxx, maxy)`` of every line."""
        bounds: np.ndarray = shapely.total_bounds(self.geoms)
        return bounds

    @cached_property
    def tree(self) -> shapely.STRtree:
        """A spatial index of the lines (lon/lat), built on first use."""
        return shapely.STRtree(self.geoms)
