"""Console sign-in attacked over real HTTP: gunicorn (2 workers x 4 threads), real threads.

Each test reproduces an attack of issue 9 with a barrier: parallel wrong
passwords, parallel wrong TOTP codes across sessions, one TOTP code raced
on several sessions. Each adviser is used by one test only (most end locked).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any

import pyotp
import pytest
import requests
from sqlalchemy import func, select

from store import advisers, signin
from store.credentials import Hasher
from store.db import make_engine, make_session_factory
from store.models import Adviser, AuditEntry, ConsoleSession
from tests.console import CSRF, PASSWORD
from tests.helpers import AUTH_TOKEN
from tests.server import gunicorn

PEPPER = "console-http-pepper"
# bcrypt a little slower than in other tests, so a check has a window to race in.
ROUNDS = 8
NAMES = ("pat", "rex", "sam", "tia")


@pytest.fixture(scope="module")
def served(databases):
    """gunicorn on a migrated database holding enrolled advisers; their TOTP secrets."""
    url = databases.create()
    settings = {
        "IVR_DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "IVR_PIN_PEPPER": PEPPER,
        "IVR_SECRET_KEY": "console-http-key",
        "IVR_BCRYPT_ROUNDS": ROUNDS,
    }
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    hasher, secrets = Hasher(PEPPER.encode(), ROUNDS), {}
    with sessions() as session:
        moment = datetime.now(UTC)
        for name in NAMES:
            adviser, _ = advisers.create_adviser(
                session, hasher, name, "adviser", actor="test", now=moment
            )
            advisers.change_password(session, hasher, adviser, PASSWORD, now=moment)
            secrets[name] = advisers.pending_totp_secret(session, adviser)
            adviser.totp_confirmed = True
        session.commit()
    with gunicorn(settings, workers=2, threads=4) as base:
        yield base, sessions, secrets
    engine.dispose()
    databases.drop(url)


class Browser:
    """One browser: its own cookie, the CSRF token of the last page it read.

    The cookie is Secure, as in production: kept by hand, since an HTTP
    client would not send it back over plain http to loopback.
    """

    def __init__(self, base: str) -> None:
        self.base, self.token = base, ""
        self.cookies: dict[str, str] = {}

    def _keep(self, answer: requests.Response) -> requests.Response:
        for header in answer.raw.headers.getlist("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer

    def open(self, path: str) -> requests.Response:
        answer = self._keep(
            requests.get(self.base + path, cookies=self.cookies, allow_redirects=False, timeout=30)
        )
        found = CSRF.search(answer.text)
        self.token = found.group(1) if found else self.token
        return answer

    def post(self, path: str, **fields: str) -> requests.Response:
        return self._keep(
            requests.post(
                self.base + path,
                cookies=self.cookies,
                data={"csrf_token": self.token, **fields},
                allow_redirects=False,
                timeout=30,
            )
        )

    def twin(self) -> Browser:
        """Another client holding this browser's cookie (an attacker who copied it)."""
        other = Browser(self.base)
        other.cookies, other.token = dict(self.cookies), self.token
        return other


def password_sign_in(base: str, username: str, password: str = PASSWORD) -> Browser:
    browser = Browser(base)
    browser.open("/console/login")
    answer = browser.post("/console/login", username=username, password=password)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/login/code")
    browser.open("/console/login/code")
    return browser


def at_once(
    action: Callable[[Any], requests.Response], items: list[Any]
) -> list[requests.Response]:
    """Run `action` on each item in its own thread, released together by a barrier."""
    start = threading.Barrier(len(items))
    answers: list[Any] = [None] * len(items)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(timeout=30)
            answers[index] = action(items[index])
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(items))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not errors, errors
    return answers


def wrong_code(secret: str) -> str:
    """A six-digit code that no step near now accepts."""
    totp, now = pyotp.TOTP(secret), datetime.now(UTC).timestamp()
    near = {totp.at(now + drift) for drift in range(-90, 91, 30)}
    return next(code for code in (f"{n:06d}" for n in range(0, 999999, 111111)) if code not in near)


def failures(sessions: Any, username: str, step: str) -> int:
    """How many failed checks the audit log holds for this adviser at this step."""
    with sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.actor == f"adviser:{username}",
                AuditEntry.action == "console.login_failed",
            )
        ).all()
        return sum(entry.details.get("step") == step for entry in entries)


def waiting(sessions: Any, username: str) -> int:
    with sessions() as session:
        return session.scalar(
            select(func.count())
            .select_from(ConsoleSession)
            .join(Adviser)
            .where(
                Adviser.username == username,
                ConsoleSession.stage == signin.TOTP,
                ConsoleSession.ended_at.is_(None),
            )
        )


def signed_in(answer: requests.Response) -> bool:
    return answer.status_code == 302 and answer.headers["Location"].endswith("/console/")


def test_parallel_wrong_passwords_check_at_most_five(served):
    base, sessions, _secrets = served
    browsers = [Browser(base) for _ in range(24)]
    for browser in browsers:
        browser.open("/console/login")
    answers = at_once(
        lambda pair: pair[1].post(
            "/console/login", username="pat", password=f"wrong password {pair[0]}"
        ),
        list(enumerate(browsers)),
    )
    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {401, 429}, statuses
    # 401: a password was checked and was wrong; 429: refused unchecked, locked.
    assert statuses.count(401) <= signin.MAX_FAILURES, statuses
    assert failures(sessions, "pat", "password") <= signin.MAX_FAILURES
    again = Browser(base)
    again.open("/console/login")
    assert again.post("/console/login", username="pat", password=PASSWORD).status_code == 429


def test_parallel_right_passwords_leave_one_sign_in_waiting(served):
    base, sessions, _secrets = served
    browsers = [Browser(base) for _ in range(8)]
    for browser in browsers:
        browser.open("/console/login")
    answers = at_once(
        lambda browser: browser.post("/console/login", username="rex", password=PASSWORD), browsers
    )
    assert any(answer.status_code == 302 for answer in answers)
    assert waiting(sessions, "rex") == 1


def test_second_factor_is_throttled_on_every_session(served):
    base, sessions, secrets = served
    secret = secrets["sam"]
    earlier = [password_sign_in(base, "sam") for _ in range(5)]
    last = password_sign_in(base, "sam")
    assert waiting(sessions, "sam") == 1  # each password sign-in replaced the one before
    for browser in earlier:
        answer = browser.post("/console/login/code", code=wrong_code(secret))
        assert answer.status_code == 302
        assert answer.headers["Location"].endswith("/login")
    assert failures(sessions, "sam", "totp") == 0  # none of those codes was checked
    copies = [last.twin() for _ in range(20)]
    at_once(lambda browser: browser.post("/console/login/code", code=wrong_code(secret)), copies)
    assert failures(sessions, "sam", "totp") <= signin.MAX_FAILURES
    # Locked: the right code is not checked on the waiting session, nor the right password.
    answer = last.post("/console/login/code", code=pyotp.TOTP(secret).now())
    assert not signed_in(answer)
    fresh = Browser(base)
    fresh.open("/console/login")
    assert fresh.post("/console/login", username="sam", password=PASSWORD).status_code == 429


def test_one_totp_code_signs_in_once(served):
    base, sessions, secrets = served
    earlier = [password_sign_in(base, "tia") for _ in range(2)]
    last = password_sign_in(base, "tia")
    browsers = [*earlier, last, *(last.twin() for _ in range(5))]
    code = pyotp.TOTP(secrets["tia"]).now()
    answers = at_once(lambda browser: browser.post("/console/login/code", code=code), browsers)
    assert sum(signed_in(answer) for answer in answers) == 1, [
        (answer.status_code, answer.headers.get("Location")) for answer in answers
    ]
    with sessions() as session:
        active = session.scalar(
            select(func.count())
            .select_from(ConsoleSession)
            .join(Adviser)
            .where(Adviser.username == "tia", ConsoleSession.stage == signin.ACTIVE)
        )
    assert active == 1
