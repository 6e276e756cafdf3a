"""Gather the layers a check needs (data pack and single files) and build a Checker.

Given the plan's cameras, a data pack is read through its R-tree, only around them
(:mod:`planner.io.datapack.query`), so a small plan costs the same on a citywide pack
as on a demo one; without cameras, or for a plan that covers the city, the whole
pack is read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from planner.core.buildings import BuildingIndex, Footprints, polygonal, repair_polygons
from planner.core.checker import Checker
from planner.core.crs import Projector
from planner.core.errors import CheckCancelled, InputError
from planner.core.model import Camera, Policy, Site
from planner.io.datapack.hash_cache import cached_sha256
from planner.io.formats.buildings import read_buildings
from planner.io.formats.sites import check_categories, read_sites
from planner.io.formats.street_table import StreetTable
from planner.io.safety.common import sha256_file

Progress = Callable[[str, float], None]


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """Provenance of one input layer, for reports (SPEC 6 ``layers``)."""

    kind: str
    path: str
    sha256: str
    features: int

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "sha256": self.sha256,
            "features": self.features,
        }


@dataclass
class Inputs:
    """Everything a check reads besides the plan and the policy, in lon/lat."""

    sites: list[Site] = field(default_factory=list)
    buildings: Footprints | None = None
    streets: StreetTable | None = None
    #: a data pack's boundaries, ``(geometries, {"name": ..., "kind": ...})``
    boundaries: tuple[np.ndarray, dict[str, np.ndarray]] | None = None
    #: a data pack's ``pack_metadata`` (sources, attribution, import time...)
    metadata: dict[str, Any] = field(default_factory=dict)
    cameras_existing: list[Camera] = field(default_factory=list)
    layers: list[LayerInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def center(self) -> tuple[float, float] | None:
        """A lon/lat inside the data, for choosing a CRS when the plan is empty."""
        pts: list[tuple[float, float]] = []
        for s in self.sites[:1000]:
            c = s.geometry.centroid
            pts.append((c.x, c.y))
        pts.extend((c.lon, c.lat) for c in self.cameras_existing[:1000])
        if not pts and self.streets is not None and len(self.streets):
            b = self.streets.total_bounds
            return ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
        if not pts and self.buildings is not None and len(self.buildings):
            b = self.buildings.bounds[0]
            return (float(b[0] + b[2]) / 2, float(b[1] + b[3]) / 2)
        if not pts:
            return None
        arr = np.asarray(pts)
        return (float(arr[:, 0].mean()), float(arr[:, 1].mean()))


def _step(
    progress: Progress | None, cancel: Callable[[], bool] | None, what: str, frac: float
) -> None:
    if cancel is not None and cancel():
        raise CheckCancelled
    if progress is not None:
        progress(what, frac)


def read_streets_file(path: Path) -> Any:
    """A street layer from GeoJSON/GeoPackage (LineStrings) or an osmnx GraphML file."""
    import pyogrio

    from planner.io.safety.vector_source import check_plain_file, vector_source

    check_plain_file(path)
    if path.suffix.lower() == ".graphml":
        # The same safe XML reader and coordinate checks as import (SPEC 7).
        from planner.io.openstreetmap.graphml import read_graphml_streets

        return read_graphml_streets(path)
    src = vector_source(path)
    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(src)]
        df = pyogrio.read_dataframe(
            src, layer="streets" if "streets" in layers else (layers[0] if layers else None)
        )
    except Exception as exc:  # GDAL errors come in several types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(path, "", f"cannot read streets: {first}") from None
    if df.crs is not None and df.crs.to_epsg() != 4326:
        df = df.to_crs(4326)
    # The street network uses LineStrings only; anything else would vanish silently.
    lines = df.geometry.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()
    if len(df) and not lines.any():
        raise InputError(path, "", "holds no LineString features (a street layer needs lines)")
    df = df[lines].explode(index_parts=False, ignore_index=True)
    if len(df):
        minx, miny, maxx, maxy = df.total_bounds
        if not np.isfinite(shapely.get_coordinates(df.geometry.values)).all():
            raise InputError(path, "", "coordinates must be finite numbers")
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            msg = "coordinates are not longitude/latitude and the layer names no CRS"
            raise InputError(path, "", msg)
    return df


def load_inputs(
    *,
    policy: Policy,
    data: Path | None = None,
    sites: Sequence[Path] = (),
    buildings: Sequence[Path] = (),
    streets: Path | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    cameras: Sequence[Camera] | None = None,
) -> Inputs:
    """Read a data pack and/or single layer files, validating everything.

    With ``cameras`` (the plan to check) and a policy without approach zones, the
    pack's buildings are read only around the cameras that can reach a site (see
    :mod:`planner.io.datapack.query`); findings are the same as with the whole layer.
    """
    inputs = Inputs()
    building_parts: list[Footprints] = []
    lean = data is not None and cameras is not None and not _needs_streets(policy)
    if data is not None and lean:
        from planner.io.datapack.query import read_pack_subset

        _step(progress, cancel, f"Reading data pack {data.name}", 0.0)
        subset = read_pack_subset(data, regions=None)
        digest = cached_sha256(data)
        inputs.sites.extend(subset.sites)
        inputs.metadata = subset.metadata
        for kind in ("sites", "entrances", "buildings", "streets"):
            inputs.layers.append(LayerInfo(kind, f"{data}#{kind}", digest, subset.counts[kind]))
        check_categories(subset.sites, policy=policy, source=str(data))
    elif data is not None:
        from planner.io.datapack.query import read_pack_arrays
        from planner.io.datapack.validated import remember_validated, was_validated

        _step(progress, cancel, f"Reading data pack {data.name}", 0.0)
        digest = cached_sha256(data)
        trusted = was_validated(digest)
        # sqlite3 and numpy only: no pandas, and the buildings as compact footprints
        # (as shapely objects a citywide layer would take over 200 MB).
        pack = read_pack_arrays(
            data,
            validated=trusted,
            progress=lambda what, f: _step(progress, cancel, f"{data.name}: {what}", f),
        )
        if not trusted:
            remember_validated(digest)
        inputs.sites.extend(pack.sites)
        inputs.cameras_existing.extend(pack.cameras_existing)
        inputs.warnings.extend(pack.warnings)
        inputs.boundaries = pack.boundaries
        inputs.metadata = pack.metadata
        # One entry per pack layer the check uses, all with the pack's own hash.
        for kind in ("sites", "entrances", "buildings", "streets"):
            inputs.layers.append(LayerInfo(kind, f"{data}#{kind}", digest, pack.counts[kind]))
        if len(pack.buildings):
            building_parts.append(pack.buildings)
        if len(pack.streets):
            inputs.streets = pack.streets
        check_categories(pack.sites, policy=policy, source=str(data))
    n = max(1, len(sites) + len(buildings) + (streets is not None))
    done = 0
    for path in sites:
        _step(progress, cancel, f"Reading sites {path.name}", done / n)
        layer_sites = read_sites(path, policy=policy, warnings=inputs.warnings)
        inputs.sites.extend(layer_sites)
        inputs.layers.append(LayerInfo("sites", str(path), sha256_file(path), len(layer_sites)))
        done += 1
    seen: dict[str, str] = {}
    for site in inputs.sites:
        if site.id in seen:
            raise InputError(
                site.source or "sites",
                f'site "{site.id}"',
                f"duplicate site id (also in {seen[site.id]})",
            )
        seen[site.id] = site.source or "sites"
    if data is not None and lean:
        # Now that every site is known: buildings around the cameras that can reach one.
        near, near_warnings = _pack_buildings_near(
            data, policy, inputs.sites, cameras or (), validate=not subset.buildings_validated
        )
        inputs.warnings.extend(near_warnings)
        if len(near):
            building_parts.append(near)
    for path in buildings:
        _step(progress, cancel, f"Reading buildings {path.name}", done / n)
        layer = read_buildings(path)
        building_parts.append(_file_footprints(layer.geoms, path, inputs.warnings))
        inputs.layers.append(LayerInfo("buildings", str(path), cached_sha256(path), len(layer)))
        done += 1
    if streets is not None:
        _step(progress, cancel, f"Reading streets {streets.name}", done / n)
        extra = StreetTable.of(read_streets_file(streets)) or StreetTable(np.empty(0, object))
        if inputs.streets is not None and len(inputs.streets):
            # --streets adds to the pack's streets (SPEC 6); node ids of the two
            # layers are unrelated, so the network derives nodes from endpoints.
            inputs.streets = inputs.streets.concat(extra, drop=("u", "v"))
        else:
            inputs.streets = extra
        inputs.layers.append(LayerInfo("streets", str(streets), sha256_file(streets), len(extra)))
    if building_parts:
        inputs.buildings = (
            building_parts[0] if len(building_parts) == 1 else Footprints.concat(building_parts)
        )
    _step(progress, cancel, "Layers read", 1.0)
    return inputs


def _file_footprints(geoms: np.ndarray, path: Path, warnings: list[str]) -> Footprints:
    """A buildings file's polygons, invalid ones repaired and listed in ``warnings``."""
    geoms, repaired = repair_polygons(geoms)
    for i in repaired[:20].tolist():
        warnings.append(f"{path}: buildings: feature {i + 1}: invalid polygon repaired")
    if len(repaired) > 20:
        warnings.append(f"{path}: buildings: {len(repaired) - 20} more invalid polygons repaired")
    return Footprints.from_geometries(geoms[polygonal(geoms)])


def _pack_buildings_near(
    data: Path,
    policy: Policy,
    sites: Sequence[Site],
    cameras: Sequence[Camera],
    *,
    validate: bool,
) -> tuple[Footprints, list[str]]:
    from planner.io.datapack.query import cameras_near_sites, check_regions, read_pack_buildings

    reach = max(
        (policy.entrance_radius(c) + policy.warn_margin(c) for c in {s.category for s in sites}),
        default=0.0,
    )
    # Cameras near sites all over the city (regions None): one pass over the layer.
    regions = check_regions(cameras_near_sites(cameras, sites, reach_m=reach))
    return read_pack_buildings(data, regions=regions, validate=validate)


def _needs_streets(policy: Policy) -> bool:
    """Whether any category has approach zones, which need the whole street layer."""
    return policy.approach_m > 0 or any(policy.approach(name) > 0 for name in policy.categories)


def build_checker(
    inputs: Inputs,
    *,
    policy: Policy,
    cameras: Sequence[Camera] = (),
    projector: Projector | None = None,
) -> Checker:
    """Project and index the inputs in the UTM zone of ``cameras`` (SPEC 3)."""
    if projector is None:
        projector = Projector.for_points(
            [(c.lon, c.lat) for c in cameras], fallback=inputs.center() or (0.0, 0.0)
        )
    buildings = None
    if inputs.buildings is not None and len(inputs.buildings):
        # Repaired and checked when read (load_inputs): only indexed here.
        buildings = BuildingIndex(inputs.buildings, projector)
    streets = None
    if inputs.streets is not None and len(inputs.streets):
        from planner.core.streets import StreetNetwork

        table = StreetTable.of(inputs.streets)
        assert table is not None  # not None in, not None out
        streets = StreetNetwork.from_geometries(
            table.geoms,
            projector=projector,
            u=table.get("u"),
            v=table.get("v"),
            names=table.get("name"),
            highway=table.get("highway"),
        )
    return Checker(
        policy=policy, sites=inputs.sites, projector=projector, buildings=buildings, streets=streets
    )
