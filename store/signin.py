"""Console sign-in: throttling per username, and sessions kept on the server.

The cookie carries only a random token; the database holds its SHA-256, the
adviser, the sign-in stage and when it was last used. Sign-out, an idle
timeout, a disabled account or a password reset end it on the server, and
every stage of a sign-in gets a new token (no session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import audit
from store.models import Adviser, ConsoleSession, LoginThrottle

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
# A half-finished sign-in (password accepted, TOTP not yet) does not wait long.
STAGE_TIMEOUT = timedelta(minutes=5)
# However active, a console session ends after a working day.
MAX_SESSION_AGE = timedelta(hours=12)

TOTP = "totp"
NEW_PASSWORD = "password"
ACTIVE = "active"


def locked_until(session: Session, username: str, now: datetime) -> datetime | None:
    """When sign-in for this username opens again, if it is locked now."""
    throttle = session.get(LoginThrottle, username)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        return throttle.locked_until
    return None


def _throttle(session: Session, username: str) -> LoginThrottle:
    """The username's counter, created on its first failure (once, even when racing)."""
    throttle = session.get(LoginThrottle, username)
    if throttle is not None:
        return throttle
    try:
        with session.begin_nested():
            throttle = LoginThrottle(username=username, failures=0)
            session.add(throttle)
    except IntegrityError:
        throttle = session.get(LoginThrottle, username, populate_existing=True)
        assert throttle is not None
    return throttle


def record_failure(session: Session, username: str, now: datetime, *, step: str) -> bool:
    """Count a failed sign-in step for this username, audited; True when it locks."""
    throttle = _throttle(session, username)
    if throttle.locked_until is not None and throttle.locked_until <= now:
        throttle.failures, throttle.locked_until = 0, None
    throttle.failures += 1
    actor = f"adviser:{username}"
    audit.record(session, actor, "console.login_failed", now, step=step,
                 failures=throttle.failures)
    if throttle.failures < MAX_FAILURES:
        return False
    throttle.locked_until = now + LOCK_DURATION
    audit.record(session, actor, "console.login_locked", now,
                 until=throttle.locked_until.isoformat())
    return True


def clear_failures(session: Session, username: str) -> None:
    """A complete sign-in resets the count."""
    throttle = session.get(LoginThrottle, username)
    if throttle is not None:
        throttle.failures, throttle.locked_until = 0, None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, adviser: Adviser, stage: str, now: datetime) -> str:
    """Start a console session at `stage`; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(ConsoleSession(token_hash=_digest(token), adviser_id=adviser.id, stage=stage,
                               created_at=now, last_seen_at=now))
    return token


def advance(session: Session, current: ConsoleSession, stage: str, now: datetime) -> str:
    """Move a sign-in to its next stage under a new token; the old one is ended."""
    current.ended_at = now
    return open_session(session, current.adviser, stage, now)


def _expired(record: ConsoleSession, now: datetime, idle: timedelta) -> bool:
    if record.stage != ACTIVE:
        idle = min(idle, STAGE_TIMEOUT)
    return (now - record.last_seen_at > idle or now - record.created_at > MAX_SESSION_AGE
            or record.adviser.disabled_at is not None)


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


def end_session(session: Session, record: ConsoleSession, now: datetime) -> None:
    """Sign out: the token is dead on the server whatever the browser keeps."""
    record.ended_at = now
