"""The JSON API (/api/v1): each endpoint with good, unauthenticated, wrong-key and
malformed requests, and the account-portal story end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from menus.catalogue import sentence
from store import pins
from store.models import ApiKey, AuditEntry, Line
from tests.helpers import HOME, MOBILE

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TTL = 900
DESK = "client:advisers"
LINE_URL = "/api/v1/lines/%2B33142685300"
CUSTOMER = "100200300"


@pytest.fixture
def settings(settings):
    settings.update(IVR_CLOCK=lambda: T0, IVR_TEMP_PIN_SECONDS=TTL, IVR_SUPPORT_DIAL=DESK)
    return settings


@pytest.fixture
def key(runner) -> str:
    result = runner.invoke(args=["ivr", "create-api-key", "portal"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


@pytest.fixture
def auth(key) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def line(make_line) -> Line:
    return make_line(customer_number=CUSTOMER, email="sub@example.com")


ENDPOINTS = [
    ("POST", "/api/v1/lines", {"number": "+33142685301"}),
    ("GET", LINE_URL, None),
    ("PUT", f"{LINE_URL}/service-pin", {"pin": "48271"}),
    ("POST", f"{LINE_URL}/service-pin/temporary", None),
    ("POST", f"{LINE_URL}/credential-reset", None),
]


def pin_state(session) -> pins.PinState:
    session.expire_all()
    return pins.pin_state(session.scalars(select(Line).where(Line.number == HOME)).one(), T0)


def send(client, method, url, body=None, headers=None):
    return client.open(url, method=method, json=body, headers=headers or {})


def is_error(answer, status, error=None) -> bool:
    data = answer.get_json()
    assert answer.status_code == status, (answer.status_code, data)
    assert answer.mimetype == "application/json"
    assert isinstance(data["detail"], str)
    assert data["detail"]
    return error is None or data["error"] == error


def test_create_api_key_prints_it_once_and_stores_only_a_hash(runner, session, key):
    stored = session.scalars(select(ApiKey)).one()
    assert stored.name == "portal"
    assert key.startswith("ivr_")
    assert len(key) > 40
    assert key not in stored.key_hash
    assert len(stored.key_hash) == 64
    again = runner.invoke(args=["ivr", "create-api-key", "portal"])
    assert again.exit_code != 0
    assert "exists" in again.output
    bad = runner.invoke(args=["ivr", "create-api-key", "no spaces"])
    assert bad.exit_code != 0


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_unauthenticated_requests_get_401(client, session, line, method, url, body):
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        answer = send(client, method, url, body, headers)
        assert is_error(answer, 401, "unauthorized")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert pin_state(session) == pins.PinState(False, None, 0, False)


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_wrong_and_revoked_keys_are_refused(client, runner, session, key, line, method, url, body):
    wrong = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    assert is_error(send(client, method, url, body, {"Authorization": f"Bearer {wrong}"}), 401)
    too_long = {"Authorization": "Bearer ivr_" + "x" * 500}
    assert is_error(send(client, method, url, body, too_long), 401)
    assert runner.invoke(args=["ivr", "revoke-api-key", "portal"]).exit_code == 0
    answer = send(client, method, url, body, {"Authorization": f"Bearer {key}"})
    assert is_error(answer, 403, "forbidden")
    assert len(session.scalars(select(Line)).all()) == 1


def test_provision_a_line(client, session, auth):
    answer = send(
        client,
        "POST",
        "/api/v1/lines",
        {
            "number": "01 42 68 53 00",
            "customer_number": CUSTOMER,
            "language": "fr",
            "email": "sub@example.com",
        },
        auth,
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.headers["Location"] == LINE_URL
    state = answer.get_json()
    assert (state["number"], state["customer_number"], state["language"]) == (HOME, CUSTOMER, "fr")
    assert state["mailbox"] == {
        "code_set": False,
        "strikes": 0,
        "locked": False,
        "locked_since": None,
        "messages": {"new": 0, "saved": 0, "urgent": 0},
        "greetings": {"kinds_active": [], "away_until": None},
    }
    assert state["service_pin"]["kinds_active"] == []
    line = session.scalars(select(Line)).one()
    assert (line.number, line.email) == (HOME, "sub@example.com")
    duplicate = send(client, "POST", "/api/v1/lines", {"number": HOME}, auth)
    assert is_error(duplicate, 409, "conflict")
    same_customer = send(
        client, "POST", "/api/v1/lines", {"number": MOBILE, "customer_number": CUSTOMER}, auth
    )
    assert is_error(same_customer, 409)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"number": "12"}, 422),
        ({"number": "hello"}, 422),
        ({"number": 33142685300}, 422),
        ({"number": None}, 422),
        ({}, 422),
        ({"number": HOME, "language": "es"}, 422),
        ({"number": HOME, "language": 1}, 422),
        ({"number": HOME, "customer_number": "C-100"}, 422),
        ({"number": HOME, "customer_number": "1" * 33}, 422),
        ({"number": HOME, "email": "not an address"}, 422),
        ({"number": HOME, "email": ["a@b.c"]}, 422),
        ({"number": HOME, "admin": True}, 422),
        ([HOME], 422),
        ("+33142685300", 422),
    ],
)
def test_provision_refuses_malformed_bodies(client, session, auth, body, status):
    answer = send(client, "POST", "/api/v1/lines", body, auth)
    assert is_error(answer, status)
    assert session.scalars(select(Line)).all() == []


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b'{"number": "+33142685300"', "application/json", 400),
        (b"\xff\xfe\x00garbage", "application/json", 400),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400),
        (b'{"number": "+33142685300"}', "text/plain", 415),
        (b"number=%2B33142685300", "application/x-www-form-urlencoded", 415),
        (b'{"number": "' + b"1" * 20000 + b'"}', "application/json", 413),
    ],
)
def test_bodies_that_are_not_small_json_get_4xx(client, session, auth, data, content_type, status):
    answer = client.post("/api/v1/lines", data=data, content_type=content_type, headers=auth)
    assert is_error(answer, status)
    assert session.scalars(select(Line)).all() == []


def test_read_a_line_in_any_form(client, auth, line):
    for form in (
        LINE_URL,
        "/api/v1/lines/0142685300",
        "/api/v1/lines/01%2042%2068%2053%2000",
        "/api/v1/lines/+33142685300",
        "/api/v1/lines/0033142685300",
    ):
        answer = send(client, "GET", form, headers=auth)
        assert answer.status_code == 200, form
        assert answer.get_json()["number"] == HOME
        assert answer.headers["Cache-Control"] == "no-store"
    assert is_error(send(client, "GET", "/api/v1/lines/0142685399", headers=auth), 404)
    assert is_error(send(client, "GET", "/api/v1/lines/hello", headers=auth), 400, "invalid_number")


def test_set_the_permanent_pin(client, session, auth, line):
    answer = send(client, "PUT", f"{LINE_URL}/service-pin", {"pin": "48271"}, auth)
    assert answer.status_code == 200
    state = answer.get_json()["service_pin"]
    assert state["permanent_active"]
    assert state["kinds_active"] == ["permanent"]
    assert "48271" not in answer.get_data(as_text=True)
    entry = session.scalars(select(AuditEntry)).all()[-1]
    assert (entry.action, entry.actor) == ("service_pin.set", "api:portal")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"pin": "123456"}, "sequence"),
        ({"pin": "1111"}, "repeated"),
        ({"pin": "6969"}, "common"),
        ({"pin": "685300"}, "line_number"),
        ({"pin": "123"}, "length"),
        ({"pin": "4827x"}, "digits"),
    ],
)
def test_weak_pins_are_refused_with_a_reason(client, session, auth, line, body, reason):
    answer = send(client, "PUT", f"{LINE_URL}/service-pin", body, auth)
    assert is_error(answer, 422, "pin_refused")
    assert answer.get_json()["reason"] == reason
    assert not pin_state(session).permanent_active


@pytest.mark.parametrize(
    "body",
    [{"pin": 48271}, {"pin": None}, {}, {"pin": "48271", "x": 1}, ["48271"], {"pin": ["48271"]}],
)
def test_set_pin_refuses_malformed_bodies(client, session, auth, line, body):
    answer = send(client, "PUT", f"{LINE_URL}/service-pin", body, auth)
    assert is_error(answer, 422, "invalid_body")
    assert not pin_state(session).permanent_active


def test_pin_endpoints_for_unknown_or_invalid_lines(client, auth):
    for method, path, body in ENDPOINTS[2:]:
        unknown = path.replace("%2B33142685300", "0142685399")
        assert is_error(send(client, method, unknown, body, auth), 404, "not_found")
        invalid = path.replace("%2B33142685300", "12")
        assert is_error(send(client, method, invalid, body, auth), 400, "invalid_number")


def test_issue_a_temporary_pin_returns_it_once(client, session, auth, line):
    answer = send(client, "POST", f"{LINE_URL}/service-pin/temporary", headers=auth)
    assert answer.status_code == 201
    issued = answer.get_json()
    assert set(issued) == {"pin", "expires_at"}
    assert len(issued["pin"]) == 6
    assert datetime.fromisoformat(issued["expires_at"]) == T0 + timedelta(seconds=TTL)
    state = send(client, "GET", LINE_URL, headers=auth)
    assert issued["pin"] not in state.get_data(as_text=True)
    assert state.get_json()["service_pin"]["temporary_expires_at"] == issued["expires_at"]
    with_body = client.post(f"{LINE_URL}/service-pin/temporary", json={}, headers=auth)
    assert with_body.status_code == 201
    assert is_error(
        client.post(f"{LINE_URL}/service-pin/temporary", json={"ttl": 5}, headers=auth), 422
    )
    assert is_error(
        client.post(
            f"{LINE_URL}/service-pin/temporary", data="x", content_type="text/plain", headers=auth
        ),
        415,
    )


def test_credential_reset_disables_the_permanent_pin(client, auth, line):
    send(client, "PUT", f"{LINE_URL}/service-pin", {"pin": "48271"}, auth)
    answer = send(client, "POST", f"{LINE_URL}/credential-reset", headers=auth)
    assert answer.status_code == 200
    assert answer.get_json()["service_pin"]["permanent_active"] is False
    assert is_error(
        client.post(
            f"{LINE_URL}/credential-reset", data=b"{", content_type="application/json", headers=auth
        ),
        400,
    )


def test_unknown_paths_and_methods_answer_json(client, auth):
    assert is_error(send(client, "GET", "/api/v1/nothing", headers=auth), 404)
    answer = send(client, "DELETE", LINE_URL, headers=auth)
    assert is_error(answer, 405)
    assert "GET" in answer.headers["Allow"]


def test_the_portal_story(client, auth, line, phone):
    """The subscriber sets a PIN and gets a temporary one; the support line takes both."""
    send(client, "PUT", f"{LINE_URL}/service-pin", {"pin": "48271"}, auth)
    at_home = phone(HOME, to="/support/incoming").press("48271#")
    assert at_home.said[-2] == sentence("en", "identity_confirmed")
    issued = send(client, "POST", f"{LINE_URL}/service-pin/temporary", headers=auth).get_json()
    mobile = phone(MOBILE, to="/support/incoming").press(f"{CUSTOMER}#").press("48271#")
    assert mobile.last_said == sentence("en", "enter_service_pin")
    mobile.press(issued["pin"] + "#")
    assert mobile.said[-2] == sentence("en", "identity_confirmed")
    assert mobile.dialled == ["advisers"]
    state = send(client, "GET", LINE_URL, headers=auth).get_json()["service_pin"]
    assert (state["failures"], state["locked"]) == (0, False)


def test_openapi_document_is_public_json(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert json.loads(answer.get_data())["openapi"].startswith("3.")
