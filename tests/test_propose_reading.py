"""The candidate sweep's short cuts give what the full computation gives (SPEC 9).

The sweep skips a position's shadows where no legal heading could read a zone
over the read-zone pieces not *surely hidden* (deep inside a footprint away from
the camera). Two proofs on grids whose buildings straddle the streets, so that
many pieces lie inside footprints: every piece the short cut calls hidden is
hidden by the occluder's own shadows, at kerb positions and at points on and near
walls; and the pose table equals the one computed with the shadows at every
position, pose by pose.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from planner.cli import main
from planner.core.checker import Checker
from planner.core.model import Camera, Severity
from planner.io.checking.loader import build_checker, load_inputs
from planner.io.formats.policy import builtin_policy
from planner.propose.approaches import Approaches, build_approaches, streets_from_table
from planner.propose.candidates import CandidateParams, Lens, Positions, kerb_positions
from planner.propose.poses import PoseTable, build_poses
from planner.propose.reading import CLEAR_M, ReadingModel
from tests.test_propose import _osm_grid

LENSES = (
    Lens("flock_falcon", 20.0, 25.0, ("plate_read", "vehicle_fingerprint")),
    Lens("flock_falcon_lr", 14.0, 76.0, ("plate_read", "vehicle_fingerprint")),
)


def _straddling_pack(tmp: Path, seed: int) -> Path:
    """A 4 x 4 grid (about 100 m blocks) with buildings across its streets and one site."""
    rng = np.random.default_rng(seed)
    lon0, lat0, step = -121.89, 37.33, 0.0011
    osm = tmp / "grid.osm"
    _osm_grid(osm, lon0, lat0, 4, step)
    boxes = []
    for _ in range(14):
        # On a street line (either direction), anywhere along it, some wide enough
        # to swallow a whole read zone.
        along = rng.uniform(0, 3 * step)
        across = int(rng.integers(0, 4)) * step + rng.uniform(-0.00003, 0.00003)
        cx, cy = (
            (lon0 + along, lat0 + across) if rng.random() < 0.5 else (lon0 + across, lat0 + along)
        )
        w, h = rng.uniform(0.00008, 0.0004, 2)
        boxes.append(shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    site_x, site_y = lon0 + 1.5 * step, lat0 + 1.5 * step
    site = shapely.box(site_x, site_y, site_x + 0.0001, site_y + 0.0001)

    def collection(geoms: list, props: dict) -> str:
        features = [
            {"type": "Feature", "id": f"f{i}", "properties": props,
             "geometry": shapely.geometry.mapping(g)}
            for i, g in enumerate(geoms)
        ]  # fmt: skip
        return json.dumps({"type": "FeatureCollection", "features": features})

    (tmp / "b.geojson").write_text(collection(boxes, {}), encoding="utf-8")
    site_props = {"category": "place_of_worship", "name": "Site"}
    (tmp / "s.geojson").write_text(collection([site], site_props), encoding="utf-8")
    pack = tmp / "pack.gpkg"
    argv = ["import", str(osm), "--sites", str(tmp / "s.geojson"),
            "--buildings", str(tmp / "b.geojson"), "-o", str(pack), "-q"]  # fmt: skip
    assert main(argv) == 0
    return pack


def _instance(tmp: Path, seed: int) -> tuple[Checker, Approaches, Positions]:
    pack = _straddling_pack(tmp, seed)
    policy = builtin_policy()
    inputs = load_inputs(policy=policy, data=pack)
    checker = build_checker(inputs, policy=policy)
    streets = streets_from_table(inputs.streets, checker.projector)
    approaches = build_approaches(streets)
    positions = kerb_positions(streets, checker, CandidateParams(), targets=None)
    return checker, approaches, positions


def _probe_points(checker: Checker, positions: Positions) -> np.ndarray:
    """Kerb positions, and points on, just inside and just outside every wall."""
    occluder = checker.occluder
    geoms = occluder.buildings.local(np.arange(len(checker.buildings))).geoms  # type: ignore[attr-defined,arg-type]
    rings = shapely.get_exterior_ring(geoms)
    pts = [np.column_stack([positions.x, positions.y])]
    for d in (0.0, 0.3, 0.6):
        on = shapely.line_interpolate_point(rings, 0.37, normalized=True)
        for g, p in zip(geoms, on, strict=True):
            c = shapely.centroid(g)
            v = np.array([p.x - c.x, p.y - c.y])
            v /= np.hypot(*v)
            pts.append(
                np.array([[p.x + d * v[0], p.y + d * v[1]], [p.x - d * v[0], p.y - d * v[1]]])
            )
    return np.vstack(pts)


@pytest.mark.parametrize("seed", [4, 5])
def test_surely_hidden_pieces_are_hidden_by_the_shadows(tmp_path, seed) -> None:
    checker, approaches, positions = _instance(tmp_path, seed)
    model = ReadingModel(checker, approaches, CandidateParams().read)
    assert (model.held >= 0).sum() > 100  # the streets do run through buildings
    cut = near_walls = 0
    for x, y in _probe_points(checker, positions).tolist():
        near = model.near_pieces(x, y, 76.0)
        sure = np.setdiff1d(near, model.not_surely_hidden(x, y, near))
        visible = model.unhidden(x, y, 76.0, near)
        assert not np.isin(sure, visible).any(), (x, y)
        cut += len(sure)
        holders = model.holders[np.unique(model.held[near][model.held[near] >= 0])]
        near_walls += bool((shapely.distance(holders, shapely.Point(x, y)) < CLEAR_M).any())
    assert cut > 1000  # the short cut did apply
    assert near_walls > 10  # and points next to a holding footprint were tried


def _full_computation(
    checker: Checker, approaches: Approaches, positions: Positions, params: CandidateParams
) -> dict[tuple[int, int, float], tuple[int, tuple[int, ...]]]:
    """Every legal reading pose, with the shadows computed at every position."""
    model = ReadingModel(checker, approaches, params.read)
    out = {}
    for p in range(len(positions)):
        x, y = float(positions.x[p]), float(positions.y[p])
        seg = model.segments_in_view(x, y, max(lens.range_m for lens in LENSES))
        for k, lens in enumerate(LENSES):
            cam = _probe(positions, p, lens)
            sev = np.array(
                [s.rank for _, s in checker.heading_profile(cam, step_deg=params.heading_step_deg)]
            )
            if seg is None:
                continue
            zones, reads, _ = model.reads(
                x, y, seg, fov_deg=lens.fov_deg, range_m=lens.range_m, headings=params.headings
            )
            for h in np.flatnonzero(reads.any(axis=0) & (sev <= Severity.CLEAR.rank)).tolist():
                out[(p, k, float(params.headings[h]))] = (int(sev[h]), tuple(zones[reads[:, h]]))
    return out


def _probe(positions: Positions, p: int, lens: Lens) -> Camera:
    return Camera(id="probe", lon=float(positions.lon[p]), lat=float(positions.lat[p]),
                  heading_deg=None, fov_deg=lens.fov_deg, range_m=lens.range_m,
                  capabilities=lens.capabilities)  # fmt: skip


def _as_dict(t: PoseTable) -> dict[tuple[int, int, float], tuple[int, tuple[int, ...]]]:
    return {
        (int(t.position[k]), int(t.lens[k]), float(t.heading[k])): (
            int(t.severity[k]),
            tuple(t.reads_of(k).tolist()),
        )
        for k in range(len(t))
    }


def test_pose_table_equals_the_full_computation(tmp_path) -> None:
    checker, approaches, positions = _instance(tmp_path, 6)
    params = CandidateParams()
    table = build_poses(checker, approaches, positions, LENSES, params)
    full = _full_computation(checker, approaches, positions, params)
    assert len(full) > 50
    assert _skipped_by_the_deep_pieces(checker, approaches, positions, params) > 0
    assert _as_dict(table) == full


def _skipped_by_the_deep_pieces(
    checker: Checker, approaches: Approaches, positions: Positions, params: CandidateParams
) -> int:
    """Positions whose shadows only the surely hidden pieces let the sweep skip."""
    model = ReadingModel(checker, approaches, params.read)
    looks = [(lens.fov_deg, lens.range_m, params.headings) for lens in LENSES]
    n = 0
    for x, y in zip(positions.x.tolist(), positions.y.tolist(), strict=True):
        near = model.near_pieces(x, y, 76.0)
        kept = model.not_surely_hidden(x, y, near)
        bound = model.zones_readable_unoccluded(x, y, model.seg.take(kept), looks)
        loose = model.zones_readable_unoccluded(x, y, model.seg.take(near), looks)
        n += len(bound) == 0 and len(loose) > 0
    return n
