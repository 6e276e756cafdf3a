"""Enforcing IT's configuration on a command's inputs (no Qt, no writing).

:mod:`planner.io.config.managed_config` reads and validates the system config;
this module applies it: the policy in force, the data and allowed-signers locks
that replace what a user asked for (each refusal a note), and the warnings when a
locked file is one the user could edit, so the lock would not hold.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from planner.core.errors import InputError
from planner.io.config import managed_config
from planner.io.config.managed_config import (
    REGISTRY_SOURCE,
    ManagedConfig,
    same_file,
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
    from planner.io.formats.policy import builtin_policy, read_policy

    if config.policy is None and config.lock_policy and config.error is None:
        problem = builtin_policy_tampered()
        if problem is not None:
            error = f"{config.source_of('lock_policy')}: lock_policy: {problem}"
            return builtin_policy(), ManagedConfig.locked_down(sources=config.sources, error=error)
    if config.policy is None or config.error is not None:
        return builtin_policy(), config
    try:
        return read_policy(config.policy), config
    except InputError as exc:
        error = f"{config.source_of('policy')}: policy: {exc}"
        return builtin_policy(), ManagedConfig.locked_down(sources=config.sources, error=error)


class ManagedConfigUnusable(InputError):
    """The system config is unusable, so a command must not run (it would run unmanaged).

    ``str()`` is the config's one-line error plus what it means; as an
    :class:`~planner.core.errors.InputError` the commands print it and exit 2.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message, "", "")

    def __str__(self) -> str:
        return self.message


def _refused(option: str, given: object, *, to: object, by: str, what: str) -> str:
    named = f"{option} {given}" if given != "" else option
    return f"{named} ignored: the {what} is locked to {to} by {by}"


def resolve_allowed_signers(
    config: ManagedConfig, requested: Path | None, *, setting: Path | None = None
) -> tuple[Path | None, str, list[str]]:
    """The allowed-signers file a command trusts, where that trust came from, and notes.

    IT's ``allowed_signers`` always wins (SPEC 8: nothing the user controls replaces
    it); on an unmanaged install ``--allowed-signers`` comes first, then the user's
    setting.

    Returns
    -------
    tuple
        The file (``None``: no trusted reviewers), the source as words for every
        output (``"IT: /etc/siting-planner/config.toml"``, ``"the user: --allowed-signers"``,
        ``"the user: a setting"`` or ``"nobody"``), and notes for a refused request.
    """
    notes: list[str] = []
    if config.allowed_signers is not None:
        by = config.source_of("allowed_signers")
        for option, given in (("--allowed-signers", requested), ("the setting", setting)):
            if given is not None and not same_file(given, config.allowed_signers):
                notes.append(
                    _refused(
                        option,
                        given,
                        to=config.allowed_signers,
                        by=by,
                        what="allowed-signers file",
                    )
                )
        return config.allowed_signers, f"IT: {by}", notes
    if config.error is not None:
        # an unusable config may have named one: trust nobody rather than the user
        return None, "nobody (the system configuration is unusable)", notes
    if requested is not None:
        return requested, "the user: --allowed-signers", notes
    if setting is not None:
        return setting, "the user: a setting", notes
    return None, "nobody", notes


def enforce_managed(
    ns: Any, config: ManagedConfig | None = None
) -> tuple[ManagedConfig, list[str]]:
    """Apply IT's configuration to a command's inputs: the one rule of every command.

    ``check``, ``review``, ``report`` and ``propose`` call this first, with the
    argparse namespace naming the inputs as the command line does (``policy``,
    ``data``, ``sites``, ``buildings``, ``streets``, and where the command has them
    ``no_sites`` and ``allowed_signers``). Locked settings replace what the user
    asked for in ``ns``, and each refused option gives a note (print it as a
    ``Warning:`` line and put it in the JSON ``managed`` object):

    - ``lock_policy``: ``ns.policy`` becomes IT's policy (``None``: the built-in one).
    - ``lock_data``: ``ns.data`` becomes IT's first pack; ``--sites``,
      ``--buildings``, ``--streets`` and ``--no-sites`` are not used, and the pack a
      plan names is not used either (``ns.data_locked`` tells the named-pack step).
    - ``allowed_signers``: ``ns.allowed_signers`` becomes IT's file
      (``ns.trust_source`` says where the trust came from).

    Unlocked, IT's policy is the default when ``--policy`` is not given.

    Raises
    ------
    ManagedConfigUnusable
        When the config cannot be used: a command then fails closed (exit 2), never
        falling back to the built-in policy or the user's data.
    """
    # looked up on the module at call time: the one place that reads the system config
    cfg = managed_config.load_managed_config() if config is None else config
    if cfg.error is not None:
        msg = (
            f"{cfg.error} (the system configuration is unusable; nothing is checked "
            "until IT fixes it)"
        )
        raise ManagedConfigUnusable(msg)
    notes = _enforce_policy(ns, cfg)
    ns.data_locked = False
    if cfg.lock_data:
        notes += _enforce_data(ns, cfg)
    if hasattr(ns, "allowed_signers") or cfg.allowed_signers is not None:
        signers, source, more = resolve_allowed_signers(cfg, getattr(ns, "allowed_signers", None))
        ns.allowed_signers, ns.trust_source = signers, source
        notes += more
    notes += writable_lock_files(cfg)
    return cfg, notes


def _enforce_policy(ns: Any, cfg: ManagedConfig) -> list[str]:
    """Set ``ns.policy`` to the policy in force; notes for a refused ``--policy``."""
    policy, notes = cfg.policy_for_check(getattr(ns, "policy", None))
    if cfg.lock_policy and policy is None:
        problem = builtin_policy_tampered()
        if problem is not None:
            raise ManagedConfigUnusable(f"{cfg.source_of('lock_policy')}: lock_policy: {problem}")
    ns.policy = policy
    return notes


def _enforce_data(ns: Any, cfg: ManagedConfig) -> list[str]:
    """Replace the data inputs in ``ns`` with IT's first pack; a note per refused option."""
    if not cfg.data_packs:
        msg = (
            f"{cfg.source_of('lock_data')}: lock_data: the data is locked but the "
            "configuration names no data pack (add data = [...]); nothing is checked"
        )
        raise ManagedConfigUnusable(msg)
    pack = cfg.data_packs[0]
    by = cfg.source_of("data")
    given: list[tuple[str, object]] = []
    if getattr(ns, "data", None) is not None and not same_file(ns.data, pack):
        given.append(("--data", ns.data))
    given += [("--sites", p) for p in getattr(ns, "sites", None) or ()]
    given += [("--buildings", p) for p in getattr(ns, "buildings", None) or ()]
    if getattr(ns, "streets", None) is not None:
        given.append(("--streets", ns.streets))
    if getattr(ns, "no_sites", False):
        given.append(("--no-sites", ""))
    ns.data, ns.sites, ns.buildings, ns.streets = pack, [], [], None
    if hasattr(ns, "no_sites"):
        ns.no_sites = False
    ns.data_locked = True
    return [_refused(option, value, to=pack, by=by, what="data") for option, value in given]


def _is_administrator() -> bool:
    geteuid = getattr(os, "geteuid", None)
    return geteuid is None or geteuid() == 0  # Windows: os.access says little about ACLs


def writable_lock_files(config: ManagedConfig) -> list[str]:
    """A note for each locked file the user running the planner could edit.

    A lock on a file the user may rewrite does not hold; the planner cannot fix the
    permissions, but it says so in every output, so IT finds out. Only checked for an
    ordinary user on a POSIX system (an administrator may edit them anyway).
    """
    if _is_administrator():
        return []
    locked: list[tuple[str, Path]] = [
        ("the system configuration", Path(source))
        for source in config.sources
        if source != REGISTRY_SOURCE
    ]
    if config.lock_policy and config.policy is not None:
        locked.append(("the locked policy", config.policy))
    if config.lock_data:
        locked += [("the locked data pack", p) for p in config.data_packs]
    if config.allowed_signers is not None:
        locked.append(("the allowed-signers file", config.allowed_signers))
    out = []
    for what, path in locked:
        folder_writable = os.access(path.parent, os.W_OK)
        if os.access(path, os.W_OK) or folder_writable:
            out.append(
                f"{what} {path} can be changed by this user, so the lock does not hold: "
                "make it (and its folder) writable by administrators only"
            )
    return out


def builtin_policy_tampered() -> str | None:
    """Why the built-in policy cannot be the locked one (its file was edited), or None.

    A copy of the program folder is the user's to edit; IT's lock to the built-in
    policy holds only for the policy as shipped.
    """
    from planner.io.formats.policy import BUILTIN_POLICY_SHA256, builtin_policy_path
    from planner.io.safety.common import sha256_file

    path = builtin_policy_path()
    try:
        digest = sha256_file(path)
    except OSError as exc:
        return f"the built-in policy {path} cannot be read ({exc.strerror or exc})"
    if digest != BUILTIN_POLICY_SHA256:
        return (
            f"the built-in policy {path} is not the one shipped (sha256 {digest[:12]}…, "
            f"expected {BUILTIN_POLICY_SHA256[:12]}…): this copy of the program cannot apply "
            "the locked policy; reinstall it"
        )
    return None
