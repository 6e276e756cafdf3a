"""Which data packs this user's planner has already validated in full, by content hash.

Validating the geometry of a citywide pack's buildings and streets costs seconds on
every load. Skipping it must not rest on anything the pack itself says: a
``gpkg_contents.last_change`` timestamp (or any value in the file) can be left
unchanged by whoever edited the file. So the planner keeps its own record, outside
any pack, of the SHA-256 of each pack it has validated in full; a pack whose bytes
hash to a recorded digest was validated by this planner and is read quickly, any
other is validated again.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from planner.io.safety.atomic import atomic_write_text

#: Digests kept (most recent last); older ones are forgotten.
MAX_ENTRIES = 64
_LOCK = threading.Lock()


def _store() -> Path | None:
    override = os.environ.get("SITING_PLANNER_CACHE_DIR")
    if override:
        return Path(override) / "validated-packs.json"
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        return None
    return Path(platformdirs.user_cache_dir("siting-planner")) / "validated-packs.json"


def _load(store: Path) -> list[str]:
    try:
        data = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    return [d for d in data if isinstance(d, str) and len(d) == 64][-MAX_ENTRIES:]


def was_validated(digest: str) -> bool:
    """Whether a pack with this SHA-256 was validated in full by this planner."""
    store = _store()
    if store is None:
        return False
    with _LOCK:
        return digest in _load(store)


def remember_validated(digest: str) -> None:
    """Record that a pack with this SHA-256 passed full validation (best effort)."""
    store = _store()
    if store is None:
        return
    with _LOCK:
        digests = [d for d in _load(store) if d != digest]
        digests.append(digest)
        try:
            store.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(store, json.dumps(digests[-MAX_ENTRIES:]))
        except (OSError, ValueError):
            return
