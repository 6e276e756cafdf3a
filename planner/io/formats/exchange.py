"""Plans in the formats other tools use: CSV, GeoPackage and KML out; a CSV inventory in.

- CSV: one row per camera, ``id, lon, lat, heading_deg, fov_deg, range_m, status,
  label, check, findings``. Coordinates are written with every digit Python needs to
  read back the same float, so a CSV round trip keeps every camera exactly.
- GeoPackage: a point layer ``cameras`` with the same columns (opens in QGIS).
- KML: one placemark per camera with its cone as a polygon (Google Earth, ArcGIS).
- CSV inventory import (:func:`read_camera_csv`): columns are mapped by the user
  (:data:`CSV_FIELDS` lists what can be mapped), every row is validated as a plan
  camera is (SPEC 5.1), and each bad row is reported with its row number; nothing is
  dropped silently.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.core.model import Camera, CameraResult, CameraStatus
from planner.core.printable import printable

#: Largest inventory CSV read (bytes) and rows; a city has hundreds of cameras.
MAX_CSV_BYTES = 50 * 1024 * 1024
MAX_CSV_ROWS = 200_000
CSV_COLUMNS = (
    "id",
    "lon",
    "lat",
    "heading_deg",
    "fov_deg",
    "range_m",
    "status",
    "label",
    "check",
    "findings",
)
#: Fields a CSV column can be mapped to, with whether each is required.
CSV_FIELDS: dict[str, bool] = {
    "id": True,
    "lon": True,
    "lat": True,
    "heading_deg": False,
    "fov_deg": True,
    "range_m": True,
    "status": False,
    "label": False,
    "model": False,
    "notes": False,
}
_GUESSES: dict[str, tuple[str, ...]] = {
    "id": ("id", "camera_id", "cameraid", "camera", "asset_id", "name"),
    "lon": ("lon", "long", "lng", "longitude", "x"),
    "lat": ("lat", "latitude", "y"),
    "heading_deg": ("heading_deg", "heading", "direction", "bearing", "azimuth"),
    "fov_deg": ("fov_deg", "fov", "field_of_view"),
    "range_m": ("range_m", "range", "distance"),
    "status": ("status", "state"),
    "label": ("label", "description", "location", "site"),
    "model": ("model", "device", "device_model"),
    "notes": ("notes", "note", "comment", "comments"),
}


def _num(value: float) -> str:
    return repr(float(value))


def findings_summary(result: CameraResult | None) -> str:
    """``"block: captures_entrance at St. X; warn: ..."``, or ``""``."""
    if result is None:
        return ""
    parts = []
    for f in result.findings:
        where = f" at {f.site_name or f.site_id}" if (f.site_name or f.site_id) else ""
        parts.append(f"{f.severity}: {f.rule}{where}")
    return "; ".join(parts)


def plan_rows(
    cameras: Sequence[Camera], results: Mapping[str, CameraResult] | None = None
) -> list[dict[str, str]]:
    """One row per camera in the CSV layout."""
    rows = []
    for cam in cameras:
        res = (results or {}).get(cam.id)
        rows.append(
            {
                "id": cam.id,
                "lon": _num(cam.lon),
                "lat": _num(cam.lat),
                "heading_deg": "" if cam.heading_deg is None else _num(cam.heading_deg),
                "fov_deg": _num(cam.fov_deg),
                "range_m": _num(cam.range_m),
                "status": str(cam.status),
                "label": cam.label,
                "check": "" if res is None else str(res.status),
                "findings": findings_summary(res),
            }
        )
    return rows


#: First characters a spreadsheet reads as the start of a formula (OWASP "CSV
#: injection"); a text cell starting with one is written behind a single quote. A
#: leading quote is itself escaped the same way, so the import can undo it exactly.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
#: Columns that hold text from a file; the others are numbers written by ``repr``.
_TEXT_COLUMNS = ("id", "status", "label", "check", "findings")


def neutralise_cell(text: str) -> str:
    """``text`` made inert for a spreadsheet: ``'=1+2`` instead of ``=1+2``."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def restore_cell(text: str) -> str:
    """Undo :func:`neutralise_cell` (a cell the planner's own export wrote)."""
    if len(text) >= 2 and text[0] == "'" and text[1] in "=+-@\t\r'":
        return text[1:]
    return text


def _write_text_output(path: Path, text: str) -> None:
    from planner.io.safety.outputs import write_output_bytes

    write_output_bytes(path, text.encode("utf-8"))


def write_plan_csv(
    path: str | Path, cameras: Sequence[Camera], results: Mapping[str, CameraResult] | None = None
) -> None:
    """The plan as CSV (UTF-8, header row), written atomically.

    Rows end in CRLF (RFC 4180), which makes the csv module quote any field that
    holds a carriage return or a line feed, so a CR in a label never splits a row
    (with LF endings Python leaves a bare CR unquoted); text cells that a
    spreadsheet would run as a formula are neutralised (:func:`neutralise_cell`);
    :func:`read_csv_table` and :func:`read_camera_csv` read the file back exactly.
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for row in plan_rows(cameras, results):
        writer.writerow(
            {k: neutralise_cell(v) if k in _TEXT_COLUMNS else v for k, v in row.items()}
        )
    _write_text_output(Path(path), buf.getvalue())


def write_plan_gpkg(
    path: str | Path, cameras: Sequence[Camera], results: Mapping[str, CameraResult] | None = None
) -> None:
    """The plan as a GeoPackage point layer ``cameras`` (EPSG:4326), written atomically."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    import shapely

    from planner.io.safety.outputs import write_output_file

    rows = plan_rows(cameras, results)
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    for col in ("lon", "lat", "heading_deg", "fov_deg", "range_m"):
        frame[col] = pd.to_numeric(frame[col].replace("", None), errors="coerce")
    geoms = shapely.points([(c.lon, c.lat) for c in cameras]) if cameras else []
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"))

    def write(tmp: Path) -> None:
        tmp.unlink()  # GDAL creates the GeoPackage itself, in the name just reserved
        pyogrio.write_dataframe(gdf, tmp, layer="cameras", driver="GPKG")

    write_output_file(Path(path), write, suffix=".tmp.gpkg")


_KML_NS = "http://www.opengis.net/kml/2.2"


def write_plan_kml(
    path: str | Path,
    cameras: Sequence[Camera],
    results: Mapping[str, CameraResult] | None = None,
    *,
    name: str = "Siting plan",
) -> None:
    """The plan as KML: a placemark per camera and its cone (before occlusion).

    Built with :mod:`xml.etree.ElementTree`, so any character of an id or label
    (quotes, ``<``, ``]]>``) is escaped by the XML writer; characters XML 1.0 cannot
    hold at all (C0 controls, lone surrogates) are written as ``\\xNN`` escapes.
    """
    import xml.etree.ElementTree as ET

    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    ET.register_namespace("", _KML_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        el = ET.SubElement(parent, f"{{{_KML_NS}}}{tag}")
        if text is not None:
            el.text = _xml_text(text)
        return el

    root = ET.Element(f"{{{_KML_NS}}}kml")
    doc = sub(root, "Document")
    sub(doc, "name", name)
    colours = {"block": "ff1c19d7", "warn": "ff0091e6", "clear": "ff419a1a"}
    for n, (row, cam) in enumerate(zip(plan_rows(cameras, results), cameras, strict=True)):
        colour = colours.get(row["check"], "ff787878")
        # style ids are XML ids: a number, not the camera id (which may hold anything)
        style_id = f"s-{n}"
        style = sub(doc, "Style")
        style.set("id", style_id)
        sub(sub(style, "LineStyle"), "color", colour)
        sub(sub(style, "PolyStyle"), "color", f"40{colour[2:]}")
        mark = sub(doc, "Placemark")
        sub(mark, "name", cam.label or cam.id)
        data = sub(mark, "ExtendedData")
        for k, v in row.items():
            if v:
                field_el = sub(data, "Data")
                field_el.set("name", k)
                sub(field_el, "value", v)
        sub(sub(mark, "Point"), "coordinates", f"{cam.lon!r},{cam.lat!r}")
        cone = sub(doc, "Placemark")
        sub(cone, "name", f"{cam.id} cone")
        sub(cone, "styleUrl", f"#{style_id}")
        ring = _cone_ring(geod, cam)
        coords = " ".join(f"{lon!r},{lat!r}" for lon, lat in ring)
        sub(
            sub(sub(sub(cone, "Polygon"), "outerBoundaryIs"), "LinearRing"),
            "coordinates",
            coords,
        )
    body = ET.tostring(root, encoding="unicode", xml_declaration=False)
    _write_text_output(Path(path), '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n")


# XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates and U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _cone_ring(geod: Any, cam: Camera) -> list[tuple[float, float]]:
    if cam.heading_deg is None or cam.fov_deg >= 360.0:
        start, span = 0.0, 360.0
    else:
        start, span = cam.heading_deg - cam.fov_deg / 2.0, cam.fov_deg
    steps = max(2, math.ceil(span / 2.0))  # a vertex per 2 degrees of arc at least
    az = [start + span * k / steps for k in range(steps + 1)]
    lons, lats, _ = geod.fwd([cam.lon] * len(az), [cam.lat] * len(az), az, [cam.range_m] * len(az))
    ring = list(zip(lons, lats, strict=True))
    if span < 360.0:
        ring = [(cam.lon, cam.lat), *ring, (cam.lon, cam.lat)]
    else:
        ring.append(ring[0])
    return ring


# ---------------------------------------------------------------------------- CSV in
@dataclass
class CsvTable:
    """A CSV file read as text: its header and rows (row numbers count the header as 1)."""

    path: Path
    header: list[str]
    rows: list[list[str]]


@dataclass
class CsvImport:
    """Cameras read from a CSV and the rows that could not be used, by row number."""

    cameras: list[Camera] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    rows: int = 0

    def report(self) -> str:
        lines = [f"{len(self.cameras)} of {self.rows} rows imported"]
        lines += [f"row {n}: {msg}" for n, msg in self.errors]
        return "\n".join(lines)


def read_csv_table(path: str | Path) -> CsvTable:
    """Read a CSV (UTF-8, optional BOM; comma, semicolon or tab) into text rows.

    Raises
    ------
    ValueError
        Too large, not text, or without a header row.
    """
    p = Path(path)
    size = p.stat().st_size
    if size > MAX_CSV_BYTES:
        msg = f"{p}: larger than {MAX_CSV_BYTES // (1024 * 1024)} MB"
        raise ValueError(msg)
    try:
        # newline="": a CR inside a quoted cell stays a CR (the csv module splits rows)
        with p.open(encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        msg = f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise ValueError(msg) from None
    # only the delimiter is sniffed: the sniffer's guesses at quoting break quoted quotes
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    # strict: a quote never closed is an error naming its row, not one cell that
    # swallows the rest of the file
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    header: list[str] | None = None
    try:
        try:
            header = next(reader)
        except StopIteration:
            msg = f"{p}: empty file (no header row)"
            raise ValueError(msg) from None
        for row in reader:
            if len(rows) >= MAX_CSV_ROWS:
                msg = f"{p}: more than {MAX_CSV_ROWS:,} rows"
                raise ValueError(msg)
            rows.append(row)
    except csv.Error as exc:
        # the csv module's own limit (128 KiB a cell) and its quoting errors
        why = str(exc)
        if "field larger than field limit" in why:
            why = f"a cell is longer than {csv.field_size_limit() // 1024} KiB"
        elif "EOF" in why or "unexpected end of data" in why:
            why = "a quoted cell is never closed"
        elif "expected after" in why:
            why = "text after the closing quote of a cell"
        row_number = 1 if header is None else len(rows) + 2  # as the import report counts
        msg = f"{p}: row {row_number}: {printable(why)}"
        raise ValueError(msg) from None
    return CsvTable(path=p, header=[h.strip() for h in header], rows=rows)


def guess_mapping(header: Sequence[str]) -> dict[str, str | None]:
    """Field -> CSV column, guessed from the column names (None where nothing fits)."""
    # "Camera ID", "camera-id" and "camera_id" are one name
    lower = {re.sub(r"[^a-z0-9]+", "_", h.lower()).strip("_"): h for h in header}
    out: dict[str, str | None] = {}
    used: set[str] = set()
    for fld in CSV_FIELDS:
        hit = next((lower[g] for g in _GUESSES[fld] if g in lower and lower[g] not in used), None)
        out[fld] = hit
        if hit:
            used.add(hit)
    return out


#: A plain decimal number. Python's ``float`` also takes ``1_2_1`` (digit separators),
#: ``infinity`` and full-width digits, which no inventory means as a coordinate.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _number(text: str, name: str) -> float:
    stripped = text.strip()
    if len(stripped) > 64 or not _NUMBER.fullmatch(stripped):
        msg = f"{name} must be a number, got {printable(stripped[:64])!r}"
        raise ValueError(msg) from None
    value = float(stripped)
    if not math.isfinite(value):
        msg = f"{name} must be a finite number, got {text!r}"
        raise ValueError(msg)
    return value


def camera_from_row(values: Mapping[str, str], *, defaults: Mapping[str, float]) -> Camera:
    """One camera from mapped text values; raises ValueError naming the bad field."""
    cid = values.get("id", "").strip()
    if not cid:
        msg = "id is empty"
        raise ValueError(msg)
    lon, lat = _number(values.get("lon", ""), "lon"), _number(values.get("lat", ""), "lat")
    if not -180.0 <= lon <= 180.0:
        msg = f"lon must be in [-180, 180], got {lon:g}"
        raise ValueError(msg)
    if not -90.0 <= lat <= 90.0:
        msg = f"lat must be in [-90, 90], got {lat:g}"
        raise ValueError(msg)
    h_text = values.get("heading_deg", "").strip()
    heading = None if h_text == "" else _number(h_text, "heading_deg")
    if heading is not None and not 0.0 <= heading < 360.0:
        msg = f"heading_deg must be in [0, 360) or empty (unknown), got {heading:g}"
        raise ValueError(msg)
    fov_text = values.get("fov_deg", "").strip()
    fov = _number(fov_text, "fov_deg") if fov_text else defaults.get("fov_deg")
    rng_text = values.get("range_m", "").strip()
    rng = _number(rng_text, "range_m") if rng_text else defaults.get("range_m")
    if fov is None:
        msg = "fov_deg is empty"
        raise ValueError(msg)
    if rng is None:
        msg = "range_m is empty"
        raise ValueError(msg)
    if not 0.0 < fov <= 360.0:
        msg = f"fov_deg must be in (0, 360], got {fov:g}"
        raise ValueError(msg)
    if not 0.0 < rng <= 2000.0:
        msg = f"range_m must be in (0, 2000], got {rng:g}"
        raise ValueError(msg)
    status_text = values.get("status", "").strip().lower() or "proposed"
    try:
        status = CameraStatus(status_text)
    except ValueError:
        allowed = ", ".join(s.value for s in CameraStatus)
        msg = f"status must be one of {allowed}, got {status_text!r}"
        raise ValueError(msg) from None
    return Camera(
        id=cid,
        lon=lon,
        lat=lat,
        heading_deg=heading,
        fov_deg=fov,
        range_m=rng,
        label=values.get("label", "").strip(),
        status=status,
        model=values.get("model", "").strip() or None,
        notes=values.get("notes", "").strip(),
    )


def read_camera_csv(
    table: CsvTable,
    mapping: Mapping[str, str | None],
    *,
    existing_ids: set[str] | None = None,
    defaults: Mapping[str, float] | None = None,
) -> CsvImport:
    """Cameras from a CSV table with a field -> column ``mapping``.

    Every data row is either a camera or an error ``(row number, message)``; row 1 is
    the header. ``existing_ids`` (the plan's) and ids repeated in the file are errors.
    ``defaults`` fills ``fov_deg`` / ``range_m`` where their column is unmapped or empty.
    """
    missing = [
        f
        for f, req in CSV_FIELDS.items()
        if req and not mapping.get(f) and f not in (defaults or {})
    ]
    if missing:
        msg = f"map a column to: {', '.join(missing)}"
        raise ValueError(msg)
    index = {h: i for i, h in enumerate(table.header)}
    for fld, col in mapping.items():
        if col and col not in index:
            msg = f"no column {col!r} for {fld}"
            raise ValueError(msg)
    out = CsvImport(rows=len(table.rows))
    seen: dict[str, int] = {}
    taken = set(existing_ids or ())
    for n, row in enumerate(table.rows, start=2):
        if not any(cell.strip() for cell in row):
            out.errors.append((n, "empty row"))
            continue
        values = {
            fld: restore_cell(row[index[col]] if index[col] < len(row) else "")
            for fld, col in mapping.items()
            if col
        }
        try:
            cam = camera_from_row(values, defaults=defaults or {})
        except ValueError as exc:
            out.errors.append((n, str(exc)))
            continue
        if cam.id in seen:
            out.errors.append((n, f"id {cam.id!r} repeats row {seen[cam.id]}"))
            continue
        if cam.id in taken:
            out.errors.append((n, f"id {cam.id!r} is already in the plan"))
            continue
        seen[cam.id] = n
        out.cameras.append(cam)
    return out


__all__ = [
    "CSV_COLUMNS",
    "CSV_FIELDS",
    "CsvImport",
    "CsvTable",
    "findings_summary",
    "guess_mapping",
    "plan_rows",
    "read_camera_csv",
    "read_csv_table",
    "write_plan_csv",
    "write_plan_gpkg",
    "write_plan_kml",
]
