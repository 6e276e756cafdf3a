"""What a result rests on (issue 16 items 5 and 6): the data basis and the provenance wording.

``check`` (text and JSON) and the review report say which sites the counts rest on,
by category and source with dates, how they are protected, and how far the site data
reaches against where the cameras are; the report says exactly what differs for each
layer the plan claims.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess

import pytest
import shapely

from planner.cli import main
from planner.core.basis import SourceInfo, data_basis
from planner.core.crs import Projector
from planner.core.model import Camera, Entrance, Site
from planner.resources import data_path

DEMO_PLAN = data_path("demo", "demo.plan.geojson")
DEMO_PACK = data_path("demo", "demo.gpkg")
EXAMPLE_SITES = data_path("examples", "example_sites.geojson")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


# -- the measure, by hand ---------------------------------------------------------------------
def _utm() -> Projector:
    return Projector.from_crs(32610)


def _lonlat(proj: Projector, x: float, y: float) -> tuple[float, float]:
    return proj.lonlat(x, y)


def test_counts_and_coverage_hand_computed():
    proj = _utm()
    x0, y0 = 600_000.0, 4_130_000.0
    # three OSM churches on a 1 km right triangle (hull 0.5 km²), one city clinic far off
    pts = [(x0, y0), (x0 + 1000, y0), (x0, y0 + 1000)]
    sites = [
        Site(
            id=f"osm:{i}",
            category="place_of_worship",
            geometry=shapely.Point(*_lonlat(proj, x, y)),
            source=f"osm:node/{i}",
            entrances=(Entrance(f"e{i}", f"osm:{i}", *_lonlat(proj, x + 5, y)),) if i == 0 else (),
        )
        for i, (x, y) in enumerate(pts)
    ]
    sites.append(
        Site(
            id="city:1",
            category="abortion_provider",
            geometry=shapely.Point(*_lonlat(proj, x0 + 5000, y0)),
            source="clinics.geojson:1",
            verified=False,
        )
    )
    # four cameras: two inside the triangle, two outside it (one 3 km away)
    cams = [
        Camera(id=f"C{i}", lon=lon, lat=lat, heading_deg=0.0, fov_deg=60, range_m=50)
        for i, (lon, lat) in enumerate(
            _lonlat(proj, x, y)
            for x, y in [
                (x0 + 100, y0 + 100),
                (x0 + 300, y0 + 300),
                (x0 + 900, y0 + 900),
                (x0 + 3000, y0),
            ]
        )
    ]
    b = data_basis(
        sites,
        cams,
        proj,
        sources=[
            SourceInfo(
                "osm", "city.osm.pbf", "OpenStreetMap", "2017-07-25T05:43:06Z", "OSM data as of"
            )
        ],
        import_warnings=["kept once"],
    )
    assert (b.sites, b.with_entrances, b.footprint, b.unverified) == (4, 1, 3, 1)
    assert [(c.category, c.sites, dict(c.by_source)) for c in b.categories] == [
        ("place_of_worship", 3, {"osm": 3}),
        ("abortion_provider", 1, {"clinics.geojson": 1}),
    ]
    (osm, clinics) = b.sources
    assert osm.area_km2 == pytest.approx(0.5, rel=1e-6) and osm.cameras_outside == 2
    assert osm.names == ("city.osm.pbf",) and osm.dates == ("OSM data as of 2017-07-25T05:43:06Z",)
    assert clinics.area_km2 is None  # one site has no area
    assert b.sites_area_km2 == pytest.approx(0.5, rel=1e-6)
    assert b.cameras_outside == 2 and b.share_outside == 0.5
    # the cameras' hull: (100,100), (900,900), (3000,0) and (300,300) on the diagonal
    assert b.cameras_area_km2 == pytest.approx(0.5 * abs(800 * -100 - 800 * 2900) / 1e6, rel=1e-6)
    text = "\n".join(b.lines())
    assert "2 of 4 cameras (50%) lie outside the area of the site data" in text
    assert "import warning: kept once" in text


def test_footprint_kept_by_a_merge_counts_as_footprint():
    proj = _utm()
    lon, lat = _lonlat(proj, 600_000, 4_130_000)
    site = Site(
        id="s",
        category="place_of_worship",
        geometry=shapely.Point(lon, lat).buffer(0.0002),
        entrances=(Entrance("e", "s", lon, lat),),
        footprint_protected=True,
    )
    b = data_basis([site], [], proj)
    assert (b.with_entrances, b.footprint) == (1, 1)


# -- check, text and JSON -------------------------------------------------------------------
def test_check_says_what_the_result_rests_on(tmp_path):
    sites = tmp_path / "example_sites.geojson"
    shutil.copy(EXAMPLE_SITES, sites)
    code, out, err = run(
        "check", DEMO_PLAN, "--data", DEMO_PACK, "--sites", sites, "--format", "json"
    )
    assert code == 1, err
    basis = json.loads(out)["data_basis"]
    total = sum(c["sites"] for c in basis["by_category"])
    assert basis["sites"] == total == 5 + 2  # the demo pack's 5 and the file's sites
    by_source = {s["source"]: s for s in basis["sources"]}
    assert by_source["example_sites.geojson"]["sites"] == 2
    # a file's date is its modification time
    assert by_source["example_sites.geojson"]["dates"][0].startswith("file dated 20")
    assert basis["unverified"] == 1 and basis["with_entrances"] == 5
    cov = basis["coverage"]
    assert cov["cameras"] == 6 and 0 <= cov["cameras_outside_site_data"] <= 6
    assert cov["sites_area_km2"] > 0 and cov["cameras_area_km2"] > 0
    code, text, _ = run("check", DEMO_PLAN, "--data", DEMO_PACK, "--sites", sites)
    head = text.split("\n\n", 1)[0]
    assert "Data checked against:" in head
    assert "  7 sites: " in head and "unverified" in head and "km²" in head


@pytest.mark.realdata
def test_real_pack_names_its_downtown_extract_and_la_vang(shared_data, tmp_path):
    pack = tmp_path / "sj.gpkg"
    plan = tmp_path / "existing.plan.geojson"
    code, _, err = run(
        "import",
        shared_data / "osm_sj_downtown_merged.osm.bz2",
        shared_data / "alpr_sanjose_osm_2025-10-04.geojson",
        "--sites",
        shared_data / "sj_sensitive_sites.geojson",
        "-o",
        pack,
        "--existing-plan",
        plan,
        "-q",
    )
    assert code == 0, err
    # import names La Vang: the city file gives no entrances, OSM gives 4
    assert "La Vang" in err and "whole footprint and by the entrances" in err
    code, out, err = run("check", plan, "--data", pack, "--format", "json")
    basis = json.loads(out)["data_basis"]
    pow_ = next(c for c in basis["by_category"] if c["category"] == "place_of_worship")
    assert pow_["sites"] == 13 and pow_["by_source"] == {"osm": 13}
    assert basis["sites"] == 18 and basis["unverified"] == 4
    assert basis["with_entrances"] == 1 and basis["protected_by_footprint"] == 18
    osm = next(s for s in basis["sources"] if s["source"] == "osm")
    assert osm["files"] == ["osm_sj_downtown_merged.osm.bz2"]
    assert osm["dates"] == ["OSM data as of 2017-07-25T05:43:06Z"]
    # the downtown extract covers a fraction of the city: most cameras lie outside it
    assert osm["area_km2"] < 5 and osm["cameras_outside"] > 300
    assert basis["coverage"]["cameras_area_km2"] > 100
    assert any("La Vang" in w for w in basis["import_warnings"])


# -- the report -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("basis")
    plan = tmp / "demo.plan.geojson"
    doc = json.loads(DEMO_PLAN.read_text(encoding="utf-8"))
    code, out, _ = run("check", DEMO_PLAN, "--data", DEMO_PACK, "--format", "json")
    used = {x["kind"]: x for x in json.loads(out)["layers"]}
    policy = json.loads(out)["policy"]
    # the plan claims: sites with another sha256, an entrances layer the re-check does not
    # use, and no buildings layer (which the re-check uses)
    doc["siting_plan"]["checked_with"] = {
        "policy": policy,
        "layers": [
            {"kind": "sites", "path": used["sites"]["path"], "sha256": "ab" * 32},
            {"kind": "entrances", "path": "/old/entrances.geojson", "sha256": "cd" * 32},
            {
                "kind": "entrances",
                "path": used["entrances"]["path"],
                "sha256": used["entrances"]["sha256"],
            },
            {
                "kind": "streets",
                "path": used["streets"]["path"],
                "sha256": used["streets"]["sha256"],
            },
        ],
    }
    plan.write_text(json.dumps(doc), encoding="utf-8")
    out = {}
    for suffix in ("html", "pdf"):
        target = tmp / f"r.{suffix}"
        code, _, err = run("report", plan, "--data", DEMO_PACK, "-o", target, "-q")
        assert code == 0, err
        out[suffix] = target
    return out


def test_report_cover_says_what_the_data_is(reports):
    html = reports["html"].read_text(encoding="utf-8")
    assert '<h2 class="sub">Data checked against</h2>' in html
    # on the cover, before the claims
    head = html.split('<h2 class="sub">What the plan claims')[0]
    assert "Whole footprint" in head and "Unverified" in head and "Cameras outside its area" in head
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "2", "-layout", str(reports["pdf"]), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Data checked against" in first and "lie outside it" in " ".join(first.split())


def test_report_says_exactly_what_differs_per_layer(reports):
    html = " ".join(reports["html"].read_text(encoding="utf-8").split())
    assert "did not use" not in html
    assert "sites layer: used with another sha256: the plan was checked with" in html
    assert "the re-check uses the same layer" in html
    assert "entrances layer: not used: /old/entrances.geojson" in html
    assert "buildings layer: not named by the plan:" in html
