"""The IT-managed system configuration: reading, locks in the app, reports in the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import planner.io.config.managed_config as managed_config
from planner.io.config.managed_config import (
    REGISTRY_SOURCE,
    ManagedConfig,
    load_managed_config,
    system_config_path,
)
from planner.io.config.managed_enforcement import managed_policy
from planner.resources import data_path

pytestmark = pytest.mark.packaging

DEMO_PLAN = data_path("demo", "demo.plan.geojson")
DEMO_PACK = data_path("demo", "demo.gpkg")
BUILTIN_POLICY = data_path("policies", "san_jose_alpr_2026.toml")


def _policy_copy(folder: Path, *, pid: str = "it-managed-policy") -> Path:
    text = BUILTIN_POLICY.read_text(encoding="utf-8")
    text = text.replace('id = "san-jose-alpr-dup-2026"', f'id = "{pid}"', 1)
    assert f'id = "{pid}"' in text
    out = folder / "managed_policy.toml"
    out.write_text(text, encoding="utf-8")
    return out


def _config(folder: Path, body: str) -> Path:
    path = folder / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture
def system_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a system config and point the planner at it (never the machine's /etc)."""
    monkeypatch.setenv("SITING_PLANNER_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("SITING_PLANNER_RECOVERY_DIR", str(tmp_path / "recovery"))

    def write(body: str) -> Path:
        path = _config(tmp_path, body)
        # the tests' own route: the installed program reads no variable or option for it
        monkeypatch.setattr(managed_config, "_config_path_for_tests", path)
        return path

    return write


# -- reading ---------------------------------------------------------------------------------
def test_platform_locations(monkeypatch):
    # no environment variable moves the file (a user could set one)
    monkeypatch.setenv("SITING_PLANNER_SYSTEM_CONFIG", "/tmp/mine.toml")
    monkeypatch.setenv("PROGRAMDATA", "/tmp/mine")
    assert system_config_path(platform="linux") == Path("/etc/siting-planner/config.toml")
    assert system_config_path(platform="darwin") == Path(
        "/Library/Application Support/SitingPlanner/config.toml"
    )
    win = system_config_path(platform="win32", program_data=lambda: r"D:\PD")
    assert str(win).replace("\\", "/").endswith("D:/PD/SitingPlanner/config.toml")


def test_no_file_manages_nothing(tmp_path):
    cfg = load_managed_config(path=tmp_path / "absent.toml", registry=lambda: None)
    assert cfg == ManagedConfig() and not cfg.active and not cfg.lock_policy


def test_full_file_is_read_with_relative_paths(tmp_path):
    policy = _policy_copy(tmp_path)
    pack = tmp_path / "city.gpkg"
    shutil.copy(DEMO_PACK, pack)
    path = _config(
        tmp_path,
        f'''
policy = "{policy.name}"
data = ["{pack}"]
default_camera_model = "flock_falcon"
basemap = "none"
lock_policy = true
lock_data = true
''',
    )
    cfg = load_managed_config(path=path, registry=lambda: None)
    assert cfg.error is None
    assert cfg.sources == (str(path),)
    assert cfg.policy == policy and cfg.data_packs == (pack,)
    assert (cfg.default_camera_model, cfg.basemap) == ("flock_falcon", "none")
    assert cfg.lock_policy and cfg.lock_data
    pol, cfg2 = managed_policy(cfg)
    assert pol.id == "it-managed-policy" and cfg2 is cfg


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('lock_policy = "yes"\n', "lock_policy"),
        ("lock_pollicy = true\n", "lock_pollicy"),
        ('policy = "missing.toml"\n', "policy"),
        ("data = []\n", "data"),
        ("default_camera_model = 3\n", "default_camera_model"),
        ("lock_data = true\nlock_policy = tru\n", "line 2, column 15 (key lock_policy)"),
    ],
)
def test_malformed_file_locks_down_and_names_file_and_key(tmp_path, body, key):
    path = _config(tmp_path, body)
    cfg = load_managed_config(path=path, registry=lambda: None)
    assert cfg.error is not None
    assert cfg.error.startswith(f"{path}: {key}:")
    # built-in defaults, locked: never unlocked by a typo
    assert cfg.lock_policy and cfg.lock_data
    assert cfg.policy is None and cfg.data_packs == ()
    assert "\n" not in cfg.error


def test_invalid_policy_file_locks_down(tmp_path):
    bad = tmp_path / "bad_policy.toml"
    bad.write_text('id = "x"\n', encoding="utf-8")  # no version: not a policy
    cfg = load_managed_config(path=_config(tmp_path, f'policy = "{bad}"\n'), registry=lambda: None)
    pol, locked = managed_policy(cfg)
    assert pol.id == "san-jose-alpr-dup-2026"  # the built-in one
    assert locked.lock_policy and locked.lock_data
    assert locked.error is not None and ": policy: " in locked.error


def test_registry_values_win_over_the_file(tmp_path):
    policy = _policy_copy(tmp_path)
    path = _config(tmp_path, 'lock_policy = false\nbasemap = "none"\n')
    reg = {"lock_policy": 1, "policy": str(policy), "data": [str(DEMO_PACK)]}
    cfg = load_managed_config(path=path, registry=lambda: reg)
    assert cfg.sources == (str(path), REGISTRY_SOURCE)
    assert cfg.lock_policy and cfg.policy == policy and cfg.data_packs == (DEMO_PACK,)
    assert cfg.source_of("lock_policy") == REGISTRY_SOURCE
    assert cfg.source_of("basemap") == str(path)
    bad = load_managed_config(path=path, registry=lambda: {"lock_data": 7})
    assert bad.error is not None and bad.error.startswith(f"{REGISTRY_SOURCE}: lock_data:")
    assert bad.lock_data and bad.lock_policy


def test_policy_for_check():
    locked = ManagedConfig(sources=("/etc/x.toml",), policy=BUILTIN_POLICY, lock_policy=True)
    path, notes = locked.policy_for_check(Path("/tmp/other.toml"))
    assert path == BUILTIN_POLICY
    assert len(notes) == 1 and "--policy /tmp/other.toml ignored" in notes[0]
    assert "/etc/x.toml" in notes[0]
    assert locked.policy_for_check(BUILTIN_POLICY) == (BUILTIN_POLICY, [])
    free = ManagedConfig(sources=("/etc/x.toml",), policy=BUILTIN_POLICY)
    assert free.policy_for_check(Path("/tmp/o.toml")) == (Path("/tmp/o.toml"), [])
    assert free.policy_for_check(None) == (BUILTIN_POLICY, [])


# -- the command line ------------------------------------------------------------------------
def _check_json(capsys, *extra: str) -> dict:
    from planner.cli import main

    code = main(["check", str(DEMO_PLAN), "--data", str(DEMO_PACK), "--format", "json", *extra])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    return json.loads(out)


def test_cli_reports_a_refused_policy(system_config, tmp_path, capsys):
    managed = _policy_copy(tmp_path)
    cfg = system_config(f'policy = "{managed}"\nlock_policy = true\n')
    report = _check_json(capsys, "--policy", str(BUILTIN_POLICY))
    assert report["policy"]["id"] == "it-managed-policy"  # the locked one was used
    assert report["managed"]["lock_policy"] is True
    assert report["managed"]["sources"] == [str(cfg)]
    assert any("ignored" in w and str(cfg) in w for w in report["warnings"])
    from planner.cli import main

    main(["check", str(DEMO_PLAN), "--data", str(DEMO_PACK), "--policy", str(BUILTIN_POLICY)])
    text = capsys.readouterr().out
    assert "Policy:  it-managed-policy" in text
    assert f"Warning: --policy {BUILTIN_POLICY} ignored" in text


def test_review_and_report_honour_a_locked_policy(system_config, tmp_path, capsys):
    import shutil

    from planner.cli import main

    managed = _policy_copy(tmp_path)
    cfg = system_config(f'policy = "{managed}"\nlock_policy = true\n')
    plan = tmp_path / "demo.plan.geojson"
    shutil.copy(DEMO_PLAN, plan)
    from tests.signing_support import make_signer, write_allowed

    dpo = make_signer(tmp_path / "keys", "dpo@example.org")
    allowed = write_allowed(tmp_path / "allowed_signers", dpo.signer_line())
    code = main(
        [
            "review",
            str(plan),
            "--data",
            str(DEMO_PACK),
            "--policy",
            str(BUILTIN_POLICY),
            "--reviewer",
            dpo.principal,
            "--key",
            str(dpo.key),
            "--allowed-signers",
            str(allowed),
            "--decide",
            "C-3=approve",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"--policy {BUILTIN_POLICY} ignored" in err and str(cfg) in err
    saved = json.loads(plan.read_text())
    (decision,) = saved["siting_plan"]["review"]["decisions"]
    assert "it-managed-policy" in json.dumps(decision)  # judged by the locked policy
    out = tmp_path / "r.html"
    code = main(
        [
            "report",
            str(plan),
            "--data",
            str(DEMO_PACK),
            "--policy",
            str(BUILTIN_POLICY),
            "-o",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    assert "--policy" in capsys.readouterr().err
    html = out.read_text()
    assert "it-managed-policy" in html and "ignored" in html


def test_cli_without_lock_uses_the_managed_default(system_config, tmp_path, capsys):
    managed = _policy_copy(tmp_path)
    system_config(f'policy = "{managed}"\n')
    assert _check_json(capsys)["policy"]["id"] == "it-managed-policy"
    # not locked: the user's --policy is used, and nothing is refused
    report = _check_json(capsys, "--policy", str(BUILTIN_POLICY))
    assert report["policy"]["id"] == "san-jose-alpr-dup-2026"
    assert not report.get("warnings")


def test_cli_fails_closed_on_a_malformed_config(system_config, capsys):
    from planner.cli import main

    cfg = system_config("lock_policy = maybe\n")
    code = main(
        ["check", str(DEMO_PLAN), "--data", str(DEMO_PACK), "--policy", str(BUILTIN_POLICY)]
    )
    out, err = capsys.readouterr()
    # never the built-in policy or the user's: one line, exit 2, no result
    assert code == 2 and out == ""
    assert err.startswith(f"error: {cfg}: line 1, column 15 (key lock_policy): not valid TOML")
    assert "unusable" in err and err.count("\n") == 1


# -- the desktop application -----------------------------------------------------------------
def _window(qtbot):
    from planner.app.shell.main import create_window
    from planner.app.siting.dialogs import ScriptedPrompter

    win = create_window(prompter=ScriptedPrompter(), autosave_ms=3_600_000)
    qtbot.addWidget(win)
    win.show()
    return win


def test_gui_locked_policy_and_data(qtbot, system_config, tmp_path):
    managed = _policy_copy(tmp_path)
    pack = tmp_path / "it_pack.gpkg"
    shutil.copy(DEMO_PACK, pack)
    cfg = system_config(
        f'policy = "{managed}"\ndata = ["{pack}"]\nlock_policy = true\nlock_data = true\n'
    )
    win = _window(qtbot)
    assert win.policy.id == "it-managed-policy"
    for key in ("open_pack", "add_sites", "add_buildings"):
        act = win.actions_by_name[key]
        assert not act.isEnabled() and str(cfg) in act.toolTip()
    assert "policy and data locked" in win.managed_label.text()
    assert str(cfg) in win.managed_label.toolTip()
    # the user's last pack (a setting) and an explicit request both give way to the lock
    win.settings.last_data_pack = DEMO_PACK
    win.start_up(plan=DEMO_PLAN, data=DEMO_PACK, wait=True, recover=False)
    win.wait_idle(60)
    assert win.doc.data is not None and win.doc.data.pack_path == pack
    assert win.doc.results


def test_gui_unlocked_config_leaves_actions(qtbot, system_config, tmp_path):
    from planner.io.formats.catalogue import builtin_catalogue

    assert builtin_catalogue().default_model.key != "verkada_lpr"
    system_config('default_camera_model = "verkada_lpr"\n')
    win = _window(qtbot)
    assert win.actions_by_name["open_pack"].isEnabled()
    assert win.managed_label.text() == "Managed"
    assert win.default_model().key == "verkada_lpr"  # IT's default for new cameras
    win.settings.default_camera_model = "genetec_sharpv"  # a user's own choice still wins
    assert win.default_model().key == "genetec_sharpv"


def test_gui_malformed_config_starts_locked_down(qtbot, system_config, capsys):
    cfg = system_config("lock_data = 1.5\n")
    win = _window(qtbot)
    assert win.policy.id == "san-jose-alpr-dup-2026"
    assert not win.actions_by_name["open_pack"].isEnabled()
    tip = win.managed_label.toolTip()
    assert f"{cfg}: lock_data:" in tip and "nothing is checked" in tip
    # fail closed: the demo's cameras are shown, but no result (never the built-in data)
    win.start_up(plan=DEMO_PLAN, data=DEMO_PACK, wait=True, recover=False)
    win.wait_idle(60)
    assert not win.doc.results and "system configuration is unusable" in win.doc.withheld
    err = capsys.readouterr().err
    assert err.count(f"{cfg}: lock_data:") == 1


def _mbtiles(path: Path) -> Path:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    con.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
        "tile_row INTEGER, tile_data BLOB)"
    )
    con.executemany(
        "INSERT INTO metadata VALUES (?, ?)",
        [
            ("name", "city tiles"),
            ("attribution", "City GIS"),
            ("minzoom", "0"),
            ("maxzoom", "16"),
            ("format", "png"),
        ],
    )
    con.commit()
    con.close()
    return path


def test_gui_managed_basemap_is_a_default(qtbot, system_config, tmp_path):
    tiles = _mbtiles(tmp_path / "city.mbtiles")
    system_config(f'basemap = "{tiles}"\n')
    win = _window(qtbot)
    assert win.canvas.basemap is not None and win.canvas.basemap.source.url == str(tiles)
    # a basemap the user chose before is kept: it changes no check result
    mine = _mbtiles(tmp_path / "mine.mbtiles")
    win.settings.store.setValue("basemap/source", f"mbtiles\nmine\n{mine}\n\n16")
    win2 = _window(qtbot)
    assert win2.canvas.basemap is not None and win2.canvas.basemap.source.url == str(mine)
