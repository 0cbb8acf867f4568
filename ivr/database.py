"""One database session per request, closed on teardown."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, make_session_factory


def init_app(app: Flask) -> None:
    """Create the engine and session factory for this app."""
    engine = make_engine(app.config["IVR_DATABASE_URL"], app.config["IVR_DATABASE_TIMEOUT"])
    app.extensions["ivr.engine"] = engine
    app.extensions["ivr.sessions"] = make_session_factory(engine)
    app.teardown_appcontext(_close)


def sessions() -> sessionmaker[Session]:
    return current_app.extensions["ivr.sessions"]


def db() -> Session:
    """The request's session, opened on first use."""
    if "db" not in g:
        g.db = sessions()()
    return g.db


def _close(_error: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()
