"""store/pins.py: the rules of service PINs, as the console and API call them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import bcrypt
import pytest
from sqlalchemy import select

from store import pins
from store.credentials import Hasher
from store.models import AuditEntry, Line, SupportCall
from tests.helpers import HOME

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def line(make_line, session) -> Line:
    make_line(customer_number="100200300")
    return session.scalars(select(Line)).one()


@pytest.fixture
def hasher(app):
    return app.extensions["ivr.hasher"]


@pytest.mark.parametrize(
    ("pin", "reason"),
    [
        ("", "length"),
        ("123", "length"),
        ("123456789", "length"),
        ("48a7", "digits"),
        ("４８２７", "digits"),
        ("4827 ", "digits"),
        ("0000", "repeated"),
        ("77777777", "repeated"),
        ("1234", "sequence"),
        ("456789", "sequence"),
        ("87654321", "sequence"),
        ("6969", "common"),
        ("2001", "common"),
        ("5300", "line_number"),
        ("685300", "line_number"),
        ("42685300", "line_number"),
    ],
)
def test_weak_or_invalid_permanent_pins_are_refused_with_a_reason(
    session, hasher, line, pin, reason
):
    with pytest.raises(pins.PinRefused) as refused:
        pins.set_permanent_pin(session, hasher, line, pin, actor="t", now=T0)
    assert refused.value.reason == reason
    assert str(refused.value)
    assert pins.pin_state(line, T0).permanent_active is False


@pytest.mark.parametrize("pin", ["4827", "48271", "902741", "4827190", "48271936"])
def test_good_permanent_pins_are_stored_hashed(session, hasher, line, pin):
    pins.set_permanent_pin(session, hasher, line, pin, actor="api:portal", now=T0)
    session.commit()
    row = line.service_pin
    assert row is not None
    assert row.permanent_hash is not None
    assert pin not in row.permanent_hash
    assert hasher.verify(pins.PERMANENT_PURPOSE, HOME, pin, row.permanent_hash)
    # The hash is bound to its purpose and its line.
    assert not hasher.verify(pins.TEMPORARY_PURPOSE, HOME, pin, row.permanent_hash)
    assert not hasher.verify(pins.PERMANENT_PURPOSE, "+33142685301", pin, row.permanent_hash)


def test_the_current_permanent_pin_cannot_be_set_again(session, hasher, line):
    pins.set_permanent_pin(session, hasher, line, "48271", actor="t", now=T0)
    with pytest.raises(pins.PinRefused) as refused:
        pins.set_permanent_pin(session, hasher, line, "48271", actor="t", now=T0)
    assert refused.value.reason == "current"


def test_permanent_pin_verifies_only_from_its_own_line(session, hasher, line):
    pins.set_permanent_pin(session, hasher, line, "48271", actor="t", now=T0)
    session.commit()
    check = pins.check_service_pin
    assert check(session, hasher, line, "48271", from_own_line=False, now=T0) is pins.PinCheck.WRONG
    assert (
        check(session, hasher, line, "48271", from_own_line=True, now=T0)
        is pins.PinCheck.VERIFIED_PERMANENT
    )


def test_temporary_pin_is_six_random_digits_valid_for_its_lifetime(session, hasher, line):
    issued = pins.issue_temporary_pin(session, hasher, line, actor="t", now=T0, ttl_seconds=600)
    session.commit()
    assert len(issued.pin) == 6
    assert issued.pin.isdigit()
    assert issued.expires_at == T0 + timedelta(seconds=600)
    state = pins.pin_state(line, T0)
    assert state.kinds == ["temporary"]
    assert state.temporary_expires_at == issued.expires_at
    assert pins.pin_state(line, issued.expires_at).kinds == []
    late = pins.check_service_pin(
        session, hasher, line, issued.pin, from_own_line=False, now=issued.expires_at
    )
    assert late is pins.PinCheck.WRONG
    on_time = pins.check_service_pin(
        session,
        hasher,
        line,
        issued.pin,
        from_own_line=False,
        now=issued.expires_at - timedelta(seconds=1),
    )
    assert on_time is pins.PinCheck.VERIFIED_TEMPORARY
    assert pins.pin_state(line, T0).failures == 0


def test_temporary_pins_are_spread_over_the_digits(session, hasher, line):
    seen = {
        pins.issue_temporary_pin(session, hasher, line, actor="t", now=T0, ttl_seconds=60).pin
        for _ in range(40)
    }
    assert len(seen) >= 39
    assert all(pins.plausible(pin) and len(pin) == 6 for pin in seen)


def test_third_failure_locks_and_reissuing_keeps_the_lock(session, hasher, line):
    pins.issue_temporary_pin(session, hasher, line, actor="t", now=T0, ttl_seconds=600)
    outcomes = [
        pins.check_service_pin(session, hasher, line, pin, from_own_line=True, now=T0)
        for pin in ("111222", "333444", "555666")
    ]
    session.commit()
    assert outcomes == [pins.PinCheck.WRONG, pins.PinCheck.WRONG, pins.PinCheck.LOCKED]
    assert pins.pin_state(line, T0).locked
    fresh = pins.issue_temporary_pin(session, hasher, line, actor="t", now=T0, ttl_seconds=600)
    session.commit()
    assert (
        pins.check_service_pin(session, hasher, line, fresh.pin, from_own_line=True, now=T0)
        is pins.PinCheck.LOCKED
    )
    pins.clear_pin_lock(session, line, actor="adviser:ann", now=T0)
    session.commit()
    assert not pins.pin_state(line, T0).locked
    assert (
        pins.check_service_pin(session, hasher, line, fresh.pin, from_own_line=True, now=T0)
        is pins.PinCheck.VERIFIED_TEMPORARY
    )


def test_every_change_is_audited_without_the_pin(session, hasher, line):
    pins.set_permanent_pin(session, hasher, line, "48271", actor="api:portal", now=T0)
    issued = pins.issue_temporary_pin(
        session, hasher, line, actor="adviser:ann", now=T0, ttl_seconds=600
    )
    session.commit()
    for pin in ("111222", "333444", "555666"):
        pins.check_service_pin(session, hasher, line, pin, from_own_line=True, now=T0)
    pins.clear_pin_lock(session, line, actor="adviser:ann", now=T0)
    pins.credential_reset(session, line, actor="api:portal", now=T0)
    session.commit()
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor) for e in entries] == [
        ("service_pin.set", "api:portal"),
        ("service_pin.temporary_issued", "adviser:ann"),
        ("service_pin.locked", "phone"),
        ("service_pin.lock_cleared", "adviser:ann"),
        ("service_pin.credential_reset", "api:portal"),
    ]
    assert all(e.line_number == HOME for e in entries)
    text = " ".join(f"{e.details} {e.reason}" for e in entries)
    assert "48271" not in text
    assert issued.pin not in text
    state = pins.pin_state(line, T0)
    assert (state.permanent_active, state.kinds) == (False, [])


def test_concurrent_checks_never_test_more_than_three_pins(app, hasher, line, monkeypatch):
    """Eight calls guess at once: only three PINs ever reach bcrypt's real hash."""
    sessions = app.extensions["ivr.sessions"]
    with sessions() as setup:
        mine = setup.get(Line, line.id)
        pins.set_permanent_pin(setup, hasher, mine, "48271", actor="t", now=T0)
        setup.commit()
        stored = mine.service_pin.permanent_hash
    tested: list[bytes] = []
    real = bcrypt.checkpw
    lock = threading.Lock()

    def counting(password: bytes, hashed: bytes) -> bool:
        if hashed == stored.encode():
            with lock:
                tested.append(password)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    results: list[pins.PinCheck] = []
    start = threading.Barrier(8)

    def guess(index: int) -> None:
        with sessions() as own:
            target = own.get(Line, line.id)
            start.wait()
            outcome = pins.check_service_pin(
                own, hasher, target, f"9{index:03d}1", from_own_line=True, now=T0
            )
            own.commit()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tested) == 3
    assert sorted(r.value for r in results).count("locked") == 6
    assert results.count(pins.PinCheck.WRONG) == 2


def test_support_outcome_is_stored_by_call_sid(session, line):
    call = pins.record_support_outcome(session, "CA" + "7" * 32, None, "+33612345678", None, T0)
    session.commit()
    assert (call.line_id, call.verified_by, call.verified_at) == (None, None, None)
    later = T0 + timedelta(seconds=40)
    pins.record_support_outcome(
        session, "CA" + "7" * 32, line.id, "+33612345678", "temporary", later
    )
    session.commit()
    session.expire_all()
    stored = session.scalars(select(SupportCall)).one()
    assert (stored.line_id, stored.verified_by, stored.verified_at, stored.started_at) == (
        line.id,
        "temporary",
        later,
        T0,
    )


def test_a_line_without_any_pin_row_has_an_empty_state(line):
    state = pins.pin_state(line, T0)
    assert state == pins.PinState(False, None, 0, False)
    assert state.kinds == []


@dataclass(frozen=True)
class Interleaved(Hasher):
    """The app's hasher, running `meanwhile` (once) as soon as a right PIN has been
    found: the check is held between its strike and its reset."""

    meanwhile: list[Callable[[], None]] = field(default_factory=list)

    def verify(self, purpose: str, number: str, digits: str, stored: str | None) -> bool:
        right = super().verify(purpose, number, digits, stored)
        if right and self.meanwhile:
            self.meanwhile.pop()()
        return right


def interleaved(hasher: Hasher, meanwhile: Callable[[], None]) -> Interleaved:
    return Interleaved(hasher.pepper, hasher.rounds, [meanwhile])


@pytest.mark.parametrize("kind", [pins.PERMANENT, pins.TEMPORARY])
def test_a_right_pin_in_flight_never_lifts_a_lock_set_meanwhile(app, hasher, line, kind):
    sessions = app.extensions["ivr.sessions"]
    with sessions() as setup:
        mine = setup.get(Line, line.id)
        if kind == pins.PERMANENT:
            pins.set_permanent_pin(setup, hasher, mine, "48271", actor="t", now=T0)
            right = "48271"
        else:
            right = pins.issue_temporary_pin(
                setup, hasher, mine, actor="t", now=T0, ttl_seconds=600
            ).pin
        setup.commit()
    seen: list[object] = []

    def wrong_pins_lock_the_line() -> None:
        with sessions() as other:
            target = other.get(Line, line.id)
            seen.append(pins.pin_state(target, T0).failures)  # the owner's strike, committed
            for wrong in ("902741", "335160"):
                seen.append(
                    pins.check_service_pin(other, hasher, target, wrong, from_own_line=True, now=T0)
                )
                other.commit()

    with sessions() as owner:
        target = owner.get(Line, line.id)
        outcome = pins.check_service_pin(
            owner,
            interleaved(hasher, wrong_pins_lock_the_line),
            target,
            right,
            from_own_line=True,
            now=T0,
        )
        owner.commit()
    assert seen == [1, pins.PinCheck.WRONG, pins.PinCheck.LOCKED]
    assert outcome.value == kind  # checked before the lock: the owner is verified...
    with sessions() as after:
        target = after.get(Line, line.id)
        state = pins.pin_state(target, T0)
        assert (state.failures, state.locked) == (3, True)  # ...and the lock stays
        assert target.service_pin.locked_at == T0
        # Locked: even the right PIN is not checked any more.
        assert (
            pins.check_service_pin(after, hasher, target, right, from_own_line=True, now=T0)
            is pins.PinCheck.LOCKED
        )


def test_a_right_pin_in_flight_keeps_a_failure_that_came_meanwhile(app, hasher, line):
    sessions = app.extensions["ivr.sessions"]
    with sessions() as setup:
        pins.set_permanent_pin(setup, hasher, setup.get(Line, line.id), "48271", actor="t", now=T0)
        setup.commit()

    def one_wrong_pin() -> None:
        with sessions() as other:
            pins.check_service_pin(
                other, hasher, other.get(Line, line.id), "902741", from_own_line=True, now=T0
            )
            other.commit()

    with sessions() as owner:
        assert (
            pins.check_service_pin(
                owner,
                interleaved(hasher, one_wrong_pin),
                owner.get(Line, line.id),
                "48271",
                from_own_line=True,
                now=T0,
            )
            is pins.PinCheck.VERIFIED_PERMANENT
        )
        owner.commit()
    with sessions() as after:
        assert pins.pin_state(after.get(Line, line.id), T0).failures == 2
