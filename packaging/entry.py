"""Entry script of the frozen build: the same ``main`` as the ``siting-planner`` console script.

The windowed Windows program (``SitingPlanner.exe``) has no standard streams: Python
sets ``sys.stdout`` and ``sys.stderr`` to ``None`` there, so they go to the null device
instead (what matters is in the log file; commands belong to ``siting-planner.exe``).
"""

import multiprocessing
import os
import sys
from pathlib import Path

# The report's Typst compile runs in a spawned child (planner.report.typst_compile): in a
# frozen program that child is this executable again, which must become the worker here.
multiprocessing.freeze_support()

if sys.stdout is None or sys.stderr is None:
    _null = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115  (for the whole run)
    sys.stdout = sys.stdout or _null
    sys.stderr = sys.stderr or _null

from planner.cli import main  # noqa: E402  (after the streams and the child hand-off)

raise SystemExit(main())
