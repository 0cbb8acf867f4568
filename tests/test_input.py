"""Bad text never reaches the database, at any door (issue 9, item 8).

The attack: a lone surrogate in `email` gave the API a 500, and
"victim@example.com,attacker@example.net" was accepted as one address, so a
temporary PIN went to both. Here every door (API, console, CLI) refuses bad
text with its own kind of clear answer, and mail goes to the one address.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import select, update

from store.models import AuditEntry, Line, OutboxMessage
from store.text import InvalidText, email_address, plain_text
from tests.console import make_adviser, post_form, sign_in
from tests.helpers import HOME

TWO_ADDRESSES = "victim@example.com,attacker@example.net"
LINE_URL = "/api/v1/lines/%2B33142685300"
# Any code point at all, lone surrogates and controls included.
ANY_TEXT = st.text(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=40
)


@pytest.fixture
def settings(settings, clock, request):
    settings["IVR_CLOCK"] = clock
    if "smtp" in request.fixturenames:
        settings["IVR_SMTP_URL"] = request.getfixturevalue("smtp").url
    return settings


@pytest.fixture
def auth(runner) -> dict[str, str]:
    result = runner.invoke(args=["ivr", "create-api-key", "portal"])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip()}"}


def provision(client, auth, **fields) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"number": "+33142685301", **fields})  # ASCII: surrogates as \\ud800
    answer = client.post("/api/v1/lines", data=body, headers=auth, content_type="application/json")
    return answer.status_code, answer.get_json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "sub\ud800@example.com"),
        ("email", TWO_ADDRESSES),
        ("email", "victim@example.com attacker@example.net"),
        ("email", "Victim <victim@example.com>"),
        ("email", "victim@example.com\r\nBcc: attacker@example.net"),
        ("email", "no-at-sign.example.com"),
        ("email", "a" * 250 + "@example.com"),
        ("customer_number", "1002\x00300"),
        ("customer_number", "１００２００３００"),
        ("customer_number", "1" * 33),
        ("number", "+33142685301\ud800"),
        ("number", "+3314268530\u202e1"),
        ("number", "0" * 41),
        ("language", "e\x00n"),
    ],
)
def test_the_api_refuses_bad_text_with_422_and_stores_nothing(client, session, auth, field, value):
    status, body = provision(client, auth, **{field: value})
    assert status == 422, body
    assert body["error"] in ("invalid_body", "invalid_number")
    assert body["detail"]
    assert "\ud800" not in body["detail"]
    assert session.scalars(select(Line)).all() == []


def test_the_api_refuses_bad_text_in_a_pin_too(client, session, auth, make_line):
    make_line()
    answer = client.put(
        f"{LINE_URL}/service-pin",
        data=json.dumps({"pin": "4827\ud8001"}),
        headers=auth,
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert answer.get_json()["error"] == "invalid_body"


def test_an_address_is_stored_normalised(client, session, auth):
    status, body = provision(client, auth, email="Sub@Example.COM")
    assert status == 201
    assert body["email"] == "Sub@example.com"
    assert session.scalars(select(Line.email)).one() == "Sub@example.com"


@examples(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(field=st.sampled_from(["number", "customer_number", "language", "email"]), value=ANY_TEXT)
def test_any_text_in_any_field_is_a_clear_answer(app, auth, field, value):
    """Fuzzed over every code point: a 201, 409 or 422, never a 500."""
    with app.test_client() as client:
        status, body = provision(client, auth, **{field: value})
    assert status in (201, 409, 422), (status, body)
    if status == 201:
        stored = body[field]
        assert stored is None or plain_text(stored, field, max_length=254) == stored
    # One provisioned line per example would collide on the number: drop it again.
    with app.extensions["ivr.sessions"]() as session:
        session.execute(
            update(Line)
            .where(Line.number == "+33142685301")
            .values(number=f"x{uuid.uuid4().hex[:15]}")
        )  # 16 characters
        session.commit()


# ruff reads the lone surrogate as U+FFFD and calls the two cases duplicates; they are not.
@pytest.mark.parametrize(
    "text",
    ["a\x00b", "a\x1bb", "a\u202eb", "a\ufffdb", "a\ud800b"],  # noqa: PT014
)
def test_plain_text_refuses_controls_overrides_and_broken_utf8(text):
    with pytest.raises(InvalidText):
        plain_text(text, "reason", max_length=100)


def test_an_address_is_exactly_one(capsys):
    assert email_address("sub@EXAMPLE.com") == "sub@example.com"
    for bad in (TWO_ADDRESSES, "a@b@example.com", "<a@example.com>", "a@localhost"):
        with pytest.raises(InvalidText):
            email_address(bad)


# -- mail goes to the one address on file -------------------------------------------


def test_mail_goes_to_the_one_address_never_to_a_list(app, client, session, make_line, clock, smtp):  # noqa: F811
    """A row written before these checks (or by hand) still reaches one address at most."""
    make_line(email="sub@example.com")
    session.execute(update(Line).values(email=TWO_ADDRESSES))
    session.commit()
    sign_in(client, make_adviser(app), clock)
    page = f"/console/lines/{HOME}"
    post_form(client, page, f"{page}/pin/send", {})
    assert smtp.messages == []  # not to both, not to either
    message = session.scalars(select(OutboxMessage)).one()
    assert message.sent_at is None
    assert "one e-mail address" in (message.last_error or "")

    session.execute(update(Line).values(email="sub@example.com"))
    session.commit()
    post_form(client, page, f"{page}/pin/send", {})
    [(_, recipients, _)] = smtp.messages
    assert recipients == ["sub@example.com"]


# -- the console: a form error --------------------------------------------------------


@pytest.mark.parametrize("reason", ["lost\x00code", "lost \u202ecode", "x" * 501])
def test_the_console_refuses_bad_text_with_a_form_error(
    app, client, session, make_line, clock, reason
):
    make_line()
    sign_in(client, make_adviser(app), clock)
    page = f"/console/lines/{HOME}"
    answer = post_form(client, page, f"{page}/reset", {"reason": reason, "override": "y"})
    assert answer.status_code == 400
    assert 'class="errors"' in answer.get_data(as_text=True)
    actions = session.scalars(select(AuditEntry.action)).all()
    assert "mailbox.reset" not in actions


def test_the_console_search_refuses_control_characters(app, client, make_line, clock):
    make_line()
    sign_in(client, make_adviser(app), clock)
    answer = client.get("/console/search", query_string={"number": "0142685300\x00"})
    assert answer.status_code == 404
    assert "control character" in answer.get_data(as_text=True)


# -- the CLI: one clear line ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["ivr", "add-line", "0142685300\udcff"],
        ["ivr", "add-line", "0142685300", "--email", TWO_ADDRESSES],
        ["ivr", "add-line", "0142685300", "--email", "sub\udcff@example.com"],
        ["ivr", "add-line", "0142685300", "--customer-number", "12\x0034"],
        ["ivr", "create-api-key", "portal\x1b[2J"],
        ["ivr", "add-adviser", "ann\x00"],
    ],
)
def test_the_cli_refuses_bad_text_in_one_clear_line(runner, session, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    assert session.scalars(select(Line)).all() == []
