"""The report's tables as data: cells made of a few kinds of text, rendered by both writers.

A table is built once from the report model (:mod:`planner.report.tables`); the HTML
writer and the Typst writer each render it with one generic renderer, so the two
formats cannot drift apart in what a table says.

A cell is a tuple of inline parts: plain text (``str``), a styled :class:`Span`, a
camera's :class:`Status`, a :class:`CameraLink`, a :class:`PageOf` reference, lines
(:class:`Lines`) or a :class:`Per` part that differs between the web page and the
printed page (the PDF has page numbers, a browser reflows its tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Where a part or a style shows: on the web page (HTML) or the printed page (PDF).
Medium = Literal["web", "print"]
#: ``strong`` bold; ``mono`` a hash or path in a monospaced face; ``small`` a side note;
#: ``id`` an identifier kept on one line; ``stale`` a claim not counted (red).
Style = Literal["strong", "mono", "small", "id", "stale"]


@dataclass(frozen=True, slots=True)
class Span:
    """``parts`` in ``style``; with ``only``, styled on that medium and plain on the other."""

    style: Style
    parts: Cell
    only: Medium | None = None


@dataclass(frozen=True, slots=True)
class Status:
    """A re-check status (``block``, ``warn``, ``clear``) in words and its colour."""

    key: str


@dataclass(frozen=True, slots=True)
class CameraLink:
    """A camera's id as a link to its section."""

    camera_id: str


@dataclass(frozen=True, slots=True)
class PageOf:
    """The page a camera's section starts on (the printed page only)."""

    camera_id: str


@dataclass(frozen=True, slots=True)
class Lines:
    """Parts set one under the other."""

    lines: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Per:
    """A part said one way on the web page and another (or not at all) on the printed page."""

    web: Cell = ()
    print: Cell = ()


Inline = str | Span | Status | CameraLink | PageOf | Lines | Per
#: One cell: its parts in order; ``()`` is an empty cell.
Cell = tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header, its width, and whether its numbers align right.

    ``width`` is the share of the page's width (HTML; None leaves it to the browser);
    ``track`` is the Typst column size where the printed page needs another (a
    flexible ``1fr`` or ``auto``). ``only`` keeps a column to one medium.
    """

    head: str
    width: str | None = None
    track: str | None = None
    numeric: bool = False
    only: Medium | None = None

    @property
    def typst_track(self) -> str:
        return self.track or self.width or "auto"


@dataclass(frozen=True, slots=True)
class Table:
    """A table with a header row; each row holds one cell per column."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def shown_on(self, medium: Medium) -> Table:
        """The table without the columns the other medium alone has."""
        keep = [i for i, c in enumerate(self.columns) if c.only in (None, medium)]
        if len(keep) == len(self.columns):
            return self
        return Table(
            tuple(self.columns[i] for i in keep),
            tuple(tuple(row[i] for i in keep) for row in self.rows),
        )


@dataclass(frozen=True, slots=True)
class Facts:
    """A two-column table of facts: a label in each row's header cell, then its value."""

    rows: tuple[tuple[str, Cell], ...]


def text(value: object) -> Cell:
    """A cell of one plain text."""
    return (str(value),)


def styled(style: Style, value: object, *, only: Medium | None = None) -> Cell:
    """A cell of one text in ``style``."""
    return (Span(style, (str(value),), only),)


__all__ = [
    "CameraLink",
    "Cell",
    "Column",
    "Facts",
    "Inline",
    "Lines",
    "Medium",
    "PageOf",
    "Per",
    "Span",
    "Status",
    "Style",
    "Table",
    "styled",
    "text",
]
