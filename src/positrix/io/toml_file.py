"""Reading a TOML settings file (routing rules, protocols) with a clear error."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from positrix.errors import FileFormatError

__all__ = ["read_toml"]


def read_toml(path: str | Path) -> dict[str, Any]:
    """The TOML file's contents; an unreadable file or bad syntax names the file and why.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.toml"
    >>> _ = f.write_text('[route]\\nproject = "P1"\\n')
    >>> read_toml(f)
    {'route': {'project': 'P1'}}
    """
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise FileFormatError(f"cannot read ({err.strerror})", source=path) from None
    except tomllib.TOMLDecodeError as err:
        raise FileFormatError(f"not TOML ({err})", source=path, fix="check the syntax") from None
