"""Downloading an area of OpenStreetMap with osmnx, into the same layers as a file.

Only when the network setting allows it (:func:`planner.io.config.network.require`,
before osmnx is imported: its geocoder and Overpass calls are the connections); a
failed download is one line naming the place, never an internal error.
"""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from planner.core.errors import InputError
from planner.io.openstreetmap.data import OsmData, check_bbox, check_cancel, osm_data_from_overpass
from planner.io.openstreetmap.frames import CancelFn, OsmLayers, ProgressFn
from planner.io.openstreetmap.layers import layers_from_osm_data
from planner.io.openstreetmap.rules import CategoryRules, load_category_rules

#: Tag keys never asked of Overpass on their own (every named object of an area).
_NAME_KEYS = frozenset({"name", "brand", "operator"})


def fetch_osm(
    place_or_bbox: str | tuple[float, float, float, float],
    *,
    rules: CategoryRules | None = None,
    catalogue: Any = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> OsmLayers:
    """Download an area from the Overpass API with osmnx and build its layers.

    Parameters
    ----------
    place_or_bbox
        A place name osmnx can geocode (``"San José, California"``) or a bbox
        ``(west, south, east, north)``.

    The download is the union of every highway way in the area (osmnx's ``all``
    network, which includes the service roads entrances need) and the objects
    that can be sites, buildings, gates and ALPR cameras, each with its nodes and
    member ways; the result then goes through the same pipeline as a file.
    """
    from planner.io.config.network import require

    # Before osmnx is imported: its geocoder and Overpass calls are the connections.
    target = place_or_bbox if isinstance(place_or_bbox, str) else ",".join(map(str, place_or_bbox))
    require("osm", target)
    try:
        return _download_osm(
            place_or_bbox, rules=rules, catalogue=catalogue, progress=progress, cancel=cancel
        )
    except _download_errors() as exc:
        # a failed download is the user's input (a place, a bbox, the network), said in
        # one line, never an internal error
        raise InputError(
            "Overpass API", target, f"the download failed: {type(exc).__name__}: {exc}"
        ) from None


def _download_errors() -> tuple[type[BaseException], ...]:
    import requests
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    return (requests.RequestException, InsufficientResponseError, ResponseStatusCodeError)


def _download_osm(
    place_or_bbox: str | tuple[float, float, float, float],
    *,
    rules: CategoryRules | None,
    catalogue: Any,
    progress: ProgressFn | None,
    cancel: CancelFn | None,
) -> OsmLayers:
    """The area's streets and feature objects from Overpass, through the file pipeline."""
    say = progress or (lambda _m, _f: None)
    polygon, bbox, label = _area(place_or_bbox, say)
    rules = rules or load_category_rules()
    data = OsmData(source=f"Overpass API ({label})")
    _download_into(data, polygon, _feature_tags(rules), say, cancel)
    if data.is_empty():
        msg = "Overpass returned no OSM data for this area"
        raise InputError(data.source, "", msg)
    layers = layers_from_osm_data(
        data, bbox=bbox, rules=rules, catalogue=catalogue, progress=progress, cancel=cancel
    )
    return layers


def _area(
    place_or_bbox: str | tuple[float, float, float, float], say: ProgressFn
) -> tuple[BaseGeometry, tuple[float, float, float, float] | None, str]:
    """The polygon to download, the bbox to cut the layers to (None for a place), a label."""
    if isinstance(place_or_bbox, str):
        from osmnx import geocoder

        say(f"geocoding {place_or_bbox}", 0.0)
        polygon = geocoder.geocode_to_gdf(place_or_bbox).geometry.iloc[0]
        return polygon, None, place_or_bbox
    check_bbox(place_or_bbox)
    w, s, e, n = (float(v) for v in place_or_bbox)
    bbox = (w, s, e, n)
    return shapely.box(*bbox), bbox, "bbox " + " ".join(f"{v:g}" for v in bbox)


def _feature_tags(rules: CategoryRules) -> dict[str, bool | str | list[str]]:
    """The Overpass feature query: buildings, gates, cameras and every key a rule tests."""
    feature_tags: dict[str, bool | str | list[str]] = {
        "building": True,
        "barrier": True,
        "entrance": True,
        "man_made": "surveillance",
    }
    for rule in rules.rules:
        for test in (*rule.all, *(t for group in rule.any for t in group)):
            # Asking Overpass for every named object would download the whole
            # area; name/brand rules still apply to the clinics fetched by tag.
            if test.key not in _NAME_KEYS:
                feature_tags.setdefault(test.key, True)
    return feature_tags


def _download_into(
    data: OsmData,
    polygon: BaseGeometry,
    feature_tags: dict[str, bool | str | list[str]],
    say: ProgressFn,
    cancel: CancelFn | None,
) -> None:
    """Download the network (osmnx's ``all``) and the features; merge them into ``data``."""
    from osmnx import _overpass

    say("downloading streets", 0.05)
    responses = list(_overpass._download_overpass_network(polygon, "all", None))
    check_cancel(cancel)
    say("downloading sites, buildings and cameras", 0.3)
    responses += list(_overpass._download_overpass_features(polygon, feature_tags))
    for resp in responses:
        part = osm_data_from_overpass(resp, source=data.source, cancel=cancel)
        data.nodes.update(part.nodes)
        data.node_tags.update(part.node_tags)
        data.ways.update(part.ways)
        data.way_tags.update(part.way_tags)
        data.relations.update(part.relations)
        data.relation_tags.update(part.relation_tags)
        data.base_timestamp = max(
            filter(None, [data.base_timestamp, part.base_timestamp]), default=None
        )
        data.note_timestamp(part.newest_timestamp)
