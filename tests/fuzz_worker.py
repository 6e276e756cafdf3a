"""A long-lived CLI runner for the fuzzer (``python -m tests.fuzz_worker``).

Starting the planner costs about a second of imports, so the fuzzer keeps one worker
process and sends it one command line per input: a JSON line ``{"argv": [...]}`` on
stdin. The worker runs :func:`planner.cli.main` exactly as the console script does,
and answers ``{"code": int, "stderr": str, "traceback": bool}`` on stdout. The parent
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


def serve() -> None:
    from planner.cli import main

    # Every report goes nowhere: the fuzzer judges exit codes and stderr only.
    devnull = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 - for the process
    for line in sys.stdin:
        request = json.loads(line)
        err = io.StringIO()
        with contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(err):
            try:
                code = main(request["argv"])
            except BaseException as exc:  # report everything to the parent
                code = 99
                err.write(f"escaped main(): {type(exc).__name__}: {exc}\n")
        text = err.getvalue()
        answer = {"code": code, "stderr": text, "traceback": "Traceback" in text}
        sys.__stdout__.write(json.dumps(answer) + "\n")
        sys.__stdout__.flush()


if __name__ == "__main__":
    serve()
