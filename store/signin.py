"""Console sign-in: throttling per username, and sessions kept on the server.

Throttling works like the mailbox's strikes (store/codes.py): an attempt is
taken in one conditional UPDATE ... RETURNING and committed before the
password hash or TOTP code is checked, so no more than MAX_FAILURES checks
run per lock window whatever the concurrency, and a lock in force refuses
every check, on every session. A right answer gives its attempt back only by
compare-and-set on the row's generation: if anything happened to the row
since the attempt was taken, the attempt stays counted and no lock is lifted.

The cookie carries only a random token; the database holds its SHA-256, the
adviser, the sign-in stage and when it was last used. Sign-out, an idle
timeout, a disabled account or a password reset end it on the server, and
every stage of a sign-in gets a new token (no session fixation).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import audit
from store.advisers import actor_name
from store.db import commits
from store.models import Adviser, ConsoleSession, LoginThrottle

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
# A half-finished sign-in (password accepted, TOTP not yet) does not wait long.
STAGE_TIMEOUT = timedelta(minutes=5)
# However active, a console session ends after a working day.
MAX_SESSION_AGE = timedelta(hours=12)
# `flask ivr purge` forgets counters untouched this long (no lock in force).
THROTTLE_RETENTION = timedelta(days=1)

TOTP = "totp"
NEW_PASSWORD = "password"
ACTIVE = "active"


@dataclass(frozen=True)
class Attempt:
    """One check allowed by the throttle: the count it made and the row's generation."""

    key: str
    failures: int
    generation: int


def throttle_key(pepper: bytes, username: str) -> str:
    """The key a username's counter is kept under (the text typed is never stored)."""
    message = f"console-username\0{username}".encode()
    return hmac.new(pepper, message, hashlib.sha256).hexdigest()


def take_attempt(session: Session, key: str, now: datetime) -> Attempt | None:
    """Count one more check for this username before it runs, committed; None if locked."""
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(LoginThrottle)
        .values(key=key, failures=0, generation=0, updated_at=now, total_failures=0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = LoginThrottle.key == key
    session.execute(
        update(LoginThrottle)
        .where(row, LoginThrottle.locked_until <= now)
        .values(failures=0, locked_until=None, generation=LoginThrottle.generation + 1),
        execution_options={"synchronize_session": False},
    )
    failures = LoginThrottle.failures + 1
    taken = session.execute(
        update(LoginThrottle)
        .where(row, LoginThrottle.failures < MAX_FAILURES)
        .values(
            failures=failures,
            generation=LoginThrottle.generation + 1,
            updated_at=now,
            total_failures=LoginThrottle.total_failures + 1,
            locked_until=case(
                (failures >= MAX_FAILURES, now + LOCK_DURATION), else_=LoginThrottle.locked_until
            ),
        )
        .returning(LoginThrottle.failures, LoginThrottle.generation),
        execution_options={"synchronize_session": False},
    ).one_or_none()
    session.commit()
    return Attempt(key, taken.failures, taken.generation) if taken else None


def _if_unchanged(session: Session, attempt: Attempt, **values: Any) -> bool:
    """Change the row only if nothing touched it since `attempt` (compare-and-set)."""
    done = session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == attempt.key, LoginThrottle.generation == attempt.generation)
        .values(generation=LoginThrottle.generation + 1, **values)
        .returning(LoginThrottle.key),
        execution_options={"synchronize_session": False},
    ).one_or_none()
    return done is not None


def give_back(session: Session, attempt: Attempt) -> bool:
    """A right password: its attempt no longer counts, if nothing happened since it was taken.

    Only a lock that this very attempt set (it was the fifth) goes with it;
    a lock another request set has moved the generation and stays.
    """
    return _if_unchanged(
        session,
        attempt,
        failures=LoginThrottle.failures - 1,
        total_failures=LoginThrottle.total_failures - 1,
        locked_until=None,
    )


def forgive(session: Session, attempt: Attempt) -> bool:
    """Both factors were right: the count starts again, if nothing happened since."""
    return _if_unchanged(
        session,
        attempt,
        failures=0,
        locked_until=None,
        total_failures=LoginThrottle.total_failures - 1,
    )


@commits
def record_failure(
    session: Session, username: str | None, attempt: Attempt, now: datetime, *, step: str
) -> bool:
    """Audit a failed check of a known username (None: made up, not audited); True if locked."""
    locked = attempt.failures >= MAX_FAILURES
    if username is not None:
        actor = f"adviser:{username}"
        audit.record(
            session, actor, "console.login_failed", now, step=step, failures=attempt.failures
        )
        if locked:
            audit.record(
                session, actor, "console.login_locked", now, until=(now + LOCK_DURATION).isoformat()
            )
    return locked


def purge_throttles(session: Session, pepper: bytes, now: datetime) -> int:
    """Forget counters untouched for THROTTLE_RETENTION; one audit line sums the made-up names.

    The audit log is append-only, so failures of usernames that match no
    account are never audited one by one: this summary is their only entry.
    """
    stale = (LoginThrottle.updated_at < now - THROTTLE_RETENTION) & (
        (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until <= now)
    )
    known = [throttle_key(pepper, name) for name in session.scalars(select(Adviser.username))]
    made_up = stale & LoginThrottle.key.not_in(known)
    names, tried = session.execute(
        select(func.count(), func.sum(LoginThrottle.total_failures)).where(made_up)
    ).one()
    if names:
        audit.record(
            session,
            "system:purge",
            "console.unknown_usernames",
            now,
            usernames=names,
            failures=int(tried or 0),
        )
    result = session.execute(
        delete(LoginThrottle).where(stale), execution_options={"synchronize_session": False}
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, adviser: Adviser, stage: str, now: datetime) -> str:
    """Start a console session at `stage`; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_digest(token),
            adviser_id=adviser.id,
            stage=stage,
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return token


def wait_for_second_factor(session: Session, adviser: Adviser, now: datetime) -> str:
    """A right password: this sign-in replaces any other waiting for the adviser's TOTP.

    The partial unique index admits one waiting sign-in per adviser; a
    concurrent one that got in first is ended and the insert tried again.
    """
    for _ in range(5):
        session.execute(
            update(ConsoleSession)
            .where(
                ConsoleSession.adviser_id == adviser.id,
                ConsoleSession.stage == TOTP,
                ConsoleSession.ended_at.is_(None),
            )
            .values(ended_at=now),
            execution_options={"synchronize_session": False},
        )
        try:
            with session.begin_nested():
                return open_session(session, adviser, TOTP, now)
        except IntegrityError:
            continue
    raise RuntimeError("could not open a sign-in: too many at once for one adviser")


def advance(session: Session, current: ConsoleSession, stage: str, now: datetime) -> str:
    """Move a sign-in to its next stage under a new token; the old one is ended."""
    current.ended_at = now
    return open_session(session, current.adviser, stage, now)


def _expired(record: ConsoleSession, now: datetime, idle: timedelta) -> bool:
    if record.stage != ACTIVE:
        idle = min(idle, STAGE_TIMEOUT)
    return (
        now - record.last_seen_at > idle
        or now - record.created_at > MAX_SESSION_AGE
        or record.adviser.disabled_at is not None
    )


@commits
def resume(
    session: Session, token: str | None, now: datetime, idle_seconds: int
) -> ConsoleSession | None:
    """The live session for a cookie's token, touched; None if unknown, ended or expired."""
    if not token:
        return None
    record = session.get(ConsoleSession, _digest(token))
    if record is None or record.ended_at is not None:
        return None
    if _expired(record, now, timedelta(seconds=idle_seconds)):
        record.ended_at = now
        return None
    record.last_seen_at = now
    return record


@commits
def end_session(session: Session, record: ConsoleSession, now: datetime) -> None:
    """The token is dead on the server whatever the browser keeps (a lock at the second factor)."""
    record.ended_at = now


@commits
def sign_out(session: Session, record: ConsoleSession, now: datetime) -> None:
    """The adviser signs out: the session ends on the server, audited."""
    record.ended_at = now
    audit.record(session, actor_name(record.adviser), "console.logout", now)


@commits
def password_passed(session: Session, attempt: Attempt, adviser: Adviser, now: datetime) -> str:
    """A right password: its attempt is given back; the token of the sign-in waiting for TOTP."""
    give_back(session, attempt)
    return wait_for_second_factor(session, adviser, now)


@commits
def second_factor_passed(
    session: Session, attempt: Attempt, current: ConsoleSession, *, enrolled: bool, now: datetime
) -> str:
    """A right TOTP code: the count starts again; the token of the next stage.

    That stage is a new password when the account must choose one, else the
    complete sign-in. A first enrolment is audited.
    """
    forgive(session, attempt)
    adviser = current.adviser
    if enrolled:
        audit.record(session, actor_name(adviser), "adviser.totp_enrolled", now)
    if adviser.must_change_password:
        return advance(session, current, NEW_PASSWORD, now)
    return _signed_in(session, current, now)


@commits
def new_password_chosen(session: Session, current: ConsoleSession, now: datetime) -> str:
    """The password required after a one-time one is saved: the complete sign-in's token."""
    return _signed_in(session, current, now)


def _signed_in(session: Session, current: ConsoleSession, now: datetime) -> str:
    """The sign-in is complete: a fresh session identifier, audited."""
    token = advance(session, current, ACTIVE, now)
    current.adviser.last_login_at = now
    audit.record(session, actor_name(current.adviser), "console.login", now)
    return token
