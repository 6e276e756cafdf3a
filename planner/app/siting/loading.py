"""Load data layers and build the checker; plain functions that run on a worker thread."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from planner.app.siting.document import DataContext
from planner.core.errors import CheckCancelled
from planner.core.model import Camera, Plan, Policy, Site

#: Source ``kind`` values the importer writes for OpenStreetMap input (a file or Overpass).
OSM_SOURCE_KINDS = frozenset({"osm", "online", "overpass", "openstreetmap"})
#: The pack layers an OSM source can feed, as named in a source's ``features`` counts.
OSM_LAYERS = ("streets", "buildings", "sites", "entrances", "cameras_existing")


def demo_paths() -> tuple[Path, Path]:
    """The embedded demo: ``(plan, data pack)``, as shipped under the data folder.

    Resolved from :mod:`planner.resources` alone: importing :mod:`planner.io.datapack.demo` (the
    generator) would pull in geopandas and pandas before the first paint.
    """
    from planner.resources import data_path

    return data_path("demo", "demo.plan.geojson"), data_path("demo", "demo.gpkg")


def is_bundled(path: Path) -> bool:
    """Whether ``path`` is one of the planner's bundled files (the demo, policies...).

    Bundled files are read-only to the app: saving one saves a copy elsewhere.
    """
    from planner.resources import data_dir

    try:
        target = Path(path).resolve()
        roots = {data_dir().resolve(), demo_paths()[0].resolve().parent}
    except OSError:
        return False
    return any(target == r or r in target.parents for r in roots)


def user_documents_dir() -> Path:
    """The user's documents folder (where a copy of a bundled plan is saved)."""
    from PySide6.QtCore import QStandardPaths

    loc = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(loc) if loc else Path.home()


def osm_layers_from_metadata(metadata: Mapping[str, Any] | None) -> frozenset[str]:
    """The layers of a data pack that come from OpenStreetMap, by its metadata.

    The importer lists every input under ``sources`` with its ``kind`` (``"osm"`` for
    a file, ``"online"`` for Overpass) and per-layer ``features`` counts. The pack's
    ``attribution`` entry cannot decide it: the pack writer adds the OSM line to every
    pack, even a synthetic one. A pack marked ``synthetic`` has no OSM data.

    Returns
    -------
    frozenset of str
        Some of ``"streets"``, ``"buildings"``, ``"sites"``, ``"cameras_existing"``
        (entrances count as sites).
    """
    if not metadata or metadata.get("synthetic") is True:
        return frozenset()
    out: set[str] = set()
    for src in metadata.get("sources") or ():
        if not isinstance(src, Mapping):
            continue
        kind = str(src.get("kind") or "").lower()
        if kind not in OSM_SOURCE_KINDS and "openstreetmap" not in kind:
            continue
        counts = src.get("features")
        if isinstance(counts, Mapping):
            out.update(layer for layer in OSM_LAYERS if counts.get(layer))
        else:  # an OSM source of unknown content may have fed any layer
            out.update(OSM_LAYERS)
    if "entrances" in out:
        out.discard("entrances")
        out.add("sites")
    return frozenset(out)


def site_is_osm(site: Site) -> bool:
    """Whether a site says it comes from OSM (a pack's ``osm:...`` source, or a file's tags)."""
    source = site.source.lower()
    if source.startswith("osm") or "openstreetmap" in source:
        return True
    tag_source = str(site.tags.get("source") or "").lower()
    return "openstreetmap" in tag_source or "osm_id" in site.tags


def osm_layers_of(metadata: Mapping[str, Any] | None, sites: Iterable[Site]) -> frozenset[str]:
    """:func:`osm_layers_from_metadata`, plus ``"sites"`` when any site is from OSM."""
    out = osm_layers_from_metadata(metadata)
    if "sites" not in out and any(site_is_osm(s) for s in sites):
        out |= {"sites"}
    return out


def load_policy() -> Policy:
    from planner.io.formats.policy import builtin_policy

    return builtin_policy()


def load_catalogue() -> Any:
    from planner.io.formats.catalogue import builtin_catalogue

    return builtin_catalogue()


def load_data_context(
    *,
    policy: Policy,
    cameras: Sequence[Camera],
    pack: Path | None = None,
    sites: Sequence[Path] = (),
    buildings: Sequence[Path] = (),
    progress: Callable[[str, float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> DataContext:
    """Read the layers and build the checker (slow: call on a worker for big packs).

    Raises
    ------
    InputError
        When a layer cannot be read; the caller shows it and keeps the old data.
    """
    from planner.io.checking.loader import build_checker, load_inputs

    inputs = load_inputs(
        data=pack,
        sites=list(sites),
        buildings=list(buildings),
        policy=policy,
        progress=progress,
        cancel=cancel,
    )
    metadata = inputs.metadata
    checker = build_checker(inputs, policy=policy, cameras=cameras)
    if cancel is not None and cancel():
        raise CheckCancelled
    if progress is not None:
        progress("Preparing the map", 0.95)
    # A pack's buildings stream into the map by area from its spatial index
    # (planner.app.map.canvas.stream): no citywide copy to project before the first paint.
    canvas_layers = _canvas_layers(
        inputs, checker, stream_buildings=pack is not None and not buildings
    )
    return DataContext(
        checker=checker,
        projector=checker.projector,
        sites=list(inputs.sites),
        buildings=inputs.buildings,
        streets=inputs.streets,
        street_network=getattr(checker, "streets", None),
        cameras_existing=list(inputs.cameras_existing),
        layers=list(inputs.layers),
        pack_path=pack,
        osm_layers=osm_layers_of(metadata, inputs.sites),
        canvas_layers=canvas_layers,
        pack_inputs=inputs if pack is not None and not sites and not buildings else None,
        pack_stamp=_stamp(pack),
    )


def _canvas_layers(inputs: Any, checker: Any, *, stream_buildings: bool) -> Any:
    """The static layers projected for the map (``planner.app.map.canvas.prepare``).

    Seconds of projection on a citywide pack: done on the Python worker thread that
    loads (pyproj is safe on it), so installing the data on the GUI thread stays quick.
    """
    from planner.app.map.canvas.prepare import prepare_boundary_arrays, prepare_layers

    boundaries = None
    if inputs.boundaries is not None:
        geoms, cols = inputs.boundaries
        boundaries = prepare_boundary_arrays(
            geoms, names=cols.get("name"), kinds=cols.get("kind"), projector=checker.projector
        )
    return prepare_layers(
        projector=checker.projector,
        streets=inputs.streets,
        buildings=None if stream_buildings else inputs.buildings,
        sites=inputs.sites,
        zones=getattr(checker, "zones", ()),
        boundaries=boundaries,
    )


def _stamp(path: Path | None) -> tuple[int, int] | None:
    try:
        st = Path(path).stat() if path is not None else None
    except OSError:
        return None
    return None if st is None else (st.st_size, st.st_mtime_ns)


def reusable_inputs(data: DataContext | None, pack: Path | None) -> Any:
    """The loaded inputs and checker of ``data`` when they are ``pack``'s alone, unchanged
    since they were read (for :func:`planner.io.checking.recheck.recheck`'s ``reuse``), else
    None."""
    if data is None or pack is None or data.pack_inputs is None or data.pack_path is None:
        return None
    if Path(data.pack_path) != Path(pack) or data.pack_stamp is None:
        return None
    if _stamp(pack) != data.pack_stamp:
        return None
    from types import SimpleNamespace

    return SimpleNamespace(inputs=data.pack_inputs, checker=data.checker, pack=Path(pack))


def load_plan_and_data(
    *,
    plan_path: Path | None,
    pack: Path | None,
    policy: Policy,
    sites: Sequence[Path] = (),
    buildings: Sequence[Path] = (),
    progress: Callable[[str, float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[Plan | None, DataContext]:
    """Read a plan (if any) and its data; the plan's cameras choose the projection."""
    plan = None
    if plan_path is not None:
        from planner.io.formats.plan import read_plan

        plan = read_plan(plan_path)
    cams = [] if plan is None else plan.cameras
    data = load_data_context(
        policy=policy,
        cameras=cams,
        pack=pack,
        sites=sites,
        buildings=buildings,
        progress=progress,
        cancel=cancel,
    )
    return plan, data
