"""Helpers for console tests: a settable clock, accounts, CSRF tokens, signing in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from store import advisers
from tests.clock import Clock

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


@dataclass
class Account:
    username: str
    password: str
    secret: str


def make_adviser(app: Flask, username: str = "ann", role: str = "adviser") -> Account:
    """An enrolled account with a known password and TOTP secret."""
    hasher = app.extensions["ivr.hasher"]
    now = app.config["IVR_CLOCK"]()
    with app.extensions["ivr.sessions"]() as session:
        adviser, _ = advisers.create_adviser(session, hasher, username, role, actor="test", now=now)
        advisers.change_password(session, hasher, adviser, PASSWORD, now=now)
        secret = advisers.pending_totp_secret(session, adviser)
        adviser.totp_confirmed = True
        session.commit()
    return Account(username, PASSWORD, secret)


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def totp_now(secret: str, clock: Any) -> str:
    return pyotp.TOTP(secret).at(clock())


def post_form(client: FlaskClient, page_url: str, action: str, data: dict[str, str]) -> Any:
    """Open a page for its CSRF token, then post a form to `action`."""
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def sign_in(client: FlaskClient, account: Account, clock: Clock) -> None:
    """Password then TOTP; the clock moves on a step so each code is fresh."""
    clock.advance(seconds=30)
    answer = post_form(
        client,
        "/console/login",
        "/console/login",
        {"username": account.username, "password": account.password},
    )
    assert answer.status_code == 302
    assert answer.location.endswith("/console/login/code")
    answer = post_form(
        client,
        "/console/login/code",
        "/console/login/code",
        {"code": totp_now(account.secret, clock)},
    )
    assert answer.status_code == 302, answer.location
    assert answer.location.endswith("/console/"), answer.location


def console_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("ivr_console", path="/console")
    return cookie.value if cookie else None
