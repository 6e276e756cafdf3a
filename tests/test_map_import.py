"""Import that says what it made: missing-layer warnings, one site per place across
sources, and an ``addresses`` layer from city address points and ``addr:*`` tags."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from planner.io.datapack.addresses import address_text
from planner.io.datapack.importer import run_import
from planner.io.datapack.site_dedup import deduplicate_sites, osm_key
from planner.io.datapack.store import read_pack

ALUM_ROCK_BOX = (-121.832, 37.362, -121.822, 37.371)


def write_sites(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def point_site(sid: str, lon: float, lat: float, **props) -> dict:
    return {
        "type": "Feature",
        "id": sid,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"category": "place_of_worship", **props},
    }


def test_import_warns_on_a_pack_without_streets_buildings_or_entrances(tmp_path):
    sites = write_sites(
        tmp_path / "sites.geojson", [point_site("a", -121.89, 37.33, name="A church")]
    )
    summary = run_import([], tmp_path / "p.gpkg", site_layers=[str(sites)])
    text = "\n".join(summary.warnings)
    assert "no streets" in text
    assert "no buildings" in text
    assert "sites without entrances are protected by their whole footprint" in text


def test_import_cli_prints_the_missing_streets_warning(tmp_path, capsys):
    from planner.cli import main

    sites = write_sites(
        tmp_path / "sites.geojson", [point_site("a", -121.89, 37.33, name="A church")]
    )
    rc = main(["import", "--sites", str(sites), "-o", str(tmp_path / "p.gpkg"), "-q"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "warning: the pack has no streets" in err


def test_osm_keys_of_every_spelling():
    assert osm_key("n358838747") == osm_key("node/358838747") == "node/358838747"
    assert osm_key("w34852477") == "way/34852477"
    assert osm_key("osm:relation/4252145") == "relation/4252145"
    assert osm_key("sj-consulate-1") is None


def test_dedup_by_osm_id_and_by_name_place_and_category():
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["node/1", "way/2", "city:n1", "city:x", "city:far", "city:other"],
            "category": ["place_of_worship"] * 5 + ["consulate"],
            "name": [
                "St. Mary",
                "Église Saint-Joseph",
                "Saint Mary's (city)",
                "Eglise Saint Joseph",
                "Eglise Saint Joseph",
                "Eglise Saint Joseph",
            ],
            "source": ["osm", "osm", "city", "city", "city", "city"],
            "source_id": ["node/1", "way/2", "n1", "x", "far", "other"],
            "tags": [{}, {}, {"osm_id": "n1"}, {}, {}, {}],
        },
        geometry=[
            shapely.Point(-121.89, 37.33),
            shapely.Point(-121.88, 37.33),
            shapely.Point(-121.8901, 37.3301),
            shapely.Point(-121.8803, 37.3301),
            shapely.Point(-121.87, 37.33),
            shapely.Point(-121.8801, 37.33),
        ],
        crs=4326,
    )
    entrances = gpd.GeoDataFrame(
        {"entrance_id": ["city:n1/e1"], "site_id": ["city:n1"], "basis": ["manual"]},
        geometry=[shapely.Point(-121.8902, 37.3299)],
        crs=4326,
    )
    out, ent, notes = deduplicate_sites(sites, entrances, origin=sites["source"].tolist())
    # same OSM object (n1) and same name+category within 60 m (x): dropped; a same-named
    # site 800 m away and one of another category are other places
    assert list(out["site_id"]) == ["node/1", "way/2", "city:far", "city:other"]
    # the kept copy inherits the entrance the dropped one had
    assert list(ent["site_id"]) == ["node/1"]
    assert notes[0].startswith("2 sites from city were already imported")
    # node/1 came without entrances: it keeps its footprint protection beside the entrance
    assert out["footprint_protected"].tolist() == [True, False, False, False]
    assert len(notes) == 2 and notes[1].startswith("St. Mary (place of worship, node/1): ")


@pytest.mark.realdata
def test_downtown_churches_come_in_once(shared_data, tmp_path):
    summary = run_import(
        [shared_data / "osm_sj_downtown_merged.osm.bz2"],
        tmp_path / "d.gpkg",
        site_layers=[str(shared_data / "sj_sensitive_sites.geojson")],
    )
    pack = read_pack(tmp_path / "d.gpkg", layers={"sites"})
    names = [s.name for s in pack.sites]
    assert len(names) == len(set(names)) == 18  # 13 OSM places of worship + 5 city sites
    assert summary.counts["sites"] == 18
    assert any(
        "12 sites from sj_sensitive_sites.geojson were already imported" in w
        for w in summary.warnings
    )


def small_city_gpkg(shared: Path, out: Path) -> Path:
    """The city's buildings and address points around Alum Rock Avenue, read through the
    GeoPackage's spatial index: the same layers and fields as the citywide file."""
    src = f"/vsizip/{shared / 'sj_buildings_city_all.gpkg.zip'}/sj_buildings.gpkg"
    for layer in ("buildings", "address_points"):
        frame = pyogrio.read_dataframe(src, layer=layer, bbox=ALUM_ROCK_BOX)
        pyogrio.write_dataframe(frame, out, layer=layer, driver="GPKG")
    return out


@pytest.mark.realdata
def test_address_points_and_site_addresses_become_the_addresses_layer(shared_data, tmp_path):
    gpkg = small_city_gpkg(shared_data, tmp_path / "city.gpkg")
    n_points = pyogrio.read_info(str(gpkg), layer="address_points")["features"]
    summary = run_import(
        [],
        tmp_path / "a.gpkg",
        bbox=ALUM_ROCK_BOX,
        site_layers=[str(shared_data / "sj_sensitive_sites.geojson")],
        building_layers=[gpkg],
    )
    pack = read_pack(tmp_path / "a.gpkg", layers={"addresses"})
    addr = pack.addresses
    assert addr is not None and 0 < len(addr) <= n_points + 1
    assert summary.counts["addresses"] == len(addr)
    hit = addr[addr["address"] == "3131 Alum Rock Avenue"]
    assert len(hit) == 1  # the city's point and the clinic's addr:* tags: one place
    x, y = hit.geometry.iloc[0].x, hit.geometry.iloc[0].y
    assert abs(x - -121.8274) < 1e-3 and abs(y - 37.3665) < 1e-3
    # addresses are not loaded unless asked for (check and the app stay fast)
    assert read_pack(tmp_path / "a.gpkg").addresses is None


def test_address_text():
    assert address_text("3131", "Alum Rock Avenue") == "3131 Alum Rock Avenue"
    assert address_text("10", "Main St", "B") == "10 Main St, Unit B"


def _la_vang_case(*, city_first: bool):
    """La Vang: the city file gives it with no entrances, OSM with 4 (issue 16)."""
    church = shapely.Polygon(
        [(-121.8700, 37.3300), (-121.8694, 37.3300), (-121.8694, 37.3305), (-121.8700, 37.3305)]
    )
    osm = {
        "site_id": "way/347450149",
        "category": "place_of_worship",
        "name": "Giáo Xứ Việt Nam Đức Mẹ La Vang",
        "source": "osm",
        "source_id": "way/347450149",
        "tags": {},
    }
    city = {
        "site_id": "sj_sensitive_sites:w347450149",
        "category": "place_of_worship",
        "name": "Giáo Xứ Việt Nam Đức Mẹ La Vang",
        "source": "sj_sensitive_sites.geojson",
        "source_id": "w347450149",
        "tags": {"osm_id": "w347450149"},
    }
    rows = [city, osm] if city_first else [osm, city]
    sites = gpd.GeoDataFrame(rows, geometry=[church, church], crs=4326)
    corners = list(church.exterior.coords)[:4]
    entrances = gpd.GeoDataFrame(
        {
            "entrance_id": [f"way/347450149/e{i}" for i in range(4)],
            "site_id": ["way/347450149"] * 4,
            "basis": ["driveway"] * 4,
        },
        geometry=[shapely.Point(c) for c in corners],
        crs=4326,
    )
    return deduplicate_sites(sites, entrances, origin=sites["source"].tolist())


@pytest.mark.parametrize("city_first", [False, True])
def test_la_vang_keeps_footprint_protection_and_is_named(city_first):
    out, ent, notes = _la_vang_case(city_first=city_first)
    assert len(out) == 1 and len(ent) == 4
    assert set(ent["site_id"]) == {out["site_id"][0]}  # the entrances are on the kept site
    assert out["footprint_protected"].tolist() == [True]
    named = [n for n in notes if "La Vang" in n]
    assert len(named) == 1
    assert "sj_sensitive_sites.geojson gives it no entrances" in named[0]
    assert "the OpenStreetMap data 4 entrances" in named[0]
    assert "whole footprint and by the entrances" in named[0]


def test_la_vang_is_checked_on_its_footprint_and_entrances(tmp_path):
    """Through a written pack: a camera that sees the footprint but no entrance zone blocks."""
    from planner.core.checker import Checker
    from planner.core.crs import Projector
    from planner.core.model import Camera
    from planner.io.datapack.store import read_pack, write_pack
    from planner.io.formats.policy import builtin_policy

    out, ent, _ = _la_vang_case(city_first=False)
    pack = tmp_path / "lavang.gpkg"
    write_pack(pack, {"sites": out, "entrances": ent}, {})
    (site,) = read_pack(pack, layers=["sites", "entrances"]).sites
    assert site.footprint_protected and len(site.entrances) == 4
    # looking at the middle of the church's long side from 40 m south, a narrow cone
    cam = Camera(id="C", lon=-121.8697, lat=37.32965, heading_deg=0.0, fov_deg=10.0, range_m=60.0)
    checker = Checker(policy=builtin_policy(), sites=[site], projector=Projector.from_crs(32610))
    (result,) = checker.check_cameras([cam]).results
    assert str(result.status) == "block"
    (finding,) = result.findings
    assert finding.basis.value == "footprint" and "one of its sources" in finding.message
