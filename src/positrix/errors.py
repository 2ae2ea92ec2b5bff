"""The ``PositrixError`` family.

Every error a user can cause (a bad file, a missing field, a unit that cannot be parsed)
is raised as a subclass of :class:`PositrixError` whose message names the input, the
field and what to do about it.  The command line prints that one line and exits with
status 2; it never shows a traceback for these.
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "FileFormatError",
    "MissingFieldError",
    "OverwriteError",
    "PositrixError",
    "UnitError",
    "UnknownNuclideError",
]


class PositrixError(Exception):
    """Base class of every error Positrix raises on bad input.

    Parameters
    ----------
    problem
        What is wrong, in one sentence.
    source
        The file (or other input) the problem was found in, if any.
    field
        The header field, column or option concerned, if any.
    fix
        What the user can do about it.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | PathLike[str] | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = None if source is None else str(source)
        self.field = field
        self.fix = fix
        super().__init__(self._message())

    def with_source(self, source: str | PathLike[str]) -> PositrixError:
        """The same error naming ``source`` (unchanged if it already names one)."""
        if self.source:
            return self
        return type(self)(self.problem, source=source, field=self.field, fix=self.fix)

    def _message(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.field:
            parts.append(f"field '{self.field}'")
        head = ": ".join(parts)
        text = f"{head}: {self.problem}" if head else self.problem
        if self.fix:
            text = f"{text.rstrip('.')}. Fix: {self.fix}"
        return text


class FileFormatError(PositrixError):
    """A file is truncated, corrupt, of an unknown format or contradicts itself."""


class MissingFieldError(PositrixError):
    """A value needed for the requested computation is absent (weight, dose, time…)."""


class UnitError(PositrixError):
    """A unit or quantity could not be parsed or converted."""


class UnknownNuclideError(PositrixError):
    """A nuclide name is not in Positrix's nuclide table."""


class OverwriteError(PositrixError):
    """An operation would write over an existing file (or over its own input)."""
