"""Signing keys, passphrases and the allowed-signers file: where trust comes from (SPEC 8).

The signature format itself is :mod:`planner.core.sshsig` (pure); this module does
the reading: the reviewer's OpenSSH private key (asking for its passphrase), the
allowed-signers file, and which allowed-signers file is in force.

Trust, in order: the IT-managed configuration's ``allowed_signers`` (then nothing
the user controls replaces it, and a managed configuration that cannot be read
trusts nobody); else ``--allowed-signers FILE``; else the user's setting
``review/allowed_signers`` in the app's settings file. Every output says which.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_ssh_private_key,
)

from planner.core.errors import InputError
from planner.core.sshsig import (
    AllowedSigners,
    SignersError,
    parse_allowed_signers,
    public_key_blob,
)

#: Names a file descriptor the passphrase is read from (first line), for scripts.
PASSPHRASE_FD_ENV = "SITING_PLANNER_PASSPHRASE_FD"
#: An OpenSSH private key is a few hundred bytes; bigger is the wrong file.
MAX_KEY_BYTES = 64 * 1024
MAX_PASSPHRASE = 4096
SETTINGS_ENV = "SITING_PLANNER_SETTINGS"
SETTING_KEY = ("review", "allowed_signers")


class PassphraseNeeded(Exception):
    """The key is encrypted and no passphrase was given."""


def _read_key_bytes(path: Path) -> bytes:
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(MAX_KEY_BYTES + 1)
    except OSError as exc:
        raise InputError(path, "", f"cannot read the key: {exc.strerror or exc}") from None
    if len(data) > MAX_KEY_BYTES:
        raise InputError(path, "", "not an OpenSSH private key (too large)")
    return data


def load_private_key(path: Path, passphrase: bytes | None) -> Ed25519PrivateKey:
    """The Ed25519 key in an OpenSSH private-key file.

    Raises :class:`PassphraseNeeded` when the key is encrypted and ``passphrase`` is
    None, and :class:`InputError` for an unreadable file, a wrong passphrase or a key
    that is not Ed25519.
    """
    data = _read_key_bytes(path)
    if b"BEGIN OPENSSH PRIVATE KEY" not in data:
        raise InputError(
            path, "", "not an OpenSSH private key (make one with ssh-keygen -t ed25519)"
        )
    try:
        key = load_ssh_private_key(data, passphrase)
    except TypeError:
        # cryptography's words: "password-protected, but password was not provided" or
        # "Password was given but private key is not encrypted"
        if passphrase is None:
            raise PassphraseNeeded(str(path)) from None
        raise InputError(path, "", "the key is not encrypted; give no passphrase") from None
    except ValueError:
        # an encrypted key opened with the wrong passphrase decrypts to garbage, which
        # the OpenSSH format's check bytes catch ("broken checksum")
        if passphrase is not None:
            raise InputError(path, "", "wrong passphrase (or a damaged key)") from None
        raise InputError(path, "", "not a readable OpenSSH private key") from None
    except Exception:  # cryptography raises several types for a damaged key
        raise InputError(path, "", "not a readable OpenSSH private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(path, "", "the key is not Ed25519 (make one with ssh-keygen -t ed25519)")
    return key


def passphrase_from_fd(environ: dict[str, str] | None = None) -> bytes | None:
    """The passphrase from the descriptor ``$SITING_PLANNER_PASSPHRASE_FD`` names, or None.

    The variable holds only a descriptor number, so the passphrase itself never
    appears in the environment, the command line or the process list.
    """
    env = os.environ if environ is None else environ
    raw = env.get(PASSPHRASE_FD_ENV)
    if not raw:
        return None
    if not raw.isdigit():
        raise InputError(
            PASSPHRASE_FD_ENV, "", f"must be a file descriptor number, got {raw[:20]!r}"
        )
    fd = int(raw)
    chunks = []
    total = 0
    try:
        while total <= MAX_PASSPHRASE:
            chunk = os.read(fd, 1024)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if b"\n" in chunk:
                break
    except OSError as exc:
        raise InputError(
            PASSPHRASE_FD_ENV, "", f"cannot read descriptor {fd}: {exc.strerror}"
        ) from None
    data = b"".join(chunks)
    if len(data) > MAX_PASSPHRASE:
        raise InputError(PASSPHRASE_FD_ENV, "", "passphrase too long")
    return data.split(b"\n", 1)[0].removesuffix(b"\r")


def load_signing_key(
    path: Path,
    *,
    ask: Callable[[str], str | None] | None = None,
    environ: dict[str, str] | None = None,
) -> Ed25519PrivateKey:
    """Load the reviewer's key, asking for the passphrase when it is encrypted.

    The passphrase comes from ``$SITING_PLANNER_PASSPHRASE_FD`` when set, else from
    ``ask`` (the terminal's ``getpass`` or the app's dialog); with neither, an
    encrypted key is an :class:`InputError` saying how to give one.
    """
    try:
        return load_private_key(path, None)
    except PassphraseNeeded:
        pass
    secret = passphrase_from_fd(environ)
    if secret is None and ask is not None:
        typed = ask(f"Passphrase for {path}: ")
        secret = None if typed is None else typed.encode("utf-8")
    if secret is None:
        raise InputError(
            path,
            "",
            f"the key is passphrase-protected: run on a terminal, or set {PASSPHRASE_FD_ENV} "
            "to a file descriptor the passphrase can be read from",
        )
    return load_private_key(path, secret)


def terminal_prompt(prompt: str) -> str | None:
    """``getpass`` on a terminal; None when stdin is not one (a script must use the fd)."""
    if not sys.stdin.isatty():
        return None
    import getpass

    try:
        return getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        return None


def create_key_pair(path: Path, passphrase: str, *, comment: str = "") -> Ed25519PublicKey:
    """Write a new Ed25519 key pair in OpenSSH format: ``path`` (private, 0600) and ``path.pub``.

    Refuses to overwrite an existing key (a lost key means decisions nobody can sign
    again under that name).
    """
    path = Path(path)
    pub_path = path.with_name(path.name + ".pub")
    for p in (path, pub_path):
        if p.exists():
            raise InputError(p, "", "exists already; choose another name")
    key = Ed25519PrivateKey.generate()
    enc = BestAvailableEncryption(passphrase.encode()) if passphrase else NoEncryption()
    private = key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, enc)
    public = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(private)
        pub_path.write_bytes(public + (b" " + comment.encode() if comment else b"") + b"\n")
    except OSError as exc:
        raise InputError(path, "", f"cannot write the key: {exc.strerror or exc}") from None
    return key.public_key()


def read_allowed_signers(path: Path) -> AllowedSigners:
    """Parse an allowed-signers file; a malformed one is an :class:`InputError` naming the line."""
    from planner.core.sshsig import MAX_SIGNERS_BYTES

    try:
        with Path(path).open("rb") as fh:
            raw = fh.read(MAX_SIGNERS_BYTES + 1)
    except OSError as exc:
        raise InputError(
            path, "", f"cannot read the allowed signers: {exc.strerror or exc}"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "", "not UTF-8 text") from None
    try:
        return parse_allowed_signers(text)
    except SignersError as exc:
        raise InputError(path, f"line {exc.line}" if exc.line else "", str(exc)) from None


def user_settings_file() -> Path:
    """The app's settings INI (as :mod:`planner.app.common.settings` stores it), read without Qt."""
    override = os.environ.get(SETTINGS_ENV)
    if override:
        return Path(override)
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        # QSettings' INI format uses XDG_CONFIG_HOME (~/.config) on Linux and macOS
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "SitingPlanner" / "siting-planner.ini"


def user_setting() -> Path | None:
    """The user's ``review/allowed_signers`` setting, or None (an unreadable file is no setting)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(user_settings_file(), encoding="utf-8")
        value = parser.get(*SETTING_KEY, fallback="").strip().strip('"')
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    return Path(value) if value else None


@dataclass(frozen=True)
class Trust:
    """The allowed-signers file in force and where that choice came from."""

    signers: AllowedSigners | None
    path: Path | None
    origin: str  # "managed" (IT), "user", or "none"
    via: str  # the config file, "--allowed-signers", "the user setting", ""
    notes: list[str] = field(default_factory=list)

    @property
    def entries(self) -> int:
        return len(self.signers.entries) if self.signers is not None else 0

    def describe(self) -> str:
        """One line for every output, e.g. ``allowed signers /x (3 keys), managed by IT (...)``."""
        if self.path is None:
            if self.origin == "managed":
                return (
                    f"no allowed signers: the managed configuration ({self.via}) names none, "
                    "so no decision can be verified"
                )
            return (
                "no allowed-signers file (give --allowed-signers FILE): "
                "no decision can be verified, chosen by the user"
            )
        who = "managed by IT" if self.origin == "managed" else "chosen by the user"
        keys = f"{self.entries} key" + ("" if self.entries == 1 else "s")
        return f"allowed signers {self.path} ({keys}), {who} ({self.via})"

    def to_json(self) -> dict[str, Any]:
        return {
            "allowed_signers": None if self.path is None else str(self.path),
            "from": "managed by IT" if self.origin == "managed" else "chosen by the user",
            "source": self.via,
            "keys": self.entries,
        }


def resolve_trust(requested: Path | None, *, managed: Any = None) -> Trust:
    """The allowed-signers file in force (see the module text for the order).

    Parameters
    ----------
    requested
        ``--allowed-signers`` (or the app's choice), None when not given.
    managed
        The :class:`~planner.io.config.managed_config.ManagedConfig`; loaded when None.
    """
    from planner.io.config.managed_config import load_managed_config

    config = load_managed_config() if managed is None else managed
    notes: list[str] = []
    locked = config.allowed_signers is not None or config.error is not None
    if locked:
        path = config.allowed_signers
        via = config.source_of("allowed_signers") if path is not None else config.source_text
        if requested is not None and (path is None or not _same(requested, path)):
            what = str(path) if path is not None else "none (the configuration is unusable)"
            notes.append(
                f"--allowed-signers {requested} ignored: the allowed signers are set to "
                f"{what} by {via}"
            )
        signers = read_allowed_signers(path) if path is not None else None
        return Trust(signers, path, "managed", via, notes)
    if requested is not None:
        return Trust(read_allowed_signers(requested), requested, "user", "--allowed-signers", notes)
    setting = user_setting()
    if setting is not None:
        return Trust(
            read_allowed_signers(setting),
            setting,
            "user",
            f"the user setting in {user_settings_file()}",
        )
    return Trust(None, None, "none", "", notes)


def _same(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def key_blob(key: Ed25519PrivateKey) -> bytes:
    return public_key_blob(key.public_key())
