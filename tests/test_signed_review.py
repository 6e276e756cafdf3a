"""Signed review decisions (SPEC 8): SSHSIG interop with ssh-keygen, trust, forgeries, staleness.

Every forgery is made the way a person holding the plan file would make it (edit the
JSON), and judged at the command line: ``check --format json`` must show it stale with
the right reason and must not count it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from planner.cli import main
from planner.core import sshsig
from planner.core.review_canonical import canonical_json
from tests.signing_support import (
    Signer,
    make_signer,
    needs_ssh_keygen,
    ssh_keygen_sign,
    ssh_keygen_verify,
    write_allowed,
)

pytestmark = needs_ssh_keygen
ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "data" / "demo" / "demo.plan.geojson"
DEMO_PACK = ROOT / "data" / "demo" / "demo.gpkg"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    """The demo plan, two listed reviewers (dana, lee), one unlisted key (eve)."""
    plan = tmp_path / "demo.plan.geojson"
    shutil.copyfile(DEMO_PLAN, plan)
    keys = tmp_path / "keys"
    dana = make_signer(keys, "dana.ortiz@sanjoseca.gov", name="Dana Ortiz")
    lee = make_signer(keys, "lee.chan@sanjoseca.gov", name="Lee Chan")
    eve = make_signer(keys, "eve@example.org")
    allowed = write_allowed(
        tmp_path / "allowed_signers",
        "# trusted reviewers, kept by IT",
        dana.signer_line(),
        lee.signer_line(),
    )
    return {"plan": plan, "dana": dana, "lee": lee, "eve": eve, "allowed": allowed}


def decide(w: dict[str, Any], who: Signer, *decisions: str, allowed: Path | None = None) -> int:
    args = [
        "review",
        str(w["plan"]),
        "--data",
        str(DEMO_PACK),
        "--reviewer",
        who.principal,
        "--key",
        str(who.key),
        "--allowed-signers",
        str(allowed or w["allowed"]),
    ]
    for d in decisions:
        args += ["--decide-plan", d[5:]] if d.startswith("PLAN=") else ["--decide", d]
    code, _, err = run(*args)
    assert code == 0, err
    return code


def check_json(w: dict[str, Any], *extra: str) -> dict[str, Any]:
    code, out, err = run(
        "check",
        str(w["plan"]),
        "--data",
        str(DEMO_PACK),
        "--allowed-signers",
        str(w["allowed"]),
        "--format",
        "json",
        *extra,
    )
    assert code in (0, 1), err
    return json.loads(out)


def reviews(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c["review"] for c in report["cameras"] if "review" in c}


def decisions_of(plan: Path) -> list[dict[str, Any]]:
    return json.loads(plan.read_text())["siting_plan"]["review"]["decisions"]


def edit_decisions(plan: Path, change: Any) -> None:
    data = json.loads(plan.read_text())
    change(data["siting_plan"]["review"]["decisions"])
    plan.write_text(json.dumps(data))


# -- SSHSIG against the real ssh-keygen -------------------------------------------------------


def test_ssh_keygen_verifies_a_recorded_decision_and_prints_our_fingerprint(
    world: dict[str, Any], tmp_path: Path
) -> None:
    decide(world, world["dana"], "C-3=approve:clear of everything", "PLAN=needs_changes:C-1")
    for rec in decisions_of(world["plan"]):
        sig = rec.pop("signature")
        message = canonical_json(rec)
        assert ssh_keygen_verify(world["allowed"], world["dana"].principal, sig, message, tmp_path)
        # the key field is exactly what ssh-keygen -l prints
        assert rec["key"] == world["dana"].fingerprint()
        # and one changed byte is refused by ssh-keygen too
        assert not ssh_keygen_verify(
            world["allowed"], world["dana"].principal, sig, message + b" ", tmp_path
        )
    whole = decisions_of(world["plan"])[-1]
    assert whole["camera_id"] is None and len(whole["plan_sha256"]) == 64
    assert set(whole) >= {
        "camera_id", "plan_sha256", "decision", "comment", "reviewer", "reviewer_name",
        "key", "when", "status", "policy", "layers", "signature",
    }  # fmt: skip
    assert whole["reviewer_name"] == "Dana Ortiz" and whole["when"].endswith("Z")
    assert all(set(x) == {"kind", "sha256"} for x in whole["layers"])


def test_a_signature_made_by_ssh_keygen_verifies_here(tmp_path: Path) -> None:
    dana = make_signer(tmp_path, "dana@x")
    message = b'{"camera_id":"C-1","decision":"approve"}'
    sig = ssh_keygen_sign(dana, message, tmp_path)
    blob = sshsig.verify(sig, message)
    assert sshsig.fingerprint(blob) == dana.fingerprint()
    with pytest.raises(sshsig.SignatureError, match="does not match"):
        sshsig.verify(sig, message.replace(b"approve", b"reject"))
    with pytest.raises(sshsig.SignatureError, match="namespace"):
        sshsig.verify(sig, message, namespace="file")


@pytest.mark.parametrize(
    "damage, why",
    [
        (lambda s: s.replace("BEGIN", "BEGIN X"), "armoured"),
        (lambda s: s.replace("\n", "\n!", 1), "base64"),
        (lambda s: s[:-60] + "\n-----END SSH SIGNATURE-----\n", "truncated|base64"),
        (lambda s: s + "A" * 9000, "longer than"),
    ],
)
def test_damaged_armour_is_a_reason_not_a_crash(tmp_path: Path, damage: Any, why: str) -> None:
    dana = make_signer(tmp_path, "dana@x")
    sig = ssh_keygen_sign(dana, b"m", tmp_path)
    with pytest.raises(sshsig.SignatureError, match=why):
        sshsig.verify(damage(sig), b"m")


# -- allowed signers ---------------------------------------------------------------------------


def test_allowed_signers_forms_ssh_keygen_accepts(tmp_path: Path) -> None:
    a = make_signer(tmp_path, "a@x")
    b = make_signer(tmp_path, "b@x")
    c = make_signer(tmp_path, "c@x")
    allowed = write_allowed(
        tmp_path / "allowed",
        "# comment line",
        "",
        f"a@x,a.alias@x {a.public_line()} Ada A",
        f'b@x namespaces="siting-planner-review,file",valid-after="20200101" {b.public_line()}',
        f'*@ops.x namespaces="file" {c.public_line()}',
        f"  c@x\t{c.public_line()}",
    )
    parsed = sshsig.parse_allowed_signers(allowed.read_text())
    message = b"decision bytes"
    now = datetime.now(UTC)
    for signer, principal, ok in [
        (a, "a.alias@x", True),
        (b, "b@x", True),
        (c, "c@x", True),
        (c, "z@ops.x", False),  # that line is for namespace "file" only
        (a, "b@x", False),
    ]:
        sig = ssh_keygen_sign(signer, message, tmp_path)
        blob = sshsig.verify(sig, message)
        assert parsed.allows(principal, blob, now=now) is ok
        # ssh-keygen reads the same file the same way
        assert ssh_keygen_verify(allowed, principal, sig, message, tmp_path) is ok
    assert parsed.name_for("a@x", sshsig.verify(ssh_keygen_sign(a, b"m", tmp_path), b"m")) == (
        "Ada A"
    )


@pytest.mark.parametrize(
    "line, what",
    [
        ("dana@x", "missing key"),
        ("dana@x ssh-ed25519", "missing key"),
        ("dana@x ssh-ed25519 !!!notbase64", "not base64"),
        ("dana@x ssh-ed25519 AAAAC3NzaC1yc2EAAAADAQAB", "invalid key"),
        ('dana@x bogus-option="1" ssh-ed25519 KEY', "unsupported option"),
        ('dana@x namespaces="a ssh-ed25519 KEY', "closing quote|missing key"),
        ('dana@x valid-after="2020" ssh-ed25519 KEY', "YYYYMMDD"),
        ("dana@x foo-key AAAA", "missing key"),
        (",, ssh-ed25519 KEY", "principals"),
        ("dana@x\x1b[2J ssh-ed25519 KEY", "control characters"),
    ],
)
def test_malformed_allowed_signers_exit_2_one_line_nothing_recorded(
    world: dict[str, Any], line: str, what: str
) -> None:
    key = world["dana"].public_line().split()[1]
    bad = write_allowed(world["allowed"].with_name("bad"), line.replace("KEY", key))
    before = world["plan"].read_bytes()
    for cmd in ("review", "check", "verify"):
        args = [cmd, str(world["plan"]), "--allowed-signers", str(bad)]
        if cmd != "verify":
            args += ["--data", str(DEMO_PACK)]
        if cmd == "review":
            args += [
                "--reviewer",
                "dana@x",
                "--key",
                str(world["dana"].key),
                "--decide",
                "C-3=approve",
            ]
        code, _out, err = run(*args)
        assert code == 2, (cmd, err)
        assert err.startswith(f"error: {bad}: line 1: ") and err.count("\n") == 1, err
        assert re.search(what, err), err
        assert "\x1b" not in err
    assert world["plan"].read_bytes() == before


def test_an_oversized_allowed_signers_file_is_refused_before_parsing(tmp_path: Path) -> None:
    with pytest.raises(sshsig.SignersError, match="larger than"):
        sshsig.parse_allowed_signers("# x\n" * 300_000)


# -- bad input at review time: one line, exit 2, nothing recorded ---------------------------


def _review_args(w: dict[str, Any], who: str, key: Path, allowed: Path) -> list[str]:
    return [
        "review", str(w["plan"]), "--data", str(DEMO_PACK), "--reviewer", who,
        "--key", str(key), "--allowed-signers", str(allowed), "--decide", "C-3=approve",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "case, message",
    [
        ("unreadable key", "cannot read the key"),
        ("not a key", "not an OpenSSH private key"),
        ("key listed for another principal", "is listed for lee.chan@sanjoseca.gov"),
        ("unlisted key", "is not in the file"),
        ("bad --decide-plan", "--decide-plan"),
        ("spaces in the principal", "--reviewer PRINCIPAL"),
    ],
)
def test_bad_signing_input_exit_2_and_nothing_recorded(
    world: dict[str, Any], case: str, message: str
) -> None:
    dana, lee, eve = world["dana"], world["lee"], world["eve"]
    args = _review_args(world, dana.principal, dana.key, world["allowed"])
    if case == "unreadable key":
        args[args.index("--key") + 1] = str(world["plan"].with_name("missing_key"))
    elif case == "not a key":
        args[args.index("--key") + 1] = str(world["plan"])
    elif case == "key listed for another principal":
        args[args.index("--key") + 1] = str(lee.key)
    elif case == "unlisted key":
        args[args.index("--key") + 1] = str(eve.key)
    elif case == "bad --decide-plan":
        args += ["--decide-plan", "bless:it"]
    else:
        args[args.index("--reviewer") + 1] = "Dana Ortiz"
    before = world["plan"].read_bytes()
    code, out, err = run(*args)
    assert code == 2, err
    assert message in err and err.startswith("error: ") and err.count("\n") == 1, err
    assert world["plan"].read_bytes() == before and "recorded" not in out


def test_passphrase_from_a_descriptor_and_a_wrong_one(world: dict[str, Any]) -> None:
    """A script gives the passphrase on a pipe named by SITING_PLANNER_PASSPHRASE_FD."""
    keys = world["plan"].parent / "keys"
    kim = make_signer(keys, "kim@sanjoseca.gov", passphrase="correct horse")
    allowed = write_allowed(world["allowed"].with_name("kim_allowed"), kim.signer_line())
    before = world["plan"].read_bytes()

    def attempt(passphrase: str | None) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        fds: tuple[int, ...] = ()
        if passphrase is not None:
            r, w = os.pipe()
            os.write(w, passphrase.encode() + b"\n")
            os.close(w)
            env["SITING_PLANNER_PASSPHRASE_FD"] = str(r)
            fds = (r,)
        try:
            return subprocess.run(
                [sys.executable, "-m", "planner",
                 *_review_args(world, kim.principal, kim.key, allowed)],
                capture_output=True, text=True, env=env, pass_fds=fds,
                stdin=subprocess.DEVNULL, timeout=120, check=False,
            )  # fmt: skip
        finally:
            for fd in fds:
                os.close(fd)

    wrong = attempt("wrong horse")
    assert wrong.returncode == 2 and "wrong passphrase" in wrong.stderr
    assert wrong.stderr.count("\n") == 1
    none = attempt(None)  # no terminal, no descriptor
    assert none.returncode == 2 and "SITING_PLANNER_PASSPHRASE_FD" in none.stderr
    assert world["plan"].read_bytes() == before
    good = attempt("correct horse")
    assert good.returncode == 0, good.stderr
    assert "correct horse" not in good.stdout + good.stderr
    assert decisions_of(world["plan"])[-1]["reviewer"] == kim.principal


# -- forgeries: each is stale with its reason, and none counts -------------------------------


def _forge_copy_from_other_camera(decs: list[dict[str, Any]]) -> None:
    # copy C-4's approval onto C-3's id (reject -> approve)
    c4 = next(d for d in decs if d["camera_id"] == "C-4")
    c3 = next(d for d in decs if d["camera_id"] == "C-3")
    forged = dict(c4)
    forged["camera_id"] = "C-3"
    forged["camera_sha256"] = c3["camera_sha256"]
    decs.append(forged)


def _forge_edited_comment(decs: list[dict[str, Any]]) -> None:
    c4 = next(d for d in decs if d["camera_id"] == "C-4")
    c4["comment"] = "approved after site visit"


def _forge_unsigned(decs: list[dict[str, Any]]) -> None:
    c3 = dict(next(d for d in decs if d["camera_id"] == "C-3"))
    c3["decision"] = "approve"
    del c3["signature"]
    decs.append(c3)


def _forge_moved(decs: list[dict[str, Any]]) -> None:
    # C-4's genuine approval, untouched, now claims camera C-5
    c4 = dict(next(d for d in decs if d["camera_id"] == "C-4"))
    c4["camera_id"] = "C-5"
    decs.append(c4)


@pytest.mark.parametrize(
    "forge, camera, reasons, detail",
    [
        (_forge_copy_from_other_camera, "C-3", ["unverified"], "does not match"),
        (_forge_edited_comment, "C-4", ["unverified"], "does not match"),
        (_forge_unsigned, "C-3", ["unverified"], "no signature"),
        (_forge_moved, "C-5", ["unverified", "camera_changed"], "does not match"),
    ],
)
def test_forged_records_are_stale_and_never_counted(
    world: dict[str, Any], forge: Any, camera: str, reasons: list[str], detail: str
) -> None:
    decide(world, world["dana"], "C-3=reject:too close", "C-4=approve")
    honest = check_json(world)["summary"]["decisions"]
    assert honest["approve"] == 1 and honest["reject"] == 1
    edit_decisions(world["plan"], forge)
    report = check_json(world)
    review = reviews(report)[camera]
    assert review["current"] is False and review["verified"] is False
    assert review["reasons"] == reasons
    assert detail in review["signature"]
    counts = report["summary"]["decisions"]
    assert counts["approve"] == (0 if camera == "C-4" else 1)  # only the genuine C-4 counts
    # verify says the same, exit 1
    code, out, _ = run("verify", str(world["plan"]), "--allowed-signers", str(world["allowed"]))
    assert code == 1 and "UNVERIFIED" in out
    # the text output marks it too
    text = run("check", str(world["plan"]), "--data", str(DEMO_PACK),
               "--allowed-signers", str(world["allowed"]))[1]  # fmt: skip
    line = next(x for x in text.splitlines() if x.split()[1:2] == [camera])
    assert "STALE CLAIM, not counted" in line and reasons[0] in line


def test_wrong_key_and_key_of_another_principal(world: dict[str, Any], tmp_path: Path) -> None:
    """Signed with a key nobody listed, and with lee's key claiming to be dana."""
    from dataclasses import replace

    from cryptography.hazmat.primitives.serialization import load_ssh_private_key

    from planner.core.review_reading import review_from_json

    decide(world, world["dana"], "C-4=approve")
    for signer, detail in [
        (world["eve"], "not in the allowed signers"),
        (world["lee"], "is listed for lee.chan@sanjoseca.gov, not for dana.ortiz"),
    ]:
        key = load_ssh_private_key(signer.key.read_bytes(), None)

        def resign(decs: list[dict[str, Any]], key: Any = key) -> None:
            rec = review_from_json({"decisions": [decs[-1]]}, source="p").decisions[0]
            content = dict(rec.content())
            content["key"] = sshsig.fingerprint(sshsig.public_key_blob(key.public_key()))
            forged = replace(rec, raw=content)
            decs.append({**content, "signature": sshsig.sign(key, forged.signed_bytes())})

        edit_decisions(world["plan"], resign)
        review = reviews(check_json(world))["C-4"]
        assert review["reasons"] == ["unverified"] and detail in review["signature"]
        assert check_json(world)["summary"]["decisions"]["approve"] == 0
        # ssh-keygen agrees: the forged record does not verify for dana
        rec = decisions_of(world["plan"])[-1]
        sig = rec.pop("signature")
        assert not ssh_keygen_verify(
            world["allowed"], world["dana"].principal, sig, canonical_json(rec), tmp_path
        )


def test_old_unsigned_plans_open_and_their_decisions_are_unverified(
    world: dict[str, Any],
) -> None:
    data = json.loads(world["plan"].read_text())
    data["siting_plan"]["review"] = {
        "decisions": [
            {
                "camera_id": "C-3",
                "decision": "approve",
                "reviewer": "root",
                "when": "2026-01-01T00:00:00Z",
                "camera_sha256": "a" * 64,
            }
        ]
    }
    world["plan"].write_text(json.dumps(data))
    review = reviews(check_json(world))["C-3"]
    assert review["reasons"] == ["unverified", "camera_changed", "status_changed"]
    code, out, _ = run("verify", str(world["plan"]), "--allowed-signers", str(world["allowed"]))
    assert code == 1 and "no signature" in out


# -- the scenario: a new place of worship 45 m along the heading -----------------------


def test_approval_goes_stale_when_a_place_of_worship_appears_ahead(
    world: dict[str, Any], tmp_path: Path
) -> None:
    decide(world, world["dana"], "C-3=approve")  # C-3: heading 0°, range 60 m, clear
    report = check_json(world)
    assert reviews(report)["C-3"]["current"] is True
    assert report["summary"]["decisions"]["approve"] == 1
    cam = next(c for c in json.loads(world["plan"].read_text())["features"] if c["id"] == "C-3")
    lon, lat = cam["geometry"]["coordinates"]
    lat += 45 / 111_195  # 45 m north, along the heading
    d = 0.00008
    ring = [[lon - d, lat], [lon + d, lat], [lon + d, lat + 2 * d], [lon - d, lat + 2 * d]]
    sites = tmp_path / "new_chapel.geojson"
    sites.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": "pow-new",
                        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                        "properties": {
                            "category": "place_of_worship",
                            "name": "New Chapel",
                            "entrances": [[lon, lat]],
                        },
                    }
                ],
            }
        )
    )
    report = check_json(world, "--sites", str(sites))
    cams = {c["id"]: c for c in report["cameras"]}
    assert cams["C-3"]["status"] == "block"
    review = cams["C-3"]["review"]
    assert review["verified"] is True and review["current"] is False
    assert review["reasons"] == ["status_changed"] and review["notes"] == ["data_changed"]
    assert report["summary"]["decisions"]["approve"] == 0
    assert report["summary"]["decisions"]["stale"] == 1
    text = run("check", str(world["plan"]), "--data", str(DEMO_PACK), "--sites", str(sites),
               "--allowed-signers", str(world["allowed"]))[1]  # fmt: skip
    assert "0 approved" in text and "1 stale (not counted)" in text


# -- verify and where trust comes from --------------------------------------------------------


def test_verify_exit_codes_and_trust_source(world: dict[str, Any]) -> None:
    decide(world, world["dana"], "C-3=approve", "PLAN=needs_changes:C-1 blocks")
    code, out, _ = run("verify", str(world["plan"]), "--allowed-signers", str(world["allowed"]))
    assert code == 0, out
    assert out.count("VERIFIED ") == 2 and "(whole plan)" in out
    assert "chosen by the user (--allowed-signers)" in out
    code, out, _ = run("verify", str(world["plan"]))
    assert code == 1 and "trusted by nobody" in out
    code, _, err = run("verify", str(world["plan"].with_name("nope.plan.geojson")))
    assert code == 2 and err.count("\n") == 1


def test_managed_allowed_signers_win_over_the_users(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """IT names the allowed signers: --allowed-signers is ignored, with a warning."""
    from planner.io.config import managed_config

    decide(world, world["dana"], "C-3=approve")
    it_file = write_allowed(world["allowed"].with_name("it_signers"), world["lee"].signer_line())
    config = managed_config.ManagedConfig(
        sources=("/etc/siting-planner/config.toml",), allowed_signers=it_file
    )
    monkeypatch.setattr(managed_config, "load_managed_config", lambda **_: config)
    report = check_json(world)  # passes the user's file naming dana
    assert report["trust"]["from"] == "managed by IT"
    assert report["trust"]["allowed_signers"] == str(it_file)
    assert any("--allowed-signers" in w and "ignored" in w for w in report["warnings"])
    review = reviews(report)["C-3"]
    assert (
        review["reasons"] == ["unverified"] and "not in the allowed signers" in review["signature"]
    )
    # and dana cannot record a decision with the user's file either
    before = world["plan"].read_bytes()
    code, _, err = run(*_review_args(world, world["dana"].principal, world["dana"].key,
                                     world["allowed"]))  # fmt: skip
    assert code == 2 and "not in the file" in err and world["plan"].read_bytes() == before
