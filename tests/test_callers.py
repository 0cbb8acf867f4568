"""One calling number spraying codes across calls and lines (issue 9, item 5).

Past its limit per window a number hears the lock's words at once: no
strike on the line, no bcrypt check, one audit entry. Withheld numbers
share one bucket with its own limit.
"""

from __future__ import annotations

import itertools

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from menus.catalogue import sentence
from store import audit
from store.credentials import Hasher
from store.models import AuditEntry, CallerStrikes, Line, Mailbox
from tests.helpers import HOME, MOBILE, give_code

LIMIT, WITHHELD_LIMIT = 4, 5
LOCKED = sentence("en", "locked")


@pytest.fixture
def settings(settings, clock):
    settings.update(
        IVR_CLOCK=clock,
        IVR_CALLER_MAX_CODES=LIMIT,
        IVR_WITHHELD_MAX_CODES=WITHHELD_LIMIT,
        IVR_CALLER_WINDOW_SECONDS=3600,
    )
    return settings


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """Every bcrypt check made, by line number ("" for the dummy)."""
    made: list[str] = []
    original = Hasher.verify

    def counting(self, purpose, line, digits, stored):
        made.append(line)
        return original(self, purpose, line, digits, stored)

    monkeypatch.setattr(Hasher, "verify", counting)
    return made


UNKNOWN_LINES = (f"01459{n:05d}" for n in itertools.count())


def wrong_codes(phone, caller: str, count: int) -> list[str]:
    """`count` wrong codes on unknown lines (one each), in as many calls as it takes."""
    said: list[str] = []
    while count:
        call = phone(caller)
        for _ in range(min(count, 3)):
            call.press(f"{next(UNKNOWN_LINES)}#").press("1111#")
            if not call.ended:
                call.press("*")
            count -= 1
        said.append(call.last_said)
    return said


def strikes(session) -> int:
    session.expire_all()
    return session.scalars(select(Mailbox.strikes).join(Line).where(Line.number == HOME)).one()


def throttle_entries(session) -> list[AuditEntry]:
    return [e for e in audit.entries(session) if e.action == "caller.throttled"]


def metric(scope: str) -> float:
    return REGISTRY.get_sample_value("ivr_code_throttled_total", {"scope": scope}) or 0.0


def test_a_number_past_its_limit_hears_the_lock_without_any_check(
    app, session, make_line, phone, checks, clock
):
    make_line()
    give_code(app, session)
    before = metric("caller")
    wrong_codes(phone, MOBILE, LIMIT)
    assert len(checks) == LIMIT
    for _ in range(2):  # even the right code, on a real line
        call = phone(MOBILE).press("0142685300#").press("4827#")
        assert call.last_said == LOCKED
        assert call.ended
    assert len(checks) == LIMIT
    assert strikes(session) == 0
    [entry] = throttle_entries(session)  # once, not once per refused attempt
    assert entry.details["withheld"] is False
    assert MOBILE not in str(entry.details)
    assert metric("caller") == before + 2
    # Another number is not concerned; the number itself again after the window.
    assert phone("+33699999999").press("0142685300#").press("4827#").last_said == sentence(
        "en", "main_menu"
    )
    clock.advance(3601)
    assert phone(MOBILE).press("0142685300#").press("4827#").last_said == sentence(
        "en", "main_menu"
    )
    keys = session.scalars(select(CallerStrikes.key)).all()
    assert keys
    assert all(MOBILE not in key and "612345678" not in key for key in keys)


def test_right_codes_do_not_count_against_the_number(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    for _ in range(LIMIT + 2):
        call = phone(MOBILE).press("0142685300#").press("4827#")
        assert call.last_said == sentence("en", "main_menu")
        call.hang_up()


@pytest.mark.parametrize(
    "withheld", [["anonymous", "", "restricted", "+266696687", "client:alice", "0612345678"]]
)
def test_withheld_numbers_share_one_bucket_with_its_own_limit(
    app, session, phone, checks, withheld
):
    for attempt in range(WITHHELD_LIMIT):
        wrong_codes(phone, withheld[attempt % len(withheld)], 1)
    assert len(checks) == WITHHELD_LIMIT
    refused = phone("unknown").press("0145999999#").press("1111#")
    assert refused.last_said == LOCKED
    assert len(checks) == WITHHELD_LIMIT
    [entry] = throttle_entries(session)
    assert entry.details["withheld"] is True
    # A number of its own still has its own bucket.
    assert wrong_codes(phone, MOBILE, 1) == [sentence("en", "enter_line")]


def test_purge_forgets_callers_after_their_window(app, session, phone, runner, clock):
    wrong_codes(phone, MOBILE, 1)
    clock.advance(3601)
    assert runner.invoke(args=["ivr", "purge"]).exit_code == 0
    session.expire_all()
    assert session.scalars(select(CallerStrikes)).all() == []


def test_concurrent_attempts_from_one_number_never_pass_the_limit(app, clock):
    """Sixteen attempts at once from one number, each in its own session and
    transaction, released together: the upsert lets exactly LIMIT through."""
    import threading

    from store import callers

    key = callers.caller_key(app.extensions["ivr.hasher"], MOBILE)
    sessions = app.extensions["ivr.sessions"]
    barrier = threading.Barrier(16)
    taken: list[bool] = []

    def attempt() -> None:
        with sessions() as session:
            barrier.wait()
            ok = callers.take_attempt(session, key, LIMIT, clock(), 3600)
            session.commit()
            taken.append(ok)

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == [False] * (16 - LIMIT) + [True] * LIMIT
    with sessions() as session:
        assert session.scalars(select(CallerStrikes.strikes)).one() == LIMIT
