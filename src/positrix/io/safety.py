"""Guards that keep user data safe: never write over an input, never overwrite silently."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from positrix.errors import OverwriteError

__all__ = ["check_writable"]


def check_writable(
    targets: Iterable[Path], *, overwrite: bool, inputs: Iterable[Path] = ()
) -> None:
    """Refuse to write ``targets`` that exist (unless ``overwrite``) or that are inputs.

    Raises
    ------
    OverwriteError
        Naming the first offending path and how to proceed.
    """
    protected = {Path(p).resolve() for p in inputs}
    for target in targets:
        resolved = Path(target).resolve()
        if resolved in protected:
            raise OverwriteError(
                "the output would replace the input file",
                source=target,
                fix="choose another output path",
            )
        if resolved.exists() and not overwrite:
            raise OverwriteError(
                "the output file already exists",
                source=target,
                fix="choose another output path, or pass --force (overwrite=True) to replace it",
            )
