"""``siting-planner system-config``: write or remove the managed config file at install.

What the Windows installer runs with its ``msiexec`` public properties (the values are
checked and rendered by :mod:`planner.io.config.system_config_writer`); IT can script a
Linux or macOS config with it the same way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.commands.common import EXIT_OK
from planner.io.config.system_config_writer import remove, write
from planner.io.safety.printable import printable


def configure_parser(p: argparse.ArgumentParser) -> None:
    """``write FILE KEY=VALUE...`` or ``remove FILE``."""
    actions = p.add_subparsers(dest="action", required=True, metavar="write|remove")
    w = actions.add_parser(
        "write",
        help="write FILE from KEY=VALUE settings (msiexec properties or config keys); "
        "with every value empty nothing is written and an existing file is kept",
    )
    w.add_argument("file", type=Path, metavar="FILE")
    w.add_argument("pairs", nargs="*", metavar="KEY=VALUE")
    r = actions.add_parser(
        "remove", help="delete FILE if it still starts with the installer's marker line"
    )
    r.add_argument("file", type=Path, metavar="FILE")


def run(ns: argparse.Namespace) -> int:
    """Write or remove the file; a wrong value is an error (exit 2), so a typo fails the install."""
    path: Path = ns.file
    if ns.action == "remove":
        done = remove(path)
        print(f"{'removed' if done else 'kept'} {printable(path)}")
        return EXIT_OK
    done = write(path, ns.pairs)
    print(f"{'wrote' if done else 'no settings given, nothing written to'} {printable(path)}")
    return EXIT_OK
