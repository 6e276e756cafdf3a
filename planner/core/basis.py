"""What a result rests on: the site data a check used, and where it reaches (no I/O).

"351 clear" means little when the pack holds 13 places of worship from a 2017
downtown extract and the cameras span the city. :func:`data_basis` counts the sites
by category and source, says how each is protected (entrances, whole footprint),
how many are unverified, and compares the area the site data covers with the area
the cameras span, so ``check`` and the review report can say it beside every total.

Coverage is measured with convex hulls in the check's projected CRS: a source's
hull is the smallest convex area holding all its sites, the site data's is the
union of those, and the cameras' is the hull of their positions. A camera outside a
hull may see protected places that source does not know about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from planner.core.crs import Projector
from planner.core.model import Camera, Site

#: A hull of fewer sites than this covers no meaningful area (one site is a building).
MIN_SITES_FOR_AREA = 3
_KM2 = 1e6


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One input the sites came from, as the pack's metadata or the file system tells it.

    ``key`` is what the sites carry in ``Site.source`` before the first ``:``
    (``osm`` for OpenStreetMap data, else the file name); ``date`` is the OSM
    timestamp or the file's date, ``date_kind`` says which.
    """

    key: str
    name: str
    kind: str
    date: str | None = None
    date_kind: str = ""


@dataclass(frozen=True, slots=True)
class SourceCount:
    """The sites one source gave, and the area they cover."""

    key: str
    names: tuple[str, ...]
    dates: tuple[str, ...]
    sites: int
    area_km2: float | None
    cameras_outside: int | None


@dataclass(frozen=True, slots=True)
class CategoryCount:
    """The sites of one category: how many from each source and how they are protected."""

    category: str
    sites: int
    by_source: Mapping[str, int]
    with_entrances: int
    footprint: int
    unverified: int


@dataclass
class DataBasis:
    """The ``data_basis`` of ``check --format json`` and the report's "Data checked against"."""

    sites: int
    with_entrances: int
    footprint: int
    unverified: int
    categories: list[CategoryCount]
    sources: list[SourceCount]
    cameras: int
    cameras_area_km2: float | None
    sites_area_km2: float | None
    cameras_outside: int | None
    import_warnings: list[str] = field(default_factory=list)
    import_time: str | None = None

    @property
    def share_outside(self) -> float | None:
        if self.cameras_outside is None or not self.cameras:
            return None
        return self.cameras_outside / self.cameras

    def to_json(self) -> dict[str, Any]:
        return {
            "sites": self.sites,
            "with_entrances": self.with_entrances,
            "protected_by_footprint": self.footprint,
            "unverified": self.unverified,
            "by_category": [
                {
                    "category": c.category,
                    "sites": c.sites,
                    "by_source": dict(c.by_source),
                    "with_entrances": c.with_entrances,
                    "protected_by_footprint": c.footprint,
                    "unverified": c.unverified,
                }
                for c in self.categories
            ],
            "sources": [
                {
                    "source": s.key,
                    "files": list(s.names),
                    "dates": list(s.dates),
                    "sites": s.sites,
                    "area_km2": _round(s.area_km2),
                    "cameras_outside": s.cameras_outside,
                }
                for s in self.sources
            ],
            "coverage": {
                "method": "convex hulls in the check's projected CRS",
                "sites_area_km2": _round(self.sites_area_km2),
                "cameras_area_km2": _round(self.cameras_area_km2),
                "cameras": self.cameras,
                "cameras_outside_site_data": self.cameras_outside,
                "share_outside": None
                if self.share_outside is None
                else round(self.share_outside, 4),
            },
            "import_time": self.import_time,
            "import_warnings": list(self.import_warnings),
        }

    def lines(self) -> list[str]:
        """The section in plain words: one line per fact (the caller escapes them)."""
        out: list[str] = []
        cats = ", ".join(
            f"{c.category.replace('_', ' ')} {c.sites} ("
            + ", ".join(f"{n} from {_source_words(k)}" for k, n in c.by_source.items())
            + ")"
            for c in self.categories
        )
        out.append(f"{_n(self.sites, 'site')}: {cats}" if self.sites else "no sites")
        if self.sites:
            out.append(
                f"{self.with_entrances} with vehicle entrances, {self.footprint} protected by "
                f"their whole footprint, {self.unverified} unverified"
            )
        for s in self.sources:
            when = "; ".join(s.dates) if s.dates else "date not recorded"
            files = ", ".join(s.names) if s.names else _source_words(s.key)
            area = "" if s.area_km2 is None else f", covering {s.area_km2:.1f} km²"
            out.append(f"source {files} ({when}): {_n(s.sites, 'site')}{area}")
        if self.cameras_area_km2 is not None or self.sites_area_km2 is not None:
            covers = (
                "the site data covers too few sites to have an area"
                if self.sites_area_km2 is None
                else f"the site data covers {self.sites_area_km2:.1f} km²"
            )
            span = (
                ""
                if self.cameras_area_km2 is None
                else f"; the cameras span {self.cameras_area_km2:.1f} km²"
            )
            out.append(covers + span)
        if self.cameras_outside is not None and self.cameras:
            out.append(
                f"{self.cameras_outside} of {_n(self.cameras, 'camera')} "
                f"({100 * (self.share_outside or 0.0):.0f}%) lie outside the area of the site "
                "data, where protected places it does not list may exist"
            )
        measured = [s for s in self.sources if s.area_km2 is not None]
        for s in measured if len(measured) > 1 else []:
            if s.cameras_outside:
                out.append(
                    f"{s.cameras_outside} of {_n(self.cameras, 'camera')} lie outside the area of "
                    f"{', '.join(s.names) or _source_words(s.key)}"
                )
        out += [f"import warning: {w}" for w in self.import_warnings]
        return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _source_words(key: str) -> str:
    return "OpenStreetMap" if key == "osm" else key


def source_key(site: Site) -> str:
    """``osm`` for ``osm:node/1``, the file name for ``sites.geojson:12``."""
    return (site.source or "").split(":", 1)[0] or "unnamed source"


def _hull(geoms: Sequence[Any]) -> Any:
    return shapely.convex_hull(shapely.union_all(np.asarray(geoms, dtype=object)))


def data_basis(
    sites: Sequence[Site],
    cameras: Sequence[Camera],
    projector: Projector,
    *,
    sources: Sequence[SourceInfo] = (),
    import_warnings: Sequence[str] = (),
    import_time: str | None = None,
) -> DataBasis:
    """Count and measure what the check rests on.

    Parameters
    ----------
    sites
        The sites the check used.
    cameras
        The plan's cameras.
    projector
        The check's projection (areas in m², converted to km²).
    sources
        What is known about each source (dates); matched to sites by
        :func:`source_key`.
    import_warnings, import_time
        From the pack's metadata.
    """
    cam_xy = (
        np.array([projector.point(c.lon, c.lat) for c in cameras], dtype=float)
        if cameras
        else np.zeros((0, 2))
    )
    cam_area = None
    if len(cam_xy) >= MIN_SITES_FOR_AREA:
        cam_area = float(shapely.convex_hull(shapely.multipoints(cam_xy)).area) / _KM2
    source_rows, hulls = _source_counts(sites, projector, cam_xy, sources)
    site_area = outside_all = None
    if hulls:
        union = shapely.union_all(np.asarray(hulls, dtype=object))
        site_area = float(union.area) / _KM2
        outside_all = _outside(union, cam_xy)
    return DataBasis(
        sites=len(sites),
        with_entrances=sum(1 for s in sites if s.entrances),
        footprint=sum(1 for s in sites if s.protected_by_footprint),
        unverified=sum(1 for s in sites if s.verified is False),
        categories=_category_counts(sites),
        sources=source_rows,
        cameras=len(cameras),
        cameras_area_km2=cam_area,
        sites_area_km2=site_area,
        cameras_outside=outside_all if len(cam_xy) else None,
        import_warnings=list(import_warnings),
        import_time=import_time,
    )


def _category_counts(sites: Sequence[Site]) -> list[CategoryCount]:
    """One row per category, the largest first."""
    by_cat: dict[str, list[Site]] = {}
    for s in sites:
        by_cat.setdefault(s.category, []).append(s)
    return [
        CategoryCount(
            category=cat,
            sites=len(group),
            by_source=_counts(source_key(s) for s in group),
            with_entrances=sum(1 for s in group if s.entrances),
            footprint=sum(1 for s in group if s.protected_by_footprint),
            unverified=sum(1 for s in group if s.verified is False),
        )
        for cat, group in sorted(by_cat.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


def _source_counts(
    sites: Sequence[Site],
    projector: Projector,
    cam_xy: np.ndarray,
    sources: Sequence[SourceInfo],
) -> tuple[list[SourceCount], list[Any]]:
    """One row per source, the largest first, and the hull of each source big enough for one."""
    by_src: dict[str, list[int]] = {}
    for i, s in enumerate(sites):
        by_src.setdefault(source_key(s), []).append(i)
    projected = [projector.project(s.geometry) for s in sites]
    info_by_key: dict[str, list[SourceInfo]] = {}
    for info in sources:
        info_by_key.setdefault(info.key, []).append(info)
    hulls = []
    rows: list[SourceCount] = []
    for key, idx in sorted(by_src.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        area = outside = None
        if len(idx) >= MIN_SITES_FOR_AREA:
            hull = _hull([projected[i] for i in idx])
            hulls.append(hull)
            area = float(hull.area) / _KM2
            outside = _outside(hull, cam_xy)
        infos = info_by_key.get(key, [])
        rows.append(
            SourceCount(
                key=key,
                names=tuple(dict.fromkeys(i.name for i in infos)),
                dates=tuple(
                    dict.fromkeys(f"{i.date_kind} {i.date}" for i in infos if i.date is not None)
                ),
                sites=len(idx),
                area_km2=area,
                cameras_outside=outside,
            )
        )
    return rows, hulls


def _counts(keys: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for k in keys:
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def _outside(area: Any, xy: np.ndarray) -> int:
    if not len(xy):
        return 0
    inside = shapely.intersects_xy(area, xy[:, 0], xy[:, 1])
    return int((~np.asarray(inside, dtype=bool)).sum())


__all__ = ["DataBasis", "SourceInfo", "data_basis", "source_key"]
