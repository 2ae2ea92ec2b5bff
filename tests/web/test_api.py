"""The JSON API: login and its rate limit, what each user sees, CSRF, bookings and their
conflicts, volumes in the unit asked (converted, never relabelled), VOI statistics equal to
``positrix stats``, security headers, size limit, the public teaching endpoint."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from positrix.cli.main import main
from positrix.io import load
from positrix.quant.units import convert_units
from tests.web.conftest import login


def _pet_path(site) -> Path:
    return Path(site["data_folder"]) / "demo-output" / "dicom" / "pet"


def test_login_and_its_rate_limit(client):
    bad = client.post("/api/login", json={"username": "r000", "password": "wrong password"})
    assert bad.status_code == 401 and "wrong user name or password" in bad.text
    for _ in range(4):
        client.post("/api/login", json={"username": "r000", "password": "wrong password"})
    blocked = client.post("/api/login", json={"username": "r000", "password": "positrix-demo"})
    assert blocked.status_code == 429 and "wait" in blocked.text  # 5 failures in 5 min
    assert client.get("/api/projects").status_code == 401


def test_each_user_sees_their_projects_only(client, site):
    login(client, "r000")
    codes = [p["code"] for p in client.get("/api/projects").json()]
    assert site["project"] in codes
    login(client, "pi01")
    codes = [p["code"] for p in client.get("/api/projects").json()]
    assert site["project"] not in codes
    hidden = client.get(f"/api/projects/{site['project']}")
    missing = client.get("/api/projects/NO-SUCH")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(site["project"], "X") == missing.json()[
        "detail"
    ].replace("NO-SUCH", "X")  # the same answer: existence does not leak
    assert client.get(f"/api/sessions/{site['session_id']}").status_code == 404
    assert client.get("/api/series/1/volume.nii.gz").status_code == 404


def test_writes_need_the_csrf_token_and_conflicts_name_the_booking(client, site):
    csrf = login(client, "r000")
    slot = {
        "instrument": "inveon",
        "project": site["project"],
        "user": "r000",
        "start": "2026-12-21T09:00:00+01:00",
        "end": "2026-12-21T10:00:00+01:00",
    }
    assert client.post("/api/bookings", json=slot).status_code == 403
    made = client.post("/api/bookings", json=slot, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    booking = made.json()["id"]
    clash = slot | {"start": "2026-12-21T09:30:00+01:00", "end": "2026-12-21T10:30:00+01:00"}
    refused = client.post("/api/bookings", json=clash, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 400 and f"overlaps booking {booking}" in refused.text
    cancelled = client.post(f"/api/bookings/{booking}/cancel", headers={"X-CSRF-Token": csrf})
    assert cancelled.status_code == 200
    week = client.get("/api/bookings", params={"instrument": "inveon", "week": "2026-12-21"})
    assert booking not in [b["id"] for b in week.json()]  # cancelled: not shown


def test_volumes_come_converted_in_the_unit_asked(client, site):
    login(client, "r000")
    answer = client.get("/api/series/1/volume.nii.gz", params={"unit": "SUVbw"})
    assert answer.status_code == 200
    served = nib.Nifti1Image.from_bytes(gzip.decompress(answer.content))
    expected = convert_units(load(_pet_path(site)), "SUVbw")
    assert served.shape == expected.data.shape
    # float32 on disk: 1e-6 relative; RAS = diag(-1, -1, 1) · LPS
    np.testing.assert_allclose(served.get_fdata(), expected.data, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(served.affine, np.diag([-1, -1, 1, 1]) @ expected.affine, atol=1e-6)
    raw = nib.Nifti1Image.from_bytes(
        gzip.decompress(client.get("/api/series/1/volume.nii.gz").content)
    )
    ratio = raw.get_fdata()[served.get_fdata() > 1] / served.get_fdata()[served.get_fdata() > 1]
    assert np.ptp(ratio) / ratio.mean() < 1e-5  # Bq/mL ÷ SUV is one constant: injected/weight
    assert client.get("/api/series/1/volume.nii.gz", params={"unit": "furlongs"}).status_code == 400


def test_a_sphere_voi_gives_what_positrix_stats_gives(client, site, capsys):
    csrf = login(client, "r000")
    image = load(_pet_path(site))
    centre_lps = image.grid.center_mm
    ras = [-centre_lps[0], -centre_lps[1], centre_lps[2]]
    answer = client.post(
        "/api/series/1/voi",
        headers={"X-CSRF-Token": csrf},
        json={"center_ras_mm": ras, "radius_mm": 3.0, "unit": "SUVbw"},
    )
    assert answer.status_code == 200, answer.text
    web = answer.json()
    x, y, z = centre_lps
    capsys.readouterr()
    assert main(["stats", str(_pet_path(site)), "--voi", f"sphere:{x},{y},{z},3.0",
                 "--unit", "SUVbw", "--json"]) == 0  # fmt: skip
    cli = json.loads(capsys.readouterr().out)
    rows = cli if isinstance(cli, list) else cli["regions"]
    assert len(rows) == len(web["frames"]) == image.n_frames
    for mine, theirs in zip(web["frames"], rows, strict=True):
        assert mine["mean"] == pytest.approx(theirs["mean"], rel=1e-9)
    assert len(web["tac"]) == image.n_frames and web["unit"] == "SUVbw"


def test_security_headers_and_limits(client):
    page = client.get("/login")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    login(client, "r000")
    big = client.post("/api/bookings", content=b"x", headers={"content-length": str(2**40)})
    assert big.status_code == 413
    assert client.get("/static/../settings.py").status_code == 404
    assert "/api/login" in client.get("/api/openapi.json").json()["paths"]


def test_the_session_cookie_is_http_only_and_same_site(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as fresh:
        answer = fresh.post("/api/login", json={"username": "pi00", "password": "positrix-demo"})
    header = answer.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header and "path=/" in header


def test_learn_is_public_and_bounded(client):
    assert client.get("/learn").status_code == 200
    too_much = client.get("/api/learn/scan", params={"activity_mbq": 500})
    assert too_much.status_code == 400 and "activity_mbq" in too_much.text
    answer = client.get(
        "/api/learn/scan",
        params={"phantom": "nema", "activity_mbq": 2, "scan_s": 10, "attenuation": False},
    )
    data = answer.json()
    assert answer.status_code == 200 and data["corrections"] == ["randoms"]
    assert "attenuation" in data["sentence"]
    from PIL import Image

    assert Image.open(io.BytesIO(__import__("base64").b64decode(data["png"]))).size[0] > 500
    # without attenuation correction the NEMA phantom's activity comes out low
    assert 0.4 < data["recovery"] < 0.9


def test_a_voi_is_saved_to_the_study_and_measured_again(client, site, capsys):
    csrf = login(client, "r000")
    image = load(_pet_path(site))
    c = image.grid.center_mm
    body = {"center_ras_mm": [-c[0], -c[1], c[2]], "radius_mm": 3.0, "name": "core"}
    saved = client.post("/api/series/1/vois", json=body, headers={"X-CSRF-Token": csrf})
    assert saved.status_code == 201, saved.text
    made = saved.json()
    assert {"core.nii.gz", "core.tsv", "core-seg.dcm"} <= set(made["files"])
    assert made["name"] in [v["name"] for v in client.get("/api/series/1/vois").json()]
    again = client.post(
        f"/api/series/1/voi?labels={made['id']}",
        json=body | {"unit": "SUVbw"},
        headers={"X-CSRF-Token": csrf},
    )
    assert again.status_code == 200, again.text
    folder = next((Path(site["data_folder"]) / "vois").rglob("core.nii.gz"))
    capsys.readouterr()
    assert main(["stats", str(_pet_path(site)), "--voi", str(folder), "--unit", "SUVbw",
                 "--json"]) == 0  # fmt: skip
    rows = json.loads(capsys.readouterr().out)
    rows = rows if isinstance(rows, list) else rows["regions"]
    assert [r["mean"] for r in again.json()["frames"]] == pytest.approx([r["mean"] for r in rows])
    from positrix.quant.seg import read_seg

    seg = read_seg(folder.parent / "core-seg.dcm", grid=image.grid)
    assert (seg.labels > 0).sum() == again.json()["frames"][0]["n_voxels"]  # SEG = NIfTI labels
    for bad in ("../../etc", "a b", ""):
        refused = client.post(
            "/api/series/1/vois", json=body | {"name": bad}, headers={"X-CSRF-Token": csrf}
        )
        assert refused.status_code in (400, 422)


def test_viewers_cannot_save_vois(client):
    csrf = login(client, "vic")
    body = {"center_ras_mm": [0, 0, 0], "radius_mm": 3.0, "name": "nope"}
    answer = client.post("/api/series/1/vois", json=body, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 403


def test_the_same_site_on_postgresql(site, tmp_path):
    """The demo site restored into PostgreSQL serves the same answers."""
    from fastapi.testclient import TestClient

    from positrix.facility.backup import backup_database, restore_database
    from positrix.facility.db import make_engine
    from positrix.web.app import create_app
    from positrix.web.settings import WebSettings
    from tests.facility.conftest import _postgres_database

    source = make_engine(site["db_url"])
    backup_database(source, tmp_path / "site.jsonl.gz")
    source.dispose()
    databases = _postgres_database()
    url = next(databases)
    try:
        target = make_engine(url)
        restore_database(target, tmp_path / "site.jsonl.gz")
        target.dispose()
        app = create_app(WebSettings(db_url=url, data_folder=Path(site["data_folder"])))
        with TestClient(app) as client:
            csrf = login(client, "r000")
            assert site["project"] in [p["code"] for p in client.get("/api/projects").json()]
            assert client.get(f"/api/sessions/{site['session_id']}").status_code == 200
            slot = {
                "instrument": "inveon",
                "project": site["project"],
                "user": "r000",
                "start": "2027-02-01T09:00:00+00:00",
                "end": "2027-02-01T10:00:00+00:00",
            }
            first = client.post("/api/bookings", json=slot, headers={"X-CSRF-Token": csrf})
            second = client.post("/api/bookings", json=slot, headers={"X-CSRF-Token": csrf})
            assert first.status_code == 201 and second.status_code == 400
            assert f"overlaps booking {first.json()['id']}" in second.text
        app.state.engine.dispose()
        app.state.read_engine.dispose()
    finally:
        next(databases, None)
