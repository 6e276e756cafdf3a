"""Autosave to a recovery file and the offer to recover after a crash (SPEC 7).

Every ``interval_ms`` a dirty document is written (atomically) to
``<recovery dir>/<hash>.plan.geojson`` with a JSON sidecar naming the original
path and the time. A clean save or a clean close removes both; if they are still
there at the next start, the app crashed and offers them back.

The folder is ``QStandardPaths.AppDataLocation/recovery`` unless
``SITING_PLANNER_RECOVERY_DIR`` names another (tests use a temporary one).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer

from planner.app.document import PlanDocument, now_iso

RECOVERY_ENV = "SITING_PLANNER_RECOVERY_DIR"
AUTOSAVE_MS = 60_000


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
            RecoveryFile(plan, sidecar, Path(original) if original else None,
                         str(meta.get("saved_at", "")))
        )
    found.sort(key=lambda r: r.saved_at, reverse=True)
    return found


def discard(rec: RecoveryFile) -> None:
    for p in (rec.plan_path, rec.sidecar_path):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


class Autosaver(QObject):
    """Writes the document to its recovery file every ``interval_ms`` while it is dirty."""

    def __init__(self, doc: PlanDocument, *, folder: Path | None = None,
                 interval_ms: int = AUTOSAVE_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.folder = folder or recovery_dir()
        self.session = f"{os.getpid()}-{id(self):x}"
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()
        self._current: tuple[Path, Path] | None = None
        doc.path_changed.connect(self._path_changed)

    def paths(self) -> tuple[Path, Path]:
        key = _key(self.doc.path, self.session)
        return self.folder / f"{key}.plan.geojson", self.folder / f"{key}.json"

    def autosave(self) -> Path | None:
        """Write the recovery file now if the document is dirty; returns its path."""
        if not self.doc.dirty:
            return None
        from planner.io.plan import write_plan

        plan_path, sidecar = self.paths()
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            write_plan(self.doc.plan, plan_path)
            tmp = sidecar.with_name(sidecar.name + ".tmp")
            tmp.write_text(
                json.dumps({"original": str(self.doc.path) if self.doc.path else None,
                            "saved_at": now_iso(), "pid": os.getpid()}),
                encoding="utf-8",
            )
            tmp.replace(sidecar)
        except OSError as exc:  # a full disk must not take the session down
            self.doc.set_message(f"Autosave failed: {exc}")
            return None
        self._current = (plan_path, sidecar)
        return plan_path

    def clear(self) -> None:
        """Remove this session's recovery file (after a clean save or close)."""
        for pair in (self._current, self.paths()):
            if pair is None:
                continue
            for p in pair:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
        self._current = None

    def _path_changed(self, _path: object) -> None:
        # Saved under a new name: the old key's recovery file is obsolete.
        if self._current is not None:
            for p in self._current:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
            self._current = None
