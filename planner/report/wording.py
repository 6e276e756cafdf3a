"""Findings in plain words for the review report (metres, as files and reports are).

"The cone captures the driveway entrance of St. Example Church (place of worship),
38 m north-east; 41 m² of the 15 m capture zone is in view."
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from shapely.geometry import Point
from shapely.ops import nearest_points

from planner.core.crs import Projector
from planner.core.model import Basis, Camera, Finding, Policy, Rule, Site
from planner.core.signage import compass

CATEGORY_WORDS = {
    "place_of_worship": "place of worship",
    "abortion_provider": "abortion provider",
    "consulate": "consulate",
    "embassy": "embassy",
}
ENTRANCE_WORDS = {
    "driveway": "driveway entrance",
    "entrance_node": "vehicle entrance",
    "manual": "vehicle entrance",
}
CONFIRM = {
    "abortion_provider": "confirm that it primarily provides abortion services",
    "place_of_worship": "confirm that it is primarily used for religious observance",
    "consulate": "confirm that it houses a Consulate General office",
    "embassy": "confirm that it is an embassy",
}


def category_words(category: str | None) -> str:
    if not category:
        return "protected site"
    return CATEGORY_WORDS.get(category, category.replace("_", " "))


def _offset(projector: Projector, camera: Camera, x: float, y: float) -> tuple[float, float]:
    cx, cy = projector.point(camera.lon, camera.lat)
    return math.hypot(x - cx, y - cy), math.degrees(math.atan2(x - cx, y - cy)) % 360.0


def finding_sentence(
    finding: Finding,
    *,
    camera: Camera,
    sites: Mapping[str, Site],
    projector: Projector,
    policy: Policy,
) -> str:
    """One finding as a sentence a reader understands without the policy at hand."""
    if finding.rule is Rule.PROHIBITED_CAPABILITY:
        caps = [
            c.replace("_", " ") for c in camera.capabilities if c in policy.prohibited_capabilities
        ]
        return (
            f"The camera has {' and '.join(caps) or 'a prohibited capability'}, which the "
            "policy prohibits on every ALPR system."
        )
    if finding.rule is Rule.HEADING_UNKNOWN:
        return (
            f"The camera's heading is unknown, so it is checked as a full circle of "
            f"{camera.range_m:.0f} m."
        )
    site = sites.get(finding.site_id or "")
    place, where = _place(finding, site, camera, projector)
    radius = policy.entrance_radius(finding.category or "")
    if finding.rule is Rule.CAPTURES_ENTRANCE:
        area = finding.overlap_m2 or 0.0
        text = (
            f"The cone captures {place}{where}; {area:.0f} m² of the {radius:g} m capture "
            "zone is in view."
        )
    else:
        gap = finding.distance_m or 0.0
        text = (
            f"The cone comes within {gap:.1f} m of the {radius:g} m capture zone around "
            f"{place}{where}."
        )
    if site is not None and site.verified is False:
        text += f" The site is unverified: {CONFIRM.get(site.category, 'confirm its category')}."
    return text


def _place(
    finding: Finding, site: Site | None, camera: Camera, projector: Projector
) -> tuple[str, str]:
    """What the finding is about, and where from the camera (``", 38 m north-east"``).

    The nearest of the entrances it names, else the nearest point of the site's
    footprint (a site protected as a whole), else the site by name alone.
    """
    name = finding.site_name or (site.name if site else "") or finding.site_id or "a site"
    cat = category_words(finding.category)
    cx, cy = projector.point(camera.lon, camera.lat)
    if site is not None and finding.basis is Basis.ENTRANCE and finding.entrance_ids:
        ents = [e for e in site.entrances if e.id in set(finding.entrance_ids)]
        if not ents:
            return f"a vehicle entrance of {name} ({cat})", ""
        pts = [(projector.point(e.lon, e.lat), e) for e in ents]
        (ex, ey), ent = min(pts, key=lambda p: math.hypot(p[0][0] - cx, p[0][1] - cy))
        d, b = _offset(projector, camera, ex, ey)
        what = ENTRANCE_WORDS.get(ent.basis, "vehicle entrance")
        more = f" (and {len(ents) - 1} more)" if len(ents) > 1 else ""
        return f"the {what}{more} of {name} ({cat})", f", {d:.0f} m {compass(b)}"
    if site is not None:
        near = nearest_points(projector.project(site.geometry), Point(cx, cy))[0]
        d, b = _offset(projector, camera, near.x, near.y)
        why = (
            "one of its sources gives no vehicle entrance, so the whole site is protected"
            if site.entrances
            else "no vehicle entrance is known, so the whole site is protected"
        )
        return f"the site of {name} ({cat}; {why})", f", {d:.0f} m {compass(b)}"
    return f"{name} ({cat})", ""
