"""The planner's log file: one rotating file in the platform's log folder.

Every run, the desktop app and each command alike, appends to
``siting-planner.log`` in :func:`platformdirs.user_log_dir`:

- Linux: ``~/.local/state/siting-planner/log/``
- Windows: ``%LOCALAPPDATA%\\siting-planner\\Logs\\``
- macOS: ``~/Library/Logs/siting-planner/``

It records the start (version, command line, build), the settings in force (the
managed configuration, the network setting), what was opened and saved, and errors
with their tracebacks, which the terminal and the dialogs keep to one line. The file
rotates at :data:`MAX_BYTES` with :data:`BACKUPS` old files kept, so it never grows
without bound. ``SITING_PLANNER_LOG_DIR`` names another folder (tests, portable
installs). A log folder that cannot be written never stops the planner.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import platform
import sys
from pathlib import Path

LOG_ENV = "SITING_PLANNER_LOG_DIR"
FILE_NAME = "siting-planner.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
LOGGER = "planner"
_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"

log = logging.getLogger(LOGGER)


def log_dir() -> Path:
    """The folder of the log file (``$SITING_PLANNER_LOG_DIR`` or the platform's)."""
    override = os.environ.get(LOG_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_log_dir("siting-planner", appauthor=False))


def log_path() -> Path:
    """The log file's path (whether or not it exists yet)."""
    return log_dir() / FILE_NAME


def _handler() -> logging.Handler | None:
    for h in log.handlers:
        if getattr(h, "_siting_planner", False):
            return h
    return None


def setup_logging() -> Path | None:
    """Attach the rotating file handler to the ``planner`` logger, once per process.

    Returns the file's path, or ``None`` when its folder cannot be made (the
    planner then runs without a log file; the reason goes to stderr once).
    """
    existing = _handler()
    if existing is not None:
        return Path(existing.baseFilename)  # type: ignore[attr-defined]
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError as exc:
        if sys.stderr is not None:
            sys.stderr.write(f"warning: no log file: {path.parent}: {exc.strerror or exc}\n")
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler._siting_planner = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    # The terminal keeps its one-line contract: records go to the file only.
    log.propagate = False
    return path


def log_start(argv: list[str]) -> None:
    """Record the start: version, build, platform, command line and the settings in force."""
    from planner import __version__
    from planner.core.printable import printable

    frozen = "installed build" if getattr(sys, "frozen", False) else "from source"
    log.info(
        "start: siting-planner %s (%s), Python %s, %s; command: %s",
        __version__,
        frozen,
        platform.python_version(),
        platform.platform(),
        printable(" ".join(argv) or "(the desktop app)"),
    )


def apply_settings() -> None:
    """Read the managed configuration, put its network setting in force, log both.

    The command line has no user setting of its own: IT's ``network`` (or the
    built-in ``on``) is what its commands may do. The app refines this with the
    user's choice when it starts (:mod:`planner.app.shell.network_ui`).
    """
    from planner.io.config import network
    from planner.io.config.managed_config import load_managed_config

    cfg = load_managed_config()
    if cfg.active:
        log.info("managed configuration: %s", cfg.to_json())
    else:
        log.info("managed configuration: none")
    setting = network.resolve(cfg)
    network.set_current(setting)
    log.info("network: %s", setting.describe())


__all__ = [
    "LOG_ENV",
    "apply_settings",
    "log",
    "log_dir",
    "log_path",
    "log_start",
    "setup_logging",
]
