"""IT's lock holds (issue 16 item 4, issue 22 item 6): nothing the user controls replaces it.

The bypasses a user could try, each at the boundary they would use: environment
variables, options, the plan's own pack, a copy of the program, and hostile config
files at the real system path (``tests/system_config.py`` gives the command its own
``/etc``).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import planner.io.config.managed_config as managed_config
import planner.io.config.managed_enforcement as managed_enforcement
from planner.io.config.managed_enforcement import (
    ManagedConfigUnusable,
    enforce_managed,
    resolve_allowed_signers,
)
from planner.resources import data_path
from tests.signing_support import signer_args
from tests.system_config import ROOT, clean_env, run_with_system_config

pytestmark = pytest.mark.packaging

DEMO_PLAN = data_path("demo", "demo.plan.geojson")
DEMO_PACK = data_path("demo", "demo.gpkg")
BUILTIN_POLICY = data_path("policies", "san_jose_alpr_2026.toml")
EXAMPLE_SITES = data_path("examples", "example_sites.geojson")


def _lax_policy(folder: Path, *, name: str = "san_jose_alpr_2026.toml") -> Path:
    """The built-in policy with every category ignored: same id, same version."""
    text = BUILTIN_POLICY.read_text(encoding="utf-8").replace(
        'action = "block"', 'action = "ignore"'
    )
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / name
    out.write_text(text, encoding="utf-8")
    return out


def _it_pack(tmp_path: Path) -> Path:
    pack = tmp_path / "it" / "city.gpkg"
    pack.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEMO_PACK, pack)
    return pack


def _plan_without_pack(folder: Path) -> Path:
    doc = json.loads(DEMO_PLAN.read_text(encoding="utf-8"))
    doc["siting_plan"].pop("data_pack", None)
    out = folder / "nopack.plan.geojson"
    out.write_text(json.dumps(doc), encoding="utf-8")
    return out


@pytest.fixture
def system_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """In-process: point the planner at a config through the tests' own route."""
    monkeypatch.setenv("SITING_PLANNER_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("SITING_PLANNER_RECOVERY_DIR", str(tmp_path / "recovery"))

    def write(body: str) -> Path:
        path = tmp_path / "config.toml"
        path.write_text(body, encoding="utf-8")
        monkeypatch.setattr(managed_config, "_config_path_for_tests", path)
        return path

    return write


# -- environment variables, a copy of the program (the real /etc path) ----------------------
def test_config_variable_does_not_unlock(tmp_path):
    lax = _lax_policy(tmp_path / "mine")
    env = clean_env(tmp_path, SITING_PLANNER_SYSTEM_CONFIG="/nonexistent")
    proc = run_with_system_config(
        tmp_path,
        "lock_policy = true\n",
        ["check", DEMO_PLAN, "--data", DEMO_PACK, "--policy", lax, "--format", "json"],
        env=env,
    )
    assert proc.returncode == 1, proc.stderr  # the locked built-in policy blocks C-1
    report = json.loads(proc.stdout)
    assert report["summary"]["block"] == 1
    from planner.io.formats.policy import BUILTIN_POLICY_SHA256

    assert report["policy"]["sha256"] == BUILTIN_POLICY_SHA256
    assert report["managed"]["sources"] == ["/etc/siting-planner/config.toml"]
    assert f"Warning: --policy {lax} ignored" in proc.stderr


def test_data_folder_variable_with_a_lax_policy_is_not_used(tmp_path):
    # SITING_PLANNER_DATA once moved the whole data folder: a lax policy with the
    # built-in's id and version then judged the plan, the JSON still saying "locked"
    folder = tmp_path / "lax-data"
    shutil.copytree(ROOT / "data", folder)
    _lax_policy(folder / "policies")
    env = clean_env(tmp_path, SITING_PLANNER_DATA=str(folder))
    proc = run_with_system_config(
        tmp_path,
        "lock_policy = true\n",
        ["check", DEMO_PLAN, "--data", DEMO_PACK, "--format", "json"],
        env=env,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["summary"]["block"] == 1


def test_copied_program_with_an_edited_policy_is_refused(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(
        ROOT / "planner", copy / "planner", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "data", copy / "data")
    _lax_policy(copy / "data" / "policies")
    env = clean_env(tmp_path, PYTHONPATH=str(copy))
    args = ["check", DEMO_PLAN, "--data", DEMO_PACK]
    proc = run_with_system_config(
        tmp_path,
        "lock_policy = true\n",
        args,
        env=env,
        command=[sys.executable, "-m", "planner"],
        cwd=copy,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "is not the one shipped" in proc.stderr and proc.stderr.count("\n") == 1
    # the copy still reads IT's file at the system path: with the data locked it uses IT's pack
    pack = _it_pack(tmp_path)
    proc = run_with_system_config(
        tmp_path,
        f'data = ["{pack}"]\nlock_data = true\n',
        ["check", DEMO_PLAN, "--no-sites", "--format", "json"],
        env=env,
        command=[sys.executable, "-m", "planner"],
        cwd=copy,
    )
    assert proc.returncode == 0, proc.stderr  # unlocked policy: the copy's own (lax) one
    assert json.loads(proc.stdout)["layers"][0]["path"].startswith(str(pack))


# -- hostile config files at the system path (issue 22 item 6) ------------------------------
def _one_line_exit_2(proc) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == "" and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("error: /etc/siting-planner/config.toml: ")
    assert "Traceback" not in proc.stderr
    return proc.stderr


def test_deeply_nested_config_is_one_line(tmp_path):
    body = "data = " + "[" * 30_000 + "]" * 30_000 + "\n"
    assert len(body) < 64 * 1024
    err = _one_line_exit_2(
        run_with_system_config(tmp_path, body, ["check", DEMO_PLAN, "--data", DEMO_PACK])
    )
    assert "nested too deeply" in err and "unusable" in err


def test_fifo_config_does_not_block(tmp_path):
    t0 = time.monotonic()
    proc = run_with_system_config(
        tmp_path, None, ["check", DEMO_PLAN, "--data", DEMO_PACK], fifo=True, timeout=60
    )
    assert time.monotonic() - t0 < 60
    assert "not a regular file" in _one_line_exit_2(proc)


def test_dangling_link_as_config_fails_closed(tmp_path):
    proc = run_with_system_config(
        tmp_path,
        None,
        ["check", DEMO_PLAN, "--data", DEMO_PACK],
        link_to=tmp_path / "gone.toml",
    )
    assert "not there" in _one_line_exit_2(proc)


def test_config_with_a_bom_is_applied(tmp_path):
    lax = _lax_policy(tmp_path / "mine")
    proc = run_with_system_config(
        tmp_path,
        b"\xef\xbb\xbflock_policy = true\r\n",  # what Notepad writes
        ["check", DEMO_PLAN, "--data", DEMO_PACK, "--policy", lax],
    )
    assert proc.returncode == 1, proc.stderr
    assert "Warning: --policy" in proc.stderr and "6 cameras: 1 blocked" in proc.stdout


def test_linked_config_is_followed(tmp_path):
    # IT may keep the file elsewhere and link it; only root can place the link
    real = tmp_path / "it-config.toml"
    real.write_text("lock_policy = true\n", encoding="utf-8")
    lax = _lax_policy(tmp_path / "mine")
    proc = run_with_system_config(
        tmp_path, None, ["check", DEMO_PLAN, "--data", DEMO_PACK, "--policy", lax], link_to=real
    )
    assert proc.returncode == 1, proc.stderr
    assert "ignored: the policy is locked" in proc.stderr


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("data = " + "[" * 30_000 + "]" * 30_000 + "\n", "nested too deeply"),
        ("lock_policy = maybe\n", "not valid TOML"),
        ("\udcff", "not UTF-8"),
    ],
)
def test_unusable_config_stops_every_command(system_config, tmp_path, capsys, body, what):
    from planner.cli import main

    path = tmp_path / "config.toml"
    system_config("")
    path.write_bytes(body.encode("utf-8", "surrogateescape"))
    plan = tmp_path / "p.plan.geojson"
    shutil.copy(DEMO_PLAN, plan)
    before = plan.read_bytes()
    for args in (
        ["check", str(plan), "--data", str(DEMO_PACK)],
        [
            "review",
            str(plan),
            "--data",
            str(DEMO_PACK),
            "--reviewer",
            "x",
            "--decide",
            "C-3=approve",
        ],
        ["report", str(plan), "--data", str(DEMO_PACK), "-o", str(tmp_path / "r.html"), "-q"],
    ):
        assert main(args) == 2, args
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and what in err, (args, err)
        assert err.startswith(f"error: {path}: ")
    assert plan.read_bytes() == before and not (tmp_path / "r.html").exists()


# -- lock_data: check, review, report (in process) ------------------------------------------
def _check(capsys, *args: str) -> tuple[int, dict, str]:
    from planner.cli import main

    code = main(["check", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def test_lock_data_check_uses_the_managed_pack(system_config, tmp_path, capsys):
    pack = _it_pack(tmp_path)
    cfg = system_config(f'data = ["{pack}"]\nlock_data = true\n')
    other = tmp_path / "other.gpkg"  # never opened: it does not even exist
    cases = [
        ["--no-sites"],
        ["--data", str(other)],
        ["--sites", str(EXAMPLE_SITES)],
        ["--data", str(other), "--buildings", str(EXAMPLE_SITES), "--streets", str(other)],
    ]
    for extra in cases:
        code, report, err = _check(capsys, str(DEMO_PLAN), *extra)
        assert code == 1, (extra, err)  # the managed pack blocks C-1
        assert report["summary"] == {"cameras": 6, "block": 1, "warn": 1, "clear": 4}
        assert {x["path"].split("#")[0] for x in report["layers"]} == {str(pack)}
        assert report["managed"]["lock_data"] is True and report["managed"]["notes"]
        option = extra[0]
        assert f"Warning: {option}" in err and f"locked to {pack} by {cfg}" in err
        assert all(n in report["warnings"] for n in report["managed"]["notes"])


def test_lock_data_checks_a_plan_naming_no_pack(system_config, tmp_path, capsys):
    pack = _it_pack(tmp_path)
    system_config(f'data = ["{pack}"]\nlock_data = true\n')
    code, report, _ = _check(capsys, str(_plan_without_pack(tmp_path)))
    assert code == 1 and report["summary"]["block"] == 1
    assert report["layers"][0]["path"].startswith(str(pack))


def test_lock_data_ignores_the_plans_named_pack(system_config, tmp_path, capsys):
    # the plan names demo.gpkg beside it; IT's pack (another file) is used
    pack = _it_pack(tmp_path)
    system_config(f'data = ["{pack}"]\nlock_data = true\n')
    folder = tmp_path / "sent"
    folder.mkdir()
    shutil.copy(DEMO_PLAN, folder / "demo.plan.geojson")
    shutil.copy(DEMO_PACK, folder / "demo.gpkg")
    code, report, _ = _check(capsys, str(folder / "demo.plan.geojson"))
    assert code == 1
    assert {x["path"].split("#")[0] for x in report["layers"]} == {str(pack)}
    assert report["provenance"]["used"]["data_pack"]["named_by_plan"] is False


def test_lock_data_without_a_pack_is_refused(system_config, capsys):
    from planner.cli import main

    cfg = system_config("lock_data = true\n")
    assert main(["check", str(DEMO_PLAN), "--data", str(DEMO_PACK)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {cfg}: lock_data: the data is locked but")


def test_lock_data_review_and_report(system_config, tmp_path, capsys):
    from planner.cli import main

    pack = _it_pack(tmp_path)
    cfg = system_config(f'data = ["{pack}"]\nlock_data = true\n')
    plan = _plan_without_pack(tmp_path)
    other = tmp_path / "other.gpkg"
    code = main(
        [
            "review",
            str(plan),
            "--data",
            str(other),
            *signer_args(tmp_path),
            "--decide",
            "C-3=approve",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"Warning: --data {other} ignored: the data is locked to {pack} by {cfg}" in err
    (decision,) = json.loads(plan.read_text())["siting_plan"]["review"]["decisions"]
    # a signed decision names its layers by sha256 (SPEC 8), not by a path on one machine
    from planner.io.safety.common import sha256_file

    shas = {x["sha256"] for x in decision["layers"]}
    assert sha256_file(pack) in shas and len(shas) == 1
    out = tmp_path / "r.html"
    code = main(["report", str(plan), "--sites", str(EXAMPLE_SITES), "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"Warning: --sites {EXAMPLE_SITES} ignored" in err
    html = out.read_text(encoding="utf-8")
    # IT's pack is the layer; the refused file appears only in the warning
    assert "city.gpkg#sites" in html
    assert html.count("example_sites.geojson") == html.count("ignored: the data is locked") == 1


def test_enforce_managed_for_other_commands(tmp_path):
    # propose (and any later command) calls the same function on its namespace
    pack = _it_pack(tmp_path)
    signers = tmp_path / "allowed_signers"
    signers.write_text("", encoding="utf-8")
    cfg = managed_config.ManagedConfig(
        sources=("/etc/x.toml",),
        data_packs=(pack,),
        allowed_signers=signers,
        lock_policy=True,
        lock_data=True,
    )
    ns = SimpleNamespace(
        policy=tmp_path / "mine.toml",
        data=None,
        sites=[EXAMPLE_SITES],
        buildings=[],
        streets=None,
        allowed_signers=tmp_path / "mine_signers",
    )
    _, notes = enforce_managed(ns, cfg)
    assert ns.policy is None and ns.data == pack and ns.sites == [] and ns.data_locked
    assert ns.allowed_signers == signers and ns.trust_source == "IT: /etc/x.toml"
    assert len(notes) == 3 and all("ignored" in n for n in notes)
    broken = managed_config.ManagedConfig.locked_down(sources=("/etc/x.toml",), error="bad")
    with pytest.raises(ManagedConfigUnusable):
        enforce_managed(SimpleNamespace(policy=None, data=None, sites=[]), broken)


def test_allowed_signers_resolution(tmp_path):
    mine, setting = tmp_path / "mine", tmp_path / "setting"
    free = managed_config.ManagedConfig()
    assert resolve_allowed_signers(free, mine, setting=setting)[:2] == (
        mine,
        "the user: --allowed-signers",
    )
    assert resolve_allowed_signers(free, None, setting=setting)[:2] == (
        setting,
        "the user: a setting",
    )
    assert resolve_allowed_signers(free, None)[:2] == (None, "nobody")
    it = tmp_path / "it_signers"
    managed = managed_config.ManagedConfig(sources=("/etc/x.toml",), allowed_signers=it)
    path, source, notes = resolve_allowed_signers(managed, mine, setting=setting)
    assert (path, source) == (it, "IT: /etc/x.toml") and len(notes) == 2
    broken = managed_config.ManagedConfig.locked_down(sources=("/etc/x.toml",), error="bad")
    assert resolve_allowed_signers(broken, mine)[0] is None


def test_allowed_signers_key_is_read(tmp_path):
    signers = tmp_path / "dpo_allowed_signers"
    signers.write_text("", encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text('allowed_signers = "dpo_allowed_signers"\n', encoding="utf-8")
    cfg = managed_config.load_managed_config(path=path, registry=lambda: None)
    assert cfg.error is None and cfg.allowed_signers == signers
    assert cfg.to_json()["allowed_signers"] == str(signers)
    path.write_text('allowed_signers = "missing"\n', encoding="utf-8")
    bad = managed_config.load_managed_config(path=path, registry=lambda: None)
    assert bad.error is not None and ": allowed_signers: file not found" in bad.error


def test_builtin_policy_pin_matches_the_shipped_file():
    from planner.io.formats.policy import BUILTIN_POLICY_SHA256
    from planner.io.safety.common import sha256_file

    assert sha256_file(BUILTIN_POLICY) == BUILTIN_POLICY_SHA256


# -- report finds the plan's pack as check does (issue 20 item 5) ---------------------------
def test_report_without_data_uses_the_named_pack(tmp_path, capsys):
    from planner.cli import main

    folder = tmp_path / "sent"
    folder.mkdir()
    shutil.copy(DEMO_PLAN, folder / "demo.plan.geojson")
    shutil.copy(DEMO_PACK, folder / "demo.gpkg")
    out = tmp_path / "r.html"
    code = main(["report", str(folder / "demo.plan.geojson"), "-o", str(out), "-q"])
    assert code == 0, capsys.readouterr().err
    assert "demo.gpkg" in out.read_text(encoding="utf-8")
    # a named pack that is not there stops report exactly as it stops check
    (folder / "demo.gpkg").unlink()
    messages = []
    for args in (
        ["check", str(folder / "demo.plan.geojson")],
        ["report", str(folder / "demo.plan.geojson"), "-o", str(out), "-q"],
    ):
        assert main(args) == 2
        messages.append(capsys.readouterr().err)
    assert messages[0] == messages[1] and "siting_plan.data_pack" in messages[0]


# -- the desktop application -----------------------------------------------------------------
def _window(qtbot):
    from planner.app.shell.main import create_window
    from planner.app.siting.dialogs import ScriptedPrompter

    win = create_window(prompter=ScriptedPrompter(), autosave_ms=3_600_000)
    qtbot.addWidget(win)
    win.show()
    return win


def test_gui_ignores_the_config_variable(qtbot, system_config, tmp_path, monkeypatch):
    pack = _it_pack(tmp_path)
    system_config(f'data = ["{pack}"]\nlock_policy = true\nlock_data = true\n')
    monkeypatch.setenv("SITING_PLANNER_SYSTEM_CONFIG", "/nonexistent")
    monkeypatch.setenv("SITING_PLANNER_DATA", str(tmp_path / "nothing"))
    win = _window(qtbot)
    assert not win.actions_by_name["open_pack"].isEnabled()
    assert "policy and data locked" in win.managed_label.text()


def test_gui_deeply_nested_config_says_so(qtbot, system_config, capsys):
    cfg = system_config("data = " + "[" * 30_000 + "]" * 30_000 + "\n")
    win = _window(qtbot)  # no RecursionError: the window opens, locked down
    assert not win.actions_by_name["open_pack"].isEnabled()
    tip = win.managed_label.toolTip()
    assert f"{cfg}: (file): not valid TOML: nested too deeply" in tip
    assert "nested too deeply" in capsys.readouterr().err


def test_self_test_checks_the_shipped_demo_on_a_locked_workstation(system_config, tmp_path):
    import io

    from planner.cli import main as cli_main
    from planner.commands.selftest import run_self_test

    lax = _lax_policy(tmp_path / "it")
    pack = _it_pack(tmp_path)
    cfg = system_config(
        f'policy = "{lax}"\ndata = ["{pack}"]\nlock_policy = true\nlock_data = true\n'
    )
    out = io.StringIO()
    assert run_self_test(cli_main, out=out, folder=tmp_path / "self-test") == 0, out.getvalue()
    text = out.getvalue()
    assert f"managed by {cfg} (lock_policy=true, lock_data=true)" in text
    assert "1 blocked" in text  # the demo as shipped, not IT's lax policy
    # and the lock is back for everything after the self-test
    assert managed_config.load_managed_config().lock_data


def test_locked_files_an_ordinary_user_can_edit_are_named(system_config, tmp_path, monkeypatch):
    # the test runs as whoever; pretend to be an ordinary user (tmp files are theirs)
    monkeypatch.setattr(managed_enforcement, "_is_administrator", lambda: False)
    pack = _it_pack(tmp_path)
    cfg = system_config(f'data = ["{pack}"]\nlock_data = true\n')
    ns = SimpleNamespace(policy=None, data=None, sites=[], buildings=[], streets=None)
    _, notes = enforce_managed(ns)
    assert f"the system configuration {cfg} can be changed by this user" in notes[0]
    assert any(n.startswith(f"the locked data pack {pack} can be changed") for n in notes)
    monkeypatch.setattr(managed_enforcement, "_is_administrator", lambda: True)
    assert enforce_managed(ns)[1] == []


def test_gui_lock_ignores_layers_and_settings_from_before(qtbot, system_config, tmp_path):
    pack = _it_pack(tmp_path)
    system_config(f'data = ["{pack}"]\nlock_data = true\n')
    win = _window(qtbot)
    # a sites layer added earlier (or by any route) and the user's last pack setting
    win.extra_sites.append(EXAMPLE_SITES)
    win.settings.last_data_pack = DEMO_PACK
    win.start_up(plan=_plan_without_pack(tmp_path), data=DEMO_PACK, wait=True, recover=False)
    win.wait_idle(60)
    assert win.doc.data is not None and win.doc.data.pack_path == pack
    assert {s.source.split(":")[0] for s in win.doc.data.sites} == {"Demo Town (synthetic)"}
    assert win.doc.results


@pytest.mark.parametrize("key", ["policy", "data", "allowed_signers"])
def test_config_naming_a_pipe_is_unusable_without_blocking(tmp_path, key):
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    path = tmp_path / "config.toml"
    path.write_text(f'{key} = "{fifo}"\n', encoding="utf-8")
    cfg = managed_config.load_managed_config(path=path, registry=lambda: None)
    assert cfg.error == f"{path}: {key}: not a regular file: {fifo}"
    assert cfg.lock_policy and cfg.lock_data
