"""Safe streaming reader for OSM XML (``.osm``, ``.osm.bz2``, ``.osm.gz``).

The file is fed to expat in chunks, so memory follows the data, not the file.
Safety (SPEC 7: "XML is read with entity expansion disabled"): OSM XML never has
a document type declaration, so any ``<!DOCTYPE``, ``<!ENTITY`` or external
reference is refused before a single entity can expand. That stops the "billion
laughs" entity bomb and external-entity tricks outright, instead of relying on
expat's amplification limits. :func:`check_xml_prolog` applies the same check to
other XML files (osmnx GraphML) before a third-party parser sees them.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast
from xml.parsers import expat

from planner.core.errors import InputError
from planner.io.openstreetmap.data import (
    MAX_RELATION_MEMBERS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    MAX_WAY_NODES,
    Member,
    OsmData,
    check_cancel,
    check_lonlat,
    check_object_count,
    check_sizes,
    check_tags,
    decompressed_limit,
)

CHUNK = 1 << 20
#: Bytes without a closing ``>``: OSM tags are short (a tag value is at most 255
#: characters), GraphML data values a few KB.
MAX_TAG_BYTES = 8 * CHUNK


class _Forbidden(Exception):
    """Raised inside expat handlers; carries the message for the InputError."""


class _StopParsing(Exception):
    """Raised to stop a prolog-only scan at the root element."""


def _is_compressed(path: Path) -> bool:
    return path.suffix.lower() in (".bz2", ".gz", ".gzip", ".xz")


@contextmanager
def open_maybe_compressed(path: Path) -> Iterator[IO[bytes]]:
    """Open ``path`` for binary reading, decompressing ``.bz2``/``.gz``/``.xz``."""
    suffix = path.suffix.lower()
    opener: Callable[..., Any]
    if suffix == ".bz2":
        opener = bz2.open
    elif suffix in (".gz", ".gzip"):
        opener = gzip.open
    elif suffix == ".xz":
        opener = lzma.open
    else:
        opener = Path.open
    with opener(path, "rb") as fh:
        yield cast("IO[bytes]", fh)  # the decompressing readers are binary files too


def _forbid_dtd(parser: Any) -> None:
    def doctype(name: str, *_args: object) -> None:
        msg = (
            f"XML document type declaration (<!DOCTYPE {name}>) is not allowed: "
            "OSM files have none, and entity declarations can be used for XML bombs"
        )
        raise _Forbidden(msg)

    def entity(name: str, *_args: object) -> None:
        msg = f"XML entity declaration ({name!r}) is not allowed (entity expansion is disabled)"
        raise _Forbidden(msg)

    def external(*_args: object) -> int:
        msg = "external XML entities are not allowed"
        raise _Forbidden(msg)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)


def _feed(
    parser: Any,
    path: Path,
    *,
    kind: str,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> None:
    """Feed the whole file to ``parser``, mapping every failure to InputError."""
    file = str(path)
    total = _file_size(path)

    def where() -> str:
        return f"line {parser.CurrentLineNumber}, column {parser.CurrentColumnNumber}"

    limit = decompressed_limit(total) if _is_compressed(path) else None
    try:
        with open_maybe_compressed(path) as fh:
            got_any = _feed_chunks(
                parser,
                fh,
                file,
                total=total,
                limit=limit,
                where=where,
                progress=progress,
                cancel=cancel,
            )
            if not got_any:
                msg = f"file is empty; {kind} expected"
                raise InputError(file, "", msg)
            parser.Parse(b"", True)
    except _Forbidden as exc:
        raise InputError(file, where(), str(exc)) from None
    except expat.ExpatError as exc:
        raise _malformed(file, exc) from None
    except LookupError as exc:
        # <?xml encoding="..."?> naming an encoding Python does not know.
        msg = f"malformed XML: {str(exc)[:120]}"
        raise InputError(file, "line 1", msg) from None
    except (OSError, EOFError, lzma.LZMAError) as exc:
        # bz2/gzip/lzma raise these for truncated or non-compressed data.
        msg = f"cannot read the file (truncated or not {path.suffix} compressed?): {exc}"
        raise InputError(file, "", msg) from None


def _file_size(path: Path) -> int:
    """The size on disk (at least 1): what progress and the bomb limit are measured by."""
    try:
        return max(path.stat().st_size, 1)
    except FileNotFoundError:
        msg = "file not found"
        raise InputError(str(path), "", msg) from None
    except OSError as exc:
        msg = f"cannot read the file: {exc}"
        raise InputError(str(path), "", msg) from None


def _feed_chunks(
    parser: Any,
    fh: IO[bytes],
    file: str,
    *,
    total: int,
    limit: int | None,
    where: Callable[[], str],
    progress: Callable[[float], None] | None,
    cancel: Callable[[], bool] | None,
) -> bool:
    """Parse the stream chunk by chunk within the bounds; whether it held anything."""
    raw = getattr(fh, "fileobj", None) or getattr(fh, "_fp", None)
    got_any = False
    produced = 0
    since_close = 0
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return got_any
        produced += len(chunk)
        close = chunk.rfind(b">")
        since_close = since_close + len(chunk) if close < 0 else len(chunk) - close - 1
        if since_close > MAX_TAG_BYTES:
            # expat rescans an unfinished token on every chunk: one giant
            # tag costs quadratic time, and no OSM tag is longer than ~25 KB.
            msg = f"an XML tag longer than {MAX_TAG_BYTES:,} bytes; refused"
            raise InputError(file, where(), msg)
        if limit is not None and produced > limit:
            msg = (
                f"decompresses to more than {limit:,} bytes from {total:,}; refused "
                "as a decompression bomb (see README, Input safety and limits)"
            )
            raise InputError(file, "", msg)
        got_any = got_any or bool(chunk.strip())
        parser.Parse(chunk, False)
        check_cancel(cancel)
        if progress is not None and raw is not None and hasattr(raw, "tell"):
            progress(min(raw.tell() / total, 1.0))


def _malformed(file: str, exc: expat.ExpatError) -> InputError:
    """An expat error in plain words, a truncated file said as such."""
    code = expat.ErrorString(exc.code) if exc.code else str(exc)
    if exc.code == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS]:
        msg = f"the XML ends too early (truncated file?): {code}"
    elif exc.code == expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN]:
        msg = f"the XML ends inside a tag (truncated file?): {code}"
    else:
        msg = f"malformed XML: {code}"
    return InputError(file, f"line {exc.lineno}, column {exc.offset}", msg)


def check_xml_prolog(path: str | Path, *, kind: str = "XML file") -> str:
    """Refuse an XML file with a DOCTYPE/ENTITY declaration; return its root tag.

    Only the prolog is read (up to the root element), so this is cheap to run
    before handing a file to a parser that does expand entities.
    """
    path = Path(path)
    parser = expat.ParserCreate()
    _forbid_dtd(parser)
    root: list[str] = []

    def start(name: str, _attrs: dict[str, str]) -> None:
        root.append(name)
        raise _StopParsing

    parser.StartElementHandler = start
    try:
        _feed(parser, path, kind=kind)
    except _StopParsing:
        return root[0]
    msg = f"no root element; not an {kind}"
    raise InputError(str(path), "", msg)


class _Handler:
    """Expat callbacks that fill an :class:`OsmData`."""

    def __init__(self, data: OsmData, parser: Any) -> None:
        self.data = data
        self.parser = parser
        self.depth = 0
        self.root_seen = False
        self.kind: str | None = None
        self.oid = 0
        self.tags: dict[str, str] = {}
        self.refs: list[int] = []
        self.members: list[Member] = []
        self.skip = False
        self.count = 0
        self.cancel: Callable[[], bool] | None = None

    def where(self) -> str:
        return f"line {self.parser.CurrentLineNumber}"

    def _object(self) -> str:
        return f"{self.where()} ({self.kind} {self.oid})"

    def _int(self, attrs: dict[str, str], key: str) -> int:
        try:
            value = int(attrs[key])
        except KeyError:
            msg = f"<{self.kind or 'element'}> without the {key!r} attribute"
            raise InputError(self.data.source, self.where(), msg) from None
        except ValueError:
            msg = f"{key}={attrs[key][:40]!r} is not an integer"
            raise InputError(self.data.source, self.where(), msg) from None
        if not -(2**63) <= value < 2**63:
            msg = f"{key}={attrs[key][:40]!r} does not fit a 64-bit OSM id"
            raise InputError(self.data.source, self.where(), msg)
        return value

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 1:
            if name != "osm":
                msg = f"not an OSM XML file (the root element is <{name}>, not <osm>)"
                raise InputError(self.data.source, self.where(), msg)
            self.root_seen = True
            self.data.generator = attrs.get("generator", "")
            if "timestamp" in attrs:
                self.data.base_timestamp = attrs["timestamp"]
            return
        if name in ("node", "way", "relation") and self.depth == 2:
            self.kind = name
            self.oid = self._int(attrs, "id")
            self.tags = {}
            self.refs = []
            self.members = []
            # JOSM files mark deletions in place; deleted objects are not there.
            self.skip = attrs.get("action") == "delete" or attrs.get("visible") == "false"
            self.data.note_timestamp(attrs.get("timestamp"))
            if name == "node" and not self.skip:
                try:
                    lon, lat = float(attrs["lon"]), float(attrs["lat"])
                except (KeyError, ValueError):
                    msg = f"node {self.oid} has no valid lat/lon"
                    raise InputError(self.data.source, self.where(), msg) from None
                check_lonlat(self.data.source, f"{self.where()} (node {self.oid})", lon, lat)
                self.data.nodes[self.oid] = (lon, lat)
            self.count += 1
            if self.count % 100_000 == 0:
                check_cancel(self.cancel)
                check_object_count(self.data.source, self.where(), self.count)
        elif self.kind is None:
            if name == "meta" and "osm_base" in attrs:
                # Overpass XML output carries its snapshot time here.
                self.data.base_timestamp = attrs["osm_base"]
        elif name == "tag":
            k = attrs.get("k")
            if k is not None:
                self.tags[k] = attrs.get("v", "")
                if len(self.tags) > MAX_TAGS or len(k) > MAX_TAG_CHARS:
                    check_tags(self.data.source, self._object(), self.tags)
                if len(self.tags[k]) > MAX_TAG_CHARS:
                    check_tags(self.data.source, self._object(), {k: self.tags[k]})
        elif name == "nd" and self.kind == "way":
            self.refs.append(self._int(attrs, "ref"))
            if len(self.refs) > MAX_WAY_NODES:
                check_sizes(self.data.source, self._object(), refs=len(self.refs))
        elif name == "member" and self.kind == "relation":
            mtype = attrs.get("type", "")
            if mtype in ("node", "way", "relation"):
                self.members.append((mtype, self._int(attrs, "ref"), attrs.get("role", "")))
                if len(self.members) > MAX_RELATION_MEMBERS:
                    check_sizes(self.data.source, self._object(), members=len(self.members))

    def end(self, name: str) -> None:
        self.depth -= 1
        if self.depth == 1 and self.kind is not None and name == self.kind:
            if not self.skip:
                if self.kind == "node":
                    if self.tags:
                        self.data.node_tags[self.oid] = self.tags
                elif self.kind == "way":
                    self.data.ways[self.oid] = self.refs
                    self.data.way_tags[self.oid] = self.tags
                else:
                    self.data.relations[self.oid] = self.members
                    self.data.relation_tags[self.oid] = self.tags
            self.kind = None


def read_osm_xml(
    path: str | Path,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> OsmData:
    """Read an OSM XML file (optionally bz2/gzip/xz compressed) safely.

    Raises
    ------
    InputError
        For a missing, empty, truncated, malformed or non-OSM file, and for any
        DOCTYPE or entity declaration.
    CheckCancelled
        When ``cancel()`` returns true.
    """
    path = Path(path)
    data = OsmData(source=str(path))
    parser = expat.ParserCreate()
    parser.buffer_text = True
    _forbid_dtd(parser)
    handler = _Handler(data, parser)
    handler.cancel = cancel
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    _feed(parser, path, kind="OSM XML", progress=progress, cancel=cancel)
    if not handler.root_seen:
        msg = "not an OSM XML file (no <osm> element)"
        raise InputError(str(path), "", msg)
    return data
