"""``--self-test`` proposes cameras on the demo with the exact solver, so an installed
build that lacks HiGHS (``highspy``) fails its self-test."""

from __future__ import annotations

import io
import re
import sys

from tests.app_support import app_env  # noqa: F401 (fixture)


def _self_test(tmp_path) -> tuple[int, str]:
    from planner.cli import main as cli_main
    from planner.commands.selftest import run_self_test

    out = io.StringIO()
    code = run_self_test(cli_main, out=out, folder=tmp_path / "self-test")
    return code, out.getvalue()


def test_self_test_proposes_with_highs(qapp, app_env, tmp_path) -> None:  # noqa: F811
    code, text = _self_test(tmp_path)
    assert code == 0, text
    line = re.search(r"^  ok   propose cameras \(HiGHS\)\s+\d+\.\d\d s  (.*)$", text, re.M)
    assert line, text
    assert "3 cameras, optimal" in line.group(1) and "all 3 clear under check" in line.group(1)


def test_self_test_fails_without_highs(qapp, app_env, tmp_path, monkeypatch) -> None:  # noqa: F811
    # A bundle that left the compiled solver out: importing it fails.
    monkeypatch.setitem(sys.modules, "highspy", None)
    code, text = _self_test(tmp_path)
    assert code == 1, text
    assert re.search(r"^  FAIL propose cameras \(HiGHS\)", text, re.M), text
    assert re.search(r"^  ok   check the embedded demo", text, re.M), text
