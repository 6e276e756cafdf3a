"""``siting-planner propose`` (SPEC 9): legal by construction, optimal, as documented.

Proofs at the command line's boundary: every proposed pose is ``clear`` when the
written plan goes through the real ``check`` with the same data, and under the
independent ray sampler (``tests/ray_sampler.py``), on random small instances and
on a sub-area of downtown San José; on small random covering problems the MILP
equals brute force over all subsets and lazy greedy is within ``1 - 1/e``.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
import shapely

from planner.cli import main
from planner.core.crs import Projector
from planner.io.checking.loader import build_checker, load_inputs
from planner.io.formats.plan import read_plan
from planner.io.formats.policy import builtin_policy
from planner.propose.approaches import (
    ROAD_CLASS_VEHICLES_PER_LANE,
    ReadParams,
    Streets,
    build_approaches,
    estimated_weight,
)
from planner.propose.solve import (
    covered_weight,
    greedy_max_cover,
    reduce_sets,
    solve_max_cover,
    solve_set_cover,
)
from tests.stress_support import compare

# --------------------------------------------------------------------- solver


def _random_instance(rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    m = int(rng.integers(3, 11))
    n = int(rng.integers(4, 14))
    weight = rng.integers(1, 30, n).astype(float)
    sets = [np.unique(rng.choice(n, int(rng.integers(1, 5)), replace=False)) for _ in range(m)]
    covered = rng.random(n) < 0.15
    return sets, weight, covered


def test_milp_equals_brute_force_and_greedy_is_within_one_minus_one_over_e() -> None:
    rng = np.random.default_rng(19)
    compared = 0
    for _ in range(40):
        sets, weight, covered = _random_instance(rng)
        open_weight = np.where(covered, 0.0, weight)
        base = float(weight[covered].sum())
        for budget in (1, 2, 3, 4):
            k = min(budget, len(sets))
            best = base + max(
                covered_weight(sets, c, open_weight)
                for c in itertools.combinations(range(len(sets)), k)
            )
            sol = solve_max_cover(sets, weight, budget, covered=covered)
            assert sol.optimal and sol.gap == 0.0
            assert len(sol.chosen) <= budget
            assert sol.objective == pytest.approx(best)
            assert base + covered_weight(sets, sol.chosen, open_weight) == pytest.approx(best)
            greedy = base + covered_weight(
                sets, greedy_max_cover(sets, weight, budget, covered=covered), open_weight
            )
            assert greedy >= (1 - 1 / math.e) * best - 1e-9
            compared += 1
    assert compared == 160


def test_set_cover_equals_brute_force() -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        sets, weight, covered = _random_instance(rng)
        need = set(np.concatenate(sets).tolist()) - set(np.flatnonzero(covered).tolist())
        fewest = next(
            k
            for k in range(len(sets) + 1)
            for c in itertools.combinations(range(len(sets)), k)
            if need <= set(itertools.chain.from_iterable(sets[i].tolist() for i in c))
        )
        sol = solve_set_cover(sets, len(weight), covered=covered)
        assert sol.optimal and sol.objective == fewest
        got = set(itertools.chain.from_iterable(sets[i].tolist() for i in sol.chosen))
        assert need <= got


def test_reduce_sets_keeps_distinct_maximal_sets_in_the_given_order() -> None:
    sets = [np.array(s) for s in ([1, 2], [1, 2, 3], [4], [1, 2, 3], [2], [], [4, 5])]
    kept_sets, kept = reduce_sets(sets, order=[3, 1, 0, 2, 4, 5, 6])
    assert kept == [3, 6]  # [1,2,3] (first in the order given) and [4,5]
    assert [s.tolist() for s in kept_sets] == [[1, 2, 3], [4, 5]]


def test_time_limit_returns_best_found_with_bound_and_gap() -> None:
    rng = np.random.default_rng(3)
    n = 400
    weight = rng.integers(1, 100, n).astype(float)
    sets = [np.unique(rng.choice(n, 6, replace=False)) for _ in range(600)]
    sol = solve_max_cover(sets, weight, 40, time_limit=0.01)
    assert sol.bound >= sol.objective > 0
    assert sol.gap == pytest.approx((sol.bound - sol.objective) / sol.objective, abs=1e-9)
    assert sol.optimal == (sol.gap == 0.0)


# ------------------------------------------------------------------- approaches


def _grid_streets(projector: Projector) -> Streets:
    """A 3 x 3 grid of two-way streets 100 m apart: one row per direction."""
    lines, u, v = [], [], []
    node = {}
    for i in range(3):
        for j in range(3):
            node[(i, j)] = len(node)
    for i in range(3):
        for j in range(3):
            for di, dj in ((1, 0), (0, 1)):
                a, b = (i, j), (i + di, j + dj)
                if b not in node:
                    continue
                pa = (a[0] * 100.0, a[1] * 100.0)
                pb = (b[0] * 100.0, b[1] * 100.0)
                lines += [shapely.LineString([pa, pb]), shapely.LineString([pb, pa])]
                u += [node[a], node[b]]
                v += [node[b], node[a]]
    n = len(lines)
    return Streets(
        lines=np.array(lines, dtype=object),
        u=np.array(u),
        v=np.array(v),
        names=np.full(n, "Grid St", dtype=object),
        highway=np.full(n, "residential", dtype=object),
        lanes=np.full(n, "2", dtype=object),
        oneway=np.zeros(n, dtype=bool),
    )


def test_approaches_are_directions_into_nodes_with_three_neighbours() -> None:
    streets = _grid_streets(Projector.from_crs(32610))
    appr = build_approaches(streets, ReadParams())
    # Nodes with >= 3 neighbours: 4 edge midpoints (3) and the centre (4) = 16 approaches.
    assert len(appr) == 16
    assert np.allclose(shapely.length(appr.zones), 25.0)
    # Each read zone ends 5 m before its node, along the direction of travel.
    ends = shapely.get_coordinates(shapely.get_point(appr.zones, -1))
    nodes = {0: (0, 0), 1: (0, 100), 2: (0, 200), 3: (100, 0), 4: (100, 100)}
    for (x, y), node in zip(ends, appr.node, strict=True):
        if node in nodes:
            nx_, ny_ = nodes[node]
            assert math.hypot(x - nx_, y - ny_) == pytest.approx(5.0)
    # One lane each way of a residential street.
    assert np.allclose(appr.weight, ROAD_CLASS_VEHICLES_PER_LANE["residential"])


def test_weights_follow_the_documented_table() -> None:
    assert estimated_weight("primary", "4", oneway=False) == 2 * 8000
    assert estimated_weight("primary", "3", oneway=True) == 3 * 8000
    assert estimated_weight("secondary_link", None, oneway=True) == 3000
    assert estimated_weight("residential;primary", "", oneway=False) == 2 * 8000
    assert estimated_weight("footway", None, oneway=False) == 1500


def test_an_aadt_column_gives_the_weight() -> None:
    streets = _grid_streets(Projector.from_crs(32610))
    aadt = np.full(len(streets), 12000.0, dtype=object)
    aadt[0] = None
    streets = Streets(**{**{f: getattr(streets, f) for f in streets.__slots__}, "aadt": aadt})
    appr = build_approaches(streets)
    assert set(appr.weight[appr.counted].tolist()) == {6000.0}
    assert (~appr.counted).sum() == (appr.row == 0).sum()


# ------------------------------------------------------------- random instances


def _osm_grid(path: Path, lon0: float, lat0: float, n: int, step_deg: float) -> None:
    nodes, ways = [], []
    nid = lambda i, j: 1 + i * n + j  # noqa: E731
    for i in range(n):
        for j in range(n):
            nodes.append(
                f'<node id="{nid(i, j)}" lat="{lat0 + i * step_deg:.7f}" '
                f'lon="{lon0 + j * step_deg:.7f}" version="1"/>'
            )
    wid = 1
    for i in range(n):
        for horizontal in (True, False):
            refs = [nid(i, j) if horizontal else nid(j, i) for j in range(n)]
            hw = "primary" if i == n // 2 else "residential"
            nds = "".join(f'<nd ref="{r}"/>' for r in refs)
            ways.append(
                f'<way id="{wid}" version="1">{nds}<tag k="highway" v="{hw}"/>'
                f'<tag k="name" v="Street {wid}"/></way>'
            )
            wid += 1
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        + "\n".join(nodes + ways)
        + "\n</osm>\n",
        encoding="utf-8",
    )


def _random_pack(tmp: Path, seed: int) -> tuple[Path, Path, Path]:
    """A 4 x 4 street grid with random buildings in the blocks and two protected sites."""
    rng = np.random.default_rng(seed)
    lon0, lat0, step = -121.89, 37.33, 0.0011  # about 100 m
    osm = tmp / "grid.osm"
    _osm_grid(osm, lon0, lat0, 4, step)
    buildings, sites = [], []
    for bi in range(3):
        for bj in range(3):
            cx = lon0 + (bj + 0.5) * step
            cy = lat0 + (bi + 0.5) * step
            for _ in range(int(rng.integers(1, 4))):
                w = rng.uniform(0.00008, 0.00025)
                h = rng.uniform(0.00008, 0.00025)
                ox = rng.uniform(-0.00025, 0.00025)
                oy = rng.uniform(-0.00025, 0.00025)
                box = shapely.box(
                    cx + ox - w / 2, cy + oy - h / 2, cx + ox + w / 2, cy + oy + h / 2
                )
                buildings.append(box)
    picks = rng.choice(9, 2, replace=False)
    for k, b in enumerate(picks.tolist()):
        bi, bj = divmod(b, 3)
        cx = lon0 + (bj + 0.5) * step + rng.uniform(-0.0002, 0.0002)
        cy = lat0 + (bi + 0.5) * step + rng.uniform(-0.0002, 0.0002)
        sites.append(
            {
                "type": "Feature",
                "id": f"s{k}",
                "properties": {"category": "place_of_worship", "name": f"Site {k}"},
                "geometry": shapely.geometry.mapping(shapely.box(cx, cy, cx + 0.0001, cy + 0.0001)),
            }
        )
    bpath = tmp / "buildings.geojson"
    bpath.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(b)}
                    for b in buildings
                ],
            }
        ),
        encoding="utf-8",
    )
    spath = tmp / "sites.geojson"
    spath.write_text(json.dumps({"type": "FeatureCollection", "features": sites}), encoding="utf-8")
    pack = tmp / "pack.gpkg"
    rc = main(
        [
            "import",
            str(osm),
            "--sites",
            str(spath),
            "--buildings",
            str(bpath),
            "-o",
            str(pack),
            "-q",
        ]
    )
    assert rc == 0
    return pack, bpath, spath


def _propose(capsys, pack: Path, out: Path, *extra: str) -> dict:
    capsys.readouterr()
    rc = main(["propose", "--data", str(pack), *extra, "--format", "json", "-o", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return json.loads(captured.out)


def _check_json(capsys, plan: Path, pack: Path) -> dict:
    capsys.readouterr()
    rc = main(["check", str(plan), "--data", str(pack), "--format", "json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return json.loads(captured.out)


def _ray_check(pack: Path, plan: Path) -> int:
    """Every camera-site pair within reach, judged by the ray sampler: none captured or near."""
    policy = builtin_policy()
    cams = read_plan(plan).cameras
    inputs = load_inputs(policy=policy, data=pack)
    checker = build_checker(inputs, policy=policy, cameras=cams)
    outcome = compare(checker, cams, inputs.buildings.geometries(), step_deg=0.5)
    assert outcome.disagreements == []
    assert outcome.tiny_overlaps == []
    for cam in cams:
        assert checker.check_camera(cam, with_geometry=False).status.value == "clear"
    return sum(outcome.counts.values())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_instances_every_proposal_is_clear_under_check_and_rays(
    tmp_path, capsys, seed
) -> None:
    pack, _, _ = _random_pack(tmp_path, seed)
    out = tmp_path / "p.plan.geojson"
    for budget in ("6",):
        summary = _propose(
            capsys, pack, out, "--cameras", budget, "--model", "flock_falcon",
            "--model", "flock_falcon_lr",
        )  # fmt: skip
        assert summary["legal"] < summary["candidates"]  # the sites forbid some poses
        assert summary["optimal"] and summary["recheck_failures"] == 0
        assert 0 < len(summary["cameras"]) <= int(budget)
        report = _check_json(capsys, out, pack)
        assert report["summary"]["clear"] == len(summary["cameras"])
        assert report["summary"]["block"] == report["summary"]["warn"] == 0
        _ray_check(pack, out)


# -------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def downtown_pack(shared_data: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("propose") / "downtown.gpkg"
    rc = main(
        [
            "import",
            str(shared_data / "sj_downtown_drive.graphml"),
            "--sites",
            str(shared_data / "sj_sensitive_sites.geojson"),
            "--buildings",
            str(shared_data / "sj_buildings_downtown.gpkg"),
            "-o",
            str(out),
            "-q",
        ]
    )
    assert rc == 0
    return out


#: Seven downtown churches lie in this box: legality does real work here.
_SUBAREA = ("-121.892", "37.336", "-121.884", "37.341")


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize("budget", ["5", "20", "cover-all"])
def test_downtown_subarea_proposals_are_clear_under_check_and_rays(
    downtown_pack, tmp_path, capsys, budget
) -> None:
    out = tmp_path / "p.plan.geojson"
    what = ["--cover-all"] if budget == "cover-all" else ["--cameras", budget]
    summary = _propose(
        capsys, downtown_pack, out, *what, "--bbox", *_SUBAREA,
        "--model", "flock_falcon", "--model", "flock_falcon_lr",
    )  # fmt: skip
    assert summary["legal"] < summary["candidates"]
    assert summary["distinct_sets"] < summary["reading_poses"]
    # Legal by construction: the final re-check never had to replace a pose.
    assert summary["optimal"] and summary["recheck_failures"] == 0
    n = len(summary["cameras"])
    if budget != "cover-all":
        assert n == int(budget)
        assert summary["objective"] >= summary["greedy_objective"]
        marginal = [c["marginal_weight"] for c in summary["cameras"]]
        assert sum(marginal) == pytest.approx(summary["objective"])
    else:
        assert summary["objective"] == n
    report = _check_json(capsys, out, downtown_pack)
    assert report["summary"] == {"cameras": n, "block": 0, "warn": 0, "clear": n}
    assert _ray_check(downtown_pack, out) > 0
    plan = read_plan(out)
    assert all(c.status.value == "proposed" and "reads" in c.notes for c in plan.cameras)


@pytest.mark.realdata
def test_existing_cameras_are_fixed_counted_and_valued(downtown_pack, tmp_path, capsys) -> None:
    first = tmp_path / "first.plan.geojson"
    base = _propose(capsys, downtown_pack, first, "--cameras", "3", "--bbox", *_SUBAREA)
    # The three proposals, now existing: proposing three more adds to their weight.
    plan = json.loads(first.read_text(encoding="utf-8"))
    for f in plan["features"]:
        f["properties"]["status"] = "existing"
    existing = tmp_path / "existing.plan.geojson"
    existing.write_text(json.dumps(plan), encoding="utf-8")
    second = tmp_path / "second.plan.geojson"
    more = _propose(
        capsys, downtown_pack, second, "--cameras", "3", "--bbox", *_SUBAREA,
        "--existing", str(existing),
    )  # fmt: skip
    assert more["fixed_weight"] == pytest.approx(base["objective"])
    assert more["objective"] > base["objective"]
    values = {e["id"]: e for e in more["existing"]}
    for cam in base["cameras"]:
        assert values[cam["id"]]["weight"] >= cam["marginal_weight"] - 1e-6
        assert values[cam["id"]]["reads"]
    assert {c["id"] for c in more["cameras"]}.isdisjoint(values)


# -------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--cameras", "0"], "--cameras must be between"),
        (["--cameras", "2", "--time-limit", "nan"], "--time-limit"),
        (["--cameras", "2", "--bbox", "10", "5", "9", "6"], "--bbox"),
        (["--cameras", "2", "--model", "no_such_model"], "not in the camera catalogue"),
        (["--cameras", "2", "--cover-all"], "not allowed with"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(tmp_path, capsys, argv, needle) -> None:
    pack = tmp_path / "none.gpkg"
    pack.write_bytes(b"")
    rc = main(["propose", "--data", str(pack), *argv, "-o", str(tmp_path / "o.plan.geojson")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and needle in err


def test_output_over_an_input_is_refused(tmp_path, capsys) -> None:
    pack, _, _ = _random_pack(tmp_path, 4)
    before = pack.read_bytes()
    capsys.readouterr()
    rc = main(["propose", "--data", str(pack), "--cameras", "2", "-o", str(pack)])
    err = capsys.readouterr().err
    assert rc == 2 and "destroy an input" in err and err.count("\n") == 1
    assert pack.read_bytes() == before


def test_a_locked_data_pack_wins_over_data_and_says_so(tmp_path, capsys, monkeypatch) -> None:
    locked, _, _ = _random_pack(tmp_path, 6)
    other = tmp_path / "other.gpkg"
    other.write_bytes(locked.read_bytes())
    config = tmp_path / "config.toml"
    config.write_text(f'data = ["{locked}"]\nlock_data = true\n', encoding="utf-8")
    import planner.io.config.managed_config as managed_config

    # The tests' own route to a system configuration (see tests/conftest.py).
    monkeypatch.setattr(managed_config, "_config_path_for_tests", config)
    summary = _propose(capsys, other, tmp_path / "p.plan.geojson", "--cameras", "2")
    assert any("--data" in w and "locked" in w for w in summary["warnings"])
    plan = json.loads((tmp_path / "p.plan.geojson").read_text(encoding="utf-8"))
    assert plan["siting_plan"]["proposal"]["data_pack"] == str(locked)


def test_text_summary(tmp_path, capsys) -> None:
    pack, _, _ = _random_pack(tmp_path, 8)
    capsys.readouterr()
    out = tmp_path / "p.plan.geojson"
    rc = main(["propose", "--data", str(pack), "--cameras", "2", "-o", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "Objective:" in text and "optimal" in text and f"Wrote {out}" in text
    assert read_plan(out).cameras


def test_json_on_stdout_is_all_there_is_in_a_real_process(tmp_path) -> None:
    """HiGHS prints a banner on the C stdout when first used; it must not reach ours."""
    import subprocess
    import sys

    pack, _, _ = _random_pack(tmp_path, 9)
    out = tmp_path / "p.plan.geojson"
    argv = ["propose", "--data", str(pack), "--cameras", "2", "--format", "json", "-o", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "planner", *argv], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["optimal"] is True
    assert "HiGHS" not in proc.stdout


def test_explain_position_names_what_excludes_a_heading(tmp_path, capsys) -> None:
    from planner.propose.candidates import Lens
    from planner.propose.engine import explain_position

    pack, _, _ = _random_pack(tmp_path, 5)
    policy = builtin_policy()
    inputs = load_inputs(policy=policy, data=pack)
    checker = build_checker(inputs, policy=policy)
    site = inputs.sites[0]
    c = site.geometry.centroid
    lens = Lens("flock_falcon_lr", 14.0, 76.0, ("plate_read",))
    near = explain_position(checker, [lens], c.x + 0.0003, c.y)
    assert len(near) == 1 and "excluded: captures_entrance" in near[0] and site.name in near[0]
    far = explain_position(checker, [lens], c.x + 0.01, c.y + 0.01)
    assert far == ["flock_falcon_lr (14°, 76 m): every heading is allowed here"]
    banned = Lens("x", 20.0, 25.0, ("plate_read", "facial_recognition"))
    assert "prohibits facial_recognition" in explain_position(checker, [banned], c.x, c.y)[0]


def test_pole_layer_adds_positions_and_refuses_what_is_not_a_point(tmp_path, capsys) -> None:
    pack, _, _ = _random_pack(tmp_path, 10)
    out = tmp_path / "p.plan.geojson"
    base = _propose(capsys, pack, out, "--cameras", "2")
    # Poles at the middle intersection of the grid's sides and corners of its blocks.
    lon0, lat0, step = -121.89, 37.33, 0.0011
    pts = [(lon0 + i * step + 0.00012, lat0 + j * step + 0.00012) for i in (1, 2) for j in (1, 2)]
    poles = tmp_path / "poles.geojson"
    poles.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": p},
                    }
                    for p in pts
                ],
            }
        ),
        encoding="utf-8",
    )
    more = _propose(capsys, pack, out, "--cameras", "2", "--poles", str(poles))
    assert more["positions"] == base["positions"] + len(pts)
    assert _check_json(capsys, out, pack)["summary"]["block"] == 0
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "LineString", "coordinates": pts[:2]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    capsys.readouterr()
    rc = main(
        ["propose", "--data", str(pack), "--cameras", "2", "--poles", str(bad), "-o", str(out)]
    )
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "feature 1" in err and "point" in err
