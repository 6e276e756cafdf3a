"""Merging what an import read: one frame per layer, each site once.

Layers from several sources are concatenated with duplicates by id dropped (so
overlapping extracts combine), sites given by two sources are de-duplicated
(:mod:`planner.io.datapack.site_dedup`), and what the merged pack lacks is said in
plain words (:func:`missing_layer_warnings`).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from planner.io.datapack.layout import conform_layer

BBox = tuple[float, float, float, float]

#: The layers an OSM source gives, and the columns that identify a row in each.
ID_COLUMNS = {
    "streets": ["u", "v", "key"],
    "buildings": ["building_id"],
    "sites": ["site_id"],
    "entrances": ["entrance_id"],
    "cameras_existing": ["camera_id"],
}


def merge_layer(name: str, frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """One layer from every source's frame, conformed, the first of each id kept."""
    frames = [conform_layer(name, f) for f in frames if f is not None and len(f)]
    if not frames:
        return conform_layer(name, None)
    if len(frames) == 1:
        return frames[0]
    merged = pd.concat(frames, ignore_index=True)
    keys = ID_COLUMNS.get(name)
    if keys:
        merged = merged.drop_duplicates(subset=keys, keep="first").reset_index(drop=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")


def in_bbox(frame: gpd.GeoDataFrame, bbox: BBox | None) -> gpd.GeoDataFrame:
    """The rows of ``frame`` meeting ``bbox`` (all of them without one)."""
    if bbox is None or not len(frame):
        return frame
    import shapely

    return frame[frame.intersects(shapely.box(*bbox))].reset_index(drop=True)


def missing_layer_warnings(layers: dict[str, gpd.GeoDataFrame]) -> list[str]:
    """What a pack lacks that changes what a check means, in plain words."""
    n = {name: len(frame) for name, frame in layers.items() if frame is not None}
    out = []
    if not n.get("streets"):
        out.append(
            "the pack has no streets: add an OSM extract (e.g. an .osm.bz2 or .osm.pbf "
            "of the area) so the map shows streets and new cameras snap to them"
        )
    if not n.get("buildings"):
        out.append(
            "the pack has no buildings: cones are not clipped by buildings, so every "
            "camera is checked as if it saw through walls"
        )
    sites = n.get("sites", 0)
    if sites:
        with_entrance = set(layers["entrances"]["site_id"]) if n.get("entrances") else set()
        without = sum(1 for sid in layers["sites"]["site_id"] if sid not in with_entrance)
        if without == sites:
            out.append(
                "the pack has no site entrances: sites without entrances are protected "
                "by their whole footprint"
            )
        elif without:
            out.append(
                f"{without} of {sites} sites have no entrance: sites without entrances "
                "are protected by their whole footprint"
            )
    return out


def deduplicate_across_sources(
    merged: dict[str, gpd.GeoDataFrame],
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[str]]:
    """Each site once, though two sources (an OSM extract, a city list) both give it."""
    from planner.io.datapack.site_dedup import deduplicate_sites

    sites = merged["sites"]
    origin = [str(v) for v in sites["source"]] if "source" in sites else [""] * len(sites)
    return deduplicate_sites(sites, merged["entrances"], origin=origin)
