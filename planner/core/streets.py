"""Street network: snapping new cameras to streets and approach zones (SPEC 4.4)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import LineString, MultiLineString, Point
from shapely.ops import substring

from planner.core.crs import Projector
from planner.core.geometry import bearing_deg

if TYPE_CHECKING:
    import networkx as nx

#: Endpoints closer than this are one node when the layer has no node ids.
_NODE_SNAP_M = 0.5


@dataclass(frozen=True, slots=True)
class Snap:
    """The nearest street point and the street's bearing there."""

    x: float
    y: float
    bearing_deg: float
    edge: int
    name: str
    distance_m: float


@dataclass(eq=False)
class StreetNetwork:
    """Projected street centre lines with a spatial index and a routable graph."""

    lines: np.ndarray
    u: np.ndarray
    v: np.ndarray
    names: np.ndarray
    highway: np.ndarray
    tree: STRtree = field(init=False, repr=False)
    lengths: np.ndarray = field(init=False, repr=False)
    _graph: nx.MultiGraph | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.tree = STRtree(self.lines)
        self.tree.query(shapely.box(0, 0, 1, 1))
        self.lengths = shapely.length(self.lines)

    @classmethod
    def from_geometries(
        cls,
        lines_lonlat: np.ndarray,
        *,
        projector: Projector,
        u: np.ndarray | None = None,
        v: np.ndarray | None = None,
        names: np.ndarray | None = None,
        highway: np.ndarray | None = None,
    ) -> StreetNetwork:
        """Project lon/lat LineStrings; node ids are derived from endpoints when absent."""
        lines = np.asarray(projector.project(np.asarray(lines_lonlat, dtype=object)), dtype=object)
        keep = ~shapely.is_empty(lines) & (
            shapely.get_type_id(lines) == shapely.GeometryType.LINESTRING
        )
        n = len(lines)
        u_arr = np.asarray(u) if u is not None else None
        v_arr = np.asarray(v) if v is not None else None
        names_arr = np.asarray(names, dtype=object) if names is not None else np.full(n, "", object)
        hw_arr = (
            np.asarray(highway, dtype=object) if highway is not None else np.full(n, "", object)
        )
        lines, names_arr, hw_arr = lines[keep], names_arr[keep], hw_arr[keep]
        if u_arr is None or v_arr is None:
            u_arr, v_arr = _endpoint_nodes(lines)
        else:
            u_arr, v_arr = u_arr[keep], v_arr[keep]
        return cls(lines=lines, u=u_arr, v=v_arr, names=names_arr, highway=hw_arr)

    def __len__(self) -> int:
        return len(self.lines)

    def nearest(self, x: float, y: float, *, max_distance_m: float) -> tuple[int, float] | None:
        """Index of the nearest street within ``max_distance_m`` and its distance."""
        if len(self.lines) == 0:
            return None
        pt = Point(x, y)
        idx = self.tree.query_nearest(pt, max_distance=max_distance_m, all_matches=False)
        if len(idx) == 0:
            return None
        i = int(idx[0])
        return i, float(self.lines[i].distance(pt))

    def snap(self, x: float, y: float, *, max_distance_m: float = 250.0) -> Snap | None:
        """Nearest street point and the bearing of the street there, or ``None``."""
        hit = self.nearest(x, y, max_distance_m=max_distance_m)
        if hit is None:
            return None
        i, dist = hit
        line: LineString = self.lines[i]
        s = line.project(Point(x, y))
        p = line.interpolate(s)
        length = line.length
        a = line.interpolate(max(0.0, s - 1.0))
        b = line.interpolate(min(length, s + 1.0))
        heading = bearing_deg(a.x, a.y, b.x, b.y) if a.distance(b) > 1e-9 else 0.0
        name = self.names[i]
        return Snap(
            x=p.x,
            y=p.y,
            bearing_deg=heading,
            edge=i,
            name=""
            if name is None or (isinstance(name, float) and math.isnan(name))
            else str(name),
            distance_m=dist,
        )

    @property
    def graph(self) -> nx.MultiGraph:
        """Undirected graph of the streets: vehicles approach an entrance from both sides."""
        if self._graph is None:
            # networkx is imported here, not at module level: it costs a quarter of a
            # second and only approach zones route on the graph (never the first paint).
            import networkx as nx

            g = nx.MultiGraph()
            for i, (a, b, length) in enumerate(zip(self.u, self.v, self.lengths, strict=True)):
                g.add_edge(a, b, key=i, length=float(length))
            self._graph = g
        return self._graph

    def approach_lines(self, x: float, y: float, *, approach_m: float) -> MultiLineString | None:
        """Streets within ``approach_m`` network distance of the street point nearest (x, y)."""
        hit = self.nearest(x, y, max_distance_m=max(approach_m, 250.0))
        if hit is None or approach_m <= 0:
            return None
        i, _ = hit
        line: LineString = self.lines[i]
        length = float(self.lengths[i])
        s = line.project(Point(x, y))
        pieces: list[LineString] = [
            substring(line, max(0.0, s - approach_m), min(length, s + approach_m))
        ]
        g = self.graph
        import networkx as nx

        # Remaining budget at each end of the snapped edge, then Dijkstra outwards.
        seeds = {self.u[i]: approach_m - s, self.v[i]: approach_m - (length - s)}
        best: dict[object, float] = {}
        for node, budget in seeds.items():
            if budget <= 0:
                continue
            dist = nx.single_source_dijkstra_path_length(g, node, cutoff=budget, weight="length")
            for n, d in dist.items():
                left = budget - d
                if left > best.get(n, -1.0):
                    best[n] = left
        for node, left in best.items():
            for _, _, k in g.edges(node, keys=True):
                edge_line: LineString = self.lines[k]
                elen = float(self.lengths[k])
                if self.u[k] == node:
                    pieces.append(substring(edge_line, 0.0, min(elen, left)))
                if self.v[k] == node:
                    pieces.append(substring(edge_line, max(0.0, elen - left), elen))
        parts = [p for p in pieces if not p.is_empty and p.geom_type == "LineString"]
        return MultiLineString(parts) if parts else None


def _endpoint_nodes(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Node ids from rounded endpoint coordinates, for layers without u/v columns."""
    start = shapely.get_coordinates(shapely.get_point(lines, 0))
    end = shapely.get_coordinates(shapely.get_point(lines, -1))
    keys = np.round(np.vstack([start, end]) / _NODE_SNAP_M).astype(np.int64)
    _, ids = np.unique(keys, axis=0, return_inverse=True)
    ids = ids.ravel()
    return ids[: len(lines)], ids[len(lines) :]
