"""Reading OSM sources into pack layers: real extracts, tag rules, bad files."""

from __future__ import annotations

import bz2
import gzip
import json
import math
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import quoteattr

import networkx as nx
import numpy as np
import pytest
import shapely

from planner.core.errors import CheckCancelled, InputError
from planner.io.openstreetmap.download import fetch_osm
from planner.io.openstreetmap.frames import COLUMNS, OsmLayers
from planner.io.openstreetmap.layers import read_osm_source
from planner.io.openstreetmap.rules import load_category_rules
from planner.io.openstreetmap.streets import is_drivable

# A local origin for the hand-made files: downtown San José.
LON0, LAT0 = -121.89, 37.33
M_PER_DEG_LAT = 110_540.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of the origin to lon/lat (good to centimetres at this scale)."""
    return LON0 + x / M_PER_DEG_LON, LAT0 + y / M_PER_DEG_LAT


NodeSpec = tuple[float, float, Mapping[str, str]] | tuple[float, float]
WaySpec = tuple[list[int], Mapping[str, str]]
RelSpec = tuple[list[tuple[str, int, str]], Mapping[str, str]]


def write_osm(
    path: Path,
    *,
    nodes: Mapping[int, NodeSpec],
    ways: Mapping[int, WaySpec] | None = None,
    relations: Mapping[int, RelSpec] | None = None,
) -> Path:
    """Write a small OSM XML file; node positions are metres from the origin."""

    def tags_xml(tags: Mapping[str, str]) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())

    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, spec in nodes.items():
        lon, lat = lonlat(spec[0], spec[1])
        tags = spec[2] if len(spec) > 2 else {}  # type: ignore[misc]
        out.append(
            f'<node id="{nid}" version="1" timestamp="2020-01-0{nid % 9 + 1}T00:00:00Z" '
            f'lat="{lat:.8f}" lon="{lon:.8f}">{tags_xml(tags)}</node>'
        )
    for wid, (refs, tags) in (ways or {}).items():
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        out.append(f'<way id="{wid}" version="1">{nds}{tags_xml(tags)}</way>')
    for rid, (members, tags) in (relations or {}).items():
        mem = "".join(f'<member type="{t}" ref="{r}" role="{role}"/>' for t, r, role in members)
        out.append(f'<relation id="{rid}" version="1">{mem}{tags_xml(tags)}</relation>')
    out.append("</osm>")
    path.write_text("\n".join(out), encoding="utf-8")
    return path


STREET = {"highway": "residential", "name": "Test Street"}


def street_and(nodes: dict, ways: dict) -> tuple[dict, dict]:
    """Add a 400 m public street along y = 0 (nodes 1..5 every 100 m) to a fixture."""
    base_nodes = {i + 1: (i * 100.0, 0.0) for i in range(5)}
    base_ways = {1: ([1, 2, 3, 4, 5], STREET)}
    return {**base_nodes, **nodes}, {**base_ways, **ways}


# --------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def downtown(shared_data: Path) -> tuple[OsmLayers, float]:
    start = time.perf_counter()
    layers = read_osm_source(shared_data / "osm_sj_downtown_merged.osm.bz2")
    return layers, time.perf_counter() - start


def test_downtown_streets_match_osmnx_graphml(downtown, shared_data: Path) -> None:
    layers, seconds = downtown
    streets = layers.streets
    assert len(streets) == 1195
    graphml = read_osm_source(shared_data / "sj_downtown_drive.graphml").streets
    assert len(graphml) == 1195
    ours = set(zip(streets.u, streets.v, streets.key, strict=True))
    theirs = set(zip(graphml.u, graphml.v, graphml.key, strict=True))
    # The GraphML merged one residential street with the service road that
    # continues it; we never merge a street with a non-street, so that one edge
    # pair ends at a different node.
    assert len(ours ^ theirs) == 4
    common = sorted(ours & theirs)
    assert len(common) == 1193
    # Same geometry and length for the same edge.
    a = streets.set_index(["u", "v", "key"]).loc[common]
    b = graphml.set_index(["u", "v", "key"]).loc[common]
    assert np.allclose(a.length_m, b.length_m, atol=0.01)
    assert shapely.equals_exact(np.asarray(a.geometry), np.asarray(b.geometry), 1e-9).all()
    assert seconds < 10, f"parsing the downtown extract took {seconds:.1f} s"


def test_downtown_layers_have_exact_columns(downtown) -> None:
    layers, _ = downtown
    for kind, cols in COLUMNS.items():
        frame = getattr(layers, kind)
        assert list(frame.columns) == [*cols, "geometry"], kind
        assert frame.crs.to_epsg() == 4326
        for col, dtype in cols.items():
            assert str(frame[col].dtype) == dtype, (kind, col)
    streets = layers.streets
    assert streets.geometry.geom_type.eq("LineString").all()
    assert (streets.length_m > 0).all()
    # Only drivable classes; merged ways list every class with ";".
    classes = {h for v in streets.highway for h in v.split(";")}
    assert not classes & {"footway", "cycleway", "path", "steps", "pedestrian", "track"}
    assert "Sinclair Freeway" in set(streets.name)
    assert layers.osm_timestamp == "2017-07-25T05:43:06Z"
    json.dumps(layers.rules_used)  # goes into the pack metadata as JSON


def test_downtown_places_of_worship(downtown) -> None:
    layers, _ = downtown
    sites = layers.sites
    assert len(sites) == 13
    assert set(sites.category) == {"place_of_worship"}
    assert sites.verified.all()
    assert set(sites.source) == {"osm"}
    assert (sites.site_id == sites.source_id).all()
    kinds = sites.site_id.str.split("/").str[0].value_counts().to_dict()
    assert kinds == {"node": 3, "way": 9, "relation": 1}
    assert "Cathedral Basilica of Saint Joseph" in set(sites.name)
    polys = sites[sites.site_id.str.startswith(("way/", "relation/"))]
    assert polys.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert polys.geometry.is_valid.all()
    tags = json.loads(sites.set_index("site_id").tags["way/39018560"])
    assert tags["amenity"] == "place_of_worship"


def test_downtown_buildings(downtown) -> None:
    layers, _ = downtown
    b = layers.buildings
    # 565 building ways + 18 building relations in the file; 24 ways are open
    # (cut at the extract's edge) and 2 relations are type=building groupings.
    assert len(b) == 556
    assert b.building_id.is_unique
    assert b.geometry.is_valid.all()
    assert any("not closed" in w for w in layers.warnings)


def test_bbox_filters_every_layer(shared_data: Path) -> None:
    bbox = (-121.895, 37.330, -121.880, 37.342)
    layers = read_osm_source(shared_data / "osm_sj_downtown_merged.osm.bz2", bbox=bbox)
    box = shapely.box(*bbox)
    assert 0 < len(layers.streets) < 1195
    assert layers.streets.geometry.within(box.buffer(1e-9)).all()
    assert 0 < len(layers.buildings) < 556
    assert layers.buildings.intersects(box).all()
    assert 0 < len(layers.sites) < 13
    assert set(layers.entrances.site_id) <= set(layers.sites.site_id)


def test_west_oakland_sites(shared_data: Path) -> None:
    layers = read_osm_source(shared_data / "osm_west_oakland.osm.bz2")
    sites = layers.sites.set_index("site_id")
    worship = sites[sites.category == "place_of_worship"]
    assert set(worship.name) == {"Morning Star Church of God in Christ", "West Side Baptist Church"}
    assert worship.verified.all()
    pp = sites.loc["node/3974904424"]
    assert pp["category"] == "abortion_provider"
    assert pp["name"] == "Planned Parenthood"
    assert not pp["verified"]
    assert len(sites) == 3
    assert len(layers.streets) > 0


def test_san_jose_alprs(shared_data: Path) -> None:
    path = shared_data / "alpr_sanjose_osm_2025-10-04.geojson"
    layers = read_osm_source(path)
    cams = layers.cameras_existing
    assert len(cams) == 363
    assert cams.camera_id.is_unique
    assert cams.camera_id.str.fullmatch(r"node/\d+").all()
    raw = cams.direction_raw
    numeric = raw.str.fullmatch(r"-?\d+(\.\d+)?")
    assert numeric.sum() == 351
    assert cams.heading_deg[numeric].notna().all()
    assert np.allclose(cams.heading_deg[numeric], raw[numeric].astype(float) % 360.0)
    cardinal = cams[raw == "W"]
    assert len(cardinal) == 1
    assert cardinal.heading_deg.iloc[0] == 270.0
    unknown = cams[raw == ""]
    assert len(unknown) == 11
    assert unknown.heading_deg.isna().all()
    assert cams.heading_deg.isna().sum() == 11
    # Zero only where the tag says 0.
    zero = cams.heading_deg == 0
    assert (raw[zero].astype(float) == 0).all()
    assert zero.sum() == 10
    # fov/range from the catalogue by brand (Flock, Motorola), else the worst case.
    by_brand = cams.groupby("brand")[["fov_deg", "range_m"]].first()
    # A brand with several models gets their envelope (Falcon 20°, Falcon LR 76 m).
    assert by_brand.loc["Flock Safety"].tolist() == [20.0, 76.0]
    assert by_brand.loc["Motorola Solutions"].tolist() == [24.0, 23.0]
    assert by_brand.loc[""].tolist() == [60.0, 80.0]
    assert len(cams[cams.brand == "Flock Safety"]) == 356
    tags = json.loads(cams.tags.iloc[0])
    assert tags["surveillance:type"] == "ALPR"


def test_california_alprs_multi_head(shared_data: Path) -> None:
    cams = read_osm_source(shared_data / "alpr_california_osm_2025-10-04.geojson").cameras_existing
    assert cams.source_id.nunique() == 6011
    assert len(cams) > 6011  # "45;225" lists give one camera per head
    heads = cams[cams.source_id == cams[cams.camera_id.str.contains("#2")].source_id.iloc[0]]
    assert heads.camera_id.tolist() == [heads.source_id.iloc[0], heads.source_id.iloc[0] + "#2"]
    # No unreadable value became north.
    zero = cams.heading_deg == 0
    assert cams.direction_raw[zero].str.fullmatch(r"(0|360)(;.*)?|.*;(0|360)|N(;.*)?|.*;N").all()
    assert set(cams.direction_raw[cams.heading_deg.isna()]) >= {"", "NB", "SB", "Flock Raven"}


def test_overpass_json_los_altos(shared_data: Path) -> None:
    path = shared_data / "overpass_losaltos_all_2017.json.gz"
    layers = read_osm_source(path)
    streets = layers.streets
    # Verified by inspection: 2,624 ways, of which the drivable ones form this
    # simplified network (osmnx drive filter, largest component).
    assert len(streets) == 6110
    assert streets[["u", "v", "key"]].duplicated().sum() == 0
    classes = {h for v in streets.highway for h in v.split(";")}
    assert "residential" in classes
    assert not classes & {"footway", "path", "steps", "cycleway", "track"}
    assert layers.osm_timestamp == "2017-10-21T00:06:01Z"
    assert layers.sites.empty and layers.buildings.empty
    lon = streets.geometry.representative_point().x
    assert lon.between(-122.25, -122.0).all()


def test_graphml_streets(shared_data: Path) -> None:
    layers = read_osm_source(shared_data / "sj_downtown_drive.graphml")
    streets = layers.streets
    assert len(streets) == 1195
    assert streets.u.dtype == np.int64
    assert streets.oneway.sum() == 353
    assert layers.sites.empty


# -------------------------------------------------------------------- tag rules


@pytest.mark.parametrize(
    ("tags", "category", "verified"),
    [
        ({"amenity": "place_of_worship", "religion": "christian"}, "place_of_worship", True),
        ({"disused:amenity": "place_of_worship"}, None, None),
        ({"abandoned:amenity": "place_of_worship"}, None, None),
        ({"amenity": "place_of_worship", "disused": "yes"}, None, None),
        ({"healthcare:speciality": "gynaecology;abortion"}, "abortion_provider", True),
        ({"healthcare:speciality": "abortion"}, "abortion_provider", True),
        ({"healthcare:speciality": "gynaecology"}, None, None),
        (
            {"amenity": "clinic", "name": "Planned Parenthood - San Jose"},
            "abortion_provider",
            False,
        ),
        ({"amenity": "doctors", "brand": "Planned Parenthood"}, "abortion_provider", False),
        ({"healthcare": "clinic", "operator": "planned parenthood"}, "abortion_provider", False),
        ({"name": "Planned Parenthood"}, "abortion_provider", False),
        ({"amenity": "parking", "name": "Planned Parenthood"}, None, None),
        ({"amenity": "clinic", "name": "Valley Health"}, None, None),
        ({"office": "diplomatic", "diplomatic": "consulate"}, "consulate", True),
        ({"office": "diplomatic", "diplomatic": "consulate_general"}, "consulate", True),
        ({"office": "diplomatic", "diplomatic": "honorary_consulate"}, "consulate", True),
        ({"amenity": "embassy", "diplomatic": "consulate_general"}, "consulate", True),
        ({"office": "diplomatic", "diplomatic": "embassy"}, "embassy", True),
        ({"amenity": "embassy"}, "embassy", True),
        ({"office": "diplomatic", "diplomatic": "permanent_mission"}, None, None),
        ({"office": "diplomatic"}, None, None),
        ({"amenity": "cafe"}, None, None),
    ],
)
def test_tag_rules_on_nodes(tmp_path: Path, tags, category, verified) -> None:
    nodes, ways = street_and({10: (50.0, 30.0, tags)}, {})
    layers = read_osm_source(write_osm(tmp_path / "t.osm", nodes=nodes, ways=ways))
    sites = layers.sites
    if category is None:
        assert sites.empty
        assert list(sites.columns) == [*COLUMNS["sites"], "geometry"]
    else:
        assert sites.site_id.tolist() == ["node/10"]
        assert sites.category.iloc[0] == category
        assert bool(sites.verified.iloc[0]) is verified
        assert json.loads(sites.tags.iloc[0]) == dict(tags)
        x, y = lonlat(50.0, 30.0)
        assert sites.geometry.iloc[0].equals_exact(shapely.Point(x, y), 1e-7)


def test_way_and_multipolygon_relation_sites(tmp_path: Path) -> None:
    # Relation 900: outer ring split over two ways (10, 11), inner ring way 12.
    nodes = {
        21: (0, 100), 22: (100, 100), 23: (100, 200), 24: (0, 200),
        31: (40, 140), 32: (60, 140), 33: (60, 160), 34: (40, 160),
        41: (200, 100), 42: (240, 100), 43: (240, 140), 44: (200, 140),
    }  # fmt: skip
    nodes, _ = street_and(nodes, {})
    ways = {
        1: ([1, 2, 3, 4, 5], STREET),
        # Old-style tagging: an outer member repeats the relation's tags; the
        # relation is the site, the way is not a second one.
        10: ([21, 22, 23], {"amenity": "place_of_worship"}),
        11: ([23, 24, 21], {}),
        12: ([31, 32, 33, 34, 31], {}),
        # A building way tagged as a site: a polygon site.
        20: ([41, 42, 43, 44, 41], {"amenity": "place_of_worship", "building": "church"}),
    }
    rels = {
        900: (
            [("way", 10, "outer"), ("way", 11, "outer"), ("way", 12, "inner")],
            {"type": "multipolygon", "amenity": "place_of_worship", "name": "Temple"},
        )
    }
    layers = read_osm_source(write_osm(tmp_path / "mp.osm", nodes=nodes, ways=ways, relations=rels))
    sites = layers.sites.set_index("site_id")
    assert set(sites.index) == {"relation/900", "way/20"}
    rel = sites.geometry["relation/900"]
    assert rel.geom_type == "Polygon"
    assert len(rel.interiors) == 1
    # 100 m x 100 m minus a 20 m x 20 m hole, in square degrees -> metres.
    area_m2 = rel.area * M_PER_DEG_LON * M_PER_DEG_LAT
    assert area_m2 == pytest.approx(100 * 100 - 20 * 20, rel=1e-3)
    assert sites.name["relation/900"] == "Temple"
    assert sites.geometry["way/20"].geom_type == "Polygon"
    assert set(layers.buildings.building_id) == {"way/20"}


def test_alpr_nodes_in_osm_xml(tmp_path: Path) -> None:
    cam = {"man_made": "surveillance", "surveillance:type": "ALPR", "brand": "Flock Safety"}
    nodes, ways = street_and(
        {
            10: (10, 5, {**cam, "camera:direction": "45;225"}),
            11: (20, 5, {**cam, "direction": "NB", "brand": "Acme"}),
            12: (30, 5, {**cam, "camera:direction": "0-90", "direction": "180"}),
            13: (40, 5, {"man_made": "surveillance", "surveillance:type": "camera"}),
        },
        {},
    )
    layers = read_osm_source(write_osm(tmp_path / "cams.osm", nodes=nodes, ways=ways))
    cams = layers.cameras_existing.set_index("camera_id")
    assert list(cams.index) == ["node/10", "node/10#2", "node/11", "node/12"]
    assert cams.heading_deg["node/10"] == 45.0
    assert cams.heading_deg["node/10#2"] == 225.0
    assert (cams.source_id[["node/10", "node/10#2"]] == "node/10").all()
    assert math.isnan(cams.heading_deg["node/11"])
    assert cams.direction_raw["node/11"] == "NB"
    assert cams.fov_deg["node/11"] == 60.0 and cams.range_m["node/11"] == 80.0  # worst case
    # camera:direction wins over direction; a range widens the fov by its span.
    assert cams.heading_deg["node/12"] == 45.0
    assert cams.fov_deg["node/12"] == 20.0 + 90.0
    assert cams.range_m["node/12"] == 76.0  # Flock brand only: envelope of its models


# --------------------------------------------------------------------- bad input


def _raises(path: Path, *, where: str | None = None, what: str, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        read_osm_source(path, **kw)
    err = info.value
    assert err.file == str(path)
    assert what.lower() in err.what.lower(), err.what
    if where is not None:
        assert where in err.where, err.where
    assert str(err).startswith(str(path))
    return err


def test_truncated_xml(tmp_path: Path, shared_data: Path) -> None:
    text = bz2.decompress((shared_data / "osm_west_oakland.osm.bz2").read_bytes())
    path = tmp_path / "cut.osm"
    path.write_bytes(text[: len(text) // 2])
    _raises(path, where="line", what="truncated")
    path2 = tmp_path / "cut2.osm"
    path2.write_bytes(text[: text.index(b"<tag") + 6])
    _raises(path2, where="line", what="truncated")


def test_truncated_bz2(tmp_path: Path, shared_data: Path) -> None:
    raw = (shared_data / "osm_west_oakland.osm.bz2").read_bytes()
    path = tmp_path / "cut.osm.bz2"
    path.write_bytes(raw[: len(raw) // 2])
    _raises(path, what="truncated")


def test_entity_bomb_is_refused_fast(tmp_path: Path) -> None:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE osm [' + "".join(levels) + "]>\n"
        '<osm version="0.6"><node id="1" lat="37.3" lon="-121.9">'
        '<tag k="name" v="&lol9;"/><tag k="amenity" v="place_of_worship"/></node></osm>'
    )
    path = tmp_path / "bomb.osm"
    path.write_text(bomb)
    start = time.perf_counter()
    _raises(path, where="line 2", what="DOCTYPE")
    assert time.perf_counter() - start < 2.0
    # The same in a GraphML file, which osmnx would otherwise parse.
    gml = tmp_path / "bomb.graphml"
    gml.write_text(bomb.replace("<osm", "<graphml").replace("</osm>", "</graphml>"))
    _raises(gml, what="DOCTYPE")
    # And an external entity (XXE).
    xxe = tmp_path / "xxe.osm"
    xxe.write_text(
        '<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<osm version="0.6"><node id="1" lat="0" lon="0"><tag k="name" v="&x;"/></node></osm>'
    )
    _raises(xxe, what="not allowed")


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("geo.osm", b'{"type": "FeatureCollection", "features": []}', "not an OSM XML file"),
        ("text.osm", b"hello, this is not XML at all\n", "not an OSM XML file"),
        ("page.osm", b"<html><body>Not OSM</body></html>", "root element is <html>"),
        ("empty.osm", b"", "not an OSM XML file (empty)"),
        ("nothing.osm", b'<osm version="0.6"></osm>', "no OSM nodes"),
        ("badnode.osm", b'<osm><node id="x" lat="1" lon="2"/></osm>', "not an integer"),
        ("farnode.osm", b'<osm><node id="1" lat="95" lon="2"/></osm>', "out of range"),
        ("junk.osm.bz2", b"BZh91AY&SY garbage", "cannot read"),
        ("x.json", b'{"hello": 1}', "neither an Overpass"),
        ("bad.json", b'{"elements": [', "invalid JSON"),
        ("els.json", b'{"elements": [{"type": "node", "id": 1}]}', "lat/lon"),
        ("notags.geojson", b'{"type": "FeatureCollection", "features": [{"type": "Feature",'
         b' "geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": {}}]}',
         "properties.tags"),
        ("g.graphml", b"<graphml><graph/></graphml>", "no streets"),
        ("g1.graphml", b"<graphml><graph><node/></graph></graphml>", "GraphML"),
        ("g2.graphml", b"<osm/>", "not a GraphML file"),
        ("data.csv", b"a,b\n1,2\n", "unknown OSM source type"),
    ],
)  # fmt: skip
def test_bad_sources(tmp_path: Path, name: str, content: bytes, what: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    _raises(path, what=what)


def test_missing_file(tmp_path: Path) -> None:
    _raises(tmp_path / "nope.osm", what="not found")


def test_empty_area(shared_data: Path) -> None:
    path = shared_data / "osm_sj_downtown_merged.osm.bz2"
    err = _raises(path, bbox=(-122.6, 37.0, -122.5, 37.1), what="inside the bounding box")
    assert "bbox" in err.where


def test_bad_bbox(shared_data: Path) -> None:
    with pytest.raises(InputError, match="W < E"):
        read_osm_source(shared_data / "osm_west_oakland.osm.bz2", bbox=(-121, 37, -122, 38))


def test_cancel_and_progress(tmp_path: Path, shared_data: Path) -> None:
    seen: list[tuple[str, float]] = []
    read_osm_source(
        shared_data / "osm_west_oakland.osm.bz2", progress=lambda m, f: seen.append((m, f))
    )
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    with pytest.raises(CheckCancelled):
        read_osm_source(shared_data / "osm_west_oakland.osm.bz2", cancel=lambda: True)


def test_gzipped_osm_xml(tmp_path: Path, shared_data: Path) -> None:
    text = bz2.decompress((shared_data / "osm_west_oakland.osm.bz2").read_bytes())
    path = tmp_path / "wo.osm.gz"
    path.write_bytes(gzip.compress(text))
    assert len(read_osm_source(path).sites) == 3


def test_custom_rules(tmp_path: Path) -> None:
    rules_path = tmp_path / "rules.toml"
    rules_path.write_text(
        '[[rule]]\nid = "cafes"\ncategory = "cafe"\nverified = false\nall = { amenity = "cafe" }\n'
    )
    nodes, ways = street_and(
        {10: (5, 5, {"amenity": "cafe"}), 11: (9, 9, {"amenity": "place_of_worship"})}, {}
    )
    layers = read_osm_source(
        write_osm(tmp_path / "c.osm", nodes=nodes, ways=ways), rules=load_category_rules(rules_path)
    )
    assert layers.sites.category.tolist() == ["cafe"]
    assert layers.rules_used["rule"][0]["id"] == "cafes"


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("", "", "empty"),
        ("rule = [", "", "not valid TOML"),
        ("format_version = 1\n", "rule", "at least one"),
        ('[[rule]]\nid = "a"\ncategory = "x"\nall = { amenity = "(" }\n', "rule[0].all.amenity",
         "invalid pattern"),
        ('[[rule]]\nid = "a"\ncategory = "x"\n', "rule[0]", "would match everything"),
        ('[[rule]]\nid = "a"\ncategory = "x"\nall = { a = "b" }\nal = 1\n', "rule[0].al",
         "did you mean 'all'"),
        ('[[rule]]\nid = "a"\ncategory = "x"\nall = { a = "b" }\n'
         '[[rule]]\nid = "a"\ncategory = "y"\nall = { a = "c" }\n', "rule[1].id", "duplicate"),
        ('[[rule]]\nid = "a"\ncategory = "x"\nverified = "no"\nall = { a = "b" }\n',
         "rule[0].verified", "true or false"),
        ('format_version = 9\n[[rule]]\nid = "a"\ncategory = "x"\nall = { a = "b" }\n',
         "format_version", "newer"),
        ('[[rule]]\nid = "a"\ncategory = "Bad Name"\nall = { a = "b" }\n', "rule[0].category",
         "lower-case"),
    ],
)  # fmt: skip
def test_bad_rules_files(tmp_path: Path, text: str, where: str, what: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_category_rules(path)
    assert info.value.file == str(path)
    assert where in info.value.where
    assert what in str(info.value)


def test_builtin_rules_load() -> None:
    rules = load_category_rules()
    assert set(rules.categories) == {
        "place_of_worship",
        "abortion_provider",
        "consulate",
        "embassy",
    }
    assert rules.classify({"amenity": "place_of_worship"}).category == "place_of_worship"


def test_drive_filter_follows_osmnx() -> None:
    assert is_drivable({"highway": "residential"})
    assert is_drivable({"highway": "primary", "oneway": "yes"})
    assert not is_drivable({"highway": "service"})
    assert not is_drivable({"highway": "footway"})
    assert not is_drivable({"highway": "residential", "access": "private"})
    assert not is_drivable({"highway": "residential", "motor_vehicle": "no"})
    assert not is_drivable({"highway": "residential", "area": "yes"})
    assert not is_drivable({"building": "yes"})


# ------------------------------------------------------------------- pbf, online


def test_pbf_without_osmium_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "osmium", None)
    path = tmp_path / "x.osm.pbf"
    path.write_bytes(b"\x00\x00\x00\x0d")
    _raises(path, what="needs the 'osmium' package")


def test_pbf_with_osmium(tmp_path: Path) -> None:
    osmium = pytest.importorskip("osmium", reason="osmium (pyosmium) is not installed")
    nodes, ways = street_and({10: (50.0, 30.0, {"amenity": "place_of_worship"})}, {})
    xml = write_osm(tmp_path / "t.osm", nodes=nodes, ways=ways)
    pbf = tmp_path / "t.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    from_pbf, from_xml = read_osm_source(pbf), read_osm_source(xml)
    assert from_pbf.counts() == from_xml.counts()
    assert from_pbf.sites.site_id.tolist() == ["node/10"]
    assert from_pbf.osm_timestamp == from_xml.osm_timestamp


def test_fetch_osm_uses_the_same_pipeline(monkeypatch, shared_data: Path) -> None:
    from osmnx import _overpass

    doc = json.loads(
        gzip.decompress((shared_data / "overpass_losaltos_all_2017.json.gz").read_bytes())
    )
    extra = {
        "elements": [
            {"type": "node", "id": 1, "lat": 37.38, "lon": -122.11,
             "tags": {"amenity": "place_of_worship", "name": "Test Church"}},
        ]
    }  # fmt: skip
    calls: list[str] = []

    def network(polygon, network_type, custom_filter):
        calls.append(network_type)
        yield doc

    def features(polygon, tags):
        calls.append("features")
        assert tags["amenity"] is True and tags["building"] is True
        yield extra

    monkeypatch.setattr(_overpass, "_download_overpass_network", network)
    monkeypatch.setattr(_overpass, "_download_overpass_features", features)
    layers = fetch_osm((-122.2, 37.3, -122.0, 37.45))
    assert calls == ["all", "features"]
    assert len(layers.streets) == 6110
    assert layers.sites.name.tolist() == ["Test Church"]
    assert layers.osm_timestamp == "2017-10-21T00:06:01Z"


def test_empty_graph_gives_empty_streets() -> None:
    from planner.io.openstreetmap.streets import streets_from_graph

    frame = streets_from_graph(nx.MultiDiGraph())
    assert frame.empty and list(frame.columns) == [*COLUMNS["streets"], "geometry"]


def test_merged_ways_read_the_same_under_any_hash_seed(downtown, shared_data: Path) -> None:
    # osmnx gathers a merged way's names and classes through a set, whose order follows
    # PYTHONHASHSEED: the same sources must give the same pack on every import
    import subprocess

    code = (
        "import sys, json; from planner.io.openstreetmap.layers import read_osm_source;"
        "s = read_osm_source(sys.argv[1]).streets;"
        "print(json.dumps(sorted(zip(s.u.tolist(), s.v.tolist(), s['name'], s.highway))))"
    )
    source = str(shared_data / "osm_sj_downtown_merged.osm.bz2")
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, source],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1]
    streets = downtown[0].streets
    merged = [n for n in streets["name"] if ";" in n]
    assert merged, "the downtown extract has merged ways with several names"
    assert all(n.split(";") == sorted(n.split(";")) for n in merged)


def test_a_merged_ways_values_are_sorted_and_unique() -> None:
    from planner.io.openstreetmap.streets import _text

    assert _text(["b", "a", "b", None, ""]) == _text({"a", "b"}) == "a;b"
    assert _text(None) == "" and _text(float("nan")) == "" and _text(3) == "3"
