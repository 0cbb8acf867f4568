"""Console sign-in at HTTP level: TOTP, sessions on the server, throttling, CSRF, roles."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import func, select

from ivr import create_app
from store import signin
from store.models import Adviser, AuditEntry, ConsoleSession, LoginThrottle
from tests.console import (
    PASSWORD,
    console_cookie,
    csrf_token,
    make_adviser,
    post_form,
    sign_in,
    totp_now,
)


@pytest.fixture
def settings(settings, clock):
    return {**settings, "IVR_CLOCK": clock}


def found(pattern, text):
    match = re.search(pattern, text)
    assert match, pattern
    return match.group(1)


def actions(session, actor=None):
    session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return [entry.action for entry in session.scalars(query)]


def test_pages_need_a_session(client):
    for path in ("/console/", "/console/audit", "/console/lines/+33142685300", "/console/calls"):
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.location.endswith("/console/login"), path


def test_first_sign_in_from_add_adviser_enrols_totp_and_sets_a_password(
    app, client, runner, session, clock
):
    result = runner.invoke(args=["ivr", "add-adviser", "Ann", "--role", "adviser"])
    assert result.exit_code == 0, result.output
    one_time = found(r"One-time password \(shown once\): (\S+)", result.output)

    answer = post_form(
        client, "/console/login", "/console/login", {"username": "ann", "password": one_time}
    )
    assert answer.location.endswith("/console/login/code")
    page = client.get("/console/login/code").get_data(as_text=True)
    assert "<svg" in page
    assert "Set up your authenticator" in page
    secret = found(r'id="totp-secret">([A-Z2-7]+)<', page)
    # The QR code is made on the server: nothing is loaded from elsewhere.
    assert "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org", ""
    )
    # A reload shows the same secret, so a scanned code keeps working.
    assert secret in client.get("/console/login/code").get_data(as_text=True)

    answer = client.post(
        "/console/login/code",
        data={"csrf_token": csrf_token(page), "code": pyotp.TOTP(secret).at(clock())},
    )
    assert answer.location.endswith("/console/password")
    # Until a new password is chosen, every page leads back there.
    assert client.get("/console/").location.endswith("/console/password")
    answer = post_form(
        client, "/console/password", "/console/password", {"password": "short", "confirm": "short"}
    )
    assert "at least 12 characters" in answer.get_data(as_text=True)
    answer = post_form(
        client,
        "/console/password",
        "/console/password",
        {"password": PASSWORD, "confirm": PASSWORD},
    )
    assert answer.location.endswith("/console/")
    assert client.get("/console/").status_code == 200
    assert actions(session, "adviser:ann") == [
        "adviser.totp_enrolled",
        "adviser.password_changed",
        "console.login",
    ]
    account = session.scalars(select(Adviser)).one()
    assert account.totp_confirmed
    assert not account.must_change_password
    assert one_time not in str(session.scalars(select(AuditEntry.details)).all())


def test_session_identifier_changes_at_each_sign_in_stage(app, client, session, clock):
    account = make_adviser(app)
    client.get("/console/login")
    before = console_cookie(client)
    post_form(
        client,
        "/console/login",
        "/console/login",
        {"username": account.username, "password": account.password},
    )
    half = console_cookie(client)
    post_form(
        client,
        "/console/login/code",
        "/console/login/code",
        {"code": totp_now(account.secret, clock)},
    )
    after = console_cookie(client)
    assert len({before, half, after}) == 3
    live = session.scalars(select(ConsoleSession).where(ConsoleSession.ended_at.is_(None))).all()
    assert [record.stage for record in live] == [signin.ACTIVE]


def test_cookie_flags(app, client, clock):
    sign_in(client, make_adviser(app), clock)
    cookie = client.get_cookie("ivr_console", path="/console")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Strict"
    assert not cookie.secure  # TESTING: plain http is allowed


def test_cookie_is_secure_outside_development_and_tests(settings):
    production = create_app({**settings, "TESTING": False})
    try:
        assert production.config["SESSION_COOKIE_SECURE"] is True
        answer = production.test_client().get("/console/login", base_url="https://localhost")
        header = answer.headers["Set-Cookie"]
        assert "Secure" in header
        assert "HttpOnly" in header
        assert "SameSite=Strict" in header
    finally:
        production.extensions["ivr.engine"].dispose()


def test_idle_timeout_ends_the_session_on_the_server(app, client, session, clock):
    sign_in(client, make_adviser(app), clock)
    clock.advance(seconds=app.config["IVR_CONSOLE_IDLE_SECONDS"] - 5)
    assert client.get("/console/").status_code == 200  # activity keeps it alive
    clock.advance(seconds=app.config["IVR_CONSOLE_IDLE_SECONDS"] + 1)
    answer = client.get("/console/")
    assert answer.location.endswith("/console/login")
    session.expire_all()
    assert session.scalars(select(ConsoleSession.ended_at)).all()[-1] is not None
    assert "Your session has ended" in client.get("/console/login").get_data(as_text=True)


def test_sign_out_ends_the_session_on_the_server(app, client, session, clock):
    sign_in(client, make_adviser(app), clock)
    signed_in_cookie = console_cookie(client)
    answer = post_form(client, "/console/", "/console/logout", {})
    assert answer.location.endswith("/console/login")
    assert "console.logout" in actions(session)
    # Replaying the cookie from before the sign-out opens nothing.
    other = app.test_client()
    other.set_cookie("ivr_console", signed_in_cookie, path="/console")
    assert other.get("/console/").location.endswith("/console/login")


def test_five_wrong_passwords_lock_the_username_for_fifteen_minutes(app, client, session, clock):
    account = make_adviser(app)
    for attempt in range(5):
        answer = post_form(
            client,
            "/console/login",
            "/console/login",
            {"username": "ann", "password": f"wrong {attempt}"},
        )
        assert answer.status_code == 401
    assert "locked for 15 minutes" in answer.get_data(as_text=True)
    answer = post_form(
        client,
        "/console/login",
        "/console/login",
        {"username": "ann", "password": account.password},
    )
    assert answer.status_code == 429
    assert session.scalars(select(ConsoleSession)).all() == []
    # Refused while locked: nothing checked, nothing audited (that would be unbounded).
    assert actions(session, "adviser:ann")[-6:] == ["console.login_failed"] * 5 + [
        "console.login_locked"
    ]
    clock.advance(minutes=15, seconds=1)
    sign_in(client, account, clock)
    assert "console.login" in actions(session, "adviser:ann")


def test_unknown_usernames_answer_like_known_ones_and_are_throttled(app, client, session):
    make_adviser(app)
    known = post_form(
        client, "/console/login", "/console/login", {"username": "ann", "password": "nope"}
    )
    unknown = post_form(
        client, "/console/login", "/console/login", {"username": "bob", "password": "nope"}
    )
    assert known.status_code == unknown.status_code == 401
    strip = lambda page: page.get_data(as_text=True).replace("bob", "ann")  # noqa: E731
    assert re.sub(r'value="[^"]*"', "", strip(known)) == re.sub(
        r'value="[^"]*"', "", strip(unknown)
    )
    for _ in range(4):
        post_form(client, "/console/login", "/console/login", {"username": "bob", "password": "x"})
    locked = post_form(
        client, "/console/login", "/console/login", {"username": "bob", "password": "x"}
    )
    assert locked.status_code == 429
    # A made-up name is counted under an HMAC, never audited one attempt at a time.
    assert actions(session, "adviser:bob") == []
    assert "bob" not in str(session.execute(select(LoginThrottle.__table__)).all())


def test_made_up_usernames_stay_bounded_and_are_purged(app, client, runner, session, clock):
    make_adviser(app)
    post_form(client, "/console/login", "/console/login", {"username": "ann", "password": "x"})
    before = len(actions(session))
    for n in range(30):
        post_form(
            client,
            "/console/login",
            "/console/login",
            {"username": f"made-up-{n}", "password": "x"},
        )
    assert len(actions(session)) == before
    assert session.scalar(select(func.count()).select_from(LoginThrottle)) == 31
    clock.advance(hours=23)
    result = runner.invoke(args=["ivr", "purge"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(LoginThrottle)) == 31
    clock.advance(hours=2)
    result = runner.invoke(args=["ivr", "purge"])
    assert result.exit_code == 0, result.output
    assert "31 sign-in counters" in result.output, result.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(LoginThrottle)) == 0
    summary = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert summary.action == "console.unknown_usernames"
    assert summary.details == {"usernames": 30, "failures": 30}


def test_strict_transport_security_outside_development(settings):
    production = create_app({**settings, "TESTING": False})
    try:
        answer = production.test_client().get("/console/login", base_url="https://localhost")
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    finally:
        production.extensions["ivr.engine"].dispose()


def test_no_strict_transport_security_in_development(client):
    assert "Strict-Transport-Security" not in client.get("/console/login").headers


def test_wrong_or_replayed_totp_codes_count_as_failures(app, client, session, clock):
    account = make_adviser(app)
    sign_in(client, account, clock)
    used = totp_now(account.secret, clock)
    post_form(client, "/console/", "/console/logout", {})
    post_form(
        client,
        "/console/login",
        "/console/login",
        {"username": "ann", "password": account.password},
    )
    answer = post_form(client, "/console/login/code", "/console/login/code", {"code": used})
    assert answer.status_code == 200
    assert "not right" in answer.get_data(as_text=True)
    for _ in range(4):
        answer = post_form(client, "/console/login/code", "/console/login/code", {"code": "000000"})
    assert answer.location.endswith("/console/login")
    assert actions(session, "adviser:ann")[-2:] == ["console.login_failed", "console.login_locked"]
    assert client.get("/console/").location.endswith("/console/login")


def test_forms_without_a_csrf_token_change_nothing(app, client, session, clock):
    """Every POST route of the console refuses a request without a token."""
    sign_in(client, make_adviser(app, role="supervisor"), clock)
    before = actions(session)
    posts = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.") and "POST" in rule.methods
    ]
    assert len(posts) >= 10
    for rule in posts:
        path = rule.build({"number": "+33142685300", "adviser_id": 1})[1]
        answer = client.post(path, data={"reason": "x", "username": "eve", "password": "x"})
        assert answer.status_code == 400, path
        assert "Form expired" in answer.get_data(as_text=True)
    assert actions(session) == before
    assert client.get("/console/").status_code == 200  # still signed in


def test_advisers_pages_are_for_supervisors(app, client, session, clock):
    sign_in(client, make_adviser(app), clock)
    assert client.get("/console/advisers").status_code == 403
    answer = post_form(client, "/console/", "/console/advisers", {"username": "eve"})
    assert answer.status_code == 403
    assert session.scalars(select(Adviser.username)).all() == ["ann"]


def test_adviser_reads_own_audit_entries_supervisor_reads_all(app, client, session, clock):
    ann, sue = make_adviser(app), make_adviser(app, "sue", "supervisor")
    sign_in(client, ann, clock)
    page = client.get("/console/audit").get_data(as_text=True)
    assert "adviser:ann" in page
    assert "adviser:sue" not in page
    post_form(client, "/console/", "/console/logout", {})
    sign_in(client, sue, clock)
    page = client.get("/console/audit").get_data(as_text=True)
    assert "adviser:ann" in page
    assert "adviser:sue" in page


def test_supervisor_manages_advisers(app, client, session, clock):
    sign_in(client, make_adviser(app, "sue", "supervisor"), clock)
    answer = post_form(
        client, "/console/advisers", "/console/advisers", {"username": "Bob", "role": "adviser"}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "One-time password for <strong>bob" in page
    bob = session.scalars(select(Adviser).where(Adviser.username == "bob")).one()
    assert bob.must_change_password
    assert answer.headers["Cache-Control"] == "no-store"

    post_form(client, "/console/advisers", f"/console/advisers/{bob.id}/disable", {})
    session.refresh(bob)
    assert bob.disabled_at is not None
    post_form(client, "/console/advisers", f"/console/advisers/{bob.id}/enable", {})
    answer = post_form(client, "/console/advisers", f"/console/advisers/{bob.id}/reset-totp", {})
    session.refresh(bob)
    assert bob.disabled_at is None
    assert bob.totp_secret is None
    answer = post_form(
        client, "/console/advisers", f"/console/advisers/{bob.id}/reset-password", {}
    )
    assert "One-time password for <strong>bob" in answer.get_data(as_text=True)
    assert actions(session, "adviser:sue")[-5:] == [
        "adviser.created",
        "adviser.disabled",
        "adviser.enabled",
        "adviser.totp_reset",
        "adviser.password_reset",
    ]


def test_disabling_an_adviser_ends_their_sessions(app, session, clock):
    ann, sue = make_adviser(app), make_adviser(app, "sue", "supervisor")
    ann_client, sue_client = app.test_client(), app.test_client()
    sign_in(ann_client, ann, clock)
    sign_in(sue_client, sue, clock)
    ann_id = session.scalars(select(Adviser.id).where(Adviser.username == "ann")).one()
    post_form(sue_client, "/console/advisers", f"/console/advisers/{ann_id}/disable", {})
    assert ann_client.get("/console/").location.endswith("/console/login")
    answer = post_form(
        ann_client,
        "/console/login",
        "/console/login",
        {"username": "ann", "password": ann.password},
    )
    assert answer.status_code == 401


def test_add_adviser_refuses_bad_names_and_duplicates(runner, session):
    assert runner.invoke(args=["ivr", "add-adviser", "ann"]).exit_code == 0
    again = runner.invoke(args=["ivr", "add-adviser", "ANN"])
    assert again.exit_code != 0
    assert "taken" in again.output
    bad = runner.invoke(args=["ivr", "add-adviser", "a b"])
    assert bad.exit_code != 0
    assert "username" in bad.output
    role = runner.invoke(args=["ivr", "add-adviser", "eve", "--role", "root"])
    assert role.exit_code != 0
    assert session.scalars(select(Adviser.username)).all() == ["ann"]
    assert session.scalars(select(Adviser.role)).all() == ["adviser"]
