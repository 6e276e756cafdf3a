"""Sites files (SPEC 5.2, 7): GeoJSON and GeoPackage, categories, repairs and bad input."""

from __future__ import annotations

import copy
import dataclasses
import json
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely

from planner.core.errors import InputError
from planner.io.formats.policy import builtin_policy
from planner.io.formats.sites import check_categories, read_sites, sites_from_geojson

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"

SQUARE = [
    [
        [-121.887, 37.338],
        [-121.886, 37.338],
        [-121.886, 37.339],
        [-121.887, 37.339],
        [-121.887, 37.338],
    ]
]


def _site(
    fid: Any,
    category: Any = "place_of_worship",
    *,
    geometry: Any = None,
    **props: Any,
) -> dict[str, Any]:
    feat: dict[str, Any] = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": SQUARE} if geometry is None else geometry,
        "properties": {"category": category, "name": f"Site {fid}", **props},
    }
    if fid is not None:
        feat["id"] = fid
    return feat


def _collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _write(tmp_path: Path, data: Any, name: str = "sites.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- the examples and the real data -----------------------------------------------------------


def test_example_sites() -> None:
    sites = read_sites(EXAMPLES / "example_sites.geojson", policy=builtin_policy())
    assert [s.id for s in sites] == ["chapel", "consulate"]
    chapel, consulate = sites
    assert chapel.category == "place_of_worship"
    assert chapel.name == "Example Chapel"
    assert chapel.geometry.geom_type == "Polygon"
    assert chapel.geometry.is_valid
    assert [e.id for e in chapel.entrances] == ["chapel/e1"]
    entrance = chapel.entrances[0]
    assert entrance.site_id == "chapel"
    assert (entrance.lon, entrance.lat) == (-121.88629627, 37.33845234)
    assert consulate.category == "consulate"
    assert consulate.entrances == ()
    assert consulate.source == "example_sites.geojson"


def test_entrance_ids_are_numbered_per_site() -> None:
    data = _collection(
        _site("w1", entrances=[[-121.8865, 37.3379], [-121.8862, 37.3381], [-121.886, 37.3385]]),
        _site("w2", entrances=[[-121.8869, 37.3384]]),
    )
    sites = sites_from_geojson(data, source="s.geojson")
    assert [e.id for e in sites[0].entrances] == ["w1/e1", "w1/e2", "w1/e3"]
    assert [e.id for e in sites[1].entrances] == ["w2/e1"]
    assert all(e.site_id == "w2" for e in sites[1].entrances)


def test_id_from_properties_or_feature_or_position() -> None:
    data = _collection(_site("feat-id"), _site(None, id="prop-id"), _site(None), _site(42))
    ids = [s.id for s in sites_from_geojson(data, source="s.geojson")]
    assert ids == ["feat-id", "prop-id", "site-3", "42"]


def test_real_sensitive_sites(shared_data: Path) -> None:
    warnings: list[str] = []
    sites = read_sites(
        shared_data / "sj_sensitive_sites.geojson", policy=builtin_policy(), warnings=warnings
    )
    assert len(sites) == 17
    assert all(s.entrances == () for s in sites)
    assert Counter(s.category for s in sites) == {
        "place_of_worship": 12,
        "abortion_provider": 4,
        "consulate": 1,
    }
    assert len({s.id for s in sites}) == 17
    consulate = next(s for s in sites if s.category == "consulate")
    assert "Mexico" in consulate.name
    # The Planned Parenthood centers carry verified: false (README).
    assert {s.verified for s in sites if s.category == "abortion_provider"} == {False}
    assert all(s.geometry.is_valid and not s.geometry.is_empty for s in sites)
    for s in sites:
        x, y = s.geometry.centroid.x, s.geometry.centroid.y
        assert -122.1 < x < -121.6 and 37.1 < y < 37.5, s.id


# --- categories and the policy ----------------------------------------------------------------


def test_unknown_category_is_an_error_with_builtin_policy(tmp_path: Path) -> None:
    path = _write(tmp_path, _collection(_site("ok"), _site("odd", "stadium")))
    with pytest.raises(InputError) as info:
        read_sites(path, policy=builtin_policy())
    err = info.value
    assert err.file == str(path)
    assert err.where == 'site "odd"'
    assert "'stadium'" in err.what
    assert "san-jose-alpr-dup-2026" in err.what
    assert "place_of_worship" in err.what  # lists what is known


@pytest.mark.parametrize("mode", ["warn", "ignore"])
def test_unknown_category_allowed_by_policy(tmp_path: Path, mode: str) -> None:
    policy = dataclasses.replace(builtin_policy(), unknown_category=mode)
    path = _write(tmp_path, _collection(_site("ok"), _site("odd", "stadium")))
    sites = read_sites(path, policy=policy)
    assert [s.category for s in sites] == ["place_of_worship", "stadium"]
    check_categories(sites, policy=policy, source=str(path))


def test_without_a_policy_categories_are_not_checked(tmp_path: Path) -> None:
    path = _write(tmp_path, _collection(_site("odd", "stadium")))
    assert read_sites(path)[0].category == "stadium"
    with pytest.raises(InputError, match='site "odd"'):
        check_categories(read_sites(path), policy=builtin_policy(), source=str(path))


# --- repair -----------------------------------------------------------------------------------


def test_bow_tie_polygon_is_repaired_and_reported(tmp_path: Path) -> None:
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [
                [-121.887, 37.338],
                [-121.886, 37.339],
                [-121.886, 37.338],
                [-121.887, 37.339],
                [-121.887, 37.338],
            ]
        ],
    }
    assert not shapely.geometry.shape(bow_tie).is_valid
    path = _write(tmp_path, _collection(_site("good"), _site("tie", geometry=bow_tie)))
    warnings: list[str] = []
    sites = read_sites(path, policy=builtin_policy(), warnings=warnings)
    assert [s.id for s in sites] == ["good", "tie"]  # not dropped
    tie = sites[1]
    assert tie.geometry.is_valid
    assert tie.geometry.area > 0
    assert tie.geometry.geom_type in {"Polygon", "MultiPolygon"}
    assert len(warnings) == 1
    assert "sites.geojson" in warnings[0]
    assert 'site "tie"' in warnings[0]
    assert "repaired" in warnings[0]


def test_valid_sites_give_no_warnings() -> None:
    warnings: list[str] = []
    sites_from_geojson(_collection(_site("a")), source="s", warnings=warnings)
    assert warnings == []


# --- bad input --------------------------------------------------------------------------------

_LINE = {"type": "LineString", "coordinates": [[-121.887, 37.338], [-121.886, 37.339]]}

# (case id, feature collection, expected place, expected problem)
BAD_SITES: list[tuple[str, Any, str, str]] = [
    ("not-a-collection", [], "top level", "FeatureCollection"),
    ("features-not-list", {"type": "FeatureCollection", "features": None}, "features", "list"),
    ("feature-not-object", _collection(_site("a"), "oops"), "feature 2", "Feature"),
    (
        "linestring",
        _collection(_site("a"), _site("b", geometry=_LINE)),
        'feature 2 (site "b")',
        "geometry must be Point, Polygon or MultiPolygon, got 'LineString'",
    ),
    (
        "no-geometry",
        _collection(
            {
                "type": "Feature",
                "id": "g",
                "geometry": None,
                "properties": {"category": "consulate"},
            }
        ),
        'feature 1 (site "g")',
        "geometry is missing",
    ),
    (
        "malformed-polygon",
        _collection(_site("m", geometry={"type": "Polygon", "coordinates": [[1, 2]]})),
        'feature 1 (site "m")',
        "malformed Polygon",
    ),
    (
        "empty-polygon",
        _collection(_site("e", geometry={"type": "Polygon", "coordinates": []})),
        'feature 1 (site "e")',
        "empty Polygon",
    ),
    (
        "lon-out-of-range",
        _collection(_site("far", geometry={"type": "Point", "coordinates": [200, 37]})),
        'feature 1 (site "far")',
        "coordinates outside lon [-180, 180] / lat [-90, 90]",
    ),
    (
        "lat-out-of-range",
        _collection(
            _site(
                "pole",
                geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 95], [0, 0]]]},
            )
        ),
        'feature 1 (site "pole")',
        "coordinates outside",
    ),
    (
        "duplicate-id",
        _collection(_site("a"), _site("b"), _site("a")),
        'feature 3 (site "a")',
        "duplicate id (also used by feature 1)",
    ),
    (
        "duplicate-id-prop-and-feature",
        _collection(_site("a"), _site(None, id="a")),
        'feature 2 (site "a")',
        "duplicate id",
    ),
    ("bool-id", _collection(_site(True)), "feature 1", "id must be a string or integer"),
    (
        "missing-category",
        _collection(_site("nocat", None)),
        'feature 1 (site "nocat")',
        "category is required",
    ),
    (
        "blank-category",
        _collection(_site("blank", "  ")),
        'feature 1 (site "blank")',
        "category is required",
    ),
    (
        "numeric-category",
        _collection(_site("num", 3)),
        'feature 1 (site "num")',
        "category is required",
    ),
    (
        "name-not-string",
        _collection(_site("n", name=["x"])),
        'feature 1 (site "n")',
        "name must be a string",
    ),
    (
        "verified-string",
        _collection(_site("v", verified="yes")),
        'feature 1 (site "v")',
        "verified must be true or false",
    ),
    (
        "properties-not-object",
        _collection(
            {
                "type": "Feature",
                "id": "p",
                "properties": [1],
                "geometry": {"type": "Point", "coordinates": [0, 0]},
            }
        ),
        "feature 1",
        "properties must be an object",
    ),
    (
        "entrances-object",
        _collection(_site("en", entrances={"lon": 1, "lat": 2})),
        'feature 1 (site "en")',
        "entrances must be a list",
    ),
    (
        "entrances-bad-text",
        _collection(_site("en", entrances="north side")),
        'feature 1 (site "en")',
        "entrances must be a JSON list",
    ),
    (
        "entrance-too-short",
        _collection(_site("en", entrances=[[-121.886]])),
        'feature 1 (site "en") entrance 1',
        "must be [lon, lat]",
    ),
    (
        "entrance-flat",
        _collection(_site("en", entrances=[-121.886, 37.338])),
        'feature 1 (site "en") entrance 1',
        "must be [lon, lat]",
    ),
    (
        "entrance-lon-200",
        _collection(_site("en", entrances=[[-121.886, 37.3], [200, 37.3]])),
        'feature 1 (site "en") entrance 2',
        "longitude must be in [-180, 180], got 200",
    ),
    (
        "entrance-lat-95",
        _collection(_site("en", entrances=[[-121.886, -95]])),
        'feature 1 (site "en") entrance 1',
        "latitude must be in [-90, 90]",
    ),
    (
        "entrance-strings",
        _collection(_site("en", entrances=[["-121.8", "37.3"]])),
        'feature 1 (site "en") entrance 1',
        "finite numbers",
    ),
]


@pytest.mark.parametrize(
    ("data", "where", "what"), [pytest.param(d, w, p, id=c) for c, d, w, p in BAD_SITES]
)
def test_bad_sites_are_input_errors(tmp_path: Path, data: Any, where: str, what: str) -> None:
    path = _write(tmp_path, copy.deepcopy(data), name="bad_sites.geojson")
    with pytest.raises(InputError) as info:
        read_sites(path, policy=builtin_policy())
    err = info.value
    assert err.file == str(path)
    assert err.where == where, str(err)
    assert what in err.what, str(err)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"", "file is empty"),
        (b'{"type": "FeatureCollection", "features": [', "invalid JSON"),
        (b'{"type": "FeatureCollection", "features": [NaN]}', "NaN"),
        ('{"name": "Caf\u00e9"}'.encode("latin-1"), "not UTF-8"),
    ],
    ids=["empty", "malformed", "nan", "latin1"],
)
def test_unreadable_sites_files(tmp_path: Path, content: bytes, what: str) -> None:
    path = tmp_path / "raw.geojson"
    path.write_bytes(content)
    with pytest.raises(InputError, match=what) as info:
        read_sites(path)
    assert info.value.file == str(path)


def test_missing_sites_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_sites(tmp_path / "none.geojson")
    with pytest.raises(InputError, match="not found"):
        read_sites(tmp_path / "none.gpkg")


# --- other formats ----------------------------------------------------------------------------


def test_geopackage_sites_read_the_same(tmp_path: Path) -> None:
    src = EXAMPLES / "example_sites.geojson"
    expected = read_sites(src, policy=builtin_policy())
    raw = json.loads(src.read_text(encoding="utf-8"))
    rows = []
    for feat in raw["features"]:
        props = feat["properties"]
        entrances = props.get("entrances")
        rows.append(
            {
                "site_id": feat["id"],
                "category": props["category"],
                "name": props.get("name"),
                # A GeoPackage has no list type: entrances travel as JSON text, or null.
                "entrances": None if entrances is None else json.dumps(entrances),
                "geometry": shapely.geometry.shape(feat["geometry"]),
            }
        )
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    path = tmp_path / "sites.gpkg"
    gdf.to_file(path, layer="sites", driver="GPKG")

    got = read_sites(path, policy=builtin_policy())
    assert [s.id for s in got] == [s.id for s in expected]
    assert [s.category for s in got] == [s.category for s in expected]
    assert [s.name for s in got] == [s.name for s in expected]
    assert [s.entrances for s in got] == [s.entrances for s in expected]
    for a, b in zip(got, expected, strict=True):
        assert a.geometry.equals_exact(b.geometry, tolerance=1e-9), a.id
    assert got[0].source == "sites.gpkg"


def test_geopackage_in_another_crs_is_converted(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"id": ["p"], "category": ["consulate"], "name": ["Projected"]},
        geometry=[shapely.Point(-121.8863, 37.3382)],
        crs="EPSG:4326",
    ).to_crs("EPSG:32610")
    path = tmp_path / "utm.gpkg"
    gdf.to_file(path, driver="GPKG")
    site = read_sites(path)[0]
    assert site.geometry.x == pytest.approx(-121.8863, abs=1e-7)
    assert site.geometry.y == pytest.approx(37.3382, abs=1e-7)


def test_geopackage_without_category_column(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"kind": ["church"]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
    path = tmp_path / "nocat.gpkg"
    gdf.to_file(path, driver="GPKG")
    with pytest.raises(InputError, match="category") as info:
        read_sites(path)
    assert info.value.file == str(path)


def test_geopackage_duplicate_and_unknown_category(tmp_path: Path) -> None:
    pts = [shapely.Point(-121.88, 37.33), shapely.Point(-121.87, 37.32)]
    dup = tmp_path / "dup.gpkg"
    gpd.GeoDataFrame(
        {"id": ["a", "a"], "category": ["consulate", "embassy"]}, geometry=pts, crs=4326
    ).to_file(dup, driver="GPKG")
    with pytest.raises(InputError, match='row 2 \\(site "a"\\): duplicate id'):
        read_sites(dup)
    odd = tmp_path / "odd.gpkg"
    gpd.GeoDataFrame(
        {"id": ["a", "b"], "category": ["consulate", "stadium"]}, geometry=pts, crs=4326
    ).to_file(odd, driver="GPKG")
    with pytest.raises(InputError, match=r'site "b".*stadium'):
        read_sites(odd, policy=builtin_policy())


def test_not_a_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "fake.gpkg"
    path.write_text("this is not a database", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_sites(path)
    assert info.value.file == str(path)
    assert "cannot read" in info.value.what


def test_multi_layer_geopackage_reads_the_sites_layer_quietly(tmp_path: Path) -> None:
    path = tmp_path / "pack_like.gpkg"
    gpd.GeoDataFrame(
        {"height": [3.0]}, geometry=[shapely.box(-121.89, 37.33, -121.88, 37.34)], crs=4326
    ).to_file(path, layer="buildings", driver="GPKG")
    gpd.GeoDataFrame(
        {"id": ["s1"], "category": ["embassy"], "name": ["E"]},
        geometry=[shapely.Point(-121.885, 37.335)],
        crs=4326,
    ).to_file(path, layer="sites", driver="GPKG")
    with warnings.catch_warnings():
        # A "more than one layer" warning would be a second line on the CLI's stderr.
        warnings.simplefilter("error")
        sites = read_sites(path, policy=builtin_policy())
    assert [(s.id, s.category) for s in sites] == [("s1", "embassy")]
