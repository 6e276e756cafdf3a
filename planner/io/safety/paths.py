"""Paths named inside files, and file names suggested from them.

A plan names its data pack. A plan sent by another department could name
``../../../secret.gpkg``, ``/mnt/other/x.gpkg`` or a network share
(``\\\\host\\share\\x.gpkg``, ``//host/share/x.gpkg``: opening it makes Windows
authenticate to that host). :func:`classify_pack_path` says where a named pack is, so
the app opens a pack beside the plan without asking, asks before anything else, and
never touches a network path before the user agreed.

A plan's own ``name`` is text, not a path: :func:`suggested_file_name` turns it into
a bare file name for *Save As*, so ``../../x`` cannot steer the dialog elsewhere.
"""

from __future__ import annotations

import enum
import ntpath
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath


class PackLocation(enum.Enum):
    """Where a pack named by a plan lies, seen from the plan's folder."""

    INSIDE = "inside"  # the plan's folder or below: opened without asking
    OUTSIDE = "outside"  # elsewhere on this machine: ask first
    NETWORK = "network"  # a UNC or network path: ask first, never touched before


@dataclass(frozen=True)
class PackPath:
    """A pack reference resolved against a plan's folder."""

    location: PackLocation
    path: Path
    text: str

    @property
    def needs_confirmation(self) -> bool:
        return self.location is not PackLocation.INSIDE


def is_network_path(text: str) -> bool:
    """``\\\\host\\share``, ``//host/share``, ``\\\\?\\UNC\\...`` and URLs are network paths."""
    t = text.strip()
    if t.startswith(("\\\\", "//")):
        return True
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", t):
        return True
    return t.lower().startswith("\\\\?\\unc\\")


def classify_pack_path(text: str, *, plan_folder: str | os.PathLike[str]) -> PackPath:
    """Classify the pack path ``text`` found in a plan saved in ``plan_folder``.

    Relative paths are taken relative to the plan's folder. Nothing is opened: a
    network path is classified from its spelling alone, without resolving it.
    """
    folder = Path(plan_folder)
    if is_network_path(text):
        return PackPath(PackLocation.NETWORK, Path(text), text)
    candidate = Path(text)
    if not candidate.is_absolute():
        candidate = folder / candidate
    # Resolve both sides without touching the file itself more than a stat would
    # (symlinks are followed, so a link in the plan's folder pointing out is "outside").
    resolved = Path(os.path.realpath(candidate))
    base = Path(os.path.realpath(folder))
    if is_network_path(str(resolved)):
        return PackPath(PackLocation.NETWORK, resolved, text)
    inside = resolved == base or base in resolved.parents
    return PackPath(PackLocation.INSIDE if inside else PackLocation.OUTSIDE, resolved, text)


_BAD_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u202a-\u202e\u2066-\u2069]')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$", re.IGNORECASE)


def suggested_file_name(name: str, *, suffix: str = ".plan.geojson", fallback: str = "plan") -> str:
    """A bare file name for *Save As* made from a plan's name: no folders, no ``..``.

    Examples
    --------
    >>> suggested_file_name("../../etc/x")
    'x.plan.geojson'
    >>> suggested_file_name("Downtown: phase 2")
    'Downtown_ phase 2.plan.geojson'
    """
    # Only the last component of either path style survives.
    base = PureWindowsPath(ntpath.basename(name)).name
    base = PurePosixPath(base.replace("\\", "/")).name
    base = _BAD_NAME_CHARS.sub("_", base).strip(" .")
    if not base or base in (".", "..") or _WINDOWS_RESERVED.match(base):
        base = fallback
    base = base[:120]
    return base if base.lower().endswith(suffix) else base + suffix
