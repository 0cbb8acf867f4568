"""The mailbox secret code: strength, storage and the three-strike lock.

A strike is taken before a code is checked, in one UPDATE that increments
the count and sets the lock on the third, so concurrent calls on one line
can never test more than three codes per lock cycle. The strike is committed
before bcrypt runs: a worker dying mid-check still leaves it counted, and no
database lock is held while hashing.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from store import audit
from store.credentials import Hasher, is_ascii_digits, weakness
from store.models import Line, Mailbox

PURPOSE = "mailbox-code"
CODE_LENGTH = 4
MAX_STRIKES = 3


class Proposal(enum.Enum):
    """What is wrong with a proposed new code, if anything."""

    OK = "ok"
    LENGTH = "length"
    WEAK = "weak"


class Check(enum.Enum):
    """The outcome of checking an entered code."""

    RIGHT = "right"
    WRONG = "wrong"
    LOCKED = "locked"


def is_locked(mailbox: Mailbox, now: datetime, lockout_seconds: int) -> bool:
    """Whether the mailbox refuses every code right now."""
    if mailbox.strikes < MAX_STRIKES:
        return False
    if lockout_seconds and mailbox.locked_at is not None:
        return now < mailbox.locked_at + timedelta(seconds=lockout_seconds)
    return True


def propose_code(
    hasher: Hasher, line: Line, digits: str, *, check_current: bool = True
) -> Proposal:
    """Judge a new code: length first, then the weak-code rules of SPEC §4.2."""
    if len(digits) != CODE_LENGTH or not is_ascii_digits(digits):
        return Proposal.LENGTH
    if weakness(digits, line.number):
        return Proposal.WEAK
    current = line.mailbox.code_hash
    if check_current and current and hasher.verify(PURPOSE, line.number, digits, current):
        return Proposal.WEAK
    return Proposal.OK


def save_code(session: Session, hasher: Hasher, line: Line, digits: str, now: datetime) -> None:
    """Store a new code (already judged by `propose_code`); the caller commits."""
    if propose_code(hasher, line, digits, check_current=False) is not Proposal.OK:
        raise ValueError("refusing to store a code that breaks the rules")
    mailbox = line.mailbox
    mailbox.code_hash = hasher.hash(PURPOSE, line.number, digits)
    mailbox.code_changed_at = now


def set_ask_on_fixed_line(line: Line, ask: bool) -> None:
    """Turn "ask for my code on my fixed line" on or off; the caller commits."""
    if not line.mailbox.has_code and not ask:
        raise ValueError("the code cannot be skipped before one exists")
    line.mailbox.ask_code_on_fixed_line = ask


def take_strike(
    session: Session, line_id: int, now: datetime, lockout_seconds: int
) -> int | None:
    """Count one more code attempt; the new count, or None if locked."""
    if lockout_seconds:
        expired = now - timedelta(seconds=lockout_seconds)
        session.execute(
            update(Mailbox)
            .where(Mailbox.line_id == line_id, Mailbox.locked_at <= expired)
            .values(strikes=0, locked_at=None),
            execution_options={"synchronize_session": False},
        )
    strikes = Mailbox.strikes + 1
    return session.execute(
        update(Mailbox)
        .where(Mailbox.line_id == line_id, Mailbox.strikes < MAX_STRIKES)
        .values(
            strikes=strikes,
            locked_at=case((strikes >= MAX_STRIKES, now), else_=Mailbox.locked_at),
        )
        .returning(Mailbox.strikes),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()


def check_code(
    session: Session,
    hasher: Hasher,
    line: Line,
    digits: str,
    now: datetime,
    lockout_seconds: int,
) -> Check:
    """Check an entered code against the line's, strike first.

    Commits the strike before hashing. A right code clears the count; the
    third wrong one leaves the mailbox locked and writes the lock to the audit
    log (in the caller's transaction).
    """
    strikes = take_strike(session, line.id, now, lockout_seconds)
    if strikes is None:
        session.commit()
        return Check.LOCKED
    session.commit()
    stored = line.mailbox.code_hash
    if not is_ascii_digits(digits) or not hasher.verify(PURPOSE, line.number, digits, stored):
        if strikes < MAX_STRIKES:
            return Check.WRONG
        audit.record(session, "phone", "mailbox.locked", now, line_number=line.number,
                     strikes=strikes)
        return Check.LOCKED
    session.execute(
        update(Mailbox)
        .where(Mailbox.line_id == line.id)
        .values(strikes=0, locked_at=None),
        execution_options={"synchronize_session": False},
    )
    return Check.RIGHT


def check_unknown_line(hasher: Hasher, digits: str) -> None:
    """Spend the time of a real check for a line that does not exist."""
    hasher.verify(PURPOSE, "", digits, None)
