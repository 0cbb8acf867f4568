"""Voicemail over real HTTP: gunicorn (2 workers) on the database under test.

Concurrent wrong codes for one line never get more than three codes checked,
and the console phone leaves a message the subscriber then hears remotely.
"""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select

from ivr.phone import HttpTransport, PhoneCall
from menus.catalogue import sentence
from store import codes
from store.credentials import Hasher
from store.db import make_engine, make_session_factory
from store.lines import add_line
from store.models import AuditEntry, Line, Mailbox, Message
from tests.conftest import HOME, PLATFORMS, http_settings, phone_secret
from tests.server import ROOT, environment, gunicorn

CALLERS = 12
PEPPER = "voicemail-http-pepper"


@pytest.fixture(scope="module", params=PLATFORMS)
def served(databases, request):
    """gunicorn per platform, serving a migrated database with the demo line, its code 4827."""
    url = databases.create()
    settings = http_settings(request.param, IVR_DATABASE_URL=url, IVR_PIN_PEPPER=PEPPER,
                             IVR_SECRET_KEY="http-key", IVR_BCRYPT_ROUNDS=4)
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


def remote(served, caller: str) -> PhoneCall:
    base, settings, _ = served
    platform = settings["IVR_PLATFORM"]
    return PhoneCall(HttpTransport(base), phone_secret(platform), caller=caller,
                     called="/voice/access", platform=platform).dial("/voice/access")


def test_the_console_phone_leaves_a_message_heard_remotely(served):
    base, settings, sessions = served
    result = subprocess.run(
        [sys.executable, "-m", "flask", "ivr", "call", "--from", "+33612345678",
         "--to", "deposit", "--mailbox", "0142685300", "--url", base, "--speak", "8"],
        cwd=ROOT, env=environment(settings), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert sentence("en", "message_recorded") in result.stdout
    with sessions() as session:
        [message] = session.scalars(select(Message)).all()
        assert (message.caller, message.duration) == ("+33612345678", 8)
    call = remote(served, "+33700000001").press("0142685300#").press("4827#").press("1")
    assert call.said[-4] == "You have 1 new message and 0 saved messages."
    assert call.said[-2] == f"[recording {message.recording_url}]"
    call.hang_up()


def test_concurrent_wrong_codes_check_at_most_three(served):
    """Runs last in this module: it leaves the line locked."""
    base, _settings, sessions = served
    calls = [remote(served, f"+336000000{index:02d}").press("0142685300#")
             for index in range(CALLERS)]
    assert all(call.last_said == sentence("en", "enter_code") for call in calls)
    start = threading.Barrier(CALLERS)
    errors: list[BaseException] = []

    def wrong_code(call: PhoneCall, digits: str) -> None:
        try:
            start.wait(timeout=30)
            call.press(f"{digits}#")
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=wrong_code, args=(call, f"{1000 + i * 7:04d}"))
               for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    answers = [call.last_said for call in calls]
    wrong = sum(call.said[-2:] == [sentence("en", "wrong_code"), sentence("en", "enter_code")]
                for call in calls)
    locked = sum(answer == sentence("en", "locked") for answer in answers)
    assert wrong + locked == CALLERS
    with sessions() as session:
        box = session.scalars(select(Mailbox).join(Line).where(Line.number == HOME)).one()
        assert box.strikes == 3 and box.locked_at is not None
        locks = session.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "mailbox.locked"))
    # A code is checked for each "Incorrect code." and for the one that locked the line.
    assert locks == 1 and wrong == 2
    assert wrong + locks <= codes.MAX_STRIKES
    # The right code is refused now, from anywhere.
    after = remote(served, "+33700000002").press("0142685300#")
    assert after.last_said == sentence("en", "locked") and after.ended
