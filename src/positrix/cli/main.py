"""Entry point of the ``positrix`` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence

from positrix import __version__
from positrix.cli import (
    cardiac,
    convert,
    ct,
    decay,
    demo,
    dose,
    edit,
    evaluate,
    facility,
    frames,
    group,
    hotel,
    info,
    kinetics,
    nema,
    neuro,
    node,
    nuclide,
    pharmacy,
    process,
    production,
    quant,
    recon,
    register,
    resample,
    scanner,
    serve,
    simulate,
    snapshot,
)
from positrix.errors import PositrixError

__all__ = ["build_parser", "iter_parsers", "main"]

EXIT_USAGE = 2
EXIT_INTERNAL = 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="positrix", description="Preclinical PET/CT from raw data to report."
    )
    parser.add_argument("--version", action="version", version=f"positrix {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (info, convert, edit, resample, snapshot, nuclide, decay, demo):
        module.add_parser(subparsers)
    frames.add_parsers(subparsers)
    quant.add_parsers(subparsers)
    quant.add_study_parsers(subparsers)
    group.add_parser(subparsers)
    kinetics.add_parser(subparsers)
    recon.add_parser(subparsers)
    simulate.add_parser(subparsers)
    nema.add_parser(subparsers)
    facility.add_parser(subparsers)
    serve.add_parser(subparsers)
    node.add_parser(subparsers)
    process.add_parsers(subparsers)
    hotel.add_parser(subparsers)
    production.add_parsers(subparsers)
    pharmacy.add_parser(subparsers)
    dose.add_parser(subparsers)
    ct.add_parser(subparsers)
    register.add_parser(subparsers)
    neuro.add_parser(subparsers)
    cardiac.add_parser(subparsers)
    scanner.add_parser(subparsers)
    evaluate.add_parser(subparsers)
    return parser


def iter_parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser under ``parser`` with its command path, depth first.

    Examples
    --------
    >>> paths = [p for p, _ in iter_parsers(build_parser())]
    >>> ("kinetics", "fit") in paths and () in paths
    True
    """
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from iter_parsers(child, (*path, name))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input, no traceback)."""
    args = build_parser().parse_args(argv)
    name = " ".join(
        str(value)
        for key, value in vars(args).items()
        if key == "command" or (key.endswith("_command") and value)
    )
    try:
        return int(args.run(args))
    except PositrixError as err:
        print(f"positrix {name}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:  # the file system refused: name the file, no traceback
        where = err.filename or "a file"
        print(
            f"positrix {name}: error: {where}: {err.strerror or err}. "
            "Fix: check the path, its permissions and the free disk space",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except Exception as err:  # a bug: one line for the user, the traceback on request
        if os.environ.get("POSITRIX_DEBUG"):
            raise
        print(
            f"positrix {name}: internal error ({type(err).__name__}: {err}). This is a bug in "
            "Positrix: please report it with the command; POSITRIX_DEBUG=1 shows the traceback",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
