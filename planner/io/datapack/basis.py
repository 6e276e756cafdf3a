"""The data basis of a check from its inputs: the pack's record of its sources, file dates.

The pack's ``pack_metadata`` comes from whoever made the file, so everything read
from it is checked for type and bounded before it is shown (a hostile pack cannot
make the report arbitrarily long); sites read from single files get the file's own
date.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from planner.core.basis import DataBasis, SourceInfo, data_basis

#: More sources or warnings than this are not listed (a real import has a handful).
MAX_ITEMS = 50
MAX_TEXT = 500


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text: str = value.strip()
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def file_date(path: str | os.PathLike[str]) -> str | None:
    """The file's modification time, ISO 8601 UTC to the second, or None."""
    try:
        mtime = Path(path).stat().st_mtime
    except (OSError, ValueError):
        return None
    return dt.datetime.fromtimestamp(mtime, dt.UTC).isoformat(timespec="seconds")


def pack_sources(metadata: Any) -> list[SourceInfo]:
    """What a pack says about the inputs its sites came from."""
    if not isinstance(metadata, dict):
        return []
    raw = metadata.get("sources")
    out: list[SourceInfo] = []
    for src in raw[:MAX_ITEMS] if isinstance(raw, list) else []:
        if not isinstance(src, dict):
            continue
        kind = _text(src.get("kind")) or ""
        path = _text(src.get("path")) or ""
        name = _text(src.get("name")) or (Path(path.replace("\\", "/")).name if path else "")
        features = src.get("features")
        if isinstance(features, dict) and features.get("sites") == 0:
            continue  # e.g. the ALPR camera dump: no sites came from it
        if kind in ("osm", "online"):
            stamp = _text(src.get("osm_timestamp"))
            fetched = _text(src.get("fetched"))
            date, date_kind = (
                (stamp, "OSM data as of")
                if stamp
                else (fetched, "fetched")
                if fetched
                else (None, "")
            )
            out.append(SourceInfo("osm", name or path, "OpenStreetMap", date, date_kind))
        elif kind == "sites":
            date = _text(src.get("file_date"))
            out.append(SourceInfo(name, name, "file", date, "file dated" if date else ""))
    if not any(s.key == "osm" and s.date for s in out):
        stamp = _text(metadata.get("osm_timestamp"))
        if stamp:
            out.append(SourceInfo("osm", "", "OpenStreetMap", stamp, "OSM data as of"))
    return out


def describe_basis(
    inputs: Any,
    cameras: Sequence[Any],
    projector: Any,
    *,
    site_files: Sequence[Path] = (),
) -> DataBasis:
    """The data basis of a check: ``inputs`` from :func:`planner.io.checking.loader.load_inputs`.

    Parameters
    ----------
    inputs
        The loaded inputs (sites, the pack's metadata).
    cameras
        The plan's cameras.
    projector
        The checker's projection.
    site_files
        Sites layers given as single files (``--sites``): their file dates.
    """
    meta = inputs.metadata if isinstance(inputs.metadata, dict) else {}
    sources = pack_sources(meta)
    for f in site_files:
        date = file_date(f)
        sources.append(SourceInfo(Path(f).name, Path(f).name, "file", date, "file dated"))
    warnings_raw = meta.get("warnings")
    warnings = [
        t
        for w in (warnings_raw[:MAX_ITEMS] if isinstance(warnings_raw, list) else [])
        if (t := _text(w)) is not None
    ]
    return data_basis(
        inputs.sites,
        cameras,
        projector,
        sources=sources,
        import_warnings=warnings,
        import_time=_text(meta.get("import_time")),
    )


__all__ = ["describe_basis", "file_date", "pack_sources"]
