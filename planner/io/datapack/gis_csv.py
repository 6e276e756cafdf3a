"""CSV site lists: a bounded, plain UTF-8 file, its dialect sniffed, its columns found.

A city's list of places (``places.csv:category=...,lon=LON,lat=LAT``) is read whole
with :mod:`csv`, never by GDAL; longitude and latitude columns are guessed by name
when not given, and every mapped column must exist. The rows become sites in
:mod:`planner.io.datapack.gis_layers`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from planner.core.errors import InputError
from planner.io.safety.vector_source import check_plain_file

#: CSV files are read whole; refuse anything that is clearly not a site list.
MAX_CSV_BYTES = 512 * 1024 * 1024


def csv_reader(path: Path) -> csv.DictReader[str]:
    """A reader over a plain, bounded, UTF-8 CSV file, its dialect sniffed."""
    check_plain_file(path)
    if path.stat().st_size > MAX_CSV_BYTES:
        raise InputError(path, "", "file is too large for a site list")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"byte {exc.start}", "not UTF-8 text") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)


def csv_columns(path: Path, mapping: Mapping[str, str], header: Sequence[str]) -> dict[str, str]:
    """The column of each mapped key (lon and lat guessed when not given); all must exist."""
    lon_col = mapping.get("lon") or _guess(header, ("lon", "longitude", "lng", "x"))
    lat_col = mapping.get("lat") or _guess(header, ("lat", "latitude", "y"))
    needed: dict[str, str | None] = {"lon": lon_col, "lat": lat_col}
    for key in ("name", "id", "category_field"):
        if mapping.get(key):
            needed[key] = mapping[key]
    for key, col in needed.items():
        if not col or col not in header:
            cols = ", ".join(header) if header else "none"
            what = (
                f"missing column {col!r} for {key}"
                if col
                else f"no {key} column (give {key}=COLUMN)"
            )
            raise InputError(path, "line 1 (header)", f"{what}; columns are: {cols}")
    return {key: col for key, col in needed.items() if col}  # every one checked above


def csv_rows(reader: csv.DictReader[str], path: Path) -> Iterator[dict[str, Any]]:
    """The rows of ``reader``; the csv module's own errors become InputErrors."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # e.g. a field longer than csv.field_size_limit() (128 KiB): no site list
            # has such a field, so the file is refused rather than the limit raised.
            raise InputError(
                path, f"line {reader.line_num + 1}", f"not a readable CSV row ({exc})"
            ) from None
        yield row


def _guess(header: Sequence[str], names: tuple[str, ...]) -> str | None:
    lower = {h.lower(): h for h in header}
    return next((lower[n] for n in names if n in lower), None)
