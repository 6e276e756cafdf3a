"""Write a CycloneDX 1.5 SBOM (JSON) of what the installers bundle.

    python packaging/sbom.py dist/siting-planner-0.1.0.cdx.json

The components are siting-planner's runtime dependencies, followed through
``importlib.metadata`` from the environment the bundle is built from (the test and
packaging extras and their tools left out: PyInstaller's analysis never reaches them),
each with its version, licence and PyPI package URL. The Qt, GDAL, PROJ and GEOS
libraries come inside the PySide6, pyogrio, pyproj and shapely wheels listed here.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT_DIST = "siting-planner"
_MARKER_EXTRA = re.compile(r"extra\s*==")


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement.strip(), maxsplit=1)[0]


def runtime_closure(root: str = ROOT_DIST) -> list[metadata.Distribution]:
    """The distributions ``root`` needs at run time (no extras), ``root`` first."""
    seen: dict[str, metadata.Distribution] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another platform or Python
        seen[key] = dist
        for req in dist.requires or []:
            marker = req.split(";", 1)[1] if ";" in req else ""
            if _MARKER_EXTRA.search(marker):
                continue
            if marker and not _marker_applies(marker):
                continue
            todo.append(_name(req))
    return list(seen.values())


def _marker_applies(marker: str) -> bool:
    try:
        from packaging.markers import Marker
    except ImportError:
        return True  # list it rather than miss it
    return Marker(marker).evaluate()


def _licence(dist: metadata.Distribution) -> list[dict[str, object]]:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return [{"expression": expression}]
    text = (meta.get("License") or "").strip()
    if text and len(text) < 100 and "\n" not in text:
        return [{"license": {"name": text}}]
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    return [{"license": {"name": c}} for c in classifiers]


def sbom() -> dict[str, object]:
    """The SBOM document."""
    dists = runtime_closure()
    if not dists:
        msg = f"{ROOT_DIST} is not installed in this environment"
        raise SystemExit(msg)
    components = []
    for dist in dists:
        name, version = dist.metadata["Name"], dist.version
        components.append(
            {
                "type": "application" if name == ROOT_DIST else "library",
                "bom-ref": f"pkg:pypi/{name.lower()}@{version}",
                "name": name,
                "version": version,
                "purl": f"pkg:pypi/{name.lower()}@{version}",
                "licenses": _licence(dist),
            }
        )
    main, *libs = components
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "component": main,
            "properties": [{"name": "python", "value": sys.version.split()[0]}],
        },
        "components": sorted(libs, key=lambda c: str(c["name"]).lower()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("output", type=Path, help="the .cdx.json file to write")
    ns = p.parse_args(argv)
    ns.output.parent.mkdir(parents=True, exist_ok=True)
    ns.output.write_text(json.dumps(sbom(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {ns.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
