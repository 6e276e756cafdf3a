"""``siting-planner import``: turn OSM and city GIS sources into one data pack.

Sources are read one by one (OSM files through
:func:`planner.io.openstreetmap.layers.read_osm_source`,
a place name or ``W,S,E,N`` through :func:`planner.io.openstreetmap.download.fetch_osm`), merged
(duplicates by id dropped, so overlapping extracts can be combined), joined by city
GIS layers, and written with :func:`planner.io.datapack.store.write_pack`, which only replaces
the output once the whole pack is written. Any bad input stops the import with an
:class:`InputError` before anything is written.

Here are the stages in order, each a named step of :func:`run_import`; the sources
are read by :mod:`planner.io.datapack.import_sources` and merged by
:mod:`planner.io.datapack.import_merge`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from planner.core.errors import CheckCancelled, InputError
from planner.io.datapack import gis_layers
from planner.io.datapack.addresses import addresses_from_sites, merge_addresses
from planner.io.datapack.import_merge import (
    ID_COLUMNS,
    BBox,
    deduplicate_across_sources,
    in_bbox,
    merge_layer,
    missing_layer_warnings,
)
from planner.io.datapack.import_sources import (
    address_points,
    file_info,
    is_online,
    now_text,
    read_source,
)
from planner.io.datapack.layout import ATTRIBUTION, SPATIAL_LAYERS
from planner.io.datapack.store import Cancel, Progress, read_pack, write_pack
from planner.io.openstreetmap.data import check_bbox


@dataclass
class ImportSummary:
    """What an import wrote."""

    output: Path
    counts: dict[str, int]
    sources: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    existing_plan: Path | None = None
    elapsed_s: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        c = self.counts
        text = (
            f"wrote {self.output}: {c.get('streets', 0)} street edges, "
            f"{c.get('buildings', 0)} buildings, "
            f"{c.get('sites', 0)} sites ({c.get('entrances', 0)} entrances), "
            f"{c.get('cameras_existing', 0)} existing cameras"
        )
        if c.get("boundaries"):
            text += f", {c['boundaries']} boundaries"
        if c.get("addresses"):
            text += f", {c['addresses']} addresses"
        text += f" in {self.elapsed_s:.1f} s"
        if self.existing_plan is not None:
            text += f"\nwrote {self.existing_plan}: existing cameras as a plan"
        return text


class _Stages:
    """Maps each stage's own 0..1 onto the overall 0..1 for one progress callback."""

    def __init__(self, weights: Sequence[tuple[str, float]], progress: Progress | None) -> None:
        self.weights = list(weights)
        self.total = sum(w for _, w in self.weights) or 1.0
        self.progress = progress
        self.index = -1
        self.base = 0.0

    def next(self, label: str | None = None) -> Progress:
        if self.index >= 0:
            self.base += self.weights[self.index][1]
        self.index += 1
        name, weight = self.weights[self.index]
        title = label or name

        def report(*args: Any) -> None:
            # Callees report (message, fraction) or a bare fraction.
            fraction = next((a for a in reversed(args) if isinstance(a, int | float)), 0.0)
            message = next((a for a in args if isinstance(a, str)), title)
            if self.progress is not None:
                frac = (self.base + weight * max(0.0, min(1.0, float(fraction)))) / self.total
                self.progress(message, frac)

        report(title, 0.0)
        return report


def _check_cancel(cancel: Cancel | None) -> None:
    if cancel is not None and cancel():
        msg = "cancelled"
        raise CheckCancelled(msg)


def run_import(
    sources: Sequence[str | Path],
    output: str | Path,
    *,
    bbox: Sequence[float] | None = None,
    site_layers: Sequence[str | gis_layers.LayerSpec] = (),
    building_layers: Sequence[str | Path] = (),
    boundary_layers: Sequence[str | gis_layers.LayerSpec] = (),
    existing_plan: str | Path | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ImportSummary:
    """Import sources into a data pack at ``output``.

    Parameters
    ----------
    sources
        OSM files (XML, PBF, GraphML, Overpass JSON, ALPR GeoJSON), or place names
        / ``"W,S,E,N"`` strings fetched online with osmnx.
    output
        The ``.gpkg`` to write; replaced only when the import succeeds.
    bbox
        ``(west, south, east, north)``: keep only what intersects it.
    site_layers
        City site layers, ``FILE[:category=...,name=...,id=...,lon=...,lat=...]``.
    building_layers
        Building footprints (GeoJSON, GeoPackage, zipped GeoPackage, Shapefile).
    boundary_layers
        City limits / districts, ``FILE[:kind=...,name=FIELD]``.
    existing_plan
        Also write the existing cameras as a plan file here.
    progress
        ``progress(stage, fraction)`` with the overall fraction 0..1.
    cancel
        Polled between and inside stages; when true, :class:`CheckCancelled` is
        raised and nothing is written.

    Raises
    ------
    InputError
        Any bad source or argument; the output (and any older pack there) is untouched.
    """
    started = time.perf_counter()
    job = _check_job(
        sources, output, bbox, site_layers, building_layers, boundary_layers, existing_plan
    )
    stages = _Stages(_stage_weights(job), progress)
    read = _Gathered()
    _read_sources(job, read, stages, cancel)
    _read_site_layers(job, read, stages, cancel)
    _read_building_layers(job, read, stages, cancel)
    _read_boundary_layers(job, read, stages, cancel)
    merged = _merge_layers(job, read)
    _check_cancel(cancel)
    summary = _write(job, read, merged, stages, cancel)
    summary.elapsed_s = time.perf_counter() - started
    if progress is not None:
        progress("import done", 1.0)
    return summary


def _write(
    job: _Job,
    read: _Gathered,
    merged: dict[str, gpd.GeoDataFrame],
    stages: _Stages,
    cancel: Cancel | None,
) -> ImportSummary:
    """Write the pack (and the existing cameras' plan) with the record of its sources."""
    metadata = {
        "sources": read.source_info,
        "osm_timestamp": max(read.timestamps) if read.timestamps else None,
        "import_time": now_text(),
        "tag_rules": read.rules_used,
        "bbox": list(job.box) if job.box else None,
        "attribution": ATTRIBUTION,
        "warnings": read.warnings,
    }
    warnings = read.warnings
    warnings.extend(missing_layer_warnings(merged))
    meta = write_pack(job.out, merged, metadata, progress=stages.next(), cancel=cancel)
    summary = ImportSummary(
        output=job.out,
        counts=dict(meta["feature_counts"]),
        sources=read.source_info,
        warnings=warnings + [w for w in meta.get("repairs", []) if w not in warnings],
        metadata=meta,
    )
    if job.plan_path is not None:
        stages.next()
        _write_existing_plan(job.out, job.plan_path)
        summary.existing_plan = job.plan_path
    return summary


@dataclass
class _Job:
    """An import's checked arguments."""

    out: Path
    box: BBox | None
    src_texts: list[str]
    plan_path: Path | None
    site_specs: list[gis_layers.LayerSpec]
    building_layers: Sequence[str | Path]
    boundary_specs: list[gis_layers.LayerSpec]


@dataclass
class _Gathered:
    """What the reading stages collected, layer by layer."""

    parts: dict[str, list[gpd.GeoDataFrame]] = field(
        default_factory=lambda: {name: [] for name in SPATIAL_LAYERS}
    )
    source_info: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timestamps: list[str] = field(default_factory=list)
    rules_used: dict[str, Any] = field(default_factory=dict)
    address_frames: list[gpd.GeoDataFrame] = field(default_factory=list)


def _check_job(
    sources: Sequence[str | Path],
    output: str | Path,
    bbox: Sequence[float] | None,
    site_layers: Sequence[str | gis_layers.LayerSpec],
    building_layers: Sequence[str | Path],
    boundary_layers: Sequence[str | gis_layers.LayerSpec],
    existing_plan: str | Path | None,
) -> _Job:
    """Every argument checked before anything is read (bad ones are InputError)."""
    out = Path(output)
    box = check_bbox(bbox)
    src_texts = [str(s) for s in sources]
    if not src_texts and not site_layers and not building_layers:
        raise InputError("import", "", "give at least one source, --sites or --buildings layer")
    if out.suffix.lower() != ".gpkg":
        raise InputError(out, "", "the data pack must be a .gpkg file")
    if out.is_dir():
        raise InputError(out, "", "is a folder; give a .gpkg file name")
    if not out.parent.exists():
        raise InputError(out, "", f"folder {out.parent} does not exist")
    plan_path = Path(existing_plan) if existing_plan is not None else None
    if plan_path is not None and not plan_path.parent.exists():
        raise InputError(plan_path, "", f"folder {plan_path.parent} does not exist")
    site_specs = [
        gis_layers.parse_layer_spec(str(s)) if not isinstance(s, gis_layers.LayerSpec) else s
        for s in site_layers
    ]
    boundary_specs = [
        gis_layers.parse_layer_spec(str(s)) if not isinstance(s, gis_layers.LayerSpec) else s
        for s in boundary_layers
    ]
    _refuse_outputs_over_inputs(
        out, plan_path, src_texts, site_specs, building_layers, boundary_specs
    )
    return _Job(out, box, src_texts, plan_path, site_specs, building_layers, boundary_specs)


def _stage_weights(job: _Job) -> list[tuple[str, float]]:
    """Each stage's share of the progress bar, roughly by how long it takes."""
    weights = [(f"reading {Path(s).name if not is_online(s) else s}", 4.0) for s in job.src_texts]
    weights += [(f"reading sites {sp.path.name}", 1.0) for sp in job.site_specs]
    weights += [(f"reading buildings {Path(str(b)).name}", 3.0) for b in job.building_layers]
    weights += [(f"reading boundaries {sp.path.name}", 0.5) for sp in job.boundary_specs]
    weights += [("writing pack", 3.0)]
    if job.plan_path is not None:
        weights.append(("writing existing cameras plan", 0.5))
    return weights


def _read_sources(job: _Job, read: _Gathered, stages: _Stages, cancel: Cancel | None) -> None:
    """OSM files and downloads: every layer they give."""
    for text in job.src_texts:
        _check_cancel(cancel)
        layers, info = read_source(text, bbox=job.box, progress=stages.next(), cancel=cancel)
        for name in ID_COLUMNS:
            read.parts[name].append(getattr(layers, name))
        read.warnings.extend(getattr(layers, "warnings", []) or [])
        if getattr(layers, "osm_timestamp", None):
            read.timestamps.append(str(layers.osm_timestamp))
        read.rules_used = read.rules_used or dict(getattr(layers, "rules_used", {}) or {})
        read.source_info.append(info)


def _read_site_layers(job: _Job, read: _Gathered, stages: _Stages, cancel: Cancel | None) -> None:
    """City site layers with their field mappings; a layer with no site in the box is refused."""
    box = job.box
    for spec in job.site_specs:
        _check_cancel(cancel)
        stages.next()
        sites, entrances = gis_layers.read_site_layer(spec, cancel=cancel, warnings=read.warnings)
        sites = in_bbox(sites, box)
        entrances = entrances[entrances["site_id"].isin(set(sites["site_id"]))]
        if not len(sites):
            where = "bbox " + " ".join(f"{v:g}" for v in box) if box else ""
            raise InputError(
                spec.source,
                where,
                "no sites in this layer" + (" inside the bounding box" if box else ""),
            )
        read.parts["sites"].append(sites)
        read.parts["entrances"].append(entrances)
        read.source_info.append(file_info(spec.source, "sites", len(sites), mapping=spec.mapping))


def _read_building_layers(
    job: _Job, read: _Gathered, stages: _Stages, cancel: Cancel | None
) -> None:
    """Building footprints, and the address points a buildings file may carry."""
    for layer in job.building_layers:
        _check_cancel(cancel)
        stages.next()
        frame = gis_layers.read_building_layer(layer, bbox=job.box, warnings=read.warnings)
        read.parts["buildings"].append(frame)
        read.source_info.append(file_info(str(layer), "buildings", len(frame)))
        read.address_frames.append(address_points(layer, job.box, read.source_info))


def _read_boundary_layers(
    job: _Job, read: _Gathered, stages: _Stages, cancel: Cancel | None
) -> None:
    """City limits and council districts."""
    for spec in job.boundary_specs:
        _check_cancel(cancel)
        stages.next()
        frame = gis_layers.read_boundary_layer(spec)
        read.parts["boundaries"].append(frame)
        read.source_info.append(
            file_info(spec.source, "boundaries", len(frame), mapping=spec.mapping)
        )


def _merge_layers(job: _Job, read: _Gathered) -> dict[str, gpd.GeoDataFrame]:
    """One frame per layer: duplicates by id dropped, sites de-duplicated across sources."""
    parts = read.parts
    merged = {
        name: merge_layer(name, frames)
        for name, frames in parts.items()
        if name not in ("boundaries", "addresses")
    }
    if parts["boundaries"]:
        merged["boundaries"] = merge_layer("boundaries", parts["boundaries"])
    merged["sites"], merged["entrances"], notes = deduplicate_across_sources(merged)
    read.warnings.extend(notes)
    read.address_frames.append(addresses_from_sites(merged["sites"]))
    addresses = merge_addresses(read.address_frames)
    if len(addresses):
        merged["addresses"] = addresses
    known_sites = set(merged["sites"]["site_id"])
    orphans = ~merged["entrances"]["site_id"].isin(known_sites)
    if orphans.any():
        # An entrance whose site was dropped as a duplicate of another source's copy.
        merged["entrances"] = merged["entrances"][~orphans].reset_index(drop=True)
    if not any(len(f) for name, f in merged.items() if name != "boundaries"):
        box = job.box
        where = "bbox " + " ".join(f"{v:g}" for v in box) if box else ""
        raise InputError(
            ", ".join(job.src_texts) or "import",
            where,
            "nothing to import: no streets, buildings, sites or cameras",
        )
    return merged


def _refuse_outputs_over_inputs(
    out: Path,
    plan_path: Path | None,
    sources: Sequence[str],
    site_specs: Sequence[gis_layers.LayerSpec],
    building_layers: Sequence[str | Path],
    boundary_specs: Sequence[gis_layers.LayerSpec],
) -> None:
    """Neither the pack nor the plan may be written over an input, or over each other."""
    from planner.io.safety.outputs import refuse_output_over_inputs

    inputs: list[tuple[str, str | Path | None]] = [("a source", s) for s in sources]
    inputs += [("a --sites layer", spec.path) for spec in site_specs]
    inputs += [("a --buildings layer", str(b)) for b in building_layers]
    inputs += [("a --boundaries layer", spec.path) for spec in boundary_specs]
    refuse_output_over_inputs(out, inputs, option="-o")
    if plan_path is not None:
        refuse_output_over_inputs(
            plan_path, [*inputs, ("the data pack (-o)", out)], option="--existing-plan"
        )


def _write_existing_plan(pack_path: Path, plan_path: Path) -> None:
    from planner.core.model import Plan, PlanMeta
    from planner.io.formats.plan import PACK_LINK_KEY, pack_link_json, write_plan

    pack = read_pack(pack_path, layers={"cameras_existing"})
    meta = PlanMeta(
        name=f"Existing cameras from {pack_path.name}",
        extra={
            # the same link the app writes and reads: relative to the plan, absolute too
            PACK_LINK_KEY: pack_link_json(pack=pack_path, plan_path=plan_path, sha256=pack.sha256),
            "attribution": ATTRIBUTION,
        },
    )
    write_plan(Plan(cameras=list(pack.cameras_existing), meta=meta), plan_path)


# --------------------------------------------------------------------------- CLI
