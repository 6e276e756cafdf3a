"""A long-lived CLI runner for the fuzzer (``python -m tests.fuzz_worker``).

Starting the planner costs about a second of imports, so the fuzzer keeps one worker
process and sends it one command line per input: a JSON line ``{"argv": [...]}`` on
stdin (optionally with ``"system_config"``, IT's config file for that input, and ``"env"``,
variables set for that input only, e.g. the IT
config file), or ``{"call": SURFACE, "path": FILE}`` for a reader the app reaches
without a command (:func:`call_surface`). The worker runs :func:`planner.cli.main`
exactly as the console script does, and answers ``{"code": int, "stderr": str,
"traceback": bool, "maxrss_mb": float}`` on stdout (the process's peak memory so far). The parent
sets the memory limit (``RLIMIT_AS``) and kills the worker on a timeout, so a bomb
that escapes the planner's own bounds shows up as a crash or hang, never as a
stalled test run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path


def call_surface(name: str, path: str) -> int:
    """Reach a reader that has no command line of its own, as the app does.

    ``csv_cameras``: the app's CSV camera import (read, guess the columns,
    validate every row). ``tiles``: an offline basemap file as chosen in the app,
    then its first tiles read and decoded as the tile threads do.
    Bad input raises ``ValueError`` (exit 2, as the app shows one message).
    """
    if name == "csv_cameras":
        from planner.io.formats.exchange import guess_mapping, read_camera_csv, read_csv_table

        table = read_csv_table(path)
        read_camera_csv(table, guess_mapping(table.header), defaults={"fov_deg": 40.0,
                                                                      "range_m": 50.0})  # fmt: skip
        return 0
    if name == "tiles":
        from planner.app.map.basemap import _LocalReader, decode_tile, source_for_file
        from planner.app.review.report import ensure_app

        ensure_app()
        source = source_for_file(path)
        reader = _LocalReader(source)
        try:
            for z in range(source.min_zoom, min(source.max_zoom, source.min_zoom + 2) + 1):
                for x in range(min(1 << z, 2)):
                    for y in range(min(1 << z, 2)):
                        data = reader.get(z, x, y)
                        if data:
                            decode_tile(data)
        finally:
            reader.close()
        return 0
    msg = f"unknown surface {name!r}"
    raise KeyError(msg)


def _run(request: dict[str, object]) -> int:
    from planner.cli import main
    from planner.core.printable import printable

    if "call" in request:
        try:
            return call_surface(str(request["call"]), str(request["path"]))
        except ValueError as exc:
            sys.stderr.write(f"error: {printable(exc)}\n")
            return 2
    return main(list(request["argv"]))  # type: ignore[arg-type]


def serve() -> None:
    import resource

    import planner.cli  # noqa: F401 - imported once, before the first input
    from planner.io.config import managed_config

    # Every report goes nowhere: the fuzzer judges exit codes and stderr only.
    devnull = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 - for the process
    for line in sys.stdin:
        request = json.loads(line)
        err = io.StringIO()
        saved = {k: os.environ.get(k) for k in request.get("env", {})}
        os.environ.update(request.get("env", {}))
        # IT's config file for this input alone: through the code path tests use, since
        # no variable a user can set moves it
        managed_config._config_path_for_tests = request.get("system_config")
        with contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(err):
            try:
                code = _run(request)
            except BaseException as exc:  # report everything to the parent
                code = 99
                err.write(f"escaped main(): {type(exc).__name__}: {exc}\n")
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        text = err.getvalue()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        answer = {"code": code, "stderr": text, "traceback": "Traceback" in text,
                  "maxrss_mb": round(peak_mb, 1)}  # fmt: skip
        sys.__stdout__.write(json.dumps(answer) + "\n")
        sys.__stdout__.flush()


if __name__ == "__main__":
    serve()
