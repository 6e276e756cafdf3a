"""Local metric frames for tests: build lon/lat inputs from hand-computed metre offsets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon

from planner.core.crs import Projector
from planner.core.model import Camera, Entrance, Site

ORIGIN = (-121.8863, 37.3382)


@dataclass
class Frame:
    """Metres east/north of ORIGIN, in the UTM zone the checker will choose."""

    projector: Projector
    ox: float
    oy: float

    def ll(self, x: float, y: float) -> tuple[float, float]:
        return self.projector.lonlat(self.ox + x, self.oy + y)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self.projector.point(lon, lat)
        return x - self.ox, y - self.oy

    def camera(
        self, cid: str, x: float, y: float, heading: float | None, fov: float, rng: float, **kw
    ) -> Camera:
        lon, lat = self.ll(x, y)
        return Camera(id=cid, lon=lon, lat=lat, heading_deg=heading, fov_deg=fov, range_m=rng, **kw)

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> Polygon:
        return Polygon([self.ll(x0, y0), self.ll(x1, y0), self.ll(x1, y1), self.ll(x0, y1)])

    def site(
        self, sid: str, category: str, geom_xy: Polygon | Point, entrances=(), name: str = ""
    ) -> Site:
        geom = shapely.transform(geom_xy, lambda c: np.array([self.ll(x, y) for x, y in c]))
        ents = tuple(
            Entrance(id=f"{sid}/e{k}", site_id=sid, lon=self.ll(x, y)[0], lat=self.ll(x, y)[1])
            for k, (x, y) in enumerate(entrances, start=1)
        )
        return Site(id=sid, category=category, geometry=geom, name=name or sid, entrances=ents)

    def to_local(self, geom):
        """A projected geometry shifted so ORIGIN is (0, 0)."""
        return shapely.transform(geom, lambda c: c - np.array([self.ox, self.oy]))

    def lines_lonlat(self, lines_xy: list[LineString]) -> np.ndarray:
        return np.array(
            [
                shapely.transform(g, lambda c: np.array([self.ll(x, y) for x, y in c]))
                for g in lines_xy
            ],
            dtype=object,
        )

    def polys_lonlat(self, polys_xy: list[Polygon]) -> np.ndarray:
        return np.array(
            [
                shapely.transform(g, lambda c: np.array([self.ll(x, y) for x, y in c]))
                for g in polys_xy
            ],
            dtype=object,
        )


def make_frame() -> Frame:
    proj = Projector.for_points([ORIGIN])
    ox, oy = proj.point(*ORIGIN)
    return Frame(proj, ox, oy)
