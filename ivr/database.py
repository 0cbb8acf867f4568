"""One database session per request, closed on teardown, within the platform's time.

Each statement is bounded by IVR_DATABASE_TIMEOUT (store/db.py); a request
also has a deadline, past which no new statement starts, so a database that
answers every statement slowly still leaves time to apologise before the
platform's 15 seconds run out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, make_session_factory

PLATFORM_SECONDS = 15.0  # the platform gives up on a webhook after this
MARGIN_SECONDS = 1.0  # to render and send the apology


# When the request being served runs out of time (time.monotonic()); none outside requests.
_DEADLINE: ContextVar[float | None] = ContextVar("ivr_deadline", default=None)


class DeadlineExceeded(RuntimeError):
    """The request has no time left for another statement."""


def init_app(app: Flask) -> None:
    """Create the engine and session factory for this app."""
    timeout = app.config["IVR_DATABASE_TIMEOUT"]
    engine = make_engine(
        app.config["IVR_DATABASE_URL"], timeout, pool_size=app.config["IVR_DATABASE_POOL_SIZE"]
    )
    app.extensions["ivr.engine"] = engine
    app.extensions["ivr.sessions"] = make_session_factory(engine)
    app.config.setdefault("IVR_REQUEST_BUDGET", PLATFORM_SECONDS - MARGIN_SECONDS - timeout)
    event.listen(engine, "before_cursor_execute", _check_deadline)
    app.before_request(_start_clock)
    app.teardown_request(_stop_clock)
    app.teardown_appcontext(_close)


def sessions() -> sessionmaker[Session]:
    return cast("sessionmaker[Session]", current_app.extensions["ivr.sessions"])


def db() -> Session:
    """The request's session, opened on first use."""
    if "db" not in g:
        g.db = sessions()()
    return cast(Session, g.db)


@contextmanager
def deadline(budget: float) -> Iterator[None]:
    """Within this block (one request), no statement starts after `budget` seconds."""
    token = _DEADLINE.set(time.monotonic() + budget)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def seconds_left() -> float | None:
    """What remains of the request's time (None outside a request)."""
    limit = _DEADLINE.get()
    return None if limit is None else limit - time.monotonic()


def _start_clock() -> None:
    g.ivr_deadline = _DEADLINE.set(time.monotonic() + current_app.config["IVR_REQUEST_BUDGET"])


def _stop_clock(_error: BaseException | None) -> None:
    token = g.pop("ivr_deadline", None)
    if token is not None:
        _DEADLINE.reset(token)


def _check_deadline(*_args: Any) -> None:
    limit = _DEADLINE.get()
    if limit is not None and time.monotonic() > limit:
        raise DeadlineExceeded("no time left in this request for another statement")


def _close(_error: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()
