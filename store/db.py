"""Engine and session factory, with every wait on the database bounded.

The platform gives a webhook 15 seconds. `timeout` (seconds) bounds each
wait: SQLite's busy wait for a lock; PostgreSQL's connect, each statement
and lock wait, a dead TCP peer, and the wait for a pooled connection. A
database that is down or stuck then fails fast enough for the caller to hear
an apology instead of the platform's error. Migrations use no timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
POOL_RECYCLE_SECONDS = 600

P = ParamSpec("P")
T = TypeVar("T")


def make_engine(url: str, timeout: float | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys."""
    # Statement parameters may hold digits being confirmed: keep them out of errors.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        busy_ms = int(timeout * 1000) if timeout else SQLITE_BUSY_TIMEOUT_MS
        kwargs.setdefault("connect_args", {"timeout": busy_ms / 1000})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(busy_ms))
        return engine
    # No ping before each checkout (a round trip per request): a connection the
    # server closed raises a disconnect error, which invalidates the pool, so only
    # requests in flight then fail (ivr/plainkeys.py retries its own once); and a
    # connection is replaced before a server's or firewall's idle limit drops it.
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    if timeout and url.startswith("postgresql"):
        kwargs.setdefault("connect_args", _postgresql_bounds(timeout))
        kwargs.setdefault("pool_timeout", timeout)
    return create_engine(url, **kwargs)


def _postgresql_bounds(timeout: float) -> dict[str, Any]:
    """libpq parameters that bound connecting, statements, lock waits and dead peers."""
    ms = int(timeout * 1000)
    return {
        "connect_timeout": max(1, round(timeout)),
        "tcp_user_timeout": ms,
        "options": f"-c statement_timeout={ms} -c lock_timeout={ms} "
        f"-c idle_in_transaction_session_timeout={ms * 6}",
    }


def _sqlite_pragmas(busy_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after a commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(session: Session) -> Iterator[None]:
    """One store operation's unit of work: committed at the end, rolled back if it raises.

    A refusal (a ValueError the door turns into a message) leaves nothing
    pending in the session: the door has nothing to undo.
    """
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()


def commits(
    operation: Callable[Concatenate[Session, P], T],
) -> Callable[Concatenate[Session, P], T]:
    """Mark a store operation as a whole unit of work: it runs in `transaction`."""

    @wraps(operation)
    def unit_of_work(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with transaction(session):
            return operation(session, *args, **kwargs)

    return unit_of_work
