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

from sqlalchemy import Connection, CursorResult, Engine, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.db import commits
from store.models import Call

# How long a retry waits for the answer of the same step still being computed.
PENDING_WAIT_SECONDS = 8.0
PENDING_POLL_SECONDS = 0.05


class Claim(enum.Enum):
    """What claiming a step found: take it, answer it again, or refuse it."""

    PROCEED = "proceed"
    REPLAY = "replay"
    STALE = "stale"
    ENDED = "ended"
    UNKNOWN = "unknown"


@dataclass
class Claimed:
    """The claim's outcome, with the call to step or the answer to replay."""

    outcome: Claim
    call: Call | None = None
    response: str | None = None


class Lost(Exception):
    """Another request took this step first: nothing was changed by this one."""


@dataclass(frozen=True)
class CallState:
    """What a step needs to know of a call to decide, read in one statement."""

    sid: str
    flow: str
    node: str
    language: str
    context: dict[str, Any]
    step: int
    ended: bool

    @classmethod
    def of(cls, call: Call) -> CallState:
        """The state as read from `call`, the base of the step's conditional UPDATE."""
        return cls(
            call.sid,
            call.flow,
            call.node,
            call.language,
            dict(call.context),
            call.step,
            call.ended_at is not None,
        )


def open_call(session: Session, call: Call) -> Call | None:
    """Insert a new call; None if that CallSid is already known."""
    session.add(call)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    return call


# Built once: constructing a statement costs as much as running it.
_CALLS = Call.__table__.c
_READ = select(
    _CALLS.sid,
    _CALLS.flow,
    _CALLS.node,
    _CALLS.language,
    _CALLS.context,
    _CALLS.step,
    _CALLS.ended_at.is_not(None),
).where(_CALLS.sid == bindparam("sid"))
_SAVED = ("node", "context", "last_response", "ended_at")
_AT_STEP = (
    _CALLS.sid == bindparam("w_sid"),
    _CALLS.step == bindparam("w_step"),
    _CALLS.ended_at.is_(None),
)
# What taking a step writes, whether or not the answer is saved with it.
_TAKEN: dict[str, Any] = {
    "step": bindparam("v_step"),
    "last_fingerprint": bindparam("v_fingerprint"),
    "updated_at": bindparam("v_now"),
}
_TAKE_AND_SAVE = (
    update(Call)
    .where(*_AT_STEP)
    .values(**_TAKEN, **{name: bindparam(f"v_{name}") for name in _SAVED})
)
_TAKE = update(Call).where(*_AT_STEP).values(**_TAKEN, last_response=None).returning(Call)
_END = (
    update(Call)
    .where(_CALLS.sid == bindparam("w_sid"), _CALLS.ended_at.is_(None))
    .values(
        ended_at=bindparam("v_now"), context={}, last_response=None, updated_at=bindparam("v_now")
    )
)


@dataclass
class StepHold:
    """One request's hold on step `step` of call `sid`: read, take, save, or why not.

    A step that runs no operation (most menu keys) is decided from the call
    as read and taken by the UPDATE that saves its answer: the write lock is
    held for that one statement. A step about to run an operation takes the
    call first (`take`), so the operation runs at most once. Either way the
    UPDATE matches only a call still at `step`: a request that loses the race
    raises `Lost` having changed nothing, and `claim` then says what to answer.

    A hold with no session (a plain key, `ivr/plainkeys.py`) reads and saves
    on a connection of its own (`own_connection`), one statement each,
    committed by the driver: on PostgreSQL in autocommit, so the key costs
    two round trips, not four (no BEGIN, no COMMIT).
    """

    session: Session | None
    sid: str
    step: int
    fingerprint: str
    now: datetime
    # Where `read` and `save` run: the session's connection, or one of their own.
    connection: Connection | None = None
    call: Call | None = None  # the call, once taken by this request

    def read(self) -> CallState | None:
        """The call as it stands (no lock taken), or None if unknown."""
        rows = self._run(_READ, {"sid": self.sid})
        return CallState(*rows[0]) if rows else None

    def take(self) -> Call:
        """Move the call past this step now, for this request; `Lost` if not at it."""
        if self.call is None:
            self.call = take(self._session(), self.sid, self.step, self.fingerprint, self.now)
            if self.call is None:
                raise Lost
        return self.call

    def save(self, **saved: Any) -> None:
        """Store the step's outcome (node, context, last_response, ended_at); `commit` commits.

        On the call already taken, or taking the step in the same UPDATE;
        `Lost` if another request took it first.
        """
        if self.call is not None:
            for name, value in saved.items():
                setattr(self.call, name, value)
            return
        params = {
            "w_sid": self.sid,
            "w_step": self.step,
            "v_step": self.step + 1,
            "v_fingerprint": self.fingerprint,
            "v_now": self.now,
            **{f"v_{name}": saved[name] for name in _SAVED},
        }
        if not self._run(_TAKE_AND_SAVE, params):
            raise Lost

    def commit(self) -> None:
        """Commit what this request did to the call."""
        if self.session is not None:
            self.session.commit()
        elif self.connection is not None:
            self.connection.connection.commit()  # the driver's (nothing left in autocommit)

    def rollback(self) -> None:
        """Forget what this request did to the call, if anything."""
        if self.session is not None:
            self.session.rollback()
        elif self.connection is not None:
            self.connection.connection.rollback()

    def claim(self) -> Claimed:
        """Take the step, or say why not: a retry (replay), stale, ended or unknown."""
        claimed = claim_step(self._session(), self.sid, self.step, self.fingerprint, self.now)
        self.call = claimed.call if claimed.outcome is Claim.PROCEED else None
        return claimed

    def _session(self) -> Session:
        if self.session is None:
            raise TypeError("a hold without a session only reads and saves")
        return self.session

    def _run(self, statement: Any, values: dict[str, Any]) -> Any:
        if self.connection is None or self.connection.closed:  # a rollback closes the session's
            self.connection = self._session().connection()
        return _prepared(statement, self.connection).run(self.connection, values)


def own_connection(engine: Engine) -> Connection:
    """A connection for a hold without a session (the caller closes it)."""
    connection = engine.connect()
    # SQLite's BEGIN and COMMIT are no round trips, and leaving autocommit
    # costs it a PRAGMA when the connection goes back to the pool.
    if engine.dialect.name != "sqlite":
        connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


def claim_step(session: Session, sid: str, step: int, fingerprint: str, now: datetime) -> Claimed:
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
        _TAKE,
        {
            "w_sid": sid,
            "w_step": step,
            "v_step": step + 1,
            "v_fingerprint": fingerprint,
            "v_now": now,
        },
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).one_or_none()


class _Prepared:
    """A statement compiled once for a dialect, run on the DBAPI cursor of the session's
    connection with SQLAlchemy's own type processing.

    The two statements of every menu key are a SELECT and an UPDATE by
    primary key, which the database answers in microseconds; SQLAlchemy's
    per-execution machinery around them costs ten times that. Listeners of
    `before_cursor_execute` (the request deadline) still run.
    """

    def __init__(self, statement: Any, dialect: Any) -> None:
        self.dialect = dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.names = list(compiled.positiontup or compiled.bind_names.values())
        self.positional = compiled.positiontup is not None
        self.binds = compiled._bind_processors
        columns = getattr(statement, "selected_columns", ())
        self.results = [c.type._cached_result_processor(dialect, None) for c in columns]

    def run(self, connection: Connection, values: dict[str, Any]) -> Any:
        """The rows a SELECT returns, or the rows an UPDATE matched."""
        params: Any
        if self.positional:
            params = tuple(self._bind(name, values[name]) for name in self.names)
        else:
            params = {name: self._bind(name, values[name]) for name in self.names}
        connection.dispatch.before_cursor_execute(connection, None, self.sql, params, None, False)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(self.sql, params)
            if not self.results:
                return cursor.rowcount
            return [
                tuple(p(v) if p else v for p, v in zip(self.results, row, strict=True))
                for row in cursor.fetchall()
            ]
        finally:
            cursor.close()

    def _bind(self, name: str, value: Any) -> Any:
        processor = self.binds.get(name)
        return processor(value) if processor else value


_PREPARED: dict[tuple[int, int], _Prepared] = {}


def _prepared(statement: Any, connection: Connection) -> _Prepared:
    dialect = connection.dialect
    key = (id(statement), id(dialect))
    found = _PREPARED.get(key)
    if found is None or found.dialect is not dialect:  # an id reused by a new dialect
        found = _PREPARED[key] = _Prepared(statement, dialect)
    return found


def _await_response(session: Session, call: Call) -> str | None:
    """The stored answer of the call's last step, waiting while it is computed."""
    deadline = time.monotonic() + PENDING_WAIT_SECONDS
    while call.last_response is None and call.ended_at is None and time.monotonic() < deadline:
        session.rollback()
        time.sleep(PENDING_POLL_SECONDS)
        session.refresh(call)
    return call.last_response


@commits
def end_call(session: Session, sid: str, now: datetime) -> bool:
    """Mark a call ended and forget what it held."""
    ended = session.execute(
        _END, {"w_sid": sid, "v_now": now}, execution_options={"synchronize_session": False}
    )
    return bool(_rowcount(ended))


def purge_calls(session: Session, now: datetime, older_than: timedelta) -> int:
    """Delete calls untouched for `older_than` (ended or abandoned); the caller commits."""
    return _rowcount(
        session.execute(
            delete(Call).where(Call.updated_at < now - older_than),
            execution_options={"synchronize_session": False},
        )
    )


def _rowcount(result: object) -> int:
    """Rows matched by an UPDATE or DELETE."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
