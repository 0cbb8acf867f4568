"""Call state on the server, keyed by CallSid, shared by every worker and host.

Each answer the server gives carries the call's step number in its URLs.
`claim_step` moves the call past that step in one conditional UPDATE, so a
step is taken exactly once even when the platform retries it concurrently;
the retry is told to replay the stored answer, and a request for any other
step (replayed from another call, out of order) is told it is stale, gets
the call's latest answer again and changes nothing; an ended call stays ended.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, bindparam, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import Call

# How long a retry waits for the answer of the same step still being computed.
PENDING_WAIT_SECONDS = 8.0
PENDING_POLL_SECONDS = 0.05


class Claim(enum.Enum):
    PROCEED = "proceed"
    REPLAY = "replay"
    STALE = "stale"
    ENDED = "ended"
    UNKNOWN = "unknown"


@dataclass
class Claimed:
    outcome: Claim
    call: Call | None = None
    response: str | None = None


def open_call(session: Session, call: Call) -> Call | None:
    """Insert a new call; None if that CallSid is already known."""
    session.add(call)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    return call


def claim_step(
    session: Session, sid: str, step: int, fingerprint: str, now: datetime
) -> Claimed:
    """Take step `step` of call `sid` for this request, or say why not."""
    taken = take(session, sid, step, fingerprint, now)
    if taken is not None:
        return Claimed(Claim.PROCEED, taken)
    call = session.get(Call, sid, populate_existing=True)
    if call is None:
        return Claimed(Claim.UNKNOWN)
    if call.step == step + 1 and call.last_fingerprint == fingerprint:
        return Claimed(Claim.REPLAY, call, _await_response(session, call))
    if call.ended_at is not None:
        return Claimed(Claim.ENDED, call)
    return Claimed(Claim.STALE, call, _await_response(session, call))


def take(session: Session, sid: str, step: int, fingerprint: str, now: datetime) -> Call | None:
    """Move the call past `step` for this request: the call, or None if not at that step."""
    # One statement: the UPDATE returns the call it took.
    return session.scalars(
        update(Call)
        .where(Call.sid == sid, Call.step == step, Call.ended_at.is_(None))
        .values(step=step + 1, last_fingerprint=fingerprint, last_response=None, updated_at=now)
        .returning(Call),
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).one_or_none()


# Built once: constructing the statement costs as much as running it.
_CALLS = Call.__table__.c
_SAVED = ("node", "context", "last_response", "ended_at")
_TAKE_AND_SAVE = (
    update(Call)
    .where(_CALLS.sid == bindparam("w_sid"), _CALLS.step == bindparam("w_step"),
           _CALLS.ended_at.is_(None))
    .values(step=bindparam("v_step"), last_fingerprint=bindparam("v_fingerprint"),
            updated_at=bindparam("v_now"), **{name: bindparam(f"v_{name}") for name in _SAVED})
)


def take_and_save(
    session: Session, sid: str, step: int, fingerprint: str, now: datetime, **saved: Any
) -> bool:
    """Move the call past `step` and save its new state in one UPDATE; False if not at `step`.

    For a step that ran no operation: nothing was changed before this
    statement, so deciding first and claiming last is as safe, and holds
    the database's write lock for one statement instead of the whole step.
    `saved` holds node, context, last_response and ended_at.
    """
    params = {"w_sid": sid, "w_step": step, "v_step": step + 1, "v_fingerprint": fingerprint,
              "v_now": now, **{f"v_{name}": saved[name] for name in _SAVED}}
    connection = session.connection()
    return bool(_rowcount(connection.execute(_TAKE_AND_SAVE, params)))


def _await_response(session: Session, call: Call) -> str | None:
    """The stored answer of the call's last step, waiting while it is computed."""
    deadline = time.monotonic() + PENDING_WAIT_SECONDS
    while call.last_response is None and call.ended_at is None and time.monotonic() < deadline:
        session.rollback()
        time.sleep(PENDING_POLL_SECONDS)
        session.refresh(call)
    return call.last_response


def end_call(session: Session, sid: str, now: datetime) -> bool:
    """Mark a call ended and forget what it held; the caller commits."""
    return bool(_rowcount(session.execute(
        update(Call)
        .where(Call.sid == sid, Call.ended_at.is_(None))
        .values(ended_at=now, context={}, last_response=None, updated_at=now),
        execution_options={"synchronize_session": False},
    )))


def purge_calls(session: Session, now: datetime, older_than: timedelta) -> int:
    """Delete calls untouched for `older_than` (ended or abandoned); the caller commits."""
    return _rowcount(session.execute(
        delete(Call).where(Call.updated_at < now - older_than),
        execution_options={"synchronize_session": False},
    ))


def _rowcount(result: object) -> int:
    """Rows matched by an UPDATE or DELETE."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
