"""The foundation over real HTTP: gunicorn serving wsgi:app, the CLI phone calling it."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import requests

from ivr.phone import HttpTransport, PhoneCall
from ivr.platforms.caller import new_keypair
from menus.catalogue import sentence
from store.lines import add_line
from tests import twiml
from tests.helpers import HOME, PLATFORMS, http_settings, phone_secret
from tests.server import ROOT, environment, gunicorn


@pytest.fixture(scope="module", params=PLATFORMS)
def served(databases, request):
    """One gunicorn (2 workers) per platform, on a migrated database with the demo line."""
    url = databases.create()
    settings = http_settings(
        request.param,
        IVR_DATABASE_URL=url,
        IVR_PIN_PEPPER="http-pepper",
        IVR_SECRET_KEY="http-key",
        IVR_BCRYPT_ROUNDS=4,
    )
    from store.db import make_engine, make_session_factory

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        add_line(session, HOME, region="FR", language="en")
        session.commit()
    engine.dispose()
    with gunicorn(settings) as base:
        yield base, settings
    databases.drop(url)


def test_unsigned_and_forged_requests_are_refused(served):
    base, settings = served
    answer = requests.post(f"{base}/voice/access", data={"CallSid": "CA1", "From": HOME})
    assert answer.status_code == 403
    wrong = new_keypair()[0] if settings["IVR_PLATFORM"] == "telnyx" else "not-the-secret"
    forger = caller(base, settings, HOME)
    forger.token = wrong  # signed as the platform signs, with a secret that is not the account's
    status, _ = forger.post("/voice/access", {})
    assert status == 403


def caller(base: str, settings, number: str) -> PhoneCall:
    """A phone on the served app's platform, signing as it does."""
    platform = settings["IVR_PLATFORM"]
    return PhoneCall(
        HttpTransport(base),
        phone_secret(platform),
        caller=number,
        called="access",
        platform=platform,
    )


def test_a_remote_call_over_http(served):
    base, settings = served
    call = caller(base, settings, "+33612345678")
    call.dial("/voice/access")
    for _ in range(3):
        call.press("*")
    call.press("0999999999#").press("4827#")
    assert call.said[-2:] == [sentence("en", "wrong_code"), sentence("en", "enter_code")]
    for document in call.documents:
        twiml.check(ET.tostring(document, encoding="unicode"))


def test_cli_phone_against_the_server(served):
    base, settings = served
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "ivr",
            "call",
            "--from",
            HOME,
            "--to",
            "access",
            "--url",
            base,
            "--keys",
            "2 2 1 4827# 1",
        ],
        cwd=ROOT,
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = [line.strip() for line in result.stdout.splitlines()]
    assert (
        "You dialled 4, 8, 2, 7. If this code suits you, press 1. "
        "To dial another code, press 2." in out
    )
    assert "Your request has been taken into account." in out


def test_a_menu_key_retried_concurrently_is_taken_once(served):
    """The platform retrying one menu key 8 times at once: taken once, one answer for all."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy.orm import Session

    from store.db import make_engine

    base, settings = served
    engine = make_engine(settings["IVR_DATABASE_URL"])
    with Session(engine) as session:
        add_line(session, "+33142685309", region="FR", language="en")
        session.commit()
    engine.dispose()
    call = caller(base, settings, "+33142685309")
    call.dial("/voice/access")
    assert call.last_said == sentence("en", "main_menu")
    url, form, headers = call.signed("/voice/step/1", {"Digits": "2"})
    with ThreadPoolExecutor(8) as pool:  # the first try and its retries, all at once
        answers = list(pool.map(lambda _: HttpTransport(base).post(url, form, headers), range(8)))
    assert {status for status, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1
    assert sentence("en", "customise_menu") in answers[0][1]
    assert "/voice/step/2" in answers[0][1]
    status, after = call.post("/voice/step/2", {"Digits": "*"})
    assert status == 200
    assert sentence("en", "main_menu") in after
