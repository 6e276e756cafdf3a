"""Plan files (``*.plan.geojson``, SPEC 5.1): validated reading, atomic writing.

A plan is a GeoJSON FeatureCollection that any GIS opens; the plan's own metadata
sits in the ``siting_plan`` foreign member. Unknown camera properties and unknown
metadata keys are kept so a round trip through this version loses nothing.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planner.core.errors import InputError
from planner.core.model import AuditEntry, Camera, CameraStatus, Plan, PlanMeta
from planner.core.review_reading import review_from_json
from planner.io.safety.atomic import atomic_write_text
from planner.io.safety.common import check_lonlat, is_number, parse_json, read_bytes_checked

FORMAT = "siting-plan"
FORMAT_VERSION = 1
#: A plan of this size would hold millions of cameras; anything bigger is a mistake.
MAX_PLAN_BYTES = 64 * 1024 * 1024
#: Longest camera id (characters): ids are names like ``C-12`` or an asset number.
MAX_ID_CHARS = 256
#: Longest one-line text (label, model, plan name, author, department, policy, an
#: audit entry's who/action/when/camera): what a table cell or title can show.
MAX_LINE_CHARS = 2_000
#: Longest free text (notes, an audit entry's detail or justification): pages, not books.
MAX_NOTE_CHARS = 20_000
#: Longest data pack path (``siting_plan.data_pack``): the longest path most systems allow.
MAX_PACK_PATH_CHARS = 4_096

_KNOWN_PROPS = {
    "heading_deg",
    "fov_deg",
    "range_m",
    "label",
    "status",
    "model",
    "capabilities",
    "mount_height_m",
    "notes",
}
_META_KEYS = {
    "format",
    "format_version",
    "name",
    "created",
    "modified",
    "author",
    "department",
    "policy",
    "audit",
}


#: The one name of the plan's link to its data pack (``siting_plan.data_pack``). Every
#: writer (the app, ``import --existing-plan``, the demo) writes it and every reader reads
#: it. Plans written before it existed may carry the older ``source_pack``; it is read
#: as a fallback, never written.
PACK_LINK_KEY = "data_pack"
_LEGACY_PACK_LINK_KEYS = ("source_pack",)
#: SPEC 5.1 provenance of the last check (``siting_plan.checked_with``).
CHECKED_WITH_KEY = "checked_with"


@dataclass(frozen=True, slots=True)
class PackLink:
    """Where a plan's data pack is, and what it was.

    ``path`` is as written: relative to the plan's folder when the pack was on the same
    drive, so a plan and its pack moved together still find each other; ``absolute``
    is kept too, so a plan saved elsewhere still finds a pack that stayed put.
    """

    path: str
    absolute: str | None = None
    sha256: str | None = None

    def candidates(self, *, plan_path: str | Path | None) -> list[Path]:
        """Where to look, in order: ``path`` (against the plan's folder), then ``absolute``."""
        out: list[Path] = []
        p = Path(self.path)
        if not p.is_absolute() and plan_path is not None:
            p = Path(plan_path).resolve().parent / p
        if p.is_absolute():
            out.append(p)
        if self.absolute and Path(self.absolute).is_absolute():
            out.append(Path(self.absolute))
        # "a/../b" and "b" are one place: ask about it, and look for it, once
        return list(dict.fromkeys(Path(os.path.normpath(c)) for c in out))

    def resolve(self, *, plan_path: str | Path | None) -> Path | None:
        """The first candidate that is a file, else None (the pack is missing).

        A network candidate (``\\\\host\\share``) is returned without looking at it:
        even a stat would contact the host (and on Windows send the user's
        credentials) before the user agreed to open it.
        """
        from planner.io.safety.paths import is_network_path

        for c in self.candidates(plan_path=plan_path):
            if is_network_path(str(c)):
                return c
            if c.is_file():
                return c
        return None


def pack_link_json(
    *, pack: str | Path, plan_path: str | Path | None, sha256: str | None
) -> dict[str, Any]:
    """The ``data_pack`` member for ``pack``, relative to the plan file where possible."""
    absolute = Path(pack).resolve()
    rel: str | None = None
    if plan_path is not None:
        try:
            rel = Path(os.path.relpath(absolute, Path(plan_path).resolve().parent)).as_posix()
        except ValueError:  # another drive on Windows: only the absolute path works
            rel = None
    out: dict[str, Any] = {"path": rel or str(absolute), "absolute": str(absolute)}
    if sha256:
        out["sha256"] = sha256
    return out


def read_pack_link(meta: PlanMeta, *, source: str = "plan") -> PackLink | None:
    """The plan's link to its data pack, or None when it names none.

    Accepts the SPEC form (an object with ``path``, ``absolute``, ``sha256``), a bare
    path string (older demo plans) and the legacy ``source_pack`` member.
    """
    key = PACK_LINK_KEY
    raw = meta.extra.get(PACK_LINK_KEY)
    if raw is None:
        for legacy in _LEGACY_PACK_LINK_KEYS:
            if meta.extra.get(legacy) is not None:
                key, raw = legacy, meta.extra[legacy]
                break
    if raw is None:
        return None
    where = f"siting_plan.{key}"
    if isinstance(raw, str):
        if not raw.strip():
            return None
        _check_pack_path(raw, source, where)
        return PackLink(path=raw)
    if not isinstance(raw, dict):
        raise InputError(source, where, f"must be an object or a path string, got {raw!r}")
    fields: dict[str, str | None] = {}
    for name in ("path", "absolute", "sha256"):
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            raise InputError(source, f"{where}.{name}", f"must be a string, got {value!r}")
        if isinstance(value, str):
            _check_pack_path(value, source, f"{where}.{name}")
        fields[name] = value or None
    path = fields["path"] or fields["absolute"]
    if not path:
        raise InputError(source, f"{where}.path", "is required")
    sha = fields["sha256"]
    if sha is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha):
        raise InputError(source, f"{where}.sha256", f"not a sha256 hex digest: {sha!r}")
    return PackLink(path=path, absolute=fields["absolute"], sha256=sha and sha.lower())


def _check_pack_path(value: str, source: str, where: str) -> None:
    """Refuse a pack path no file system holds (a NUL, thousands of characters)."""
    if "\x00" in value:
        raise InputError(source, where, "holds a NUL character; no file has such a name")
    if len(value) > MAX_PACK_PATH_CHARS:
        raise InputError(
            source, where, f"is {len(value):,} characters long (at most {MAX_PACK_PATH_CHARS:,})"
        )


def _check_length(value: str, limit: int, source: str, where: str) -> None:
    if len(value) > limit:
        raise InputError(
            source, where, f"is {len(value):,} characters long (at most {limit:,} allowed)"
        )


def checked_with_json(
    *,
    policy_id: str,
    policy_version: str,
    policy_sha256: str,
    layers: list[dict[str, Any]],
    cameras: dict[str, str] | None = None,
) -> dict[str, Any]:
    """SPEC 5.1 ``checked_with``: the policy and every layer (``kind``, ``path``, ``sha256``).

    ``cameras`` (id -> ``block``/``warn``/``clear``) records what the planner saw, so a
    review can flag a camera whose status differs on its own re-check (SPEC 8).
    """
    out: dict[str, Any] = {
        "policy": {"id": policy_id, "version": policy_version, "sha256": policy_sha256},
        "layers": [
            {k: layer[k] for k in ("kind", "path", "sha256", "features") if k in layer}
            for layer in layers
        ],
    }
    if cameras is not None:
        out["cameras"] = dict(cameras)
    return out


def now_iso() -> str:
    """The current UTC time, ISO 8601, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def read_plan(path: str | Path) -> Plan:
    """Read and fully validate a plan file; raises :class:`InputError` on any problem."""
    data = parse_json(read_bytes_checked(path, max_bytes=MAX_PLAN_BYTES), path)
    return plan_from_geojson(data, source=str(path))


def _camera_where(index: int, fid: Any) -> str:
    return (
        f'feature {index} (camera "{fid}")' if isinstance(fid, str) and fid else f"feature {index}"
    )


def plan_from_geojson(data: Any, *, source: str) -> Plan:
    """Build a :class:`Plan` from parsed GeoJSON, validating every field."""
    if not isinstance(data, dict):
        raise InputError(source, "top level", "expected a GeoJSON FeatureCollection object")
    if data.get("type") != "FeatureCollection":
        raise InputError(
            source, "top level", f'type must be "FeatureCollection", got {data.get("type")!r}'
        )
    meta = _read_meta(data.get("siting_plan"), source)
    features = data.get("features")
    if not isinstance(features, list):
        raise InputError(source, "features", "must be a list")
    cameras: list[Camera] = []
    seen: dict[str, int] = {}
    for i, feat in enumerate(features, start=1):
        cam = _read_camera(feat, i, source)
        if cam.id in seen:
            raise InputError(
                source,
                _camera_where(i, cam.id),
                f"duplicate id (also used by feature {seen[cam.id]})",
            )
        seen[cam.id] = i
        cameras.append(cam)
    return Plan(cameras=cameras, meta=meta)


def _read_meta(raw: Any, source: str) -> PlanMeta:
    if raw is None:
        raise InputError(
            source, "siting_plan", "missing: not a siting-plan file (no siting_plan member)"
        )
    if not isinstance(raw, dict):
        raise InputError(source, "siting_plan", "must be an object")
    version = _format_version(raw, source)
    strings = _meta_strings(raw, source)
    audit_raw = raw.get("audit", [])
    if not isinstance(audit_raw, list):
        raise InputError(source, "siting_plan.audit", "must be a list")
    audit = [
        _audit_entry(entry, source, f"siting_plan.audit[{j}]")
        for j, entry in enumerate(audit_raw, start=1)
    ]
    # SPEC 8 review decisions: validated here so a hostile file fails on open, and
    # kept as written in ``extra`` so a round trip loses nothing.
    review_from_json(raw.get("review"), source=source)
    extra = {k: v for k, v in raw.items() if k not in _META_KEYS}
    return PlanMeta(
        name=strings["name"] or "Untitled plan",
        created=strings["created"],
        modified=strings["modified"],
        format_version=version,
        author=strings["author"],
        department=strings["department"],
        policy_ref=strings["policy"],
        audit=audit,
        extra=extra,
    )


def _format_version(raw: dict[str, Any], source: str) -> int:
    """The plan's format version, refused when it is not a siting plan or newer than this."""
    if raw.get("format") != FORMAT:
        raise InputError(
            source, "siting_plan.format", f'must be "{FORMAT}", got {raw.get("format")!r}'
        )
    version = raw.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError(
            source, "siting_plan.format_version", f"must be a positive integer, got {version!r}"
        )
    if version > FORMAT_VERSION:
        raise InputError(
            source,
            "siting_plan.format_version",
            f"format version {version} is newer than this planner understands ({FORMAT_VERSION}); "
            "update the planner to open it",
        )
    return version


def _meta_strings(raw: dict[str, Any], source: str) -> dict[str, str]:
    """The plan's one-line texts (``""`` when absent); its dates must be ISO 8601."""
    strings = {}
    for key in ("name", "created", "modified", "author", "department", "policy"):
        value = raw.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InputError(source, f"siting_plan.{key}", f"must be a string, got {value!r}")
        _check_length(value, MAX_LINE_CHARS, source, f"siting_plan.{key}")
        strings[key] = value
    for key in ("created", "modified"):
        if strings[key]:
            try:
                datetime.fromisoformat(strings[key].replace("Z", "+00:00"))
            except ValueError:
                raise InputError(
                    source, f"siting_plan.{key}", f"not an ISO 8601 date-time: {strings[key]!r}"
                ) from None
    return strings


def _audit_entry(entry: Any, source: str, where: str) -> AuditEntry:
    if not isinstance(entry, dict):
        raise InputError(source, where, "must be an object")
    fields: dict[str, Any] = {}
    for key in ("when", "who", "action", "camera_id", "detail", "justification"):
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(source, f"{where}.{key}", f"must be a string, got {value!r}")
        if value is not None:
            limit = MAX_NOTE_CHARS if key in ("detail", "justification") else MAX_LINE_CHARS
            _check_length(value, limit, source, f"{where}.{key}")
        fields[key] = value
    for key in ("when", "who", "action"):
        if not fields[key]:
            raise InputError(source, f"{where}.{key}", "is required")
    return AuditEntry(
        when=fields["when"],
        who=fields["who"],
        action=fields["action"],
        camera_id=fields["camera_id"],
        detail=fields["detail"] or "",
        justification=fields["justification"] or "",
    )


#: A dict lookup costs a tenth of ``CameraStatus(value)``, paid once per camera.
_STATUS_BY_VALUE = {s.value: s for s in CameraStatus}


def _read_camera(feat: Any, i: int, source: str) -> Camera:
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        raise InputError(source, f"feature {i}", "must be a GeoJSON Feature object")
    fid, where = _camera_id(feat, i, source)
    lon, lat = _camera_point(feat, source, where)
    props = feat.get("properties")
    if not isinstance(props, dict):
        raise InputError(source, where, "properties must be an object")
    heading, fov, rng = _camera_view(props, source, where)
    status = _camera_status(props, source, where)
    caps = props.get("capabilities", [])
    if caps is None:
        caps = []
    if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
        raise InputError(source, where, f"capabilities must be a list of strings, got {caps!r}")
    height = props.get("mount_height_m")
    if height is not None and (not is_number(height) or not 0.0 <= height <= 500.0):
        raise InputError(
            source, where, f"mount_height_m must be a number in [0, 500], got {height!r}"
        )
    texts = _camera_texts(props, source, where)
    extra = {k: v for k, v in props.items() if k not in _KNOWN_PROPS}
    return Camera(
        id=fid,
        lon=lon,
        lat=lat,
        heading_deg=heading,
        fov_deg=fov,
        range_m=rng,
        label=texts["label"] or "",
        status=status,
        model=texts["model"] or None,
        capabilities=tuple(caps),
        mount_height_m=None if height is None else float(height),
        notes=texts["notes"] or "",
        extra=extra,
    )


def _camera_id(feat: dict[str, Any], i: int, source: str) -> tuple[str, str]:
    """The feature's camera id, and how errors name the camera from now on."""
    fid = feat.get("id")
    where = _camera_where(i, fid)
    if fid is None:
        raise InputError(source, where, "missing id (every camera needs a unique string id)")
    if not isinstance(fid, str) or not fid.strip():
        raise InputError(source, where, f"id must be a non-empty string, got {fid!r}")
    if len(fid) > MAX_ID_CHARS:
        where = f"feature {i}"  # the id itself is too long to quote
        raise InputError(
            source, where, f"id is {len(fid):,} characters long (at most {MAX_ID_CHARS})"
        )
    return fid, where


def _camera_point(feat: dict[str, Any], source: str, where: str) -> tuple[float, float]:
    """The camera's Point geometry as checked ``(lon, lat)``."""
    geom = feat.get("geometry")
    if not isinstance(geom, dict) or geom.get("type") != "Point":
        got = geom.get("type") if isinstance(geom, dict) else geom
        raise InputError(source, where, f"geometry must be a Point, got {got!r}")
    coords = geom.get("coordinates")
    if not isinstance(coords, list) or len(coords) not in (2, 3):
        raise InputError(source, where, f"Point coordinates must be [lon, lat], got {coords!r}")
    return check_lonlat(coords[0], coords[1], source, where)


def _camera_view(
    props: dict[str, Any], source: str, where: str
) -> tuple[float | None, float, float]:
    """``(heading_deg, fov_deg, range_m)``, all required; the heading may be null."""
    for key in ("heading_deg", "fov_deg", "range_m"):
        if key not in props:
            raise InputError(source, where, f"{key} is required")
    heading = props["heading_deg"]
    if heading is not None:
        if not is_number(heading):
            raise InputError(
                source, where, f"heading_deg must be a number or null, got {heading!r}"
            )
        if not 0.0 <= heading < 360.0:
            raise InputError(source, where, f"heading_deg must be in [0, 360), got {heading}")
        heading = float(heading)
    fov = props["fov_deg"]
    if not is_number(fov):
        raise InputError(source, where, f"fov_deg must be a number, got {fov!r}")
    if not 0.0 < fov <= 360.0:
        raise InputError(source, where, f"fov_deg must be in (0, 360], got {fov}")
    rng = props["range_m"]
    if not is_number(rng):
        raise InputError(source, where, f"range_m must be a number, got {rng!r}")
    if not 0.0 < rng <= 2000.0:
        raise InputError(source, where, f"range_m must be in (0, 2000], got {rng}")
    return heading, float(fov), float(rng)


def _camera_status(props: dict[str, Any], source: str, where: str) -> CameraStatus:
    status_raw = props.get("status", "proposed")
    if status_raw is None:
        status_raw = "proposed"
    status = _STATUS_BY_VALUE.get(status_raw) if isinstance(status_raw, str) else None
    if status is None:
        allowed = ", ".join(s.value for s in CameraStatus)
        raise InputError(source, where, f"status must be one of {allowed}, got {status_raw!r}")
    return status


def _camera_texts(props: dict[str, Any], source: str, where: str) -> dict[str, str | None]:
    """``label``, ``model`` and ``notes``: strings of bounded length, or None."""
    texts = {}
    for key in ("label", "model", "notes"):
        value = props.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(source, where, f"{key} must be a string, got {value!r}")
        if value is not None:
            limit = MAX_NOTE_CHARS if key == "notes" else MAX_LINE_CHARS
            _check_length(value, limit, source, f"{where}: {key}")
        texts[key] = value
    return texts


def camera_to_feature(cam: Camera) -> dict[str, Any]:
    props: dict[str, Any] = {
        "heading_deg": cam.heading_deg,
        "fov_deg": cam.fov_deg,
        "range_m": cam.range_m,
        "status": str(cam.status),
    }
    if cam.label:
        props["label"] = cam.label
    if cam.model:
        props["model"] = cam.model
    if cam.capabilities:
        props["capabilities"] = list(cam.capabilities)
    if cam.mount_height_m is not None:
        props["mount_height_m"] = cam.mount_height_m
    if cam.notes:
        props["notes"] = cam.notes
    for k, v in cam.extra.items():
        props.setdefault(k, v)
    return {
        "type": "Feature",
        "id": cam.id,
        # every digit: the position saved is the position checked (SPEC 8's hash
        # rounds to 8 decimals on its own)
        "geometry": {"type": "Point", "coordinates": [cam.lon, cam.lat]},
        "properties": props,
    }


def plan_to_geojson(plan: Plan) -> dict[str, Any]:
    """The SPEC 5.1 GeoJSON form of ``plan``."""
    m = plan.meta
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": m.name,
        "created": m.created,
        "modified": m.modified,
    }
    for key, value in (
        ("author", m.author),
        ("department", m.department),
        ("policy", m.policy_ref),
    ):
        if value:
            meta[key] = value
    if m.audit:
        meta["audit"] = [a.to_json() for a in m.audit]
    for k, v in m.extra.items():
        meta.setdefault(k, v)
    return {
        "type": "FeatureCollection",
        "siting_plan": meta,
        "features": [camera_to_feature(c) for c in plan.cameras],
    }


def dumps_plan(plan: Plan) -> str:
    return json.dumps(plan_to_geojson(plan), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def write_plan(plan: Plan, path: str | Path, *, touch: bool = True) -> None:
    """Write ``plan`` atomically. ``touch`` stamps ``modified`` (and ``created`` if unset)."""
    if touch:
        stamp = now_iso()
        plan.meta.modified = stamp
        if not plan.meta.created:
            plan.meta.created = stamp
    try:
        atomic_write_text(path, dumps_plan(plan))
    except OSError as exc:
        from planner.io.safety.outputs import cannot_write

        raise InputError(path, "", cannot_write(exc, path)) from None
