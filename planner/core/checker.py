"""The compliance checker: capture zones, severities and findings (SPEC 4).

Capture and near-miss tests are done on the *core* of each zone (the entrance
point, the site footprint or the approach streets) and its buffer radius, not on a
buffered polygon: for a Euclidean buffer, ``dist(view, buffer(core, r)) =
max(0, dist(view, core) - r)``, so the view captures the zone exactly when
``dist(view, core) < r``. That is exact and cheaper than polygon overlay; the
buffered polygons are only built to report overlap areas and to draw the zones.

Each camera is measured in the UTM zone that contains it (SPEC 3). The zones'
cores, index and occluder for one CRS form a
:class:`~planner.core.capture_zones.Frame`; the frame of the
plan's home CRS is built up front, any other on first use and then kept, so a
statewide audit projects the sites once per zone. Geometry returned for drawing
is always in the home CRS.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from planner.core.buildings import BuildingIndex
from planner.core.capture_zones import CaptureZone, Frame, build_frame, build_zones
from planner.core.crs import Projector, camera_zone, utm_epsg, utm_epsgs
from planner.core.errors import CheckCancelled
from planner.core.findings import camera_findings, capture_finding, near_finding
from planner.core.geometry import cone_polygon, normalize_bearing
from planner.core.model import (
    Action,
    Camera,
    CameraResult,
    CameraStatus,
    Finding,
    PlanResult,
    Policy,
    Severity,
    Site,
)
from planner.core.visibility import (
    NoOcclusion,
    Occluder,
    ShadowOccluder,
    regular_intersection,
)

if TYPE_CHECKING:
    # networkx (0.25 s to import) is only needed when a street layer is given.
    from planner.core.streets import StreetNetwork

#: A view must reach this far (metres) into a zone to count as capturing it, so
#: that a view touching a zone's rim (zero overlap area) is a near miss, not a capture.
CAPTURE_EPS_M = 1e-6


class Checker:
    """Checks cameras against a policy, sites, and optional buildings and streets.

    Everything is projected and indexed once in the constructor, so per-camera
    checks (the live re-check during a drag) only do the per-camera work.
    Instances can be used from worker threads: what they build after construction
    (frames of other UTM zones, zone polygons, projected buildings) is cached under locks.
    """

    def __init__(
        self,
        *,
        policy: Policy,
        sites: Sequence[Site],
        projector: Projector,
        buildings: BuildingIndex | None = None,
        streets: StreetNetwork | None = None,
        occluder: Occluder | None = None,
    ) -> None:
        self.policy = policy
        self.sites = tuple(sites)
        self.projector = projector
        self.buildings = buildings
        self.streets = streets
        if occluder is None:
            occluder = ShadowOccluder(buildings) if buildings is not None else NoOcclusion()
        self.occluder = occluder
        self._site_index = {s.id: i for i, s in enumerate(self.sites)}
        table = build_zones(policy, self.sites, projector, streets)
        self._zone_meta = table.meta
        self._zone_site = table.site
        self._zone_margin = table.margin
        self._pieces_lonlat = table.pieces_lonlat
        pieces = table.pieces
        margins = np.asarray(self._zone_margin, dtype=float)
        reach = np.array([p.radius for p in pieces], dtype=float)
        if pieces:
            reach = reach + margins[[p.zone for p in pieces]]
        self._max_reach = float(reach.max()) if len(pieces) else 0.0
        self._home = Frame(projector, occluder, pieces)
        self._home_epsg = projector.epsg
        self._frames: dict[int, Frame] = {}
        self._frames_lock = threading.Lock()

    # -- frames ---------------------------------------------------------------

    def _frame(self, camera: Camera) -> Frame:
        """The frame of the UTM zone containing ``camera`` (SPEC 3)."""
        # Integer codes: comparing pyproj CRS objects costs tens of microseconds.
        epsg = utm_epsg(camera.lon, camera.lat)
        if epsg == self._home_epsg:
            return self._home
        frame = self._frames.get(epsg)
        if frame is None:
            with self._frames_lock:
                frame = self._frames.get(epsg)
                if frame is None:
                    frame = self._frames[epsg] = build_frame(
                        self._pieces_lonlat, camera_zone(camera.lon, camera.lat), self.buildings
                    )
        return frame

    def crs_used(self, cameras: Sequence[Camera]) -> list[str]:
        """Names of the CRSs ``cameras`` are measured in, home first (for reports)."""
        zones = {utm_epsg(c.lon, c.lat): c for c in cameras}
        names = {camera_zone(c.lon, c.lat).crs.name for c in zones.values()}
        home = self.projector.crs.name
        return sorted(names, key=lambda n: (n != home, n))

    def _to_home(self, frame: Frame, geom: BaseGeometry | None) -> BaseGeometry | None:
        if geom is None or frame is self._home:
            return geom
        return self.projector.project(frame.projector.unproject(geom))

    # -- geometry ---------------------------------------------------------------

    def camera_xy(self, camera: Camera) -> tuple[float, float]:
        """The camera position in the home CRS."""
        return self.projector.point(camera.lon, camera.lat)

    def cone(self, camera: Camera) -> BaseGeometry:
        """The camera's cone before occlusion, in the home CRS (SPEC 4.1)."""
        frame = self._frame(camera)
        x, y = frame.projector.point(camera.lon, camera.lat)
        cone = cone_polygon(
            x, y, heading_deg=camera.heading_deg, fov_deg=camera.fov_deg, range_m=camera.range_m
        )
        return self._to_home(frame, cone)

    def visible_cone(self, camera: Camera) -> BaseGeometry:
        """The cone minus what buildings hide, in the home CRS (SPEC 4.2)."""
        frame = self._frame(camera)
        x, y = frame.projector.point(camera.lon, camera.lat)
        cone = cone_polygon(
            x, y, heading_deg=camera.heading_deg, fov_deg=camera.fov_deg, range_m=camera.range_m
        )
        return self._to_home(frame, self._visible(frame, x, y, camera, cone))

    def _visible(
        self, frame: Frame, x: float, y: float, camera: Camera, cone: BaseGeometry
    ) -> BaseGeometry:
        full = camera.heading_deg is None or camera.fov_deg >= 360.0
        return frame.occluder.visible(
            x,
            y,
            cone,
            range_m=camera.range_m,
            heading_deg=None if full else camera.heading_deg,
            fov_deg=360.0 if full else camera.fov_deg,
        )

    def zone_geometry(self, zi: int) -> BaseGeometry:
        """Zone ``zi`` as a buffered polygon in the home CRS, built on first use and kept."""
        return self._home.zone_geometry(zi)

    @property
    def zones(self) -> tuple[CaptureZone, ...]:
        """Every capture zone as a buffered polygon, for drawing."""
        return tuple(
            CaptureZone(site_id, ent_id, basis, category, action, self.zone_geometry(zi))
            for zi, (site_id, ent_id, basis, category, action) in enumerate(self._zone_meta)
        )

    # -- checking ---------------------------------------------------------------

    def check_camera(self, camera: Camera, *, with_geometry: bool = True) -> CameraResult:
        """All findings for one camera, its status, cone and visible cone.

        Measured in the camera's own UTM zone; the geometry is returned in the home CRS.
        """
        frame = self._frame(camera)
        x, y = frame.projector.point(camera.lon, camera.lat)
        cone = cone_polygon(
            x, y, heading_deg=camera.heading_deg, fov_deg=camera.fov_deg, range_m=camera.range_m
        )
        if camera.status is CameraStatus.REMOVED:
            return CameraResult(
                camera.id,
                Severity.CLEAR,
                (),
                self._to_home(frame, cone) if with_geometry else None,
                None,
            )
        findings = camera_findings(self.policy, camera)
        cand = self._candidates(frame, cone)
        visible: BaseGeometry | None = None
        if len(cand) or with_geometry:
            visible = self._visible(frame, x, y, camera, cone)
        if len(cand) and visible is not None and not visible.is_empty:
            findings.extend(self._site_findings(frame, camera, visible, cand))
        status = Severity.worst(f.severity for f in findings)
        return CameraResult(
            camera.id,
            status,
            tuple(findings),
            self._to_home(frame, cone) if with_geometry else None,
            self._to_home(frame, visible) if with_geometry else None,
        )

    def _far_from_every_zone(self, cameras: Sequence[Camera]) -> np.ndarray:
        """Which cameras no capture zone can reach, found in one index query per zone.

        A camera's cone lies within its range (the arc polygon reaches 1/cos(0.5°)
        further) of its position, so a camera whose position is farther than that plus
        the largest zone reach from every zone core has no site finding to compute.
        """
        far = np.ones(len(cameras), dtype=bool)
        if not cameras or not self._home.pieces:
            return far
        lon = np.array([c.lon for c in cameras], dtype=float)
        lat = np.array([c.lat for c in cameras], dtype=float)
        reach = np.array([c.range_m for c in cameras], dtype=float) * 1.001 + self._max_reach
        epsg = utm_epsgs(lon, lat)
        for code in np.unique(epsg).tolist():
            idx = np.flatnonzero(epsg == code)
            frame = self._frame(cameras[int(idx[0])])
            if len(frame.pieces) == 0:
                continue
            x, y = frame.projector.forward(lon[idx], lat[idx])
            hits, _ = frame.tree.query(
                shapely.points(x, y), predicate="dwithin", distance=reach[idx]
            )
            far[idx[np.unique(hits)]] = False
        return far

    def reaches_a_zone(self, cameras: Sequence[Camera]) -> np.ndarray:
        """Which cameras some capture zone may reach; the others have no site finding.

        Conservative (a camera marked may still be clear): used to skip heading
        sweeps where no site can be involved (planner.propose).
        """
        return ~self._far_from_every_zone(cameras)

    def _candidates(self, frame: Frame, cone: BaseGeometry) -> np.ndarray:
        if len(frame.pieces) == 0:
            return np.empty(0, dtype=np.intp)
        hits: np.ndarray = frame.tree.query(cone, predicate="dwithin", distance=self._max_reach)
        return hits

    def _site_findings(
        self, frame: Frame, camera: Camera, visible: BaseGeometry, cand: np.ndarray
    ) -> list[Finding]:
        dist = shapely.distance(visible, frame.core[cand])
        slack = dist - frame.radius[cand]
        zones = frame.zone[cand]
        captured_by_zone: dict[int, float] = {}
        near_by_zone: dict[int, float] = {}
        for zi, s in zip(zones.tolist(), slack.tolist(), strict=True):
            if math.isnan(s):
                continue
            if s < -CAPTURE_EPS_M:
                captured_by_zone[zi] = min(s, captured_by_zone.get(zi, math.inf))
            elif s <= self._zone_margin[zi] + 1e-9:
                near_by_zone[zi] = min(s, near_by_zone.get(zi, math.inf))
        by_site: dict[int, tuple[list[int], list[int]]] = {}
        for zi in captured_by_zone:
            by_site.setdefault(self._zone_site[zi], ([], []))[0].append(zi)
        for zi in near_by_zone:
            if zi not in captured_by_zone:
                by_site.setdefault(self._zone_site[zi], ([], []))[1].append(zi)
        out = []
        for si in sorted(by_site):
            captured, near = by_site[si]
            site = self.sites[si]
            if captured:
                out.append(
                    capture_finding(
                        self.policy, self._zone_meta, frame, camera, site, visible, captured
                    )
                )
            else:
                d = max(0.0, min(near_by_zone[zi] for zi in near))
                out.append(near_finding(self.policy, self._zone_meta, camera, site, near, d))
        return out

    def _site_severity(self, frame: Frame, visible: BaseGeometry, cand: np.ndarray) -> Severity:
        """The worst site severity of a view, without building findings (for sweeps)."""
        slack = shapely.distance(visible, frame.core[cand]) - frame.radius[cand]
        worst = Severity.CLEAR
        for zi, sl in zip(frame.zone[cand].tolist(), slack.tolist(), strict=True):
            if math.isnan(sl):
                continue
            if sl < -CAPTURE_EPS_M:
                if self._zone_meta[zi][4] is Action.BLOCK:
                    return Severity.BLOCK
                worst = Severity.WARN
            elif sl <= self._zone_margin[zi] + 1e-9:
                worst = Severity.WARN
        return worst

    def check_cameras(
        self,
        cameras: Sequence[Camera],
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        with_geometry: bool = False,
    ) -> PlanResult:
        """Check every camera in order; ``cancel`` is polled between cameras.

        Without geometry, cameras that no zone can reach get only their own findings
        (capabilities, unknown heading): a citywide audit builds no cone for them.
        """
        result = PlanResult()
        total = len(cameras)
        far = (
            self._far_from_every_zone(cameras)
            if not with_geometry
            else np.zeros(len(cameras), dtype=bool)
        )
        for i, cam in enumerate(cameras):
            if cancel is not None and cancel():
                raise CheckCancelled
            if far[i]:
                if cam.status is CameraStatus.REMOVED:
                    res = CameraResult(cam.id, Severity.CLEAR, (), None, None)
                else:
                    own = tuple(camera_findings(self.policy, cam))
                    res = CameraResult(
                        cam.id, Severity.worst(f.severity for f in own), own, None, None
                    )
            else:
                res = self.check_camera(cam, with_geometry=with_geometry)
            result.results.append(res)
            if progress is not None:
                progress(i + 1, total)
        return result

    # -- headings ---------------------------------------------------------------

    def heading_profile(
        self, camera: Camera, *, step_deg: float = 1.0
    ) -> list[tuple[float, Severity]]:
        """Severity from sites alone for headings ``0, step, 2*step, ...`` at this position.

        Occlusion is radial, so the full-disc visible region is computed once and
        each heading's view is that region cut by the heading's sector.
        """
        frame = self._frame(camera)
        x, y = frame.projector.point(camera.lon, camera.lat)
        disc_cam = camera.replace(heading_deg=None, capabilities=())
        disc = cone_polygon(x, y, heading_deg=None, fov_deg=360.0, range_m=camera.range_m)
        cand = self._candidates(frame, disc)
        n = max(1, round(360.0 / step_deg))
        headings = [i * 360.0 / n for i in range(n)]
        if len(cand) == 0:
            return [(h, Severity.CLEAR) for h in headings]
        fov = min(camera.fov_deg, 360.0)
        sectors = [
            cone_polygon(x, y, heading_deg=h, fov_deg=fov, range_m=camera.range_m) for h in headings
        ]
        # A view lies inside its sector, so a sector farther from every zone than the
        # zone's radius plus its warning margin is clear whatever buildings hide: no
        # overlay for it (and none at all when every heading is such).
        slack = (
            shapely.distance(np.asarray(sectors, dtype=object)[:, None], frame.core[cand][None, :])
            - (frame.radius[cand] + np.asarray(self._zone_margin)[frame.zone[cand]])[None, :]
        )
        reachable = (slack <= 1e-6).any(axis=1)
        if not reachable.any():
            return [(h, Severity.CLEAR) for h in headings]
        visible_disc = self._visible(frame, x, y, disc_cam, disc)
        occluded = visible_disc is not disc
        out = []
        for h, sector, near in zip(headings, sectors, reachable.tolist(), strict=True):
            if not near:
                out.append((h, Severity.CLEAR))
                continue
            # A shadow edge almost on the sector's edge would leave a sliver (SPEC 4.2).
            view = (
                regular_intersection(visible_disc, sector)
                if occluded
                else shapely.intersection(visible_disc, sector)
            )
            sev = Severity.CLEAR
            if not view.is_empty:
                sev = self._site_severity(frame, view, cand)
            out.append((h, sev))
        return out

    def allowed_headings(
        self, camera: Camera, *, step_deg: float = 1.0
    ) -> list[tuple[float, float]]:
        """Intervals ``(start, end)`` of headings that are not blocked, clockwise.

        Interval ends are placed half a step beyond the last allowed sample, so they
        are within ``step_deg / 2`` of the true boundary. ``[(0, 360)]`` means every
        heading is allowed; ``[]`` means none.
        """
        profile = self.heading_profile(camera, step_deg=step_deg)
        ok = [sev is not Severity.BLOCK for _, sev in profile]
        return _runs(profile, ok)

    def clear_headings(self, camera: Camera, *, step_deg: float = 1.0) -> list[tuple[float, float]]:
        """Like :meth:`allowed_headings` but only headings with no finding at all."""
        profile = self.heading_profile(camera, step_deg=step_deg)
        return _runs(profile, [sev is Severity.CLEAR for _, sev in profile])

    def nearest_allowed_heading(self, camera: Camera, *, step_deg: float = 1.0) -> float | None:
        """The clear heading closest to the camera's own; else the closest non-blocked one."""
        profile = self.heading_profile(camera, step_deg=step_deg)
        current = camera.heading_deg if camera.heading_deg is not None else 0.0
        for wanted in (Severity.CLEAR, Severity.WARN):
            best: tuple[float, float] | None = None
            for h, sev in profile:
                if sev.rank > wanted.rank:
                    continue
                d = abs(((h - current) + 180.0) % 360.0 - 180.0)
                if best is None or d < best[0]:
                    best = (d, h)
            if best is not None:
                return best[1]
        return None


def _runs(profile: list[tuple[float, Severity]], ok: list[bool]) -> list[tuple[float, float]]:
    if all(ok):
        return [(0.0, 360.0)]
    if not any(ok):
        return []
    n = len(ok)
    # The samples are 360 / n apart, which is step_deg only when it divides 360.
    step_deg = 360.0 / n
    # Start scanning just after a disallowed sample so runs do not straddle the seam.
    first_bad = ok.index(False)
    runs: list[tuple[float, float]] = []
    i = 0
    while i < n:
        j = (first_bad + 1 + i) % n
        if ok[j]:
            start = j
            length = 0
            while i < n and ok[(first_bad + 1 + i) % n]:
                length += 1
                i += 1
            start_h = profile[start][0] - step_deg / 2.0
            end_h = profile[start][0] + (length - 1) * step_deg + step_deg / 2.0
            runs.append((normalize_bearing(start_h), normalize_bearing(end_h)))
        else:
            i += 1
    return runs
