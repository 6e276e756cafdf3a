"""What the commands share: the one-line usage errors, exit statuses, the plan and layer
arguments, IT's locks said as warnings, escaped text, the progress bar."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from planner.core.printable import printable

EXIT_OK = 0


EXIT_BLOCKED = 1


EXIT_INPUT = 2


EXIT_INTERNAL = 3


EXIT_CANCELLED = 130


_SUBCOMMANDS = ("check", "import", "review", "report", "propose", "verify")


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in our one-line form, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"error: {self.prog}: {printable(message)} (see --help)\n")
        raise SystemExit(EXIT_INPUT)


def add_input_arguments(p: argparse.ArgumentParser, *, data_help: str) -> None:
    """The plan and the layers it is judged by: shared by ``check``, ``review`` and ``report``."""
    p.add_argument("plan", type=Path, metavar="PLAN", help="plan file (*.plan.geojson)")
    p.add_argument("--data", type=Path, metavar="PACK", help=data_help)
    p.add_argument(
        "--sites",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="sites layer (repeatable)",
    )
    p.add_argument(
        "--buildings",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="buildings layer (repeatable)",
    )
    p.add_argument(
        "--streets",
        type=Path,
        metavar="FILE",
        help="street network (GeoPackage, GeoJSON or GraphML)",
    )
    p.add_argument(
        "--policy",
        type=Path,
        metavar="FILE",
        help="policy TOML (default: built-in San José policy)",
    )


def managed_inputs(ns: argparse.Namespace) -> tuple[Any, list[str]]:
    """IT's locks applied to ``ns``; an unusable config stops the command (exit 2)."""
    from planner.io.config.managed_enforcement import enforce_managed

    return enforce_managed(ns)


def say_managed(notes: Sequence[str]) -> None:
    """Each refused option as a ``Warning:`` line on stderr (also in the report)."""
    for note in notes:
        sys.stderr.write(f"Warning: {printable(note)}\n")


def _write(stream: TextIO, text: str) -> None:
    stream.write(text)
    stream.flush()


Progress = Callable[[str, float], None]


def _common(p: argparse.ArgumentParser) -> None:
    from planner.commands.common import add_input_arguments

    add_input_arguments(p, data_help="the reviewer's data pack (made by 'siting-planner import')")
    add_trust_argument(p)


def add_trust_argument(p: argparse.ArgumentParser) -> None:
    """``--allowed-signers``: trusted reviewers, unless IT's configuration names them."""
    p.add_argument(
        "--allowed-signers",
        type=Path,
        metavar="FILE",
        help="OpenSSH allowed-signers file of trusted reviewers (ignored when IT's managed "
        "configuration names one; default: the user setting review/allowed_signers)",
    )


def safe_text(text: str) -> str:
    """``text`` with control characters escaped, so a file cannot drive the terminal."""
    from planner.core.printable import printable

    return printable(text)


def _say_managed(notes: list[str]) -> None:
    from planner.commands.common import say_managed

    say_managed(notes)


def _principal(text: str | None) -> str | None:
    """A principal as an allowed-signers file lists it: one token, printable, bounded."""
    value = (text or "").strip()
    if not value or len(value) > 512 or any(c.isspace() or ord(c) < 32 for c in value):
        return None
    if any(c in value for c in ',"*?!'):
        return None
    return value


def _progress_bar(quiet: bool) -> Progress | None:
    if quiet:
        return None
    tty = sys.stderr.isatty()
    state = {"last": ""}

    def show(what: str, frac: float) -> None:
        pct = round(100 * max(0.0, min(1.0, frac)))
        if tty:
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r[{bar:<25}] {pct:3d}% {what[:50]:<50}")
            if frac >= 1.0:
                sys.stderr.write("\n")
        elif what != state["last"] and (frac >= 1.0 or not what.startswith(state["last"][:12])):
            sys.stderr.write(f"{pct:3d}% {what}\n")
        state["last"] = what
        sys.stderr.flush()

    return show
