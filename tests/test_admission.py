"""A code check that no verifier can take in time counts nothing (issue 10, storm).

Under overload a legitimate caller must not lose a strike (or a calling-number
attempt) to a check that never ran: the check waits for one of the process's
verifiers, and gives up with an apology, before any strike is taken, once
the request's time could no longer hold it.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from menus.catalogue import sentence
from store.models import CallerStrikes, Line, Mailbox
from tests.helpers import HOME, MOBILE, give_code

BUDGET = 1.0


@pytest.fixture
def settings(settings):
    return {**settings, "IVR_VERIFIERS": 1, "IVR_REQUEST_BUDGET": BUDGET}


def _strikes(session) -> int:
    session.expire_all()
    return session.scalars(select(Mailbox.strikes).join(Line).where(Line.number == HOME)).one()


def _attempts(session) -> int:
    return session.scalar(select(func.coalesce(func.sum(CallerStrikes.strikes), 0)))


def test_a_check_that_cannot_start_in_time_takes_no_strike(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    hasher = app.extensions["ivr.hasher"]
    busy = hasher.admitted(None)  # another check holds the one verifier
    busy.__enter__()
    try:
        call = phone(HOME)
        pressing = threading.Thread(target=call.press, args=("4827",))
        started = time.monotonic()
        pressing.start()
        time.sleep(BUDGET / 4)
        # While it waits it holds no write lock: another call's step is saved at once.
        other = phone(MOBILE)
        other.press("0")
        assert time.monotonic() - started < BUDGET
        pressing.join(BUDGET * 3)
        waited = time.monotonic() - started
    finally:
        busy.__exit__(None, None, None)
    assert call.heard(sentence("en", "apology"))
    assert BUDGET * 0.5 < waited < BUDGET * 3
    assert _strikes(session) == 0
    assert _attempts(session) == 0

    # Once a verifier is free, the same code is checked as usual.
    again = phone(HOME)
    again.press("4827")
    assert again.heard(sentence("en", "main_menu"))
    assert _strikes(session) == 0


def test_checks_wait_for_a_verifier_in_arrival_order(app):
    hasher = app.extensions["ivr.hasher"]
    order: list[int] = []
    first = hasher.admitted(None)
    first.__enter__()

    def check(index: int) -> None:
        with hasher.admitted(5.0):
            order.append(index)

    waiting = []
    for index in range(4):
        thread = threading.Thread(target=check, args=(index,))
        thread.start()
        waiting.append(thread)
        time.sleep(0.05)  # each is queued before the next arrives
    first.__exit__(None, None, None)
    for thread in waiting:
        thread.join(5)
    assert order == [0, 1, 2, 3]
