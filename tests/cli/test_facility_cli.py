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
        assert (
            main(["facility", "import", kind, str(examples / f"{kind}.csv"), *db, "--as", "admin"])
            == 0
        )
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
    assert (
        main(
            [
                "facility",
                "report",
                "hours",
                "--from",
                "2026-03-01",
                "--to",
                "2026-04-01",
                *db,
                "--as",
                "sam",
                "--json",
            ]
        )
        == 0
    )
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


def _demo_db(tmp_path):
    db = ["--db", f"sqlite:///{tmp_path / 'demo.db'}"]
    assert main(["facility", "seed-demo", *db]) == 0
    return db


def test_invoice_waste_backup_and_their_refusals(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = _demo_db(tmp_path)
    capsys.readouterr()

    def refused(argv, *needles):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert "Fix:" in err and all(n in err for n in needles), err

    staff, pi = [*db, "--as", "staff0"], [*db, "--as", "pi28"]
    refused(["facility", "invoice", "P24028", "--month", "2026-13", *staff], "YYYY-MM")
    refused(["facility", "invoice", "P24000", "--month", "2023-06", *staff], "nothing to invoice")
    refused(["facility", "invoice", "P24028", "--month", "2026-12", "--approve", *staff], "PI")
    assert (
        main(
            [
                "facility",
                "invoice",
                "P24028",
                "--month",
                "2026-12",
                "--approve",
                *pi,
                "--json",
                "--pdf",
                "p.pdf",
            ]
        )
        == 0
    )
    made = json.loads(capsys.readouterr().out)
    assert made["status"] == "approved" and made["total"] == 180.0  # 1.5 h × 120 (internal)
    assert (tmp_path / "p.pdf").read_bytes()[:5] == b"%PDF-"
    refused(
        ["facility", "invoice", "P24028", "--month", "2026-12", *pi, "--pdf", "p.pdf"],
        "p.pdf",
        "exists",
    )
    refused(
        ["facility", "charge", "P24028", "no-such", "--at", "2026-12-01T09:00:00+00:00", *staff],
        "no-such",
    )
    assert (
        main(
            [
                "facility",
                "waste",
                "store",
                "--nuclide",
                "F-18",
                "--activity",
                "1 GBq",
                "--at",
                "2026-12-01T09:00:00+00:00",
                *staff,
            ]
        )
        == 0
    )
    refused(
        ["facility", "waste", "release", "13", "--at", "2026-12-01T20:00:00+00:00", *staff],
        "still holds",
        "2026-12-02T03:",
    )
    refused(
        [
            "facility",
            "waste",
            "store",
            "--nuclide",
            "F-18",
            "--activity",
            "1 GBq",
            "--at",
            "2026-12-01T09:00:00",
            *staff,
        ],
        "offset",
    )
    assert main(["facility", "backup", "b.jsonl.gz", *db]) == 0
    refused(["facility", "backup", "b.jsonl.gz", *db], "exists")
    refused(["facility", "restore", "b.jsonl.gz", *db], "already holds data")
    assert main(["facility", "restore", "b.jsonl.gz", "--db", "sqlite:///r.db", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows["bookings"] == 5849 and rows["invoices"] == 90
