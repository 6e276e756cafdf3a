"""SHA-256 of large layer files, remembered between runs while the file is unchanged.

Every check reports the sha256 of each layer it read (SPEC 6). Hashing a citywide
data pack (130 MB) costs more than checking a small plan against it, so the digest
is kept in the user's cache folder, keyed by what the operating system says about
the file: device, inode, size, modification time and status-change time, all in
nanoseconds. Any write to the file changes its ctime, which no user can set back.
As git does for its index, a digest taken less than :data:`RACY_S` after the file's
last change is not trusted later: a write within the same clock tick could
otherwise leave every key unchanged. Any doubt (no cache folder, a damaged cache
file, a stat that differs) means the file is hashed again.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from planner.io.safety.common import sha256_file

#: Files smaller than this are simply hashed.
MIN_CACHED_BYTES = 8 * 1024 * 1024
#: A digest taken this soon after the file's last change is not reused.
RACY_S = 2.0
_MAX_ENTRIES = 64
_ENV = "SITING_PLANNER_CACHE_DIR"
_lock = threading.Lock()


def cache_file() -> Path | None:
    """Where digests are kept: ``$SITING_PLANNER_CACHE_DIR`` or the user cache folder."""
    env = os.environ.get(_ENV)
    if env is not None:
        return Path(env) / "sha256.json" if env else None
    try:
        import platformdirs
    except ImportError:
        return None
    return Path(platformdirs.user_cache_dir("siting-planner", appauthor=False)) / "sha256.json"


def _key(st: os.stat_result) -> list[int]:
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def cached_sha256(path: str | Path) -> str:
    """The sha256 (hex) of ``path``, from the cache when the file provably did not change."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return sha256_file(p)  # reports the error in the usual form
    where = cache_file()
    if where is None or st.st_size < MIN_CACHED_BYTES:
        return sha256_file(p)
    name = str(p.resolve())
    with _lock:
        entries = _load(where)
        hit = entries.get(name)
        if (
            isinstance(hit, dict)
            and hit.get("key") == _key(st)
            and isinstance(hit.get("sha256"), str)
            and isinstance(hit.get("hashed_ns"), int)
            and hit["hashed_ns"] - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_S * 1e9
        ):
            return str(hit["sha256"])
    hashed_ns = time.time_ns()
    digest = sha256_file(p)
    try:
        after = p.stat()
    except OSError:
        return digest
    if _key(after) != _key(st):
        return digest  # changed while hashing: report it, remember nothing
    with _lock:
        entries = _load(where)
        entries.pop(name, None)
        entries[name] = {"key": _key(st), "sha256": digest, "hashed_ns": hashed_ns}
        while len(entries) > _MAX_ENTRIES:
            entries.pop(next(iter(entries)))
        _save(where, entries)
    return digest


def _load(where: Path) -> dict[str, Any]:
    try:
        if where.stat().st_size > 1_000_000:
            return {}
        data = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(where: Path, entries: dict[str, Any]) -> None:
    # A cache that cannot be written is no error: the next run hashes again.
    with contextlib.suppress(OSError):
        where.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=where.parent, prefix=".sha256-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entries, fh)
            Path(tmp).replace(where)
        except OSError:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise
