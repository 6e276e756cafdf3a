"""SPEC 8 canonical JSON and the camera and plan hashes built on it.

Cameras enter as their GeoJSON features (``planner.io.formats.plan.camera_to_feature``
makes them), so the hash is defined on exactly what a plan file stores.

Canonical JSON (the input of every hash): keys sorted, no whitespace, UTF-8, and a
number that is a whole value written as an integer (``90.0`` is ``90``), so a tool
in another language that writes ``90`` hashes the same camera the same way.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any


def _canonical(value: Any) -> Any:
    # Exact-type checks first: a 50,000-camera plan passes a million values through
    # here, and the types ``json`` produces are exactly these.
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            msg = f"non-finite number {value!r} has no canonical JSON form"
            raise ValueError(msg)
        return int(value) if value.is_integer() else value
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): _canonical(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_canonical(v) for v in value]
    return _canonical_subclass(value)


def _canonical_subclass(value: Any) -> Any:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, float):
        return _canonical(float(value))
    if isinstance(value, int):
        return value
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    msg = f"{type(value).__name__} has no canonical JSON form"
    raise TypeError(msg)


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes: sorted keys, no whitespace, UTF-8."""
    return json.dumps(
        _canonical(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def camera_content(feature: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical content of one camera feature: id, coordinates to 8 decimals, properties."""
    coords = feature["geometry"]["coordinates"]
    return {
        "id": feature["id"],
        "coordinates": [round(float(coords[0]), 8), round(float(coords[1]), 8)],
        "properties": dict(feature.get("properties") or {}),
    }


def _canonical_content(feature: Mapping[str, Any]) -> dict[str, Any]:
    # ``_canonical(camera_content(feature))`` in one pass: the canonical form is a
    # copy already, so the properties need no copy of their own.
    coords = feature["geometry"]["coordinates"]
    return {
        "id": _canonical(feature["id"]),
        "coordinates": [
            _canonical(round(float(coords[0]), 8)),
            _canonical(round(float(coords[1]), 8)),
        ],
        "properties": _canonical(feature.get("properties") or {}),
    }


def _dumps_canonical(value: Any) -> bytes:
    # ``value`` is already canonical (see ``_canonical``).
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def camera_hash(feature: Mapping[str, Any]) -> str:
    """SPEC 8 camera hash: sha256 of the camera's canonical content."""
    return hashlib.sha256(_dumps_canonical(_canonical_content(feature))).hexdigest()


def plan_hash(features: Iterable[Mapping[str, Any]], *, name: str) -> str:
    """SPEC 8 plan hash: sha256 of ``{"cameras": [content in id order], "name": name}``.

    One serialisation of the whole plan: for 50,000 cameras that is several times
    faster than joining 50,000 separately serialised cameras.
    """
    cams = sorted((_canonical_content(f) for f in features), key=lambda c: c["id"])
    doc = {"cameras": cams, "name": _canonical(name)}
    return hashlib.sha256(_dumps_canonical(doc)).hexdigest()


def canonical_value(value: Any) -> Any:
    """``value`` in canonical form (whole floats as integers), for comparing two values."""
    return _canonical(value)
