"""Printing results: JSON for machines, aligned text for people."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

__all__ = ["print_json", "print_table"]


def _clean(value: Any) -> Any:
    """NaN and infinities become null (strict JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Print ``value`` as indented, strict JSON on stdout (NaN → null)."""
    json.dump(_clean(value), sys.stdout, indent=2, default=str, allow_nan=False)
    sys.stdout.write("\n")


def print_table(rows: list[tuple[str, str]]) -> None:
    """Print ``label  value`` lines with aligned labels."""
    width = max((len(label) for label, _ in rows), default=0)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
