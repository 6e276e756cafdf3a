"""Typst's compile of the report, run in a child process of its own.

Laying out 160+ pages of tables and 360+ vector maps takes Typst a few hundred MB that
it holds until the compile ends. In the desktop app that came on top of the window's
own pack, map and re-check (the main window's peak after a report was ~850 MB); a
child process gives it all back when it exits, so the window's peak stays what the
window itself needs. The child is started with ``spawn`` (no fork of a Qt process) and
imports only Typst.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _compile(source: str, output: str, root: str, standards: list[str]) -> str | None:
    """Compile in the child; returns Typst's error message, or None when the PDF is written.

    The message travels as text: Typst's exception class need not survive pickling.
    """
    import typst

    try:
        typst.compile(
            source,
            output=output,
            root=root,
            pdf_standards=standards,
            # the maps' text is set in the system font Qt measured it with; the body
            # text in the fonts Typst carries (named in the source)
            ignore_system_fonts=False,
        )
    except typst.TypstError as exc:
        return str(exc)
    return None


def compile_pdf(source: Path, output: Path, *, root: Path, standards: list[str]) -> str | None:
    """Compile ``source`` to ``output`` in a child process.

    Returns
    -------
    str or None
        Typst's error message when the compile failed, else None.
    """
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(_compile, str(source), str(output), str(root), standards).result()
