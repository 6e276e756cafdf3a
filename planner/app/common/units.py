"""Display units: one formatter for every distance the app shows.

Long lengths (a map's scale) switch to miles from one mile up in feet, to kilometres
from one kilometre up in metres; :func:`scale_unit` makes that choice once for a map's
resolution, so the scale bar and the status bar's "… / 100 px" always use the same unit.

Files, the checker and the command line stay metric (SPEC 3). Only what a person
reads in the window follows the "Display units" setting: the status bar, the
properties panel, the findings table, banners and dialogs. The main window sets the
current unit from :class:`~planner.app.common.settings.AppSettings` at start-up and when the
user changes it; :data:`notifier` tells open views to redraw their text.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

UNITS = ("metres", "feet")
FOOT_M = 0.3048
MILE_M = 1609.344
KM_M = 1000.0

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


def span_unit(metres: float, unit: str | None = None) -> tuple[str, float]:
    """``(symbol, metres per unit)`` to show a length of about ``metres`` in.

    Feet up to a mile, then miles; metres up to a kilometre, then kilometres.
    """
    if (unit or _current) == "feet":
        return ("mi", MILE_M) if metres >= MILE_M else ("ft", FOOT_M)
    return ("km", KM_M) if metres >= KM_M else ("m", 1.0)


def format_length(metres: float, *, unit: str | None = None) -> str:
    """A measured length in the unit its size calls for: ``"38 m"``, ``"2.40 km"``,
    ``"950 ft"``, ``"1.49 mi"`` (miles from a mile up, as the scale bar)."""
    name, per = span_unit(metres, unit)
    if name in ("m", "ft"):
        return format_distance(metres, unit=unit)
    return format_span(metres, symbol=(name, per))


#: The length, in view pixels, whose size picks a map's scale unit (the status bar shows
#: this many pixels' length; the scale bar follows the same choice).
SCALE_REF_PX = 100


def scale_unit(res_m: float, unit: str | None = None) -> tuple[str, float]:
    """The unit a map at ``res_m`` metres per pixel states its scale in (bar and text)."""
    return span_unit(res_m * SCALE_REF_PX, unit)


def format_span(
    metres: float, *, symbol: tuple[str, float] | None = None, unit: str | None = None
) -> str:
    """A long length, ``"5.6 mi"``, ``"950 ft"``, ``"9.05 km"``, ``"140 m"``.

    ``symbol`` forces the unit (as :func:`span_unit` returns it); by default the length
    picks its own.
    """
    name, per = symbol or span_unit(metres, unit)
    value = metres / per
    decimals = 0 if abs(value) >= 100 or name in ("m", "ft") else (1 if abs(value) >= 10 else 2)
    return f"{value:,.{decimals}f} {name}"


def format_scale(res_m: float, *, unit: str | None = None) -> str:
    """The status bar's scale: ``"5.62 mi / 100 px"``, in the scale bar's unit."""
    metres = res_m * SCALE_REF_PX
    return f"{format_span(metres, symbol=scale_unit(res_m, unit))} / {SCALE_REF_PX} px"


def format_resolution(res_m: float, *, unit: str | None = None) -> str:
    """Metres (or feet) per screen pixel, for a printed map sheet: ``"0.35 m per pixel"``."""
    value = to_display(res_m, unit)
    return f"{value:,.2f} {unit_symbol(unit)} per screen pixel"


def metric_limit(metres: float, *, unit: str | None = None) -> str:
    """A limit the files state in metres, for a person reading feet: ``"2,000 m (6,562 ft)"``."""
    if (unit or _current) == "feet":
        return f"{metres:,.0f} m ({format_distance(metres, unit='feet', decimals=0)})"
    return f"{metres:,.0f} m"
