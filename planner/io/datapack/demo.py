"""The embedded demo: a small synthetic town, written as a data pack and a plan.

``python -m planner.io.datapack.demo data/demo`` regenerates ``data/demo/demo.gpkg`` and
``data/demo/demo.plan.geojson``. Everything is made up (no OpenStreetMap or city
data): a 1.2 km x 1 km street grid with a diagonal and a curved street, about 150
buildings, one protected site of each San José category with its parcel and
vehicle entrances, a few existing cameras, and a plan of proposed cameras of which
exactly one is blocked (it captures a church entrance), one is warned (it passes
within the policy's 10 m margin of a clinic entrance) and the rest are clear under
the built-in policy. The output is deterministic: same code, same files.

The town is placed at about lon -121.95, lat 37.35 so that maps and projections
behave as for San José; it is clearly labelled "Demo Town (synthetic)".
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from planner.core.crs import Projector, utm_epsg
from planner.core.model import Camera, CameraStatus, Plan, PlanMeta
from planner.io.formats.plan import PACK_LINK_KEY

TOWN_NAME = "Demo Town (synthetic)"
CENTER_LON, CENTER_LAT = -121.95, 37.35
WIDTH_M, HEIGHT_M = 1200.0, 1000.0
SEED = 20260310
#: Fixed dates so the files do not change from one run to the next.
STAMP = "2026-03-10T09:00:00Z"
PACK_NAME = "demo.gpkg"
PLAN_NAME = "demo.plan.geojson"

# name, highway, lanes, maxspeed, oneway
_EW = {
    0.0: ("Alder Street", "residential", "2", "25 mph", False),
    200.0: ("Birch Street", "tertiary", "2", "25 mph", False),
    400.0: ("Main Street", "primary", "4", "35 mph", False),
    600.0: ("Cedar Street", "residential", "1", "25 mph", True),
    800.0: ("Dogwood Street", "residential", "2", "25 mph", False),
    1000.0: ("Elm Street", "tertiary", "2", "30 mph", False),
}
_NS = {
    0.0: ("1st Avenue", "residential", "2", "25 mph", False),
    200.0: ("2nd Avenue", "residential", "2", "25 mph", False),
    400.0: ("3rd Avenue", "tertiary", "2", "25 mph", False),
    600.0: ("Central Avenue", "secondary", "4", "35 mph", False),
    800.0: ("5th Avenue", "residential", "2", "25 mph", False),
    1000.0: ("6th Avenue", "residential", "2", "25 mph", False),
    1200.0: ("7th Avenue", "tertiary", "2", "30 mph", False),
}

# Protected sites in local metres: parcel polygon, a building inside it, entrances
# (where the driveway meets the street's centre line).
_SITES: list[dict[str, Any]] = [
    {
        "site_id": "demo-pow-1",
        "category": "place_of_worship",
        "name": "St. Example Church (synthetic)",
        "parcel": box(225, 215, 305, 290),
        "building": box(240, 230, 290, 275),
        "entrances": [((265.0, 200.0), "driveway"), ((200.0, 260.0), "entrance_node")],
        "verified": True,
        "tags": {"amenity": "place_of_worship", "religion": "christian"},
    },
    {
        "site_id": "demo-clinic-1",
        "category": "abortion_provider",
        "name": "Demo Family Health Clinic (synthetic)",
        "parcel": box(870, 320, 940, 388),
        "building": box(880, 330, 930, 375),
        "entrances": [((905.0, 400.0), "driveway")],
        # Like a brand match in OSM: a person must confirm "primarily providing
        # abortion services".
        "verified": False,
        "tags": {"amenity": "clinic", "healthcare": "clinic"},
    },
    {
        "site_id": "demo-consulate-1",
        "category": "consulate",
        "name": "Consulate General of Examplestan (synthetic)",
        "parcel": box(420, 620, 490, 690),
        "building": box(430, 630, 480, 680),
        "entrances": [((400.0, 655.0), "driveway")],
        "verified": True,
        "tags": {"office": "diplomatic", "diplomatic": "consulate_general"},
    },
    {
        "site_id": "demo-embassy-1",
        "category": "embassy",
        "name": "Embassy of Demoland (synthetic)",
        "parcel": box(1080, 20, 1160, 90),
        "building": box(1090, 30, 1150, 80),
        "entrances": [((1120.0, 0.0), "driveway"), ((1200.0, 55.0), "driveway")],
        "verified": True,
        "tags": {"office": "diplomatic", "diplomatic": "embassy"},
    },
    {
        # A point with no known entrance: the checker protects its footprint.
        "site_id": "demo-pow-2",
        "category": "place_of_worship",
        "name": "Neighbourhood Prayer Room (synthetic)",
        "point": (700.0, 900.0),
        "entrances": [],
        "verified": True,
        "tags": {"amenity": "place_of_worship"},
    },
]

# Proposed cameras of the demo plan: id, x, y, heading, fov, range, model, label, expected.
_PLAN_CAMERAS: list[tuple[str, float, float, float, float, float, str | None, str, str]] = [
    ("C-1", 330.0, 196.0, 270.0, 14.0, 76.0, "flock_falcon_lr", "Birch St looking west", "block"),
    ("C-2", 925.0, 404.0, 90.0, 20.0, 25.0, "flock_falcon", "Main St east of the clinic", "warn"),
    ("C-3", 604.0, 500.0, 0.0, 40.0, 60.0, None, "Central Ave northbound", "clear"),
    ("C-4", 100.0, 404.0, 90.0, 40.0, 60.0, None, "Main St west end", "clear"),
    ("C-5", 1004.0, 700.0, 180.0, 14.0, 76.0, "flock_falcon_lr", "6th Ave southbound", "clear"),
    ("C-6", 400.0, 996.0, 270.0, 20.0, 25.0, "flock_falcon", "Elm St at 3rd Ave", "clear"),
]

# Existing cameras in the pack: id, x, y, heading (None unknown), direction tag, brand.
_EXISTING: list[tuple[str, float, float, float | None, str | None, str]] = [
    ("E-1", 596.0, 396.0, 225.0, "SW", "Flock Safety"),
    ("E-2", 4.0, 600.0, 90.0, "90", "Flock Safety"),
    ("E-3", 1196.0, 204.0, None, None, "Motorola Solutions"),
    ("E-4", 800.0, 804.0, 200.0, "200", "Flock Safety"),
]


def _projector() -> Projector:
    return Projector.from_crs(utm_epsg(CENTER_LON, CENTER_LAT))


class _Town:
    """Local metres (origin at the south-west corner) to rounded lon/lat."""

    def __init__(self) -> None:
        self.projector = _projector()
        cx, cy = self.projector.point(CENTER_LON, CENTER_LAT)
        self.x0, self.y0 = cx - WIDTH_M / 2, cy - HEIGHT_M / 2

    def lonlat(self, geom: shapely.Geometry) -> shapely.Geometry:
        def tr(coords: np.ndarray) -> np.ndarray:
            lon, lat = self.projector.inverse(coords[:, 0] + self.x0, coords[:, 1] + self.y0)
            # 1e-7 degrees is about 1 cm: plenty, and keeps the files small and stable.
            return np.column_stack([np.round(lon, 7), np.round(lat, 7)])

        return shapely.transform(geom, tr)

    def point(self, x: float, y: float) -> tuple[float, float]:
        p = self.lonlat(Point(x, y))
        return p.x, p.y


def _street_lines() -> list[tuple[LineString, tuple[str, str, str, str, bool]]]:
    lines: list[tuple[LineString, tuple[str, str, str, str, bool]]] = []
    for y, attrs in _EW.items():
        lines.append((LineString([(0, y), (WIDTH_M, y)]), attrs))
    for x, attrs in _NS.items():
        lines.append((LineString([(x, 0), (x, HEIGHT_M)]), attrs))
    lines.append(
        (
            LineString([(800, 1000), (1200, 600)]),
            ("Railroad Diagonal", "tertiary", "2", "30 mph", False),
        )
    )
    arc = [(300 * math.cos(t), 1000 + 300 * math.sin(t)) for t in np.linspace(0, -math.pi / 2, 19)]
    lines.append((LineString(arc), ("Crescent Drive", "residential", "2", "25 mph", False)))
    return lines


def _streets(town: _Town) -> gpd.GeoDataFrame:
    """Directed edges split at every crossing, like an osmnx graph's edges."""
    lines = _street_lines()
    noded = shapely.get_parts(shapely.node(shapely.MultiLineString([ln for ln, _ in lines])))
    node_ids: dict[tuple[float, float], int] = {}

    def node(xy: tuple[float, float]) -> int:
        key = (round(xy[0], 2), round(xy[1], 2))
        if key not in node_ids:
            node_ids[key] = 1000 + len(node_ids)
        return node_ids[key]

    rows = []
    for piece in noded:
        owner = next(i for i, (ln, _) in enumerate(lines) if ln.buffer(0.01).covers(piece))
        name, highway, lanes, maxspeed, oneway = lines[owner][1]
        coords = list(piece.coords)
        u, v = node(coords[0]), node(coords[-1])
        directions = [(u, v, coords)] if oneway else [(u, v, coords), (v, u, coords[::-1])]
        for a, b, cs in directions:
            rows.append(
                {
                    "u": a,
                    "v": b,
                    "key": 0,
                    "osmid": f"demo-street-{owner + 1}",
                    "name": name,
                    "highway": highway,
                    "lanes": lanes,
                    "oneway": oneway,
                    "maxspeed": maxspeed,
                    "length_m": round(piece.length, 3),
                    "geometry": town.lonlat(LineString(cs)),
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _buildings(town: _Town, rng: np.random.Generator) -> gpd.GeoDataFrame:
    streets = shapely.MultiLineString([ln for ln, _ in _street_lines()])
    parcels = [s["parcel"].buffer(5) for s in _SITES if "parcel" in s]
    parcels += [Point(s["point"]).buffer(20) for s in _SITES if "point" in s]
    placed: list[Polygon] = []
    rows = []
    for s in _SITES:
        if "building" in s:
            rows.append((f"demo-b-{s['site_id']}", s["building"], 9.0))
    for bx in range(6):
        for by in range(5):
            x0, y0 = bx * 200.0, by * 200.0
            count = 0
            for _ in range(60):
                if count >= 5:
                    break
                w, h = rng.uniform(14, 34), rng.uniform(12, 30)
                x, y = rng.uniform(x0 + 12, x0 + 188 - w), rng.uniform(y0 + 12, y0 + 188 - h)
                poly = box(round(x, 1), round(y, 1), round(x + w, 1), round(y + h, 1))
                if poly.distance(streets) < 12 or any(poly.intersects(p) for p in parcels):
                    continue
                if any(poly.distance(p) < 3 for p in placed):
                    continue
                placed.append(poly)
                count += 1
                rows.append((f"demo-b-{len(rows) + 1}", poly, round(float(rng.uniform(4, 20)), 1)))
    return gpd.GeoDataFrame(
        {
            "building_id": [r[0] for r in rows],
            "height": [r[2] for r in rows],
            "source": [TOWN_NAME] * len(rows),
        },
        geometry=[town.lonlat(r[1]) for r in rows],
        crs="EPSG:4326",
    )


def _sites(town: _Town) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    srows, erows = [], []
    for s in _SITES:
        geom = s["parcel"] if "parcel" in s else Point(s["point"])
        srows.append(
            {
                "site_id": s["site_id"],
                "category": s["category"],
                "name": s["name"],
                "source": TOWN_NAME,
                "source_id": s["site_id"],
                "tags": {**s["tags"], "name": s["name"]},
                "verified": s["verified"],
                "geometry": town.lonlat(geom),
            }
        )
        for k, ((x, y), basis) in enumerate(s["entrances"], start=1):
            erows.append(
                {
                    "entrance_id": f"{s['site_id']}/e{k}",
                    "site_id": s["site_id"],
                    "basis": basis,
                    "geometry": town.lonlat(Point(x, y)),
                }
            )
    sites = gpd.GeoDataFrame(srows, geometry="geometry", crs="EPSG:4326")
    entrances = gpd.GeoDataFrame(erows, geometry="geometry", crs="EPSG:4326")
    return sites, entrances


def _existing(town: _Town) -> gpd.GeoDataFrame:
    rows = []
    for cid, x, y, heading, direction, brand in _EXISTING:
        rows.append(
            {
                "camera_id": cid,
                "heading_deg": np.nan if heading is None else heading,
                "fov_deg": 20.0,
                "range_m": 25.0,
                "brand": brand,
                "direction_raw": direction,
                "operator": "Demo Town Police (synthetic)",
                "source_id": cid,
                "tags": {"man_made": "surveillance", "surveillance:type": "ALPR", "brand": brand},
                "geometry": town.lonlat(Point(x, y)),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def demo_plan(*, pack_sha256: str | None = None) -> Plan:
    """The demo plan: one blocked, one warned and four clear cameras.

    Parameters
    ----------
    pack_sha256
        The sha256 of the demo pack, recorded in the plan's ``data_pack`` link.
    """
    town = _Town()
    cams = []
    for cid, x, y, heading, fov, rng_m, model, label, expected in _PLAN_CAMERAS:
        lon, lat = town.point(x, y)
        cams.append(
            Camera(
                id=cid,
                # placed to 8 decimals (about 1 mm), as the app places cameras: the plan
                # file stores every digit, and this keeps the demo plan short and stable
                lon=round(lon, 8),
                lat=round(lat, 8),
                heading_deg=heading,
                fov_deg=fov,
                range_m=rng_m,
                label=label,
                status=CameraStatus.PROPOSED,
                model=model,
                capabilities=("plate_read",),
                mount_height_m=4.5,
                notes=f"demo: expected {expected}",
            )
        )
    meta = PlanMeta(
        name=f"{TOWN_NAME}: proposed cameras",
        created=STAMP,
        modified=STAMP,
        author="planner.demo",
        department="Demo Town Department of Transportation (synthetic)",
        policy_ref="san-jose-alpr-dup-2026@2026-03-10",
        extra={PACK_LINK_KEY: _pack_link(pack_sha256), "synthetic": True},
    )
    return Plan(cameras=cams, meta=meta)


def _pack_link(sha256: str | None) -> dict[str, str]:
    """The ``data_pack`` link in the form the app and ``import`` write, minus ``absolute``.

    The demo is regenerated byte for byte into any folder (and shipped inside the
    package), so a machine-specific absolute path would make the file differ from one
    place to the next; ``path`` beside the plan is all the demo needs.
    """
    link = {"path": PACK_NAME}
    if sha256:
        link["sha256"] = sha256
    return link


def demo_layers() -> dict[str, gpd.GeoDataFrame]:
    """All pack layers of the demo town (EPSG:4326)."""
    town = _Town()
    rng = np.random.default_rng(SEED)
    sites, entrances = _sites(town)
    limits = town.lonlat(box(-20, -20, WIDTH_M + 20, HEIGHT_M + 20))
    return {
        "streets": _streets(town),
        "buildings": _buildings(town, rng),
        "sites": sites,
        "entrances": entrances,
        "cameras_existing": _existing(town),
        "boundaries": gpd.GeoDataFrame(
            {"name": [TOWN_NAME], "kind": ["city_limits"]}, geometry=[limits], crs="EPSG:4326"
        ),
    }


def generate(out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``demo.gpkg`` and ``demo.plan.geojson`` into ``out_dir``; return their paths."""
    from planner.io.datapack.store import write_pack
    from planner.io.formats.plan import write_plan
    from planner.io.safety.common import sha256_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pack_path, plan_path = out / PACK_NAME, out / PLAN_NAME
    metadata: dict[str, Any] = {
        "name": TOWN_NAME,
        "import_time": STAMP,
        "sources": [{"path": "planner/demo.py", "kind": "generated", "sha256": None, "seed": SEED}],
        "osm_timestamp": None,
        "tag_rules": {},
        "synthetic": True,
        "note": "Synthetic demo data made by planner.demo; no real place, site or camera.",
    }
    # GDAL stamps tables with the current time; a fixed one keeps the file stable.
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2026-03-10T09:00:00.000Z"})
    try:
        write_pack(pack_path, demo_layers(), metadata)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    # The pack is byte-identical from run to run, so its sha256 in the plan is too.
    write_plan(demo_plan(pack_sha256=sha256_file(pack_path)), plan_path, touch=False)
    return pack_path, plan_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m planner.io.datapack.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "out_dir", nargs="?", default="data/demo", help="folder to write (default data/demo)"
    )
    args = parser.parse_args(argv)
    pack, plan = generate(args.out_dir)
    print(f"wrote {pack} ({pack.stat().st_size // 1024} KiB) and {plan}", file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
