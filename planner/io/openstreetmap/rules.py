"""Category rules: which OSM tags make a protected site (``data/osm_categories.toml``).

The rules are data, not code, so a city can review and change them without a
new release; the pack records the rules it was built with. The file format is
described at the top of ``data/osm_categories.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.core.errors import InputError
from planner.io.safety.tomlcheck import Table, describe, read_toml
from planner.resources import data_path

BUILTIN_RULES_FILE = ("osm_categories.toml",)
FORMAT_VERSION = 1

_TOP_KEYS = frozenset({"format_version", "rule"})
_RULE_KEYS = frozenset({"id", "category", "verified", "all", "any", "none", "source"})
_NAME = re.compile(r"[a-z0-9][a-z0-9_]*")


@dataclass(frozen=True)
class TagTest:
    """``key`` present with a value matching ``pattern`` (whole value or one ``;`` item)."""

    key: str
    pattern: re.Pattern[str]

    def matches(self, tags: Mapping[str, str]) -> bool:
        value = tags.get(self.key)
        if value is None:
            return False
        if self.pattern.fullmatch(value.strip()):
            return True
        return ";" in value and any(self.pattern.fullmatch(p.strip()) for p in value.split(";"))


@dataclass(frozen=True)
class CategoryRule:
    """One rule of the file: tests and the category it gives."""

    id: str
    category: str
    verified: bool
    all: tuple[TagTest, ...] = ()
    any: tuple[tuple[TagTest, ...], ...] = ()
    none: tuple[TagTest, ...] = ()
    source: str = ""

    def matches(self, tags: Mapping[str, str]) -> bool:
        if not tags:
            return False
        return (
            all(t.matches(tags) for t in self.all)
            and all(any(t.matches(tags) for t in group) for group in self.any)
            and not any(t.matches(tags) for t in self.none)
        )


@dataclass(frozen=True)
class CategoryRules:
    """The ordered rules; the first match decides an object's category."""

    rules: tuple[CategoryRule, ...]
    path: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def classify(self, tags: Mapping[str, str]) -> CategoryRule | None:
        """The first rule matching ``tags``, or ``None`` when the object is no site."""
        for rule in self.rules:
            if rule.matches(tags):
                return rule
        return None

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.category for r in self.rules))

    def as_dict(self) -> dict[str, Any]:
        """The rules as loaded, for the pack metadata."""
        return {"path": self.path, **dict(self.raw)}


def builtin_rules_path() -> Path:
    return data_path(*BUILTIN_RULES_FILE)


def _tests(file: str, where: str, value: Any) -> tuple[TagTest, ...]:
    if not isinstance(value, Mapping):
        msg = f"must be a table of key = pattern, not {describe(value)}"
        raise InputError(file, where, msg)
    tests = []
    for key, pattern in value.items():
        place = f"{where}.{key}"
        if not isinstance(key, str) or not key.strip():
            msg = "tag keys must not be empty"
            raise InputError(file, place, msg)
        if not isinstance(pattern, str) or not pattern.strip():
            msg = f"must be a non-empty pattern string, not {describe(pattern)}"
            raise InputError(file, place, msg)
        try:
            compiled = re.compile(pattern.strip(), re.IGNORECASE)
        except re.error as exc:
            msg = f"invalid pattern {pattern!r}: {exc}"
            raise InputError(file, place, msg) from None
        tests.append(TagTest(key=key.strip(), pattern=compiled))
    return tuple(tests)


def _rule(file: str, index: int, data: Any) -> CategoryRule:
    prefix = f"rule[{index}]"
    if not isinstance(data, Mapping):
        msg = f"must be a table ([[rule]]), not {describe(data)}"
        raise InputError(file, prefix, msg)
    table = Table(file, data, prefix=prefix)
    table.reject_unknown(_RULE_KEYS)
    rule_id = table.string("id", required=True)
    if not _NAME.fullmatch(rule_id):
        msg = f"{rule_id!r} must be lower-case letters, digits and _"
        raise table.error("id", msg)
    category = table.string("category", required=True)
    if not _NAME.fullmatch(category):
        msg = f"{category!r} must be lower-case letters, digits and _"
        raise table.error("category", msg)
    verified = data.get("verified", True)
    if not isinstance(verified, bool):
        msg = f"must be true or false, not {describe(verified)}"
        raise table.error("verified", msg)
    all_tests = _tests(file, table.where("all"), data.get("all", {}))
    any_raw = data.get("any", [])
    groups = any_raw if isinstance(any_raw, list) else [any_raw]
    any_tests = tuple(
        _tests(
            file,
            f"{table.where('any')}[{i}]" if isinstance(any_raw, list) else table.where("any"),
            g,
        )
        for i, g in enumerate(groups)
    )
    if any(not g for g in any_tests):
        msg = "an 'any' group must list at least one tag"
        raise table.error("any", msg)
    none_tests = _tests(file, table.where("none"), data.get("none", {}))
    if not all_tests and not any_tests:
        msg = "a rule needs at least one 'all' or 'any' test, or it would match everything"
        raise InputError(file, prefix, msg)
    return CategoryRule(
        id=rule_id,
        category=category,
        verified=verified,
        all=all_tests,
        any=any_tests,
        none=none_tests,
        source=table.string("source", allow_empty=True),
    )


def load_category_rules(path: str | Path | None = None) -> CategoryRules:
    """Read and validate a category rules file; ``None`` reads the built-in one.

    Raises
    ------
    InputError
        For an unreadable or malformed file, unknown keys, bad patterns, duplicate
        rule ids or an unsupported ``format_version``.
    """
    path = builtin_rules_path() if path is None else Path(path)
    file = str(path)
    doc, _raw = read_toml(path, kind="OSM category rules")
    top = Table(file, doc)
    top.reject_unknown(_TOP_KEYS)
    version = doc.get("format_version", FORMAT_VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        msg = f"must be an integer, not {describe(version)}"
        raise top.error("format_version", msg)
    if version > FORMAT_VERSION:
        msg = f"format_version {version} is newer than this program knows ({FORMAT_VERSION})"
        raise top.error("format_version", msg)
    raw_rules = doc.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        msg = "missing; the file needs at least one [[rule]]"
        raise top.error("rule", msg)
    rules = []
    seen: set[str] = set()
    for i, item in enumerate(raw_rules):
        rule = _rule(file, i, item)
        if rule.id in seen:
            msg = f"duplicate rule id {rule.id!r}"
            raise InputError(file, f"rule[{i}].id", msg)
        seen.add(rule.id)
        rules.append(rule)
    return CategoryRules(rules=tuple(rules), path=file, raw=doc)
