"""The ``siting-planner`` commands, one module each, behind the one dispatcher (:mod:`planner.cli`).

A command parses its arguments, runs the work in :mod:`planner.io` (and the app, for the windows
and the PDF writer) and prints; nothing below imports a command."""
