"""The console in a real browser: Debian's Chromium driven by Playwright against gunicorn.

From `flask ivr add-adviser` to a reset in the audit log, by keyboard alone:
first sign-in (one-time password, TOTP enrolment, own password), find a line
locked by three wrong codes on the phone, reset it with a reason, see it
open and read the entry; the subscriber then creates a new code from the
fixed line. Screenshots of the pages go to $CONSOLE_SCREENSHOTS (docs/console.md's
are made with `CONSOLE_SCREENSHOTS=docs ./dev test tests/test_console_browser.py`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest

from ivr.phone import HttpTransport, PhoneCall
from menus.catalogue import sentence
from store import advisers, greetings
from store.credentials import Hasher
from store.db import make_engine, make_session_factory
from store.lines import add_line
from store.messages import Recording, set_greeting
from store.models import Message, SupportCall, utcnow
from tests.helpers import AUTH_TOKEN, HOME, MOBILE
from tests.server import ROOT, environment, gunicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NEW_PASSWORD = "a long phrase for the console"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def _seed(url: str) -> None:
    """The demo line, a second line, and a few support calls for the lists."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        line = add_line(
            session,
            HOME,
            region="FR",
            language="en",
            customer_number="100200300",
            email="subscriber@example.com",
        )
        other = add_line(session, "+33145678901", region="FR", language="fr")
        now = utcnow()
        # Greetings and messages, for the line page (never their audio).
        recorded = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/"
        set_greeting(line.mailbox, Recording("REgreet", recorded + "REgreet", 0))
        greetings.set_name(line.mailbox, Recording("REname", recorded + "REname", 0))
        session.add_all(
            [
                Message(
                    line_id=line.id,
                    caller=MOBILE,
                    received_at=now - timedelta(hours=2),
                    duration=12,
                    recording_sid="REurgent",
                    recording_url=recorded + "REurgent",
                    heard=False,
                    urgent=True,
                ),
                Message(
                    line_id=line.id,
                    caller=None,
                    received_at=now - timedelta(days=1),
                    duration=30,
                    recording_sid="REsaved",
                    recording_url=recorded + "REsaved",
                    heard=True,
                ),
            ]
        )
        session.add_all(
            [
                SupportCall(
                    sid="CA" + "1" * 32,
                    line_id=other.id,
                    caller="+33145678901",
                    verified_by="permanent",
                    verified_at=now - timedelta(minutes=41),
                    started_at=now - timedelta(minutes=42),
                ),
                SupportCall(
                    sid="CA" + "2" * 32,
                    line_id=line.id,
                    caller=MOBILE,
                    started_at=now - timedelta(minutes=3),
                ),
            ]
        )
        session.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def served(databases):
    """gunicorn on a migrated database, as in production (Secure cookies and all)."""
    url = databases.create()
    _seed(url)
    settings = {
        "IVR_DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "IVR_PIN_PEPPER": "browser-pepper",
        "IVR_SECRET_KEY": "browser-key",
        "IVR_BCRYPT_ROUNDS": 4,
    }
    with gunicorn(settings, workers=1, threads=4) as base:
        yield base, settings
    databases.drop(url)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: $CONSOLE_SCREENSHOTS, or the test's temporary folder."""
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return lambda page, name: page.screenshot(
        path=str(folder / f"console-{name}.png"), full_page=True
    )


def flask_cli(settings, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def lock_the_line(base: str) -> None:
    """The subscriber has a code; someone tries three wrong ones from a mobile."""
    home = PhoneCall(HttpTransport(base), AUTH_TOKEN, caller=HOME, called="access")
    home.dial("/voice/access").press("2").press("2").press("1").press("4827#").press("1")
    assert home.said[-2] == sentence("en", "saved")
    home.hang_up()
    remote = PhoneCall(HttpTransport(base), AUTH_TOKEN, caller=MOBILE, called="access")
    remote.dial("/voice/access").press("0142685300#")
    for wrong in ("1111#", "2222#", "3333#"):
        remote.press(wrong)
    assert remote.last_said == sentence("en", "locked")


def _supervisor(settings) -> str:
    """Sue, a supervisor already enrolled; returns her TOTP secret."""
    engine = make_engine(settings["IVR_DATABASE_URL"])
    hasher = Hasher(settings["IVR_PIN_PEPPER"].encode(), settings["IVR_BCRYPT_ROUNDS"])
    with make_session_factory(engine)() as session:
        sue, _ = advisers.create_adviser(
            session, hasher, "sue", "supervisor", actor="test", now=utcnow()
        )
        advisers.change_password(session, hasher, sue, NEW_PASSWORD, now=utcnow())
        secret = advisers.pending_totp_secret(session, sue)
        sue.totp_confirmed = True
        session.commit()
    engine.dispose()
    return secret


def test_supervisor_creates_an_adviser(served, browser, shots):
    base, settings = served
    secret = _supervisor(settings)
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    expect = sync_api.expect
    page.goto(f"{base}/console/login")
    page.get_by_label("Username").fill("sue")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Advisers").click()
    page.get_by_label("Username").fill("bob")
    page.keyboard.press("Enter")
    expect(page.locator("#one-time-password")).to_contain_text("One-time password for bob")
    expect(page.locator("table tbody")).to_contain_text("bob")
    shots(page, "advisers")
    context.close()


def test_adviser_resets_a_locked_mailbox_by_keyboard(served, browser, shots):
    base, settings = served
    out = flask_cli(settings, "ivr", "add-adviser", "ann", "--role", "adviser")
    one_time = re.search(r"One-time password \(shown once\): (\S+)", out)
    assert one_time
    lock_the_line(base)

    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    expect = sync_api.expect

    page.goto(f"{base}/console/")
    expect(page).to_have_url(f"{base}/console/login")
    shots(page, "sign-in")
    page.keyboard.type("ann")  # the username field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(one_time.group(1))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Set up your authenticator")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    shots(page, "totp-enrolment")
    page.keyboard.type(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    # Typing before the focus lands loses keys on a loaded machine.
    expect(page.get_by_label("New password (at least 12 characters)")).to_be_focused()
    page.keyboard.type(NEW_PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(NEW_PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Find a line")).to_be_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "ivr_console")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    # Secure, as in production; unless ./dev serve left development secrets here,
    # which make every server started from this checkout a development one.
    assert cookie["secure"] or (ROOT / "instance" / "development.env").exists()
    shots(page, "home")
    page.keyboard.type("01 42 68 53 00")
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{base}/console/lines/{HOME}")
    expect(page.locator("#mailbox-status")).to_have_text("Locked")
    expect(page.locator("#strikes")).to_have_text("3 of 3")
    expect(page.locator("#messages")).to_have_text("1 new (1 urgent), 1 saved")
    expect(page.locator("#greetings")).to_have_text("Personal, Name")
    shots(page, "line-locked")
    reason = page.get_by_label("Reason")
    reason.focus()
    page.keyboard.type("Caller locked out after three wrong codes; identity checked")
    page.keyboard.press("Enter")

    # No verified support call in the last two hours: a second confirmation.
    expect(page.locator("#override-confirm")).to_be_visible()
    shots(page, "override-confirmation")
    page.keyboard.press("Enter")  # the confirm button has the focus

    expect(page.locator("#mailbox-status")).to_have_text("Open")
    expect(page.locator("#code-state")).to_contain_text("Not set")
    expect(page.get_by_role("status")).to_contain_text("Mailbox reset")
    shots(page, "line-after-reset")

    page.get_by_role("link", name="Audit log", exact=True).first.click()
    row = page.locator("table.audit tbody tr").first
    expect(row).to_contain_text("mailbox.reset")
    expect(row).to_contain_text("adviser:ann")
    expect(row).to_contain_text("Caller locked out after three wrong codes")
    expect(row).to_contain_text("override")
    shots(page, "audit-log")
    page.get_by_role("link", name="Support calls").click()
    expect(page.get_by_role("heading", name="Recent support calls")).to_be_visible()
    shots(page, "support-calls")
    context.close()

    # The subscriber creates a new code from the fixed line.
    home = PhoneCall(HttpTransport(base), AUTH_TOKEN, caller=HOME, called="access")
    home.dial("/voice/access")
    assert home.said == [sentence("en", "main_menu")]
    home.press("2").press("2").press("1").press("5837#").press("1")
    assert home.said[-2] == sentence("en", "saved")
