"""Users, passwords (argon2, never stored or logged in clear), projects and memberships."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import find, is_member, require_project, require_role
from positrix.facility.audit import record
from positrix.facility.models import RATE_TIERS, ROLES, Institution, Membership, Project, User

__all__ = [
    "add_member",
    "check_password",
    "create_institution",
    "create_project",
    "create_user",
    "default_tier",
    "get_user",
    "set_password",
]

#: The smallest password length accepted.
MIN_PASSWORD_LENGTH = 10


def _public(user: User) -> dict[str, Any]:
    """What the audit keeps of a user (never the password hash)."""
    return {"username": user.username, "role": user.role, "group": user.group}


def _check_tier(rate_tier: str) -> None:
    if rate_tier not in RATE_TIERS:
        raise PositrixError(
            f"unknown rate tier '{rate_tier}'", field="rate_tier", fix=", ".join(RATE_TIERS)
        )


def create_institution(
    session: Session, actor: User, name: str, *, rate_tier: str = "internal"
) -> Institution:
    """Add a school, hospital or company with its price tier (staff or admin)."""
    require_role(actor, "staff")
    _check_tier(rate_tier)
    institution = Institution(name=name, rate_tier=rate_tier)
    session.add(institution)
    session.flush()
    record(
        session,
        actor.username,
        "create",
        "institutions",
        institution.id,
        after={"name": name, "rate_tier": rate_tier},
    )
    return institution


def get_user(session: Session, username: str) -> User:
    """The user ``username``, or a clear error."""
    found: User = find(session, User.username, username, what="user", fix="check the username")
    return found


def create_user(
    session: Session,
    actor: User | None,
    username: str,
    *,
    role: str = "researcher",
    full_name: str = "",
    email: str = "",
    group: str = "",
    institution: str | None = None,
) -> User:
    """Add a user (admin only; ``actor=None`` only for the first admin of a new database)."""
    if actor is None:
        if session.scalar(select(User.id).limit(1)) is not None:
            raise PositrixError(
                "only the first user of a database may be created without an actor",
                field="actor",
                fix="act as an admin",
            )
    else:
        require_role(actor, "admin")
    if role not in ROLES:
        raise PositrixError(f"unknown role '{role}'", field="role", fix="use " + ", ".join(ROLES))
    home = (
        find(session, Institution.name, institution, what="institution", fix="add it first")
        if institution
        else None
    )
    user = User(
        username=username,
        role=role,
        full_name=full_name,
        email=email,
        group=group,
        institution_id=home.id if home else None,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor.username if actor else username,
        "create",
        "users",
        user.id,
        after=_public(user),
    )
    return user


def set_password(session: Session, actor: User, username: str, password: str) -> None:
    """Store an argon2 hash of ``password`` (the user themself or an admin)."""
    from argon2 import PasswordHasher

    user = get_user(session, username)
    if actor.id != user.id:
        require_role(actor, "admin")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PositrixError(
            f"the password is shorter than {MIN_PASSWORD_LENGTH} characters",
            field="password",
            fix="choose a longer one",
        )
    user.password_hash = PasswordHasher().hash(password)
    record(session, actor.username, "set-password", "users", user.id)  # no hash in the log


def check_password(session: Session, username: str, password: str) -> User | None:
    """The user if ``password`` is theirs, else ``None`` (no hint which part was wrong)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.password_hash:
        return None
    try:
        PasswordHasher().verify(user.password_hash, password)
    except VerificationError:
        return None
    return user


def create_project(
    session: Session,
    actor: User,
    code: str,
    *,
    pi: str,
    title: str = "",
    rate_tier: str | None = None,
    grant: str = "",
    protocol: str = "",
    protocol_expiry: date | None = None,
    radiation_permit: str = "",
) -> Project:
    """Open a project (staff or admin); its PI becomes a member.  Without ``rate_tier`` the
    project is priced at the tier of its PI's institution (internal when none is recorded)."""
    require_role(actor, "staff")
    lead = get_user(session, pi)
    rate_tier = rate_tier or default_tier(session, lead)
    _check_tier(rate_tier)
    project = Project(
        code=code,
        title=title,
        pi_id=lead.id,
        rate_tier=rate_tier,
        grant=grant,
        protocol=protocol,
        protocol_expiry=protocol_expiry,
        radiation_permit=radiation_permit,
    )
    session.add(project)
    session.flush()
    session.add(Membership(project_id=project.id, user_id=lead.id))
    record(
        session,
        actor.username,
        "create",
        "projects",
        project.id,
        after={"code": code, "pi": pi, "protocol": protocol},
    )
    return project


def default_tier(session: Session, user: User) -> str:
    """The price tier of ``user``'s institution (internal when none is recorded)."""
    if user.institution_id is None:
        return "internal"
    home = session.get(Institution, user.institution_id)
    return home.rate_tier if home is not None else "internal"


def add_member(session: Session, actor: User, code: str, username: str) -> None:
    """Add a member to a project: its PI, staff or admin."""
    project = require_project(session, actor, code, write=True)
    if actor.role not in ("admin", "staff") and project.pi_id != actor.id:
        require_role(actor, "staff")  # raises: only the PI approves members
    user = get_user(session, username)
    if is_member(session, user, project):
        return
    session.add(Membership(project_id=project.id, user_id=user.id))
    record(
        session,
        actor.username,
        "add-member",
        "memberships",
        project.id,
        after={"project": code, "user": username},
    )
