"""Policy files (SPEC 5.4): read, validate, and the built-in San José policy.

A policy decides what the checker blocks, so reading one is strict: every key is
known, every value has the right type and range, and anything else is an
:class:`~planner.core.errors.InputError` naming the file, the place and the fault.
A typo such as ``entrance_radius = 50`` must never fall back silently to the
default radius.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planner.core.errors import InputError
from planner.core.model import Action, CategoryRule, Policy
from planner.io.safety.tomlcheck import Table, describe, read_toml
from planner.resources import data_path

#: The policy shipped with the planner (data/policies/).
BUILTIN_POLICY_FILE = ("policies", "san_jose_alpr_2026.toml")
#: The shipped file's sha256. When IT locks the policy to the built-in one, a program
#: folder whose policy file differs (a copy with an edited policy) is refused
#: (planner.io.config.managed_config); a test keeps this in step with the file.
BUILTIN_POLICY_SHA256 = "6f5b6973ec75f5365565d1b8bb7f129399d17449279fdbe9f101ff10f6373d77"

#: Distances beyond this are surely a unit mistake (feet, or a typo), not metres.
MAX_DISTANCE_M = 10_000.0

UNKNOWN_CATEGORY_CHOICES = ("error", "warn", "ignore")

_TOP_KEYS = frozenset(
    {
        "id",
        "version",
        "title",
        "entrance_radius_m",
        "warn_margin_m",
        "approach_m",
        "approach_width_m",
        "prohibited_capabilities",
        "prohibited_capabilities_source",
        "unknown_category",
        "categories",
    }
)
_CATEGORY_KEYS = frozenset(
    {"action", "label", "source", "entrance_radius_m", "warn_margin_m", "approach_m"}
)
_ACTIONS = tuple(a.value for a in Action)


def read_policy(path: str | Path) -> Policy:
    """Read and validate a policy file.

    Parameters
    ----------
    path
        A TOML policy file in the SPEC 5.4 form.

    Returns
    -------
    Policy
        The policy, with ``sha256`` set to the hex digest of the file's bytes so a
        check report can say exactly which policy text was applied.

    Raises
    ------
    InputError
        For an unreadable, empty, oversized or malformed file, and for any key or
        value that is missing, unknown, of the wrong type or out of range.
    """
    data, raw = read_toml(path, kind="policy")
    return policy_from_mapping(data, source=str(path), sha256=hashlib.sha256(raw).hexdigest())


def policy_from_mapping(data: Mapping[str, Any], *, source: str, sha256: str = "") -> Policy:
    """Validate an already parsed policy document.

    Parameters
    ----------
    data
        The parsed TOML (or an equivalent mapping, e.g. from a plan file).
    source
        What to name as the file in error messages.
    sha256
        Digest of the text the mapping came from, if known.

    Returns
    -------
    Policy

    Raises
    ------
    InputError
        As :func:`read_policy`.
    """
    if not isinstance(data, Mapping):
        msg = f"a policy must be a table, not {describe(data)}"
        raise InputError(source, "", msg)
    if not data:
        msg = "the policy has no settings; it needs at least id, version and [categories]"
        raise InputError(source, "", msg)
    top = Table(source, data)
    top.reject_unknown(_TOP_KEYS)

    policy_id = top.string("id", required=True)
    version = top.string("version", required=True)
    title = top.string("title")

    entrance_radius = _top_distance(top, "entrance_radius_m", default=15.0, positive=True)
    warn_margin = _top_distance(top, "warn_margin_m", default=10.0, positive=False)
    approach = _top_distance(top, "approach_m", default=0.0, positive=False)
    approach_width = _top_distance(top, "approach_width_m", default=6.0, positive=True)

    prohibited = top.string_list("prohibited_capabilities")
    prohibited_source = top.string("prohibited_capabilities_source")
    unknown_category = top.choice("unknown_category", UNKNOWN_CATEGORY_CHOICES, default="error")

    categories = _categories(top, source)

    return Policy(
        id=policy_id,
        version=version,
        title=title,
        entrance_radius_m=entrance_radius,
        warn_margin_m=warn_margin,
        approach_m=approach,
        approach_width_m=approach_width,
        prohibited_capabilities=prohibited,
        prohibited_capabilities_source=prohibited_source,
        categories=categories,
        unknown_category=unknown_category,
        sha256=sha256,
    )


def _categories(top: Table, source: str) -> dict[str, CategoryRule]:
    """The ``[categories.<name>]`` tables, at least one."""
    categories_table = top.require_table(
        "categories",
        what="a policy needs a [categories.<name>] table for each protected category",
    )
    entries = categories_table.sub_tables()
    if not entries:
        msg = "no categories; add a [categories.<name>] table with an action"
        raise InputError(source, "categories", msg)
    return {key: _category(key, table) for key, table in entries}


def builtin_policy_path() -> Path:
    """Where the built-in San José policy file lives."""
    return data_path(*BUILTIN_POLICY_FILE)


@functools.cache
def builtin_policy() -> Policy:
    """The built-in San José ALPR policy (read once, then cached).

    Raises
    ------
    InputError
        When the shipped file is missing or broken (a packaging fault).
    """
    return read_policy(builtin_policy_path())


def _category(key: str, table: Table) -> CategoryRule:
    table.reject_unknown(_CATEGORY_KEYS)
    action = table.choice("action", _ACTIONS)
    return CategoryRule(
        key=key,
        action=Action(action),
        label=table.string("label"),
        source=table.string("source"),
        entrance_radius_m=_distance(table, "entrance_radius_m", default=None, positive=True),
        warn_margin_m=_distance(table, "warn_margin_m", default=None, positive=False),
        approach_m=_distance(table, "approach_m", default=None, positive=False),
    )


def _distance(table: Table, key: str, *, default: float | None, positive: bool) -> float | None:
    """A distance in metres: finite, > 0 (``positive``) or >= 0, and plausible."""
    return table.number(
        key,
        default=default,
        minimum=0.0,
        exclusive_minimum=positive,
        maximum=MAX_DISTANCE_M,
        unit="m",
    )


def _top_distance(table: Table, key: str, *, default: float, positive: bool) -> float:
    value = _distance(table, key, default=None, positive=positive)
    return default if value is None else value
