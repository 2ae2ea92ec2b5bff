"""Guards that keep user data safe: never write over an input, never overwrite silently."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from positrix.errors import OverwriteError, PositrixError

__all__ = ["check_folder", "check_suffix", "check_writable"]

#: Plot formats matplotlib writes without extra software.
PLOT_SUFFIXES = (".png", ".pdf", ".svg")


def check_suffix(path: str | Path, allowed: Iterable[str], *, field: str) -> None:
    """Refuse an output whose name does not end in one of ``allowed`` (``".csv"``…).

    Examples
    --------
    >>> check_suffix("tacs.csv", (".csv", ".tsv"), field="-o")
    """
    allowed = tuple(allowed)
    if not str(path).lower().endswith(allowed):
        raise PositrixError(
            f"cannot write this format: the name must end in {', '.join(allowed)}",
            source=path,
            field=field,
            fix=f"name the output e.g. {Path(path).stem}{allowed[0]}",
        )


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


def check_folder(path: str | Path, *, field: str, holds: str) -> Path:
    """Refuse an output folder that exists as a file; returns the path.

    Examples
    --------
    >>> check_folder("maps", field="--output", holds="the maps").name
    'maps'
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise PositrixError(
            f"{field} names a folder for {holds}, and this is a file",
            source=folder,
            field=field,
            fix="give a folder name (it is created)",
        )
    return folder
