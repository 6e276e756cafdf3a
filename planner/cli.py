"""The ``siting-planner`` command (SPEC 6).

``siting-planner`` alone opens the desktop application; ``check`` and ``import``
work without a display. Bad input never shows a traceback: one line on stderr,
``error: <file>: <where>: <what>``, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from planner import __version__
from planner.core.errors import CheckCancelled, InputError

EXIT_OK = 0
EXIT_BLOCKED = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3
EXIT_CANCELLED = 130

_SUBCOMMANDS = ("check", "import")


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in our one-line form, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"error: {self.prog}: {message} (see --help)\n")
        raise SystemExit(EXIT_INPUT)


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
    p.add_argument("plan", nargs="?", type=Path, help="plan file to open (*.plan.geojson)")
    p.add_argument("--data", type=Path, help="data pack (GeoPackage made by 'import') to open")
    p.add_argument(
        "--screenshot",
        type=Path,
        metavar="OUT.png",
        help="load everything, save a PNG of the main window and exit",
    )
    return p


def _check_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="siting-planner check",
        description="Check every camera of a plan against the policy (SPEC 4).",
        epilog="Exit status: 0 no camera blocked, 1 at least one blocked, 2 bad input or usage.",
    )
    p.add_argument("plan", type=Path, metavar="PLAN", help="plan file (*.plan.geojson)")
    p.add_argument(
        "--data", type=Path, metavar="PACK", help="data pack made by 'siting-planner import'"
    )
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
    p.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    p.add_argument(
        "--output", type=Path, metavar="FILE", help="write the report here instead of stdout"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``siting-planner`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Library warnings (GDAL, pyogrio, shapely) would add lines to the one-line
    # error contract; they are noise for a person running a check.
    warnings.filterwarnings("ignore")
    try:
        if args and args[0] == "check":
            return run_check(_check_parser().parse_args(args[1:]))
        if args and args[0] == "import":
            from planner import importer

            p = _Parser(prog="siting-planner import", description="Build a data pack (GeoPackage).")
            importer.configure_parser(p)
            return importer.run(p.parse_args(args[1:]))
        ns = _app_parser().parse_args(args)
        from planner.app.main import run_app

        return run_app(plan=ns.plan, data=ns.data, screenshot=ns.screenshot)
    except InputError as exc:
        sys.stderr.write(f"error: {exc}\n")
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
        # A bug, not bad input: still one line for the person at the terminal, and
        # the traceback when a developer asks for it.
        if os.environ.get("SITING_PLANNER_DEBUG"):
            raise
        sys.stderr.write(
            f"error: internal error ({type(exc).__name__}: {exc}); "
            "set SITING_PLANNER_DEBUG=1 for details and please report it\n"
        )
        return EXIT_INTERNAL


def _load_policy(path: Path | None) -> Any:
    from planner.io.policy import builtin_policy, read_policy

    return builtin_policy() if path is None else read_policy(path)


def run_check(ns: argparse.Namespace) -> int:
    """``siting-planner check``: validate inputs, check every camera, report."""
    from planner.io.common import sha256_file
    from planner.io.loader import build_checker, load_inputs
    from planner.io.plan import read_plan

    policy = _load_policy(ns.policy)
    plan = read_plan(ns.plan)
    inputs = load_inputs(
        policy=policy, data=ns.data, sites=ns.sites, buildings=ns.buildings, streets=ns.streets
    )
    checker = build_checker(inputs, policy=policy, cameras=plan.cameras)
    result = checker.check_cameras(plan.cameras)
    summary = result.summary()
    report: dict[str, Any] = {
        "tool": {"name": "siting-planner", "version": __version__},
        "plan": {"path": str(ns.plan), "sha256": sha256_file(ns.plan), "name": plan.meta.name},
        "policy": {"id": policy.id, "version": policy.version, "sha256": policy.sha256},
        "layers": [layer.to_json() for layer in inputs.layers],
        "cameras": [
            {"id": r.camera_id, "status": str(r.status), "finding_count": len(r.findings)}
            for r in result.results
        ],
        "findings": [f.to_json() for f in result.findings],
        "summary": summary,
    }
    if inputs.warnings:
        report["warnings"] = list(inputs.warnings)
    if ns.format == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    else:
        text = format_text_report(report, crs=str(checker.projector.crs.name))
    if ns.output is not None:
        from planner.io.atomic import atomic_write_text

        try:
            atomic_write_text(ns.output, text)
        except OSError as exc:
            raise InputError(
                ns.output, "", f"cannot write the report: {exc.strerror or exc}"
            ) from None
    else:
        _write(sys.stdout, text)
    return EXIT_BLOCKED if summary["block"] else EXIT_OK


def _write(stream: TextIO, text: str) -> None:
    stream.write(text)
    stream.flush()


def format_text_report(report: dict[str, Any], *, crs: str = "") -> str:
    """A plain-text report for people reading a terminal."""
    lines = []
    plan, policy, summary = report["plan"], report["policy"], report["summary"]
    lines.append(f"Plan:    {plan['path']} ({plan['name']})")
    lines.append(f"Policy:  {policy['id']} version {policy['version']}")
    for layer in report["layers"]:
        lines.append(f"Layer:   {layer['kind']:<9} {layer['path']} ({layer['features']} features)")
    if crs:
        lines.append(f"CRS:     {crs}")
    for w in report.get("warnings", []):
        lines.append(f"Warning: {w}")
    lines.append("")
    by_camera: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        by_camera.setdefault(f["camera_id"], []).append(f)
    width = max((len(c["id"]) for c in report["cameras"]), default=4)
    for cam in report["cameras"]:
        lines.append(f"{cam['status'].upper():<6} {cam['id']:<{width}}")
        for f in by_camera.get(cam["id"], []):
            lines.append(f"       {f['severity']:<5} {f['rule']}: {f['message']}")
    lines.append("")
    lines.append(
        f"{summary['cameras']} cameras: {summary['block']} blocked, {summary['warn']} warned, "
        f"{summary['clear']} clear"
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
