"""``siting-planner import``: the arguments, the progress on the terminal and the summary;
the stages are :mod:`planner.io.datapack.importer`."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from planner.core.errors import CheckCancelled, InputError
from planner.io.datapack.importer import run_import
from planner.io.datapack.layout import ATTRIBUTION
from planner.io.safety.printable import printable


class TerminalProgress:
    """A plain-text progress bar on a TTY, one line per stage otherwise."""

    def __init__(self, stream: TextIO | None = None, *, width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self.last_stage = ""
        self.last_draw = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        stage = printable(stage)  # stage names carry file names
        if self.tty:
            now = time.monotonic()
            if stage == self.last_stage and now - self.last_draw < 0.1 and fraction < 1.0:
                return
            self.last_draw = now
            self.last_stage = stage
            filled = round(self.width * fraction)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {fraction * 100:3.0f}% {stage[:60]:<60}")
            if fraction >= 1.0:
                self.stream.write("\n")
            self.stream.flush()
        elif stage != self.last_stage:
            self.last_stage = stage
            self.stream.write(f"{fraction * 100:3.0f}% {stage}\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty and self.last_stage:
            self.stream.write("\n")
            self.stream.flush()


def configure_parser(p: argparse.ArgumentParser) -> None:
    """Arguments of ``siting-planner import``."""
    p.description = (
        "Import OpenStreetMap data and city GIS layers into a data pack (GeoPackage) for "
        "'check --data' and the desktop app. " + ATTRIBUTION + " for OSM-derived data."
    )
    p.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="OSM XML (.osm, .osm.bz2), .osm.pbf, osmnx GraphML, Overpass JSON (.json, .json.gz), "
        "ALPR GeoJSON; or a place name / 'W,S,E,N' to download (needs the network)",
    )
    p.add_argument("-o", "--output", required=True, metavar="PACK.gpkg", help="data pack to write")
    p.add_argument(
        "--bbox",
        nargs=4,
        type=float,
        metavar=("W", "S", "E", "N"),
        help="keep only what lies in this box (degrees)",
    )
    p.add_argument(
        "--sites",
        action="append",
        default=[],
        metavar="FILE[:MAPPING]",
        help="a city layer of protected sites, e.g. "
        "places.csv:category=place_of_worship,name=NAME,id=OBJECTID,lon=LON,lat=LAT; "
        "a SPEC 5.2 sites file needs no mapping",
    )
    p.add_argument(
        "--buildings",
        action="append",
        default=[],
        metavar="FILE",
        help="building footprints (GeoJSON, GeoPackage, zipped GeoPackage, Shapefile)",
    )
    p.add_argument(
        "--boundaries",
        action="append",
        default=[],
        metavar="FILE[:kind=K,name=FIELD]",
        help="city limits or council districts",
    )
    p.add_argument(
        "--existing-plan",
        metavar="PLAN.geojson",
        help="also write the existing cameras as a plan file, to audit them with 'check'",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.add_argument(
        "--progress",
        action="store_true",
        help="print a line per stage even when stderr is not a terminal (logs)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``import``: 0 done, 2 bad input, 130 cancelled (Ctrl-C)."""
    bar = None if getattr(args, "quiet", False) else TerminalProgress()
    # Off a terminal, stderr is usually parsed by a script that expects bad input to
    # give exactly one "error:" line (SPEC 6), so stage lines are opt-in there.
    if bar is not None and not bar.tty and not getattr(args, "progress", False):
        bar = None
    try:
        summary = run_import(
            args.sources,
            args.output,
            bbox=args.bbox,
            site_layers=args.sites,
            building_layers=args.buildings,
            boundary_layers=args.boundaries,
            existing_plan=args.existing_plan,
            progress=bar,
        )
    except InputError as exc:
        if bar is not None:
            bar.close()
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, CheckCancelled):
        if bar is not None:
            bar.close()
        print("import cancelled; nothing was written", file=sys.stderr)
        return 130
    for warning in summary.warnings[:20]:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    if len(summary.warnings) > 20:
        print(
            f"warning: ... and {len(summary.warnings) - 20} more (see the pack's metadata)",
            file=sys.stderr,
        )
    print("\n".join(printable(line) for line in summary.describe().splitlines()))
    print(ATTRIBUTION)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone ``python -m planner.io.datapack.importer``, the same as ``siting-planner
    import``.
    """
    parser = argparse.ArgumentParser(prog="siting-planner import")
    configure_parser(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
