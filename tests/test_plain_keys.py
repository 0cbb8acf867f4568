"""Plain keys answered before Flask (ivr/plainkeys.py) behave exactly as through Flask.

The same call is placed twice, on two fresh databases: once through an app
whose plain keys skip Flask, once through one where every request goes
through Flask. Answers, log lines and metrics must be the same, retries,
stale requests and ended calls included, failures and the deadline too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from twilio.request_validator import RequestValidator
from werkzeug.wsgi import get_current_url

import ivr.steps
from ivr import create_app
from ivr.phone import PhoneCall
from ivr.plainkeys import PlainKeys
from ivr.plainkeys import request_url as plain_url
from ivr.platforms import build
from ivr.signature import verify
from menus.catalogue import sentence
from store.lines import add_line
from tests.helpers import AUTH_TOKEN, HOME, CheckedTransport

SID = "CA" + "5" * 32


class Recorder(CheckedTransport):
    """Keeps every answer (status and body) the app gave."""

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self.answers: list[tuple[int, str]] = []

    def post(self, url: str, form: Any, headers: Any) -> tuple[int, str]:
        answer = super().post(url, form, headers)
        self.answers.append(answer)
        return answer


@pytest.fixture
def make_app(databases, settings) -> Iterator[Callable[[bool], Flask]]:
    made: list[tuple[Flask, str]] = []

    def make(plain: bool) -> Flask:
        url = databases.create()
        app = create_app({**settings, "IVR_DATABASE_URL": url, "IVR_PLAIN_KEYS": plain})
        with app.extensions["ivr.sessions"]() as session:
            add_line(session, HOME, region="FR", language="en")
            session.commit()
        made.append((app, url))
        return app

    yield make
    for app, url in made:
        app.extensions["ivr.engine"].dispose()
        databases.drop(url)


@pytest.fixture
def plain_answers(monkeypatch) -> list[str]:
    """Every answer the plain path gave itself (not handed to Flask)."""
    answered: list[str] = []
    original = PlainKeys.answer

    def spy(self: PlainKeys, environ: dict[str, Any]) -> str | None:
        answer = original(self, environ)
        if answer is not None:
            answered.append(answer)
        return answer

    monkeypatch.setattr(PlainKeys, "answer", spy)
    return answered


def counters() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The app's counters and histogram counts (not the timings)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for metric in REGISTRY.collect()
        if metric.name.startswith("ivr_")
        for s in metric.samples
        if s.name.endswith(("_total", "_count"))
    }


def place(app: Flask, script: Callable[[PhoneCall], None], caplog) -> dict[str, Any]:
    """Run `script` on a new call; what the app answered, logged and counted."""
    caplog.clear()
    before = counters()
    transport = Recorder(app)
    call = PhoneCall(transport, AUTH_TOKEN, caller=HOME, called="/voice/access", sid=SID)
    with caplog.at_level(logging.INFO, logger="ivr"):
        script(call.dial("/voice/access"))
    after = counters()
    logged = [
        {k: v for k, v in getattr(r, "fields", {}).items() if k != "duration_ms"}
        | {
            "message": r.getMessage(),
            "logger": r.name,
            "error": r.exc_info[0].__name__ if r.exc_info and r.exc_info[0] else None,
        }
        for r in caplog.records
    ]
    return {
        "answers": transport.answers,
        "logged": logged,
        "counted": {
            k: after[k] - before.get(k, 0.0) for k in after if after[k] != before.get(k, 0.0)
        },
    }


def walk(call: PhoneCall) -> None:
    """Menus, a wrong key, silence, an operation, a retry, a stale step, then an ended call."""
    call.press("2").press("*").press("9").silence().press("2")
    call.press("2")  # the code menu: an operation runs, so Flask answers it
    call.press("1")  # choose a code: an entry, no operation yet
    call.retry()  # the platform retries the last request: the same answer
    call.post("/voice/step/2", {"Digits": "2"})  # a step long gone: stale
    call.press("*")
    call.hang_up()
    call.post("/voice/step/9", {"Digits": "1"})  # after the call ended


def silence_to_goodbye(call: PhoneCall) -> None:
    """Silence until the flow says goodbye and ends the call, on a plain step."""
    while not call.ended:
        call.silence()
    call.post("/voice/step/5", {})


def same_either_way(make_app, caplog, script) -> tuple[dict[str, Any], dict[str, Any]]:
    plain, flask = place(make_app(True), script, caplog), place(make_app(False), script, caplog)
    assert plain["answers"] == flask["answers"]
    assert plain["logged"] == flask["logged"]
    assert plain["counted"] == flask["counted"]
    return plain, flask


@pytest.mark.parametrize("script", [walk, silence_to_goodbye])
def test_plain_keys_answer_log_and_count_as_flask_does(make_app, caplog, plain_answers, script):
    plain, _ = same_either_way(make_app, caplog, script)
    assert plain_answers, "the plain path answered nothing"
    assert len(plain_answers) < len(plain["answers"]), "nothing was left to Flask"
    claims = [line.get("claim") for line in plain["logged"] if "claim" in line]
    if script is walk:
        assert {"proceed", "replay", "stale", "ended"} <= set(claims)


def test_a_failure_on_a_plain_key_is_an_apology_either_way(
    make_app, caplog, plain_answers, monkeypatch
):
    def broken(*_args: Any, **_kwargs: Any) -> str:
        raise RuntimeError("rendering broke")

    def script(call: PhoneCall) -> None:
        monkeypatch.setattr(ivr.steps, "render_turn", broken)
        call.press("2")
        monkeypatch.undo()

    plain, _ = same_either_way(make_app, caplog, script)
    assert plain_answers
    assert sentence("en", "apology") in plain_answers[-1]
    failed = plain["logged"][-2]
    assert (failed["message"], failed["error"]) == ("webhook /voice/step/1 failed", "RuntimeError")
    assert plain["logged"][-1]["status"] == 200


def test_the_request_deadline_holds_on_plain_keys(make_app, caplog, plain_answers):
    def script(call: PhoneCall) -> None:
        call.transport.client.application.config["IVR_REQUEST_BUDGET"] = 0.0  # type: ignore
        call.press("2")

    plain, _ = same_either_way(make_app, caplog, script)
    assert plain_answers
    assert sentence("en", "apology") in plain_answers[-1]
    assert plain["logged"][-2]["error"] == "DeadlineExceeded"


@pytest.mark.parametrize(
    "url",
    [
        "https://ivr.example.com/voice/step/3",
        "https://ivr.example.com:443/voice/step/3",
        "http://127.0.0.1:8000/voice/step/3",
    ],
)
def test_the_one_hmac_check_accepts_exactly_what_the_validator_accepts(url):
    form = {"CallSid": SID, "Digits": "2", "From": HOME}
    validator = RequestValidator(AUTH_TOKEN)
    twilio = build({"IVR_PLATFORM": "twilio", "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
    stripped = url.replace(":443", "")
    for signed_url in {url, stripped, stripped.replace(".com", ".com:443")}:
        for token in (AUTH_TOKEN, "another-token"):
            signature = RequestValidator(token).compute_signature(signed_url, form)
            headers = {"X-Twilio-Signature": signature}
            assert verify(url, form, headers, platform=twilio) == validator.validate(
                url, form, signature
            ), (signed_url, token)
    assert not verify(url, form, {}, platform=twilio)
    unset = build({"IVR_PLATFORM": "twilio", "TWILIO_AUTH_TOKEN": None})
    assert not verify(url, form, {"X-Twilio-Signature": "x"}, platform=unset)


@pytest.mark.parametrize(
    "environ",
    [
        {"HTTP_HOST": "ivr.example.com", "wsgi.url_scheme": "https"},
        {"HTTP_HOST": "ivr.example.com:443", "wsgi.url_scheme": "https"},
        {"HTTP_HOST": "127.0.0.1:8000", "wsgi.url_scheme": "http", "SCRIPT_NAME": "/ivr/"},
        {"HTTP_HOST": "xn--bcher-kva.example", "wsgi.url_scheme": "https"},
        {"HTTP_HOST": "localhost", "wsgi.url_scheme": "http", "QUERY_STRING": "a=1"},
    ],
)
def test_the_plain_url_is_the_one_werkzeug_gives(environ):
    full = {
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "PATH_INFO": "/voice/step/3",
        "SCRIPT_NAME": "",
        **environ,
    }
    assert plain_url(full) == get_current_url(full)
