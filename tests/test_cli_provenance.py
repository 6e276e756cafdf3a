"""``check`` says, before any result, how its data differs from what the plan names (SPEC 5.1)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from planner.cli import main
from planner.io.checking.loader import LayerInfo
from planner.io.checking.provenance import (
    NamedPackState,
    compare_provenance,
    named_pack_for_check,
    provenance_lines,
)
from planner.io.formats.plan import PackLink, checked_with_json, pack_link_json
from planner.io.formats.policy import builtin_policy_path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
EXAMPLES = ROOT / "data" / "examples"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plan_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def packs(tmp_path: Path) -> tuple[Path, Path]:
    """Pack A (the demo) and pack B (the demo with one metadata value changed)."""
    a, b = tmp_path / "a" / "pack_a.gpkg", tmp_path / "b" / "pack_b.gpkg"
    for p in (a, b):
        p.parent.mkdir()
        shutil.copyfile(DEMO / "demo.gpkg", p)
    con = sqlite3.connect(b)
    with con:
        con.execute("UPDATE pack_metadata SET value = ? WHERE key = 'note'", ('"pack B"',))
    con.close()
    assert sha(a) != sha(b)
    return a, b


def checked_plan(
    tmp_path: Path, pack: Path, capsys: pytest.CaptureFixture[str], *, policy: Path | None = None
) -> Path:
    """The demo plan, checked with ``pack`` and saved with what judged it (as the app does)."""
    plan = tmp_path / "checked.plan.geojson"
    shutil.copyfile(DEMO / "demo.plan.geojson", plan)
    extra = [] if policy is None else ["--policy", str(policy)]
    code, out, err = run(
        ["check", str(plan), "--data", str(pack), "--format", "json", *extra], capsys
    )
    assert code == 1, err
    report = json.loads(out)
    data = plan_json(plan)
    pol = report["policy"]
    data["siting_plan"]["checked_with"] = checked_with_json(
        policy_id=pol["id"],
        policy_version=pol["version"],
        policy_sha256=pol["sha256"],
        layers=report["layers"],
    )
    data["siting_plan"]["data_pack"] = pack_link_json(pack=pack, plan_path=plan, sha256=sha(pack))
    write_json(plan, data)
    return plan


def before_results(out: str) -> list[str]:
    """The report's lines before the first camera line."""
    head = out.split("\n\n", 1)[0]
    assert "BLOCK" not in head and "CLEAR" not in head
    return head.splitlines()


def test_same_pack_and_policy_match(tmp_path, packs, capsys) -> None:
    a, _ = packs
    plan = checked_plan(tmp_path, a, capsys)
    code, out, _ = run(["check", str(plan), "--data", str(a), "--format", "json"], capsys)
    prov = json.loads(out)["provenance"]
    assert code == 1 and prov["status"] == "matches" and prov["differences"] == []
    assert prov["claimed"]["data_pack"]["sha256"] == sha(a)
    assert prov["used"]["data_pack"] == {"path": str(a), "sha256": sha(a), "named_by_plan": False}
    code, out, _ = run(["check", str(plan), "--data", str(a)], capsys)
    assert "Provenance: this check uses the policy and layers the plan was checked with" in out


def test_checked_with_pack_a_then_checked_with_pack_b(tmp_path, packs, capsys) -> None:
    a, b = packs
    plan = checked_plan(tmp_path, a, capsys)
    code, out, _ = run(["check", str(plan), "--data", str(b), "--format", "json"], capsys)
    report = json.loads(out)
    assert code == 1
    # SPEC 6 keys unchanged; provenance is an addition.
    assert {"tool", "plan", "policy", "layers", "cameras", "findings", "summary"} < set(report)
    prov = report["provenance"]
    assert prov["status"] == "differs"
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for d in prov["differences"]:
        by_kind.setdefault(d["kind"], []).append(d)
    assert set(by_kind) == {"pack_sha256", "layer_changed"}
    (pack,) = by_kind["pack_sha256"]
    assert pack["claimed"]["sha256"] == sha(a) and pack["used"]["sha256"] == sha(b)
    changed = {d["what"]: d for d in by_kind["layer_changed"]}
    assert set(changed) == {"sites layer", "entrances layer", "buildings layer", "streets layer"}
    assert changed["sites layer"]["claimed"]["sha256"] == sha(a)
    assert changed["sites layer"]["used"] == {
        "kind": "sites",
        "path": f"{b}#sites",
        "sha256": sha(b),
    }
    code, out, _ = run(["check", str(plan), "--data", str(b)], capsys)
    head = before_results(out)
    diffs = [line for line in head if line.startswith("Provenance: DIFFERS:")]
    assert len(diffs) == 5
    assert f"sha256 is {sha(b)[:12]}" in diffs[0] and f"sha256 {sha(a)[:12]}" in diffs[0]
    assert any(line.startswith("Provenance: DIFFERS: sites layer:") for line in diffs)


def test_same_pack_under_another_name_is_no_difference(tmp_path, packs, capsys) -> None:
    a, _ = packs
    plan = checked_plan(tmp_path, a, capsys)
    moved = tmp_path / "renamed.gpkg"
    shutil.copyfile(a, moved)
    _, out, _ = run(["check", str(plan), "--data", str(moved), "--format", "json"], capsys)
    assert json.loads(out)["provenance"]["differences"] == []


def test_plan_naming_a_missing_pack_says_so_before_results(tmp_path, packs, capsys) -> None:
    a, _ = packs
    plan = checked_plan(tmp_path, a, capsys)
    a.unlink()
    sites = EXAMPLES / "example_sites.geojson"
    code, out, _ = run(["check", str(plan), "--sites", str(sites)], capsys)
    head = before_results(out)
    assert any(
        "pack_a.gpkg" in line and "it is not there" in line and "does not use it" in line
        for line in head
        if line.startswith("Provenance: DIFFERS:")
    )
    # Three pack layers it was checked with are not used; its sites layer is another file.
    assert sum("is not used by this check" in line for line in head) == 3
    assert any(
        line.startswith(
            "Provenance: DIFFERS: sites layer: used with another sha256: the plan was checked with"
        )
        and "example_sites.geojson" in line
        for line in head
    )
    _, out, _ = run(["check", str(plan), "--sites", str(sites), "--format", "json"], capsys)
    kinds = sorted(d["kind"] for d in json.loads(out)["provenance"]["differences"])
    assert kinds == ["layer_changed", *["layer_missing"] * 3, "pack_not_used"]
    # Without any data option, a check never picks other data: a usage error naming the pack.
    code, out, err = run(["check", str(plan)], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "pack_a.gpkg" in err and "--data PACK" in err and "not there" in err


def test_plan_without_checked_with_has_no_provenance_claim(capsys) -> None:
    plan, sites = EXAMPLES / "example.plan.geojson", EXAMPLES / "example_sites.geojson"
    code, out, _ = run(["check", str(plan), "--sites", str(sites)], capsys)
    head = before_results(out)
    assert code == 1  # the examples' designed blocks: exit status unchanged by provenance
    assert any(line.startswith("Provenance: the plan has no provenance claim") for line in head)
    _, out, _ = run(["check", str(plan), "--sites", str(sites), "--format", "json"], capsys)
    prov = json.loads(out)["provenance"]
    assert prov["status"] == "no_claim" and prov["differences"] == []
    assert prov["claimed"] == {"checked_with": None, "data_pack": None}


def test_policy_difference_is_reported(tmp_path, packs, capsys) -> None:
    a, _ = packs
    plan = checked_plan(tmp_path, a, capsys)
    other = tmp_path / "other_policy.toml"
    text = builtin_policy_path().read_text(encoding="utf-8")
    assert 'version = "2026-03-10"' in text
    other.write_text(
        text.replace('version = "2026-03-10"', 'version = "2099-01-01"', 1), encoding="utf-8"
    )
    code, out, _ = run(
        ["check", str(plan), "--data", str(a), "--policy", str(other), "--format", "json"], capsys
    )
    assert code == 1
    diffs = json.loads(out)["provenance"]["differences"]
    assert {(d["kind"], d["what"]) for d in diffs} == {
        ("policy", "policy version"),
        ("policy", "policy sha256"),
    }
    version = next(d for d in diffs if d["what"] == "policy version")
    assert version["claimed"] == "2026-03-10" and version["used"] == "2099-01-01"
    _, out, _ = run(["check", str(plan), "--data", str(a), "--policy", str(other)], capsys)
    assert any(
        "policy version: the plan was checked with 2026-03-10, this check uses 2099-01-01" in line
        for line in before_results(out)
    )


def test_no_data_uses_the_pack_beside_the_plan(tmp_path, capsys) -> None:
    shutil.copyfile(DEMO / "demo.plan.geojson", tmp_path / "demo.plan.geojson")
    shutil.copyfile(DEMO / "demo.gpkg", tmp_path / "demo.gpkg")
    plan = tmp_path / "demo.plan.geojson"
    code, out, err = run(["check", str(plan), "--format", "json"], capsys)
    assert code == 1, err
    report = json.loads(out)
    assert report["summary"] == {"cameras": 6, "block": 1, "warn": 1, "clear": 4}
    used = report["provenance"]["used"]["data_pack"]
    assert used["named_by_plan"] is True and Path(used["path"]).name == "demo.gpkg"
    assert report["provenance"]["status"] == "matches"
    assert {layer["sha256"] for layer in report["layers"]} == {sha(DEMO / "demo.gpkg")}
    # The pack beside the plan changed since: used (it is the one named) but said first.
    con = sqlite3.connect(tmp_path / "demo.gpkg")
    with con:
        con.execute("UPDATE pack_metadata SET value = ? WHERE key = 'note'", ('"edited"',))
    con.close()
    code, out, _ = run(["check", str(plan)], capsys)
    assert any(
        line.startswith("Provenance: DIFFERS: data pack") and "is not the one" in line
        for line in before_results(out)
    )
    # --no-sites asks for the capability rule alone: the named pack is not used, and said so.
    code, out, _ = run(["check", str(plan), "--no-sites", "--format", "json"], capsys)
    prov = json.loads(out)["provenance"]
    assert [d["kind"] for d in prov["differences"]] == ["pack_not_used"]


@pytest.mark.parametrize("where", ["outside", "network", "symlink_out", "absolute_out"])
def test_named_pack_outside_the_plan_folder_needs_data(tmp_path, capsys, where) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    outside = tmp_path / "elsewhere.gpkg"
    shutil.copyfile(DEMO / "demo.gpkg", outside)
    link: Any = {
        "outside": {"path": "../elsewhere.gpkg"},
        "network": {"path": "//fileserver/share/city.gpkg"},
        "symlink_out": {"path": "linked.gpkg"},
        "absolute_out": {"path": "gone.gpkg", "absolute": str(outside)},
    }[where]
    if where == "symlink_out":
        (folder / "linked.gpkg").symlink_to(outside)
    plan = folder / "p.plan.geojson"
    data = plan_json(DEMO / "demo.plan.geojson")
    data["siting_plan"]["data_pack"] = link
    write_json(plan, data)
    code, out, err = run(["check", str(plan)], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "--data PACK" in err
    assert ("network path" if where == "network" else "outside the plan's folder") in err


def test_control_characters_in_claims_are_escaped(tmp_path, packs, capsys) -> None:
    a, _ = packs
    plan = checked_plan(tmp_path, a, capsys)
    data = plan_json(plan)
    data["siting_plan"]["checked_with"]["layers"].append(
        {"kind": "sites", "path": "evil\x1b[31m\nBLOCK  C-9.geojson", "sha256": "0" * 64}
    )
    write_json(plan, data)
    code, out, _ = run(["check", str(plan), "--data", str(a)], capsys)
    assert code == 1
    assert "\x1b" not in out and "evil\\e[31m\\nBLOCK  C-9.geojson" in out
    assert not any(line.startswith("BLOCK  C-9") for line in out.splitlines())
    _, out, _ = run(["check", str(plan), "--data", str(a), "--format", "json"], capsys)
    assert "\x1b" not in out
    assert any(d["kind"] == "layer_missing" for d in json.loads(out)["provenance"]["differences"])


def test_unreadable_claims_are_differences_not_trusted() -> None:
    prov = compare_provenance(
        extra={"checked_with": {"policy": "san-jose", "layers": [{"kind": 3}, "x"]}},
        link=None,
        plan_path="p.plan.geojson",
        policy_id="p",
        policy_version="1",
        policy_sha256="a" * 64,
        layers=[],
        pack=None,
    )
    whats = [d.what for d in prov.differences]
    assert whats == [
        "siting_plan.checked_with.policy",
        "siting_plan.checked_with.layers[1]",
        "siting_plan.checked_with.layers[2]",
    ]
    assert all(d.kind == "claim_unreadable" for d in prov.differences)
    assert provenance_lines(prov.to_json())[0].startswith("Provenance: DIFFERS: siting_plan")


def test_layer_pairing_by_kind_and_sha() -> None:
    claimed = [
        {"kind": "sites", "path": "old/s.geojson", "sha256": "1" * 64},
        {"kind": "buildings", "path": "b.geojson", "sha256": "2" * 64},
        {"kind": "streets", "path": "st.gpkg", "sha256": "3" * 64},
    ]
    used = [
        LayerInfo("sites", "new/s.geojson", "1" * 64, 5),  # moved, same content
        LayerInfo("buildings", "b2.geojson", "4" * 64, 9),  # the one buildings layer, changed
        LayerInfo("sites", "extra.geojson", "5" * 64, 1),  # never named
    ]
    prov = compare_provenance(
        extra={
            "checked_with": checked_with_json(
                policy_id="p", policy_version="1", policy_sha256="a" * 64, layers=claimed
            )
        },
        link=None,
        plan_path="p.plan.geojson",
        policy_id="p",
        policy_version="1",
        policy_sha256="a" * 64,
        layers=used,
        pack=None,
    )
    got = sorted((d.kind, d.what) for d in prov.differences)
    assert got == [
        ("layer_changed", "buildings layer"),
        ("layer_missing", "streets layer"),
        ("layer_unnamed", "sites layer"),
    ]


def test_named_pack_classification(tmp_path: Path) -> None:
    plan = tmp_path / "p.plan.geojson"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.gpkg").write_bytes(b"")
    found = named_pack_for_check(PackLink(path="sub/x.gpkg"), plan_path=plan)
    assert found.state is NamedPackState.FOUND and found.path == (tmp_path / "sub" / "x.gpkg")
    missing = named_pack_for_check(PackLink(path="sub/y.gpkg"), plan_path=plan)
    assert missing.state is NamedPackState.MISSING
    unc = named_pack_for_check(PackLink(path="\\\\host\\share\\x.gpkg"), plan_path=plan)
    assert unc.state is NamedPackState.NETWORK
    # A relative path that climbs out of the plan's folder is not opened unasked.
    climb = named_pack_for_check(PackLink(path="../x.gpkg"), plan_path=plan)
    assert climb.state is NamedPackState.OUTSIDE
