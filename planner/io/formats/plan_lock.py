"""Every writer of a plan file goes through here, so no writer loses another's work.

Two mechanisms, one per kind of writer:

- **Read-modify-write** (``review --decide``, any headless edit): :func:`update_plan`
  takes the plan's lock, reads the file as it is now, lets the caller change the
  plan in memory, and writes it back before letting go. Twenty ``--decide`` runs at
  once each add their decision; none is lost. Whatever the caller did not change is
  written back as the file held it: foreign GeoJSON members (top level, in
  ``siting_plan`` and on each feature), a camera's third coordinate and every digit
  of its coordinates (:func:`merge_into_document`).
- **Save of an edited copy** (the main window): :func:`save_plan` takes the same
  lock and compares the file's sha256 with the one it had when the window read it.
  When another writer recorded something meanwhile, the review decisions, review
  sessions and audit entries on disk that the window does not hold are merged into
  the window's plan before it is written, and the caller is told how many; a file
  that is no longer a readable plan is refused, never overwritten.

The lock is an advisory ``fcntl.flock`` on ``.<plan name>.lock`` beside the plan
(opened ``O_NOFOLLOW``), removed by its holder before letting go; a writer that
locked a file no longer at that name locks again, so two writers never hold two
different files of one name. Where ``fcntl`` is missing (Windows) the lock file is
created with ``O_EXCL`` and removed afterwards; one left by a killed writer is taken
over after :data:`STALE_LOCK_S`.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.core.errors import InputError
from planner.core.model import Plan
from planner.io.safety.atomic import replace_target, temp_prefix

#: How long a writer waits for another to finish before giving up with a message.
LOCK_TIMEOUT_S = 30.0
#: An ``O_EXCL`` lock file untouched this long belongs to no running writer.
STALE_LOCK_S = 120.0


def lock_path(plan_path: str | os.PathLike[str]) -> Path:
    """The lock file of a plan: ``.<name>.lock`` beside it (name shortened to fit)."""
    target = replace_target(plan_path)
    return target.parent / f"{temp_prefix(target)}lock"


@contextlib.contextmanager
def plan_lock(
    plan_path: str | os.PathLike[str], *, timeout_s: float = LOCK_TIMEOUT_S
) -> Iterator[None]:
    """Hold the plan's write lock for the block (blocking up to ``timeout_s``).

    Raises
    ------
    InputError
        When the lock cannot be taken: another writer holds it for too long, or
        the folder is not writable.
    """
    path = lock_path(plan_path)
    try:
        import fcntl
    except ImportError:  # Windows
        with _exclusive_file_lock(path, plan_path, timeout_s):
            yield
        return
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as exc:
            raise InputError(plan_path, "", _cannot_lock(exc)) from None
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise InputError(plan_path, "", _busy(timeout_s)) from None
                    time.sleep(0.02)
                except OSError as exc:  # a file system without locks (some network shares)
                    raise InputError(plan_path, "", _cannot_lock(exc)) from None
            # the holder before us removes the file as it lets go: a lock on a file no
            # longer at that name locks nothing, so take the lock again on the new one
            held = os.fstat(fd)
            try:
                now = path.lstat()
            except FileNotFoundError:
                now = None
        except BaseException:
            os.close(fd)
            raise
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            break
        os.close(fd)
    try:
        yield
    finally:
        # removed while still held, so no lock file is left beside the plan
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)  # releases the flock


@contextlib.contextmanager
def _exclusive_file_lock(
    path: Path, plan_path: str | os.PathLike[str], timeout_s: float
) -> Iterator[None]:
    deadline = time.monotonic() + timeout_s
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    while True:
        try:
            fd = os.open(path, flags, 0o644)
            break
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - path.lstat().st_mtime > STALE_LOCK_S:
                    path.unlink()
                    continue
            if time.monotonic() > deadline:
                raise InputError(plan_path, "", _busy(timeout_s)) from None
            time.sleep(0.05)
        except OSError as exc:
            raise InputError(plan_path, "", _cannot_lock(exc)) from None
    os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def _busy(timeout_s: float) -> str:
    return (
        f"another program has been writing this plan for over {timeout_s:g} s; "
        "nothing was saved, try again"
    )


def _cannot_lock(exc: OSError) -> str:
    return f"cannot lock the plan for writing: {exc.strerror or exc}; nothing was saved"


# ----------------------------------------------------------------- read-modify-write


def _read_document(path: Path) -> tuple[bytes, Any, Plan]:
    from planner.io.formats.plan import MAX_PLAN_BYTES, plan_from_geojson
    from planner.io.safety.common import parse_json, read_bytes_checked

    data = read_bytes_checked(path, max_bytes=MAX_PLAN_BYTES)
    doc = parse_json(data, path)
    return data, doc, plan_from_geojson(doc, source=str(path))


def merge_into_document(doc: dict[str, Any], before: Plan, after: Plan) -> dict[str, Any]:
    """``doc`` (the file as parsed) changed only where ``after`` differs from ``before``.

    A camera ``after`` holds unchanged is written back as the file held it, members
    and digits alike; a changed one keeps its foreign feature members. Of
    ``siting_plan``, only the members whose value the change altered are replaced
    (in place), added (at the end) or removed.
    """
    from planner.io.formats.plan import camera_to_feature, plan_to_geojson

    out = dict(doc)
    raw_meta = doc.get("siting_plan")
    old_meta = raw_meta if isinstance(raw_meta, dict) else {}
    was = plan_to_geojson(before)["siting_plan"]
    now = plan_to_geojson(after)["siting_plan"]
    # only the members the change touched: the rest stay as the file wrote them
    meta = dict(old_meta)
    for key, value in now.items():
        if key not in was or was[key] != value:
            meta[key] = value
    for key in was:
        if key not in now:
            meta.pop(key, None)
    out["siting_plan"] = meta
    raw = {f.get("id"): f for f in doc.get("features", []) if isinstance(f, dict)}
    old = {c.id: c for c in before.cameras}
    features = []
    for cam in after.cameras:
        feat = raw.get(cam.id)
        if feat is not None and old.get(cam.id) == cam:
            features.append(feat)
            continue
        new = camera_to_feature(cam)
        if feat is not None:
            new = {**feat, **new}
        features.append(new)
    out["features"] = features
    return out


def dumps_document(doc: dict[str, Any]) -> str:
    """A plan document as the planner writes every plan (see
    :func:`planner.io.formats.plan.dumps_plan`).
    """
    return json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def update_plan(
    path: str | os.PathLike[str],
    change: Callable[[Plan], object],
    *,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> Plan:
    """Read the plan at ``path``, apply ``change`` and write it back, all under its lock.

    ``change`` edits the plan in memory (and may raise to write nothing). Returns the
    plan as written. The ``modified`` stamp is the caller's to set.

    Raises
    ------
    InputError
        The file is not a readable plan, the lock cannot be taken, ``change``
        refused, or the file cannot be written (the old file then stays).
    """
    from planner.io.safety.atomic import atomic_write_text
    from planner.io.safety.outputs import cannot_write

    target = Path(path)
    with plan_lock(target, timeout_s=timeout_s):
        _, doc, plan = _read_document(target)
        before = copy.deepcopy(plan)
        change(plan)
        text = dumps_document(merge_into_document(doc, before, plan))
        try:
            atomic_write_text(target, text)
        except OSError as exc:
            raise InputError(target, "", cannot_write(exc, target)) from None
    return plan


# ------------------------------------------------------------------ save of a copy


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """What :func:`save_plan` did: the file's new sha256 and what it merged."""

    sha256: str
    merged_decisions: int = 0
    merged_audit: int = 0

    @property
    def merged(self) -> bool:
        return bool(self.merged_decisions or self.merged_audit)

    def message(self) -> str:
        """One sentence for the user, or ``""`` when nothing was merged."""
        if not self.merged:
            return ""

        def count(n: int, one: str, many: str) -> str:
            return f"{n} {one if n == 1 else many}"

        parts = [
            count(self.merged_decisions, "review decision", "review decisions"),
            count(self.merged_audit, "audit entry", "audit entries"),
        ]
        return (
            "The plan file had changed on disk since it was opened: "
            f"{' and '.join(parts)} recorded there meanwhile were kept and saved with "
            "your changes."
        )


def file_sha256(path: str | os.PathLike[str]) -> str | None:
    """The sha256 of the file's bytes now, or None when it cannot be read."""
    from planner.io.safety.common import sha256_file

    try:
        return sha256_file(Path(path))
    except OSError:
        return None


def merge_recorded(plan: Plan, disk: Plan) -> tuple[int, int]:
    """Add to ``plan`` the review records and audit entries only ``disk`` holds.

    Returns ``(review records added, audit entries added)``. Records are compared as
    whole JSON objects, so one recorded twice is not duplicated.
    """
    from planner.io.formats.review_store import REVIEW_KEY

    added_review = 0
    theirs = disk.meta.extra.get(REVIEW_KEY)
    if isinstance(theirs, dict):
        ours_raw = plan.meta.extra.get(REVIEW_KEY)
        ours: dict[str, Any] = dict(ours_raw) if isinstance(ours_raw, dict) else {}
        for key, value in theirs.items():
            if isinstance(value, list):
                mine = list(ours.get(key) or [])
                seen = {json.dumps(v, sort_keys=True) for v in mine}
                for item in value:
                    if json.dumps(item, sort_keys=True) not in seen:
                        mine.append(item)
                        added_review += key == "decisions"
                ours[key] = mine
            else:
                ours.setdefault(key, value)
        plan.meta.extra[REVIEW_KEY] = ours
    have = set(plan.meta.audit)
    new_audit = [a for a in disk.meta.audit if a not in have]
    plan.meta.audit.extend(new_audit)
    return added_review, len(new_audit)


def save_plan(
    plan: Plan,
    path: str | os.PathLike[str],
    *,
    expected_sha256: str | None,
    touch: bool = True,
    timeout_s: float = LOCK_TIMEOUT_S,
) -> SaveOutcome:
    """Write an edited plan over ``path``, keeping what others recorded there meanwhile.

    ``expected_sha256`` is the file's sha256 when the editor read (or last saved) it;
    None when the editor never read this file (a new file, Save As elsewhere).

    Raises
    ------
    InputError
        The file changed and is no longer a readable plan (nothing written: save
        under another name), the lock cannot be taken, or the write failed.
    """
    from planner.io.formats.plan import dumps_plan, now_iso
    from planner.io.safety.atomic import atomic_write_text
    from planner.io.safety.common import sha256_bytes
    from planner.io.safety.outputs import cannot_write

    target = Path(path)
    decisions = audit = 0
    with plan_lock(target, timeout_s=timeout_s):
        if expected_sha256 is not None:
            now = file_sha256(target)
            if now is not None and now != expected_sha256:
                try:
                    _, _, disk = _read_document(target)
                except InputError as exc:
                    msg = (
                        "changed on disk since it was opened and is no longer a plan this "
                        f"planner can read ({exc.what}); nothing saved: use Save As"
                    )
                    raise InputError(target, "", msg) from None
                decisions, audit = merge_recorded(plan, disk)
        if touch:
            stamp = now_iso()
            plan.meta.modified = stamp
            if not plan.meta.created:
                plan.meta.created = stamp
        text = dumps_plan(plan)
        try:
            atomic_write_text(target, text)
        except OSError as exc:
            raise InputError(target, "", cannot_write(exc, target)) from None
    return SaveOutcome(
        sha256=sha256_bytes(text.encode("utf-8")), merged_decisions=decisions, merged_audit=audit
    )


def read_plan_with_sha256(path: str | os.PathLike[str]) -> tuple[Plan, str]:
    """Read a plan and the sha256 of exactly the bytes read (for :func:`save_plan`)."""
    from planner.io.safety.common import sha256_bytes

    data, _, plan = _read_document(Path(path))
    return plan, sha256_bytes(data)


__all__ = [
    "SaveOutcome",
    "dumps_document",
    "file_sha256",
    "lock_path",
    "merge_into_document",
    "merge_recorded",
    "plan_lock",
    "read_plan_with_sha256",
    "save_plan",
    "update_plan",
]
