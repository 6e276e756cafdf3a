"""Building layers (SPEC 5.3, 7): GeoJSON, GeoPackage (also zipped), CRS, bad input, real data."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.core.errors import InputError
from planner.io.formats.buildings import gdal_path, read_buildings

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"

#: A small box downtown, around the example plan (west, south, east, north).
DOWNTOWN_BOX = (-121.8870, 37.3375, -121.8850, 37.3390)


def _squares(n: int = 3, *, x0: float = -121.887, y0: float = 37.338) -> list[shapely.Polygon]:
    return [shapely.box(x0 + i * 2e-4, y0, x0 + i * 2e-4 + 1e-4, y0 + 1e-4) for i in range(n)]


def _gpkg(path: Path, *, heights: list[float] | None = None, crs: str = "EPSG:4326") -> Path:
    polys = _squares(3)
    data = {} if heights is None else {"height": heights}
    gdf = gpd.GeoDataFrame(data, geometry=polys, crs="EPSG:4326").to_crs(crs)
    gdf.to_file(path, layer="buildings", driver="GPKG")
    # A second, non-polygon layer as in the city's file; it must not be picked.
    pts = gpd.GeoDataFrame(
        {"addr": ["1 Main"]}, geometry=[shapely.Point(-121.886, 37.338)], crs="EPSG:4326"
    )
    pts.to_file(path, layer="address_points", driver="GPKG")
    return path


def test_geojson_example_buildings() -> None:
    layer = read_buildings(EXAMPLES / "example_buildings.geojson")
    assert len(layer) == 2
    assert {shapely.get_type_id(g) for g in layer.geoms} == {shapely.GeometryType.POLYGON}
    assert layer.heights is not None
    assert layer.heights.tolist() == [9.0, 6.0]
    xmin, ymin, xmax, ymax = shapely.total_bounds(layer.geoms)
    assert -121.887 < xmin < xmax < -121.886
    assert 37.338 < ymin < ymax < 37.339
    assert layer.path.endswith("example_buildings.geojson")


def test_heights_missing_or_negative_are_unknown(tmp_path: Path) -> None:
    path = _gpkg(tmp_path / "h.gpkg", heights=[5.0, -3.0, 0.0])
    layer = read_buildings(path)
    assert layer.heights is not None
    assert layer.heights[0] == 5.0
    assert np.isnan(layer.heights[1:]).all()
    no_height = _gpkg(tmp_path / "nh.gpkg")
    assert read_buildings(no_height).heights is None


def test_geopackage_picks_the_buildings_layer(tmp_path: Path) -> None:
    layer = read_buildings(_gpkg(tmp_path / "b.gpkg", heights=[1.0, 2.0, 3.0]))
    assert len(layer) == 3
    assert layer.heights.tolist() == [1.0, 2.0, 3.0]


def test_reads_without_pyarrow(tmp_path: Path, monkeypatch) -> None:
    path = _gpkg(tmp_path / "h.gpkg", heights=[5.0, 7.5, -1.0])
    # pyarrow is not a dependency (nor in the installed bundle): an import of it fails.
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)
    layer = read_buildings(path)
    assert len(layer) == 3
    assert all(g.equals(s) for g, s in zip(layer.geoms, _squares(3), strict=True))
    assert layer.heights is not None
    assert layer.heights[:2].tolist() == [5.0, 7.5] and np.isnan(layer.heights[2])


def test_zipped_geopackage(tmp_path: Path) -> None:
    gpkg = _gpkg(tmp_path / "inner.gpkg", heights=[4.0, 5.0, 6.0])
    archive = tmp_path / "buildings.gpkg.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt", "footprints")
        zf.write(gpkg, arcname="data/city_buildings.gpkg")
    assert gdal_path(archive) == f"/vsizip/{archive}/data/city_buildings.gpkg"
    layer = read_buildings(archive)
    assert len(layer) == 3
    assert layer.heights.tolist() == [4.0, 5.0, 6.0]
    assert layer.path == str(archive)


def test_zip_without_vector_data(tmp_path: Path) -> None:
    archive = tmp_path / "empty.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("notes.txt", "nothing here")
    with pytest.raises(InputError, match="holds no GeoPackage") as info:
        read_buildings(archive)
    assert info.value.file == str(archive)


def test_corrupt_zip(tmp_path: Path) -> None:
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputError, match="zip") as info:
        read_buildings(archive)
    assert info.value.file == str(archive)


def test_point_layer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "points.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [-121.886, 37.338]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"polygon|Polygon") as info:
        read_buildings(path)
    assert info.value.file == str(path)


def test_point_only_geopackage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "addr.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.Point(-121.886, 37.338)], crs=4326).to_file(
        path, layer="address_points", driver="GPKG"
    )
    with pytest.raises(InputError, match="no polygon layer"):
        read_buildings(path)


def test_named_layer(tmp_path: Path) -> None:
    path = _gpkg(tmp_path / "n.gpkg")
    assert len(read_buildings(path, layer="buildings")) == 3
    with pytest.raises(InputError, match="no such layer") as info:
        read_buildings(path, layer="roofs")
    assert "layer 'roofs'" in info.value.where
    with pytest.raises(InputError, match="Polygon"):
        read_buildings(path, layer="address_points")


def test_projected_crs_is_converted(tmp_path: Path) -> None:
    path = _gpkg(tmp_path / "utm.gpkg", heights=[1.0, 2.0, 3.0], crs="EPSG:32610")
    layer = read_buildings(path)
    expected = _squares(3)
    assert len(layer) == 3
    for got, want in zip(layer.geoms, expected, strict=True):
        assert got.equals_exact(want, tolerance=1e-7)


def test_projected_crs_with_bbox(tmp_path: Path) -> None:
    # The bbox is lon/lat whatever the layer's CRS (the caller does not know it).
    path = _gpkg(tmp_path / "utm.gpkg", crs="EPSG:32610")
    sq = _squares(3)
    west, south, _, north = sq[0].bounds
    layer = read_buildings(path, bbox=(west - 1e-5, south - 1e-5, west + 5e-5, north + 1e-5))
    assert len(layer) == 1
    assert layer.geoms[0].equals_exact(sq[0], tolerance=1e-7)


def test_lonlat_bbox(tmp_path: Path) -> None:
    path = _gpkg(tmp_path / "ll.gpkg")
    sq = _squares(3)
    xmin, ymin, xmax, ymax = shapely.total_bounds(np.array(sq[1:]))
    assert len(read_buildings(path, bbox=(xmin, ymin, xmax, ymax))) == 2
    assert len(read_buildings(path, bbox=(0.0, 0.0, 0.1, 0.1))) == 0


def test_coordinates_without_crs_that_are_not_lonlat(tmp_path: Path) -> None:
    path = tmp_path / "metres.geojson"
    poly = shapely.box(600000, 4130000, 600010, 4130010)
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": shapely.geometry.mapping(poly),
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="not longitude/latitude") as info:
        read_buildings(path)
    assert info.value.file == str(path)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty") as info:
        read_buildings(empty)
    assert info.value.file == str(empty)
    missing = tmp_path / "missing.gpkg"
    with pytest.raises(InputError, match="not found") as info:
        read_buildings(missing)
    assert info.value.file == str(missing)


def test_garbage_file(tmp_path: Path) -> None:
    path = tmp_path / "garbage.geojson"
    path.write_text("{ not json at all", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_buildings(path)
    assert info.value.file == str(path)


def test_empty_collection_gives_no_buildings(tmp_path: Path) -> None:
    path = tmp_path / "none.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    assert len(read_buildings(path)) == 0


# --- real data --------------------------------------------------------------------------------


def test_real_downtown_buildings(shared_data: Path) -> None:
    layer = read_buildings(shared_data / "sj_buildings_downtown.gpkg")
    assert len(layer) == 33_434
    xmin, ymin, xmax, ymax = shapely.total_bounds(layer.geoms)
    # Clipped to (-121.905, 37.300, -121.840, 37.350); edge buildings may poke out a little.
    assert xmin > -121.91
    assert xmax < -121.835
    assert ymin > 37.295
    assert ymax < 37.355
    assert layer.heights is not None
    assert np.isfinite(layer.heights).mean() > 0.5
    assert (layer.heights[np.isfinite(layer.heights)] > 0).all()


def test_real_citywide_zip_with_bbox(shared_data: Path) -> None:
    start = time.perf_counter()
    layer = read_buildings(shared_data / "sj_buildings_city_all.gpkg.zip", bbox=DOWNTOWN_BOX)
    elapsed = time.perf_counter() - start
    assert 5 < len(layer) < 500
    # Every building returned touches the box.
    box = shapely.box(*DOWNTOWN_BOX)
    assert shapely.intersects(layer.geoms, box).all()
    # A spatial-index read of the 324,221-building archive, not a full scan.
    assert elapsed < 20, f"bbox read took {elapsed:.1f} s"


def test_streets_in_metres_without_a_crs_are_refused(tmp_path) -> None:
    import json

    from planner.core.errors import InputError
    from planner.io.checking.loader import read_streets_file

    path = tmp_path / "streets.geojson"
    line = {"type": "LineString", "coordinates": [[600000, 4100000], [600100, 4100000]]}
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {}, "geometry": line}],
            }
        )
    )
    with pytest.raises(InputError, match="not longitude/latitude"):
        read_streets_file(path)
