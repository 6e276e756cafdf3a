"""The checker's findings (SPEC 4.5, 4.6) with the words a planner reads.

:class:`planner.core.checker.Checker` decides which zones a view captures or comes
near; these functions turn that into :class:`~planner.core.model.Finding` records:
the camera's own findings (prohibited capabilities, unknown heading), a capture of
a site's entrances or footprint with the overlap area, and a near miss.
"""

from __future__ import annotations

from collections.abc import Sequence

import shapely
from shapely.geometry.base import BaseGeometry

from planner.core.capture_zones import Frame, ZoneMeta
from planner.core.model import Action, Basis, Camera, Finding, Policy, Rule, Severity, Site


def camera_findings(policy: Policy, camera: Camera) -> list[Finding]:
    """Findings about the camera itself: capabilities (SPEC 4.6), unknown heading."""
    findings: list[Finding] = []
    prohibited = [c for c in camera.capabilities if c in policy.prohibited_capabilities]
    if prohibited:
        findings.append(
            Finding(
                camera_id=camera.id,
                severity=Severity.BLOCK,
                rule=Rule.PROHIBITED_CAPABILITY,
                message=(
                    f"camera {camera.id} has prohibited capabilities: "
                    f"{', '.join(prohibited)} "
                    f"(policy {policy.id} bans them in ALPR systems)"
                ),
            )
        )
    if camera.heading_deg is None:
        findings.append(
            Finding(
                camera_id=camera.id,
                severity=Severity.WARN,
                rule=Rule.HEADING_UNKNOWN,
                message=(
                    f"camera {camera.id} has no known heading; checked as a full "
                    f"{camera.range_m:g} m disc"
                ),
            )
        )
    return findings


def _zone_ids(zone_meta: Sequence[ZoneMeta], zone_idx: list[int]) -> tuple[tuple[str, ...], Basis]:
    ents = tuple(sorted({e for zi in zone_idx if (e := zone_meta[zi][1]) is not None}))
    # the footprint zone, where a site has one, is the wider claim: name it as the basis
    footprint = any(zone_meta[zi][2] is Basis.FOOTPRINT for zi in zone_idx)
    basis = Basis.FOOTPRINT if footprint or not ents else Basis.ENTRANCE
    return ents, basis


def _describe(policy: Policy, site: Site) -> str:
    rule = policy.rule_for(site.category)
    label = rule.label if rule is not None and rule.label else site.category
    name = f'"{site.name}"' if site.name else f"site {site.id}"
    return f"{name} ({label})"


def capture_finding(
    policy: Policy,
    zone_meta: Sequence[ZoneMeta],
    frame: Frame,
    camera: Camera,
    site: Site,
    visible: BaseGeometry,
    zone_idx: list[int],
) -> Finding:
    ents, basis = _zone_ids(zone_meta, zone_idx)
    zone_geom = shapely.union_all([frame.zone_geometry(zi) for zi in zone_idx])
    overlap = float(shapely.intersection(visible, zone_geom).area)
    rule = policy.rule_for(site.category)
    action = rule.action if rule is not None else Action.BLOCK
    severity = Severity.BLOCK if action is Action.BLOCK else Severity.WARN
    radius = policy.entrance_radius(site.category)
    if basis is Basis.ENTRANCE:
        what = f"entrance {', '.join(ents)} of {_describe(policy, site)}"
    elif site.entrances:
        what = (
            f"the footprint of {_describe(policy, site)} "
            "(whole site protected: one of its sources gives no entrances)"
        )
    else:
        what = (
            f"the footprint of {_describe(policy, site)} (no entrances known, whole site protected)"
        )
    message = (
        f"camera {camera.id} captures {what}: {_area_text(overlap)} m² of its view lies in the "
        f"{radius:g} m capture zone"
    )
    return Finding(
        camera_id=camera.id,
        severity=severity,
        rule=Rule.CAPTURES_ENTRANCE,
        message=message,
        site_id=site.id,
        site_name=site.name or None,
        category=site.category,
        entrance_ids=ents,
        basis=basis,
        distance_m=0.0,
        overlap_m2=overlap,
    )


def near_finding(
    policy: Policy,
    zone_meta: Sequence[ZoneMeta],
    camera: Camera,
    site: Site,
    zone_idx: list[int],
    d: float,
) -> Finding:
    ents, basis = _zone_ids(zone_meta, zone_idx)
    margin = policy.warn_margin(site.category)
    what = (
        f"entrance {', '.join(ents)} of {_describe(policy, site)}"
        if basis is Basis.ENTRANCE
        else f"the footprint of {_describe(policy, site)}"
    )
    return Finding(
        camera_id=camera.id,
        severity=Severity.WARN,
        rule=Rule.NEAR_ENTRANCE,
        message=(
            f"camera {camera.id} comes within {d:.1f} m of the capture zone of {what} "
            f"(warning margin {margin:g} m)"
        ),
        site_id=site.id,
        site_name=site.name or None,
        category=site.category,
        entrance_ids=ents,
        basis=basis,
        distance_m=d,
        overlap_m2=0.0,
    )


def _area_text(m2: float) -> str:
    # A camera standing on a zone's rim may overlap it by a few cm²: say so rather
    # than print "0.0 m²", which reads like a capture of nothing.
    return f"{m2:.1f}" if m2 >= 0.05 else f"{m2:.2g}"
