"""Sessions, CSRF tokens and the login rate limit.

A session cookie is ``user_id.expiry.nonce.signature`` (HMAC-SHA-256 with the server's key),
bound to the user's password hash: a password change ends every session of that user.
Every state-changing request carries a CSRF token derived from the session nonce (a hidden
form field, or the ``X-CSRF-Token`` header for the API).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

__all__ = ["COOKIE", "LoginLimiter", "SessionToken", "csrf_token", "make_token", "read_token"]

#: The session cookie's name.
COOKIE = "positrix_session"


@dataclass(frozen=True)
class SessionToken:
    """A verified session: whose, until when, and its nonce (the CSRF seed)."""

    user_id: int
    expires: int
    nonce: str


def _binding(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def make_token(key: bytes, user_id: int, password_hash: str | None, *, hours: float) -> str:
    """A new signed session token for ``user_id`` valid ``hours``."""
    expires = int(time.time() + hours * 3600)
    body = f"{user_id}.{expires}.{secrets.token_hex(16)}"
    return f"{body}.{_sign(key, body + '.' + _binding(password_hash))}"


def read_token(key: bytes, token: str, password_hash_of: object) -> SessionToken | None:
    """The session of ``token`` if its signature holds, it has not expired and the user's
    password is unchanged; ``password_hash_of(user_id)`` gives the stored hash (or raises
    ``LookupError``)."""
    parts = token.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    user_id, expires = int(parts[0]), int(parts[1])
    if expires < time.time():
        return None
    try:
        stored = password_hash_of(user_id)  # type: ignore[operator]
    except LookupError:
        return None
    body = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3], _sign(key, body + "." + _binding(stored))):
        return None
    return SessionToken(user_id, expires, parts[2])


def csrf_token(key: bytes, nonce: str) -> str:
    """The CSRF token of a session."""
    return _sign(key, "csrf." + nonce)[:32]


class LoginLimiter:
    """At most ``attempts`` failed logins per key (user name, client address) in
    ``window_s`` seconds; thread-safe, per server process."""

    def __init__(self, attempts: int, window_s: float) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] < now - self.window_s:
            failures.popleft()
        return failures

    def blocked(self, *keys: str) -> float:
        """Seconds to wait before another try (0 when allowed)."""
        now = time.monotonic()
        with self._lock:
            waits = [
                failures[0] + self.window_s - now
                for failures in (self._recent(k, now) for k in keys)
                if len(failures) >= self.attempts
            ]
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        """Count a failed login against every key."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, username: str) -> None:
        """A good login clears the user name's failures (not the address's)."""
        with self._lock:
            self._failures.pop(username, None)
