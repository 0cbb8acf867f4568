"""Service PINs for the support line (SPEC §4.4): one set of operations for
the phone, the adviser console, the JSON API and the CLI.

A permanent PIN (4 to 8 digits, chosen by the subscriber) verifies only a
call from its own line. A temporary PIN (six random digits, short-lived,
replaced by the next one) verifies from the line, or from anywhere once the
caller has given the customer number. Failures are counted per line like
the secret code's strikes: one UPDATE takes the failure (and locks on the
third) and is committed before bcrypt runs, so concurrent calls never test
more than three PINs per lock cycle. Only an adviser clears the lock.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from store import audit, outbox, support_calls
from store.credentials import Hasher, is_ascii_digits, weakness
from store.db import commits
from store.models import Call, Line, ServicePin, SupportCall

PERMANENT_PURPOSE = "service-pin"
TEMPORARY_PURPOSE = "service-pin-temporary"
MIN_LENGTH = 4
MAX_LENGTH = 8
TEMPORARY_LENGTH = 6
MAX_FAILURES = 3

PERMANENT = "permanent"
TEMPORARY = "temporary"


class PinRefused(ValueError):
    """A proposed permanent PIN breaks the rules; `reason` says which."""

    MESSAGES = {
        "length": f"a service PIN has {MIN_LENGTH} to {MAX_LENGTH} digits",
        "digits": "a service PIN is made of the digits 0-9 only",
        "repeated": "a PIN of one repeated digit is too easy to guess",
        "sequence": "a PIN of ascending or descending digits is too easy to guess",
        "common": "this PIN is among the most common ones",
        "line_number": "a PIN may not be the end of the line number",
        "current": "the new PIN must differ from the current one",
    }

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGES.get(reason, reason))
        self.reason = reason


class PinCheck(enum.StrEnum):
    """The outcome of checking a service PIN."""

    VERIFIED_PERMANENT = PERMANENT
    VERIFIED_TEMPORARY = TEMPORARY
    WRONG = "wrong"
    LOCKED = "locked"

    @property
    def verified(self) -> bool:
        """Whether this outcome verified the caller (by either PIN)."""
        return self in (PinCheck.VERIFIED_PERMANENT, PinCheck.VERIFIED_TEMPORARY)


@dataclass(frozen=True)
class IssuedPin:
    """A temporary PIN as issued: shown once, never stored in clear."""

    pin: str
    expires_at: datetime


@dataclass(frozen=True)
class PinState:
    """What may be known about a line's service PINs: never a secret."""

    permanent_active: bool
    temporary_expires_at: datetime | None
    failures: int
    locked: bool

    @property
    def kinds(self) -> list[str]:
        """The PIN kinds that would verify a caller now."""
        active = [PERMANENT] if self.permanent_active else []
        return active + ([TEMPORARY] if self.temporary_expires_at else [])


def plausible(pin: str) -> bool:
    """Whether `pin` could be some service PIN at all (digits, 4 to 8 of them)."""
    return is_ascii_digits(pin) and MIN_LENGTH <= len(pin) <= MAX_LENGTH


def pin_state(line: Line, now: datetime) -> PinState:
    """The line's PIN state as of `now` (an expired temporary PIN is not active)."""
    row = line.service_pin
    if row is None:
        return PinState(False, None, 0, False)
    expires = row.temporary_expires_at
    live = row.temporary_hash is not None and expires is not None and now < expires
    return PinState(
        row.permanent_hash is not None,
        expires if live else None,
        row.failures,
        row.failures >= MAX_FAILURES,
    )


def _row(session: Session, line: Line) -> ServicePin:
    """The line's PIN row, created if missing (safely under concurrent calls)."""
    if line.service_pin is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(ServicePin)
            .values(line_id=line.id, failures=0)
            .on_conflict_do_nothing(index_elements=["line_id"])
        )
        session.refresh(line, ["service_pin"])
    assert line.service_pin is not None
    return line.service_pin


@commits
def set_permanent_pin(
    session: Session, hasher: Hasher, line: Line, pin: str, *, actor: str, now: datetime
) -> None:
    """Store the subscriber's permanent PIN, or raise PinRefused."""
    if not is_ascii_digits(pin):
        raise PinRefused("digits" if pin else "length")
    if not MIN_LENGTH <= len(pin) <= MAX_LENGTH:
        raise PinRefused("length")
    reason = weakness(pin, line.number)
    if reason:
        raise PinRefused(reason)
    row = _row(session, line)
    if row.permanent_hash and hasher.verify(
        PERMANENT_PURPOSE, line.number, pin, row.permanent_hash
    ):
        raise PinRefused("current")
    row.permanent_hash = hasher.hash(PERMANENT_PURPOSE, line.number, pin)
    row.permanent_set_at = now
    audit.record(session, actor, "service_pin.set", now, line_number=line.number, length=len(pin))


def _random_pin(line: Line) -> str:
    """Six random digits that the weak-PIN rules would not refuse."""
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(TEMPORARY_LENGTH))
        if not weakness(pin, line.number):
            return pin


@commits
def issue_temporary_pin(
    session: Session,
    hasher: Hasher,
    line: Line,
    *,
    actor: str,
    now: datetime,
    ttl_seconds: int,
) -> IssuedPin:
    """Replace the line's temporary PIN with a new one, returned this once."""
    return _issue_temporary_pin(
        session, hasher, line, actor=actor, now=now, ttl_seconds=ttl_seconds
    )


@commits
def send_temporary_pin(
    session: Session,
    hasher: Hasher,
    line: Line,
    *,
    actor: str,
    now: datetime,
    ttl_seconds: int,
) -> IssuedPin:
    """Issue a temporary PIN and queue it to the subscriber's e-mail address on file.

    Who asked never sees the PIN: it leaves only in the message, which is
    queued in the same transaction as the PIN it carries.
    """
    issued = _issue_temporary_pin(
        session, hasher, line, actor=actor, now=now, ttl_seconds=ttl_seconds
    )
    outbox.queue_temporary_pin(session, line, issued.pin, issued.expires_at, now)
    return issued


def _issue_temporary_pin(
    session: Session,
    hasher: Hasher,
    line: Line,
    *,
    actor: str,
    now: datetime,
    ttl_seconds: int,
) -> IssuedPin:
    """Replace the line's temporary PIN with a new one.

    The failure count and any lock stay as they are: a fresh PIN must not
    give a guesser three more tries.
    """
    if ttl_seconds <= 0:
        raise ValueError("a temporary PIN needs a lifetime of at least one second")
    row = _row(session, line)
    pin = _random_pin(line)
    expires_at = now + timedelta(seconds=ttl_seconds)
    row.temporary_hash = hasher.hash(TEMPORARY_PURPOSE, line.number, pin)
    row.temporary_expires_at = expires_at
    audit.record(
        session,
        actor,
        "service_pin.temporary_issued",
        now,
        line_number=line.number,
        expires_at=expires_at.isoformat(),
    )
    return IssuedPin(pin, expires_at)


@commits
def credential_reset(session: Session, line: Line, *, actor: str, now: datetime) -> None:
    """The account's password was reset: disable the permanent PIN.

    A temporary PIN issued before the reset may have gone to whoever held the
    old credentials, so it is revoked too.
    """
    row = _row(session, line)
    had = {
        "permanent": row.permanent_hash is not None,
        "temporary": pin_state(line, now).temporary_expires_at is not None,
    }
    row.permanent_hash = None
    row.permanent_set_at = now
    row.temporary_hash = None
    row.temporary_expires_at = None
    audit.record(
        session,
        actor,
        "service_pin.credential_reset",
        now,
        line_number=line.number,
        disabled_permanent=had["permanent"],
        revoked_temporary=had["temporary"],
    )


# Line ids start at 1: an unknown customer number is checked against no row
# with the very same statements as a known one (same SQL, same number of
# bcrypt runs), so the time of a check does not tell the two apart.
NO_LINE = 0


def _ensure_row(session: Session, line_id: int) -> None:
    """Create the line's PIN row if missing: one statement, whether the line exists or not."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(ServicePin)
        .from_select(["line_id", "failures"], select(Line.id, literal(0)).where(Line.id == line_id))
        .on_conflict_do_nothing(index_elements=["line_id"])
    )


def _take_failure(session: Session, line_id: int, now: datetime) -> int | None:
    """Count one more PIN attempt; the new count, or None if locked (or no such row)."""
    failures = ServicePin.failures + 1
    return session.execute(
        update(ServicePin)
        .where(ServicePin.line_id == line_id, ServicePin.failures < MAX_FAILURES)
        .values(
            failures=failures,
            locked_at=case((failures >= MAX_FAILURES, now), else_=ServicePin.locked_at),
        )
        .returning(ServicePin.failures),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()


@dataclass(frozen=True)
class _Hashes:
    number: str
    permanent: str | None
    temporary: str | None


def _hashes(session: Session, line_id: int, now: datetime) -> _Hashes | None:
    """The line's number and PIN hashes (an expired temporary PIN as none)."""
    row = session.execute(
        select(
            Line.number,
            ServicePin.permanent_hash,
            ServicePin.temporary_hash,
            ServicePin.temporary_expires_at,
        )
        .join(ServicePin, ServicePin.line_id == Line.id)
        .where(Line.id == line_id)
    ).first()
    if row is None:
        return None
    live = row.temporary_expires_at is not None and now < row.temporary_expires_at
    return _Hashes(row.number, row.permanent_hash, row.temporary_hash if live else None)


def _matching_kind(
    hasher: Hasher, hashes: _Hashes | None, pin: str, *, from_own_line: bool
) -> str | None:
    """Which PIN kind `pin` is, among those allowed here.

    bcrypt runs as often whatever is stored (twice from the own line, once
    elsewhere; with no hash, against a dummy), so its time tells nothing.
    """
    found = hashes or _Hashes("", None, None)
    if from_own_line and hasher.verify(PERMANENT_PURPOSE, found.number, pin, found.permanent):
        return PERMANENT
    if hasher.verify(TEMPORARY_PURPOSE, found.number, pin, found.temporary):
        return TEMPORARY
    return None


def _forget_row(session: Session, line_id: int) -> None:
    """Expire a copy of the PIN row the caller holds (no SQL): these UPDATEs bypass it."""
    held = session.identity_map.get(identity_key(ServicePin, (line_id,)))
    if held is not None:
        session.expire(held)


def check_service_pin(
    session: Session,
    hasher: Hasher,
    line: Line | int | None,
    pin: str,
    *,
    from_own_line: bool,
    now: datetime,
    actor: str = "phone",
) -> PinCheck:
    """Check a PIN given for `line` (a Line, its id, or None for an unknown customer).

    The failure is taken first and committed before bcrypt runs. Text that
    cannot be a PIN at all (not 4 to 8 ASCII digits) is WRONG without
    counting. A right PIN clears the count only if it is still the one this
    check took (compare-and-set): failures that came meanwhile, and a lock
    they set, stay. The third failure locks and is audited in the caller's
    transaction (the caller commits). An unknown customer is always WRONG.
    """
    if not plausible(pin):
        return PinCheck.WRONG
    line_id = (line.id if isinstance(line, Line) else line) or NO_LINE
    _ensure_row(session, line_id)
    failures = _take_failure(session, line_id, now)
    session.commit()
    hashes = _hashes(session, line_id, now)
    # Locked: no PIN is checked, but the check takes as long as a real one.
    kind = _matching_kind(hasher, hashes if failures else None, pin, from_own_line=from_own_line)
    _forget_row(session, line_id)
    if hashes is None:
        return PinCheck.WRONG
    if failures is None:
        return PinCheck.LOCKED
    if kind is None:
        if failures < MAX_FAILURES:
            return PinCheck.WRONG
        audit.record(
            session, actor, "service_pin.locked", now, line_number=hashes.number, failures=failures
        )
        return PinCheck.LOCKED
    # Compare-and-set: clear the count only if it is still the one this check took.
    session.execute(
        update(ServicePin)
        .where(ServicePin.line_id == line_id, ServicePin.failures == failures)
        .values(failures=0, locked_at=None),
        execution_options={"synchronize_session": False},
    )
    return PinCheck(kind)


@commits
def clear_pin_lock(session: Session, line: Line, *, actor: str, now: datetime) -> None:
    """An adviser clears the failure count and the lock."""
    row = _row(session, line)
    session.refresh(row)
    audit.record(
        session,
        actor,
        "service_pin.lock_cleared",
        now,
        line_number=line.number,
        failures=row.failures,
        was_locked=row.failures >= MAX_FAILURES,
    )
    row.failures = 0
    row.locked_at = None


@commits
def check_for_support_call(
    session: Session,
    hasher: Hasher,
    line: Line,
    call: SupportCall,
    pin: str,
    *,
    actor: str,
    now: datetime,
) -> PinCheck:
    """An adviser checks the PIN a caller reads out on support call `call`, audited.

    A success verifies that call only. A permanent PIN counts only if the
    call came from the line itself (store/support_calls.py), as on the phone.
    """
    result = check_service_pin(
        session,
        hasher,
        line,
        pin,
        from_own_line=support_calls.from_own_line(session, line, call.sid),
        now=now,
        actor=actor,
    )
    if result.verified:
        record_support_outcome(session, call.sid, line.id, call.caller, result.value, now)
    audit.record(
        session,
        actor,
        "service_pin.checked",
        now,
        line_number=line.number,
        outcome=result.value,
        support_call=call.sid,
    )
    return result


def record_support_outcome(
    session: Session,
    sid: str,
    line_id: int | None,
    caller: str,
    verified_by: str | None,
    now: datetime,
) -> SupportCall:
    """Store (or update) a support call's outcome by CallSid, in the caller's transaction."""
    call = session.get(SupportCall, sid)
    if call is None:
        call = SupportCall(sid=sid, caller=caller[:64], started_at=now)
        session.add(call)
    call.line_id = line_id
    call.verified_by = verified_by
    call.verified_at = now if verified_by else None
    return call


def open_support_call(session: Session, call: Call, line_id: int | None, now: datetime) -> None:
    """Start a support call's outcome, unverified, about `line_id` (None: not known yet).

    Also when the caller presses `*` to retype the customer number: the one
    given before is forgotten in the same statements, known or not.
    """
    if session.get(SupportCall, call.sid) is None:
        session.add(SupportCall(sid=call.sid, caller=call.caller[:64], started_at=now))
        session.flush()
    name_customer(session, call, line_id)


def name_customer(session: Session, call: Call, line_id: int | None) -> None:
    """The caller gave a customer number: the call (and its outcome) is about `line_id`.

    Written whether the number is known or not (None), in the same two
    statements, so the step costs the same either way; the caller commits.
    """
    for table in (Call, SupportCall):
        session.execute(
            update(table).where(table.sid == call.sid).values(line_id=line_id),
            execution_options={"synchronize_session": False},
        )
    set_committed_value(call, "line_id", line_id)


def line_for_customer(session: Session, customer_number: str) -> Line | None:
    """The line of the account with this customer number, if any."""
    if not customer_number:
        return None
    return session.scalar(select(Line).where(Line.customer_number == customer_number))
