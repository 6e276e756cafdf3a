"""One site per place when two sources both provide it.

The downtown OSM extract and ``sj_sensitive_sites.geojson`` both carry the same
twelve churches, under different ids (``node/358838747`` and ``n358838747``). A
site from a later source is the same place as one already imported when

- both name the same OpenStreetMap object (``node/123``, ``n123``, ``osm_id``
  tag, ``@id``...), or
- they have the same category, the same name (case, accents and punctuation
  aside) and lie within :data:`SAME_PLACE_M` metres of each other.

The first source's copy is kept, and a merge never lowers protection:

- the kept site gets the entrances of every copy (its own and the ones moved over);
- when any copy came without entrances (protected by its whole footprint) and the
  merged site has entrances, it stays protected by its whole footprint as well
  (``footprint_protected``), on the union of the copies' polygons;
- every site whose protection basis changed is named in the import's warnings (which
  source gave entrances, which gave none), beside the count of sites kept once.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: Two same-named sites of one category closer than this are one place.
SAME_PLACE_M = 60.0
_OSM_RE = re.compile(r"^(?:osm[:/ ]?)?(node|way|relation|n|w|r)[/:]?\s*(\d+)$", re.IGNORECASE)
_KIND = {"n": "node", "w": "way", "r": "relation"}


def osm_key(value: Any) -> str | None:
    """``"way/123"`` for ``"w123"``, ``"way/123"``, ``"osm:way/123"``...; else None."""
    if value is None:
        return None
    m = _OSM_RE.match(str(value).strip())
    if not m:
        return None
    kind = m.group(1).lower()
    return f"{_KIND.get(kind, kind)}/{int(m.group(2))}"


def _osm_keys(row: Any) -> set[str]:
    keys = set()
    tags = row.get("tags")
    if isinstance(tags, str):
        try:
            tags = json.loads(tags)
        except ValueError:
            tags = {}
    if not isinstance(tags, dict):
        tags = {}
    for value in (
        row.get("source_id"),
        row.get("site_id"),
        tags.get("osm_id"),
        tags.get("@id"),
        tags.get("id"),
    ):
        k = osm_key(value)
        if k:
            keys.add(k)
    return keys


def _norm_name(text: Any) -> str:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", t).strip()


def _source_name(source: str) -> str:
    return "the OpenStreetMap data" if source.lower() in ("osm", "online", "overpass") else source


def deduplicate_sites(
    sites: gpd.GeoDataFrame, entrances: gpd.GeoDataFrame, *, origin: list[str]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[str]]:
    """Drop later copies of sites already given by an earlier source.

    Parameters
    ----------
    sites, entrances
        The merged layers (pack layout), earlier sources first.
    origin
        The source each site row came from (for the report), same length as ``sites``.

    Returns
    -------
    sites, entrances, messages
        The layers without duplicates, and one message per pair of sources merged.
    """
    n = len(sites)
    if n < 2:
        return sites, entrances, []
    records = sites.to_dict("records")
    cats = [str(r.get("category") or "") for r in records]
    geoms = np.asarray(sites.geometry.values, dtype=object)
    keep_of = _same_places(records, cats, geoms, origin)
    dropped = [i for i in range(n) if keep_of[i] != i]
    if not dropped:
        return sites, entrances, []
    ids = sites["site_id"].astype(str).tolist()
    ent_count: dict[str, int] = {}
    for sid in entrances["site_id"].astype(str) if len(entrances) else ():
        ent_count[sid] = ent_count.get(sid, 0) + 1
    ent = _move_entrances(entrances, ids, dropped, keep_of, ent_count)
    protect = np.zeros(n, dtype=bool)
    if "footprint_protected" in sites.columns:
        protect = sites["footprint_protected"].fillna(False).astype(bool).to_numpy().copy()
    geoms_out = geoms.copy()
    copies: dict[int, list[int]] = {}
    for i in dropped:
        copies.setdefault(keep_of[i], []).append(i)
    named = []
    for t, group in copies.items():
        merged = _merge_protection(t, group, ids, ent_count, protect, geoms, geoms_out)
        if merged is not None:
            with_ents, without = merged
            label = str(records[t].get("name") or "").strip() or ids[t]
            named.append(
                _protection_message(
                    label, cats[t], ids[t], with_ents, without, ids, ent_count, origin
                )
            )
    messages = _kept_once_messages(dropped, keep_of, origin) + named
    mask = np.ones(n, dtype=bool)
    mask[dropped] = False
    frame = pd.DataFrame(sites).drop(columns="geometry")
    frame["footprint_protected"] = protect
    out = gpd.GeoDataFrame(
        frame[mask].reset_index(drop=True), geometry=geoms_out[mask], crs=sites.crs
    )
    return out, ent, messages


def _same_places(
    records: list[dict[str, Any]], cats: list[str], geoms: np.ndarray, origin: list[str]
) -> list[int]:
    """For each row, the index of the row it is merged into (itself when it is kept)."""
    n = len(records)
    keys = [_osm_keys(r) for r in records]
    names = [_norm_name(r.get("name")) for r in records]
    # metres from degrees near the sites (a local equirectangular scale is plenty for 60 m)
    lat0 = float(np.nanmean(shapely.get_coordinates(geoms)[:, 1])) if n else 0.0
    sx, sy = 111_320.0 * np.cos(np.radians(lat0)), 110_540.0
    local = shapely.transform(geoms, lambda c: c * np.array([sx, sy]))
    tree = shapely.STRtree(local)
    keep_of = list(range(n))
    by_key: dict[str, int] = {}
    for i in range(n):
        target = next((by_key[k] for k in keys[i] if k in by_key), None)
        if target is None and names[i]:
            for j in tree.query(local[i], predicate="dwithin", distance=SAME_PLACE_M):
                j = int(j)
                if (
                    j < i
                    and keep_of[j] == j
                    and names[j] == names[i]
                    and cats[j] == cats[i]
                    and origin[j] != origin[i]
                ):
                    target = j
                    break
        if target is not None and origin[target] != origin[i]:
            keep_of[i] = target
        else:
            for k in keys[i]:
                by_key.setdefault(k, i)
    return keep_of


def _move_entrances(
    entrances: gpd.GeoDataFrame,
    ids: list[str],
    dropped: list[int],
    keep_of: list[int],
    ent_count: dict[str, int],
) -> gpd.GeoDataFrame:
    """Every dropped copy's entrances move to the kept site (a union: none is lost)."""
    remap = {ids[i]: ids[keep_of[i]] for i in dropped if ent_count.get(ids[i])}
    ent = entrances
    if len(ent):
        ent = ent.copy()
        ent["site_id"] = ent["site_id"].astype(str).map(lambda s: remap.get(s, s))
        gone = {ids[i] for i in dropped} - set(remap)
        ent = ent[~ent["site_id"].isin(gone)].reset_index(drop=True)
    return ent


def _merge_protection(
    t: int,
    group: list[int],
    ids: list[str],
    ent_count: dict[str, int],
    protect: np.ndarray,
    geoms: np.ndarray,
    geoms_out: np.ndarray,
) -> tuple[list[int], list[int]] | None:
    """Keep site ``t`` protected by its whole footprint when a copy had no entrances.

    Sets ``protect[t]`` and the union of the copies' polygons in ``geoms_out``; returns
    the copies with entrances and those without, or None when all had the same basis.
    """
    members = [t, *group]
    with_ents = [m for m in members if ent_count.get(ids[m])]
    without = [m for m in members if not ent_count.get(ids[m]) or protect[m]]
    if not with_ents or not without:
        return None  # every copy had the same basis: nothing changed
    protect[t] = True
    polygons = [geoms[m] for m in dict.fromkeys([*without, t]) if shapely.area(geoms[m]) > 0]
    if polygons:
        geoms_out[t] = shapely.union_all(polygons)
    return with_ents, without


def _protection_message(
    label: str,
    category: str,
    site_id: str,
    with_ents: list[int],
    without: list[int],
    ids: list[str],
    ent_count: dict[str, int],
    origin: list[str],
) -> str:
    """The warning naming a merged site whose protection basis changed."""
    n_ents = sum(ent_count.get(ids[m], 0) for m in with_ents)
    gave = ", ".join(dict.fromkeys(_source_name(origin[m]) for m in with_ents))
    gave_none = ", ".join(dict.fromkeys(_source_name(origin[m]) for m in without))
    return (
        f"{label} ({category.replace('_', ' ')}, {site_id}): {gave_none} "
        f"{'gives' if len(without) == 1 else 'give'} it no entrances, {gave} "
        f"{n_ents} entrance{'s' if n_ents != 1 else ''}: kept protected by its whole "
        "footprint and by the entrances (a merge never lowers protection)"
    )


def _kept_once_messages(dropped: list[int], keep_of: list[int], origin: list[str]) -> list[str]:
    """One warning per pair of sources: how many sites the later gave again."""
    counts: dict[tuple[str, str], int] = {}
    for i in dropped:
        pair = (origin[i], origin[keep_of[i]])
        counts[pair] = counts.get(pair, 0) + 1
    return [
        f"{c} site{'s' if c != 1 else ''} from {_source_name(later)} "
        f"{'were' if c != 1 else 'was'} already imported from {_source_name(first)} "
        f"(same OSM object, or same name and category within {SAME_PLACE_M:g} m): kept once"
        for (later, first), c in counts.items()
    ]


__all__ = ["SAME_PLACE_M", "deduplicate_sites", "osm_key"]
