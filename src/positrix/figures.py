"""matplotlib for files only: the Agg backend (no screen), imported when a figure is made."""

from __future__ import annotations

from typing import Any

__all__ = ["pyplot"]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend (works on servers and in CI).

    Imported on first use, so that importing Positrix does not import matplotlib.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
