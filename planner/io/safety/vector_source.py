"""Open GIS files from other departments without letting them open anything else.

GDAL picks a driver by looking at a file's content, whatever its name, and several
drivers follow references: a VRT (XML) file named ``sites.gpkg`` can point GDAL at
``/vsicurl/http://...`` (an outbound request) or ``CSV:/etc/passwd`` (a local file
read into the report). So before GDAL sees a file the planner decides what it is,
from its first bytes, and hands GDAL only what that format needs:

=============  =====================================  ==================================
format         must begin with                        given to GDAL as
=============  =====================================  ==================================
GeoPackage     ``SQLite format 3\\0`` + GeoPackage     the plain local path, after the
               tables, no virtual table but R-trees   schema is checked with sqlite3
Shapefile      the shapefile magic ``0x0000270a``     the plain local path
FlatGeobuf     ``fgb\\x03``                             the plain local path
GeoJSON        JSON parsed by our own reader          the plain local path (JSON content
               (depth, numbers, a named CRS only)     selects only GDAL's JSON drivers)
zip            ``PK\\x03\\x04``, checked member names   ``/vsizip/`` built here, of the
               and sizes, inner file sniffed too      one member chosen here
=============  =====================================  ==================================

Everything else (VRT, GML, KML, CSV through GDAL, SQLite that is not a GeoPackage)
is refused, as is any name that GDAL would read as indirection: ``/vsi...``,
``CSV:...``-style driver prefixes and URLs. CSV site lists are read by Python's
:mod:`csv` (see :mod:`planner.io.datapack.gis_layers`), never by GDAL.
"""

from __future__ import annotations

import re
import sqlite3
import stat
import zipfile
from pathlib import Path, PurePosixPath

from planner.core.errors import InputError
from planner.io.safety.common import MAX_JSON_BYTES, parse_json, read_bytes_checked

SQLITE_MAGIC = b"SQLite format 3\x00"
SHAPEFILE_MAGIC = b"\x00\x00\x27\x0a"
FLATGEOBUF_MAGIC = b"fgb\x03"
ZIP_MAGIC = b"PK\x03\x04"
#: GeoPackage ``application_id`` values: "GPKG" (1.2+) and "GP10"/"GP11" (older).
GPKG_APPLICATION_IDS = {0x47504B47, 0x47503130, 0x47503131}

_SUFFIX_KIND = {
    ".gpkg": "gpkg",
    ".shp": "shp",
    ".fgb": "fgb",
    ".geojson": "geojson",
    ".json": "geojson",
    ".zip": "zip",
}
#: Members of a zip tried in this order.
_ZIP_INNER = (".gpkg", ".shp", ".geojson", ".json", ".fgb")
#: A zip whose members would expand past this is refused (a zip bomb).
MAX_ZIP_UNCOMPRESSED = 8 * 1024**3
MAX_ZIP_MEMBERS = 10_000
# Driver prefixes such as CSV:, GPKG:, PG:, WFS:, SQLite: (a Windows drive letter is
# a single letter and allowed), URLs, and GDAL's virtual file systems.
_INDIRECTION = re.compile(r"^(?:[A-Za-z][A-Za-z0-9_+.-]+:|/vsi|\\vsi)", re.IGNORECASE)
_SAFE_MEMBER = re.compile(r"^[\w .()+,=@~-]+(?:/[\w .()+,=@~-]+)*$")


def _describe_head(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:24]
    if not text:
        return "it is empty"
    if text.startswith(b"<"):
        root = re.match(rb"<\??([A-Za-z_][\w:.-]*)", text)
        name = root.group(1).decode("ascii", "replace") if root else "?"
        return f"it is XML (<{name}...>), perhaps a GDAL VRT, which is never opened"
    return f"it starts with {text[:16]!r}"


def refuse_indirection(text: str, *, what: str = "file") -> None:
    """Refuse a name that GDAL would treat as a driver prefix, URL or virtual path."""
    if _INDIRECTION.match(text.strip()) or "/vsi" in text.lower():
        msg = (
            f"not a plain {what} name: GDAL driver prefixes, URLs and /vsi paths are "
            "refused (give the file itself; a .zip is opened by the planner)"
        )
        raise InputError(text, "", msg)


def check_plain_file(path: str | Path) -> Path:
    """Refuse indirection in the name and anything but a non-empty regular file."""
    text = str(path)
    refuse_indirection(text)
    p = Path(text)
    _regular_file(p)
    return p


def _regular_file(path: Path) -> int:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(path, "", "file not found") from None
    except OSError as exc:
        raise InputError(path, "", f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(path, "", "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(path, "", "is not a regular file (a device, pipe or socket)")
    if st.st_size == 0:
        raise InputError(path, "", "file is empty")
    return st.st_size


def _head(path: Path, n: int = 100) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise InputError(path, "", f"cannot read: {exc.strerror or exc}") from None


def check_geopackage(path: Path) -> None:
    """Refuse an SQLite file that is not a plain GeoPackage.

    Checks the magic, the GeoPackage ``application_id`` or ``gpkg_contents`` table,
    and that the schema holds no virtual table other than R-tree spatial indexes and
    nothing that names another file or GDAL's virtual file systems.
    """
    head = _head(path)
    if not head.startswith(SQLITE_MAGIC):
        msg = f"not a GeoPackage ({_describe_head(head)})"
        raise InputError(path, "", msg)
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise InputError(path, "", f"not a readable GeoPackage ({exc})") from None
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        rows = con.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    except sqlite3.Error as exc:
        raise InputError(path, "", f"not a readable GeoPackage ({exc})") from None
    finally:
        con.close()
    _check_schema(path, rows, app_id)


def _check_schema(
    label: str | Path, rows: list[tuple[object, object, object]], app_id: int
) -> None:
    names = {str(name) for _, name, _ in rows}
    if app_id not in GPKG_APPLICATION_IDS and "gpkg_contents" not in names:
        msg = "an SQLite file, but not a GeoPackage (no gpkg_contents table)"
        raise InputError(label, "", msg)
    for kind, name, sql in rows:
        text = "" if sql is None or sql != sql else str(sql)  # NaN from pandas
        lowered = re.sub(r"\s+", " ", text.lower())
        if "virtual table" in lowered and not re.search(r"using rtree\b", lowered):
            msg = f"{kind} {name!r} is a virtual table; GeoPackages from other tools never need one"
            raise InputError(label, "sqlite schema", msg)
        if "/vsi" in lowered or "load_extension" in lowered or "gdal_get" in lowered:
            msg = f"{kind} {name!r} refers to other files or extensions; refused"
            raise InputError(label, "sqlite schema", msg)


def _check_zipped_geopackage(src: str, label: Path) -> None:
    """The schema check of :func:`check_geopackage` for a GeoPackage inside a zip."""
    import pyogrio

    try:
        table = pyogrio.read_dataframe(
            src, sql="SELECT type, name, sql FROM sqlite_master", read_geometry=False
        )
    except Exception as exc:  # pyogrio raises several GDAL error types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(label, "", f"not a readable GeoPackage ({first})") from None
    rows = list(zip(table["type"], table["name"], table["sql"], strict=True))
    _check_schema(label, rows, 0)


def _check_geojson_bytes(data: bytes, label: str | Path) -> bytes:
    doc = parse_json(data, label)
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        msg = "not a GeoJSON FeatureCollection"
        raise InputError(label, "top level", msg)
    crs = doc.get("crs")
    if crs is not None:
        # The old GeoJSON "crs" member may be a link; only a plain name is read.
        props = crs.get("properties") if isinstance(crs, dict) else None
        name = props.get("name") if isinstance(props, dict) else None
        if (
            not isinstance(crs, dict)
            or crs.get("type") != "name"
            or not isinstance(name, str)
            or not re.fullmatch(r"(?:urn:ogc:def:crs:)?[A-Za-z]+:{1,2}[\w.:]*\d+", name)
        ):
            msg = 'only a named CRS is accepted ({"type": "name", ...}); links are refused'
            raise InputError(label, "crs", msg)
    return data


def _zip_member(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise InputError(path, "", f"the zip holds more than {MAX_ZIP_MEMBERS} files")
            total = 0
            files = []
            for info in infos:
                name = info.filename
                if info.is_dir():
                    continue
                pure = PurePosixPath(name)
                if (
                    not _SAFE_MEMBER.match(name)
                    or pure.is_absolute()
                    or ".." in pure.parts
                    or ".zip/" in name.lower()
                ):
                    msg = f"member name {name!r} is not a plain relative file name"
                    raise InputError(path, "zip", msg)
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise InputError(path, f"zip member {name!r}", "symbolic links are refused")
                total += info.file_size
                files.append(name)
            if total > MAX_ZIP_UNCOMPRESSED:
                msg = f"the zip would expand to {total:,} bytes (limit {MAX_ZIP_UNCOMPRESSED:,})"
                raise InputError(path, "", msg)
            for suffix in _ZIP_INNER:
                inner = sorted(n for n in files if n.lower().endswith(suffix))
                if inner:
                    member = inner[0]
                    with zf.open(member) as fh:
                        head = fh.read(100)
                    _expect(_SUFFIX_KIND[suffix], head, f"{path}!{member}")
                    return member
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise InputError(path, "", f"not a readable zip archive ({exc})") from None
    kinds = ", ".join(_ZIP_INNER)
    msg = (
        "the zip holds no vector file (it holds no GeoPackage, Shapefile, GeoJSON, "
        f"FlatGeobuf: {kinds})"
    )
    raise InputError(path, "", msg)


def _expect(kind: str, head: bytes, label: str | Path) -> None:
    ok = {
        "gpkg": head.startswith(SQLITE_MAGIC),
        "shp": head.startswith(SHAPEFILE_MAGIC),
        "fgb": head.startswith(FLATGEOBUF_MAGIC),
        "geojson": head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["),
        "zip": head.startswith(ZIP_MAGIC),
    }[kind]
    if not ok:
        names = {
            "gpkg": "a GeoPackage",
            "shp": "a Shapefile",
            "fgb": "a FlatGeobuf file",
            "geojson": "GeoJSON",
            "zip": "a zip archive",
        }
        msg = f"cannot read as {names[kind]}, as its name says: {_describe_head(head)}"
        if kind == "zip":
            msg = f"not a valid zip archive ({_describe_head(head)})"
        raise InputError(label, "", msg)


def vector_source(path: str | Path, *, max_geojson_bytes: int = MAX_JSON_BYTES) -> str:
    """What to hand pyogrio for ``path``: a checked local path or ``/vsizip/`` path.

    Raises
    ------
    InputError
        For indirection in the name, a missing, empty or non-regular file, an
        unsupported format, or content that is not what the name says.
    """
    p = check_plain_file(path)
    kind = _SUFFIX_KIND.get(p.suffix.lower())
    if kind is None:
        supported = ", ".join(sorted(_SUFFIX_KIND))
        msg = f"unsupported GIS file type {p.suffix or '(none)'!r}; supported: {supported}"
        raise InputError(p, "", msg)
    head = _head(p)
    _expect(kind, head, p)
    if kind == "gpkg":
        check_geopackage(p)
        return str(p)
    if kind == "geojson":
        # Validated as JSON by our own reader: JSON content can only select GDAL's
        # JSON drivers, which read nothing but this file.
        _check_geojson_bytes(read_bytes_checked(p, max_bytes=max_geojson_bytes), p)
        return str(p)
    if kind == "zip":
        member = _zip_member(p)
        # GDAL splits /vsizip/ paths at ".zip"; the member name was checked above.
        src = f"/vsizip/{p.resolve()}/{member}"
        if member.lower().endswith(".gpkg"):
            _check_zipped_geopackage(src, p)
        elif member.lower().endswith((".geojson", ".json")):
            with zipfile.ZipFile(p) as zf, zf.open(member) as fh:
                data = fh.read(max_geojson_bytes + 1)
            if len(data) > max_geojson_bytes:
                raise InputError(p, member, "GeoJSON member is too large")
            _check_geojson_bytes(data, f"{p}!{member}")
        return src
    return str(p)
