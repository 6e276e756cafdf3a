"""SPEC 8 review: hashes, decisions, staleness, the change list and ``review --decide``."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest

from planner.cli import main
from planner.core.errors import InputError
from planner.core.review import (
    CameraSnapshot,
    Decision,
    DecisionRefused,
    ReviewLog,
    parse_decide,
    refusal,
)
from planner.core.review_canonical import camera_hash, plan_hash
from planner.core.review_changes import ChangeKind, changes_since, ground_distance_m
from planner.core.review_currency import decision_states
from planner.core.review_reading import review_from_json
from tests.signing_support import make_signer, needs_ssh_keygen, write_allowed

pytestmark = needs_ssh_keygen
ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "data" / "demo" / "demo.plan.geojson"
DEMO_PACK = ROOT / "data" / "demo" / "demo.gpkg"


def feature(cid: str, lon: float, lat: float, **props: object) -> dict:
    base = {"heading_deg": 90.0, "fov_deg": 40.0, "range_m": 50.0, "status": "proposed"}
    base.update(props)
    return {
        "type": "Feature",
        "id": cid,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": base,
    }


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def ada(tmp_path: Path) -> list[str]:
    """``--reviewer --key --allowed-signers`` of a reviewer listed as ada@example.org."""
    s = make_signer(tmp_path / "keys", "ada@example.org", name="Ada Lovelace")
    allowed = write_allowed(tmp_path / "allowed_signers", s.signer_line())
    return ["--reviewer", s.principal, "--key", str(s.key), "--allowed-signers", str(allowed)]


@pytest.fixture
def demo_plan(tmp_path: Path) -> Path:
    path = tmp_path / "demo.plan.geojson"
    shutil.copyfile(DEMO_PLAN, path)
    return path


# -- hashes ---------------------------------------------------------------------------------


def test_camera_hash_is_sha256_of_the_canonical_json_spelled_out() -> None:
    f = feature("C-1", -121.123456789, 37.5, label="Gate", heading_deg=90.0)
    # written by hand: sorted keys, no whitespace, coordinates to 8 decimals, 90.0 as 90
    text = (
        '{"coordinates":[-121.12345679,37.5],"id":"C-1","properties":{"fov_deg":40,'
        '"heading_deg":90,"label":"Gate","range_m":50,"status":"proposed"}}'
    )
    assert camera_hash(f) == hashlib.sha256(text.encode()).hexdigest()


def test_camera_hash_ignores_key_order_and_float_spelling_but_not_content() -> None:
    a = feature("C-1", -121.9, 37.3)
    b = {
        "properties": dict(reversed(list(a["properties"].items()))),
        "id": "C-1",
        "geometry": {"coordinates": [-121.9000000001, 37.3], "type": "Point"},
    }
    b["properties"]["fov_deg"] = 40  # an int, as another tool might write it
    assert camera_hash(a) == camera_hash(b)
    c = feature("C-1", -121.9, 37.3, heading_deg=91.0)
    assert camera_hash(c) != camera_hash(a)
    d = feature("C-1", -121.9, 37.30000002)
    assert camera_hash(d) != camera_hash(a)


def test_plan_hash_is_id_ordered_and_names_the_plan() -> None:
    a, b = feature("A", -121.9, 37.3), feature("B", -121.8, 37.3)
    assert plan_hash([a, b], name="P") == plan_hash([b, a], name="P")
    assert plan_hash([a, b], name="P") != plan_hash([a, b], name="Q")
    text = json.dumps(
        {
            "cameras": [
                {
                    "coordinates": [-121.9, 37.3],
                    "id": "A",
                    "properties": {
                        "fov_deg": 40,
                        "heading_deg": 90,
                        "range_m": 50,
                        "status": "proposed",
                    },
                },
                {
                    "coordinates": [-121.8, 37.3],
                    "id": "B",
                    "properties": {
                        "fov_deg": 40,
                        "heading_deg": 90,
                        "range_m": 50,
                        "status": "proposed",
                    },
                },
            ],
            "name": "P",
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    assert plan_hash([a, b], name="P") == hashlib.sha256(text.encode()).hexdigest()


# -- decisions -----------------------------------------------------------------------------


def test_parse_decide_forms() -> None:
    assert parse_decide("C-1=approve") == ("C-1", Decision.APPROVE, "")
    assert parse_decide("C-1=reject:too close: to the church") == (
        "C-1",
        Decision.REJECT,
        "too close: to the church",
    )
    assert parse_decide("a=b=needs_changes:x") == ("a=b", Decision.NEEDS_CHANGES, "x")
    for bad in ("C-1", "C-1=maybe", "=approve", "C-1=Approve"):
        with pytest.raises(DecisionRefused):
            parse_decide(bad)


def test_refusal_rules() -> None:
    assert refusal("C-1", Decision.APPROVE, status="block") is not None
    assert refusal("C-1", Decision.REJECT, status="block") is None
    assert refusal("C-1", Decision.APPROVE, status="warn") is None
    assert "unknown camera" in refusal("X", Decision.REJECT, status=None)


def test_decisions_go_stale_when_the_camera_changes_or_goes() -> None:
    raw = {
        "decisions": [
            {
                "camera_id": "A",
                "decision": "approve",
                "reviewer": "R",
                "when": "2026-01-01T00:00:00Z",
                "camera_sha256": "a" * 64,
            },
            {
                "camera_id": "B",
                "decision": "reject",
                "reviewer": "R",
                "when": "2026-01-01T00:00:00Z",
                "camera_sha256": "b" * 64,
            },
            {
                "camera_id": "A",
                "decision": "reject",
                "reviewer": "S",
                "when": "2026-01-02T00:00:00Z",
                "camera_sha256": "c" * 64,
            },
        ]
    }
    log = review_from_json(raw, source="p")
    states = decision_states(log, {"A": "c" * 64, "C": "d" * 64})
    assert states["A"].record.reviewer == "S"  # the newest decision counts
    # unsigned (an older plan's records): never current, and still read
    assert states["A"].reasons == ("unverified",)
    assert "no signature" in states["A"].reason
    assert states["B"].reasons == ("unverified", "camera_gone")
    assert "removed" in states["B"].reason
    assert "C" not in states
    changed = decision_states(log, {"A": "e" * 64})
    assert changed["A"].reasons == ("unverified", "camera_changed")


@pytest.mark.parametrize(
    "raw, where",
    [
        ([], "siting_plan.review"),
        (
            {
                "decisions": [
                    {
                        "camera_id": "A",
                        "decision": "ok",
                        "reviewer": "R",
                        "when": "t",
                        "camera_sha256": "a" * 64,
                    }
                ]
            },
            "decision",
        ),
        (
            {
                "decisions": [
                    {
                        "camera_id": "A",
                        "decision": "approve",
                        "reviewer": "R",
                        "when": "t",
                        "camera_sha256": "nothex",
                    }
                ]
            },
            "camera_sha256",
        ),
        (
            {
                "decisions": [
                    {"decision": "approve", "reviewer": "R", "when": "t", "camera_sha256": "a" * 64}
                ]
            },
            "camera_id",
        ),
        (
            {
                "sessions": [
                    {
                        "when": "t",
                        "reviewer": "R",
                        "plan_sha256": "a" * 64,
                        "cameras": [{"id": "A", "coordinates": [1e999, 0], "sha256": "a" * 64}],
                    }
                ]
            },
            "coordinates",
        ),
    ],
)
def test_hostile_review_members_are_input_errors(raw: object, where: str) -> None:
    with pytest.raises(InputError) as exc:
        review_from_json(raw, source="p.plan.geojson")
    assert where in str(exc.value)


# -- change list ---------------------------------------------------------------------------


def test_change_list_added_removed_moved_reaimed_changed() -> None:
    lon, lat = -121.89, 37.33
    before = [
        CameraSnapshot.of(f)
        for f in (
            feature("moved", lon, lat),
            feature("aimed", lon, lat, heading_deg=10.0),
            feature("gone", lon, lat),
            feature("same", lon, lat),
            feature("ranged", lon, lat, range_m=50.0),
        )
    ]
    # 0.0001° of latitude is 11.1 m (hand-computed: 6371008.8 m * pi / 180 * 1e-4)
    after = [
        CameraSnapshot.of(f)
        for f in (
            feature("moved", lon, lat + 1e-4),
            feature("aimed", lon, lat, heading_deg=350.0),
            feature("same", lon, lat),
            feature("ranged", lon, lat, range_m=80.0),
            feature("new", lon, lat),
        )
    ]
    changes = {c.camera_id: c for c in changes_since(before, after)}
    assert set(changes) == {"moved", "aimed", "gone", "ranged", "new"}
    assert changes["new"].kinds == (ChangeKind.ADDED,)
    assert changes["gone"].kinds == (ChangeKind.REMOVED,)
    assert changes["moved"].kinds == (ChangeKind.MOVED,)
    assert changes["moved"].moved_m == pytest.approx(11.1195, abs=0.01)
    assert changes["aimed"].kinds == (ChangeKind.REAIMED,)
    assert changes["aimed"].reaimed_deg == pytest.approx(20.0)  # across north, not 340
    assert changes["ranged"].kinds == (ChangeKind.CHANGED,)
    assert changes["ranged"].fields == ("range_m",)
    assert "moved 11.1 m" in changes["moved"].describe()
    assert "re-aimed 20°" in changes["aimed"].describe()


def test_ground_distance_hand_computed() -> None:
    # one degree of longitude on the equator: 2 * pi * R / 360
    assert ground_distance_m(0, 0, 1, 0) == pytest.approx(111195.08, abs=0.05)


# -- the review command --------------------------------------------------------------------


def test_review_decide_records_appends_and_check_json_shows_it(
    demo_plan: Path, ada: list[str], tmp_path: Path
) -> None:
    code, out, err = run(
        "review",
        str(demo_plan),
        "--data",
        str(DEMO_PACK),
        *ada,
        "--decide",
        "C-1=reject:captures the church",
        "--decide",
        "C-3=approve",
    )
    assert code == 0, err
    assert "recorded reject for C-1" in out and "recorded approve for C-3" in out
    data = json.loads(demo_plan.read_text())
    decisions = data["siting_plan"]["review"]["decisions"]
    assert [d["camera_id"] for d in decisions] == ["C-1", "C-3"]
    assert decisions[0]["comment"] == "captures the church"
    assert decisions[0]["policy"]["id"] and decisions[0]["layers"]
    audit = [a for a in data["siting_plan"]["audit"] if a["action"] == "review"]
    assert {a["camera_id"] for a in audit} == {"C-1", "C-3"}
    # a second decision (another reviewer) appends; the first is kept
    bob = make_signer(tmp_path / "keys", "bob@example.org", name="Bob")
    allowed = Path(ada[-1])
    allowed.write_text(allowed.read_text() + bob.signer_line() + "\n")
    code, _, err = run(
        "review",
        str(demo_plan),
        "--data",
        str(DEMO_PACK),
        "--reviewer",
        bob.principal,
        "--key",
        str(bob.key),
        "--allowed-signers",
        str(allowed),
        "--decide",
        "C-3=needs_changes:turn it",
    )
    assert code == 0, err
    decisions = json.loads(demo_plan.read_text())["siting_plan"]["review"]["decisions"]
    assert [d["decision"] for d in decisions] == ["reject", "approve", "needs_changes"]
    code, out, _ = run(
        "check",
        str(demo_plan),
        "--data",
        str(DEMO_PACK),
        "--format",
        "json",
        "--allowed-signers",
        str(allowed),
    )
    report = json.loads(out)
    cams = {c["id"]: c for c in report["cameras"]}
    review = cams["C-3"]["review"]
    assert {k: review[k] for k in ("decision", "reviewer", "verified", "current", "stale")} == {
        "decision": "needs_changes",
        "reviewer": "bob@example.org",
        "verified": True,
        "current": True,
        "stale": False,
    }
    assert review["reasons"] == [] and review["when"].endswith("Z")
    assert "review" not in cams["C-2"]
    assert len(report["plan"]["canonical_sha256"]) == 64


def test_editing_a_decided_camera_makes_it_stale_in_check_json(
    demo_plan: Path, ada: list[str]
) -> None:
    assert (
        run(
            "review",
            str(demo_plan),
            "--data",
            str(DEMO_PACK),
            *ada,
            "--decide",
            "C-3=approve",
            "--decide",
            "C-4=approve",
        )[0]
        == 0
    )
    data = json.loads(demo_plan.read_text())
    before = json.loads(
        run("check", str(demo_plan), "--data", str(DEMO_PACK), "--format", "json")[1]
    )["plan"]["canonical_sha256"]
    for f in data["features"]:
        if f["id"] == "C-3":
            f["properties"]["heading_deg"] = (f["properties"]["heading_deg"] + 5) % 360
    demo_plan.write_text(json.dumps(data))
    report = json.loads(
        run("check", str(demo_plan), "--data", str(DEMO_PACK), "--format", "json", *ada[4:])[1]
    )
    cams = {c["id"]: c for c in report["cameras"]}
    assert cams["C-3"]["review"]["stale"] is True
    assert cams["C-3"]["review"]["reasons"] == ["camera_changed"]
    assert cams["C-4"]["review"]["stale"] is False
    assert report["plan"]["canonical_sha256"] != before


@pytest.mark.parametrize(
    "decide, message",
    [
        ("C-1=approve", "cannot be approved"),  # C-1 is blocked in the demo
        ("NOPE=reject", "unknown camera id"),
        ("C-2=accept", "decision must be one of"),
    ],
)
def test_refused_decisions_exit_2_and_write_nothing(
    demo_plan: Path, decide: str, message: str, ada: list[str]
) -> None:
    before = demo_plan.read_bytes()
    code, out, err = run(
        "review",
        str(demo_plan),
        "--data",
        str(DEMO_PACK),
        *ada,
        "--decide",
        "C-3=approve",
        "--decide",
        decide,
    )
    assert code == 2
    assert message in err and err.startswith("error: ") and err.count("\n") == 1
    assert demo_plan.read_bytes() == before
    assert "recorded" not in out


def test_decide_needs_a_reviewer(demo_plan: Path) -> None:
    before = demo_plan.read_bytes()
    code, _, err = run(
        "review", str(demo_plan), "--data", str(DEMO_PACK), "--decide", "C-3=approve"
    )
    assert code == 2 and "--reviewer" in err
    assert demo_plan.read_bytes() == before


def test_review_log_round_trips_unknown_keys(demo_plan: Path) -> None:
    from planner.io.formats.plan import read_plan, write_plan
    from planner.io.formats.review_store import review_log

    data = json.loads(demo_plan.read_text())
    data["siting_plan"]["review"] = {"decisions": [], "sessions": [], "x-future": {"k": 1}}
    demo_plan.write_text(json.dumps(data))
    plan = read_plan(demo_plan)
    assert isinstance(review_log(plan), ReviewLog)
    out = demo_plan.with_name("out.plan.geojson")
    write_plan(plan, out)
    assert json.loads(out.read_text())["siting_plan"]["review"]["x-future"] == {"k": 1}


def test_check_json_plan_hash_matches_a_hand_written_canonical_text(tmp_path: Path) -> None:
    # File order; id order puts "A-10" first. 90.0 and 40 are whole numbers
    # (written as integers), the coordinate has 9 decimals (rounded to 8), the label
    # is not ASCII (kept as UTF-8), and the camera without a decision needs no hash.
    feats = [
        feature("A-2", -121.123456789, 37.5, fov_deg=40, label="Café"),
        feature("A-10", -121.8, 37.25, heading_deg=12.5, range_m=30.0),
    ]
    meta = {"format": "siting-plan", "format_version": 1, "name": "Tiny"}
    plan = tmp_path / "tiny.plan.geojson"
    plan.write_text(
        json.dumps({"type": "FeatureCollection", "siting_plan": meta, "features": feats}),
        encoding="utf-8",
    )
    text = (
        '{"cameras":['
        '{"coordinates":[-121.8,37.25],"id":"A-10","properties":{"fov_deg":40,'
        '"heading_deg":12.5,"range_m":30,"status":"proposed"}},'
        '{"coordinates":[-121.12345679,37.5],"id":"A-2","properties":{"fov_deg":40,'
        '"heading_deg":90,"label":"Café","range_m":50,"status":"proposed"}}'
        '],"name":"Tiny"}'
    )
    code, out, _ = run("check", str(plan), "--no-sites", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["plan"]["canonical_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert all("review" not in c for c in report["cameras"])


def test_check_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path) -> None:
    import gc

    plan = tmp_path / "one.plan.geojson"
    meta = {"format": "siting-plan", "format_version": 1, "name": "One"}
    feats = [feature("C-1", -121.9, 37.3)]
    plan.write_text(
        json.dumps({"type": "FeatureCollection", "siting_plan": meta, "features": feats})
    )
    assert gc.isenabled()
    assert run("check", str(plan), "--no-sites", "--format", "json")[0] == 0
    assert gc.isenabled()
    gc.disable()
    try:
        assert run("check", str(plan), "--no-sites")[0] == 0
        assert not gc.isenabled()
    finally:
        gc.enable()
