"""The feet setting is followed wherever the app shows a length (offscreen).

The scale bar and the status bar state the map's scale in the same unit (miles from one
mile up, feet below; kilometres from one kilometre up, metres below), before any data is
loaded too; the review window's scale bar, the exported map sheet and the CSV import
report follow the setting.
"""

from __future__ import annotations

import pytest

from planner.app.common import units
from planner.io.formats.exchange import CsvImport
from tests.app_support import app_env, make_data, make_plan, new_window

__all__ = ["app_env"]  # the fixture, used by name


@pytest.fixture
def feet(app_env):
    from planner.app.common.settings import AppSettings

    AppSettings().units = "feet"
    yield
    units.set_units("metres")


def _unit_of(scale_text: str) -> str:
    return scale_text.split(" / ")[0].split()[-1]


@pytest.mark.parametrize(
    ("setting", "level", "expected"),
    [
        ("feet", 13, "mi"),
        ("feet", 9, "mi"),
        ("feet", 6, "ft"),
        ("feet", 1, "ft"),
        ("metres", 13, "km"),
        ("metres", 3, "m"),
    ],
)
def test_scale_bar_and_status_bar_use_one_unit(qtbot, app_env, setting, level, expected):
    from planner.app.common.settings import AppSettings

    AppSettings().units = setting
    try:
        win = new_window(qtbot)
        win.install_data(make_data(win.policy))
        win.doc.load_plan(make_plan(), None)
        win.canvas.set_level(level)
        res = win.canvas.resolution()
        bar = win.canvas.scale_bar()
        text = win.scale_label.text()
        assert bar.unit == _unit_of(text) == expected, (res, bar.label, text)
        if expected in ("mi", "km"):
            assert res * 100 >= (units.MILE_M if expected == "mi" else 1000.0)
        win.doc.undo_stack.setClean()
    finally:
        units.set_units("metres")


def test_feet_before_any_data_is_loaded(qtbot, feet):
    win = new_window(qtbot)
    assert win.doc.data is None
    assert win.canvas.scale_bar().unit in ("ft", "mi")
    assert _unit_of(win.scale_label.text()) in ("ft", "mi")


def test_review_window_scale_bar_follows_feet(qtbot, feet):
    from planner.app.common.settings import AppSettings
    from planner.app.review.window import ReviewWindow

    win = ReviewWindow(settings=AppSettings())
    qtbot.addWidget(win)
    win.show()
    for level in (2, 12):
        win.canvas.set_level(level)
        assert win.canvas.scale_bar().unit in ("ft", "mi")


def test_exported_map_sheet_states_feet_per_pixel(qtbot, feet):
    from planner.app.tools.export import sheet_subtitle

    win = new_window(qtbot)
    win.install_data(make_data(win.policy))
    win.doc.load_plan(make_plan(), None)
    text = sheet_subtitle(win.canvas, win.doc, win.policy)
    assert "ft per screen pixel" in text and " m per screen pixel" not in text
    win.doc.undo_stack.setClean()


def test_csv_import_report_gives_ranges_in_feet(feet):
    from planner.app.tools.csv_import import report_text

    result = CsvImport(rows=2, errors=[(3, "range_m must be in (0, 2000], got 2500")])
    text = report_text(result, unit="feet")
    assert "8,202 ft" in text and "6,562 ft" in text
    assert report_text(result, unit="metres") == result.report()


def test_one_formatter_for_long_lengths():
    assert units.format_scale(90.5, unit="feet") == "5.62 mi / 100 px"
    assert units.format_scale(1.41, unit="feet") == "463 ft / 100 px"
    assert units.format_scale(90.5, unit="metres") == "9.05 km / 100 px"
    assert units.format_resolution(0.35, unit="feet") == "1.15 ft per screen pixel"


def test_measure_tool_states_long_lengths_as_the_scale_bar_does(feet):
    """The measure tool's text: miles from a mile up in feet, km from a km up in metres,
    the short form below (what a planner reads beside a '5 mi' scale bar)."""
    from planner.app.tools.measure import describe

    units.set_units("feet")
    assert describe([(0.0, 0.0), (0.0, 3218.7)]) == "Distance 2.00 mi, bearing 0.0°"
    assert describe([(0.0, 0.0), (30.48, 0.0)]) == "Distance 100 ft, bearing 90.0°"
    units.set_units("metres")
    assert describe([(0.0, 0.0), (2400.0, 0.0)]) == "Distance 2.40 km, bearing 90.0°"
    assert describe([(0.0, 0.0), (0.0, -5.4)]) == "Distance 5.4 m, bearing 180.0°"
    total = describe([(0.0, 0.0), (1000.0, 0.0), (1000.0, 1000.0)])
    assert total.startswith("Total 2.00 km over 2 legs; last leg 1.00 km")
