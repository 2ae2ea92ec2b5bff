"""The demo site of ``positrix serve --demo``: the demo study (run once), the demo facility
beside it, the study's mouse registered as an imaging session with its PET and CT series, and
demo logins.  Everything is made through the same service functions staff use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["DEMO_PASSWORD", "prepare_demo_site"]

#: The password of the demo logins (a demo on loopback, never a production site).
DEMO_PASSWORD = "positrix-demo"
_ANIMAL = "demo-mouse-01"


def _study(folder: Path, log: Callable[[str], None]) -> Path:
    from positrix.pipeline.demo import run_demo

    study = folder / "demo-output"
    if not (study / "facility" / "facility.db").exists():
        log("first start: running the demo study (about a minute)…")
        run_demo(study, force=True, log=log)
    return study


def _register(session: Any, study: Path) -> int:
    """The study's mouse as an imaging session of the first PI's first project."""
    from sqlalchemy import select

    from positrix.facility.animals import record_session, register_animal
    from positrix.facility.models import Animal, ImagingSession, Project
    from positrix.facility.people import get_user
    from positrix.facility.series import register_series
    from positrix.io import load

    found = session.scalar(select(Animal).where(Animal.facility_id == _ANIMAL))
    if found is not None:
        scan = session.scalar(select(ImagingSession).where(ImagingSession.animal_id == found.id))
        return int(scan.id)
    staff = get_user(session, "staff0")
    pi = get_user(session, "pi00")
    project = session.scalar(select(Project).where(Project.pi_id == pi.id).order_by(Project.code))
    pet = load(study / "dicom" / "pet")
    injection, subject = pet.injection, pet.subject
    assert injection is not None and subject is not None and pet.frames is not None
    start = pet.frames.acquisition_start
    assert start is not None
    register_animal(
        session,
        staff,
        _ANIMAL,
        project=project.code,
        strain=subject.strain or "",
        sex=(subject.sex or "O")[:1],
        cohort="demo",
    )
    scan = record_session(
        session,
        staff,
        _ANIMAL,
        instrument="inveon",
        start=start,
        weight_g=subject.weight_g,
        injection_time=injection.injection_time,
        injected_before_bq=injection.activity_before_bq,
        injected_before_time=injection.activity_before_time,
        anaesthesia="isoflurane 2 %",
        injection_route="tail vein",
    )
    for part in ("pet", "ct"):
        register_series(
            session, staff, study / "dicom" / part, project=project.code, imaging_session=scan.id
        )
    return int(scan.id)


def _project_and_member(session: Any, session_id: int) -> tuple[str, str | None]:
    """The demo session's project and its first researcher."""
    from sqlalchemy import select

    from positrix.facility.models import Animal, ImagingSession, Membership, Project, User

    project = session.scalar(
        select(Project)
        .join(Animal, Animal.project_id == Project.id)
        .join(ImagingSession, ImagingSession.animal_id == Animal.id)
        .where(ImagingSession.id == session_id)
    )
    member = session.scalar(
        select(User.username)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == project.id, User.role == "researcher")
        .order_by(User.username)
    )
    return str(project.code), member


def _passwords(session: Any, usernames: list[str]) -> None:
    from positrix.facility.people import get_user, set_password

    admin = get_user(session, "admin")
    for name in usernames:
        if get_user(session, name).password_hash is None:
            set_password(session, admin, name, DEMO_PASSWORD)


def prepare_demo_site(folder: str | Path, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Make (once) and return the demo site in ``folder``: database URL, data folder, the
    imaging session to open and the demo logins."""
    from sqlalchemy.orm import Session

    from positrix.facility.db import make_engine
    from positrix.facility.schema import init_database

    folder = Path(folder)
    study = _study(folder, log)
    url = f"sqlite:///{study / 'facility' / 'facility.db'}"
    engine = make_engine(url)
    try:
        init_database(engine)
        with Session(engine) as session, session.begin():
            session_id = _register(session, study)
            code, member = _project_and_member(session, session_id)
            users = ["admin", "staff0", "pi00", *([member] if member else []), "pi01"]
            _passwords(session, users)
    finally:
        engine.dispose()
    return {
        "db_url": url,
        "data_folder": str(folder),
        "session_id": session_id,
        "project": code,
        "users": users,
        "password": DEMO_PASSWORD,
    }
