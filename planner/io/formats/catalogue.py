"""Camera catalogue files (``data/cameras.toml``): read and validate.

Form::

    default = "flock_falcon"            # model given to a new camera
    worst_case = "unknown_fixed_alpr"   # model for unknown devices; covers all others

    [models.flock_falcon]
    label = "Flock Safety Falcon"       # required
    vendor = "Flock Safety"             # required
    aliases = ["Falcon"]                # optional other names
    fov_deg = 20.0                      # required, (0, 360]
    range_m = 25.0                      # required, (0, 2000]
    capabilities = ["plate_read"]       # optional
    fov_source = "..."                  # required: where the figure comes from
    range_source = "..."                # required
    confidence = "low"                  # required: low | medium | high
    notes = "..."                       # optional
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from planner.core.catalogue import CONFIDENCE_LEVELS, CameraModel, Catalogue
from planner.core.errors import InputError
from planner.io.safety.tomlcheck import Table, read_toml
from planner.resources import data_path

BUILTIN_CATALOGUE_FILE = ("cameras.toml",)

_TOP_KEYS = frozenset({"default", "worst_case", "models"})
_MODEL_KEYS = frozenset(
    {
        "label",
        "vendor",
        "aliases",
        "fov_deg",
        "range_m",
        "capabilities",
        "fov_source",
        "range_source",
        "confidence",
        "notes",
    }
)
_KEY = re.compile(r"[a-z0-9][a-z0-9_]*")
_CAPABILITY = re.compile(r"[a-z][a-z0-9_]*")


def builtin_catalogue_path() -> Path:
    """Where the shipped camera catalogue lives."""
    return data_path(*BUILTIN_CATALOGUE_FILE)


def read_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and validate a camera catalogue.

    Parameters
    ----------
    path
        A catalogue TOML file; ``None`` reads the built-in ``data/cameras.toml``.

    Returns
    -------
    Catalogue

    Raises
    ------
    InputError
        For an unreadable, empty, oversized or malformed file; a missing, unknown
        or badly typed key; a figure out of range; duplicate model names; a
        default or worst case that is not listed; or a worst case that does not
        cover every model.
    """
    path = builtin_catalogue_path() if path is None else Path(path)
    data, _raw = read_toml(path, kind="camera catalogue")
    file = str(path)
    top = Table(file, data)
    top.reject_unknown(_TOP_KEYS)
    models_table = top.require_table(
        "models", what="a catalogue needs a [models.<key>] table per camera model"
    )
    models = _models(models_table, file)
    keys = [m.key for m in models]
    default_key = top.string("default", required=True)
    worst_key = top.string("worst_case", required=True)
    for name, value in (("default", default_key), ("worst_case", worst_key)):
        if value not in keys:
            msg = f"{value!r} is not one of the models ({', '.join(keys)})"
            raise InputError(file, name, msg)
    _check_worst_case(models[keys.index(worst_key)], models, file)
    return Catalogue(models=tuple(models), default_key=default_key, worst_case_key=worst_key)


def _models(models_table: Table, file: str) -> list[CameraModel]:
    """Every ``[models.<key>]`` table, each name (key, label, alias) naming one model only."""
    entries = models_table.sub_tables()
    if not entries:
        msg = "no models; add a [models.<key>] table per camera model"
        raise InputError(file, "models", msg)
    models: list[CameraModel] = []
    owners: dict[str, str] = {}
    for key, table in entries:
        if not _KEY.fullmatch(key):
            msg = "model keys are lower-case letters, digits and _ (e.g. flock_falcon)"
            raise InputError(file, table.prefix, msg)
        model = _model(key, table)
        for field, names in (("key", [key]), ("label", [model.label]), ("aliases", model.aliases)):
            for name in names:
                norm = " ".join(name.casefold().replace("_", " ").split())
                owner = owners.setdefault(norm, key)
                if owner != key:
                    where = table.where(field) if field != "key" else table.prefix
                    msg = f"the name {name!r} already identifies model {owner!r}"
                    raise InputError(file, where, msg)
        models.append(model)
    return models


def _check_worst_case(worst: CameraModel, models: list[CameraModel], file: str) -> None:
    """The worst case must cover every model (its cone contains theirs)."""
    for model in models:
        if not worst.covers(model):
            msg = (
                f"the worst case ({worst.fov_deg:g}°, {worst.range_m:g} m) must cover every "
                f"model, but {model.key!r} has {model.fov_deg:g}° and {model.range_m:g} m"
            )
            raise InputError(file, "worst_case", msg)


@functools.cache
def builtin_catalogue() -> Catalogue:
    """The shipped camera catalogue (read once, then cached)."""
    return read_catalogue(None)


def _model(key: str, table: Table) -> CameraModel:
    table.reject_unknown(_MODEL_KEYS)
    fov = table.required_number(
        "fov_deg", minimum=0.0, exclusive_minimum=True, maximum=360.0, unit="°"
    )
    rng = table.required_number(
        "range_m", minimum=0.0, exclusive_minimum=True, maximum=2000.0, unit="m"
    )
    return CameraModel(
        key=key,
        label=table.string("label", required=True),
        vendor=table.string("vendor", required=True),
        aliases=table.string_list("aliases"),
        fov_deg=fov,
        range_m=rng,
        capabilities=table.string_list(
            "capabilities",
            pattern=_CAPABILITY,
            pattern_hint=" (lower-case letters, digits and _, e.g. plate_read)",
        ),
        fov_source=table.string("fov_source", required=True),
        range_source=table.string("range_source", required=True),
        confidence=table.choice("confidence", CONFIDENCE_LEVELS),
        notes=table.string("notes"),
    )
