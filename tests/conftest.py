"""Shared fixtures. Qt runs offscreen so the suite works without a display."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.shared_data import locate_shared_data

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _log_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The planner's log file goes to a temporary folder, never the user's log folder."""
    os.environ.setdefault("SITING_PLANNER_LOG_DIR", str(tmp_path_factory.mktemp("log")))


@pytest.fixture(autouse=True)
def _network_setting_per_test() -> Iterator[None]:
    """Each test reads the network setting afresh (it is process-wide in the planner)."""
    from planner.io.config import network

    yield
    network.reset()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data in ``../shared/data``; skips, saying why, when it is absent."""
    path = locate_shared_data()
    if path is None:
        pytest.skip(
            "real data not found: ../shared/data is not beside the checkout "
            "(set SITING_SHARED_DATA to its location)"
        )
    return path


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(autouse=True)
def _no_machine_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """In-process tests never read this machine's IT config (a test sets its own).

    The installed program has no way to move the config; this module attribute is
    the tests' own route (planner.io.config.managed_config._config_path_for_tests).
    """
    import planner.io.config.managed_config as managed_config

    absent = tmp_path_factory.getbasetemp() / "no-system-config.toml"
    monkeypatch.setattr(managed_config, "_config_path_for_tests", absent)
