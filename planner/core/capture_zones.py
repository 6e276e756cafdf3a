"""Capture zones (SPEC 4.4) as the checker measures them: cores, radii and frames.

A zone is stored as its *core* (entrance point, site footprint or approach streets)
and a buffer radius; a :class:`Frame` holds the cores of every zone projected into
one CRS with their index and occluder. :func:`build_zones` turns a policy and sites
into the zone table, :func:`build_frame` projects it into another UTM zone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from planner.core.buildings import BuildingIndex
from planner.core.crs import Projector
from planner.core.model import Action, Basis, Policy, Site
from planner.core.visibility import NoOcclusion, Occluder, ShadowOccluder

if TYPE_CHECKING:
    from planner.core.streets import StreetNetwork

#: Buffers drawn and used for overlap areas: 4 * 45 vertices, one per 2° (SPEC 3).
_QUAD_SEGS = 45
#: Buffer radii are scaled so the polygon circumscribes the true circle, like the
#: cones: a view that captures a zone then always shows a positive overlap.
_CIRCUMSCRIBE = 1.0 / math.cos(math.pi / (4 * _QUAD_SEGS))


@dataclass(frozen=True, slots=True)
class CaptureZone:
    """One capture zone (SPEC 4.4) in projected metres."""

    site_id: str
    entrance_id: str | None
    basis: Basis
    category: str
    action: Action
    geometry: BaseGeometry


@dataclass(frozen=True, slots=True)
class ZonePiece:
    zone: int
    core: BaseGeometry
    radius: float


class Frame:
    """Capture-zone cores, their index and the occluder, in one projected CRS."""

    def __init__(
        self, projector: Projector, occluder: Occluder, pieces: Sequence[ZonePiece]
    ) -> None:
        self.projector = projector
        self.occluder = occluder
        self.pieces = tuple(pieces)
        self.by_zone: dict[int, list[ZonePiece]] = {}
        for piece in self.pieces:
            self.by_zone.setdefault(piece.zone, []).append(piece)
        # Filled lazily: a city has thousands of zones and a check needs a few.
        self.zone_geoms: dict[int, BaseGeometry] = {}
        self.core = np.array([p.core for p in self.pieces], dtype=object)
        self.radius = np.array([p.radius for p in self.pieces], dtype=float)
        self.zone = np.array([p.zone for p in self.pieces], dtype=np.intp)
        self.tree = STRtree(self.core)
        self.tree.query(shapely.box(0, 0, 1, 1))

    def zone_geometry(self, zi: int) -> BaseGeometry:
        """Zone ``zi`` as a buffered polygon, built on first use and kept."""
        geom = self.zone_geoms.get(zi)
        if geom is None:
            parts = [
                shapely.buffer(p.core, p.radius * _CIRCUMSCRIBE, quad_segs=_QUAD_SEGS)
                for p in self.by_zone.get(zi, ())
            ]
            geom = parts[0] if len(parts) == 1 else shapely.union_all(parts)
            self.zone_geoms[zi] = geom
        return geom


#: What a zone is: site id, entrance id (None for a footprint), basis, category, action.
ZoneMeta = tuple[str, str | None, Basis, str, Action]


@dataclass(slots=True)
class ZoneTable:
    """Every capture zone of a policy and sites, with its cores in metres and in lon/lat."""

    meta: list[ZoneMeta] = field(default_factory=list)
    site: list[int] = field(default_factory=list)  # index of the zone's site
    margin: list[float] = field(default_factory=list)  # warning margin, metres
    pieces: list[ZonePiece] = field(default_factory=list)
    # The same cores in lon/lat, to project them into any other zone.
    pieces_lonlat: list[ZonePiece] = field(default_factory=list)

    def add_zone(
        self,
        si: int,
        site: Site,
        entrance_id: str | None,
        basis: Basis,
        action: Action,
        margin: float,
    ) -> int:
        """Add one zone's description; its index."""
        self.meta.append((site.id, entrance_id, basis, site.category, action))
        self.site.append(si)
        self.margin.append(margin)
        return len(self.meta) - 1


def build_zones(
    policy: Policy,
    sites: Sequence[Site],
    projector: Projector,
    streets: StreetNetwork | None,
) -> ZoneTable:
    """The capture zones of ``sites`` under ``policy``, cores projected by ``projector``."""
    table = ZoneTable()
    for si, site in enumerate(sites):
        rule = policy.rule_for(site.category)
        if rule is None or rule.action is Action.IGNORE:
            continue
        if site.entrances:
            _add_entrance_zones(table, policy, si, site, rule.action, projector, streets)
        if site.protected_by_footprint:
            _add_footprint_zone(table, policy, si, site, rule.action, projector)
    return table


def _add_entrance_zones(
    table: ZoneTable,
    policy: Policy,
    si: int,
    site: Site,
    action: Action,
    projector: Projector,
    streets: StreetNetwork | None,
) -> None:
    """One zone per entrance: the entrance point, and its approach streets where asked."""
    radius = policy.entrance_radius(site.category)
    margin = policy.warn_margin(site.category)
    approach = policy.approach(site.category)
    for ent in site.entrances:
        zi = table.add_zone(si, site, ent.id, Basis.ENTRANCE, action, margin)
        x, y = projector.point(ent.lon, ent.lat)
        table.pieces.append(ZonePiece(zi, Point(x, y), radius))
        table.pieces_lonlat.append(ZonePiece(zi, Point(ent.lon, ent.lat), radius))
        if approach > 0 and streets is not None:
            lines = streets.approach_lines(x, y, approach_m=approach)
            if lines is not None:
                table.pieces.append(ZonePiece(zi, lines, policy.approach_width_m))
                table.pieces_lonlat.append(
                    ZonePiece(zi, projector.unproject(lines), policy.approach_width_m)
                )


def _add_footprint_zone(
    table: ZoneTable, policy: Policy, si: int, site: Site, action: Action, projector: Projector
) -> None:
    """The zone around the whole site footprint."""
    radius = policy.entrance_radius(site.category)
    margin = policy.warn_margin(site.category)
    zi = table.add_zone(si, site, None, Basis.FOOTPRINT, action, margin)
    core = projector.project(site.geometry)
    if not core.is_valid:
        core = shapely.make_valid(core)
    table.pieces.append(ZonePiece(zi, core, radius))
    table.pieces_lonlat.append(ZonePiece(zi, site.geometry, radius))


def build_frame(
    pieces_lonlat: Sequence[ZonePiece], projector: Projector, buildings: BuildingIndex | None
) -> Frame:
    """The zones' frame in ``projector``'s CRS, with the buildings projected there."""
    pieces = []
    for p in pieces_lonlat:
        core = projector.project(p.core)
        if not core.is_valid:
            core = shapely.make_valid(core)
        pieces.append(ZonePiece(p.zone, core, p.radius))
    if buildings is not None:
        occluder: Occluder = ShadowOccluder(buildings.in_crs(projector))
    else:
        occluder = NoOcclusion()
    return Frame(projector, occluder, pieces)
