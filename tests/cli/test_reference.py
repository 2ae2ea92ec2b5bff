"""docs/cli.md is the complete, generated command reference: it cannot drift."""

import argparse
import re
from pathlib import Path

import pytest

from positrix.cli.reference import command_parsers, update_reference

CLI_MD = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
COMMANDS = command_parsers()


def test_generated_blocks_match_the_parser():
    text = CLI_MD.read_text(encoding="utf-8")
    assert update_reference(text) == text, "run: python -m positrix.cli.reference docs/cli.md"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_its_block_and_an_example(name):
    text = CLI_MD.read_text(encoding="utf-8")
    assert f"<!-- BEGIN positrix {name} -->" in text
    section = text.split(f"## `positrix {name}`", 1)
    assert len(section) == 2, f"docs/cli.md has no section '## `positrix {name}`'"
    body = section[1].split("\n## ", 1)[0]
    assert re.search(rf"^\$ positrix {name}\b", body, re.MULTILINE), f"no example of {name}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_argument_is_explained(name):
    parser = COMMANDS[name]
    assert parser.description or parser.format_help(), name
    missing = [
        action.dest
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not action.help
    ]
    assert missing == [], f"positrix {name}: arguments without help: {missing}"
