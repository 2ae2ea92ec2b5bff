"""positrix facility init and audit: create, upgrade, verify, detect tampering."""

import json
import sqlite3

from positrix.cli.main import main
from positrix.facility.schema import head_revision


def test_init_is_idempotent_and_audit_finds_tampering(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    assert main(["facility", "init", "--db", url, "--admin", "ana", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["admin_created"] and first["schema"] == head_revision()
    assert main(["facility", "init", "--db", url, "--json"]) == 0
    assert not json.loads(capsys.readouterr().out)["admin_created"]
    assert main(["facility", "audit", "--db", url, "--verify"]) == 0
    assert "intact: 1 entries" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "f.db") as db:
        db.execute("UPDATE audit SET actor = 'mallory'")
    assert main(["facility", "audit", "--db", url, "--verify"]) == 2
    err = capsys.readouterr().err
    assert "broken at entry 1" in err and "Fix:" in err


def test_a_bad_url_is_refused(capsys):
    assert main(["facility", "init", "--db", "mysql://x"]) == 2
    assert "--db" in capsys.readouterr().err


def test_import_book_conflict_cancel_and_report(tmp_path, capsys):
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "docs" / "examples" / "facility"
    db = ["--db", f"sqlite:///{tmp_path / 'f.db'}"]
    assert main(["facility", "import", "users", str(examples / "users.csv"), *db, "--as",
                 "admin"]) == 2  # fmt: skip
    assert "not initialised" in capsys.readouterr().err
    assert main(["facility", "init", *db]) == 0
    for kind in ("users", "projects", "members", "instruments", "trainings", "bookings", "usage"):
        assert main(["facility", "import", kind, str(examples / f"{kind}.csv"), *db, "--as",
                     "admin"]) == 0  # fmt: skip
    book = [
        "facility",
        "book",
        "--instrument",
        "inveon",
        "--project",
        "P001",
        "--user",
        "rui",
        *db,
        "--as",
        "rui",
        "--json",
    ]
    capsys.readouterr()
    slot = ["--start", "2026-04-01T09:00:00+02:00", "--end", "2026-04-01T10:00:00+02:00"]
    assert main([*book, *slot]) == 0
    booking = json.loads(capsys.readouterr().out)["id"]
    clash = ["--start", "2026-04-01T09:30:00+02:00", "--end", "2026-04-01T10:30:00+02:00"]
    assert main([*book, *clash]) == 2
    assert f"overlaps booking {booking}" in capsys.readouterr().err
    assert main(["facility", "cancel", str(booking), *db, "--as", "rui"]) == 0
    assert main([*book, *clash]) == 0  # the cancelled booking freed the slot
    capsys.readouterr()
    assert main(["facility", "report", "hours", "--from", "2026-03-01", "--to", "2026-04-01",
                 *db, "--as", "sam", "--json"]) == 0  # fmt: skip
    (row,) = json.loads(capsys.readouterr().out)
    assert set(row) >= {"key", "booked_h", "used_h", "billable_h", "amount"}
    assert row["billable_h"] == 1.75 and row["amount"] == 210.0  # 75 + 30 min at 120/h
    assert main(["facility", "audit", *db, "--verify"]) == 0


def test_set_password_from_stdin_never_from_argv(tmp_path, capsys, monkeypatch):
    import io

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from positrix.facility.db import make_engine
    from positrix.facility.models import AuditEntry, User

    url = f"sqlite:///{tmp_path / 'f.db'}"
    assert main(["facility", "init", "--db", url, "--admin", "ana"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["facility", "user", "set-password", "ana", "--db", url, "--as", "ana"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["facility", "user", "set-password", "ana", "--db", url, "--as", "ana"]) == 2
    engine = make_engine(url)
    with Session(engine) as session:
        stored = session.scalar(select(User.password_hash))
        log = " ".join(e.after for e in session.scalars(select(AuditEntry)))
    engine.dispose()
    assert stored.startswith("$argon2id$") and "secret" not in log
