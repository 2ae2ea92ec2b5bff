"""``--help`` of every command and sub-command prints usage and exits 0 (no traceback)."""

import pytest

from positrix.cli.main import build_parser, iter_parsers, main

PATHS = [path for path, _ in iter_parsers(build_parser())]


def test_every_command_is_walked():
    assert len(PATHS) > 15 and ("stats",) in PATHS and ("kinetics", "map") in PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "positrix")
def test_help(path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*path, "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert out.startswith("usage: positrix")
    assert "%%" not in out  # an over-escaped percent sign
