"""Display units: one formatter for every distance the app shows.

Files, the checker and the command line stay metric (SPEC 3). Only what a person
reads in the window follows the "Display units" setting: the status bar, the
properties panel, the findings table, banners and dialogs. The main window sets the
current unit from :class:`~planner.app.settings.AppSettings` at start-up and when the
user changes it; :data:`notifier` tells open views to redraw their text.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

UNITS = ("metres", "feet")
FOOT_M = 0.3048

_current = "metres"


class UnitsNotifier(QObject):
    """Emits ``changed(unit)`` when the display unit changes."""

    changed = Signal(str)


#: Connect views that show distances to ``notifier.changed``.
notifier = UnitsNotifier()


def set_units(unit: str) -> None:
    """Make ``unit`` (``"metres"`` or ``"feet"``) the display unit and tell the views."""
    global _current
    if unit not in UNITS:
        msg = f"units must be one of {UNITS}, got {unit!r}"
        raise ValueError(msg)
    if unit != _current:
        _current = unit
        notifier.changed.emit(unit)


def current_units() -> str:
    return _current


def unit_symbol(unit: str | None = None) -> str:
    """``"m"`` or ``"ft"``."""
    return "ft" if (unit or _current) == "feet" else "m"


def to_display(metres: float, unit: str | None = None) -> float:
    """A length in metres, in the display unit."""
    return metres / FOOT_M if (unit or _current) == "feet" else metres


def from_display(value: float, unit: str | None = None) -> float:
    """A length typed in the display unit, in metres."""
    return value * FOOT_M if (unit or _current) == "feet" else value


def format_distance(metres: float, *, unit: str | None = None, decimals: int | None = None) -> str:
    """A distance for display, e.g. ``"38 m"`` or ``"125 ft"``.

    Parameters
    ----------
    metres
        The distance in metres.
    unit
        ``"metres"`` or ``"feet"``; the current display unit by default.
    decimals
        Digits after the point; by default none from 10 up, one below 10.
    """
    value = to_display(metres, unit)
    if decimals is None:
        decimals = 0 if abs(value) >= 10 else 1
    return f"{value:,.{decimals}f} {unit_symbol(unit)}"


def format_area(square_metres: float, *, unit: str | None = None) -> str:
    """An area for display, ``"41 m²"`` or ``"441 ft²"``."""
    if (unit or _current) == "feet":
        return f"{square_metres / (FOOT_M * FOOT_M):,.0f} ft\u00b2"
    return f"{square_metres:,.0f} m\u00b2"
