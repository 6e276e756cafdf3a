"""The log file (start, settings, what was opened and saved, tracebacks) and a self-test
that leaves no temporary folder behind."""

from __future__ import annotations

import logging.handlers
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.io.config import logfile
from planner.resources import data_path

DEMO_PLAN = data_path("demo", "demo.plan.geojson")
DEMO_PACK = data_path("demo", "demo.gpkg")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SITING_")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        SITING_PLANNER_SETTINGS=str(tmp_path / "s.ini"),
        SITING_PLANNER_RECOVERY_DIR=str(tmp_path / "recovery"),
        SITING_PLANNER_LOG_DIR=str(tmp_path / "log"),
        TMPDIR=str(tmp_path / "tmp"),
    )
    env.update(extra)
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return env


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def test_platform_log_folder(monkeypatch):
    import platformdirs

    monkeypatch.delenv(logfile.LOG_ENV, raising=False)
    expected = Path(platformdirs.user_log_dir("siting-planner", appauthor=False))
    assert logfile.log_path() == expected / "siting-planner.log"


def test_a_check_is_logged_with_the_settings_in_force(tmp_path):
    from tests.system_config import run_with_system_config

    env = _env(tmp_path)
    proc = run_with_system_config(
        tmp_path,
        'network = "basemap-only"\n',
        ["check", DEMO_PLAN, "--data", DEMO_PACK],
        env=env,
    )
    assert proc.returncode == 1, proc.stderr
    text = (tmp_path / "log" / "siting-planner.log").read_text(encoding="utf-8")
    assert f"command: check {DEMO_PLAN} --data {DEMO_PACK}" in text
    assert "managed configuration: {'sources': [" in text and "'network': 'basemap-only'" in text
    assert "network: basemap-only (set by /etc/siting-planner/config.toml)" in text
    assert text.rstrip().endswith("exit status 1")
    # the terminal keeps its contract: nothing of the log on stderr
    assert proc.stderr == ""


def test_internal_error_traceback_goes_to_the_log(monkeypatch, capsys):
    import planner.cli as cli
    import planner.commands.check as check

    def boom(_ns: object) -> int:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(check, "run", boom)
    monkeypatch.delenv("SITING_PLANNER_DEBUG", raising=False)
    assert cli.main(["check", "x.plan.geojson"]) == 3
    path = logfile.setup_logging()
    assert path is not None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"the traceback is in {path}" in err
    for h in logfile.log.handlers:
        h.flush()
    text = path.read_text(encoding="utf-8")
    tail = text[text.rindex("internal error") :]
    assert "Traceback (most recent call last)" in tail and "RuntimeError: simulated bug" in tail


def test_the_handler_rotates():
    logfile.setup_logging()
    (handler,) = [h for h in logfile.log.handlers if getattr(h, "_siting_planner", False)]
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    assert handler.maxBytes == logfile.MAX_BYTES and handler.backupCount == logfile.BACKUPS
    assert logfile.setup_logging() == Path(handler.baseFilename)  # once per process


def test_an_unwritable_log_folder_does_not_stop_a_command(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    env = _env(tmp_path, SITING_PLANNER_LOG_DIR=str(blocker / "log"))
    proc = _cli(["--version"], env)
    assert proc.returncode == 0 and proc.stdout.startswith("siting-planner ")
    assert proc.stderr.startswith("warning: no log file: ")


def test_app_logs_open_and_save(qtbot, tmp_path, monkeypatch):
    from planner.app.shell.main import create_window
    from planner.app.siting.dialogs import ScriptedPrompter

    monkeypatch.setenv("SITING_PLANNER_SETTINGS", str(tmp_path / "s.ini"))
    monkeypatch.setenv("SITING_PLANNER_RECOVERY_DIR", str(tmp_path / "recovery"))
    path = logfile.setup_logging()
    assert path is not None
    win = create_window(prompter=ScriptedPrompter(), autosave_ms=3_600_000)
    qtbot.addWidget(win)
    win.start_up(plan=DEMO_PLAN, data=DEMO_PACK, wait=True, recover=False)
    win.wait_idle(60)
    out = tmp_path / "mine.plan.geojson"
    assert win.save_to(out)
    for h in logfile.log.handlers:
        h.flush()
    text = path.read_text(encoding="utf-8")
    assert f"open: plan {DEMO_PLAN}, data pack {DEMO_PACK}" in text
    assert f"saved plan {out}" in text
    assert "network: on (built-in default)" in text


def test_about_says_network_and_log_file(tmp_path, monkeypatch):
    from planner.app.shell.about import about_html
    from planner.io.config import network
    from planner.io.formats.policy import builtin_policy

    network.set_current(network.NetworkSetting("off", "/etc/x.toml", True))
    html = about_html(policy=builtin_policy(), pack=None, attribution="")
    assert "off (locked by /etc/x.toml)" in html
    assert str(logfile.log_path()) in html


@pytest.mark.slow
def test_self_test_cleans_up_and_says_network_and_log(tmp_path):
    env = _env(tmp_path)
    proc = _cli(["--self-test"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "  network: on (built-in default)\n" in proc.stdout
    assert f"  log file: {tmp_path / 'log' / 'siting-planner.log'}\n" in proc.stdout
    assert "temporary files removed" in proc.stdout
    assert list((tmp_path / "tmp").iterdir()) == []  # nothing left in TMPDIR
