"""Who may see and change what.  Admin manages users; staff run the facility (every project,
instrument, booking); a PI approves their projects' members and invoices; a researcher sees
and changes only the projects they belong to; a viewer only looks.

A project the actor may not see is reported as not found, exactly like one that does not
exist, so that its existence does not leak.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.models import Membership, Project, User

__all__ = [
    "AccessError",
    "NotFoundError",
    "find",
    "is_member",
    "require_project",
    "require_role",
]


class AccessError(PositrixError):
    """The actor may not do this."""


class NotFoundError(PositrixError):
    """No such record, or none the actor may see."""


#: Roles that run the facility.
FACILITY_ROLES = ("admin", "staff")


def find(session: Session, column: Any, value: Any, *, what: str, fix: str) -> Any:
    """The row whose unique ``column`` equals ``value``, or :class:`NotFoundError` naming it.

    For records every user may see (users, instruments, batches); projects go through
    :func:`require_project`, which also checks access.
    """
    found = session.scalar(select(column.class_).where(column == value))
    if found is None:
        raise NotFoundError(f"no {what} '{value}'", field=what, fix=fix)
    return found


def require_role(actor: User, *roles: str) -> None:
    """Refuse unless ``actor`` has one of ``roles`` (admin always passes)."""
    if actor.role != "admin" and actor.role not in roles:
        raise AccessError(
            f"{actor.username} ({actor.role}) may not do this",
            field="role",
            fix=f"ask a user with the role {' or '.join(roles) or 'admin'}",
        )


def is_member(session: Session, user: User, project: Project) -> bool:
    """Whether ``user`` is the project's PI or a member of it."""
    if project.pi_id == user.id:
        return True
    found = session.scalar(
        select(Membership.id).where(
            Membership.project_id == project.id, Membership.user_id == user.id
        )
    )
    return found is not None


def require_project(session: Session, actor: User, code: str, *, write: bool = False) -> Project:
    """The project ``code`` if ``actor`` may see it (and change it, with ``write``).

    Raises
    ------
    NotFoundError
        When it does not exist or the actor may not see it (the same message for both).
    AccessError
        When the actor may see it but not change it (a viewer).
    """
    project = session.scalar(select(Project).where(Project.code == code))
    visible = project is not None and (
        actor.role in FACILITY_ROLES or is_member(session, actor, project)
    )
    if project is None or not visible:
        raise NotFoundError(f"no project '{code}'", field="project", fix="check the project code")
    if write and actor.role == "viewer":
        raise AccessError(
            f"{actor.username} may only view project {code}",
            field="role",
            fix="ask the project's PI or the facility staff",
        )
    return project
