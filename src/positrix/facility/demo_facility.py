"""A realistic synthetic facility for the demo and the web app: a micro-PET/CT core with
≥ 180 projects of ≥ 40 PIs from several institutions, three years of bookings and usage on
its instruments, animals and imaging sessions.

Everything is generated from a seed (the same facility every time) and entered through the
same CSV imports staff use, so the demo exercises the real rules.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from positrix.facility.analyses import add_publication, list_publications, record_analysis
from positrix.facility.animals import create_batch, record_session, register_animal
from positrix.facility.events import add_event
from positrix.facility.imports import import_csv
from positrix.facility.invoices import approve_invoice, draft_invoice, send_invoice
from positrix.facility.people import create_user, get_user
from positrix.facility.reports import report_hours
from positrix.facility.services import add_charge
from positrix.facility.waste import release_waste, store_waste

__all__ = ["INSTRUMENTS", "seed_demo_facility", "service_summary"]

#: name, modality, hourly rates (internal, external, industry), minimum and step (min).
INSTRUMENTS = (
    ("inveon", "PET/CT", 120, 200, 400, 30, 15),
    ("nanoscan", "PET/MR", 150, 240, 480, 30, 15),
    ("microct", "CT", 60, 100, 200, 15, 15),
    ("gamma-counter", "gamma counter", 20, 35, 70, 15, 15),
)
#: Where the PIs work (PI p at institution p mod 7) and the tier each pays.
INSTITUTIONS = (
    ("Home University", "internal"),
    ("University Hospital", "internal"),
    ("Institute of Nuclear Medicine", "internal"),
    ("North University", "external"),
    ("South Medical School", "external"),
    ("Coastal Cancer Centre", "external"),
    ("Radiopharma Ltd", "industry"),
)
#: code, name, unit, prices (internal, external, industry).
SERVICES = (
    ("fdg-dose", "[18F]FDG dose", "dose", 35, 60, 90),
    ("analysis-h", "image analysis", "h", 50, 80, 120),
    ("gamma-sample", "gamma-counter sample", "sample", 2, 4, 8),
)
_TOPICS = ("tumour", "Alzheimer", "Parkinson", "cardiac", "therapy", "methods", "teaching")


def _write(folder: Path, name: str, header: str, rows: list[str]) -> Path:
    path = folder / f"{name}.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _people(rng: np.random.Generator, n_pis: int) -> tuple[list[str], dict[str, list[str]]]:
    rows, teams = [], {}
    for p in range(n_pis):
        pi = f"pi{p:02d}"
        home = INSTITUTIONS[p % len(INSTITUTIONS)][0]
        rows.append(f"{pi},PI {p:02d},{pi}@inst{p % 7}.example,pi,Lab {p:02d},{home}")
        teams[pi] = [f"r{p:02d}{k}" for k in range(int(rng.integers(1, 4)))]
        rows += [f"{r},Researcher {r},{r}@inst{p % 7}.example,researcher,Lab {p:02d},{home}"
                 for r in teams[pi]]  # fmt: skip
    core = INSTITUTIONS[0][0]
    rows += [f"staff{k},Staff {k},staff{k}@core.example,staff,Imaging core,{core}"
             for k in range(3)]  # fmt: skip
    return rows, teams


def _bookings(
    rng: np.random.Generator,
    projects: list[tuple[str, str, list[str]]],
    start_year: int,
    years: int,
) -> tuple[list[str], list[str]]:
    """Bookings on working days, 8:00–18:00, one instrument at a time; usage for most."""
    bookings, usage = [], []
    booking_id = 1
    day = date(start_year, 1, 1)
    end = date(start_year + years, 1, 1)
    while day < end:
        if day.weekday() < 5:
            for name, *_ in INSTRUMENTS:
                hour = 8.0
                while hour < 17.0 and rng.random() < 0.7:
                    length = float(rng.choice([0.5, 1.0, 1.5, 2.0, 3.0]))
                    code, _, team = projects[int(rng.integers(len(projects)))]
                    user = team[int(rng.integers(len(team)))]
                    start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                        hours=hour
                    )
                    stop = start + timedelta(hours=min(length, 18.0 - hour))
                    status = str(rng.choice(["completed"] * 17 + ["cancelled", "no-show"]))
                    bookings.append(
                        f"{booking_id},{name},{code},{user},{start.isoformat()},"
                        f"{stop.isoformat()},{status}"
                    )
                    if status == "completed":
                        late = timedelta(minutes=int(rng.integers(-10, 25)))
                        usage.append(
                            f"{booking_id},{start.isoformat()},"
                            f"{(stop + late).isoformat()},staff{booking_id % 3}"
                        )
                    booking_id += 1
                    hour += length + float(rng.choice([0.0, 0.5, 1.0]))
        day += timedelta(days=1)
    return bookings, usage


def seed_demo_facility(
    session: Session,
    *,
    start_year: int = 2024,
    years: int = 3,
    n_pis: int = 45,
    n_projects: int = 185,
    seed: int = 2026,
) -> dict[str, Any]:
    """Fill an empty, initialised database (the caller commits); returns counts.

    Parameters
    ----------
    session
        A session on a database made by ``init_database`` with no users yet.
    start_year, years
        The period of bookings (whole years).
    n_pis, n_projects
        Principal investigators and projects.
    seed
        Random seed.
    """
    rng = np.random.default_rng(seed)
    admin = create_user(session, None, "admin", role="admin", full_name="Facility admin")
    users, teams = _people(rng, n_pis)
    pis = sorted(teams)
    projects = []
    for n in range(n_projects):
        pi = pis[n % n_pis]
        projects.append((f"P{start_year % 100:02d}{n:03d}", pi, [pi, *teams[pi]]))
    expiry = date(start_year + years + 1, 12, 31)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {
            "institutions": _write(
                folder, "institutions", "name,rate_tier", [",".join(i) for i in INSTITUTIONS]
            ),
            "users": _write(
                folder, "users", "username,full_name,email,role,group,institution", users
            ),
            "projects": _write(  # each project at its PI's institution's tier
                folder,
                "projects",
                "code,title,pi,grant,protocol,protocol_expiry,radiation_permit",
                [
                    f"{c},{_TOPICS[i % len(_TOPICS)]} study {i},{pi},"
                    f"G-{i:04d},ETH-{i:04d},{expiry},RP-{i % 12:02d}"
                    for i, (c, pi, _) in enumerate(projects)
                ],
            ),
            "services": _write(
                folder,
                "services",
                "code,name,unit,rate_internal,rate_external,rate_industry",
                [",".join(map(str, row)) for row in SERVICES],
            ),
            "members": _write(
                folder,
                "members",
                "project,username",
                [f"{c},{m}" for c, _, team in projects for m in team[1:]],
            ),
            "instruments": _write(
                folder,
                "instruments",
                "name,modality,rate_internal,rate_external,rate_industry,min_billable_min,step_min",
                [",".join(map(str, row)) for row in INSTRUMENTS],
            ),
            "trainings": _write(
                folder,
                "trainings",
                "username,instrument,level,expires",
                # everyone who books is trained on the PET/CT (each person once)
                [
                    f"{u},{INSTRUMENTS[0][0]},independent,{expiry}"
                    for u in dict.fromkeys(u for _, _, team in projects for u in team)
                ],
            ),
        }
        bookings, usage = _bookings(rng, projects, start_year, years)
        files["bookings"] = _write(
            folder, "bookings", "id,instrument,project,user,start,end,status", bookings
        )
        files["usage"] = _write(folder, "usage", "booking_id,start,end,operator", usage)
        for kind, path in files.items():
            import_csv(session, admin, kind, path)
    staff = get_user(session, "staff0")
    animals = _animals(session, staff, rng, projects, start_year)
    publications = _publications(session, staff, rng, projects, start_year, years)
    invoices = _invoices(session, staff, admin, projects, start_year + years - 1)
    return {
        "institutions": len(INSTITUTIONS),
        "users": len(users) + 1,
        "pis": n_pis,
        "projects": n_projects,
        "bookings": len(bookings),
        "usage": len(usage),
        "animals": animals,
        "publications": publications,
        "invoices": invoices,
    }


def _publications(session: Session, staff: Any, rng: np.random.Generator,
                  projects: list[tuple[str, str, list[str]]], start_year: int,
                  years: int) -> int:  # fmt: skip
    """About one project in seven published with credit to the facility (DOIs under the
    10.5555 test prefix)."""
    count = 0
    for i, (code, _, _) in enumerate(projects):
        if rng.random() < 1 / 7:
            year = start_year + int(rng.integers(1, years + 1)) - 1
            add_publication(
                session,
                staff,
                code,
                doi=f"10.5555/positrix-demo.{i:03d}",
                year=year,
                title=f"{_TOPICS[i % len(_TOPICS)]} study {i}",
                journal="Journal of Preclinical Imaging",
            )
            count += 1
    return count


def _invoices(session: Session, staff: Any, admin: Any,
              projects: list[tuple[str, str, list[str]]], year: int) -> int:  # fmt: skip
    """December's invoices of the last year: drafted for every project that used the
    facility; the first ten approved by their PI, the first five sent."""
    start, end = datetime(year, 12, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    used = {r["key"] for r in report_hours(session, admin, start=start, end=end, by="project")}
    drafted = [code for code, _, _ in projects if code in used]
    for code in drafted:
        draft_invoice(session, staff, code, f"{year}-12")
    for n, (code, pi, _) in enumerate(p for p in projects if p[0] in drafted[:10]):
        approve_invoice(session, get_user(session, pi), code, f"{year}-12")
        if n < 5:
            send_invoice(session, staff, code, f"{year}-12")
    return len(drafted)


def _animals(
    session: Session,
    staff: Any,
    rng: np.random.Generator,
    projects: list[tuple[str, str, list[str]]],
    start_year: int,
) -> int:
    """A tracer batch a week for the last year's first quarter and a few mice per batch."""
    count = 0
    for week in range(12):
        eos = datetime(start_year, 1, 8, 7, 30, tzinfo=UTC) + timedelta(weeks=week)
        lot = f"FDG-{eos:%Y%m%d}"
        create_batch(
            session, staff, lot, tracer="FDG", nuclide="F-18", eos_time=eos, eos_activity_bq=20e9
        )
        code = projects[int(rng.integers(len(projects)))][0]
        for k in range(4):
            name = f"M{week:02d}{k}"
            register_animal(
                session,
                staff,
                name,
                project=code,
                strain="BALB/c nude",
                sex="F",
                cohort="control" if k % 2 else "treated",
            )
            _tumour_course(session, staff, rng, name, eos, treated=k % 2 == 0)
            when = eos + timedelta(hours=1, minutes=20 * k)
            add_charge(session, staff, code, "fdg-dose", quantity=1, at=when, note=name)
            record_session(
                session,
                staff,
                name,
                instrument="inveon",
                start=when,
                batch=lot,
                injection_time=when,
                injected_before_bq=float(rng.uniform(7e6, 9e6)),
                injected_before_time=when - timedelta(minutes=5),
                weight_g=float(rng.uniform(20, 26)),
                anaesthesia="isoflurane 2 %",
                fasting_h=6.0,
                glucose_mmol_l=float(rng.uniform(5, 9)),
                hotel_position=str(k + 1),
                residual_bq=float(rng.uniform(2e5, 6e5)),
                residual_time=when + timedelta(minutes=1),
                injection_route="tail vein",
            )
            count += 1
        _waste_of_the_day(session, staff, eos, last=week == 11)
        record_analysis(
            session,
            staff,
            code,
            pipeline="suv-voi",
            version="0.13",
            at=eos + timedelta(days=2),
            parameters={"vois": ["tumour", "muscle"]},
            hours=1.5,
            service="analysis-h",
        )
    return count


def _tumour_course(session: Session, staff: Any, rng: np.random.Generator, name: str,
                   scan_day: datetime, *, treated: bool) -> None:  # fmt: skip
    """Implant two weeks before the scan, calipers twice a week, a weekly drug if treated."""
    implant = scan_day - timedelta(days=14)
    add_event(session, staff, name, "implant", at=implant, agent="4T1, 1e5 cells s.c.")
    for day in range(3, 15, 4):
        length = 2.0 + 0.45 * day * (0.6 if treated else 1.0) + float(rng.normal(0, 0.3))
        add_event(
            session,
            staff,
            name,
            "caliper",
            at=implant + timedelta(days=day),
            length_mm=round(length, 1),
            width_mm=round(0.75 * length, 1),
        )
    if treated:
        add_event(
            session,
            staff,
            name,
            "drug",
            at=implant + timedelta(days=7),
            agent="doxorubicin",
            dose=5.0,
            dose_unit="mg/kg",
            route="i.v.",
            schedule="weekly",
        )


def _waste_of_the_day(session: Session, staff: Any, eos: datetime, *, last: bool) -> None:
    """The day's vial and syringes to the decay store; released a week later (the last
    week's container is still in the store)."""
    waste = store_waste(
        session,
        staff,
        nuclide="F-18",
        activity_bq=2.5e8,
        measured_at=eos + timedelta(hours=6),
        container=f"bin {eos:%m-%d}",
    )
    if not last:
        release_waste(session, staff, waste.id, at=eos + timedelta(days=7))


def service_summary(session: Session, actor: Any, year: int) -> dict[str, Any]:
    """The year's service hours as the centre reports them to its funders: per instrument
    (hours, projects served), the top projects by billable hours and the year's
    publications that credit the facility."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    instruments = report_hours(session, actor, start=start, end=end, by="instrument")
    projects = report_hours(session, actor, start=start, end=end, by="project")
    top = sorted(projects, key=lambda r: -r["billable_h"])[:5]
    papers = list_publications(session, actor, year=year)
    return {
        "publications": len(papers),
        "year": year,
        "instruments": instruments,
        "projects_served": len(projects),
        "billable_h": round(sum(r["billable_h"] for r in instruments), 2),
        "used_h": round(sum(r["used_h"] for r in instruments), 2),
        "amount": round(sum(r["amount"] for r in instruments), 2),
        "top_projects": top,
    }
