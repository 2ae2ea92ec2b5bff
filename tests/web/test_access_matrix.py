"""Every route × every role × own/other project: the status each must get.  Removing a check
anywhere (a page, the API, an image, a file) changes a cell and fails this test."""

from __future__ import annotations

import itertools

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import login

ROLES = ("anonymous", "admin", "staff0", "pi00", "r000", "vic", "pi01")
SEES = {"admin", "staff0", "pi00", "r000", "vic"}  # the demo project's people and the staff
STAFF = {"admin", "staff0"}


def _expected_get(route: str, role: str) -> int:
    if route.startswith("/learn") or route == "/api/openapi.json":
        return 200
    if role == "anonymous":
        return 401 if route.startswith("/api/") else 303
    if route.startswith("/admin"):
        return 200 if role in STAFF else 403
    if "{own}" in route or "{session}" in route or "{animal}" in route or "{series}" in route:
        return 200 if role in SEES else 404
    return 200


ROUTES = (
    "/",
    "/calendar",
    "/hours",
    "/admin",
    "/learn",
    "/api/openapi.json",
    "/projects/{own}",
    "/animals/{animal}",
    "/sessions/{session}",
    "/api/projects/{own}",
    "/api/animals/{animal}",
    "/api/sessions/{session}",
    "/api/series/{series}/volume.nii.gz",
    "/api/series/{series}/mip.gif",
    "/api/me",
)


def _client(app, role: str) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)
    csrf = login(client, role) if role != "anonymous" else ""
    return client, csrf


@pytest.fixture(scope="module")
def clients(app):
    app.state.limiter._failures.clear()
    made = {role: _client(app, role) for role in ROLES}
    yield made
    for client, _ in made.values():
        client.close()


def _fill(route: str, site) -> str:
    return route.format(
        own=site["project"], session=site["session_id"], animal="demo-mouse-01", series=1
    )


@pytest.mark.parametrize(("route", "role"), list(itertools.product(ROUTES, ROLES)))
def test_get(route, role, clients, site):
    client, _ = clients[role]
    answer = client.get(_fill(route, site))
    expected = _expected_get(route, role)
    if route == "/api/me" and role != "anonymous":
        expected = 200
    assert answer.status_code == expected, f"{role} {route}: {answer.status_code}"
    if expected == 303:
        assert answer.headers["location"].startswith("/login")


BOOKERS = {
    "admin": 201,
    "staff0": 201,
    "pi00": 201,
    "r000": 201,
    "vic": 403,
    "pi01": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", ROLES)
def test_booking_the_demo_project(role, clients, site):
    client, csrf = clients[role]
    hour = 8 + ROLES.index(role)  # a slot per role
    who = role if role in ("pi00", "r000", "vic", "pi01") else "r000"
    body = {
        "instrument": "inveon",
        "project": site["project"],
        "user": who,
        "start": f"2026-12-22T{hour:02d}:00:00+00:00",
        "end": f"2026-12-22T{hour:02d}:50:00+00:00",
    }
    answer = client.post("/api/bookings", json=body, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == BOOKERS[role], f"{role}: {answer.status_code} {answer.text}"


@pytest.mark.parametrize("role", ROLES[1:])
def test_a_write_with_another_users_csrf_token_is_refused(role, clients, site):
    client, _ = clients[role]
    other = clients["admin" if role != "admin" else "staff0"][1]
    answer = client.post("/api/bookings/1/cancel", headers={"X-CSRF-Token": other})
    assert answer.status_code == 403 and "CSRF" in answer.text
