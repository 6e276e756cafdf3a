"""Findings in plain words, for banners, the findings table and dialogs.

The checker's findings carry ids and rule names for files and reports; a person
placing a camera reads "would capture vehicles at the driveway of St. Example
Church (place of worship), 38 m north-east of the camera". Distances follow the
display unit (:mod:`planner.app.common.units`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from planner.app.common.units import format_distance
from planner.core.crs import Projector
from planner.core.model import Basis, Camera, CameraResult, Finding, Rule, Site

COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")
#: What a person must confirm about a site whose category is not verified (SPEC 2).
CONFIRM = {
    "abortion_provider": "confirm that the site primarily provides abortion services",
    "place_of_worship": "confirm that the site is primarily used for religious observance",
    "consulate": "confirm that the site houses a Consulate General office",
    "embassy": "confirm that the site is an embassy",
}
ENTRANCE_WORDS = {
    "driveway": "the driveway",
    "entrance_node": "the vehicle entrance",
    "manual": "the vehicle entrance",
}
#: A justification must be at least this long and this many words (issue: "x" is not one).
MIN_JUSTIFICATION_CHARS = 20
MIN_JUSTIFICATION_WORDS = 4


def compass(bearing_deg: float) -> str:
    """The eight-point compass word for a bearing (0 = north, clockwise)."""
    return COMPASS[round((bearing_deg % 360.0) / 45.0) % 8]


def category_words(category: str | None) -> str:
    return (category or "protected site").replace("_", " ")


#: What a camera that sees nothing from where it stands is told (a bare ✓ with no cone
#: would read as "checked and fine").
VIEW_BLOCKED = "view fully blocked by a building"


#: A visible area below this (square metres) is no view at all: not one car fits in it,
#: and the map draws no cone a person could see.
NO_VIEW_M2 = 1.0


def view_note(result: CameraResult | None) -> str:
    """``VIEW_BLOCKED`` when buildings hide a checked camera's whole cone, else ``""``.

    "Whole": nothing is left, or less than :data:`NO_VIEW_M2` (a camera facing the wall
    it stands a few centimetres from keeps a sliver).
    """
    if result is None or result.visible is None or result.cone is None:
        return ""
    if result.cone.is_empty or result.cone.area < NO_VIEW_M2:
        return ""
    if result.visible.is_empty or result.visible.area < NO_VIEW_M2:
        return VIEW_BLOCKED
    return ""


def unverified_note(site: Site | None) -> str:
    """``"unverified: confirm that ..."`` for a site with ``verified = false``, else ``""``."""
    if site is None or site.verified is not False:
        return ""
    what = CONFIRM.get(site.category, "confirm the site's category")
    return f"unverified: {what}"


@dataclass(frozen=True)
class Context:
    """What the sentences need besides the finding: the sites and the projection."""

    sites: Mapping[str, Site]
    projector: Projector | None


def _entrances(site: Site, ids: Iterable[str]) -> list[tuple[str, float, float]]:
    wanted = set(ids)
    return [(e.basis, e.lon, e.lat) for e in site.entrances if e.id in wanted]


def _where(
    camera: Camera | None, lonlat: tuple[float, float] | None, ctx: Context
) -> tuple[float, float] | None:
    """(distance m, bearing) from the camera to ``lonlat`` on the projected grid."""
    if camera is None or lonlat is None or ctx.projector is None:
        return None
    cx, cy = ctx.projector.point(camera.lon, camera.lat)
    tx, ty = ctx.projector.point(*lonlat)
    dist = math.hypot(tx - cx, ty - cy)
    bearing = math.degrees(math.atan2(tx - cx, ty - cy)) % 360.0
    return dist, bearing


def place_words(
    finding: Finding, camera: Camera | None, ctx: Context, *, unit: str | None = None
) -> str:
    """``"the driveway of St. Example Church (place of worship), 38 m north-east"``."""
    site = ctx.sites.get(finding.site_id or "")
    name = finding.site_name or (site.name if site else "") or finding.site_id or "a site"
    cat = category_words(finding.category or (site.category if site else None))
    target: tuple[float, float] | None = None
    if site is not None and finding.basis is not Basis.FOOTPRINT and finding.entrance_ids:
        ents = _entrances(site, finding.entrance_ids)
        if ents:
            # the nearest of the entrances involved
            best = min(ents, key=lambda e: (_where(camera, (e[1], e[2]), ctx) or (0.0, 0.0))[0])
            target = (best[1], best[2])
            what = ENTRANCE_WORDS.get(best[0], "the vehicle entrance")
            many = len(ents) > 1
            phrase = f"{what} of {name} ({cat})" + (f" and {len(ents) - 1} more" if many else "")
        else:
            phrase = f"the vehicle entrance of {name} ({cat})"
    elif site is not None:
        c = site.geometry.representative_point()
        target = (c.x, c.y)
        why = (
            "one of its sources gives no entrances, so the whole site is protected"
            if site.entrances
            else "its entrances are unknown, so the whole site is protected"
        )
        phrase = f"{name} ({cat}; {why})"
    else:
        phrase = f"{name} ({cat})"
    where = _where(camera, target, ctx)
    if where is not None:
        dist, bearing = where
        phrase += f", {format_distance(dist, unit=unit)} {compass(bearing)} of the camera"
    return phrase


def finding_sentence(
    finding: Finding, camera: Camera | None, ctx: Context, *, unit: str | None = None
) -> str:
    """One finding as a sentence a planner reads without the policy at hand.

    ``unit`` is the display unit by default; files (the audit trail) pass ``"metres"``.
    """
    who = (camera.label or camera.id) if camera is not None else finding.camera_id
    rule = finding.rule
    if rule is Rule.PROHIBITED_CAPABILITY:
        caps = [c.replace("_", " ") for c in (camera.capabilities if camera else ())]
        listed = ", ".join(caps) if caps else "a prohibited capability"
        return f"{who} has {listed}, which the policy prohibits on any ALPR camera."
    if rule is Rule.HEADING_UNKNOWN:
        rng = format_distance(camera.range_m, unit=unit) if camera is not None else "its range"
        return f"{who} has no known heading, so it is checked as a full circle of {rng}."
    site = ctx.sites.get(finding.site_id or "")
    place = place_words(finding, camera, ctx, unit=unit)
    if rule is Rule.NEAR_ENTRANCE:
        gap = (
            ""
            if finding.distance_m is None
            else f"{format_distance(finding.distance_m, unit=unit)} of "
        )
        text = f"{who} would see within {gap}the protected zone at {place}."
    else:
        text = f"{who} would capture vehicles at {place}."
    note = unverified_note(site)
    if note:
        text += f" Site {note}."
    return text


def justification_problem(text: str, *, camera_ids: Iterable[str] = ()) -> str | None:
    """Why ``text`` is not yet a justification, or None when it is one.

    A justification is a real sentence: at least :data:`MIN_JUSTIFICATION_CHARS`
    characters and :data:`MIN_JUSTIFICATION_WORDS` words, and more than the camera's id.
    """
    clean = " ".join(text.split())
    words = re.findall(r"\w+", clean)
    ids = {i.lower() for i in camera_ids}
    meaningful = [w for w in words if w.lower() not in ids]
    joined = re.sub(r"\W+", "", clean).lower()
    if not clean:
        return "Write why this placement is acceptable."
    if joined in {re.sub(r"\W+", "", i) for i in ids}:
        return "The camera's id is not a justification: say why the placement is acceptable."
    if len(clean) < MIN_JUSTIFICATION_CHARS or len(meaningful) < MIN_JUSTIFICATION_WORDS:
        return (
            f"Write a full sentence (at least {MIN_JUSTIFICATION_WORDS} words and "
            f"{MIN_JUSTIFICATION_CHARS} characters): it is recorded in the audit trail."
        )
    # "ok ok ok ok ok" has the length of a sentence and says nothing
    if len({w.lower() for w in meaningful}) < MIN_JUSTIFICATION_WORDS:
        return (
            f"Write a real sentence with at least {MIN_JUSTIFICATION_WORDS} different words: "
            "a word repeated is not a reason, and the reason goes into the audit trail."
        )
    return None


def local_time_text(iso_utc: str) -> str:
    """A UTC ISO 8601 stamp as a person reads it: local time, with the day.

    ``2026-12-04T15:43:45Z`` reads "Friday 4 December 2026 at 07:43 (local time)" in
    California; text that is not a stamp is returned as it is.
    """
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(iso_utc.strip().replace("Z", "+00:00"))
    except ValueError:
        return iso_utc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone()
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} (local time)"


#: File-format wording (SPEC field names, interval notation) and the words the app uses.
_PLAIN = (
    (
        re.compile(r"\bfov_deg must be in \(0, 360\]"),
        "field of view must be more than 0° and at most 360°",
    ),
    (
        re.compile(r"\brange_m must be in \(0, ([\d.]+)\]"),
        r"range must be more than 0 m and at most \1 m",
    ),
    (
        re.compile(r"\bheading_deg must be in \[0, 360\) or empty \(unknown\)"),
        "heading must be from 0° up to (not including) 360°, or left empty when unknown",
    ),
    (
        re.compile(r"\bheading_deg must be in \[0, 360\)"),
        "heading must be from 0° up to (not including) 360°",
    ),
    (re.compile(r"\blon must be in \[-180, 180\]"), "longitude must be between -180 and 180"),
    (re.compile(r"\blat must be in \[-90, 90\]"), "latitude must be between -90 and 90"),
    (re.compile(r"\bfov_deg\b"), "field of view"),
    (re.compile(r"\brange_m\b"), "range"),
    (re.compile(r"\bheading_deg\b"), "heading"),
)


def plain_message(text: str) -> str:
    """An input error in the words of the app's panels instead of the file format's.

    The command line keeps the SPEC's wording (``fov_deg must be in (0, 360]``), which
    names the field to fix in the file; a dialog says "field of view must be more
    than 0° and at most 360°".
    """
    for pattern, words in _PLAIN:
        text = pattern.sub(words, text)
    return text
