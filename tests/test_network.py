"""The network setting: with ``off`` nothing leaves the machine, whatever the user tries.

A server on 127.0.0.1 stands in for both a tile service and the HTTP(S) proxy every
client is pointed at (``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY``), so a request to
any host, direct or proxied, is counted. Each "zero requests" test has a twin that
makes the same attempt with the network on and sees the server reached, so the
counting is known to work.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from planner.io.config import network
from planner.io.config.managed_config import ManagedConfig, load_managed_config

pytestmark = pytest.mark.packaging
ROOT = Path(__file__).resolve().parent.parent


class CountingServer:
    """Answers every request (tiles, proxy CONNECTs, geocoder calls) and counts it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _count(self) -> None:
                outer.requests.append(f"{self.command} {self.path}")
                self.send_response(403)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_CONNECT = do_HEAD = _count

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tiles(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture
def server(monkeypatch):
    s = CountingServer()
    for var in PROXY_VARS:
        monkeypatch.setenv(var, s.proxy)
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    yield s
    s.stop()


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Write the system config (never the machine's) and start each test unset.

    In this process through the tests' module attribute; the command-line tests run the
    installed command with the file at /etc/siting-planner/config.toml in a private mount
    namespace (tests/system_config.py).
    """
    import planner.io.config.managed_config as managed_config

    monkeypatch.setenv("SITING_PLANNER_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("SITING_PLANNER_RECOVERY_DIR", str(tmp_path / "recovery"))
    monkeypatch.setenv("SITING_PLANNER_LOG_DIR", str(tmp_path / "log"))
    network.reset()

    def write(body: str) -> Path:
        path = tmp_path / "config.toml"
        path.write_text(body, encoding="utf-8")
        monkeypatch.setattr(managed_config, "_config_path_for_tests", path)
        network.reset()
        return path

    write("")
    yield write
    network.reset()


ETC_CONFIG = "/etc/siting-planner/config.toml"


# -- the setting -----------------------------------------------------------------------------
def test_resolve_locked_user_and_defaults():
    it = ManagedConfig(sources=("/etc/c.toml",), network="basemap-only")
    assert network.resolve(None) == network.NetworkSetting("on", "built-in default", False)
    assert network.resolve(it).mode == "basemap-only"
    assert network.resolve(it, "off") == network.NetworkSetting("off", "user setting", False)
    assert network.resolve(it, "nonsense").mode == "basemap-only"
    locked = ManagedConfig(sources=("/etc/c.toml",), network="off", lock_network=True)
    assert network.resolve(locked, "on") == network.NetworkSetting("off", "/etc/c.toml", True)
    assert network.resolve(locked).describe() == "off (locked by /etc/c.toml)"
    # a malformed config locks everything down, the network off included
    down = ManagedConfig.locked_down(sources=("/etc/c.toml",), error="x")
    assert network.resolve(down, "on").mode == "off"


def test_modes_allow():
    off, only, on = (network.NetworkSetting(m) for m in network.MODES)
    assert not off.allows("basemap") and not off.allows("osm")
    assert only.allows("basemap") and not only.allows("osm")
    assert on.allows("basemap") and on.allows("osm")


def test_config_reads_and_checks_network(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('network = "basemap-only"\nlock_network = true\n', encoding="utf-8")
    cfg = load_managed_config(path=path, registry=lambda: None)
    assert (cfg.network, cfg.lock_network, cfg.error) == ("basemap-only", True, None)
    assert cfg.to_json()["network"] == "basemap-only" and cfg.to_json()["lock_network"]
    path.write_text('network = "Off"\n', encoding="utf-8")
    bad = load_managed_config(path=path, registry=lambda: None)
    assert bad.error is not None and bad.error.startswith(f"{path}: network: must be one of")
    assert bad.lock_network and bad.network == "off"


# -- nothing goes out with the network off ---------------------------------------------------
def _window(qtbot):
    from planner.app.shell.main import create_window
    from planner.app.siting.dialogs import ScriptedPrompter

    win = create_window(prompter=ScriptedPrompter(), autosave_ms=3_600_000)
    qtbot.addWidget(win)
    win.resize(900, 600)
    win.show()
    qtbot.waitExposed(win)
    return win


def _pump(win, seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        win.canvas.viewport().repaint()
        QApplication.processEvents()
        time.sleep(0.02)


def _accept_dialog(text: str) -> None:
    from PySide6.QtWidgets import QApplication, QInputDialog

    for w in QApplication.topLevelWidgets():
        if isinstance(w, QInputDialog) and w.isVisible():
            w.setTextValue(text)
            w.accept()


def _try_every_basemap(win, server, tmp_path) -> list:
    """Every way the app can ask for web tiles: each preset, a custom and a managed URL."""
    from planner.app.map.basemap import BasemapLayer, BasemapSource, presets

    gis = win.gis
    gis._fill_basemap_menu()
    for act in gis.basemap_menu.actions():
        if act.isCheckable():  # the presets (the others open dialogs, tried below)
            act.trigger()  # a disabled action does nothing, as for a user
    custom = [a for a in gis.basemap_menu.actions() if a.text().startswith("Custom")]
    if custom[0].isEnabled():
        QTimer.singleShot(0, lambda: _accept_dialog(server.tiles))
        QTimer.singleShot(300, lambda: _accept_dialog("© test"))
        custom[0].trigger()
    sources = [*presets(), BasemapSource("Custom", server.tiles, "")]
    layers = []
    for src in sources:
        gis.set_basemap(src)
        _pump(win, 0.15)
        layers.append(win.canvas.basemap)
    # straight to the fetcher too, past any menu: the gate is in the fetcher itself
    direct = BasemapLayer(sources[-1], cache_dir=tmp_path / "tiles")
    direct.fetcher.request([(12, 660, 1588), (12, 661, 1588)])
    layers.append(direct)
    time.sleep(0.3)
    return [layer for layer in layers if layer is not None]


def test_network_off_no_basemap_request_reaches_anything(qtbot, config, server, tmp_path):
    cfg = config(f'network = "off"\nlock_network = true\nbasemap = "{server.tiles}"\n')
    win = _window(qtbot)
    win.start_up(plan=None, data=None, wait=True, recover=False)
    _pump(win, 0.3)
    # the managed web basemap was applied, and asked for nothing
    layers = _try_every_basemap(win, server, tmp_path)
    # locked: the user cannot switch it on
    for mode in network.MODES:
        act = win.actions_by_name[f"network_{mode}"]
        assert not act.isEnabled() and str(cfg) in act.toolTip()
        act.trigger()
    assert network.current().mode == "off"
    win.gis._fill_basemap_menu()
    web = [a for a in win.gis.basemap_menu.actions() if a.text().startswith(("Open", "CARTO"))]
    assert web and not any(a.isEnabled() for a in web)
    layers += _try_every_basemap(win, server, tmp_path)
    assert server.requests == []
    assert sum(layer.fetcher.requests for layer in layers) == 0
    for layer in layers:
        layer.close()


def test_network_on_the_same_basemap_reaches_the_server(qtbot, config, server, tmp_path):
    """The twin of the test above: with the network on, the server is reached."""
    config("")
    win = _window(qtbot)
    layers = _try_every_basemap(win, server, tmp_path)
    deadline = time.perf_counter() + 10
    while not server.requests and time.perf_counter() < deadline:
        _pump(win, 0.1)
    assert server.requests
    for layer in layers:
        layer.close()


def test_user_turns_the_network_off_when_not_locked(qtbot, config, server, tmp_path):
    config('network = "on"\n')
    win = _window(qtbot)
    act = win.actions_by_name["network_off"]
    assert act.isEnabled()
    act.trigger()
    assert network.current() == network.NetworkSetting("off", "user setting", False)
    assert win.settings.network_mode == "off"
    layers = _try_every_basemap(win, server, tmp_path)
    assert server.requests == [] and sum(layer.fetcher.requests for layer in layers) == 0
    for layer in layers:
        layer.close()
    # remembered: the next window starts with the user's choice
    network.reset()
    win2 = _window(qtbot)
    assert win2.actions_by_name["network_off"].isChecked()
    assert network.current().mode == "off"


def _import(body: str, args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    """``siting-planner import`` as installed, with ``body`` as IT's config and the proxy
    variables of this test (set by the ``server`` fixture) in its environment."""
    from tests.system_config import clean_env, run_with_system_config

    proxies = {k: v for k, v in os.environ.items() if k in PROXY_VARS}
    env = clean_env(tmp, SITING_PLANNER_LOG_DIR=str(tmp / "log"), **proxies)
    for var in ("NO_PROXY", "no_proxy"):
        env.pop(var, None)
    return run_with_system_config(
        tmp, body, ["import", "-o", tmp / "out.gpkg", "--", *args], env=env, cwd=tmp, timeout=180
    )


@pytest.mark.parametrize("mode", ["off", "basemap-only"])
def test_osm_download_refused_and_nothing_sent(server, tmp_path, mode):
    body = f'network = "{mode}"\nlock_network = true\n'
    for source in ("Nowhere Test Place, California", "-121.9,37.3,-121.88,37.32"):
        proc = _import(body, [source], tmp_path)
        assert proc.returncode == 2, proc.stderr
        (line,) = proc.stderr.splitlines()
        assert line.startswith(f"error: {source}: network: downloading OpenStreetMap data")
        assert f"the network setting is {mode} (locked by {ETC_CONFIG})" in line
    assert server.requests == []
    assert not (tmp_path / "out.gpkg").exists()


def test_osm_download_with_the_network_on_goes_through_the_proxy(server, tmp_path):
    """The twin: the same import with the network on reaches the 127.0.0.1 proxy."""
    proc = _import('network = "on"\n', ["Nowhere Test Place, California"], tmp_path)
    assert any(r.startswith("CONNECT ") for r in server.requests), server.requests
    # the proxy answers nothing useful: a failed download is the user's input, one line
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(
        "error: Overpass API: Nowhere Test Place, California: the download failed"
    )


def test_fetch_osm_is_gated_in_process(config, server):
    from planner.io.openstreetmap.download import fetch_osm

    config('network = "off"\n')
    with pytest.raises(network.NetworkRefused, match="network setting is off"):
        fetch_osm("San José, California")
    with pytest.raises(network.NetworkRefused):
        fetch_osm((-121.9, 37.3, -121.88, 37.32))
    assert server.requests == []
