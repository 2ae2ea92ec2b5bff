"""A demo site for the web tests: the session's demo output copied once per module, the demo
mouse registered with its PET and CT, demo logins, and a viewer on the demo project."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from positrix.facility.db import make_engine
from positrix.facility.people import add_member, create_user, get_user, set_password
from positrix.pipeline.demo_site import DEMO_PASSWORD, prepare_demo_site
from positrix.web.app import create_app
from positrix.web.settings import WebSettings


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_output):
    """``prepare_demo_site``'s answer, plus a viewer ``vic`` on the demo project."""
    folder = tmp_path_factory.mktemp("site")
    shutil.copytree(demo_output[0], folder / "demo-output")
    made = prepare_demo_site(folder, log=lambda _: None)
    engine = make_engine(made["db_url"])
    with Session(engine) as session, session.begin():
        admin = get_user(session, "admin")
        create_user(session, admin, "vic", role="viewer")
        add_member(session, admin, made["project"], "vic")
        set_password(session, admin, "vic", DEMO_PASSWORD)
    engine.dispose()
    return made


@pytest.fixture(scope="module")
def app(site):
    from pathlib import Path

    return create_app(
        WebSettings(db_url=site["db_url"], data_folder=Path(site["data_folder"]), login_attempts=5)
    )


@pytest.fixture
def client(app):
    app.state.limiter._failures.clear()
    with TestClient(app) as test_client:
        yield test_client


def login(client: TestClient, username: str) -> str:
    """Log ``username`` in through the API; returns the CSRF token."""
    answer = client.post("/api/login", json={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["csrf"])
