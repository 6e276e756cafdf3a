"""The ``siting-planner check`` command (SPEC 6): reports, exit status and one-line errors."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from planner import __version__
from planner.cli import main
from planner.io.formats.policy import builtin_policy_path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"
PLAN = EXAMPLES / "example.plan.geojson"
SITES = EXAMPLES / "example_sites.geojson"
BUILDINGS = EXAMPLES / "example_buildings.geojson"

#: The designed outcome of the examples (data/examples).
EXPECTED_STATUS = {
    "C-1": "block",
    "C-2": "warn",
    "C-3": "clear",
    "C-4": "clear",
    "C-5": "block",
    "C-6": "warn",
    "C-7": "block",
}
FINDING_KEYS = {
    "camera_id",
    "severity",
    "rule",
    "site_id",
    "site_name",
    "category",
    "entrance_ids",
    "basis",
    "distance_m",
    "overlap_m2",
    "message",
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``main`` in-process; argparse's own exits count as return codes."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def example_args(*extra: str) -> list[str]:
    return ["check", str(PLAN), "--sites", str(SITES), "--buildings", str(BUILDINGS), *extra]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line_error(err: str, file: str | Path) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {file}: "), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def json_report() -> dict[str, Any]:
    # One in-process run shared by the report tests (capsys is function-scoped).
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main([*example_args(), "--format", "json"])
    assert code == 1
    return json.loads(buf.getvalue())


# --- the examples -----------------------------------------------------------------------------


def test_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(example_args(), capsys)
    assert code == 1
    assert err == ""
    statuses = {
        m.group(2): m.group(1).lower()
        for m in re.finditer(r"^(BLOCK|WARN|CLEAR)\s+(\S+)\s*$", out, flags=re.MULTILINE)
    }
    assert statuses == EXPECTED_STATUS
    assert "7 cameras: 3 blocked, 2 warned, 2 clear" in out
    assert "captures_entrance" in out
    assert "chapel/e1" in out
    assert "facial_recognition" in out
    assert str(PLAN) in out
    assert "san-jose-alpr-dup-2026" in out


def test_json_top_level_keys(json_report: dict[str, Any]) -> None:
    assert set(json_report) == {
        "tool",
        "plan",
        "policy",
        "layers",
        "cameras",
        "findings",
        "summary",
        "provenance",  # SPEC 5.1 addition; see tests/test_cli_provenance.py
        "trust",  # SPEC 8: where the allowed signers came from; tests/test_signed_review.py
        "data_basis",  # what the result rests on; see tests/test_data_basis.py
    }
    assert json_report["tool"] == {"name": "siting-planner", "version": __version__}
    plan = dict(json_report["plan"])
    assert len(plan.pop("canonical_sha256")) == 64  # SPEC 8; see tests/test_review.py
    assert plan == {
        "path": str(PLAN),
        "sha256": sha256(PLAN),
        "name": "Example plan (hand-made)",
    }
    assert json_report["policy"] == {
        "id": "san-jose-alpr-dup-2026",
        "version": "2026-03-10",
        "sha256": sha256(builtin_policy_path()),
    }
    assert json_report["summary"] == {"cameras": 7, "block": 3, "warn": 2, "clear": 2}


def test_json_layers(json_report: dict[str, Any]) -> None:
    assert json_report["layers"] == [
        {"kind": "sites", "path": str(SITES), "sha256": sha256(SITES), "features": 2},
        {"kind": "buildings", "path": str(BUILDINGS), "sha256": sha256(BUILDINGS), "features": 2},
    ]


def test_json_cameras(json_report: dict[str, Any]) -> None:
    cameras = json_report["cameras"]
    assert all(set(c) == {"id", "status", "finding_count"} for c in cameras)
    assert [c["id"] for c in cameras] == list(EXPECTED_STATUS)  # plan order
    assert {c["id"]: c["status"] for c in cameras} == EXPECTED_STATUS
    counts = {c["id"]: c["finding_count"] for c in cameras}
    assert counts == {"C-1": 1, "C-2": 1, "C-3": 0, "C-4": 0, "C-5": 1, "C-6": 1, "C-7": 1}


def test_json_findings(json_report: dict[str, Any]) -> None:
    findings = json_report["findings"]
    assert all(set(f) == FINDING_KEYS for f in findings)
    assert all(isinstance(f["message"], str) and f["message"] for f in findings)
    by_camera = {f["camera_id"]: f for f in findings}
    assert sorted(by_camera) == ["C-1", "C-2", "C-5", "C-6", "C-7"]

    c1 = by_camera["C-1"]
    assert (c1["severity"], c1["rule"]) == ("block", "captures_entrance")
    assert (c1["site_id"], c1["site_name"], c1["category"]) == (
        "chapel",
        "Example Chapel",
        "place_of_worship",
    )
    assert c1["entrance_ids"] == ["chapel/e1"]
    assert c1["basis"] == "entrance"
    assert c1["distance_m"] == 0.0
    assert c1["overlap_m2"] > 1.0

    c2 = by_camera["C-2"]
    assert (c2["severity"], c2["rule"]) == ("warn", "near_entrance")
    assert c2["site_id"] == "chapel"
    assert c2["entrance_ids"] == ["chapel/e1"]
    assert c2["distance_m"] == pytest.approx(9.69, abs=0.05)  # designed: inside the 10 m margin
    assert not c2["overlap_m2"]

    c5 = by_camera["C-5"]
    assert (c5["severity"], c5["rule"]) == ("block", "prohibited_capability")
    assert "facial_recognition" in c5["message"]
    assert c5["site_id"] is None
    assert c5["entrance_ids"] == []

    c6 = by_camera["C-6"]
    assert (c6["severity"], c6["rule"]) == ("warn", "heading_unknown")

    c7 = by_camera["C-7"]
    assert (c7["severity"], c7["rule"]) == ("block", "captures_entrance")
    assert (c7["site_id"], c7["category"]) == ("consulate", "consulate")
    assert c7["basis"] == "footprint"
    assert c7["entrance_ids"] == []
    assert c7["overlap_m2"] > 1.0


def test_json_is_one_object(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(example_args("--format", "json"), capsys)
    assert code == 1
    assert err == ""
    assert isinstance(json.loads(out), dict)


def test_without_buildings_the_hidden_entrance_is_captured(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # C-4 is clear only because a building hides the entrance (SPEC 4.2).
    code, out, _ = run(["check", str(PLAN), "--sites", str(SITES), "--format", "json"], capsys)
    assert code == 1
    status = {c["id"]: c["status"] for c in json.loads(out)["cameras"]}
    assert status["C-4"] == "block"
    assert status["C-3"] == "clear"


def _plan_subset(tmp_path: Path, ids: set[str]) -> Path:
    data = json.loads(PLAN.read_text(encoding="utf-8"))
    data["features"] = [f for f in data["features"] if f["id"] in ids]
    path = tmp_path / "subset.plan.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_only_clear_cameras_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan_subset(tmp_path, {"C-3", "C-4"})
    code, out, err = run(
        ["check", str(plan), "--sites", str(SITES), "--buildings", str(BUILDINGS)], capsys
    )
    assert code == 0
    assert err == ""
    assert "2 cameras: 0 blocked, 0 warned, 2 clear" in out


def test_warnings_alone_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan_subset(tmp_path, {"C-2", "C-3", "C-6"})
    code, out, _ = run(
        [
            "check",
            str(plan),
            "--sites",
            str(SITES),
            "--buildings",
            str(BUILDINGS),
            "--format",
            "json",
        ],
        capsys,
    )
    assert code == 0
    assert json.loads(out)["summary"] == {"cameras": 3, "block": 0, "warn": 2, "clear": 1}


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.json"
    code, out, err = run(example_args("--format", "json", "--output", str(target)), capsys)
    assert code == 1
    assert out == ""
    assert err == ""
    report = json.loads(target.read_text(encoding="utf-8"))
    assert report["summary"] == {"cameras": 7, "block": 3, "warn": 2, "clear": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_output_text_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.txt"
    code, out, _ = run(example_args("--output", str(target)), capsys)
    assert code == 1
    assert out == ""
    assert "7 cameras: 3 blocked, 2 warned, 2 clear" in target.read_text(encoding="utf-8")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"siting-planner {__version__}"
    assert err == ""


def test_custom_policy_turns_worship_into_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "lenient.toml"
    policy.write_text(
        """
id = "test-lenient"
version = "1"
entrance_radius_m = 15.0
warn_margin_m = 10.0
prohibited_capabilities = ["facial_recognition", "biometric_analysis"]

[categories.place_of_worship]
action = "warn"

[categories.consulate]
action = "block"
""",
        encoding="utf-8",
    )
    code, out, err = run(example_args("--policy", str(policy), "--format", "json"), capsys)
    assert err == ""
    assert code == 1  # C-5 and C-7 still block
    report = json.loads(out)
    assert report["policy"] == {"id": "test-lenient", "version": "1", "sha256": sha256(policy)}
    status = {c["id"]: c["status"] for c in report["cameras"]}
    assert status == {**EXPECTED_STATUS, "C-1": "warn"}
    c1 = [f for f in report["findings"] if f["camera_id"] == "C-1"]
    assert len(c1) == 1
    assert (c1[0]["severity"], c1[0]["rule"]) == ("warn", "captures_entrance")
    assert report["summary"] == {"cameras": 7, "block": 2, "warn": 3, "clear": 2}


def _streets_file(tmp_path: Path, geometry: dict[str, Any]) -> Path:
    path = tmp_path / "streets.geojson"
    feature = {"type": "Feature", "properties": {"name": "Main St"}, "geometry": geometry}
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature, feature]}),
        encoding="utf-8",
    )
    return path


def test_streets_layer_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    streets = _streets_file(
        tmp_path,
        {
            "type": "MultiLineString",
            "coordinates": [
                [[-121.8870, 37.3384], [-121.8855, 37.3384]],
                [[-121.8855, 37.3384], [-121.8845, 37.3384]],
            ],
        },
    )
    code, out, err = run(example_args("--streets", str(streets), "--format", "json"), capsys)
    assert err == ""
    assert code == 1
    layers = json.loads(out)["layers"]
    assert layers[-1] == {
        "kind": "streets",
        "path": str(streets),
        "sha256": sha256(streets),
        "features": 4,
    }


def test_streets_without_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    streets = _streets_file(tmp_path, {"type": "Point", "coordinates": [-121.886, 37.338]})
    code, out, err = run(example_args("--streets", str(streets)), capsys)
    assert code == 2
    assert out == ""
    line = assert_one_line_error(err, streets)
    assert "LineString" in line


# --- bad input: exit 2, one line, no traceback ------------------------------------------------


def test_bad_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(PLAN.read_text(encoding="utf-8"))
    data["features"][2]["properties"]["fov_deg"] = 400
    plan = tmp_path / "plan.geojson"
    plan.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run(["check", str(plan), "--sites", str(SITES)], capsys)
    assert code == 2
    assert out == ""
    line = assert_one_line_error(err, plan)
    assert line == f'error: {plan}: feature 3 (camera "C-3"): fov_deg must be in (0, 360], got 400'


def test_malformed_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "broken.plan.geojson"
    plan.write_text('{"type": "FeatureCollection",\n "features": [}', encoding="utf-8")
    code, _, err = run(["check", str(plan)], capsys)
    assert code == 2
    line = assert_one_line_error(err, plan)
    assert "line 2, column" in line


def test_bad_sites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(SITES.read_text(encoding="utf-8"))
    data["features"][1]["properties"]["category"] = "stadium"
    sites = tmp_path / "sites.geojson"
    sites.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run(["check", str(PLAN), "--sites", str(sites)], capsys)
    assert code == 2
    assert out == ""
    line = assert_one_line_error(err, sites)
    assert 'site "consulate"' in line
    assert "stadium" in line


def test_duplicate_site_across_files(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", str(PLAN), "--sites", str(SITES), "--sites", str(SITES)], capsys)
    assert code == 2
    line = assert_one_line_error(err, SITES.name)
    assert "duplicate" in line


def test_bad_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('id = "x"\nversion = \n', encoding="utf-8")
    code, out, err = run(example_args("--policy", str(policy)), capsys)
    assert code == 2
    assert out == ""
    assert_one_line_error(err, policy)


def test_policy_with_typo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "typo.toml"
    policy.write_text(
        'id = "x"\nversion = "1"\nentrance_radius = 50\n[categories.consulate]\naction = "block"\n',
        encoding="utf-8",
    )
    code, _, err = run(example_args("--policy", str(policy)), capsys)
    assert code == 2
    line = assert_one_line_error(err, policy)
    assert "entrance_radius" in line


def test_bad_buildings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    buildings = tmp_path / "b.geojson"
    buildings.write_text(
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
    code, _, err = run(["check", str(PLAN), "--no-sites", "--buildings", str(buildings)], capsys)
    assert code == 2
    assert_one_line_error(err, buildings)


@pytest.mark.parametrize("which", ["plan", "sites", "buildings", "policy", "streets"])
def test_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], which: str) -> None:
    missing = tmp_path / f"missing-{which}.geojson"
    args = {
        "plan": ["check", str(missing), "--sites", str(SITES)],
        "sites": ["check", str(PLAN), "--sites", str(missing)],
        "buildings": ["check", str(PLAN), "--sites", str(SITES), "--buildings", str(missing)],
        "policy": [*example_args(), "--policy", str(missing)],
        "streets": [*example_args(), "--streets", str(missing)],
    }[which]
    code, out, err = run(args, capsys)
    assert code == 2
    assert out == ""
    line = assert_one_line_error(err, missing)
    assert "not found" in line


def test_unwritable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no" / "such" / "folder" / "report.json"
    code, out, err = run(example_args("--output", str(target)), capsys)
    assert code == 2
    assert out == ""
    assert_one_line_error(err, target)


@pytest.mark.parametrize(
    "argv",
    [
        ["check", str(PLAN), "--bogus"],
        ["check"],
        ["check", str(PLAN), "--format", "xml"],
        ["check", str(PLAN), "--sites"],
    ],
    ids=["unknown-option", "no-plan", "bad-format", "option-without-value"],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert_one_line_error(err, "siting-planner check")


# --- the real entry point ---------------------------------------------------------------------


def test_module_entry_point(tmp_path: Path) -> None:
    good = subprocess.run(
        [sys.executable, "-m", "planner", *example_args("--format", "json")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert good.returncode == 1, good.stderr
    assert good.stderr == ""
    assert json.loads(good.stdout)["summary"] == {"cameras": 7, "block": 3, "warn": 2, "clear": 2}

    bad_plan = tmp_path / "bad.plan.geojson"
    bad_plan.write_text("[]", encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, "-m", "planner", "check", str(bad_plan)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert_one_line_error(bad.stderr, bad_plan)


def test_check_with_the_demo_data_pack(capsys: pytest.CaptureFixture[str]) -> None:
    demo = ROOT / "data" / "demo"
    code, out, err = run(
        [
            "check",
            str(demo / "demo.plan.geojson"),
            "--data",
            str(demo / "demo.gpkg"),
            "--format",
            "json",
        ],
        capsys,
    )
    assert code == 1, err
    report = json.loads(out)
    statuses = {c["id"]: c["status"] for c in report["cameras"]}
    assert statuses["C-1"] == "block" and statuses["C-2"] == "warn"
    assert report["summary"] == {"cameras": 6, "block": 1, "warn": 1, "clear": 4}
    kinds = [layer["kind"] for layer in report["layers"]]
    assert kinds == ["sites", "entrances", "buildings", "streets"]
    assert all(layer["features"] > 0 for layer in report["layers"])
    (block,) = [f for f in report["findings"] if f["severity"] == "block"]
    assert block["entrance_ids"] == ["demo-pow-1/e1"] and block["basis"] == "entrance"


def test_internal_error_is_one_line_with_exit_3(monkeypatch, capsys) -> None:
    import planner.cli as cli
    import planner.commands.check as check

    def boom(_ns):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(check, "run", boom)
    monkeypatch.delenv("SITING_PLANNER_DEBUG", raising=False)
    code = cli.main(["check", "x.plan.geojson"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.count("\n") == 1 and err.startswith(
        "error: internal error (RuntimeError: simulated bug)"
    )
    monkeypatch.setenv("SITING_PLANNER_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["check", "x.plan.geojson"])


def test_check_without_any_sites_layer_is_a_usage_error(capsys) -> None:
    # SPEC 6: "all clear" against no sites would be false.
    code, out, err = run(["check", str(PLAN)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no sites layer" in err and "--no-sites" in err
    code, out, _ = run(["check", str(PLAN), "--no-sites", "--format", "json"], capsys)
    report = json.loads(out)
    assert {f["rule"] for f in report["findings"]} <= {"prohibited_capability", "heading_unknown"}
    assert code == (1 if report["summary"]["block"] else 0)
    code, _, err = run(["check", str(PLAN), "--no-sites", "--sites", str(SITES)], capsys)
    assert code == 2 and "--no-sites cannot be combined" in err


def test_every_command_in_the_table_has_a_parser_and_a_run() -> None:
    # the dispatcher imports each command by the name in its table: a typo or a renamed
    # function would only show when that command runs
    import importlib

    from planner.cli import COMMANDS

    assert set(COMMANDS) == {
        "check",
        "import",
        "review",
        "report",
        "verify",
        "propose",
        "system-config",
    }
    for spec in COMMANDS.values():
        module = importlib.import_module(f"planner.commands.{spec.module}")
        assert callable(module.configure_parser) and callable(module.run), spec.module
