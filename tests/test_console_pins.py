"""Service PINs in the console: e-mail a temporary PIN, check the one read out, clear a lock.

The adviser never sees a PIN: it reaches the test through a local SMTP
server (aiosmtpd), as it would reach the subscriber.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from store import pins
from store.models import AuditEntry, Line, OutboxMessage, SupportCall
from tests.conftest import HOME, MOBILE
from tests.console import make_adviser, post_form, sign_in
from tests.test_console_lines import lock_by_phone
from tests.test_mail import Inbox, smtp  # noqa: F401  (the SMTP server fixture)

LINE_PAGE = f"/console/lines/{HOME}"


@pytest.fixture
def settings(settings, clock, request):
    settings = {**settings, "IVR_CLOCK": clock}
    if "smtp" in request.fixturenames:
        settings["IVR_SMTP_URL"] = request.getfixturevalue("smtp").url
    return settings


@pytest.fixture
def adviser(app, client, clock):
    sign_in(client, make_adviser(app), clock)


def live_call(session, clock, caller=MOBILE):
    """The support call the adviser is on."""
    line = session.scalars(select(Line)).one()
    session.add(SupportCall(sid="CA" + "5" * 32, line_id=line.id, caller=caller,
                            started_at=clock() - timedelta(minutes=2)))
    session.commit()


def pin_from(inbox: Inbox) -> str:
    [(_, recipients, message)] = inbox.messages
    assert recipients == ["sub@example.com"]
    found = re.search(r"\b(\d{6})\b", message.get_content())
    assert found
    return found.group(1)


def console_pages(client) -> str:
    return "".join(client.get(path).get_data(as_text=True) for path in (
        LINE_PAGE, "/console/audit", "/console/audit.csv", "/console/calls", "/console/"))


def test_temporary_pin_goes_by_e_mail_and_verifies_the_call(
        app, client, session, make_line, phone, adviser, smtp, clock):  # noqa: F811
    make_line(email="sub@example.com")
    lock_by_phone(app, session, phone)
    live_call(session, clock)
    answer = post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/send", {})
    page = client.get(answer.location).get_data(as_text=True)
    assert "on its way to s…@example.com" in page
    pin = pin_from(smtp)
    assert pin not in page and pin not in console_pages(client)
    assert session.scalars(select(OutboxMessage.body)).one() is None  # erased once sent
    assert 'id="pin-temporary">Active until' in page

    answer = post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/check", {"pin": pin})
    assert "Verified: the temporary PIN is right" in client.get(answer.location).get_data(
        as_text=True)
    session.expire_all()
    call = session.get(SupportCall, "CA" + "5" * 32)
    assert (call.verified_by, call.verified_at) == ("temporary", clock())
    # Verified: the reset needs no override now.
    answer = post_form(client, LINE_PAGE, f"{LINE_PAGE}/reset", {"reason": "verified by PIN"})
    assert answer.status_code == 302
    reset = session.scalars(select(AuditEntry).where(AuditEntry.action == "mailbox.reset")).one()
    assert reset.override is False and reset.details["verified_call"] == call.sid
    done = [entry.action for entry in session.scalars(
        select(AuditEntry).where(AuditEntry.actor == "adviser:ann").order_by(AuditEntry.id))]
    assert done[-3:] == ["service_pin.temporary_issued", "service_pin.checked", "mailbox.reset"]


def test_without_smtp_the_pin_waits_in_the_outbox_unseen(
        app, client, session, make_line, adviser, clock):
    make_line(email="sub@example.com")
    post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/send", {})
    body = session.scalars(select(OutboxMessage.body)).one()
    found = re.search(r"\b(\d{6})\b", body)
    assert found and found.group(1) not in console_pages(client)


def test_no_address_on_file_no_pin(app, client, session, make_line, adviser):
    make_line()
    answer = post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/send", {})
    assert "No e-mail address on file" in client.get(answer.location).get_data(as_text=True)
    assert session.scalars(select(OutboxMessage)).all() == []
    line = session.scalars(select(Line)).one()
    assert pins.pin_state(line, app.config["IVR_CLOCK"]()).temporary_expires_at is None


def test_wrong_pins_lock_like_on_the_phone_and_an_adviser_clears_it(
        app, client, session, make_line, adviser, clock):
    make_line(email="sub@example.com")
    live_call(session, clock)
    for _ in range(3):
        answer = post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/check", {"pin": "482915"})
    page = client.get(answer.location).get_data(as_text=True)
    assert "locked on this line" in page
    assert 'id="pin-status">Verification locked<' in page
    call = session.get(SupportCall, "CA" + "5" * 32)
    assert call.verified_by is None
    post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/clear-lock", {})
    page = client.get(LINE_PAGE).get_data(as_text=True)
    assert 'id="pin-failures">0 of 3' in page and 'id="pin-status">Can verify<' in page
    actions = [entry.action for entry in session.scalars(select(AuditEntry))]
    assert "service_pin.locked" in actions and actions[-1] == "service_pin.lock_cleared"


def test_a_permanent_pin_verifies_only_a_call_from_its_own_line(
        app, client, session, make_line, adviser, clock):
    make_line()
    line = session.scalars(select(Line)).one()
    pins.set_permanent_pin(session, app.extensions["ivr.hasher"], line, "5830",
                           actor="api", now=clock())
    session.commit()
    live_call(session, clock, caller=MOBILE)
    answer = post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/check", {"pin": "5830"})
    assert "not valid" in client.get(answer.location).get_data(as_text=True)
    session.execute(delete(SupportCall))
    session.commit()
    live_call(session, clock, caller=HOME)
    answer = post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/check", {"pin": "5830"})
    assert "the service PIN is right" in client.get(answer.location).get_data(as_text=True)


def test_malformed_pins_are_refused_without_counting(app, client, session, make_line, adviser):
    make_line()
    for typed in ("12", "abcdef", "١٢٣٤", "123456789"):
        answer = post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/check", {"pin": typed})
        assert answer.status_code == 400
    line = session.scalars(select(Line)).one()
    assert pins.pin_state(line, app.config["IVR_CLOCK"]()).failures == 0
