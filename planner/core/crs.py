"""Projection between WGS 84 lon/lat and the metric CRS every measurement uses (SPEC 3)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import overload

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = CRS.from_epsg(4326)


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone containing ``(lon, lat)``.

    Uses the plain 6° zones; the Norway and Svalbard exceptions do not matter for a
    city-scale plan and bearings on the grid are accepted by SPEC 3.
    """
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (
        -180 <= lon <= 180 and -90 <= lat <= 90
    ):
        msg = f"cannot choose a UTM zone for lon={lon}, lat={lat}"
        raise ValueError(msg)
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def utm_epsgs(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """:func:`utm_epsg` for arrays of valid coordinates."""
    zone = np.minimum(np.floor((np.asarray(lon) + 180.0) / 6.0).astype(np.int64) + 1, 60)
    return np.where(np.asarray(lat) >= 0, 32600, 32700) + zone


def camera_zone(lon: float, lat: float) -> Projector:
    """The projector a camera at ``(lon, lat)`` is measured in (SPEC 3), shared per zone."""
    return _utm_projector(utm_epsg(lon, lat))


@lru_cache(maxsize=128)
def _utm_projector(epsg: int) -> Projector:
    # Building a pair of transformers costs about a millisecond; a statewide plan
    # asks for the same two or three zones thousands of times.
    return Projector.from_crs(epsg)


@dataclass(frozen=True)
class Projector:
    """Vectorised lon/lat <-> x/y (metres) for one projected CRS.

    Build it with :meth:`for_points` so that it is the UTM zone of the plan's
    cameras. Instances are immutable and safe to share between threads because
    each direction keeps its own :class:`pyproj.Transformer`, which is only ever
    used with arrays.
    """

    crs: CRS
    _fwd: Transformer = field(repr=False, compare=False)
    _inv: Transformer = field(repr=False, compare=False)

    @classmethod
    def from_crs(cls, crs: CRS | int | str) -> Projector:
        target = CRS.from_user_input(crs)
        return cls(
            crs=target,
            _fwd=Transformer.from_crs(WGS84, target, always_xy=True),
            _inv=Transformer.from_crs(target, WGS84, always_xy=True),
        )

    @classmethod
    def for_points(
        cls, lonlats: Iterable[tuple[float, float]], *, fallback: tuple[float, float] | None = None
    ) -> Projector:
        """The UTM zone containing the centroid of ``lonlats``.

        This is the plan's *home* CRS, the one the map is drawn in; each camera is
        still measured in its own zone (:func:`camera_zone`, SPEC 3). ``fallback``
        is used when there are no points (an empty plan), typically the centre of
        the loaded layers.
        """
        pts = np.asarray(list(lonlats), dtype=float).reshape(-1, 2)
        if len(pts):
            lon, lat = float(pts[:, 0].mean()), float(pts[:, 1].mean())
        elif fallback is not None:
            lon, lat = fallback
        else:
            msg = "no points to choose a projection from, and no fallback given"
            raise ValueError(msg)
        return cls.from_crs(utm_epsg(lon, lat))

    @property
    def epsg(self) -> int | None:
        return self.crs.to_epsg()

    def forward(
        self, lon: np.ndarray | float, lat: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Lon/lat to x/y metres."""
        x, y = self._fwd.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x), np.asarray(y)

    def inverse(
        self, x: np.ndarray | float, y: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """X/y metres to lon/lat."""
        lon, lat = self._inv.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.asarray(lon), np.asarray(lat)

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self.forward(lon, lat)
        return float(x), float(y)

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self.inverse(x, y)
        return float(lon), float(lat)

    @overload
    def project(self, geoms: np.ndarray) -> np.ndarray: ...
    @overload
    def project(self, geoms: BaseGeometry) -> BaseGeometry: ...
    def project(self, geoms: np.ndarray | BaseGeometry) -> np.ndarray | BaseGeometry:
        """Project shapely geometries (one, or an array) from lon/lat to metres."""
        return shapely.transform(geoms, self._fwd_coords)

    @overload
    def unproject(self, geoms: np.ndarray) -> np.ndarray: ...
    @overload
    def unproject(self, geoms: BaseGeometry) -> BaseGeometry: ...
    def unproject(self, geoms: np.ndarray | BaseGeometry) -> np.ndarray | BaseGeometry:
        """Project shapely geometries from metres back to lon/lat."""
        return shapely.transform(geoms, self._inv_coords)

    def _fwd_coords(self, coords: np.ndarray) -> np.ndarray:
        x, y = self._fwd.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _inv_coords(self, coords: np.ndarray) -> np.ndarray:
        x, y = self._inv.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])
