"""Domain model: cameras, sites, entrances, plans, policies and findings.

Everything here is plain data. Geometry lives in longitude/latitude (WGS 84) in the
model; projection into metres happens in :mod:`planner.core.crs` when checking.
Cameras and sites are frozen so that undo commands and worker threads can share
them without copying.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shapely.geometry.base import BaseGeometry


class Severity(StrEnum):
    """Severity of a finding, or a camera's overall status (SPEC 4.7)."""

    BLOCK = "block"
    WARN = "warn"
    CLEAR = "clear"

    @property
    def rank(self) -> int:
        """Higher is more severe; used to pick the worst of several."""
        return _SEVERITY_RANK[self]

    @classmethod
    def worst(cls, severities: Iterable[Severity]) -> Severity:
        """Return the most severe of ``severities``, or ``CLEAR`` when empty."""
        return max(severities, key=lambda s: s.rank, default=cls.CLEAR)


_SEVERITY_RANK = {Severity.CLEAR: 0, Severity.WARN: 1, Severity.BLOCK: 2}


class CameraStatus(StrEnum):
    """Lifecycle status of a camera in a plan (SPEC 5.1)."""

    PROPOSED = "proposed"
    EXISTING = "existing"
    APPROVED = "approved"
    REMOVED = "removed"


class Action(StrEnum):
    """What the policy does with a category (SPEC 5.4)."""

    BLOCK = "block"
    WARN = "warn"
    IGNORE = "ignore"


class Rule(StrEnum):
    """Rule names that appear in findings (SPEC 4)."""

    CAPTURES_ENTRANCE = "captures_entrance"
    NEAR_ENTRANCE = "near_entrance"
    HEADING_UNKNOWN = "heading_unknown"
    PROHIBITED_CAPABILITY = "prohibited_capability"


class Basis(StrEnum):
    """What a capture zone was built from (SPEC 4.4)."""

    ENTRANCE = "entrance"
    FOOTPRINT = "footprint"


@dataclass(frozen=True, slots=True)
class Camera:
    """A proposed or existing fixed camera.

    ``heading_deg`` is a compass bearing in [0, 360) or ``None`` when unknown.
    ``extra`` keeps properties this version does not know, so that a plan written
    by a newer tool survives a round trip through this one.
    """

    id: str
    lon: float
    lat: float
    heading_deg: float | None
    fov_deg: float
    range_m: float
    label: str = ""
    status: CameraStatus = CameraStatus.PROPOSED
    model: str | None = None
    capabilities: tuple[str, ...] = ()
    mount_height_m: float | None = None
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def with_pose(
        self,
        *,
        lon: float | None = None,
        lat: float | None = None,
        heading_deg: float | object | None = ...,
        fov_deg: float | None = None,
        range_m: float | None = None,
    ) -> Camera:
        """Return a copy with some pose fields replaced (``...`` keeps the heading)."""
        return dataclasses.replace(
            self,
            lon=self.lon if lon is None else lon,
            lat=self.lat if lat is None else lat,
            heading_deg=self.heading_deg if heading_deg is ... else heading_deg,  # type: ignore[arg-type]
            fov_deg=self.fov_deg if fov_deg is None else fov_deg,
            range_m=self.range_m if range_m is None else range_m,
        )

    def replace(self, **changes: Any) -> Camera:
        """Return a copy with ``changes`` applied (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    @property
    def pose(self) -> tuple[float, float, float | None, float, float]:
        """``(lon, lat, heading_deg, fov_deg, range_m)``; equal poses check equally."""
        return (self.lon, self.lat, self.heading_deg, self.fov_deg, self.range_m)


@dataclass(frozen=True, slots=True)
class Entrance:
    """A vehicle entrance of a site: where its driveway meets a public street."""

    id: str
    site_id: str
    lon: float
    lat: float
    basis: str = "manual"


@dataclass(frozen=True, slots=True)
class Site:
    """A protected place. ``geometry`` is a shapely Point/Polygon/MultiPolygon in lon/lat.

    A site without entrances is protected by its whole footprint. ``footprint_protected``
    keeps that protection beside known entrances: import sets it when it merged two
    sources' copies of one place and one of them gave no entrances, so a merge never
    lowers protection (``planner.io.datapack.site_dedup``).
    """

    id: str
    category: str
    geometry: BaseGeometry = field(compare=False)
    name: str = ""
    entrances: tuple[Entrance, ...] = ()
    verified: bool | None = None
    source: str = ""
    tags: Mapping[str, Any] = field(default_factory=dict, compare=False)
    footprint_protected: bool = False

    @property
    def protected_by_footprint(self) -> bool:
        """Whether the whole footprint is protected (no entrances, or kept by a merge)."""
        return not self.entrances or self.footprint_protected


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """Policy treatment of one category; ``None`` overrides fall back to the policy."""

    key: str
    action: Action
    label: str = ""
    source: str = ""
    entrance_radius_m: float | None = None
    warn_margin_m: float | None = None
    approach_m: float | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """A versioned rule set (SPEC 5.4)."""

    id: str
    version: str
    title: str = ""
    entrance_radius_m: float = 15.0
    warn_margin_m: float = 10.0
    approach_m: float = 0.0
    approach_width_m: float = 6.0
    prohibited_capabilities: tuple[str, ...] = ()
    prohibited_capabilities_source: str = ""
    categories: Mapping[str, CategoryRule] = field(default_factory=dict)
    unknown_category: str = "error"
    sha256: str = ""

    def rule_for(self, category: str) -> CategoryRule | None:
        """The rule for ``category``; unknown ones follow ``unknown_category``.

        Returns ``None`` when the category is unknown and the policy says ``error``;
        readers reject such sites before they reach the checker.
        """
        rule = self.categories.get(category)
        if rule is not None:
            return rule
        if self.unknown_category in ("warn", "ignore"):
            return CategoryRule(key=category, action=Action(self.unknown_category))
        return None

    def entrance_radius(self, category: str) -> float:
        rule = self.categories.get(category)
        if rule is not None and rule.entrance_radius_m is not None:
            return rule.entrance_radius_m
        return self.entrance_radius_m

    def warn_margin(self, category: str) -> float:
        rule = self.categories.get(category)
        if rule is not None and rule.warn_margin_m is not None:
            return rule.warn_margin_m
        return self.warn_margin_m

    def approach(self, category: str) -> float:
        rule = self.categories.get(category)
        if rule is not None and rule.approach_m is not None:
            return rule.approach_m
        return self.approach_m


@dataclass(frozen=True, slots=True)
class Finding:
    """One camera's problem with one site or one rule (SPEC 2, 6)."""

    camera_id: str
    severity: Severity
    rule: Rule
    message: str
    site_id: str | None = None
    site_name: str | None = None
    category: str | None = None
    entrance_ids: tuple[str, ...] = ()
    basis: Basis | None = None
    distance_m: float | None = None
    overlap_m2: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The SPEC 6 JSON form."""
        return {
            "camera_id": self.camera_id,
            "severity": str(self.severity),
            "rule": str(self.rule),
            "site_id": self.site_id,
            "site_name": self.site_name,
            "category": self.category,
            "entrance_ids": list(self.entrance_ids),
            "basis": None if self.basis is None else str(self.basis),
            "distance_m": None if self.distance_m is None else round(self.distance_m, 2),
            "overlap_m2": None if self.overlap_m2 is None else round(self.overlap_m2, 2),
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded decision in a plan's audit trail (who, when, what, why)."""

    when: str
    who: str
    action: str
    camera_id: str | None = None
    detail: str = ""
    justification: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, "")}


@dataclass(slots=True)
class PlanMeta:
    """The ``siting_plan`` foreign member of a plan file (SPEC 5.1)."""

    name: str = "Untitled plan"
    created: str = ""
    modified: str = ""
    format_version: int = 1
    author: str = ""
    department: str = ""
    policy_ref: str = ""
    audit: list[AuditEntry] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Plan:
    """A set of cameras with metadata. Camera ids are unique."""

    cameras: list[Camera] = field(default_factory=list)
    meta: PlanMeta = field(default_factory=PlanMeta)

    def camera(self, camera_id: str) -> Camera:
        for cam in self.cameras:
            if cam.id == camera_id:
                return cam
        msg = f"no camera with id {camera_id!r}"
        raise KeyError(msg)

    def ids(self) -> list[str]:
        return [c.id for c in self.cameras]

    def next_id(self, prefix: str = "C-") -> str:
        """A fresh id ``prefix<n>`` not yet used in this plan."""
        used = set(self.ids())
        n = len(used) + 1
        while f"{prefix}{n}" in used:
            n += 1
        return f"{prefix}{n}"


@dataclass(frozen=True, slots=True)
class CameraResult:
    """Outcome of checking one camera. Geometries are in the checker's projected CRS."""

    camera_id: str
    status: Severity
    findings: tuple[Finding, ...]
    cone: BaseGeometry | None = None
    visible: BaseGeometry | None = None


@dataclass(slots=True)
class PlanResult:
    """Outcome of checking a whole plan, in plan order."""

    results: list[CameraResult] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    def summary(self) -> dict[str, int]:
        counts = {"cameras": len(self.results), "block": 0, "warn": 0, "clear": 0}
        for r in self.results:
            counts[str(r.status)] += 1
        return counts
