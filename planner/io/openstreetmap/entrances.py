"""Find the vehicle entrances of protected sites in OSM data.

An entrance (SPEC 2) is where a site's driveway or curb cut meets a public
street. OSM rarely tags it directly, so it is derived from the road network.
All measuring is done in metres, in the UTM zone of the sites.

Algorithm
---------
Ways are sorted into two kinds:

- **public streets**: the drivable, non-service ways (osmnx ``network_type="drive"``
  filter, passed in by the caller);
- **service ways**: ``highway=service`` (any ``service=*``, including
  ``driveway``, ``parking_aisle``, ``alley``) and any other highway way tagged
  ``service=driveway`` or ``service=parking_aisle``; ``area=yes`` ways are skipped.

For every site, its **area** is its polygon (grown by :data:`AREA_TOLERANCE_M`
so that a driveway ending on the outline counts), or, for a point site, a disc of
:data:`POINT_SITE_RADIUS_M` around the node (a point says where the site is, not
how big it is; 30 m covers a typical church or clinic lot without reaching far
across the street).

1. **driveway**: every service way that crosses or touches the area is a seed.
   From the seeds, connected service ways (sharing a node) are followed, but only
   ways that come within :data:`REACH_M` of the area, so a parking aisle leads to
   its driveway but not across a whole shopping centre. Every node of a followed
   service way that is also a node of a public street, and lies within
   :data:`REACH_M` of the area, is one entrance (basis ``driveway``): the point
   where the driveway meets the street.
2. **entrance_node**: a node tagged ``barrier=gate`` (or ``lift_gate``,
   ``swing_gate``, ``sliding_gate``) or ``entrance=*`` that lies on the site's
   outline (within :data:`AREA_TOLERANCE_M`; for a point site, inside its disc)
   and is a node of a vehicular way (a public street or a service way) is one
   entrance (basis ``entrance_node``). Doors on a building outline that no road
   reaches are pedestrian entrances and are ignored.
3. Entrances of one site closer than :data:`DEDUP_M` to an earlier one are
   dropped (driveway entrances come first). A site with no entrance gets none:
   the checker then protects its whole footprint (SPEC 4.4).

Entrance ids are ``<site_id>/e1``, ``<site_id>/e2`` ... in that order.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from planner.core.crs import Projector
from planner.io.openstreetmap.data import OsmData

POINT_SITE_RADIUS_M = 30.0
AREA_TOLERANCE_M = 2.0
REACH_M = 100.0
DEDUP_M = 5.0

GATE_BARRIERS = frozenset({"gate", "lift_gate", "swing_gate", "sliding_gate"})
SERVICE_KINDS = frozenset({"driveway", "parking_aisle"})


@dataclass(frozen=True)
class FoundEntrance:
    """One entrance: lon/lat, how it was found, and the OSM node it sits on."""

    entrance_id: str
    site_id: str
    lon: float
    lat: float
    basis: str
    node_id: int


def is_service_way(tags: Mapping[str, str]) -> bool:
    """A driveway, parking aisle, alley or other service road."""
    highway = tags.get("highway")
    if highway is None or tags.get("area") == "yes":
        return False
    return highway == "service" or tags.get("service") in SERVICE_KINDS


def is_gate_or_entrance(tags: Mapping[str, str]) -> bool:
    return tags.get("barrier") in GATE_BARRIERS or "entrance" in tags


def find_entrances(
    data: OsmData,
    sites: Sequence[tuple[str, BaseGeometry]],
    *,
    public_way_ids: Collection[int],
    projector: Projector | None = None,
) -> list[FoundEntrance]:
    """Entrances of ``sites`` (``(site_id, lon/lat geometry)``) found in ``data``.

    Parameters
    ----------
    data
        The OSM objects the sites came from.
    sites
        Site ids and geometries (Point, Polygon or MultiPolygon, lon/lat).
    public_way_ids
        Ids of the ways that are public drivable streets.
    projector
        Metric projection; by default the UTM zone of the sites.

    Returns
    -------
    list of FoundEntrance
        In site order, then driveway before entrance_node entrances.
    """
    if not sites:
        return []
    if projector is None:
        cents = [g.centroid for _, g in sites]
        projector = Projector.for_points([(c.x, c.y) for c in cents])
    net = _network(data, public_way_ids, projector)
    out: list[FoundEntrance] = []
    for site_id, geom in sites:
        projected = projector.project(geom)
        point_site = projected.geom_type in ("Point", "MultiPoint")
        area = (
            projected.buffer(POINT_SITE_RADIUS_M)
            if point_site
            else shapely.make_valid(projected).buffer(AREA_TOLERANCE_M)
        )
        found = [("driveway", n) for n in _driveway_meetings(data, net, area)]
        found += [("entrance_node", n) for n in _gates_on(net, projected, area, point_site)]
        for k, (basis, n) in enumerate(_deduplicated(found, net.xy), start=1):
            lon, lat = data.nodes[n]
            out.append(FoundEntrance(f"{site_id}/e{k}", site_id, lon, lat, basis, n))
    return out


@dataclass
class _Network:
    """The vehicular ways and gates of the data, projected once for every site's search."""

    public_nodes: set[int]
    service: set[int]
    #: node -> the service and public ways through it
    node_ways: dict[int, list[int]]
    #: metric position of every node a vehicular way uses
    xy: dict[int, tuple[float, float]]
    service_ids: list[int]
    service_index: dict[int, int]
    service_geoms: np.ndarray
    tree: shapely.STRtree
    gate_nodes: list[int]
    gate_points: np.ndarray


def _network(data: OsmData, public_way_ids: Collection[int], projector: Projector) -> _Network:
    """Sort the ways into public streets and service ways; project their nodes once."""
    public = {w for w in public_way_ids if w in data.ways}
    service = {w for w, t in data.way_tags.items() if is_service_way(t) and w not in public}

    node_ways: dict[int, list[int]] = defaultdict(list)
    for w in service | public:
        for n in data.ways[w]:
            node_ways[n].append(w)
    public_nodes = {n for w in public for n in data.ways[w]}

    ids = np.fromiter((n for n in node_ways if n in data.nodes), dtype=np.int64)
    lonlat = np.array([data.nodes[n] for n in ids], dtype=float).reshape(-1, 2)
    xs, ys = projector.forward(lonlat[:, 0], lonlat[:, 1]) if len(ids) else (np.empty(0),) * 2
    xy: dict[int, tuple[float, float]] = {
        int(n): (float(x), float(y)) for n, x, y in zip(ids, xs, ys, strict=True)
    }

    service_ids = sorted(service)
    service_lines = []
    for w in service_ids:
        coords = [xy[n] for n in data.ways[w] if n in xy]
        service_lines.append(shapely.LineString(coords) if len(coords) >= 2 else shapely.Point())
    service_geoms = np.array(service_lines, dtype=object)

    gate_nodes = [n for n, t in data.node_tags.items() if n in xy and is_gate_or_entrance(t)]
    gate_points = shapely.points(np.array([xy[n] for n in gate_nodes]).reshape(-1, 2))
    return _Network(
        public_nodes=public_nodes,
        service=service,
        node_ways=node_ways,
        xy=xy,
        service_ids=service_ids,
        service_index={w: i for i, w in enumerate(service_ids)},
        service_geoms=service_geoms,
        tree=shapely.STRtree(service_geoms),
        gate_nodes=gate_nodes,
        gate_points=gate_points,
    )


def _driveway_meetings(data: OsmData, net: _Network, area: BaseGeometry) -> list[int]:
    """Step 1: follow service ways from the area to the public streets they meet."""
    seeds = net.tree.query(area, predicate="intersects")
    reach = area.buffer(REACH_M)
    seen = set()
    queue = deque(int(i) for i in seeds)
    meeting: list[int] = []
    while queue:
        i = queue.popleft()
        if i in seen:
            continue
        seen.add(i)
        w = net.service_ids[i]
        for n in data.ways[w]:
            if (
                n in net.public_nodes
                and n in net.xy
                and n not in meeting
                and reach.contains(shapely.Point(net.xy[n]))
            ):
                meeting.append(n)
            for other in net.node_ways.get(n, ()):
                if other in net.service and other != w:
                    j = net.service_index[other]
                    if j not in seen and net.service_geoms[j].intersects(reach):
                        queue.append(j)
    return meeting


def _gates_on(
    net: _Network, projected: BaseGeometry, area: BaseGeometry, point_site: bool
) -> list[int]:
    """Step 2: gates and entrance nodes on the outline (in the disc of a point site)."""
    if not len(net.gate_nodes):
        return []
    if point_site:
        coords = shapely.get_coordinates(net.gate_points)
        near = shapely.contains_xy(area, coords[:, 0], coords[:, 1])
    else:
        near = shapely.dwithin(net.gate_points, projected.boundary, AREA_TOLERANCE_M)
    return [net.gate_nodes[k] for k in np.flatnonzero(near)]


def _deduplicated(
    found: list[tuple[str, int]], xy: Mapping[int, tuple[float, float]]
) -> list[tuple[str, int]]:
    """Step 3: an entrance closer than :data:`DEDUP_M` to an earlier one is dropped."""
    kept: list[tuple[str, int]] = []
    for basis, n in found:
        x, y = xy[n]
        if all(np.hypot(x - xy[m][0], y - xy[m][1]) >= DEDUP_M for _, m in kept):
            kept.append((basis, n))
    return kept
