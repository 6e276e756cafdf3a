"""A small synthetic street, site and plan for the desktop app tests.

Built in projected metres around downtown San José, so each test knows exactly
where the protected entrance is: a church 40 m north of "Test Street" whose
driveway meets the street at (X0, Y0 + 10).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import LineString, box

from planner.core.crs import Projector
from planner.core.model import Camera, Entrance, Plan, PlanMeta, Site

LON0, LAT0 = -121.8863, 37.3382
PROJ = Projector.for_points([(LON0, LAT0)])
X0, Y0 = PROJ.point(LON0, LAT0)
ENTRANCE = (X0, Y0 + 10.0)


def lonlat(x: float, y: float) -> tuple[float, float]:
    return PROJ.lonlat(x, y)


def make_sites() -> list[Site]:
    poly = PROJ.unproject(box(X0 - 15, Y0 + 25, X0 + 15, Y0 + 55))
    elon, elat = lonlat(*ENTRANCE)
    return [
        Site(
            id="w1",
            category="place_of_worship",
            geometry=poly,
            name="Test Church",
            entrances=(Entrance(id="w1/e1", site_id="w1", lon=elon, lat=elat),),
        ),
    ]


def make_streets() -> np.ndarray:
    line = LineString([(X0 - 400, Y0), (X0 + 400, Y0)])
    return np.array([PROJ.unproject(line)], dtype=object)


def camera_at(
    cid: str, x: float, y: float, heading: float, *, fov: float = 40.0, rng: float = 40.0
) -> Camera:
    lon, lat = lonlat(x, y)
    return Camera(
        id=cid, lon=lon, lat=lat, heading_deg=heading, fov_deg=fov, range_m=rng, label=cid
    )


def make_plan() -> Plan:
    # C-1 is clear, far east of the entrance, looking further east.
    return Plan(
        cameras=[camera_at("C-1", X0 + 200, Y0, 90.0)],
        meta=PlanMeta(name="test plan", created="2026-03-10T00:00:00+00:00"),
    )


def make_data(policy):
    from planner.app.siting.document import DataContext
    from planner.core.checker import Checker
    from planner.core.streets import StreetNetwork

    network = StreetNetwork.from_geometries(
        make_streets(), projector=PROJ, names=np.array(["Test Street"], dtype=object)
    )
    sites = make_sites()
    checker = Checker(policy=policy, sites=sites, projector=PROJ, streets=network)
    return DataContext(checker=checker, projector=PROJ, sites=sites, street_network=network)


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings and recovery files in a temporary folder, never the user's."""
    monkeypatch.setenv("SITING_PLANNER_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("SITING_PLANNER_RECOVERY_DIR", str(tmp_path / "recovery"))
    return tmp_path


def new_window(qtbot, *, size: tuple[int, int] | None = (1000, 700), show: bool = True):
    """A main window with the built-in policy and scripted answers to every question.

    ``size=None`` leaves the window's own size; ``show=False`` keeps it hidden.
    """
    from planner.app.common.settings import AppSettings
    from planner.app.shell.main_window import MainWindow
    from planner.app.siting.dialogs import ScriptedPrompter
    from planner.app.siting.loading import load_catalogue, load_policy

    win = MainWindow(
        settings=AppSettings(),
        policy=load_policy(),
        catalogue=load_catalogue(),
        prompter=ScriptedPrompter(),
        autosave_ms=3_600_000,
    )
    qtbot.addWidget(win)
    if size is not None:
        win.resize(*size)
    if show:
        win.show()
        qtbot.waitExposed(win)
    return win


@pytest.fixture
def window(qtbot, app_env):
    """A main window over the synthetic data, with scripted answers to every question."""
    win = new_window(qtbot)
    win.install_data(make_data(win.policy))
    win.doc.load_plan(make_plan(), None)
    win.zoom_to_fit()
    yield win
    win.doc.undo_stack.setClean()
    win.cancel_work()
    win.wait_idle(10)
