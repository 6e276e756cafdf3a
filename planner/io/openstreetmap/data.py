"""Raw OpenStreetMap objects read from a file, before any layer is built.

Every OSM source (XML, PBF, an Overpass JSON response) is first turned into an
:class:`OsmData`: plain dicts of nodes, ways and relations with their tags. The
layer builders (:func:`planner.io.openstreetmap.layers.layers_from_osm_data`) work on
this one form only, so a new source format needs a reader and nothing else.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from planner.core.errors import CheckCancelled, InputError
from planner.io.safety.common import parse_json

Tags = dict[str, str]
#: A relation member: (type "node" | "way" | "relation", ref, role).
Member = tuple[str, int, str]

#: Overpass JSON responses are read whole into memory; refuse anything absurd.
MAX_JSON_BYTES = 512 * 1024**2
#: Arrays and objects in one JSON response (each costs ~100-300 bytes in memory).
MAX_JSON_CONTAINERS = 20_000_000

# Bounds on what one OSM source may produce (SPEC 7: oversized input is refused).
#: Decompressed bytes: at most this ratio to the compressed file (OSM XML compresses
#: about 12:1, Overpass JSON 8:1; a bomb 1000:1 or more) ...
MAX_DECOMPRESSION_RATIO = 100
#: ... but small files may always expand to this much.
MIN_DECOMPRESSED_ALLOWANCE = 16 * 1024**2
#: And never more than this (a whole-city OSM XML is about 1 GB).
MAX_DECOMPRESSED_BYTES = 8 * 1024**3
#: Nodes, ways and relations in one source.
MAX_OSM_OBJECTS = 50_000_000
#: Node references of one way (OSM's own limit is 2,000).
MAX_WAY_NODES = 10_000
#: Members of one relation (OSM's own limit is 32,000).
MAX_RELATION_MEMBERS = 100_000
#: Tags of one object.
MAX_TAGS = 1_000
#: Characters of one tag key or value (OSM's own limit is 255).
MAX_TAG_CHARS = 4_096


def _is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number (``true`` and ``false`` are not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def decompressed_limit(compressed_size: int) -> int:
    """How many bytes a compressed file of ``compressed_size`` bytes may expand to."""
    return min(
        MAX_DECOMPRESSED_BYTES,
        max(MIN_DECOMPRESSED_ALLOWANCE, MAX_DECOMPRESSION_RATIO * compressed_size),
    )


def check_tags(file: str, where: str, tags: Mapping[str, str]) -> None:
    """Refuse an object with more than :data:`MAX_TAGS` tags or an overlong key or value."""
    if len(tags) > MAX_TAGS:
        msg = f"{len(tags):,} tags on one object (the limit is {MAX_TAGS:,})"
        raise InputError(file, where, msg)
    for k, v in tags.items():
        if len(k) > MAX_TAG_CHARS or len(v) > MAX_TAG_CHARS:
            msg = (
                f"tag {k[:40]!r} is {max(len(k), len(v)):,} characters long "
                f"(the limit is {MAX_TAG_CHARS:,}; OSM allows 255)"
            )
            raise InputError(file, where, msg)


def check_sizes(file: str, where: str, *, refs: int = 0, members: int = 0) -> None:
    """Refuse a way or relation past :data:`MAX_WAY_NODES` / :data:`MAX_RELATION_MEMBERS`."""
    if refs > MAX_WAY_NODES:
        msg = f"way with {refs:,} nodes (the limit is {MAX_WAY_NODES:,}; OSM allows 2,000)"
        raise InputError(file, where, msg)
    if members > MAX_RELATION_MEMBERS:
        msg = f"relation with {members:,} members (the limit is {MAX_RELATION_MEMBERS:,})"
        raise InputError(file, where, msg)


def check_object_count(file: str, where: str, count: int) -> None:
    if count > MAX_OSM_OBJECTS:
        msg = f"more than {MAX_OSM_OBJECTS:,} OSM objects; use a smaller extract (--bbox)"
        raise InputError(file, where, msg)


@dataclass
class OsmData:
    """Nodes, ways and relations of one OSM source.

    ``nodes`` maps every node id to ``(lon, lat)``; only tagged nodes appear in
    ``node_tags``. Ways keep their node references in order; a way whose nodes are
    missing from the file (cut at the edge of an extract) keeps the references and
    the layer builders skip the missing ones.
    """

    source: str
    nodes: dict[int, tuple[float, float]] = field(default_factory=dict)
    node_tags: dict[int, Tags] = field(default_factory=dict)
    ways: dict[int, list[int]] = field(default_factory=dict)
    way_tags: dict[int, Tags] = field(default_factory=dict)
    relations: dict[int, list[Member]] = field(default_factory=dict)
    relation_tags: dict[int, Tags] = field(default_factory=dict)
    #: Newest ``timestamp`` attribute of any object, ISO 8601.
    newest_timestamp: str | None = None
    #: The file's own snapshot time (Overpass ``osm_base``, ``<osm timestamp>``).
    base_timestamp: str | None = None
    generator: str = ""

    @property
    def timestamp(self) -> str | None:
        """The time the data describes: the snapshot time, else the newest object."""
        return self.base_timestamp or self.newest_timestamp

    def note_timestamp(self, value: str | None) -> None:
        # ISO 8601 UTC strings ("2017-10-21T00:06:01Z") compare correctly as text.
        if value and (self.newest_timestamp is None or value > self.newest_timestamp):
            self.newest_timestamp = value

    def is_empty(self) -> bool:
        return not (self.nodes or self.ways or self.relations)


def check_lonlat(file: str, where: str, lon: float, lat: float) -> None:
    """Raise :class:`InputError` unless ``lon``/``lat`` are finite and in range."""
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"coordinates out of range: lon={lon}, lat={lat}"
        raise InputError(file, where, msg)


def check_bbox(bbox: Sequence[float] | None) -> tuple[float, float, float, float] | None:
    """Validate ``(west, south, east, north)`` in degrees: the four numbers, or None."""
    if bbox is None:
        return None
    try:
        w, s, e, n = (float(v) for v in bbox)
    except (TypeError, ValueError):
        msg = f"must be four numbers W S E N, got {bbox!r}"
        raise InputError("--bbox", "", msg) from None
    if not all(math.isfinite(v) for v in (w, s, e, n)) or not (
        -180 <= w < e <= 180 and -90 <= s < n <= 90
    ):
        msg = f"must be W S E N with W < E and S < N in degrees, got {w} {s} {e} {n}"
        raise InputError("--bbox", "", msg)
    return (w, s, e, n)


def check_cancel(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        msg = "import cancelled"
        raise CheckCancelled(msg)


def load_json_file(path: Path) -> Any:
    """Read a (possibly gzipped) JSON file, turning every failure into InputError."""
    file = str(path)
    try:
        compressed = path.suffix.lower() == ".gz"
        limit = (
            min(MAX_JSON_BYTES, decompressed_limit(path.stat().st_size))
            if compressed
            else MAX_JSON_BYTES
        )
        opener = gzip.open if compressed else Path.open
        with opener(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        msg = "file not found"
        raise InputError(file, "", msg) from None
    except (OSError, EOFError) as exc:
        # gzip raises BadGzipFile (an OSError) or EOFError for truncated files.
        msg = f"cannot read the file: {exc}"
        raise InputError(file, "", msg) from None
    if len(raw) > limit:
        msg = (
            f"expands to more than {limit:,} bytes; refused (a decompression bomb, or "
            "too large to read as JSON)"
        )
        raise InputError(file, "", msg)
    if not raw.strip():
        msg = "file is empty"
        raise InputError(file, "", msg)
    containers = raw.count(b"[") + raw.count(b"{")
    if containers > MAX_JSON_CONTAINERS:
        msg = f"more than {MAX_JSON_CONTAINERS:,} JSON arrays and objects; too large to read"
        raise InputError(file, "", msg)
    return parse_json(raw, file)


def _tags(file: str, where: str, value: Any) -> Tags:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        msg = "tags must be an object"
        raise InputError(file, where, msg)
    tags = {str(k): str(v) for k, v in value.items()}
    check_tags(file, where, tags)
    return tags


def _int(file: str, where: str, value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"{name} must be an integer, not {str(value)[:40]!r}"
        raise InputError(file, where, msg)
    if not -(2**63) <= value < 2**63:
        msg = f"{name} {value} does not fit a 64-bit OSM id"
        raise InputError(file, where, msg)
    return value


def osm_data_from_overpass(
    doc: Any, *, source: str, cancel: Callable[[], bool] | None = None
) -> OsmData:
    """Turn a parsed Overpass API JSON response into :class:`OsmData`.

    Accepts ``out body``/``out meta`` output (ways with ``nodes``, nodes with
    ``lat``/``lon``) and ``out geom`` output (ways with ``geometry`` beside
    ``nodes``), which fills in node positions the response does not list.
    """
    if not isinstance(doc, Mapping) or not isinstance(doc.get("elements"), list):
        msg = "not an Overpass API JSON response (no 'elements' array)"
        raise InputError(source, "", msg)
    data = OsmData(source=source, generator=str(doc.get("generator", "")))
    osm3s = doc.get("osm3s")
    if isinstance(osm3s, Mapping) and isinstance(osm3s.get("timestamp_osm_base"), str):
        data.base_timestamp = osm3s["timestamp_osm_base"]
    check_object_count(source, "elements", len(doc["elements"]))
    for i, el in enumerate(doc["elements"]):
        if i % 50_000 == 0:
            check_cancel(cancel)
        where = f"elements[{i}]"
        if not isinstance(el, Mapping):
            msg = "element must be an object"
            raise InputError(source, where, msg)
        kind = el.get("type")
        oid = _int(source, where, el.get("id"), "id")
        tags = _tags(source, where, el.get("tags"))
        data.note_timestamp(el.get("timestamp") if isinstance(el.get("timestamp"), str) else None)
        if kind == "node":
            _add_node(data, el, oid, tags, where)
        elif kind == "way":
            _add_way(data, el, oid, tags, where)
        elif kind == "relation":
            _add_relation(data, el, oid, tags, where)
        elif kind not in ("area", "count", "timeline"):
            msg = f"unknown element type {kind!r}"
            raise InputError(source, where, msg)
    return data


def _add_node(data: OsmData, el: Mapping[str, Any], oid: int, tags: Tags, where: str) -> None:
    """An Overpass node: its position (checked) and its tags."""
    lon, lat = el.get("lon"), el.get("lat")
    if not (_is_number(lon) and _is_number(lat)):
        msg = "node without numeric lat/lon"
        raise InputError(data.source, where, msg)
    check_lonlat(data.source, where, float(lon), float(lat))
    data.nodes[oid] = (float(lon), float(lat))
    if tags:
        data.node_tags[oid] = tags


def _add_way(data: OsmData, el: Mapping[str, Any], oid: int, tags: Tags, where: str) -> None:
    """An Overpass way: its node refs, and with ``out geom`` the positions of unlisted nodes."""
    source = data.source
    refs = el.get("nodes") or []
    if not isinstance(refs, list):
        msg = "way 'nodes' must be an array"
        raise InputError(source, where, msg)
    check_sizes(source, where, refs=len(refs))
    refs = [_int(source, where, r, "node ref") for r in refs]
    data.ways[oid] = refs
    data.way_tags[oid] = tags
    geom = el.get("geometry")
    if isinstance(geom, list) and len(geom) == len(refs):
        for ref, pt in zip(refs, geom, strict=True):
            if isinstance(pt, Mapping) and ref not in data.nodes:
                lon, lat = pt.get("lon"), pt.get("lat")
                if not (_is_number(lon) and _is_number(lat)):
                    msg = "way geometry point without numeric lat/lon"
                    raise InputError(source, where, msg)
                lon, lat = float(lon), float(lat)
                check_lonlat(source, where, lon, lat)
                data.nodes[ref] = (lon, lat)


def _add_relation(data: OsmData, el: Mapping[str, Any], oid: int, tags: Tags, where: str) -> None:
    """An Overpass relation: its node, way and relation members with their roles."""
    source = data.source
    members: list[Member] = []
    raw_members = el.get("members") or []
    if not isinstance(raw_members, list):
        msg = "relation 'members' must be an array"
        raise InputError(source, where, msg)
    check_sizes(source, where, members=len(raw_members))
    for m in raw_members:
        if isinstance(m, Mapping) and m.get("type") in ("node", "way", "relation"):
            members.append(
                (m["type"], _int(source, where, m.get("ref"), "ref"), str(m.get("role", "")))
            )
    data.relations[oid] = members
    data.relation_tags[oid] = tags
