"""What the report's maps show, in words (alt text), and the overview's numbered callouts.

Both report formats use these, so a screen reader hears the same in each.
"""

from __future__ import annotations

from planner.report.model import STATUS_WORDS, CameraSection, Report

#: Statuses that get a numbered callout on the overview map (and a row in its key).
CALLOUT_STATUSES = ("block", "warn")


def callouts(report: Report) -> list[tuple[int, CameraSection]]:
    """The blocked and warned cameras, numbered 1, 2, … in plan order."""
    picked = [s for s in report.sections if s.status in CALLOUT_STATUSES]
    return list(enumerate(picked, start=1))


def decision_short(section: CameraSection) -> str:
    """The decision in a few words for an index: "Approved", "Approved, STALE", "Undecided"."""
    if section.decision is None:
        return "Undecided"
    from planner.core.review import DECISION_LABELS

    label = DECISION_LABELS[section.decision.record.decision]
    return f"{label}, STALE" if section.decision.stale else label


def sites_in_view(section: CameraSection) -> list[str]:
    """The names of the sites the camera's findings name, each once, in finding order."""
    out: list[str] = []
    for f in section.findings:
        if f.site_name and f.site_name not in out:
            out.append(f.site_name)
    return out


def camera_map_alt(section: CameraSection) -> str:
    """Alt text of a camera's map: the camera, its status and the sites in its view."""
    cam = section.camera
    name = f"camera {cam.id}" + (f" ({cam.label})" if cam.label and cam.label != cam.id else "")
    status = STATUS_WORDS.get(section.status, section.status).lower()
    sites = sites_in_view(section)
    if sites:
        seen = "Protected sites in or near its view: " + "; ".join(sites) + "."
    else:
        seen = "No protected site is in or near its view."
    return (
        f"Map of {name}, re-check status {status}: its view cone, the cameras, streets "
        f"and buildings around it, capture zones and vehicle entrances. {seen}"
    )


def overview_alt(report: Report) -> str:
    """Alt text of the overview map."""
    c = report.status_counts
    numbered = len(callouts(report))
    key = (
        f" Numbers 1 to {numbered} mark the blocked and warned cameras; the key below "
        "the map lists them."
        if numbered
        else ""
    )
    return (
        f"Overview map of all {len(report.sections)} cameras of the plan and their view "
        f"cones: {c['block']} blocked, {c['warn']} with warnings, {c['clear']} clear.{key}"
    )


def detail_alt(report: Report) -> str:
    """Alt text of the overview's detail map of the numbered cameras."""
    n = len(callouts(report))
    return (
        f"Detail of the overview map around the {n} blocked and warned cameras, numbered "
        "as on the overview and in the key below, with their view cones and the cameras "
        "around them."
    )


__all__ = [
    "CALLOUT_STATUSES",
    "callouts",
    "camera_map_alt",
    "decision_short",
    "detail_alt",
    "overview_alt",
    "sites_in_view",
]
