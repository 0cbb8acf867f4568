"""The support line and the account API over real HTTP: gunicorn serving
wsgi:app, the operator's CLI in subprocesses, requests as the portal."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from store.lines import add_line
from tests.helpers import HOME, MOBILE, PLATFORMS, http_settings
from tests.server import ROOT, environment, gunicorn

DESK = "+33199000000"


@pytest.fixture(scope="module", params=PLATFORMS)
def served(databases, request):
    url = databases.create()
    settings = http_settings(
        request.param,
        IVR_DATABASE_URL=url,
        IVR_PIN_PEPPER="http-pepper",
        IVR_SECRET_KEY="http-key",
        IVR_BCRYPT_ROUNDS=4,
        IVR_SUPPORT_DIAL=DESK,
    )
    from store.db import make_engine, make_session_factory

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        add_line(session, HOME, region="FR", language="en", customer_number="100200300")
        session.commit()
    engine.dispose()
    with gunicorn(settings) as base:
        yield base, settings
    databases.drop(url)


def flask(settings, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "ivr", *args],
        cwd=ROOT,
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_portal_and_support_line_over_http(served):
    base, settings = served
    key = flask(settings, "create-api-key", "portal").strip()
    auth = {"Authorization": f"Bearer {key}"}
    line_url = f"{base}/api/v1/lines/%2B33142685300"
    assert requests.get(line_url, timeout=10).status_code == 401
    answer = requests.put(
        f"{line_url}/service-pin", json={"pin": "48271"}, headers=auth, timeout=10
    )
    assert answer.status_code == 200
    assert answer.json()["service_pin"]["permanent_active"]
    home = flask(
        settings, "call", "--from", HOME, "--to", "support", "--url", base, "--keys", "48271#"
    )
    assert "Thank you, your identity is confirmed." in home
    assert f"(call put through to {DESK})" in home
    issued = requests.post(f"{line_url}/service-pin/temporary", headers=auth, timeout=10).json()
    mobile = flask(
        settings,
        "call",
        "--from",
        MOBILE,
        "--to",
        "support",
        "--url",
        base,
        "--keys",
        f"100200300# {issued['pin']}#",
    )
    assert "Thank you, your identity is confirmed." in mobile
    state = requests.get(line_url, headers=auth, timeout=10).json()
    assert state["service_pin"]["kinds_active"] == ["permanent", "temporary"]
    assert issued["pin"] not in str(state)
