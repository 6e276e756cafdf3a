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
values win over the file's.

Nothing a user controls moves these locations: no environment variable, option or
setting names another file, and the Windows folder comes from the system's known
folder, not from ``%PROGRAMDATA%`` (which a user can set). A copy of the program
reads the same system file. Tests swap the file through :data:`_config_path_for_tests`,
which no command-line or app route sets.

A config file that cannot be read or has a bad value never leaves the app unlocked
and never lets a command fall back to the built-in policy: :func:`load_managed_config`
returns the built-in defaults with every lock on and one message naming the file and
the key; the commands then stop (exit 2) and the app says so, so IT notices and users
cannot work around a typo. A missing file manages nothing; a link to a missing file,
a folder, a pipe or a device in its place is an unreadable config, not a missing one.

Example::

    policy = "san_jose_alpr_2026.toml"     # relative to this file's folder
    data = ["/srv/gis/sanjose.gpkg"]       # first one opens; a string is one pack
    default_camera_model = "flock_falcon"
    basemap = "none"                       # "none", a preset name, an XYZ URL or a file
    allowed_signers = "/srv/gis/dpo_allowed_signers"   # trusted reviewers (SPEC 8)
    network = "off"                        # "off", "basemap-only" or "on"
    (planner.io.config.network)
    lock_policy = true
    lock_data = true
    lock_network = true

The allowed-signers file is always locked when IT names it: a user's
``--allowed-signers`` or setting never replaces it (SPEC 8).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Tests only: the system config file to read instead of the platform's. Set through
#: ``monkeypatch.setattr``; deliberately not an environment variable or option, so
#: nothing a user of the installed program controls can point it elsewhere.
_config_path_for_tests: Path | None = None
#: Set only by :func:`demo_only` (the self-test); never by an option or variable.
_demo_only = False
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
    "allowed_signers",
    "default_camera_model",
    "basemap",
    "network",
    "lock_policy",
    "lock_data",
    "lock_network",
)
#: Values of ``network`` (planner.io.config.network.MODES; no import, to keep this module light).
NETWORK_MODES = ("off", "basemap-only", "on")


def _windows_program_data() -> str:
    """The machine's ProgramData folder from the shell, not from ``%PROGRAMDATA%``."""
    try:
        import ctypes

        buf = ctypes.create_unicode_buffer(1024)
        # CSIDL_COMMON_APPDATA (0x23): read from the system, whatever the user's environment says
        if ctypes.windll.shell32.SHGetFolderPathW(None, 0x23, None, 0, buf) == 0 and buf.value:  # type: ignore[attr-defined]
            return buf.value
    except (AttributeError, OSError):
        pass
    return r"C:\ProgramData"


def system_config_path(
    *, platform: str | None = None, program_data: Callable[[], str] | None = None
) -> Path:
    """Where the system config file is on this platform.

    No environment variable changes it (a user could set one).

    Parameters
    ----------
    platform
        ``sys.platform`` by default (tests pass another).
    program_data
        Returns Windows' ProgramData folder (tests); the shell's known folder by default.
    """
    if _config_path_for_tests is not None and platform is None:
        return Path(_config_path_for_tests)
    plat = sys.platform if platform is None else platform
    if plat.startswith("win"):
        base = (program_data or _windows_program_data)()
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
    allowed_signers
        The allowed-signers file of trusted reviewers (SPEC 8); when set, it is
        locked: nothing the user gives replaces it.
    default_camera_model
        The catalogue key of the camera model new cameras get, unless the user chose one.
    basemap
        ``"none"``, a basemap preset name, an XYZ URL template or an offline tiles file.
    network
        ``"off"``, ``"basemap-only"`` or ``"on"`` (:mod:`planner.io.config.network`).
    lock_policy, lock_data, lock_network
        Whether the user may switch the policy / the data / the network setting.
    error
        Set when the config was unusable: one line naming the file and the key. The
        other fields then hold the built-in defaults, locked.
    """

    sources: tuple[str, ...] = ()
    policy: Path | None = None
    data_packs: tuple[Path, ...] = ()
    allowed_signers: Path | None = None
    default_camera_model: str | None = None
    basemap: str | None = None
    network: str | None = None
    lock_policy: bool = False
    lock_data: bool = False
    lock_network: bool = False
    error: str | None = None
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
        """The built-in defaults with every lock on (what a malformed config gives).

        The network is locked off: a typo must not send anything out either.
        """
        return cls(
            sources=sources,
            lock_policy=True,
            lock_data=True,
            network="off",
            lock_network=True,
            error=error,
        )

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
        if requested is not None and not same_file(requested, locked):
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
            "allowed_signers": None if self.allowed_signers is None else str(self.allowed_signers),
            "default_camera_model": self.default_camera_model,
            "basemap": self.basemap,
            "network": self.network,
            "lock_policy": self.lock_policy,
            "lock_data": self.lock_data,
            "lock_network": self.lock_network,
            "error": self.error,
        }


def same_file(a: Path, b: Path | None) -> bool:
    """Whether ``a`` and ``b`` resolve to the same file (False without ``b`` or on an error)."""
    if b is None:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


class ConfigError(Exception):
    """A bad system config: ``str()`` is ``<file>: <key>: <what>``."""


def _read_file(path: Path) -> dict[str, Any] | None:
    """The parsed file, or ``None`` when there is no file (nothing managed).

    Only a missing file manages nothing: anything else in its place that cannot be
    read (a dangling link, a folder, a pipe, no permission) is a :class:`ConfigError`,
    so the commands fail closed instead of running unmanaged.
    """
    from planner.io.safety.common import NotRegularFileError, read_regular

    try:
        raw = read_regular(path, max_bytes=MAX_BYTES)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise ConfigError(f"{path}: (file): a link to a file that is not there") from None
        return None
    except NotRegularFileError as exc:
        raise ConfigError(f"{path}: (file): {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: (file): cannot read it: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path}: (file): larger than {MAX_BYTES // 1024} KiB")
    try:
        # utf-8-sig: Notepad starts a UTF-8 file with a byte-order mark
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: (file): not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {_toml_where(raw, str(exc))}") from None
    except RecursionError:
        raise ConfigError(
            f"{path}: (file): not valid TOML: nested too deeply (a configuration has one level)"
        ) from None
    except (ValueError, MemoryError) as exc:
        # tomllib lets int()'s digit limit through
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{path}: (file): not valid TOML: {what}") from None


def _toml_where(raw: bytes, message: str) -> str:
    """``line 2, column 15 (key lock_policy): not valid TOML: ...`` from a parse error."""
    from planner.io.safety.tomlcheck import split_toml_error

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


def _regular(path: Path, where: str, key: str) -> Path:
    """``path`` when it is a regular file (a pipe or device named here would hang a reader)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        raise ConfigError(f"{where}: {key}: file not found: {path}") from None
    if not stat.S_ISREG(mode):
        raise ConfigError(f"{where}: {key}: not a regular file: {path}")
    return path


def _validate(raw: Mapping[str, Any], *, where: str, base: Path | None) -> dict[str, Any]:
    """Checked values of one source; unknown keys are errors (a typo must not unlock)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in KEYS:
            raise ConfigError(f"{where}: {key}: unknown key (known: {', '.join(KEYS)})")
        if key in ("lock_policy", "lock_data", "lock_network"):
            out[key] = _bool(value, where=where, key=key)
        elif key == "network":
            if value not in NETWORK_MODES:
                modes = ", ".join(f'"{m}"' for m in NETWORK_MODES)
                raise ConfigError(f"{where}: network: must be one of {modes}, got {value!r:.80}")
            out[key] = value
        elif key == "policy":
            out[key] = _regular(_path(value, where=where, key=key, base=base), where, key)
        elif key == "data":
            items = value if isinstance(value, list) else [value]
            if not items or len(items) > MAX_PACKS:
                raise ConfigError(f"{where}: data: give 1 to {MAX_PACKS} data packs")
            out[key] = tuple(
                _regular(_path(v, where=where, key=key, base=base), where, key) for v in items
            )
        elif key == "allowed_signers":
            out[key] = _regular(_path(value, where=where, key=key, base=base), where, key)
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


#: Where macOS puts the settings of an MDM configuration profile for the app's domain
#: (``packaging/macos/SitingPlanner.mobileconfig``); they win over the file, like the registry.
MACOS_DOMAIN = "io.github.siting_planner.SitingPlanner"
MACOS_PROFILE = Path(f"/Library/Managed Preferences/{MACOS_DOMAIN}.plist")


def read_macos_profile(path: Path | None = None) -> Mapping[str, Any] | None:
    """The managed-preferences values of the app's domain (macOS), or ``None``.

    ``path`` reads another plist (tests); by default the MDM-managed one, on macOS only.
    """
    if path is None:
        if sys.platform != "darwin":
            return None
        path = MACOS_PROFILE
    import plistlib

    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: (file): cannot read it: {exc.strerror or exc}") from None
    try:
        values = plistlib.loads(raw) if len(raw) <= MAX_BYTES else None
    except (plistlib.InvalidFileException, ValueError) as exc:
        raise ConfigError(f"{path}: (file): not a property list: {exc}") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: (file): not a dictionary of settings under {MAX_BYTES} bytes")
    # macOS adds its own bookkeeping keys beside the profile's settings
    return {k: v for k, v in values.items() if k in KEYS or not k[:1].isupper()}


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
    if path is None and _demo_only:
        return ManagedConfig()
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
        profile = read_macos_profile()
        if profile:
            sources.append(str(MACOS_PROFILE))
            checked = _validate(profile, where=str(MACOS_PROFILE), base=None)
            merged.update(checked)
            values_from.update(dict.fromkeys(checked, str(MACOS_PROFILE)))
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
        allowed_signers=merged.get("allowed_signers"),
        default_camera_model=merged.get("default_camera_model"),
        basemap=merged.get("basemap"),
        network=merged.get("network"),
        lock_policy=merged.get("lock_policy", False),
        lock_data=merged.get("lock_data", False),
        lock_network=merged.get("lock_network", False),
        values_from=values_from,
    )


@contextlib.contextmanager
def demo_only() -> Iterator[None]:
    """Unmanaged for the self-test's own steps, which check only the embedded demo.

    The self-test proves the installed program works; it runs fixed commands on the
    demo files shipped inside the program and writes to its own temporary folder,
    so IT's locks (which guard what users check) would only make it fail on a managed
    workstation. No option, variable or file reaches this: only
    :func:`planner.commands.selftest.run_self_test` calls it.
    """
    global _demo_only
    before = _demo_only
    _demo_only = True
    try:
        yield
    finally:
        _demo_only = before
