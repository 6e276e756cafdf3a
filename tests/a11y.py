"""Run axe-core (the accessibility engine of Deque, npm ``axe-core``) on an HTML file in
headless Chromium, offline, and return its violations at WCAG 2.1 A and AA.

No browser driver is needed: a copy of the page loads ``axe.min.js`` from disk and
writes the violations into the DOM, which Chromium's ``--dump-dom`` prints.

Where: ``AXE_CORE_JS`` names ``axe.min.js`` (else the global npm folder is searched);
``CHROMIUM`` names the browser (else ``chromium``, ``chromium-browser``,
``google-chrome`` on the PATH). :func:`checker` says what is missing.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe() -> Path | None:
    env = os.environ.get("AXE_CORE_JS")
    if env:
        return Path(env) if Path(env).is_file() else None
    npm = shutil.which("npm")
    if npm is None:
        return None
    try:
        root = subprocess.run(
            [npm, "root", "-g"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(root) / "axe-core" / "axe.min.js"
    return path if path.is_file() else None


def _browser() -> str | None:
    env = os.environ.get("CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def checker() -> tuple[Path, str] | str:
    """``(axe.min.js, browser)``, or why the check cannot run here."""
    axe, browser = _axe(), _browser()
    if axe is None:
        return "axe-core is not installed (npm install -g axe-core, or set AXE_CORE_JS)"
    if browser is None:
        return "no headless Chromium (apt-get install chromium, or set CHROMIUM)"
    return axe, browser


def violations(page: Path, *, tags: list[str] | None = None, timeout: float = 240.0) -> list[dict]:
    """axe-core's violations of ``page`` (an HTML file) at ``tags`` (WCAG 2.1 A/AA)."""
    found = checker()
    if isinstance(found, str):
        raise RuntimeError(found)
    axe, browser = found
    run = (
        "<script>axe.run(document, {runOnly: {type: 'tag', values: "
        + json.dumps(tags or WCAG_21_AA)
        + "}, resultTypes: ['violations']}).then(function (r) {"
        "var out = r.violations.map(function (v) { return {id: v.id, impact: v.impact,"
        " help: v.help, nodes: v.nodes.slice(0, 5).map(function (n) {"
        " return n.target.join(' ') + ': ' + n.failureSummary; })}; });"
        "var pre = document.createElement('pre'); pre.id = 'axe-result';"
        "pre.textContent = JSON.stringify(out); document.body.appendChild(pre);"
        "}, function (e) { var pre = document.createElement('pre'); pre.id = 'axe-result';"
        "pre.textContent = JSON.stringify({error: String(e)});"
        " document.body.appendChild(pre); });</script>"
    )
    text = page.read_text(encoding="utf-8")
    inject = f'<script src="{axe.as_uri()}"></script>{run}'
    text = text.replace("</body>", inject + "</body>", 1)
    with tempfile.TemporaryDirectory() as td:
        copy = Path(td) / "page.html"
        copy.write_text(text, encoding="utf-8")
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--allow-file-access-from-files",
                f"--user-data-dir={td}/profile",
                "--virtual-time-budget=120000",
                "--dump-dom",
                copy.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    m = re.search(r'<pre id="axe-result">(.*?)</pre>', done.stdout, re.S)
    if m is None:
        msg = f"axe-core gave no result: {done.stderr.strip()[-500:]}"
        raise RuntimeError(msg)
    result = json.loads(html.unescape(m.group(1)))
    if isinstance(result, dict):
        msg = f"axe-core failed: {result.get('error')}"
        raise RuntimeError(msg)
    return result
