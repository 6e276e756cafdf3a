"""The ``siting-planner`` command (SPEC 6).

``siting-planner`` alone opens the desktop application; ``check`` and ``import``
work without a display. Bad input never shows a traceback: one line on stderr,
``error: <file>: <where>: <what>``, and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from planner import __version__
from planner.commands.common import EXIT_CANCELLED, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, _Parser
from planner.core.errors import CheckCancelled, InputError
from planner.io.safety.printable import printable


def _app_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="siting-planner",
        description=(
            "Plan ALPR camera sites and check them against protected sites. Without a "
            "command, opens the desktop application."
        ),
        epilog=(
            "commands: 'siting-planner check PLAN ...' checks a plan file; "
            "'siting-planner import SOURCE... -o PACK.gpkg' builds a data pack. "
            "Run 'siting-planner COMMAND --help' for details."
        ),
    )
    p.add_argument("--version", action="version", version=f"siting-planner {__version__}")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check the embedded demo, render the map offscreen and write a review report "
        "to a temporary folder, printing each step with its time; exit 0 when all work",
    )
    p.add_argument("plan", nargs="?", type=Path, help="plan file to open (*.plan.geojson)")
    p.add_argument("--data", type=Path, help="data pack (GeoPackage made by 'import') to open")
    p.add_argument(
        "--screenshot",
        type=Path,
        metavar="OUT.png",
        help="load everything, save a PNG of the main window and exit",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``siting-planner`` console script (and of the installed builds).

    Every run appends to the log file (:mod:`planner.io.config.logfile`): the command, the
    settings in force, errors with their tracebacks and the exit status.
    """
    from planner.io.config import logfile

    args = list(sys.argv[1:] if argv is None else argv)
    logfile.setup_logging()
    logfile.log_start(args)
    try:
        logfile.apply_settings()
    except Exception:  # the log must never be why a command fails
        logfile.log.exception("reading the settings for the log failed")
    code = _main(args)
    logfile.log.info("exit status %s", code)
    return code


@dataclass(frozen=True)
class Command:
    """One ``siting-planner COMMAND``: its module in :mod:`planner.commands` and its help.

    The module provides ``configure_parser(parser)`` and ``run(namespace) -> int``; it is
    imported only when its command runs, so ``check`` never loads Qt or the report.
    """

    module: str
    description: str
    epilog: str = ""


#: Every command, in the order ``--help`` names them (SPEC 6, 8 and 9).
COMMANDS: dict[str, Command] = {
    "check": Command(
        "check",
        "Check every camera of a plan against the policy (SPEC 4).",
        "Exit status: 0 no camera blocked, 1 at least one blocked, 2 bad input or usage.",
    ),
    "import": Command("import_data", "Build a data pack (GeoPackage)."),
    "review": Command("review", "Review a plan as the DPO (SPEC 8)."),
    "report": Command("report", "Write the review report (PDF or HTML)."),
    "verify": Command(
        "verify",
        "Check every review decision's signature (SPEC 8) without re-checking geometry.",
        "Exit status: 0 every decision verified, 1 otherwise, 2 bad input.",
    ),
    "propose": Command(
        "propose", "Propose legal camera poses that read the most traffic (SPEC 9)."
    ),
    # what the Windows installer runs (README "Packaging and IT-managed installs")
    "system-config": Command(
        "system_config",
        "Write or remove the managed configuration file (what the Windows installer runs).",
    ),
}


def run_command(name: str, argv: Sequence[str]) -> int:
    """Parse ``argv`` with command ``name``'s arguments and run it."""
    spec = COMMANDS[name]
    module = importlib.import_module(f"planner.commands.{spec.module}")
    parser = _Parser(
        prog=f"siting-planner {name}", description=spec.description, epilog=spec.epilog
    )
    module.configure_parser(parser)
    code: int = module.run(parser.parse_args(list(argv)))
    return code


def _main(args: list[str]) -> int:
    # Library warnings (GDAL, pyogrio, shapely) would add lines to the one-line
    # error contract; they are noise for a person running a check.
    warnings.filterwarnings("ignore")
    try:
        if args and args[0] in COMMANDS:
            return run_command(args[0], args[1:])
        return _run_app(_app_parser().parse_args(args))
    except InputError as exc:
        sys.stderr.write(f"error: {printable(exc)}\n")
        logging.getLogger("planner").warning("error: %s", printable(exc))
        return EXIT_INPUT
    except (CheckCancelled, KeyboardInterrupt):
        sys.stderr.write("error: cancelled\n")
        return EXIT_CANCELLED
    except BrokenPipeError:
        return EXIT_OK
    except SystemExit as exc:
        # argparse exits for --help, --version and usage errors; keep main() -> int.
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    except Exception as exc:
        return _internal_error(exc)


def _run_app(ns: argparse.Namespace) -> int:
    """No command: the self-test, or the desktop application."""
    if ns.self_test:
        from planner.commands.selftest import run_self_test

        return run_self_test(main)
    from planner.app.shell.main import run_app

    return run_app(plan=ns.plan, data=ns.data, screenshot=ns.screenshot)


def _internal_error(exc: Exception) -> int:
    """A bug, not bad input: still one line for the person at the terminal, the
    traceback in the log file, and raised when a developer asks for it."""
    logging.getLogger("planner").exception("internal error")
    if os.environ.get("SITING_PLANNER_DEBUG"):
        raise exc
    sys.stderr.write(
        f"error: internal error ({type(exc).__name__}: {printable(exc)}); "
        f"the traceback is in {_log_file_text()} (SITING_PLANNER_DEBUG=1 shows it "
        "here); please report it\n"
    )
    return EXIT_INTERNAL


def _log_file_text() -> str:
    from planner.io.config.logfile import log_path

    return printable(log_path())


if __name__ == "__main__":
    raise SystemExit(main())
