"""The command-line reference in ``docs/cli.md``, generated from the parser.

``docs/cli.md`` holds prose and examples by hand; each command's usage and option table sit
between ``<!-- BEGIN positrix CMD -->`` and ``<!-- END positrix CMD -->`` and are generated
here, so that they cannot drift from the parser (a test compares them).  Regenerate with::

    python -m positrix.cli.reference docs/cli.md
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from positrix.cli.main import build_parser, iter_parsers

__all__ = ["block", "command_parsers", "render_options", "update_reference"]

_BLOCK = re.compile(
    r"<!-- BEGIN positrix (?P<name>[a-z -]+?) -->\n.*?<!-- END positrix (?P=name) -->",
    re.DOTALL,
)


def command_parsers() -> dict[str, argparse.ArgumentParser]:
    """``"kinetics fit"`` → its parser, for every command that runs (no command groups)."""
    out = {}
    for path, parser in iter_parsers(build_parser()):
        groups = any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
        if path and not groups:
            out[" ".join(path)] = parser
    return out


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _option_row(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    formatter = parser._get_formatter()
    if action.option_strings:
        metavar = (
            "" if action.nargs == 0 else " " + formatter._format_args(action, action.dest.upper())
        )
        name = ", ".join(f"`{o}{metavar}`" for o in action.option_strings)
    else:
        name = f"`{action.metavar or action.dest}`"
    meaning = formatter._expand_help(action) if action.help else ""
    if action.choices and not isinstance(action, argparse._SubParsersAction):
        meaning += " (one of: " + ", ".join(str(c) for c in action.choices) + ")"
    if action.required or not action.option_strings:
        default = "required"
    elif action.default in (None, False, argparse.SUPPRESS):
        default = ""
    else:
        default = f"`{action.default}`"
    return f"| {name} | {_cell(meaning)} | {default} |"


def render_options(name: str, parser: argparse.ArgumentParser) -> str:
    """Usage and option table of one command (Markdown)."""
    usage = " ".join(parser.format_usage().split())
    rows = [
        _option_row(parser, action)
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction)
    ]
    table = ["| argument | meaning | default |", "|---|---|---|", *rows]
    description = parser.description or ""
    head = f"{_cell(description)}\n\n" if description else ""
    return f"{head}```text\n{usage}\n```\n\n" + "\n".join(table)


def block(name: str, parser: argparse.ArgumentParser) -> str:
    """The generated block of one command, with its markers."""
    return (
        f"<!-- BEGIN positrix {name} -->\n{render_options(name, parser)}\n"
        f"<!-- END positrix {name} -->"
    )


def update_reference(text: str) -> str:
    """``text`` with every generated block replaced by the parser's current one.

    Raises
    ------
    KeyError
        For a block that names no command.
    """
    parsers = command_parsers()
    return _BLOCK.sub(lambda m: block(m["name"], parsers[m["name"]]), text)


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the reference file given on the command line (``--check``: only compare)."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    path = Path(next(a for a in args if a != "--check"))
    text = path.read_text(encoding="utf-8")
    new = update_reference(text)
    if check:
        return int(new != text)
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
