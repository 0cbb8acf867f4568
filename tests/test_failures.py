"""A database that is down, stuck or locked still gets the caller an apology, in time.

The platform waits 15 seconds for a webhook; every wait on the database is
bounded by IVR_DATABASE_TIMEOUT (1 s here), so the answer comes within that
bound plus the request's own work.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from ivr import create_app
from ivr.phone import PhoneCall
from menus.catalogue import sentence
from store.db import make_engine
from store.lines import add_line
from store.migrate import upgrade
from tests.databases import requires_postgresql
from tests.helpers import AUTH_TOKEN, HOME, MOBILE, CheckedTransport
from tests.server import free_port

TIMEOUT = 1.0
PLATFORM_LIMIT = 15.0
APOLOGY = sentence("en", "apology")


def timed_call(settings, caller=HOME, keys=()) -> tuple[PhoneCall, float]:
    """Dial the access number (then press `keys`); the seconds the last answer took."""
    app = create_app({**settings, "IVR_DATABASE_TIMEOUT": TIMEOUT})
    try:
        call = PhoneCall(CheckedTransport(app), AUTH_TOKEN, caller=caller, called="access")
        started = time.monotonic()
        call.dial("/voice/access")
        for key in keys:
            started = time.monotonic()
            call.press(key)
        return call, time.monotonic() - started
    finally:
        app.extensions["ivr.engine"].dispose()


def assert_apology_in_time(call: PhoneCall, seconds: float, bound: float) -> None:
    assert call.last_said == APOLOGY
    assert call.ended
    assert seconds < bound < PLATFORM_LIMIT, f"answered in {seconds:.2f} s"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word (a stuck server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_postgresql_refusing_connections(settings):
    url = f"postgresql+psycopg://ivr@127.0.0.1:{free_port()}/ivr"
    call, seconds = timed_call({**settings, "IVR_DATABASE_URL": url})
    assert_apology_in_time(call, seconds, TIMEOUT + 2)


def test_postgresql_that_never_answers(settings, silent_server):
    url = f"postgresql+psycopg://ivr@127.0.0.1:{silent_server}/ivr"
    call, seconds = timed_call({**settings, "IVR_DATABASE_URL": url})
    assert_apology_in_time(call, seconds, TIMEOUT + 2)
    assert seconds >= TIMEOUT * 0.9  # it did wait for the connect timeout, no longer


def test_sqlite_held_locked_by_another_connection(settings, tmp_path):
    path = tmp_path / "locked.sqlite3"
    upgrade(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        add_line(session, HOME, region="FR", language="en")
        session.commit()
    engine.dispose()
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, held until rollback
    try:
        call, seconds = timed_call({**settings, "IVR_DATABASE_URL": f"sqlite:///{path}"})
    finally:
        holder.rollback()
        holder.close()
    assert_apology_in_time(call, seconds, TIMEOUT + 2)
    assert seconds >= TIMEOUT * 0.9


@requires_postgresql
def test_postgresql_lock_wait_is_bounded(settings, database_url, make_line):
    make_line()
    engine = make_engine(database_url)
    with engine.connect() as holder:
        holder.execute(text("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE"))
        call, seconds = timed_call(settings, caller=MOBILE)
        holder.rollback()
    engine.dispose()
    assert_apology_in_time(call, seconds, TIMEOUT + 2)
    assert seconds >= TIMEOUT * 0.9


def test_no_statement_starts_past_the_request_deadline(settings, make_line):
    """Each statement is bounded; the request as a whole is too (time left to apologise)."""
    make_line()
    call, seconds = timed_call({**settings, "IVR_REQUEST_BUDGET": 0.0})
    assert_apology_in_time(call, seconds, 1.0)
    call, _ = timed_call({**settings, "IVR_REQUEST_BUDGET": 5.0})
    assert call.last_said != APOLOGY
    assert not call.ended
