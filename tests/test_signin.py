"""The sign-in throttle and the TOTP step, two database sessions interleaved by hand.

Each test holds one request between taking its attempt and answering, while
another session acts; on SQLite, and on PostgreSQL with IVR_TEST_DATABASE_URL.
"""

from __future__ import annotations

import pyotp
import pytest

from store import advisers, signin
from store.models import LoginThrottle
from tests.console import make_adviser

KEY = signin.throttle_key(b"test-pepper", "ann")


@pytest.fixture
def settings(settings, clock):
    return {**settings, "IVR_CLOCK": clock}


@pytest.fixture
def two(app):
    """Two sessions, as two requests in flight would have."""
    with app.extensions["ivr.sessions"]() as first, app.extensions["ivr.sessions"]() as second:
        yield first, second


def take(session, clock) -> signin.Attempt:
    """An attempt that the throttle must allow."""
    attempt = signin.take_attempt(session, KEY, clock())
    assert attempt is not None
    return attempt


def row(session):
    session.expire_all()
    return session.get(LoginThrottle, KEY)


def test_five_attempts_then_nothing_is_checked_until_the_lock_ends(two, clock):
    first, second = two
    taken = [take(session, clock) for session in (first, second, first, second, first)]
    assert [attempt.failures for attempt in taken] == [1, 2, 3, 4, 5]
    assert signin.take_attempt(second, KEY, clock()) is None
    clock.advance(minutes=14)
    assert signin.take_attempt(first, KEY, clock()) is None
    clock.advance(minutes=1, seconds=1)
    assert take(second, clock).failures == 1


def test_a_right_answer_in_flight_never_lifts_a_lock_others_set(two, clock):
    first, second = two
    mine = take(first, clock)  # the right password, being hashed
    for _ in range(4):
        signin.take_attempt(second, KEY, clock())  # four wrong ones meanwhile: locked
    assert signin.take_attempt(second, KEY, clock()) is None
    assert not signin.give_back(first, mine)
    first.commit()
    assert not signin.forgive(first, mine)
    first.commit()
    assert row(second).failures == 5
    assert row(second).locked_until is not None
    assert signin.take_attempt(second, KEY, clock()) is None


def test_a_right_answer_gives_back_its_own_attempt_only(two, clock):
    first, second = two
    for _ in range(3):
        signin.take_attempt(second, KEY, clock())
    mine = take(first, clock)
    assert signin.give_back(first, mine)
    first.commit()
    assert row(second).failures == 3
    mine = take(first, clock)
    assert signin.forgive(first, mine)
    first.commit()
    assert row(second).failures == 0
    assert row(second).locked_until is None


def test_one_totp_step_is_claimed_once(app, two, clock):
    first, second = two
    account = make_adviser(app)
    code = pyotp.TOTP(account.secret).at(clock())
    mine = advisers.find_adviser(first, "ann")
    theirs = advisers.find_adviser(second, "ann")  # both loaded before either claims
    assert mine is not None
    assert theirs is not None
    assert advisers.check_totp(first, mine, code, clock())
    assert mine.totp_last_step is not None
    first.commit()
    assert not advisers.check_totp(second, theirs, code, clock())
    second.commit()
