"""Voicemail over real HTTP: gunicorn (2 workers) on the database under test.

Concurrent wrong codes for one line never get more than three codes checked,
and the console phone leaves a message the subscriber then hears remotely; a
caller reviews a message and marks it urgent, and the subscriber hears it
first and moves around with keys while messages play (issue 13).
"""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select

from ivr.phone import HttpTransport, PhoneCall, simulated_recording
from menus.catalogue import sentence
from store import codes
from store.credentials import Hasher
from store.db import make_engine, make_session_factory
from store.lines import add_line
from store.models import AuditEntry, Line, Mailbox, Message
from tests import twiml
from tests.helpers import HOME, PLATFORMS, http_settings, phone_secret
from tests.server import ROOT, environment, gunicorn

CALLERS = 12
PEPPER = "voicemail-http-pepper"


@pytest.fixture(scope="module", params=PLATFORMS)
def served(databases, request):
    """gunicorn per platform, serving a migrated database with the demo line, its code 4827."""
    url = databases.create()
    settings = http_settings(
        request.param,
        IVR_DATABASE_URL=url,
        IVR_PIN_PEPPER=PEPPER,
        IVR_SECRET_KEY="http-key",
        IVR_BCRYPT_ROUNDS=4,
    )
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        line = add_line(session, HOME, region="FR", language="en")
        codes.save_code(session, Hasher(PEPPER.encode(), 4), line, "4827", line.created_at)
        session.commit()
    with gunicorn(settings, workers=2, threads=4) as base:
        yield base, settings, sessions
    engine.dispose()
    databases.drop(url)


class CheckedHttp(HttpTransport):
    """Real HTTP, every answer checked against the TwiML schema."""

    def post(self, url, form, headers):
        status, body = super().post(url, form, headers)
        if status == 200:
            twiml.check(body)
        return status, body


def remote(served, caller: str) -> PhoneCall:
    base, settings, _ = served
    platform = settings["IVR_PLATFORM"]
    return PhoneCall(
        CheckedHttp(base),
        phone_secret(platform),
        caller=caller,
        called="/voice/access",
        platform=platform,
    ).dial("/voice/access")


def test_the_console_phone_leaves_a_message_heard_remotely(served):
    base, settings, sessions = served
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "ivr",
            "call",
            "--from",
            "+33612345678",
            "--to",
            "deposit",
            "--mailbox",
            "0142685300",
            "--url",
            base,
            "--speak",
            "8",
            "--keys",
            "- 1",
        ],
        cwd=ROOT,
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert sentence("en", "message_recorded") in result.stdout
    with sessions() as session:
        [message] = session.scalars(select(Message)).all()
        assert (message.caller, message.duration) == ("+33612345678", 8)
    call = remote(served, "+33700000001").press("0142685300#").press("4827#").press("1")
    assert call.said[-5] == "You have 1 new message and 0 saved messages."
    assert call.said[-3] == f"[recording {message.recording_url}]"
    call.hang_up()


def test_a_reviewed_urgent_deposit_then_listening_with_keys_during_playback(served):
    base, settings, sessions = served
    platform = settings["IVR_PLATFORM"]
    with sessions() as session:
        before = set(session.scalars(select(Message.id)))
    deposit = PhoneCall(
        CheckedHttp(base),
        phone_secret(platform),
        caller="+33698765432",
        called=HOME,
        platform=platform,
        recording=simulated_recording(6),
    ).dial("/voice/deposit")
    deposit.silence()  # the greeting to its end, the beep, six seconds, `#`
    assert deposit.last_said == sentence("en", "review_options")
    deposit.press("2")  # listen to it
    first = deposit.said[-2]
    assert first.startswith("[recording ")
    assert deposit.last_said == sentence("en", "review_options")
    deposit.press("3")  # record it again: a second recording, `#`, the review
    deposit.press("4")  # urgent, and sent
    assert deposit.said[-3:] == [
        sentence("en", "marked_urgent"),
        sentence("en", "message_recorded"),
        sentence("en", "goodbye"),
    ]
    deposit.hang_up()  # both recordings' callbacks arrive after the call ended
    with sessions() as session:
        [urgent] = [m for m in session.scalars(select(Message)) if m.id not in before]
        assert urgent.urgent
        assert urgent.caller == "+33698765432"
        assert first != f"[recording {urgent.recording_url}]"
        old = [
            m.recording_url
            for m in session.scalars(
                select(Message)
                .where(Message.id != urgent.id)
                .order_by(Message.received_at, Message.id)
            )
        ]
    call = remote(served, "+33700000002").press("0142685300#").press("4827#").press("1")
    assert call.said[-6] == "1 of them is urgent."
    assert call.said[-5] == sentence("en", "urgent_message")
    assert call.said[-4].startswith("Message received on ")
    assert call.said[-4].endswith("from 0, 6, 9, 8, 7, 6, 5, 4, 3, 2.")
    assert call.said[-3] == f"[recording {urgent.recording_url}]"
    call.press("#")  # skip to the options
    assert call.said[-2:] == [
        sentence("en", "message_options"),
        sentence("en", "message_more_options"),
    ]
    call.press("2")  # the next one, while its envelope is being said
    assert call.said[-3] == f"[recording {old[0]}]"
    call.press("4")  # back to the urgent one
    assert call.said[-3] == f"[recording {urgent.recording_url}]"
    call.press("5")  # its envelope again
    assert call.said[-4] == sentence("en", "urgent_message")
    call.press("3")  # delete it: the next one follows
    assert call.said[-5] == sentence("en", "message_deleted")
    call.hang_up()
    with sessions() as session:
        assert session.get(Message, urgent.id) is None


def test_concurrent_wrong_codes_check_at_most_three(served):
    """Runs last in this module: it leaves the line locked."""
    base, _settings, sessions = served
    calls = [
        remote(served, f"+336000000{index:02d}").press("0142685300#") for index in range(CALLERS)
    ]
    assert all(call.last_said == sentence("en", "enter_code") for call in calls)
    start = threading.Barrier(CALLERS)
    errors: list[BaseException] = []

    def wrong_code(call: PhoneCall, digits: str) -> None:
        try:
            start.wait(timeout=30)
            call.press(f"{digits}#")
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [
        threading.Thread(target=wrong_code, args=(call, f"{1000 + i * 7:04d}"))
        for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    answers = [call.last_said for call in calls]
    wrong = sum(
        call.said[-2:] == [sentence("en", "wrong_code"), sentence("en", "enter_code")]
        for call in calls
    )
    locked = sum(answer == sentence("en", "locked") for answer in answers)
    assert wrong + locked == CALLERS
    with sessions() as session:
        box = session.scalars(select(Mailbox).join(Line).where(Line.number == HOME)).one()
        assert box.strikes == 3
        assert box.locked_at is not None
        locks = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "mailbox.locked")
        )
    # A code is checked for each "Incorrect code." and for the one that locked the line.
    assert locks == 1
    assert wrong == 2
    assert wrong + locks <= codes.MAX_STRIKES
    # The right code is refused now, from anywhere.
    after = remote(served, "+33700000002").press("0142685300#")
    assert after.last_said == sentence("en", "locked")
    assert after.ended
