"""Run long work (full checks, loading data packs) off the GUI thread.

A :class:`Task` wraps a plain function ``fn(progress, cancel)``. It runs on one
Python worker thread (see :func:`worker_pool`); its results come back through the signals of a
:class:`TaskSignals` object that lives in the GUI thread, so connected slots run
there (queued). Workers never touch widgets.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

from planner.core.errors import CheckCancelled

#: ``work(progress, cancelled)``; progress takes (done, total) or (stage name, fraction).
Work = Callable[[Callable[[Any, Any], None], Callable[[], bool]], Any]


class TaskSignals(QObject):
    progress = Signal(object, object)  # (done, total) or (stage name, fraction)
    finished = Signal(object)
    failed = Signal(object)  # the exception
    cancelled = Signal()


class Task:
    """One unit of background work with progress and cooperative cancel.

    Not a ``QRunnable`` itself: the pool gets the bound :meth:`run`, which keeps
    the task (and its signals object) alive until the worker thread is done with it.
    """

    def __init__(self, work: Work, *, name: str = "task") -> None:
        self.work = work
        self.name = name
        self.signals = TaskSignals()
        self._cancel = threading.Event()
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        try:
            self.result = self.work(self.signals.progress.emit, self._cancel.is_set)
        except CheckCancelled:
            self.done.set()
            self.signals.cancelled.emit()
            return
        except Exception as exc:  # reported to the GUI as a message, never a traceback
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.error = exc
            self.done.set()
            self.signals.failed.emit(exc)
            return
        self.done.set()
        if self._cancel.is_set():
            self.signals.cancelled.emit()
        else:
            self.signals.finished.emit(self.result)


_POOL: ThreadPoolExecutor | None = None


def worker_pool() -> ThreadPoolExecutor:
    """One long-lived, Python-created worker thread for all app work.

    pyproj >= 3.7 keeps a PROJ context per thread in Python thread-specific
    storage and segfaults in threads that Python did not create, such as
    ``QThreadPool`` threads (pyproj issue #1509, fixed by PR #1539 after 3.7.2).
    So the work runs on a ``threading`` thread; results still come back through
    Qt signals, queued to the GUI thread. Tasks queue behind each other, which is
    what "load, then check" wants anyway.
    """
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="planner-worker")
    return _POOL


def start(task: Task, pool: ThreadPoolExecutor | None = None) -> Task:
    (pool or worker_pool()).submit(task.run)
    return task
