"""Service PINs in the console: e-mail a temporary PIN, check the one read out, clear a lock.

The adviser never sees a PIN: it reaches the test through a local SMTP
server (aiosmtpd), as it would reach the subscriber.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from menus.catalogue import sentence
from store import pins
from store.models import AuditEntry, Call, Line, OutboxMessage, SupportCall
from tests import twiml
from tests.console import make_adviser, post_form, sign_in
from tests.endpoints import Inbox
from tests.helpers import HOME, MOBILE, lock_by_phone

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


LIVE_SID = "CA" + "5" * 32


def live_call(session, clock, caller=MOBILE, sid=LIVE_SID):
    """The support call the adviser is on (its call state too: from its own line or not)."""
    line = session.scalars(select(Line).where(Line.number == HOME)).one()
    started = clock() - timedelta(minutes=2)
    session.add(
        Call(
            sid=sid,
            flow="support",
            line_id=line.id,
            caller=caller,
            home=caller == line.number,
            language="en",
            node="verified",
            started_at=started,
            updated_at=started,
        )
    )
    session.add(SupportCall(sid=sid, line_id=line.id, caller=caller, started_at=started))
    session.commit()


def check(client, pin, sid=LIVE_SID):
    """The adviser checks `pin` for the support call `sid`; the page it leads to."""
    answer = post_form(
        client, LINE_PAGE, f"{LINE_PAGE}/pin/check", {"pin": pin, "support_call": sid}
    )
    return client.get(answer.location).get_data(as_text=True)


def pin_from(inbox: Inbox) -> str:
    # The lock by phone sent its own notice first (tests/test_lock_notice.py).
    [(_, recipients, message)] = [m for m in inbox.messages if "PIN" in m[2]["Subject"]]
    assert recipients == ["sub@example.com"]
    found = re.search(r"\b(\d{6})\b", message.get_content())
    assert found
    return found.group(1)


def console_pages(client) -> str:
    return "".join(
        client.get(path).get_data(as_text=True)
        for path in (
            LINE_PAGE,
            "/console/audit",
            "/console/audit.csv",
            "/console/calls",
            "/console/",
        )
    )


def test_temporary_pin_goes_by_e_mail_and_verifies_the_call(
    app, client, session, make_line, phone, adviser, smtp, clock
):  # noqa: F811
    make_line(email="sub@example.com")
    lock_by_phone(app, session, phone)
    live_call(session, clock)
    answer = post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/send", {})
    page = client.get(answer.location).get_data(as_text=True)
    assert "on its way to s…@example.com" in page
    pin = pin_from(smtp)
    assert pin not in page
    assert pin not in console_pages(client)
    assert (
        session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "temporary_pin")
        ).one()
        is None
    )  # erased
    assert 'id="pin-temporary">Active until' in page

    assert "Verified: the temporary PIN is right" in check(client, pin)
    session.expire_all()
    call = session.get(SupportCall, LIVE_SID)
    assert (call.verified_by, call.verified_at) == ("temporary", clock())
    # Verified: the reset needs no override now.
    answer = post_form(client, LINE_PAGE, f"{LINE_PAGE}/reset", {"reason": "verified by PIN"})
    assert answer.status_code == 302
    reset = session.scalars(select(AuditEntry).where(AuditEntry.action == "mailbox.reset")).one()
    assert reset.override is False
    assert reset.details["verified_call"] == call.sid
    done = [
        entry.action
        for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.actor == "adviser:ann").order_by(AuditEntry.id)
        )
    ]
    assert done[-3:] == ["service_pin.temporary_issued", "service_pin.checked", "mailbox.reset"]


def test_without_smtp_the_pin_waits_in_the_outbox_unseen(
    app, client, session, make_line, adviser, clock
):
    make_line(email="sub@example.com")
    post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/send", {})
    body = session.scalars(select(OutboxMessage.body)).one()
    found = re.search(r"\b(\d{6})\b", body)
    assert found
    assert found.group(1) not in console_pages(client)


def test_no_address_on_file_no_pin(app, client, session, make_line, adviser):
    make_line()
    answer = post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/send", {})
    assert "No e-mail address on file" in client.get(answer.location).get_data(as_text=True)
    assert session.scalars(select(OutboxMessage)).all() == []
    line = session.scalars(select(Line)).one()
    assert pins.pin_state(line, app.config["IVR_CLOCK"]()).temporary_expires_at is None


def test_wrong_pins_lock_like_on_the_phone_and_an_adviser_clears_it(
    app, client, session, make_line, adviser, clock
):
    make_line(email="sub@example.com")
    live_call(session, clock)
    for _ in range(3):
        page = check(client, "482915")
    assert "locked on this line" in page
    assert 'id="pin-status">Verification locked<' in page
    call = session.get(SupportCall, LIVE_SID)
    assert call.verified_by is None
    post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/clear-lock", {})
    page = client.get(LINE_PAGE).get_data(as_text=True)
    assert 'id="pin-failures">0 of 3' in page
    assert 'id="pin-status">Can verify<' in page
    actions = [entry.action for entry in session.scalars(select(AuditEntry))]
    assert "service_pin.locked" in actions
    assert actions[-1] == "service_pin.lock_cleared"


def test_a_permanent_pin_verifies_only_a_call_from_its_own_line(
    app, client, session, make_line, adviser, clock
):
    make_line()
    line = session.scalars(select(Line)).one()
    pins.set_permanent_pin(
        session, app.extensions["ivr.hasher"], line, "5830", actor="api", now=clock()
    )
    session.commit()
    live_call(session, clock, caller=MOBILE)
    assert "not valid" in check(client, "5830")
    live_call(session, clock, caller=HOME, sid="CA" + "6" * 32)
    assert "the service PIN is right" in check(client, "5830", sid="CA" + "6" * 32)
    session.expire_all()
    assert session.get(SupportCall, LIVE_SID).verified_by is None
    assert session.get(SupportCall, "CA" + "6" * 32).verified_by == "permanent"


def test_malformed_pins_are_refused_without_counting(app, client, session, make_line, adviser):
    make_line()
    live_call(session, app.config["IVR_CLOCK"])
    for typed in ("12", "abcdef", "١٢٣٤", "123456789"):
        answer = post_form(
            client, LINE_PAGE, f"{LINE_PAGE}/pin/check", {"pin": typed, "support_call": LIVE_SID}
        )
        assert answer.status_code == 400
    line = session.scalars(select(Line)).one()
    assert pins.pin_state(line, app.config["IVR_CLOCK"]()).failures == 0


ATTACKER = "+33698765432"


def whisper(call, sid: str) -> list[str]:
    """What the adviser hears before being bridged to support call `sid`."""
    status, body = call.post(f"/support/whisper/{sid}", {"ParentCallSid": sid})
    assert status == 200
    return [said.text or "" for said in twiml.check(body).findall("Say")]


def test_a_pin_verifies_only_the_call_the_adviser_chose(
    app, client, session, make_line, phone, adviser, smtp, clock
):  # noqa: F811
    """The attack: a second caller names the victim's customer number after the victim;
    the victim's temporary PIN, checked in the console, must not verify that second call."""
    make_line(email="sub@example.com", customer_number="100200300")
    victim = phone(MOBILE, to="/support/incoming").press("100200300#")
    clock.advance(seconds=30)
    attacker = phone(ATTACKER, to="/support/incoming").press("100200300#")
    post_form(client, LINE_PAGE, f"{LINE_PAGE}/pin/send", {})

    assert "Verified: the temporary PIN is right" in check(client, pin_from(smtp), victim.sid)
    session.expire_all()
    assert session.get(SupportCall, victim.sid).verified_by == "temporary"
    assert session.get(SupportCall, attacker.sid).verified_by is None
    assert whisper(attacker, attacker.sid) == [sentence("en", "whisper_unverified")]
    assert whisper(victim, victim.sid) == [sentence("en", "whisper_verified_temporary")]
    # Both calls are offered on the line's page, by caller and time; none is preselected.
    page = client.get(LINE_PAGE).get_data(as_text=True)
    assert page.count('name="support_call"') == 2
    assert "checked" not in page
    assert f'value="{victim.sid}"' in page
    assert f'value="{attacker.sid}"' in page


def test_a_pin_needs_a_chosen_call_of_this_line(app, client, session, make_line, adviser, clock):
    make_line(customer_number="100200300")
    make_line("+33142685301", customer_number="100200301")
    # No live support call: nothing to verify, no form to post.
    page = client.get(LINE_PAGE).get_data(as_text=True)
    assert 'id="no-live-call"' in page
    live_call(session, clock)
    other = session.scalars(select(Line).where(Line.number == "+33142685301")).one()
    session.add(
        SupportCall(sid="CA" + "8" * 32, line_id=other.id, caller=MOBILE, started_at=clock())
    )
    session.commit()
    for sid in ("", "CA" + "8" * 32, "CA" + "9" * 32):  # none, another line's, unknown
        answer = post_form(
            client, LINE_PAGE, f"{LINE_PAGE}/pin/check", {"pin": "482915", "support_call": sid}
        )
        assert answer.status_code == 400
    assert pins.pin_state(session.get(Line, other.id), clock()).failures == 0
    line = session.scalars(select(Line).where(Line.number == HOME)).one()
    assert pins.pin_state(line, clock()).failures == 0
