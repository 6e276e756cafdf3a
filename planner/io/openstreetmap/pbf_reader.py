"""OSM PBF files (``.osm.pbf``), read with pyosmium when it is installed."""

from __future__ import annotations

from pathlib import Path

from planner.core.errors import InputError
from planner.io.openstreetmap.data import OsmData, check_cancel
from planner.io.openstreetmap.frames import CancelFn


def read_pbf(path: Path, cancel: CancelFn | None) -> OsmData:
    try:
        import osmium
    except ImportError:
        msg = "reading .osm.pbf needs the 'osmium' package (pip install osmium)"
        raise InputError(str(path), "", msg) from None
    data = OsmData(source=str(path))
    try:
        header = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING).header()
        base = header.get("osmosis_replication_timestamp", "")
        data.base_timestamp = base or None
        data.generator = header.get("generator", "")
        for count, obj in enumerate(osmium.FileProcessor(str(path))):
            if count % 100_000 == 0:
                check_cancel(cancel)
            if not isinstance(obj, osmium.osm.Node | osmium.osm.Way | osmium.osm.Relation):
                continue  # areas and changesets: a plain read yields neither
            tags = {t.k: t.v for t in obj.tags}
            ts = obj.timestamp
            if ts is not None and ts.year > 1970:
                data.note_timestamp(ts.strftime("%Y-%m-%dT%H:%M:%SZ"))
            if isinstance(obj, osmium.osm.Node):
                if obj.location.valid():
                    data.nodes[obj.id] = (obj.location.lon, obj.location.lat)
                if tags:
                    data.node_tags[obj.id] = tags
            elif isinstance(obj, osmium.osm.Way):
                data.ways[obj.id] = [n.ref for n in obj.nodes]
                data.way_tags[obj.id] = tags
            elif isinstance(obj, osmium.osm.Relation):
                kinds = {"n": "node", "w": "way", "r": "relation"}
                data.relations[obj.id] = [
                    (kinds[m.type], m.ref, m.role) for m in obj.members if m.type in kinds
                ]
                data.relation_tags[obj.id] = tags
    except RuntimeError as exc:
        msg = f"cannot read the PBF file: {exc}"
        raise InputError(str(path), "", msg) from None
    return data
