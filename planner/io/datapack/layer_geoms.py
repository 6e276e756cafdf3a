"""Geometry checks and repairs shared by the pack readers (with and without pandas).

:func:`planner.io.datapack.store.read_pack` reads whole layers into GeoDataFrames;
:func:`planner.io.datapack.query.read_pack_footprints` reads the buildings chunk by
chunk with sqlite3. Both must refuse and repair exactly alike, so the rules live
here, on plain arrays of shapely geometries.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np
import shapely

from planner.core.errors import InputError
from planner.io.formats.site_geometry import (
    MAX_REPAIR_CROSSINGS,
    count_crossings,
    polygonal_part,
    protect_site_geometry,
)

#: Where a row is, for messages: ``where(i)`` for row ``i`` of the array checked.
Where = Callable[[int], str]


def check_layer_geoms(
    name: str, geoms: np.ndarray, *, allowed: Collection[int], file: str, where: Where
) -> np.ndarray:
    """Refuse a missing, empty, disallowed or out-of-range geometry; return the type ids.

    Raises
    ------
    InputError
        Naming the first bad row.
    """
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputError(file, where(i), "geometry is missing or empty")
    types: np.ndarray = shapely.get_type_id(geoms)
    bad = ~np.isin(types, list(allowed))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"{geoms[i].geom_type} geometry is not allowed in layer {name!r}"
        raise InputError(file, where(i), msg)
    bounds = shapely.bounds(geoms)
    out = ~np.isfinite(bounds).all(axis=1) | (bounds[:, 0] < -180) | (bounds[:, 2] > 180)
    out |= (bounds[:, 1] < -90) | (bounds[:, 3] > 90)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise InputError(file, where(i), "coordinates outside lon [-180, 180] / lat [-90, 90]")
    return types


def repair_layer_polygons(
    name: str, geoms: np.ndarray, types: np.ndarray, *, file: str, where: Where
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Repair the invalid polygons of one layer.

    Returns
    -------
    geoms, repaired, collapsed, reasons
        The geometries with repairs in place, the indices repaired, those of them
        left with no area (buildings only), and GEOS's reason for each repair.

    Raises
    ------
    InputError
        A polygon of any other layer left with no area.
    """
    poly = np.isin(types, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    invalid = poly & ~shapely.is_valid(geoms)
    none = np.zeros(0, dtype=np.intp)
    if not invalid.any():
        return geoms, none, none, []
    idx = np.flatnonzero(invalid)
    reasons = [str(r) for r in shapely.is_valid_reason(geoms[idx])]
    if name == "sites":
        # A protected site never loses protection, and its repair stays bounded.
        fixed = np.array(
            [protect_site_geometry(g, file, where(int(i)), None)
             for g, i in zip(geoms[idx], idx, strict=True)],
            dtype=object,
        )  # fmt: skip
    else:
        # make_valid's cost grows with the square of the self-intersections: a
        # tangled outline is left with no area (a building that hides nothing).
        tangled = np.array(
            [count_crossings(g, limit=MAX_REPAIR_CROSSINGS) > MAX_REPAIR_CROSSINGS
             for g in geoms[idx]],
            dtype=bool,
        )  # fmt: skip
        # make_valid may return a collection with stray lines; keep the area.
        fixed = np.array(
            [shapely.Polygon() if t else polygonal_part(shapely.make_valid(g))
             for g, t in zip(geoms[idx], tangled, strict=True)],
            dtype=object,
        )  # fmt: skip
    geoms = geoms.copy()
    geoms[idx] = fixed
    collapsed = idx[shapely.is_empty(fixed)]
    if len(collapsed) and name != "buildings":
        # A footprint with no area hides nothing and is skipped; a site or a boundary
        # with none cannot be drawn or protect anything.
        i = int(collapsed[0])
        reason = reasons[int(np.flatnonzero(idx == i)[0])]
        raise InputError(file, where(i), f"polygon has no area ({reason})")
    return geoms, idx, collapsed, reasons


def repair_messages(
    file: str, repaired: np.ndarray, collapsed: np.ndarray, reasons: list[str], where: Where
) -> list[str]:
    """One line per repaired row, as :func:`planner.io.datapack.store.read_pack` has always said
    it.
    """
    out = []
    gone = set(collapsed.tolist())
    for n, i in enumerate(repaired.tolist()):
        what = "no area left, skipped" if i in gone else "invalid polygon repaired"
        out.append(f"{file}: {where(int(i))}: {what} ({reasons[n]})")
    return out
