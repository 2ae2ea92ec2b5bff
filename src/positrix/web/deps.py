"""Request plumbing: a database session per request, the logged-in user, CSRF checks, and
one helper that runs a service write in a transaction.  Every route gets its user here, so
authorisation has one entry point; what a user may see is decided by the service layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from positrix.facility.models import User
from positrix.web.auth import COOKIE, SessionToken, csrf_token, read_token

__all__ = [
    "DB",
    "ApiUser",
    "LoginRequired",
    "MaybeUser",
    "PageUser",
    "api_user",
    "check_csrf",
    "day_start",
    "db",
    "form_value",
    "moment",
    "optional_user",
    "page_user",
    "write",
]

T = TypeVar("T")


class LoginRequired(Exception):
    """A page needs a login: the handler redirects to /login."""


def db(request: Request) -> Iterator[Session]:
    """A database session for the request, closed afterwards: GET and HEAD read through the
    engine whose SQLite transactions start deferred (readers never queue for the write lock);
    other methods write through the one that starts ``BEGIN IMMEDIATE``."""
    state = request.app.state
    engine = state.read_engine if request.method in ("GET", "HEAD") else state.engine
    with Session(engine) as session:
        yield session


def _session_of(request: Request, session: Session) -> tuple[User, SessionToken] | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None

    def password_hash_of(user_id: int) -> str | None:
        user = session.get(User, user_id)
        if user is None:
            raise LookupError(user_id)
        return user.password_hash

    found = read_token(request.app.state.key, token, password_hash_of)
    if found is None:
        return None
    user = session.get(User, found.user_id)
    return (user, found) if user is not None else None


DB = Annotated[Session, Depends(db)]


def optional_user(request: Request, session: DB) -> User | None:
    """The logged-in user, or ``None``; sets ``request.state.csrf`` for the templates."""
    found = _session_of(request, session)
    if found is None:
        request.state.csrf = ""
        return None
    request.state.csrf = csrf_token(request.app.state.key, found[1].nonce)
    return found[0]


MaybeUser = Annotated[User | None, Depends(optional_user)]


def page_user(user: MaybeUser) -> User:
    """The logged-in user of a page (anonymous visitors are sent to /login)."""
    if user is None:
        raise LoginRequired
    return user


def api_user(user: MaybeUser) -> User:
    """The logged-in user of an API call (401 without a valid session)."""
    if user is None:
        raise HTTPException(status_code=401, detail="log in first (POST /api/login)")
    return user


PageUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse a state-changing request without the session's CSRF token (403)."""
    expected = getattr(request.state, "csrf", "")
    if not expected or not sent or sent != expected:
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token; reload the page")


def write(session: Session, action: Callable[[], T]) -> T:
    """Run a service-layer write and commit it; roll back on any error."""
    try:
        result = action()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def moment(text: str, field: str) -> datetime:
    """A required ISO 8601 date-time with its UTC offset."""
    from positrix.errors import PositrixError
    from positrix.physics.units import parse_iso_datetime

    found = parse_iso_datetime(text, field=field, require_offset=True)
    if found is None:
        raise PositrixError(
            f"{field} is empty", field=field, fix="give e.g. 2026-03-16T09:00+01:00"
        )
    return found


def day_start(text: str, field: str) -> datetime:
    """Midnight UTC of a date ``YYYY-MM-DD``."""
    from positrix.errors import PositrixError

    try:
        return datetime.combine(date.fromisoformat(text.strip()), datetime.min.time(), UTC)
    except ValueError:
        raise PositrixError(
            f"'{text}' is not a date", field=field, fix="write YYYY-MM-DD"
        ) from None


def form_value(form: Any, name: str) -> str:
    """A form field as text ("" when absent)."""
    value = form.get(name)
    return str(value).strip() if value is not None else ""
