"""JSON logs (one line per webhook, never a digit of a code), /healthz and /metrics."""

from __future__ import annotations

import io
import json
import logging
import sys
import time
from typing import Any

import requests
from prometheus_client import REGISTRY
from sqlalchemy import select

from ivr import create_app, observability
from ivr.observability import JsonFormatter, log_json_to_stderr
from ivr.phone import PhoneCall
from menus.catalogue import sentence
from store import pins
from store.models import Line
from store.resets import reset_mailbox
from tests.helpers import AUTH_TOKEN, HOME, MOBILE, CheckedTransport, give_code
from tests.server import free_port, gunicorn

CODE = "7391"
SID = "CA" + "ab" * 16


def webhook_lines(caplog) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name.startswith("ivr")]


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_one_json_line_per_webhook_and_never_a_code(app, make_line, caplog):
    caplog.set_level(logging.INFO, logger="ivr")
    make_line()
    home = PhoneCall(CheckedTransport(app), AUTH_TOKEN, caller=HOME, called="access", sid=SID)
    home.dial("/voice/access").press("2").press("2").press("1").press(f"{CODE}#").press("1")
    assert home.heard(sentence("en", "saved"))
    away = PhoneCall(
        CheckedTransport(app),
        AUTH_TOKEN,
        caller=MOBILE,
        called="access",
        sid=SID.replace("ab", "cd"),
    )
    away.dial("/voice/access").press("0142685300#").press("1111#").press(f"{CODE}#")
    lines = webhook_lines(caplog)
    webhooks = [line for line in lines if line["message"] == "webhook"]
    assert len(webhooks) == len(home.documents) + len(away.documents)
    first = webhooks[0]
    assert (first["call_sid"], first["step"], first["status"]) == (SID, "access", 200)
    assert first["outcome"] == "main"
    assert first["duration_ms"] >= 0
    check = [w for w in webhooks if (w.get("operations") or {}).get("check_code") == "wrong"]
    assert len(check) == 1
    assert check[0]["step"] == "remote_login"
    for line in lines:
        text = json.dumps({k: v for k, v in line.items() if k not in ("time", "pid")})
        assert CODE not in text
        assert "1111" not in text


def test_metrics_count_steps_verifications_strikes_locks_and_resets(
    app, make_line, phone, session, client
):
    make_line()
    give_code(app, session, CODE)
    before = {
        "menu": metric("ivr_webhook_requests_total", step="main", status="200"),
        "wrong": metric("ivr_verifications_total", operation="check_code", result="wrong"),
        "strikes": metric("ivr_strikes_total", operation="check_code"),
        "locks": metric("ivr_locks_total", what="mailbox"),
        "resets": metric("ivr_resets_total", what="mailbox"),
        "latency": metric("ivr_webhook_seconds_count", step="remote_login"),
    }
    phone(HOME).press(f"{CODE}#").press("2")
    phone(MOBILE).press("0142685300#").press("1111#").press("2222#").press("3333#")
    line = session.scalars(select(Line)).one()
    reset_mailbox(
        session,
        line,
        actor="test",
        reason="locked out",
        override=True,
        now=app.config["IVR_CLOCK"](),
    )
    session.commit()
    assert (
        metric("ivr_verifications_total", operation="check_code", result="wrong")
        == before["wrong"] + 2
    )
    assert metric("ivr_strikes_total", operation="check_code") == before["strikes"] + 3
    assert metric("ivr_locks_total", what="mailbox") == before["locks"] + 1
    assert metric("ivr_resets_total", what="mailbox") == before["resets"] + 1
    assert metric("ivr_webhook_seconds_count", step="remote_login") == before["latency"] + 3
    assert metric("ivr_webhook_requests_total", step="main", status="200") == before["menu"] + 1
    exposed = client.get("/metrics")
    assert exposed.status_code == 200
    assert exposed.mimetype == "text/plain"
    assert 'ivr_locks_total{what="mailbox"}' in exposed.get_data(as_text=True)


def test_healthz_says_whether_the_database_answers(client, settings):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    down = create_app(
        {
            **settings,
            "IVR_DATABASE_TIMEOUT": 1,
            "IVR_DATABASE_URL": f"postgresql+psycopg://ivr@127.0.0.1:{free_port()}/x",
        }
    )
    answer = down.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable", "database": "unreachable"}


def test_metrics_add_up_over_gunicorn_workers(database_url, tmp_path):
    settings = {
        "IVR_DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "IVR_PIN_PEPPER": "p",
        "IVR_SECRET_KEY": "k",
        "IVR_BCRYPT_ROUNDS": 4,
    }
    log = tmp_path / "gunicorn.log"
    # Each worker is replaced after 10 requests: the counts of workers that
    # have gone must still be in the total.
    # A request may wait for a replacement to import the app (slower under coverage).
    wait = 30
    with gunicorn(settings, workers=2, threads=2, log=log, args=["--max-requests", "10"]) as base:
        assert requests.get(f"{base}/healthz", timeout=wait).status_code == 200
        for _ in range(40):
            assert requests.post(f"{base}/voice/fallback", timeout=wait).status_code == 403
        exposed = requests.get(f"{base}/metrics", timeout=wait).text
    counted = [
        line
        for line in exposed.splitlines()
        if line.startswith("ivr_webhook_requests_total{") and 'status="403"' in line
    ]
    assert len(counted) == 1
    assert float(counted[0].split()[-1]) == 40.0
    pids = {
        json.loads(line)["pid"]
        for line in log.read_text().splitlines()
        if line.startswith("{") and '"webhook"' in line
    }
    assert len(pids) >= 4, "workers should have been replaced along the way"


def test_service_pin_checks_are_verifications_and_strikes(app, session, make_line, phone, caplog):
    caplog.set_level(logging.INFO, logger="ivr")
    make_line()
    line = session.scalars(select(Line)).one()
    pins.set_permanent_pin(
        session,
        app.extensions["ivr.hasher"],
        line,
        "739154",
        actor="test",
        now=app.config["IVR_CLOCK"](),
    )
    session.commit()
    wrong = metric("ivr_verifications_total", operation="check_pin", result="wrong")
    verified = metric("ivr_verifications_total", operation="check_pin", result="verified")
    strikes = metric("ivr_strikes_total", operation="check_pin")
    call = phone(HOME, to="/support/incoming").press("480263#").press("739154#")
    assert call.heard(sentence("en", "identity_confirmed"))
    assert metric("ivr_verifications_total", operation="check_pin", result="wrong") == wrong + 1
    assert (
        metric("ivr_verifications_total", operation="check_pin", result="verified") == verified + 1
    )
    assert metric("ivr_strikes_total", operation="check_pin") == strikes + 1
    for line_ in webhook_lines(caplog):
        text = json.dumps({k: v for k, v in line_.items() if k not in ("time", "pid")})
        assert "739154" not in text
        assert "480263" not in text


def test_a_request_line_written_directly_is_the_one_logging_writes(monkeypatch):
    """Under gunicorn the line skips `logging` (ivr/observability.py); the bytes are the same."""
    stream = io.StringIO()
    logger = logging.getLogger("ivr")
    saved = (logger.handlers[:], logger.propagate, logger.level, observability._json_handler)
    for name in ("_srcfile", "logThreads", "logMultiprocessing", "logProcesses"):
        monkeypatch.setattr(logging, name, getattr(logging, name))  # log_json_to_stderr sets them
    monkeypatch.setattr(sys, "stderr", stream)
    logger.setLevel(logging.INFO)
    try:
        log_json_to_stderr()
        monkeypatch.setattr(time, "time", lambda: 1_700_000_000.123)
        monkeypatch.setattr(time, "time_ns", lambda: 1_700_000_000_123_000_000)
        noted = observability.Notes()
        noted.update(flow="access", step="main_menu", step_number=3, claim="proceed")
        noted.operation("check_code", "right")
        observability.record("POST", "/voice/step/3", SID, noted, 200, 0.0123, "voice.step")
        handler = observability._json_handler
        assert handler is not None
        handler.addFilter(lambda _record: True)  # something else looks: logging writes it
        observability.record("POST", "/voice/step/3", SID, noted, 200, 0.0123, "voice.step")
    finally:
        logger.handlers[:], logger.propagate, _, observability._json_handler = saved
        logger.setLevel(saved[2])
    direct, through_logging = stream.getvalue().splitlines()
    assert direct == through_logging
    assert json.loads(direct)["operations"] == {"check_code": "right"}
