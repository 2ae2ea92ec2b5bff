"""Printing results: JSON for machines, aligned text for people."""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["print_json", "print_table"]


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(rows: list[tuple[str, str]]) -> None:
    """Print ``label  value`` lines with aligned labels."""
    width = max((len(label) for label, _ in rows), default=0)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
