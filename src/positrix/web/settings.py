"""Settings of a running server and its secret key (kept in a file readable by its owner
only, never logged)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WebSettings", "load_secret"]


@dataclass(frozen=True)
class WebSettings:
    """What ``positrix serve`` runs with.

    Attributes
    ----------
    db_url
        Facility database URL (``None``: the default SQLite file).
    data_folder
        Where the server keeps its secret key, uploads and the volume cache.
    secure_cookies
        Mark the session cookie ``Secure`` (set when served over TLS).
    session_hours
        How long a login lasts (h).
    max_upload_bytes
        The largest request body accepted (bytes).
    login_attempts, login_window_s
        Failed logins allowed per user name and per client address in the window (s).
    """

    db_url: str | None
    data_folder: Path
    secure_cookies: bool = False
    session_hours: float = 12.0
    max_upload_bytes: int = 256 * 1024 * 1024
    login_attempts: int = 5
    login_window_s: float = 300.0


def load_secret(folder: Path) -> bytes:
    """The server's 32-byte signing key from ``folder/secret.key`` (made, mode 0600, on the
    first start)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret.key"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()
