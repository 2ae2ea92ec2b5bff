"""positrix facility init and audit: create, upgrade, verify, detect tampering."""

import json
import sqlite3

from positrix.cli.main import main


def test_init_is_idempotent_and_audit_finds_tampering(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    assert main(["facility", "init", "--db", url, "--admin", "ana", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["admin_created"] and first["schema"] == "0001"
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
