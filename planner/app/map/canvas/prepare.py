"""Turn data layers into the canvas's scene-coordinate layers, off the GUI thread.

Projecting and indexing a citywide pack (160,000 streets, 324,000 buildings)
takes seconds, so the app calls :func:`prepare_layers` on its worker thread and
hands the results to the :class:`~planner.app.map.canvas.MapCanvas` setters, which
take prepared layers as they are.

Threads: these functions call pyproj (through the projector). pyproj 3.7 keeps a
PROJ context per thread in Python thread-local storage and can crash in threads
that Python did not create, such as ``QThreadPool`` threads. Call them on the GUI
thread or on the app's Python worker (:func:`planner.app.common.workers.worker_pool`),
never from a ``QRunnable``; the tile renderer gets only what they return.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from planner.app.map.canvas import style as st
from planner.app.map.canvas.layers import GeomLayer, PointLayer, StreetLayer, to_scene_geoms
from planner.core.buildings import Footprints
from planner.core.model import Site
from planner.io.formats.street_table import StreetTable


@dataclass(frozen=True)
class SiteLayers:
    """Protected sites and their entrances in scene coordinates."""

    points: PointLayer | None = None
    outlines: GeomLayer | None = None
    outline_styles: tuple[st.CategoryStyle, ...] = ()
    entrances: PointLayer | None = None
    count: int = 0
    #: Per symbol (same order as ``points``): the site's name and its tooltip lines.
    names: tuple[str, ...] = ()
    info: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class BoundaryLayer:
    """City limits and districts in scene coordinates, with a label point per polygon."""

    layer: GeomLayer | None = None
    kinds: np.ndarray | None = None  # "city_limits" | "district"
    labels: tuple[str, ...] = ()
    count: int = 0
    #: Candidate label points inside each district (scene coordinates), the district
    #: each belongs to and its room (distance to the district's edge, metres): the
    #: canvas picks, per frame, the roomiest one inside the view.
    label_xy: np.ndarray | None = None
    label_owner: np.ndarray | None = None
    label_room: np.ndarray | None = None


#: About this many candidate label points are spread over all districts.
LABEL_CANDIDATES = 3_000


def label_candidates(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid points inside each polygon, its pole of inaccessibility, and their room."""
    from shapely.ops import polylabel

    total = float(shapely.area(geoms).sum()) if len(geoms) else 0.0
    step = max(50.0, (total / LABEL_CANDIDATES) ** 0.5) if total > 0 else 50.0
    xs, owners = [], []
    for i, g in enumerate(geoms):
        x0, y0, x1, y1 = g.bounds
        gx, gy = np.meshgrid(np.arange(x0 + step / 2, x1, step), np.arange(y0 + step / 2, y1, step))
        pts = shapely.points(gx.ravel(), gy.ravel())
        shapely.prepare(g)
        inside = pts[shapely.contains(g, pts)]
        poles = [
            polylabel(p, tolerance=step / 4) for p in shapely.get_parts(g) if p.area > step * step
        ]
        cand = np.concatenate([inside, np.array(poles, dtype=object)])
        xs.append(shapely.get_coordinates(cand))
        owners.append(np.full(len(cand), i))
    if not xs:
        return np.empty((0, 2)), np.empty(0, dtype=np.int64), np.empty(0)
    xy = np.concatenate(xs)
    owner = np.concatenate(owners)
    # the room needs metres, not centimetres: simplified edges make it ten times cheaper
    # (and only the edges count, so topology need not be kept: another eight times)
    edges = shapely.boundary(shapely.simplify(geoms, step / 20, preserve_topology=False))
    room = shapely.distance(edges[owner], shapely.points(xy))
    return xy, owner, room


def boundary_class(kind: object) -> str:
    """``"city_limits"`` for a city-limits layer, else ``"district"``."""
    text = str(kind or "").lower()
    return "city_limits" if "limit" in text or text in ("city", "city_boundary") else "district"


def boundary_label(name: object, kind: object) -> str:
    """``"District 3"`` for a numbered district, else the name as it is."""
    text = name_text(name)
    if boundary_class(kind) == "district" and text.isdigit():
        return f"District {text}"
    return text


def prepare_boundaries(boundaries: Any, *, projector: Any) -> BoundaryLayer:
    """Boundary polygons (a GeoDataFrame with ``name`` and ``kind``) for the canvas."""
    if isinstance(boundaries, BoundaryLayer):
        return boundaries
    if boundaries is None or not len(boundaries):
        return BoundaryLayer()
    gdf = boundaries
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return prepare_boundary_arrays(
        np.asarray(gdf.geometry.values),
        names=gdf["name"].to_numpy() if "name" in gdf else None,
        kinds=gdf["kind"].to_numpy() if "kind" in gdf else None,
        projector=projector,
    )


def prepare_boundary_arrays(
    raw: np.ndarray, *, names: np.ndarray | None, kinds: np.ndarray | None, projector: Any
) -> BoundaryLayer:
    """Boundary polygons (lon/lat shapely array) with their ``name`` and ``kind``."""
    if not len(raw):
        return BoundaryLayer()
    keep = ~(shapely.is_missing(raw) | shapely.is_empty(raw))
    names = np.asarray(names, dtype=object)[keep] if names is not None else np.full(keep.sum(), "")
    kinds = np.asarray(kinds, dtype=object)[keep] if kinds is not None else np.full(keep.sum(), "")
    geoms = to_scene_geoms(raw, projector=projector, projected=False)
    classes = np.array([boundary_class(k) for k in kinds])
    districts = np.flatnonzero(classes == "district")
    xy, owner, room = label_candidates(geoms[districts])
    return BoundaryLayer(
        layer=GeomLayer(geoms),
        kinds=classes,
        labels=tuple(boundary_label(n, k) for n, k in zip(names, kinds, strict=True)),
        count=len(geoms),
        label_xy=xy,
        label_owner=districts[owner] if len(owner) else owner,
        label_room=room,
    )


def site_info(site: Site) -> dict[str, str]:
    """What a site's tooltip and the identify panel say about it."""
    verified = {True: "yes", False: "no (to be confirmed)", None: "not stated"}[
        getattr(site, "verified", None)
    ]
    return {
        "name": site.name or site.id,
        "category": st.category_style(site.category).label,
        "verified": verified,
        "source": site.source or "",
        "id": site.id,
        "entrances": str(len(site.entrances)),
    }


@dataclass(frozen=True)
class ZoneLayer:
    """Capture zones in scene coordinates with each zone's action."""

    layer: GeomLayer | None = None
    actions: np.ndarray | None = None
    count: int = 0


@dataclass(frozen=True)
class PreparedLayers:
    """Everything :meth:`MapCanvas.set_layers` needs, ready to draw."""

    streets: StreetLayer | None
    buildings: GeomLayer | None
    sites: SiteLayers
    zones: ZoneLayer
    boundaries: BoundaryLayer = BoundaryLayer()


def name_text(value: object) -> str:
    """A street name cell as display text (lists take their first item)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return str(value).strip()


def prepare_streets(streets: Any, *, projector: Any) -> StreetLayer | None:
    """Street centre lines by drawing class: a :class:`~planner.io.formats.street_table.StreetTable`
    or a GeoDataFrame, with ``highway`` and ``name``."""
    table = StreetTable.of(streets)
    if table is None or not len(table):
        return None
    return prepare_street_arrays(
        table.geoms, highway=table.get("highway"), names=table.get("name"), projector=projector
    )


def prepare_street_arrays(
    raw: np.ndarray, *, highway: np.ndarray | None, names: np.ndarray | None, projector: Any
) -> StreetLayer | None:
    """Street lines (lon/lat shapely array) with their ``highway`` and ``name`` values."""
    if not len(raw):
        return None
    geoms = to_scene_geoms(raw, projector=projector, projected=False)
    keep = ~(shapely.is_missing(raw) | shapely.is_empty(raw))
    highway = (
        np.asarray(highway, dtype=object)[keep] if highway is not None else np.full(len(geoms), "")
    )
    names = (
        np.asarray(names, dtype=object)[keep]
        if names is not None
        else np.full(len(geoms), None, dtype=object)
    )
    classes = np.array([st.street_class(h) for h in highway])
    names = np.array([name_text(n) for n in names], dtype=object)
    return StreetLayer(
        classes={c: GeomLayer(geoms[classes == c]) for c in np.unique(classes)},
        names={c: names[classes == c] for c in np.unique(classes)},
    )


def prepare_buildings(
    buildings: Any, *, projector: Any, projected: bool = False
) -> GeomLayer | None:
    """Footprints (shapely array, GeoDataFrame or compact
    :class:`~planner.core.buildings.Footprints`), lon/lat unless ``projected``."""
    if isinstance(buildings, GeomLayer):
        return buildings
    if buildings is None or not len(buildings):
        return None
    if isinstance(buildings, Footprints):
        buildings = buildings.geometries()
    if hasattr(buildings, "geometry"):
        if buildings.crs is not None and buildings.crs.to_epsg() != 4326 and not projected:
            buildings = buildings.to_crs(4326)
        buildings = np.asarray(buildings.geometry.values)
    return GeomLayer(
        to_scene_geoms(np.asarray(buildings), projector=projector, projected=projected)
    )


def prepare_sites(sites: Sequence[Site] | None, *, projector: Any) -> SiteLayers:
    """Site symbols (one per site), polygon outlines, and entrance points."""
    sites = list(sites or [])
    if not sites:
        return SiteLayers()
    geoms = np.array([s.geometry for s in sites], dtype=object)
    scene = to_scene_geoms(geoms, projector=projector, projected=False)
    styles = tuple(st.category_style(s.category) for s in sites)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    styles = tuple(s for s, v in zip(styles, valid, strict=True) if v)
    anchor = shapely.point_on_surface(scene)
    points = PointLayer(shapely.get_coordinates(anchor), styles)
    outlines: GeomLayer | None = None
    outline_styles: tuple[st.CategoryStyle, ...] = ()
    kept = [s for s, v in zip(sites, valid, strict=True) if v]
    polygonal = np.isin(shapely.get_type_id(scene), (3, 6))
    if polygonal.any():
        outlines = GeomLayer(scene[polygonal])
        outline_styles = tuple(
            dataclasses.replace(s, unverified=True) if site.verified is False else s
            for s, site, p in zip(styles, kept, polygonal, strict=True)
            if p
        )
    entrances: PointLayer | None = None
    ent = [(e.lon, e.lat) for s in sites for e in s.entrances]
    if ent:
        lon, lat = np.array(ent).T
        x, y = projector.forward(lon, lat)
        entrances = PointLayer(np.column_stack([x, -np.asarray(y)]))
    return SiteLayers(
        points=points,
        outlines=outlines,
        outline_styles=outline_styles,
        entrances=entrances,
        count=len(sites),
        names=tuple(s.name or s.id for s in kept),
        info=tuple(site_info(s) for s in kept),
    )


def prepare_zones(zones: Sequence[Any] | None) -> ZoneLayer:
    """Capture zones (objects with projected ``geometry`` and ``action``)."""
    zones = list(zones or [])
    if not zones:
        return ZoneLayer()
    geoms = np.array([z.geometry for z in zones], dtype=object)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    layer = GeomLayer(to_scene_geoms(geoms, projector=None, projected=True))
    actions = np.array([str(getattr(z, "action", "warn")) for z in zones])[valid]
    return ZoneLayer(layer=layer, actions=actions, count=len(zones))


def prepare_layers(
    *,
    projector: Any,
    streets: Any = None,
    buildings: Any = None,
    sites: Sequence[Site] | None = None,
    zones: Sequence[Any] | None = None,
    boundaries: Any = None,
) -> PreparedLayers:
    """All static layers at once (seconds for a citywide pack: call on the worker)."""
    return PreparedLayers(
        boundaries=prepare_boundaries(boundaries, projector=projector),
        streets=prepare_streets(streets, projector=projector),
        buildings=prepare_buildings(buildings, projector=projector),
        sites=prepare_sites(sites, projector=projector),
        zones=prepare_zones(zones),
    )
