"""The protected sites layer from OSM, classified by the tag rules, and their entrances.

Every node, way and area relation a rule of ``data/osm_categories.toml`` matches is a
site (its geometry from :mod:`planner.io.openstreetmap.geometry`, never dropped for a
bad outline); its vehicle entrances are found by :mod:`planner.io.openstreetmap.entrances`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import geopandas as gpd
import shapely

from planner.io.formats.site_geometry import protect_site_geometry
from planner.io.openstreetmap.data import OsmData
from planner.io.openstreetmap.entrances import find_entrances
from planner.io.openstreetmap.frames import empty_layer, make_layer
from planner.io.openstreetmap.geometry import is_area_relation, object_geometry
from planner.io.openstreetmap.rules import CategoryRules
from planner.io.openstreetmap.streets import is_drivable


def sites_from_osm_data(
    data: OsmData, rules: CategoryRules, warnings: list[str]
) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    candidates: Sequence[tuple[str, int, Mapping[str, str]]] = (
        [("node", n, t) for n, t in data.node_tags.items()]
        + [("way", w, t) for w, t in data.way_tags.items()]
        + [("relation", r, t) for r, t in data.relation_tags.items() if is_area_relation(t)]
    )
    # A multipolygon's outer ways sometimes repeat the relation's tags (old
    # tagging style); the relation is the site, so its members are skipped.
    member_of_site: set[int] = set()
    for rid, rel_tags in data.relation_tags.items():
        if is_area_relation(rel_tags) and rules.classify(rel_tags) is not None:
            member_of_site.update(ref for t, ref, _ in data.relations[rid] if t == "way")
    for kind, oid, tags in candidates:
        rule = rules.classify(tags)
        if rule is None or (kind == "way" and oid in member_of_site):
            continue
        geom = object_geometry(data, kind, oid)
        if geom is None:
            warnings.append(f"{kind}/{oid}: {rule.category} site without usable geometry skipped")
            continue
        if geom.geom_type != "Point":
            # Never dropped: a site with no area keeps its outline (see site_geometry).
            geom = protect_site_geometry(geom, data.source, f"{kind}/{oid}", warnings)
        site_id = f"{kind}/{oid}"
        rows.append(
            {
                "site_id": site_id,
                "category": rule.category,
                "name": tags.get("name", ""),
                "source": "osm",
                "source_id": site_id,
                "tags": json.dumps(dict(sorted(tags.items())), ensure_ascii=False),
                "verified": rule.verified,
            }
        )
        geoms.append(geom)
    return make_layer("sites", rows, geoms)


def entrances_for_sites(data: OsmData, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if sites.empty:
        return empty_layer("entrances")
    public = {w for w, t in data.way_tags.items() if is_drivable(t)}
    found = find_entrances(
        data, list(zip(sites["site_id"], sites.geometry, strict=True)), public_way_ids=public
    )
    rows = [{"entrance_id": e.entrance_id, "site_id": e.site_id, "basis": e.basis} for e in found]
    return make_layer("entrances", rows, [shapely.Point(e.lon, e.lat) for e in found])
