"""Errors that describe bad input for a person, never as a traceback."""

from __future__ import annotations

from os import PathLike


class InputError(ValueError):
    """Bad input: names the file, the place in it and what is wrong.

    ``str(err)`` gives ``"<file>: <where>: <what>"``, the form SPEC 6 prints after
    ``error: ``. ``where`` may be empty when the whole file is at fault.
    """

    def __init__(self, file: str | PathLike[str], where: str, what: str) -> None:
        self.file = str(file)
        self.where = where
        self.what = what
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.file, self.where, self.what] if self.where else [self.file, self.what]
        return ": ".join(parts)


class CheckCancelled(Exception):
    """Raised inside long work when the caller's cancel callback says stop."""
