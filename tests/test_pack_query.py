"""Reading a data pack around the plan's cameras (R-tree) and the sha256 cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import shapely

from planner.core.errors import InputError
from planner.core.model import Camera
from planner.io.checking.loader import build_checker, load_inputs
from planner.io.datapack import hash_cache
from planner.io.datapack.query import cameras_near_sites, check_regions, read_pack_subset
from planner.io.datapack.store import read_pack
from planner.io.formats.plan import read_plan
from planner.io.formats.policy import builtin_policy
from planner.io.safety.common import sha256_file
from tests.test_pack import _copy_without, pack_path  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"


def _findings(inputs, cams):
    policy = builtin_policy()
    checker = build_checker(inputs, policy=policy, cameras=cams)
    return [f.to_json() for f in checker.check_cameras(cams).findings]


def test_check_around_the_cameras_equals_a_check_on_the_whole_pack(monkeypatch) -> None:
    # The demo town fits in one 0.01° cell; finer cells show that a subset is read.
    monkeypatch.setattr("planner.io.datapack.query._CELL_DEG", 0.001)
    policy = builtin_policy()
    cams = read_plan(DEMO / "demo.plan.geojson").cameras
    full = load_inputs(policy=policy, data=DEMO / "demo.gpkg")
    part = load_inputs(policy=policy, data=DEMO / "demo.gpkg", cameras=cams)
    assert 0 < len(part.buildings) < len(full.buildings)
    assert [s.id for s in part.sites] == [s.id for s in full.sites]
    assert [s.entrances for s in part.sites] == [s.entrances for s in full.sites]
    assert all(
        shapely.equals(a.geometry, b.geometry) for a, b in zip(part.sites, full.sites, strict=True)
    )
    # Same layers reported, with the whole pack's feature counts and hash.
    assert [x.to_json() for x in part.layers] == [x.to_json() for x in full.layers]
    assert _findings(part, cams) == _findings(full, cams)
    # Every building that can touch the disc of a camera near a site was read.
    near = cameras_near_sites(cams, part.sites, reach_m=25.0)
    assert 0 < len(near) <= len(cams)
    for cam in near:
        deg = cam.range_m / 80_000.0
        disc = shapely.box(cam.lon - deg, cam.lat - deg, cam.lon + deg, cam.lat + deg)
        want = {g.wkb for g in full.buildings.geometries() if g.intersects(disc)}
        got = {g.wkb for g in part.buildings.geometries()}
        assert want <= got


def test_regions_gather_cameras_and_give_up_for_a_city_wide_plan() -> None:
    assert check_regions([]) == []
    sj = Camera("a", -121.8863, 37.3382, 0.0, 20.0, 76.0)
    lv = Camera("b", -115.1398, 36.1699, 0.0, 20.0, 76.0)
    boxes = check_regions([sj, lv])
    assert 2 <= len(boxes) <= 4  # one per row of 0.01° cells, nothing in between
    covered = shapely.union_all([shapely.box(*b) for b in boxes])
    assert covered.area < 0.001
    for cam in (sj, lv):
        deg = cam.range_m / 80_000.0
        assert covered.contains(shapely.Point(cam.lon, cam.lat).buffer(deg))
    gen = np.random.default_rng(1)
    spread = [
        Camera(f"c{i}", -121.9 + gen.uniform(0, 0.3), 37.2 + gen.uniform(0, 0.2), 0.0, 20.0, 50.0)
        for i in range(3000)
    ]
    assert check_regions(spread) is None


@pytest.mark.parametrize(
    ("layer", "mutate", "message"),
    [
        (
            "pack_metadata",
            lambda f: f.assign(value=f["value"].where(f["key"] != "format_version", "99")),
            "newer than this tool",
        ),
        ("entrances", lambda f: f.assign(site_id="way/404"), "unknown site_id 'way/404'"),
        ("sites", lambda f: f.assign(site_id="same"), "duplicate site_id"),
        ("sites", lambda f: f.assign(category=None), "category is missing"),
    ],
)
def test_hostile_packs_are_refused(pack_path: Path, tmp_path: Path, layer, mutate, message):  # noqa: F811
    dst = tmp_path / "bad.gpkg"
    _copy_without(pack_path, dst, mutate=lambda n, f: mutate(f) if n == layer else f)
    with pytest.raises(InputError, match=message):
        read_pack_subset(dst, regions=[(-122.0, 37.0, -121.0, 38.0)])


def test_only_cameras_that_can_reach_a_site_need_buildings() -> None:
    site = read_pack(DEMO / "demo.gpkg", layers={"sites"}).sites[0]
    c = site.geometry.centroid
    near = Camera("n", c.x + 0.0009, c.y, 0.0, 20.0, 50.0)  # ~80 m east: 50 m + 25 m reach
    far = Camera("f", c.x + 0.01, c.y, 0.0, 20.0, 50.0)  # ~900 m east
    assert [x.id for x in cameras_near_sites([near, far], [site], reach_m=25.0)] == ["n"]
    assert cameras_near_sites([], [site], reach_m=25.0) == []


def test_not_a_pack(tmp_path: Path) -> None:
    bad = tmp_path / "x.gpkg"
    bad.write_bytes(b"not sqlite at all")
    with pytest.raises(InputError, match="not a GeoPackage"):
        read_pack_subset(bad, regions=[])
    with pytest.raises(InputError, match="file not found"):
        read_pack_subset(tmp_path / "missing.gpkg", regions=[])


def test_subset_matches_full_read_of_a_written_pack(pack_path: Path) -> None:  # noqa: F811
    full = read_pack(pack_path)
    part = read_pack_subset(pack_path, regions=[(-180.0, -90.0, 180.0, 90.0)])
    assert [s.id for s in part.sites] == [s.id for s in full.sites]
    assert [(s.verified, s.source, s.tags) for s in part.sites] == [
        (s.verified, s.source, s.tags) for s in full.sites
    ]
    assert len(part.buildings) == len(full.buildings)
    assert part.counts["buildings"] == len(full.buildings)


# -- the sha256 cache ----------------------------------------------------------------


@pytest.fixture
def cache(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SITING_PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(hash_cache, "MIN_CACHED_BYTES", 0)
    calls = []

    def counting(path):
        calls.append(Path(path))
        return sha256_file(path)

    monkeypatch.setattr(hash_cache, "sha256_file", counting)
    return calls


def _age(path: Path, seconds: float) -> None:
    t = path.stat().st_mtime_ns - int(seconds * 1e9)
    os.utime(path, ns=(t, t))


def test_cached_digest_is_reused_only_while_the_file_is_unchanged(tmp_path: Path, cache) -> None:
    f = tmp_path / "layer.gpkg"
    f.write_bytes(b"a" * 1000)
    _age(f, 10)
    # ctime cannot be set back: wait out the racy window by pretending the hash is late.
    first = hash_cache.cached_sha256(f)
    entries = json.loads((tmp_path / "cache" / "sha256.json").read_text())
    (entry,) = entries.values()
    entry["hashed_ns"] += int(10e9)
    (tmp_path / "cache" / "sha256.json").write_text(json.dumps(entries))
    assert hash_cache.cached_sha256(f) == first == sha256_file(f)
    assert len(cache) == 1  # the second answer came from the cache
    f.write_bytes(b"b" * 1000)  # same size, new content
    assert hash_cache.cached_sha256(f) == sha256_file(f) != first
    assert len(cache) == 2


def test_a_digest_taken_right_after_a_change_is_not_trusted(tmp_path: Path, cache) -> None:
    f = tmp_path / "layer.gpkg"
    f.write_bytes(b"a" * 1000)
    hash_cache.cached_sha256(f)
    hash_cache.cached_sha256(f)
    assert len(cache) == 2  # within the racy window: hashed again


def test_a_damaged_cache_file_is_ignored(tmp_path: Path, cache) -> None:
    f = tmp_path / "layer.gpkg"
    f.write_bytes(b"a" * 1000)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "sha256.json").write_text("{not json")
    assert hash_cache.cached_sha256(f) == sha256_file(f)
    (tmp_path / "cache" / "sha256.json").write_text(json.dumps({str(f.resolve()): "junk"}))
    assert hash_cache.cached_sha256(f) == sha256_file(f)


def test_a_small_check_imports_no_dataframe_library(tmp_path: Path) -> None:
    # Import time is most of a small check: pandas, geopandas, pyogrio and osmnx
    # cost about a second together and a check on a data pack needs none of them.
    import subprocess
    import sys

    plan = tmp_path / "one.plan.geojson"
    data = json.loads((DEMO / "demo.plan.geojson").read_text(encoding="utf-8"))
    data["features"] = data["features"][:1]
    plan.write_text(json.dumps(data), encoding="utf-8")
    code = (
        "import sys, io, contextlib\n"
        "from planner import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = cli.main(['check', {str(plan)!r}, '--data', {str(DEMO / 'demo.gpkg')!r}])\n"
        "heavy = ['pandas', 'geopandas', 'pyogrio', 'osmnx', 'networkx', 'pyarrow']\n"
        "print(rc, [m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "1 []", out.stdout + out.stderr


def test_the_apps_whole_pack_load_imports_no_dataframe_library() -> None:
    # The app reads every layer of the pack (no plan to narrow it): still sqlite3 and
    # numpy only, so the window never pays pandas' ~100 MB and second of imports.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from planner.app.siting.loading import load_data_context, load_policy\n"
        f"pack = Path({str(DEMO / 'demo.gpkg')!r})\n"
        "data = load_data_context(policy=load_policy(), cameras=[], pack=pack)\n"
        "heavy = ['pandas', 'geopandas', 'pyogrio', 'osmnx', 'pyarrow']\n"
        "print(len(data.sites), len(data.checker.buildings), len(data.streets),"
        " [m for m in heavy if m in sys.modules])\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    sites, buildings, streets, heavy = out.stdout.strip().split(" ", 3)
    assert int(sites) > 0 and int(buildings) > 0 and int(streets) > 0, out.stdout + out.stderr
    assert heavy == "[]", out.stdout + out.stderr


def test_the_lightweight_whole_pack_reader_equals_the_full_reader() -> None:
    from planner.io.datapack.query import read_pack_arrays

    full = read_pack(DEMO / "demo.gpkg")
    for validated in (False, True):
        lite = read_pack_arrays(DEMO / "demo.gpkg", validated=validated)
        assert [(s.id, s.category, s.name, s.entrances, s.tags) for s in lite.sites] == [
            (s.id, s.category, s.name, s.entrances, s.tags) for s in full.sites
        ]
        assert lite.cameras_existing == full.cameras_existing
        assert len(lite.streets) == len(full.streets)
        assert all(shapely.equals_exact(lite.streets.geoms, full.streets.geometry.values, 0.0))
        for col in ("u", "v", "name", "highway"):
            want = [None if v is None or v != v else v for v in full.streets[col].tolist()]
            assert [None if v is None else v for v in lite.streets.columns[col].tolist()] == want
        geoms, cols = lite.boundaries
        assert all(shapely.equals_exact(geoms, full.boundaries.geometry.values, 0.0))
        assert list(cols["name"]) == full.boundaries["name"].tolist()
        want_b = sorted(shapely.to_wkb(shapely.normalize(full.buildings.geometry.values)))
        got_b = sorted(shapely.to_wkb(shapely.normalize(lite.buildings.geometries())))
        assert got_b == want_b
        assert lite.metadata["format"] == "siting-planner-pack"


def test_a_bad_existing_camera_is_refused_alike_by_both_readers(tmp_path: Path) -> None:
    import sqlite3

    from planner.io.datapack.query import read_pack_arrays

    pack = tmp_path / "demo.gpkg"
    pack.write_bytes((DEMO / "demo.gpkg").read_bytes())
    con = sqlite3.connect(pack)
    for (name,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cameras_existing'"
    ).fetchall():
        con.execute(f'DROP TRIGGER "{name}"')
    con.execute("UPDATE cameras_existing SET fov_deg = 400 WHERE fid = 1")
    con.commit()
    con.close()
    messages = []
    for read in (lambda p: read_pack(p), lambda p: read_pack_arrays(p, validated=False)):
        with pytest.raises(InputError, match=r"cameras_existing, feature 1 .*fov_deg") as err:
            read(pack)
        messages.append(str(err.value))
    assert messages[0] == messages[1]


def test_mutated_packs_are_read_or_refused_in_one_line_by_the_apps_reader(tmp_path: Path) -> None:
    # The fuzz campaign drives `check`, which reads a pack around its cameras; the app
    # reads every layer (read_pack_arrays): the same mutants, in process.
    import random

    from planner.io.datapack.query import read_pack_arrays
    from tests.test_fuzz import mutate_pack

    rnd = random.Random(int(os.environ.get("SITING_FUZZ_SEED", "3")))
    outcomes = {"read": 0, "refused": 0}
    for k in range(int(os.environ.get("SITING_FUZZ_EXAMPLES", "24"))):
        target = tmp_path / f"m{k}.gpkg"
        what = mutate_pack(DEMO / "demo.gpkg", target, rnd)
        for validated in (False, True):
            try:
                pack = read_pack_arrays(target, validated=validated)
            except InputError as exc:
                assert "\n" not in str(exc), what
                outcomes["refused"] += 1
            else:
                outcomes["read"] += 1
                assert len(pack.buildings.bounds) == len(pack.buildings), what
    assert outcomes["read"] and outcomes["refused"], outcomes
