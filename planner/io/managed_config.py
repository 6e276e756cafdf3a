"""The system-wide configuration that city IT manages (no Qt, no writing).

IT sets the policy, the data pack(s), the default camera model and the basemap for
every user of a workstation, and may lock the policy and the data so that nobody
can switch them in the app or override them with user settings. The settings come
from one TOML file in the platform's system location:

- Linux and other Unix: ``/etc/siting-planner/config.toml``
- Windows: ``%PROGRAMDATA%\\SitingPlanner\\config.toml``
- macOS: ``/Library/Application Support/SitingPlanner/config.toml``

and, on Windows, from the registry key ``HKLM\\SOFTWARE\\Policies\\SitingPlanner``
(set through Group Policy with ``packaging/windows/SitingPlanner.admx``), whose
values win over the file's. ``SITING_PLANNER_SYSTEM_CONFIG`` names another file
(tests, or a portable install); it does not turn the registry off.

A config file that cannot be read or has a bad value never leaves the app unlocked:
:func:`load_managed_config` returns the built-in defaults with both locks on and one
message naming the file and the key, so IT notices and users cannot work around a
typo.

Example::

    policy = "san_jose_alpr_2026.toml"     # relative to this file's folder
    data = ["/srv/gis/sanjose.gpkg"]       # first one opens; a string is one pack
    default_camera_model = "flock_falcon"
    basemap = "none"                       # "none", a preset name, an XYZ URL or a file
    lock_policy = true
    lock_data = true
    allowed_signers = "/srv/gis/allowed_signers"   # trusted reviewers; always locked
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Environment variable naming the system config file instead of the platform's.
CONFIG_ENV = "SITING_PLANNER_SYSTEM_CONFIG"
#: The Windows registry key (under HKEY_LOCAL_MACHINE) that Group Policy writes.
REGISTRY_KEY = r"SOFTWARE\Policies\SitingPlanner"
REGISTRY_SOURCE = r"HKLM\SOFTWARE\Policies\SitingPlanner"
#: A hand-written settings file: anything bigger is the wrong file.
MAX_BYTES = 64 * 1024
MAX_PACKS = 32
MAX_TEXT = 4096
KEYS = (
    "policy",
    "data",
    "default_camera_model",
    "basemap",
    "lock_policy",
    "lock_data",
    "allowed_signers",
)


def system_config_path(
    *, platform: str | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """Where the system config file is on this platform (or ``$SITING_PLANNER_SYSTEM_CONFIG``).

    Parameters
    ----------
    platform
        ``sys.platform`` by default (tests pass another).
    environ
        ``os.environ`` by default.
    """
    env = os.environ if environ is None else environ
    override = env.get(CONFIG_ENV)
    if override:
        return Path(override)
    plat = sys.platform if platform is None else platform
    if plat.startswith("win"):
        base = env.get("PROGRAMDATA") or r"C:\ProgramData"
        return Path(base) / "SitingPlanner" / "config.toml"
    if plat == "darwin":
        return Path("/Library/Application Support/SitingPlanner/config.toml")
    return Path("/etc/siting-planner/config.toml")


@dataclass(frozen=True)
class ManagedConfig:
    """What IT set for this workstation; the default instance manages nothing.

    Attributes
    ----------
    sources
        Where the settings came from (file paths, the registry key), for the GUI
        and the CLI to say by whom the app is managed.
    policy
        The policy file to use instead of the built-in one.
    data_packs
        Data packs IT provides; the first opens by default.
    default_camera_model
        The catalogue key of the camera model new cameras get, unless the user chose one.
    basemap
        ``"none"``, a basemap preset name, an XYZ URL template or an offline tiles file.
    lock_policy, lock_data
        Whether the user may switch the policy / the data in the app.
    allowed_signers
        The allowed-signers file of trusted reviewers (SPEC 8); when set, nothing
        the user controls replaces it (see :func:`planner.io.signing.resolve_trust`).
    error
        Set when the config was unusable: one line naming the file and the key. The
        other fields then hold the built-in defaults, locked.
    """

    sources: tuple[str, ...] = ()
    policy: Path | None = None
    data_packs: tuple[Path, ...] = ()
    default_camera_model: str | None = None
    basemap: str | None = None
    lock_policy: bool = False
    lock_data: bool = False
    error: str | None = None
    allowed_signers: Path | None = None
    values_from: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def active(self) -> bool:
        """Whether anything is managed (a file or registry values were found, or an error)."""
        return bool(self.sources) or self.error is not None

    @property
    def source_text(self) -> str:
        """The managing source(s) as one line, e.g. ``/etc/siting-planner/config.toml``."""
        return " + ".join(self.sources) if self.sources else "no system configuration"

    def source_of(self, key: str) -> str:
        """Which source set ``key`` (the registry key or the file)."""
        return self.values_from.get(key, self.source_text)

    @classmethod
    def locked_down(cls, *, sources: tuple[str, ...], error: str) -> ManagedConfig:
        """The built-in defaults with every lock on (what a malformed config gives)."""
        return cls(sources=sources, lock_policy=True, lock_data=True, error=error)

    def policy_for_check(self, requested: Path | None) -> tuple[Path | None, list[str]]:
        """The policy file a command-line check must use, and what to report about it.

        A locked policy wins over ``--policy``; when they differ the note says so,
        so a report never silently shows another policy than the one asked for.

        Returns
        -------
        tuple
            The policy path (``None``: the built-in policy) and notes for the report.
        """
        notes: list[str] = []
        if self.error is not None:
            notes.append(f"system configuration unusable, built-in defaults locked: {self.error}")
        if not self.lock_policy:
            return (requested if requested is not None else self.policy), notes
        locked = self.policy
        if requested is not None and not _same_file(requested, locked):
            what = str(locked) if locked is not None else "the built-in policy"
            notes.append(
                f"--policy {requested} ignored: the policy is locked to {what} by "
                f"{self.source_of('policy')}"
            )
        return locked, notes

    def to_json(self) -> dict[str, Any]:
        """The managed settings for ``check --format json`` and the self-test."""
        return {
            "sources": list(self.sources),
            "policy": None if self.policy is None else str(self.policy),
            "data": [str(p) for p in self.data_packs],
            "default_camera_model": self.default_camera_model,
            "basemap": self.basemap,
            "lock_policy": self.lock_policy,
            "lock_data": self.lock_data,
            "error": self.error,
            "allowed_signers": None if self.allowed_signers is None else str(self.allowed_signers),
        }


def _same_file(a: Path, b: Path | None) -> bool:
    if b is None:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


class ConfigError(Exception):
    """A bad system config: ``str()`` is ``<file>: <key>: <what>``."""


def _read_file(path: Path) -> dict[str, Any] | None:
    """The parsed file, or ``None`` when there is no file (nothing managed)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: (file): cannot read it: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path}: (file): larger than {MAX_BYTES // 1024} KiB")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: (file): not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {_toml_where(raw, str(exc))}") from None


def _toml_where(raw: bytes, message: str) -> str:
    """``line 2, column 15 (key lock_policy): not valid TOML: ...`` from a parse error."""
    from planner.io.tomlcheck import split_toml_error

    where, what = split_toml_error(message)
    m = re.match(r"line (\d+)", where)
    if m:
        lines = raw.decode("utf-8", "replace").splitlines()
        n = int(m.group(1))
        key = re.match(r"\s*([A-Za-z0-9_\-]+)\s*=", lines[n - 1]) if n <= len(lines) else None
        if key:
            where += f" (key {key.group(1)})"
    return f"{where or '(file)'}: not valid TOML: {what.strip()}"


def _text(value: Any, *, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {key}: must be a non-empty string, got {value!r:.80}")
    if len(value) > MAX_TEXT or any(ord(c) < 32 for c in value):
        raise ConfigError(f"{where}: {key}: too long or holds control characters")
    return value.strip()


def _bool(value: Any, *, where: str, key: str) -> bool:
    # The registry stores DWORDs: 0 and 1 are the only numbers accepted.
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ConfigError(f"{where}: {key}: must be true or false, got {value!r:.80}")


def _path(value: Any, *, where: str, key: str, base: Path | None) -> Path:
    p = Path(_text(value, where=where, key=key)).expanduser()
    if not p.is_absolute() and base is not None:
        p = base / p
    return p


def _validate(raw: Mapping[str, Any], *, where: str, base: Path | None) -> dict[str, Any]:
    """Checked values of one source; unknown keys are errors (a typo must not unlock)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in KEYS:
            raise ConfigError(f"{where}: {key}: unknown key (known: {', '.join(KEYS)})")
        if key in ("lock_policy", "lock_data"):
            out[key] = _bool(value, where=where, key=key)
        elif key in ("policy", "allowed_signers"):
            p = _path(value, where=where, key=key, base=base)
            if not p.is_file():
                raise ConfigError(f"{where}: {key}: file not found: {p}")
            out[key] = p
        elif key == "data":
            items = value if isinstance(value, list) else [value]
            if not items or len(items) > MAX_PACKS:
                raise ConfigError(f"{where}: data: give 1 to {MAX_PACKS} data packs")
            packs = tuple(_path(v, where=where, key=key, base=base) for v in items)
            missing = [str(p) for p in packs if not p.is_file()]
            if missing:
                raise ConfigError(f"{where}: data: file not found: {missing[0]}")
            out[key] = packs
        else:
            out[key] = _text(value, where=where, key=key)
    return out


def read_registry(
    *, opener: Callable[[], Mapping[str, Any] | None] | None = None
) -> Mapping[str, Any] | None:
    """The values under ``HKLM\\SOFTWARE\\Policies\\SitingPlanner``, or ``None``.

    ``data`` may be a REG_MULTI_SZ (a list) or a REG_SZ; locks are REG_DWORD 0/1.
    ``opener`` replaces the registry in tests.
    """
    if opener is not None:
        return opener()
    if not sys.platform.startswith("win"):
        return None
    import winreg  # type: ignore[import-not-found,unused-ignore]

    try:
        key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, REGISTRY_KEY, 0, winreg.KEY_READ)
    except OSError:
        return None
    values: dict[str, Any] = {}
    with key:
        i = 0
        while True:
            try:
                name, value, _kind = winreg.EnumValue(key, i)
            except OSError:
                break
            values[str(name)] = value
            i += 1
    return values


def load_managed_config(
    *,
    path: Path | None = None,
    registry: Callable[[], Mapping[str, Any] | None] | None = None,
) -> ManagedConfig:
    """Read the system config file and (on Windows) the Group Policy registry values.

    Never raises for a bad config: the result then carries ``error`` and is locked.

    Parameters
    ----------
    path
        The file; :func:`system_config_path` by default.
    registry
        Returns the registry values (tests); the real registry by default.
    """
    file = system_config_path() if path is None else Path(path)
    sources: list[str] = []
    try:
        raw = _read_file(file)
        merged: dict[str, Any] = {}
        values_from: dict[str, str] = {}
        if raw is not None:
            sources.append(str(file))
            merged.update(_validate(raw, where=str(file), base=file.parent))
            values_from.update(dict.fromkeys(merged, str(file)))
        reg = read_registry(opener=registry)
        if reg:
            sources.append(REGISTRY_SOURCE)
            checked = _validate(reg, where=REGISTRY_SOURCE, base=None)
            merged.update(checked)
            values_from.update(dict.fromkeys(checked, REGISTRY_SOURCE))
    except ConfigError as exc:
        if str(file) not in sources:
            sources.insert(0, str(file))
        return ManagedConfig.locked_down(sources=tuple(sources), error=str(exc))
    if not sources:
        return ManagedConfig()
    return ManagedConfig(
        sources=tuple(sources),
        policy=merged.get("policy"),
        data_packs=merged.get("data", ()),
        default_camera_model=merged.get("default_camera_model"),
        basemap=merged.get("basemap"),
        lock_policy=merged.get("lock_policy", False),
        lock_data=merged.get("lock_data", False),
        allowed_signers=merged.get("allowed_signers"),
        values_from=values_from,
    )


def managed_policy(config: ManagedConfig) -> tuple[Any, ManagedConfig]:
    """The policy in force under ``config``, and the config (locked down if it failed).

    A managed policy file that is not a valid policy is a bad config like any other:
    the built-in policy is used, locked, and the error names the config's ``policy``.

    Returns
    -------
    tuple
        The :class:`~planner.core.model.Policy` and the (possibly locked-down) config.
    """
    from planner.core.errors import InputError
    from planner.io.policy import builtin_policy, read_policy

    if config.policy is None or config.error is not None:
        return builtin_policy(), config
    try:
        return read_policy(config.policy), config
    except InputError as exc:
        error = f"{config.source_of('policy')}: policy: {exc}"
        return builtin_policy(), ManagedConfig.locked_down(sources=config.sources, error=error)
