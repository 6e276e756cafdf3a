"""Autosave to a recovery file and the offer to recover after a crash (SPEC 7).

After every committed change (debounced, written on a background thread,
atomically) the document goes to ``<recovery dir>/<hash>.plan.geojson`` with a JSON
sidecar naming the original path and the time. A clean save or a clean close
removes both; if they are still there at the next start, the app crashed and offers
them back.

The folder is ``QStandardPaths.AppDataLocation/recovery`` unless
``SITING_PLANNER_RECOVERY_DIR`` names another (tests use a temporary one).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from planner.app.siting.document import PlanDocument, now_iso
from planner.io.safety.atomic import atomic_write_text

RECOVERY_ENV = "SITING_PLANNER_RECOVERY_DIR"
AUTOSAVE_MS = 60_000
#: A change is written this long after the last one of a burst (arrow-key nudges).
DEBOUNCE_MS = 300


def recovery_dir() -> Path:
    override = os.environ.get(RECOVERY_ENV)
    if override:
        return Path(override)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".siting-planner") / "recovery"


@dataclass(frozen=True)
class RecoveryFile:
    plan_path: Path
    sidecar_path: Path
    original: Path | None
    saved_at: str


def _key(path: Path | None, session: str) -> str:
    text = str(path.resolve()) if path is not None else f"untitled-{session}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def find_recovery_files(folder: Path | None = None) -> list[RecoveryFile]:
    """Recovery files left by a previous run, newest first; unreadable sidecars are skipped."""
    folder = folder or recovery_dir()
    found: list[RecoveryFile] = []
    if not folder.is_dir():
        return found
    for sidecar in folder.glob("*.json"):
        plan = folder / (sidecar.name.removesuffix(".json") + ".plan.geojson")
        if not plan.is_file():
            continue
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        original = meta.get("original")
        found.append(
            RecoveryFile(
                plan, sidecar, Path(original) if original else None, str(meta.get("saved_at", ""))
            )
        )
    found.sort(key=lambda r: r.saved_at, reverse=True)
    return found


def discard(rec: RecoveryFile) -> None:
    for p in (rec.plan_path, rec.sidecar_path):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


class Autosaver(QObject):
    """Writes the document to its recovery file after every committed change.

    Each push, undo or redo on the document's undo stack restarts a short debounce
    timer; when it fires, the plan is serialised here (a consistent snapshot of the
    GUI thread's state) and written atomically on a background thread, so a crash
    loses at most the gesture in progress and a large plan never stalls the window.
    Writes and removals go through one thread, in order. ``interval_ms`` is a safety
    net for changes that bypass the undo stack.
    """

    failed = Signal(str)

    def __init__(
        self,
        doc: PlanDocument,
        *,
        folder: Path | None = None,
        interval_ms: int = AUTOSAVE_MS,
        debounce_ms: int = DEBOUNCE_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.folder = folder or recovery_dir()
        self.session = f"{os.getpid()}-{id(self):x}"
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(debounce_ms)
        self.debounce.timeout.connect(self.autosave)
        self._current: tuple[Path, Path] | None = None
        self._written: tuple[int, int] | None = None  # (undo index, edits) last written
        self._edits = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="planner-autosave")
        self._pending: Future[None] | None = None
        self._closed = False
        #: The ``data_pack`` link to store with the snapshot (the main window supplies the
        #: pack in force), so a recovered untitled plan is judged by the same data.
        self.pack_link: Callable[[], dict[str, Any] | None] = lambda: None
        doc.path_changed.connect(self._path_changed)
        doc.undo_stack.indexChanged.connect(self._changed)
        self.failed.connect(self._report)

    def _changed(self, *_args: object) -> None:
        self._edits += 1
        self.debounce.start()

    def paths(self) -> tuple[Path, Path]:
        key = _key(self.doc.path, self.session)
        return self.folder / f"{key}.plan.geojson", self.folder / f"{key}.json"

    def autosave(self) -> Path | None:
        """Queue a write of the recovery file if there are unsaved changes; returns its path.

        Back at the saved state (undone to clean), the recovery file is removed instead.
        """
        self.debounce.stop()
        if self._closed:
            return None
        if not self.doc.dirty:
            if self._current is not None:
                self.clear()
            return None
        state = (self.doc.undo_stack.index(), self._edits)
        if state == self._written and self._current is not None:
            return self._current[0]
        from planner.io.formats.plan import PACK_LINK_KEY, plan_to_geojson

        plan_path, sidecar = self.paths()
        data = plan_to_geojson(self.doc.plan)  # a snapshot, taken on the GUI thread
        link = self.pack_link()
        if link:
            data["siting_plan"][PACK_LINK_KEY] = link
        text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
        side = json.dumps(
            {
                "original": str(self.doc.path) if self.doc.path else None,
                "saved_at": now_iso(),
                "pid": os.getpid(),
            }
        )
        self._pending = self._executor.submit(self._write, plan_path, text, sidecar, side)
        self._current = (plan_path, sidecar)
        self._written = state
        return plan_path

    def _write(self, plan_path: Path, text: str, sidecar: Path, side: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(plan_path, text)
            # the sidecar last: a recovery file is offered only once it is complete
            atomic_write_text(sidecar, side)
        except OSError as exc:  # a full disk must not take the session down
            self.failed.emit(f"Autosave failed: {exc}")

    def _report(self, text: str) -> None:
        self.doc.set_message(text)

    def flush(self, timeout_s: float = 10.0) -> None:
        """Write a pending change now and wait until every queued write is on disk."""
        if self._closed:
            return
        if self.debounce.isActive():
            self.autosave()
        done: Future[None] = self._executor.submit(lambda: None)
        done.result(timeout=timeout_s)

    def _unlink(self, pairs: list[tuple[Path, Path]]) -> None:
        for pair in pairs:
            for p in pair:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()

    def clear(self) -> None:
        """Remove this session's recovery file (after a clean save or close)."""
        self.debounce.stop()
        if self._closed:
            return
        pairs = [pair for pair in (self._current, self.paths()) if pair is not None]
        self._current = None
        self._written = None
        self._executor.submit(self._unlink, pairs).result(timeout=10.0)

    def _path_changed(self, _path: object) -> None:
        # Saved under a new name: the old key's recovery file is obsolete.
        if self._current is not None and not self._closed:
            old = self._current
            self._current = None
            self._written = None
            self._executor.submit(self._unlink, [old])

    def shutdown(self) -> None:
        """Stop the timers and finish queued writes (the window is closing)."""
        self.timer.stop()
        self.debounce.stop()
        self._closed = True
        self._executor.shutdown(wait=True)
