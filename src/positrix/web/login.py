"""Logging in and out (shared by the login page and ``POST /api/login``): rate-limited,
argon2-checked, and the session cookie HttpOnly, SameSite=Lax, Secure over TLS."""

from __future__ import annotations

from fastapi import HTTPException, Request, Response
from sqlalchemy.orm import Session

from positrix.facility.models import User
from positrix.facility.people import check_password
from positrix.web.auth import COOKIE, csrf_token, make_token, read_token

__all__ = ["log_in", "log_out"]


def _client(request: Request) -> str:
    return "ip:" + (request.client.host if request.client else "unknown")


def log_in(request: Request, response: Response, session: Session, username: str,
           password: str) -> tuple[User, str]:  # fmt: skip
    """Check the password and set the session cookie on ``response``; returns the user and
    the session's CSRF token.

    Raises
    ------
    HTTPException
        429 when too many logins failed recently for that name or address, 401 when the name
        or the password is wrong (the same answer for both).
    """
    state = request.app.state
    keys = ("user:" + username.lower(), _client(request))
    wait = state.limiter.blocked(*keys)
    if wait > 0:
        raise HTTPException(status_code=429, detail=f"too many failed logins; wait {wait:.0f} s")
    user = check_password(session, username, password)
    if user is None:
        state.limiter.failed(*keys)
        raise HTTPException(status_code=401, detail="wrong user name or password")
    state.limiter.succeeded(keys[0])
    settings = state.settings
    token = make_token(state.key, user.id, user.password_hash, hours=settings.session_hours)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    found = read_token(state.key, token, lambda _: user.password_hash)
    assert found is not None
    return user, csrf_token(state.key, found.nonce)


def log_out(response: Response) -> None:
    """Forget the session cookie."""
    response.delete_cookie(COOKIE, path="/")
