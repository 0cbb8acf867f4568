"""Fixtures: a migrated database per test, the app, and a phone to call it.

Fixtures only; what test modules import lives in the helper modules
(tests/helpers.py and the others named in tests/README.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from ivr import create_app
from ivr.phone import PhoneCall
from store.lines import add_line
from store.models import Line
from tests import twiml
from tests.clock import Clock, Shifted
from tests.databases import Databases
from tests.fakes import FakeApi, fake_api
from tests.helpers import HOME, CheckedTransport, phone_secret, platform_settings


def pytest_configure(config: pytest.Config) -> None:
    """Without Twilio's TwiML schema, warn how to get it; under CI=true, refuse to run."""
    problem = twiml.missing()
    if problem is None:
        return
    if twiml.required():
        raise pytest.UsageError(problem)
    config.issue_config_time_warning(pytest.PytestWarning(problem), stacklevel=2)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Migrated databases on SQLite, or on PostgreSQL with IVR_TEST_DATABASE_URL."""
    made = Databases(tmp_path_factory.mktemp("databases"))
    yield made
    made.close()


@pytest.fixture
def database_url(databases: Databases) -> Iterator[str]:
    url = databases.create()
    yield url
    databases.drop(url)


@pytest.fixture
def platform_name() -> str:
    """The platform the app serves; a test parametrises it to run on each."""
    return "twilio"


@pytest.fixture
def settings(database_url: str, platform_name: str, tmp_path: Path) -> dict[str, Any]:
    """The app's configuration in tests; a test may change it before using `app`."""
    return {
        "TESTING": True,
        "IVR_DATABASE_URL": database_url,
        "IVR_RECORDINGS_URL": str(tmp_path / "recordings"),
        **platform_settings(platform_name),
        "IVR_SECRET_KEY": "test-secret-key",
        "IVR_PIN_PEPPER": "test-pepper",
        "IVR_BCRYPT_ROUNDS": 4,
    }


@pytest.fixture
def clock() -> Clock:
    """A clock the test moves by hand; a module passes it as IVR_CLOCK in `settings`."""
    return Clock()


@pytest.fixture
def shifted() -> Shifted:
    """Real time that a test moves on, for code that mixes the clock with real waiting."""
    return Shifted()


@pytest.fixture
def app(settings: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(settings)
    yield app
    app.extensions["ivr.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    """A session to arrange and inspect stored state."""
    with app.extensions["ivr.sessions"]() as session:
        yield session


@pytest.fixture
def make_line(app: Flask) -> Callable[..., Line]:
    """Provision a line: make_line("+33142685300", language="fr")."""

    def make(number: str = HOME, **fields: Any) -> Line:
        fields.setdefault("language", "en")
        with app.extensions["ivr.sessions"]() as session:
            line = add_line(session, number, region="FR", **fields)
            session.commit()
            return line

    return make


@pytest.fixture
def platform_api(app: Flask) -> Iterator[FakeApi]:
    """The configured platform's REST API on loopback, and the app pointed at it."""
    with fake_api(app.config["IVR_PLATFORM"]) as api:
        app.config.update(api.settings())
        yield api


@pytest.fixture
def phone(app: Flask, platform_name: str) -> Callable[..., PhoneCall]:
    """Place a call: phone(HOME) dials the access number from the fixed line."""

    def place(caller: str = HOME, to: str = "/voice/access", **extra: str) -> PhoneCall:
        call = PhoneCall(
            CheckedTransport(app),
            phone_secret(platform_name),
            caller=caller,
            called=to,
            extra=extra,
            platform=platform_name,
        )
        return call.dial(to)

    return place


@pytest.fixture
def smtp() -> Iterator[Any]:
    """A local SMTP server on a free loopback port (tests.endpoints.Inbox)."""
    from tests.endpoints import smtp_server

    with smtp_server() as inbox:
        yield inbox
