"""Terminal-safe text for everything the planner prints: see :mod:`planner.core.printable`.

The escaping lives in the core so the review report (which may not import the io
layer) shows ids exactly as the text report does.
"""

from planner.core.printable import json_printable, printable

__all__ = ["json_printable", "printable"]
