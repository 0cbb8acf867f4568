"""The mailbox secret code: strength, storage and the three-strike lock.

A strike is taken before a code is checked, in one UPDATE that increments
the count and sets the lock on the third, so concurrent calls on one line
can never test more than three codes per lock cycle. The strike is committed
before bcrypt runs: a worker dying mid-check still leaves it counted, and no
database lock is held while hashing. Each strike moves the mailbox's
generation on; a right code resets the count only at the generation its own
strike left, so a lock taken while it was hashed is never lifted.

The strike's UPDATE also appends its time and calling number to the
mailbox's `recent_strikes` (no statement more); the third strike records
the lock, its audit entry and the subscriber's notice in its own
transaction, before bcrypt (store/locks.py).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store import callers, locks
from store.credentials import Hasher, is_ascii_digits, weakness
from store.models import Line, Mailbox, PhantomStrikes, UTCDateTime

PURPOSE = "mailbox-code"
CODE_LENGTH = 4
MAX_STRIKES = 3


class Proposal(enum.StrEnum):
    """What is wrong with a proposed new code, if anything."""

    OK = "ok"
    LENGTH = "length"
    WEAK = "weak"


class CodeCheck(enum.StrEnum):
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


def _strike_statement(table: Any, key: Any, generation: Any = None, history: Any = None) -> Any:
    """One conditional UPDATE ... RETURNING that takes a strike on a row of `table`.

    Built once at import with bind parameters (`w_key`, `now`, `expired`,
    and `entry` with a `history` column): a lock older than `expired` (NULL:
    locks never expire) starts a new cycle at one strike; the third strike
    sets `locked_at`; a row at three strikes and still locked is left alone
    and returns nothing.
    """
    c = table.c
    now = bindparam("now", type_=UTCDateTime())
    expired = and_(
        c.locked_at.is_not(None), c.locked_at <= bindparam("expired", type_=UTCDateTime())
    )
    values = {
        "strikes": case((expired, 1), else_=c.strikes + 1),
        "locked_at": case((expired, None), (c.strikes + 1 >= MAX_STRIKES, now), else_=c.locked_at),
    }
    returning = [c.strikes]
    if generation is not None:
        values[generation.name] = generation + 1
        returning.append(generation)
    if history is not None:
        entry: Any = bindparam("entry", type_=Text())
        values[history.name] = case(
            (expired, entry), else_=func.coalesce(history, "").concat(entry)
        )
        returning.append(history)
    return (
        update(table)
        .where(key == bindparam("w_key"), or_(c.strikes < MAX_STRIKES, expired))
        .values(**values)
        .returning(*returning)
    )


_MAILBOXES: Any = Mailbox.__table__
_PHANTOMS: Any = PhantomStrikes.__table__
_TAKE_STRIKE = _strike_statement(
    _MAILBOXES, _MAILBOXES.c.line_id, _MAILBOXES.c.strike_generation, _MAILBOXES.c.recent_strikes
)
_TAKE_PHANTOM_STRIKE = _strike_statement(_PHANTOMS, _PHANTOMS.c.key)
# The right code's reset: only if the row is still as its own strike left it.
_RESET_IF_UNCHANGED = (
    update(_MAILBOXES)
    .where(
        _MAILBOXES.c.line_id == bindparam("w_key"),
        _MAILBOXES.c.strike_generation == bindparam("w_generation"),
    )
    .values(
        strikes=0,
        locked_at=None,
        recent_strikes=None,
        strike_generation=_MAILBOXES.c.strike_generation + 1,
    )
)


def _expired(now: datetime, lockout_seconds: int) -> datetime | None:
    return now - timedelta(seconds=lockout_seconds) if lockout_seconds else None


def take_strike(
    session: Session, line_id: int, now: datetime, lockout_seconds: int, caller: str = ""
) -> tuple[int, int, str] | None:
    """Count one more code attempt: (count, generation, the cycle's strikes), None if locked."""
    who = "withheld" if callers.is_withheld(caller) else caller
    row = (
        session.connection()
        .execute(
            _TAKE_STRIKE,
            {
                "w_key": line_id,
                "now": now,
                "expired": _expired(now, lockout_seconds),
                "entry": f"{locks.stamp(now)} {who}\n",
            },
        )
        .one_or_none()
    )
    return None if row is None else (row[0], row[1], row[2])


def clear_strikes(mailbox: Mailbox) -> None:
    """Zero the count and lift the lock (an adviser's reset); the caller commits.

    Moves the generation on, so a right code still being checked when the
    reset happens cannot reset anything after it.
    """
    mailbox.strikes = 0
    mailbox.locked_at = None
    mailbox.recent_strikes = None
    mailbox.strike_generation = Mailbox.strike_generation + 1


def check_code(
    session: Session,
    hasher: Hasher,
    line: Line,
    digits: str,
    now: datetime,
    lockout_seconds: int,
    caller: str = "",
) -> CodeCheck:
    """Check an entered code from `caller` against the line's, strike first.

    Commits the strike before hashing; the third strike commits the lock's
    record and held notice with it, so they stand even if this worker dies
    in bcrypt. A right code clears the count only if nothing happened to the
    mailbox since its strike (compare-and-set on the strike generation);
    otherwise the count stays and, if the line locked meanwhile, the answer
    is the lock. A wrong third code releases the notice, a right one that
    reopens the line cancels it (in the caller's transaction).
    """
    taken = take_strike(session, line.id, now, lockout_seconds, caller)
    lock = None
    if taken is not None and taken[0] >= MAX_STRIKES:
        lock = locks.record_lock(session, line, taken[2], now)
    session.commit()
    if taken is None:
        return CodeCheck.LOCKED
    strikes, generation, _ = taken
    stored = line.mailbox.code_hash
    if not is_ascii_digits(digits) or not hasher.verify(PURPOSE, line.number, digits, stored):
        if lock is not None:
            locks.release_notice(session, lock)
        return CodeCheck.WRONG if strikes < MAX_STRIKES else CodeCheck.LOCKED
    reset = session.connection().execute(
        _RESET_IF_UNCHANGED, {"w_key": line.id, "w_generation": generation}
    )
    if getattr(reset, "rowcount", 0) == 1:
        if lock is not None:
            locks.reopened(session, line, lock, now)
        return CodeCheck.RIGHT
    if lock is not None:
        locks.release_notice(session, lock)
    session.refresh(line.mailbox)
    return CodeCheck.LOCKED if is_locked(line.mailbox, now, lockout_seconds) else CodeCheck.RIGHT


# -- Line numbers that do not exist (SPEC §4.3: probing must learn nothing) --


def phantom_key(hasher: Hasher, typed: str) -> str:
    """The key under which strikes on an unknown line number are counted."""
    message = f"unknown-line\0{typed}".encode()
    return hmac.new(hasher.pepper, message, hashlib.sha256).hexdigest()


def phantom_locked(session: Session, key: str, now: datetime, lockout_seconds: int) -> bool:
    """Whether an unknown line number is "locked", exactly as a real one would be."""
    row = session.get(PhantomStrikes, key, populate_existing=True)
    if row is None or row.strikes < MAX_STRIKES:
        return False
    if lockout_seconds and row.locked_at is not None:
        return now < row.locked_at + timedelta(seconds=lockout_seconds)
    return True


def check_unknown_line(
    session: Session, hasher: Hasher, key: str, digits: str, now: datetime, lockout_seconds: int
) -> CodeCheck:
    """A code entered for an unknown line: a strike, a dummy bcrypt check, never right."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    session.execute(
        module.insert(PhantomStrikes)
        .values(key=key, strikes=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    session.execute(
        update(PhantomStrikes).where(PhantomStrikes.key == key).values(updated_at=now),
        execution_options={"synchronize_session": False},
    )
    strikes = (
        session.connection()
        .execute(
            _TAKE_PHANTOM_STRIKE,
            {"w_key": key, "now": now, "expired": _expired(now, lockout_seconds)},
        )
        .scalar()
    )
    session.commit()
    if strikes is None:
        return CodeCheck.LOCKED
    hasher.verify(PURPOSE, "", digits, None)
    return CodeCheck.WRONG if strikes < MAX_STRIKES else CodeCheck.LOCKED


def purge_phantoms(session: Session, now: datetime, older_than: timedelta) -> int:
    """Forget unknown line numbers untouched for `older_than`; the caller commits."""
    rows = list(
        session.scalars(select(PhantomStrikes).where(PhantomStrikes.updated_at < now - older_than))
    )
    for row in rows:
        session.delete(row)
    return len(rows)
