"""PyInstaller hook: the commands ``planner.cli`` imports by name from its table.

``planner.cli.COMMANDS`` names each command's module and imports it only when that
command runs (``check`` never loads Qt); the analysis cannot follow a name, so every
module of :mod:`planner.commands` is collected here.
"""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("planner.commands")
