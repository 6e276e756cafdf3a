"""Property-based fuzzing of every reader through the real command line.

For each input kind (plan, sites, policy, GraphML streets, Overpass JSON, OSM XML,
data pack, CSV site list, GeoJSON buildings) hypothesis mutates a valid seed file,
structure-aware (a value replaced by a hostile one: ``1e400``, a 5,000-digit
integer, 995 levels of nesting, a lone surrogate, control characters, a huge
string ...; keys deleted; elements repeated) or byte by byte (flips, inserts,
truncation, splices). Each mutant goes through ``siting-planner check`` or
``import`` in a worker process with a memory limit and a timeout
(:mod:`tests.fuzz_worker`). The property: exit 0 or 1, or exit 2 with exactly one
``error:`` line; never exit 3, never a traceback, never a crash or a hang.

CI runs a few examples per reader. A long campaign::

    SITING_FUZZ_EXAMPLES=2000 SITING_FUZZ_LOG=/tmp/fuzz.jsonl \\
        .venv/bin/python -m pytest tests/test_fuzz.py -q -p no:cacheprovider

``SITING_FUZZ_LOG`` collects one JSON line per input (reader, mutation, exit code,
first stderr line) for counting afterwards.
"""

from __future__ import annotations

import json
import os
import random
import resource
import selectors
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.signing_support import make_signer, write_allowed

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("SITING_FUZZ_EXAMPLES", "12"))
LONG = "SITING_FUZZ_EXAMPLES" in os.environ
#: Per input; the planner's own bounds keep every real input far below this.
TIMEOUT_S = float(os.environ.get("SITING_FUZZ_TIMEOUT", "60"))
MEMORY_LIMIT = int(os.environ.get("SITING_FUZZ_MEMORY_MB", "3072")) * 1024 * 1024
LOG = os.environ.get("SITING_FUZZ_LOG")

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# --------------------------------------------------------------------------- worker


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


class Worker:
    """One ``tests.fuzz_worker`` process, restarted after a crash or a timeout."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.proc: subprocess.Popen[str] | None = None
        self.stderr_path = scratch / "worker.stderr"

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            OPENBLAS_NUM_THREADS="1",
            OMP_NUM_THREADS="1",
            SITING_PLANNER_CACHE_DIR=str(self.scratch / "cache"),
        )
        env.pop("SITING_PLANNER_DEBUG", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz_worker"],
            cwd=PROJECT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr_path.open("a"),
            text=True,
            preexec_fn=_limit_memory,
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def run(self, request: list[str] | dict[str, Any]) -> dict[str, Any]:
        """Run one input: a command line, or a request (see :mod:`tests.fuzz_worker`)."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        req = {"argv": request} if isinstance(request, list) else request
        started = time.perf_counter()
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(TIMEOUT_S)
        sel.close()
        if not ready:
            self.stop()
            return {"code": "timeout", "stderr": f"no answer in {TIMEOUT_S:g} s",
                    "seconds": TIMEOUT_S}  # fmt: skip
        line = self.proc.stdout.readline()
        seconds = round(time.perf_counter() - started, 3)
        if not line:
            rc = self.proc.wait()
            self.proc = None
            return {"code": "crash", "stderr": f"worker died (status {rc}); memory limit?",
                    "seconds": seconds}  # fmt: skip
        return {**json.loads(line), "seconds": seconds}


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    with tempfile.TemporaryDirectory(prefix="siting-fuzz-") as scratch:
        w = Worker(Path(scratch))
        w.start()
        try:
            yield w
        finally:
            w.stop()


def check_contract(reader: str, mutation: str, result: dict[str, Any], path: Path) -> None:
    """Exit 0/1, or exit 2 with one ``error:`` line; never 3, a traceback, a crash, a hang."""
    code, err = result["code"], result["stderr"]
    lines = err.splitlines()
    if LOG:
        with Path(LOG).open("a", encoding="utf-8") as fh:
            fh.write(
                json.dumps(
                    {
                        "reader": reader,
                        "mutation": mutation,
                        "code": code,
                        "first": (lines[0] if lines else "")[:300],
                        "seconds": result.get("seconds"),
                        "maxrss_mb": result.get("maxrss_mb"),
                    }
                )
                + "\n"
            )
    keep = f" (input kept at {path})" if code not in (0, 1, 2) else ""
    assert not result.get("traceback"), f"{reader}/{mutation}: traceback{keep}\n{err}"
    assert code in (0, 1, 2), f"{reader}/{mutation}: exit {code}{keep}\n{err[:2000]}"
    if code == 2:
        errors = [ln for ln in lines if ln.startswith("error: ")]
        assert len(lines) == 1 and len(errors) == 1, f"{reader}/{mutation}: not one line\n{err}"


def _keep_failure(path: Path, scratch: Path) -> Path:
    kept = scratch / "failures"
    kept.mkdir(exist_ok=True)
    target = kept / f"{len(list(kept.iterdir()))}-{path.name}"
    target.write_bytes(path.read_bytes()) if path.is_file() else None
    return target


# ------------------------------------------------------------------------------ seeds

LON, LAT = -121.8900, 37.3300

PLAN_SEED: dict[str, Any] = {
    "type": "FeatureCollection",
    "siting_plan": {
        "format": "siting-plan",
        "format_version": 1,
        "name": "Fuzz plan",
        "created": "2026-01-01T00:00:00Z",
        "audit": [{"when": "2026-01-01T00:00:00Z", "who": "a", "action": "add"}],
        "extra_meta": {"nested": [1, 2.5, "x"]},
    },
    "features": [
        {
            "type": "Feature",
            "id": f"C-{i}",
            "geometry": {"type": "Point", "coordinates": [LON + i * 0.0003, LAT]},
            "properties": {
                "heading_deg": 90.0 * i,
                "fov_deg": 40,
                "range_m": 80,
                "label": f"cam {i}",
                "status": "proposed",
                "capabilities": ["plate_read"],
                "mount_height_m": 5,
                "custom": {"a": [1, 2]},
            },
        }
        for i in range(3)
    ],
}

SITES_SEED: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "pt", "category": "place_of_worship", "name": "Chapel"},
            "geometry": {"type": "Point", "coordinates": [LON + 0.0005, LAT]},
        },
        {
            "type": "Feature",
            "properties": {
                "id": "poly",
                "category": "abortion_provider",
                "name": "Clinic",
                "entrances": [[LON + 0.0010, LAT + 0.0001]],
            },
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [LON + 0.0009, LAT],
                        [LON + 0.0012, LAT],
                        [LON + 0.0012, LAT + 0.0003],
                        [LON + 0.0009, LAT + 0.0003],
                        [LON + 0.0009, LAT],
                    ]
                ],
            },
        },
        {
            "type": "Feature",
            "id": "multi",
            "properties": {"category": "consulate", "name": "Consulate"},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [
                    [[[LON, LAT + 0.001], [LON + 0.0002, LAT + 0.001], [LON, LAT + 0.0012],
                      [LON, LAT + 0.001]]],
                ],
            },
        },
    ],
}  # fmt: skip


def _box(x: float, y: float, h: float) -> dict[str, Any]:
    ring = [[x, y], [x + 0.0002, y], [x + 0.0002, y + 0.0001], [x, y + 0.0001], [x, y]]
    return {
        "type": "Feature",
        "properties": {"height": h},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


BUILDINGS_SEED: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [_box(LON + 0.0002, LAT - 0.00005, 8.0), _box(LON, LAT + 0.0004, 12.5)],
}


def _overpass_seed() -> dict[str, Any]:
    nodes = [
        {"type": "node", "id": i, "lat": LAT + (i % 3) * 0.0003, "lon": LON + (i // 3) * 0.0003}
        for i in range(1, 10)
    ]
    nodes.append(
        {
            "type": "node",
            "id": 50,
            "lat": LAT,
            "lon": LON,
            "tags": {
                "man_made": "surveillance",
                "surveillance:type": "ALPR",
                "camera:direction": "90;270",
                "brand": "Flock Safety",
            },
        }
    )
    ways = [
        {"type": "way", "id": 100, "nodes": [1, 4, 7], "tags": {"highway": "residential"}},
        {"type": "way", "id": 101, "nodes": [2, 5, 8], "tags": {"highway": "residential"}},
        {"type": "way", "id": 102, "nodes": [1, 2, 5, 4, 1], "tags": {"building": "yes"}},
        {
            "type": "way",
            "id": 103,
            "nodes": [5, 6, 9, 8, 5],
            "tags": {"amenity": "place_of_worship", "name": "St. Fuzz"},
        },
    ]
    rel = {
        "type": "relation",
        "id": 200,
        "members": [{"type": "way", "ref": 102, "role": "outer"}],
        "tags": {"type": "multipolygon", "building": "yes"},
    }
    return {"version": 0.6, "osm3s": {"timestamp_osm_base": "2026-01-01T00:00:00Z"},
            "elements": [*nodes, *ways, rel]}  # fmt: skip


def _osm_xml_seed() -> str:
    doc = _overpass_seed()
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="fuzz">']
    for el in doc["elements"]:
        tags = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in (el.get("tags") or {}).items())
        if el["type"] == "node":
            parts.append(f'<node id="{el["id"]}" lat="{el["lat"]}" lon="{el["lon"]}">{tags}</node>')
        elif el["type"] == "way":
            nds = "".join(f'<nd ref="{n}"/>' for n in el["nodes"])
            parts.append(f'<way id="{el["id"]}">{nds}{tags}</way>')
        else:
            mem = "".join(
                f'<member type="{m["type"]}" ref="{m["ref"]}" role="{m["role"]}"/>'
                for m in el["members"]
            )
            parts.append(f'<relation id="{el["id"]}">{mem}{tags}</relation>')
    parts.append("</osm>\n")
    return "\n".join(parts)


def _graphml_seed() -> str:
    keys = (
        '<key id="d0" for="graph" attr.name="crs" attr.type="string"/>'
        '<key id="d1" for="node" attr.name="y" attr.type="string"/>'
        '<key id="d2" for="node" attr.name="x" attr.type="string"/>'
        '<key id="d3" for="node" attr.name="street_count" attr.type="string"/>'
        '<key id="d4" for="edge" attr.name="osmid" attr.type="string"/>'
        '<key id="d5" for="edge" attr.name="name" attr.type="string"/>'
        '<key id="d6" for="edge" attr.name="highway" attr.type="string"/>'
        '<key id="d7" for="edge" attr.name="oneway" attr.type="string"/>'
        '<key id="d8" for="edge" attr.name="length" attr.type="string"/>'
        '<key id="d9" for="edge" attr.name="geometry" attr.type="string"/>'
    )
    nodes = "".join(
        f'<node id="{i}"><data key="d1">{LAT + i * 0.0003}</data>'
        f'<data key="d2">{LON + i * 0.0003}</data><data key="d3">2</data></node>'
        for i in range(1, 4)
    )
    edges = "".join(
        f'<edge source="{a}" target="{b}" id="0"><data key="d4">{100 + a}</data>'
        f'<data key="d5">Fuzz St</data><data key="d6">residential</data>'
        f'<data key="d7">False</data><data key="d8">37.5</data>'
        f'<data key="d9">LINESTRING ({LON + a * 0.0003} {LAT + a * 0.0003}, '
        f"{LON + b * 0.0003} {LAT + b * 0.0003})</data></edge>"
        for a, b in ((1, 2), (2, 3), (2, 1))
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        f'{keys}<graph edgedefault="directed"><data key="d0">epsg:4326</data>'
        f"{nodes}{edges}</graph></graphml>\n"
    )


@pytest.fixture(scope="module")
def seeds(worker: Worker) -> dict[str, Path]:
    folder = worker.scratch / "seeds"
    folder.mkdir()
    out = {
        "plan": folder / "seed.plan.geojson",
        "sites": folder / "seed.sites.geojson",
        "policy": folder / "seed.toml",
        "graphml": folder / "seed.graphml",
        "overpass": folder / "seed.json",
        "osm": folder / "seed.osm",
        "csv": folder / "seed.csv",
        "buildings": folder / "seed.buildings.geojson",
    }
    out["buildings"].write_text(json.dumps(BUILDINGS_SEED), encoding="utf-8")
    out["csv"].write_text(
        "OBJECTID,NAME,LON,LAT\n1,First Church,-121.8895,37.3300\n2,Second,-121.8890,37.3305\n",
        encoding="utf-8",
    )
    out["plan"].write_text(json.dumps(PLAN_SEED), encoding="utf-8")
    out["sites"].write_text(json.dumps(SITES_SEED), encoding="utf-8")
    out["policy"].write_bytes(
        (PROJECT / "data" / "policies" / "san_jose_alpr_2026.toml").read_bytes()
    )
    out["graphml"].write_text(_graphml_seed(), encoding="utf-8")
    out["overpass"].write_text(json.dumps(_overpass_seed()), encoding="utf-8")
    out["osm"].write_text(_osm_xml_seed(), encoding="utf-8")
    pack = folder / "seed.gpkg"
    result = worker.run(["import", str(out["overpass"]), "--sites", str(out["sites"]),
                         "-o", str(pack), "-q"])  # fmt: skip
    assert result["code"] == 0, result
    out["pack"] = pack
    # Every seed is valid: the fuzzer starts from inputs the planner accepts.
    files = {**out, "out": folder / "check.gpkg"}
    for argv in _argvs(out).values():
        ok = worker.run(argv(files))
        assert ok["code"] in (0, 1), ok
    return out


def _argvs(seeds: dict[str, Path]) -> dict[str, Callable[[dict[str, Path]], list[str]]]:
    """How each input kind reaches a reader: a command line given the (mutated) files."""
    return {
        "plan": lambda f: ["check", str(f["plan"]), "--sites", str(f["sites"])],
        "sites": lambda f: ["check", str(f["plan"]), "--sites", str(f["sites"])],
        "policy": lambda f: ["check", str(f["plan"]), "--sites", str(f["sites"]),
                             "--policy", str(f["policy"])],
        "graphml": lambda f: ["check", str(f["plan"]), "--sites", str(f["sites"]),
                              "--streets", str(f["graphml"])],
        "overpass": lambda f: ["import", str(f["overpass"]), "-o", str(f["out"]), "-q"],
        "osm": lambda f: ["import", str(f["osm"]), "-o", str(f["out"]), "-q"],
        "pack": lambda f: ["check", str(f["plan"]), "--data", str(f["pack"])],
        "buildings": lambda f: ["check", str(f["plan"]), "--sites", str(f["sites"]),
                                "--buildings", str(f["buildings"])],
        "csv": lambda f: ["import", "--sites",
                          f"{f['csv']}:category=place_of_worship,name=NAME,id=OBJECTID",
                          "-o", str(f["out"]), "-q"],
    }  # fmt: skip


# -------------------------------------------------------------------------- mutations

HOSTILE_JSON = [
    "1e400", "-1e400", "9" * 400, "-" + "9" * 4400, "NaN", "Infinity", "1e-400", "-0",
    '"\\ud800"', '"\\udfff\\ud800"', '"\\u001b]0;pwned\\u0007\\nerror: forged"',
    '"\\u202egnp.exe"', '"' + "A" * 70000 + '"', "null", "true", "[]", "{}", '""',
    "[" * 995 + "]" * 995, "[" * 70 + "]" * 70, '{"a":' * 200 + "1" + "}" * 200,
    "[1e400, 37]", "[[[]]]", "0", "-1", "360", "400", "2001", "[-121.89, 95]",
    '[-121.89, 37.33, 1, 2, 3]', '"../../../etc/passwd"', '"CSV:/etc/passwd"',
    '"/vsicurl/http://127.0.0.1:9/x"', "123456789012345678901234567890",
]  # fmt: skip
HOSTILE_TOML = [
    "1e400", "nan", "inf", "9" * 400, "9" * 5000, '"\\u001b[2J"', "[" * 995 + "]" * 995,
    '"' + "A" * 70000 + '"', "true", "[]", "{}", "-1", "0", "1979-05-27T07:32:00Z",
    '"facial_recognition"', '"ignore"', '"warn"', "10001",
]  # fmt: skip
HOSTILE_XML_VALUES = [
    "1e400", "nan", "inf", "-inf", "95", "-181", "9" * 400, "9" * 5000, "", "abc",
    "\x1b]0;x\x07", "&amp;", "90;" * 5000, "N;NE;" * 50, "-", "1-2-3", "0x10", "1_000",
]  # fmt: skip
HOSTILE_SQL = [
    None, "", "x" * 100000, 1e308, float("inf"), float("nan"), -1, 2**62, b"\x00\x01GP",
    b"GP\x00\x01" + b"\x00" * 40, "{" * 995, '{"a": 1e400}', "\ud800".encode("utf-8",
    "surrogatepass"), "../../x", "CSV:/etc/passwd",
]  # fmt: skip


def _json_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _json_paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _json_paths(v, (*prefix, i))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


_MARK = "@@FUZZ@@"


def mutate_json(doc: Any, rnd: random.Random) -> tuple[str, str]:
    """A structure-aware mutant of ``doc`` as text, and what was done."""
    doc = json.loads(json.dumps(doc))
    paths = [p for p in _json_paths(doc) if p]
    path = rnd.choice(paths)
    parent, key = _get(doc, path[:-1]), path[-1]
    action = rnd.choice(["hostile", "hostile", "hostile", "delete", "repeat", "swap"])
    if action == "delete":
        del parent[key]
        return json.dumps(doc), f"delete {path}"
    if action == "repeat" and isinstance(parent, list):
        parent.extend([parent[key]] * rnd.choice([1, 2, 50]))
        return json.dumps(doc), f"repeat {path}"
    if action == "swap":
        other = _get(doc, rnd.choice(paths))
        parent[key] = json.loads(json.dumps(other)) if other is not doc else None
        return json.dumps(doc), f"swap {path}"
    token = rnd.choice(HOSTILE_JSON)
    if isinstance(parent, dict) and rnd.random() < 0.2:
        # A hostile *key* beside the real ones (unknown properties are kept).
        parent["\u001b[2J" if rnd.random() < 0.5 else "unknown"] = _MARK
    else:
        parent[key] = _MARK
    return json.dumps(doc).replace(f'"{_MARK}"', token, 1), f"hostile {token[:30]!r} at {path}"


def mutate_text(text: str, rnd: random.Random, values: list[str], kind: str) -> tuple[str, str]:
    """A line/attribute-level mutant of TOML or XML text."""
    lines = text.splitlines()
    i = rnd.randrange(len(lines))
    action = rnd.choice(["value", "value", "insert", "delete", "repeat", "doctype"])
    if action == "doctype" and kind == "xml":
        head = '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>\n'
        return head + text.split("\n", 1)[-1], "doctype"
    if action == "delete":
        del lines[i]
        return "\n".join(lines), f"delete line {i}"
    if action == "repeat":
        lines[i:i] = [lines[i]] * rnd.choice([1, 5, 200])
        return "\n".join(lines), f"repeat line {i}"
    value = rnd.choice(values)
    if kind == "xml":
        line = lines[i]
        spots = [j for j, c in enumerate(line) if c == '"']
        if len(spots) >= 2:
            k = rnd.randrange(len(spots) // 2) * 2
            a, b = spots[k], spots[k + 1]
            escaped = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            lines[i] = line[: a + 1] + escaped + line[b:]
            return "\n".join(lines), f"attr {value[:30]!r} line {i}"
    if action == "insert" or "=" not in lines[i]:
        lines.insert(i, f"fuzz_key = {value}" if kind == "toml" else f'<x v="{value}"/>')
        return "\n".join(lines), f"insert {value[:30]!r} at {i}"
    key = lines[i].split("=", 1)[0]
    lines[i] = f"{key}= {value}"
    return "\n".join(lines), f"value {value[:30]!r} line {i}"


HOSTILE_CSV = [
    "1e400", "nan", "inf", "9" * 400, "", '"', '"a""b', "A" * 200_000, "\x00", "\x1b[2J",
    "-181", "95", "1,2,3", "\r", "\ud800", "CSV:/etc/passwd", "=cmd|' /C calc'!A0",
]  # fmt: skip


def mutate_csv(text: str, rnd: random.Random) -> tuple[str, str]:
    """A field-level mutant of a CSV site list."""
    lines = text.splitlines()
    i = rnd.randrange(len(lines))
    if rnd.random() < 0.2:
        lines[i:i] = [lines[i]] * rnd.choice([1, 100])
        return "\n".join(lines) + "\n", f"repeat line {i}"
    fields = lines[i].split(",")
    j = rnd.randrange(len(fields))
    value = rnd.choice(HOSTILE_CSV)
    fields[j] = value
    lines[i] = ",".join(fields)
    return "\n".join(lines) + "\n", f"field {value[:20]!r} at {i}:{j}"


def mutate_bytes(data: bytes, rnd: random.Random) -> tuple[bytes, str]:
    """A byte-level mutant: flips, inserts, deletes, truncation, splice."""
    buf = bytearray(data)
    action = rnd.choice(["flip", "flip", "insert", "delete", "truncate", "splice"])
    n = len(buf)
    if action == "flip":
        for _ in range(rnd.choice([1, 2, 8, 64])):
            i = rnd.randrange(n)
            buf[i] = rnd.randrange(256)
    elif action == "insert":
        i = rnd.randrange(n)
        buf[i:i] = rnd.choice([b"\x00", b"\xff\xfe", b"\x1b[2J", b"\xed\xa0\x80", b"[" * 999,
                                bytes(rnd.randrange(256) for _ in range(16))])  # fmt: skip
    elif action == "delete":
        i = rnd.randrange(n)
        del buf[i : i + rnd.choice([1, 10, 1000])]
    elif action == "truncate":
        del buf[rnd.randrange(n) :]
    else:
        i, j = sorted(rnd.randrange(n) for _ in range(2))
        k = rnd.randrange(n)
        buf[k:k] = buf[i:j]
    return bytes(buf), action


def mutate_pack(seed: Path, target: Path, rnd: random.Random) -> str:
    """A mutant data pack: hostile cell values, emptied tables, or flipped bytes."""
    target.write_bytes(seed.read_bytes())
    action = rnd.choice(["cell", "cell", "cell", "contents", "drop", "bytes"])
    if action == "bytes":
        data, what = mutate_bytes(seed.read_bytes(), rnd)
        target.write_bytes(data)
        return f"bytes {what}"
    con = sqlite3.connect(target)
    try:
        if action == "contents":
            con.execute(rnd.choice(["DELETE FROM gpkg_contents",
                                    "UPDATE gpkg_contents SET srs_id = 999",
                                    "DELETE FROM gpkg_geometry_columns"]))  # fmt: skip
            return "contents"
        tables = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
        table = rnd.choice(tables)
        if action == "drop":
            con.execute(f'DROP TABLE "{table}"')
            return f"drop {table}"
        # The R-tree triggers call GDAL's SQL functions, absent here; an editor
        # without GDAL would drop them the same way.
        for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name=?", (table,)
        ).fetchall():
            con.execute(f'DROP TRIGGER "{name}"')
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
        col = rnd.choice(cols)
        value = rnd.choice(HOSTILE_SQL)
        con.execute(f'UPDATE "{table}" SET "{col}" = ? WHERE rowid IN '
                    f'(SELECT rowid FROM "{table}" LIMIT 1)', (value,))  # fmt: skip
        return f"cell {table}.{col} = {str(value)[:30]!r}"
    except sqlite3.Error as exc:
        return f"{action} (sqlite refused: {exc})"
    finally:
        con.commit()
        con.close()


# ----------------------------------------------------------------------------- tests


def _run_one(
    worker: Worker, seeds: dict[str, Path], reader: str, rnd: random.Random, byte_level: bool
) -> None:
    folder = Path(tempfile.mkdtemp(dir=worker.scratch))
    files = dict(seeds)
    files["out"] = folder / "out.gpkg"
    seed = seeds[reader]
    target = folder / seed.name
    if reader == "pack":
        mutation = mutate_pack(seed, target, rnd)
    elif byte_level:
        data, mutation = mutate_bytes(seed.read_bytes(), rnd)
        target.write_bytes(data)
        mutation = f"bytes {mutation}"
    elif reader in ("plan", "sites", "overpass", "buildings"):
        text, mutation = mutate_json(json.loads(seed.read_text(encoding="utf-8")), rnd)
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
    elif reader == "csv":
        text, mutation = mutate_csv(seed.read_text(encoding="utf-8"), rnd)
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
    elif reader == "policy":
        text, mutation = mutate_text(seed.read_text(encoding="utf-8"), rnd, HOSTILE_TOML, "toml")
        target.write_text(text, encoding="utf-8")
    else:
        text, mutation = mutate_text(seed.read_text(encoding="utf-8"), rnd, HOSTILE_XML_VALUES,
                                     "xml")  # fmt: skip
        target.write_text(text, encoding="utf-8")
    files[reader] = target
    result = worker.run(_argvs(files)[reader](files))
    if result["code"] not in (0, 1, 2):
        _keep_failure(target, worker.scratch)
    check_contract(reader, mutation, result, target)


READERS = ["plan", "sites", "policy", "graphml", "overpass", "osm", "pack", "csv", "buildings"]


@pytest.mark.parametrize("reader", READERS)
@FUZZ_SETTINGS
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), byte_level=st.booleans())
def test_fuzz_reader(
    worker: Worker, seeds: dict[str, Path], reader: str, seed: int, byte_level: bool
) -> None:
    _run_one(worker, seeds, reader, random.Random(seed), byte_level)


def test_seeds_are_real_inputs(seeds: dict[str, Path]) -> None:
    """The seeds parse as what they claim, so mutants start from valid files."""
    assert json.loads(seeds["plan"].read_text())["siting_plan"]["format"] == "siting-plan"
    assert tomllib.loads(seeds["policy"].read_text())["categories"]
    assert seeds["pack"].read_bytes().startswith(b"SQLite format 3\x00")


# ------------------------------------------------------- round two: the newer surfaces
#
# The review section and ``review --decide``, IT's config file, the app's CSV camera
# import, offline basemap files and a plan's link to its data pack. CI runs a few
# examples of each (:data:`SURFACE_EXAMPLES`); a long campaign sets
# ``SITING_FUZZ_EXAMPLES`` as above.

SURFACE_EXAMPLES = EXAMPLES if LONG else min(EXAMPLES, 3)
SURFACE_SETTINGS = settings(
    max_examples=SURFACE_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SURFACES = ["review", "config", "csv_cameras", "mbtiles", "pmtiles", "packlink"]

HOSTILE_LINKS = [
    "seed.gpkg\x00.txt", "p" * 6000, "\\\\192.0.2.1\\share\\p.gpkg", "//192.0.2.1/share/p.gpkg",
    "/dev/zero", "/proc/self/fd/0", "../../../../../etc/passwd", "loop.gpkg", "fifo.gpkg",
    "seed.gpkg", "./seed.gpkg", "", " ", "..", "/", "C:\\x.gpkg", "\u202egpkg.exe",
]  # fmt: skip
HOSTILE_TILE_BLOBS = [b"", b"\x00", b"GIF89a", b"\x89PNG\r\n\x1a\n", b"x" * (5 << 20)]
HOSTILE_CONFIG = [*HOSTILE_TOML, '"/dev/zero"', '"\\\\\\\\192.0.2.1\\\\share\\\\p.toml"',
                  '["/etc/passwd"]', '"https://192.0.2.1/{z}/{x}/{y}.png"']  # fmt: skip


def _png_claiming(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))  # fmt: skip

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 99))


def _tile_png() -> bytes:
    import struct
    import zlib

    raw = b"".join(b"\0" + b"\x80\x90\xa0" * 256 for _ in range(256))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))  # fmt: skip

    ihdr = struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))  # fmt: skip


def _write_pmtiles(path: Path, tile: bytes) -> None:
    import gzip

    from pmtiles.tile import Compression, Entry, TileType, serialize_directory, serialize_header

    root = serialize_directory([Entry(0, 0, len(tile), 1)])
    meta = gzip.compress(json.dumps({"attribution": "fuzz", "name": "seed"}).encode())
    at = 127 + len(root) + len(meta)
    header = {
        "root_offset": 127, "root_length": len(root), "metadata_offset": 127 + len(root),
        "metadata_length": len(meta), "leaf_directory_offset": at, "leaf_directory_length": 0,
        "tile_data_offset": at, "tile_data_length": len(tile), "addressed_tiles_count": 1,
        "tile_entries_count": 1, "tile_contents_count": 1, "clustered": True,
        "internal_compression": Compression.GZIP, "tile_compression": Compression.NONE,
        "tile_type": TileType.PNG, "min_zoom": 0, "max_zoom": 1, "min_lon_e7": -1800000000,
        "min_lat_e7": -850000000, "max_lon_e7": 1800000000, "max_lat_e7": 850000000,
        "center_zoom": 0, "center_lon_e7": 0, "center_lat_e7": 0,
    }  # fmt: skip
    path.write_bytes(serialize_header(header) + root + meta + tile)


def _write_mbtiles(path: Path, tile: bytes) -> None:
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE metadata (name TEXT, value TEXT);"
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
        " tile_data BLOB);"
    )
    con.executemany("INSERT INTO metadata VALUES (?, ?)",
                    [("name", "seed"), ("format", "png"), ("minzoom", "0"), ("maxzoom", "1"),
                     ("attribution", "fuzz")])  # fmt: skip
    con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                    [(0, 0, 0, tile), (1, 0, 1, tile), (1, 1, 0, tile)])  # fmt: skip
    con.commit()
    con.close()


@pytest.fixture(scope="module")
def surface_seeds(worker: Worker, seeds: dict[str, Path]) -> dict[str, Path]:
    folder = seeds["plan"].parent
    out: dict[str, Path] = {}
    # a plan with a review section: the seed plan after one recorded decision
    review = folder / "review.plan.geojson"
    review.write_bytes(seeds["plan"].read_bytes())
    signer = make_signer(folder / "keys", "fuzz@example.org")
    write_allowed(folder / "allowed_signers", signer.signer_line())
    ok = worker.run(["review", str(review), "--sites", str(seeds["sites"]), *_signing(folder),
                     "--decide", "C-0=reject:seed"])  # fmt: skip
    assert ok["code"] == 0, ok
    out["review"] = review
    out["config"] = folder / "config.toml"
    out["config"].write_text(
        f'policy = "{seeds["policy"]}"\nlock_policy = true\nbasemap = "none"\n', encoding="utf-8"
    )
    out["csv_cameras"] = folder / "cameras.csv"
    out["csv_cameras"].write_text(
        "camera_id,longitude,latitude,heading,fov,range,label\n"
        f'A-1,{LON},{LAT},90,40,60,North gate\nA-2,{LON + 0.001},{LAT},180,50,70,"Lot, east"\n',
        encoding="utf-8",
    )
    tile = _tile_png()
    out["mbtiles"] = folder / "seed.mbtiles"
    _write_mbtiles(out["mbtiles"], tile)
    out["pmtiles"] = folder / "seed.pmtiles"
    _write_pmtiles(out["pmtiles"], tile)
    # a plan beside the seed pack that names it: check opens it without --data
    doc = json.loads(seeds["plan"].read_text(encoding="utf-8"))
    doc["siting_plan"]["data_pack"] = {"path": "seed.gpkg"}
    out["packlink"] = folder / "link.plan.geojson"
    out["packlink"].write_text(json.dumps(doc), encoding="utf-8")
    loop = folder / "loop.gpkg"
    if not loop.is_symlink():
        loop.symlink_to(loop)
    if not (folder / "fifo.gpkg").exists():
        os.mkfifo(folder / "fifo.gpkg")
    for surface in SURFACES:
        answer = worker.run(_surface_request(surface, out[surface], seeds))
        assert answer["code"] in (0, 1), (surface, answer)
    return out


def _signing(folder: Path) -> list[str]:
    """The reviewer's options of a signed ``review --decide`` (key made by ``surface_seeds``)."""
    return ["--reviewer", "fuzz@example.org", "--key", str(folder / "keys" / "fuzz_at_example.org"),
            "--allowed-signers", str(folder / "allowed_signers")]  # fmt: skip


def _surface_request(surface: str, path: Path, seeds: dict[str, Path]) -> dict[str, Any]:
    sites = str(seeds["sites"])
    if surface == "review":
        return {"argv": ["review", str(path), "--sites", sites, *_signing(seeds["plan"].parent),
                         "--decide", "C-1=needs_changes:fuzz"]}  # fmt: skip
    if surface == "config":
        return {"argv": ["check", str(seeds["plan"]), "--sites", sites],
                "system_config": str(path)}  # fmt: skip
    if surface == "csv_cameras":
        return {"call": "csv_cameras", "path": str(path)}
    if surface in ("mbtiles", "pmtiles"):
        return {"call": "tiles", "path": str(path)}
    return {"argv": ["check", str(path)]}  # packlink: the pack named by the plan


def mutate_link(doc: dict[str, Any], rnd: random.Random) -> tuple[str, str]:
    """A plan whose ``data_pack`` is hostile (a path, or the object around it)."""
    value = rnd.choice(HOSTILE_LINKS)
    shape = rnd.choice(["string", "path", "absolute", "sha"])
    link: Any = value
    if shape == "path":
        link = {"path": value}
    elif shape == "absolute":
        link = {"path": "nothing.gpkg", "absolute": value}
    elif shape == "sha":
        link = {"path": value, "sha256": rnd.choice(["0" * 64, "z" * 64, "0" * 63, ""])}
    doc["siting_plan"]["data_pack"] = link
    return json.dumps(doc), f"link {shape} {value[:30]!r}"


def mutate_tiles(seed: Path, target: Path, rnd: random.Random) -> str:
    """A mutant MBTiles (SQL) or PMTiles (header numbers, bombs) file."""
    if rnd.random() < 0.3:
        data, what = mutate_bytes(seed.read_bytes(), rnd)
        target.write_bytes(data)
        return f"bytes {what}"
    if seed.suffix == ".pmtiles":
        import gzip

        buf = bytearray(seed.read_bytes())
        action = rnd.choice(["field", "field", "meta-bomb", "dir-bomb", "zoom", "tile"])
        if action == "field":  # an offset or length in the header
            pos = 8 + 8 * rnd.randrange(11)
            value = rnd.choice([0, 1, 2**31, 2**63 - 1, 2**64 - 1, len(buf) + 7])
            buf[pos : pos + 8] = value.to_bytes(8, "little")
            target.write_bytes(bytes(buf))
            return f"header[{pos}] = {value}"
        if action == "zoom":
            buf[100], buf[101] = rnd.randrange(256), rnd.randrange(256)
            target.write_bytes(bytes(buf))
            return f"zoom {buf[100]}..{buf[101]}"
        if action == "tile":
            _write_pmtiles(target, rnd.choice([_png_claiming(8000, 8000), *HOSTILE_TILE_BLOBS]))
            return "tile"
        bomb = gzip.compress(b"\0" * (rnd.choice([8, 64]) << 20), compresslevel=9)
        if action == "meta-bomb":
            buf[24:32] = len(buf).to_bytes(8, "little")
            buf[32:40] = len(bomb).to_bytes(8, "little")
        else:
            buf[8:16] = len(buf).to_bytes(8, "little")
            buf[16:24] = len(bomb).to_bytes(8, "little")
        target.write_bytes(bytes(buf) + bomb)
        return action
    target.write_bytes(seed.read_bytes())
    con = sqlite3.connect(target)
    try:
        action = rnd.choice(["meta", "meta", "tile", "view", "drop"])
        if action == "meta":
            key = rnd.choice(["minzoom", "maxzoom", "attribution", "format", "bounds"])
            value = rnd.choice(["-5", "2000", "x", "1e400", "", "9" * 400, "A" * 100_000, None])
            con.execute("UPDATE metadata SET value = ? WHERE name = ?", (value, key))
            return f"metadata {key} = {str(value)[:20]!r}"
        if action == "tile":
            blob = rnd.choice([_png_claiming(8000, 8000), _png_claiming(0, 0), *HOSTILE_TILE_BLOBS])
            con.execute("UPDATE tiles SET tile_data = ?", (blob,))
            return f"tile {blob[:12]!r} ({len(blob)} bytes)"
        if action == "view":
            table = rnd.choice(["metadata", "tiles"])
            cols = (
                "'minzoom' AS name, '0' AS value"
                if table == "metadata"
                else "0 AS zoom_level, 0 AS tile_column, 0 AS tile_row, zeroblob(9) AS tile_data"
            )
            con.executescript(
                f"DROP TABLE {table}; CREATE VIEW {table} AS WITH RECURSIVE r(n) AS "
                f"(SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT {cols} FROM r WHERE n < 0;"
            )  # fmt: skip
            return f"recursive view {table}"
        table = rnd.choice(["metadata", "tiles"])
        con.execute(f"DROP TABLE {table}")
        return f"drop {table}"
    except sqlite3.Error as exc:
        return f"sql refused: {exc}"
    finally:
        con.commit()
        con.close()


def mutate_config(text: str, rnd: random.Random) -> tuple[bytes, str]:
    """A mutant IT config: hostile values, a BOM, deep nesting."""
    action = rnd.random()
    if action < 0.1:
        return b"\xef\xbb\xbf" + text.encode(), "utf-8 bom"
    if action < 0.2:
        depth = rnd.choice([100, 995, 30_000])
        return f"policy = {'[' * depth}{']' * depth}\n".encode(), f"depth {depth}"
    mutant, what = mutate_text(text, rnd, HOSTILE_CONFIG, "toml")
    return mutant.encode("utf-8", "surrogatepass"), what


def _run_surface(
    worker: Worker,
    seeds: dict[str, Path],
    surface_seeds: dict[str, Path],
    surface: str,
    rnd: random.Random,
    byte_level: bool,
) -> None:
    seed = surface_seeds[surface]
    folder = seed.parent if surface == "packlink" else Path(tempfile.mkdtemp(dir=worker.scratch))
    target = folder / f"m{rnd.randrange(10**9)}-{seed.name}"
    before: Any = None
    if surface in ("mbtiles", "pmtiles"):
        mutation = mutate_tiles(seed, target, rnd)
    elif surface == "config":
        data, mutation = mutate_config(seed.read_text(encoding="utf-8"), rnd)
        target.write_bytes(data)
    elif surface == "csv_cameras":
        text, mutation = mutate_csv(seed.read_text(encoding="utf-8"), rnd)
        if rnd.random() < 0.2:
            text, mutation = text + '"unterminated,1,2\n', "open quote"
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
    elif byte_level:
        data, mutation = mutate_bytes(seed.read_bytes(), rnd)
        target.write_bytes(data)
        mutation = f"bytes {mutation}"
    elif surface == "packlink":
        text, mutation = mutate_link(json.loads(seed.read_text(encoding="utf-8")), rnd)
        target.write_text(text, encoding="utf-8")
    else:  # review: mostly inside the review section
        doc = json.loads(seed.read_text(encoding="utf-8"))
        if rnd.random() < 0.7:
            inner, mutation = mutate_json(doc["siting_plan"]["review"], rnd)
            doc["siting_plan"]["review"] = "@@REVIEW@@"
            text = json.dumps(doc).replace('"@@REVIEW@@"', inner, 1)
            mutation = f"review {mutation}"
        else:
            text, mutation = mutate_json(doc, rnd)
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
        with_decisions = _decisions(target)
        before = with_decisions
    try:
        result = worker.run(_surface_request(surface, target, seeds))
        if result["code"] not in (0, 1, 2):
            _keep_failure(target, worker.scratch)
        check_contract(surface, mutation, result, target)
        if surface == "review" and result["code"] == 0 and before is not None:
            # nothing lost: every decision the file held is still there, plus the new one
            after = _decisions(target)
            assert after is not None and after[: len(before)] == before, mutation
            assert len(after) == len(before) + 1, mutation
    finally:
        if surface == "packlink":
            target.unlink(missing_ok=True)


def _decisions(path: Path) -> list[Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        decisions = doc["siting_plan"]["review"]["decisions"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    return decisions if isinstance(decisions, list) else None


@pytest.mark.parametrize("surface", SURFACES)
@SURFACE_SETTINGS
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), byte_level=st.booleans())
def test_fuzz_surface(
    worker: Worker,
    seeds: dict[str, Path],
    surface_seeds: dict[str, Path],
    surface: str,
    seed: int,
    byte_level: bool,
) -> None:
    _run_surface(worker, seeds, surface_seeds, surface, random.Random(seed), byte_level)
