"""Run the console examples of README.md and docs/*.md and compare the output shown."""

import re
import shlex
from pathlib import Path

import pytest

from positrix.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


def _examples(path: Path) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every ``$ positrix …`` line of a file."""
    examples: list[tuple[str, list[str]]] = []
    for block in BLOCK.findall(path.read_text(encoding="utf-8")):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            elif examples:
                examples[-1][1].append(line)
    return examples


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.fixture
def workdir(tmp_path, demo_output):
    """A fresh folder per document, with a copy of the demo output."""
    import shutil

    shutil.copytree(demo_output[0], tmp_path / "demo-output")
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    protocol = Path("src/positrix/data/demo-protocol.toml")  # the packaged demo protocol
    (tmp_path / protocol).parent.mkdir(parents=True)
    shutil.copy(ROOT / protocol, tmp_path / protocol)
    return tmp_path


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_console_examples(doc, workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    capsys.readouterr()
    for command, expected in _examples(doc):
        if command.startswith("make "):
            continue  # the Makefile targets are what CI itself runs
        if command.startswith(("positrix demo", "positrix serve", "positrix node start")):
            continue  # the demo_output fixture is that run; a server runs until stopped
        argv = shlex.split(command)
        assert argv[0] == "positrix", command
        code = main(argv[1:])
        out, err = capsys.readouterr()
        assert code == 0, f"{doc.name}: `{command}` failed: {err}"
        if expected:
            assert _matches(out.rstrip().splitlines(), expected), (
                f"{doc.name}: `{command}` output changed"
            )


def _matches(got: list[str], expected: list[str]) -> bool:
    """Line by line; an expected line ending in "…" stands for a value that changes from run
    to run (a checksum over a time stamp) and matches any line it begins."""
    if len(got) != len(expected):
        return False
    return all(
        g.startswith(e[:-1]) if e.endswith("…") else g == e
        for g, e in zip(got, expected, strict=True)
    )
