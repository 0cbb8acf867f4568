"""The three-strike lock (SPEC §4.3), remote access, reset and purge (§4.5, retention)."""

from __future__ import annotations

import getpass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ivr import create_app
from menus.catalogue import sentence
from store import audit
from store.credentials import Hasher
from store.models import Call, Line, Mailbox, Message, PhantomStrikes, SupportCall
from tests.clock import Clock
from tests.helpers import (
    AUTH_TOKEN,
    HOME,
    MOBILE,
    CheckedTransport,
    add_message,
    code_matches,
    give_code,
    leave_message,
)

EN = {
    key: sentence("en", key)
    for key in (
        "enter_line",
        "enter_code",
        "wrong_code",
        "locked",
        "main_menu",
        "remote_needs_code",
        "saved",
        "customise_menu",
    )
}
UNKNOWN = "0145999999"


def mailbox(session, number=HOME) -> Mailbox:
    session.expire_all()
    return session.scalars(select(Mailbox).join(Line).where(Line.number == number)).one()


def test_two_wrong_codes_then_one_in_the_next_call_lock_the_line(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    first = phone(MOBILE).press("0142685300#").press("1111#").press("2222#")
    assert first.said[-2:] == [EN["wrong_code"], EN["enter_code"]]
    first.hang_up()
    second = phone("+33698765432").press("0033142685300#").press("3333#")
    assert second.last_said == EN["locked"]
    assert second.ended
    assert mailbox(session).strikes == 3
    # The right code is refused now, remotely and at home.
    third = phone(MOBILE).press("0142685300#")
    assert third.said == [EN["enter_line"], EN["locked"]]
    assert third.ended
    assert phone(HOME).said == [EN["locked"]]
    assert code_matches(app, session, "4827")


def test_a_locked_line_refuses_the_right_code_in_a_call_already_asking(
    app, session, make_line, phone
):
    make_line()
    give_code(app, session)
    waiting = phone(MOBILE).press("0142685300#")  # asked for the code before the lock
    phone(HOME).press("1111#").press("2222#").press("3333#")
    waiting.press("4827#")
    assert waiting.last_said == EN["locked"]
    assert waiting.ended
    assert mailbox(session).strikes == 3


def test_a_locked_mailbox_still_takes_messages(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    lock(phone)
    leave_message(app).hang_up()
    assert session.scalar(select(func.count()).select_from(Message)) == 1


def test_codes_asked_on_the_home_line_count_too(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    phone(HOME).press("1111#").press("2222#").hang_up()
    remote = phone(MOBILE).press("0142685300#").press("3333#")
    assert remote.last_said == EN["locked"]


def test_a_right_code_clears_the_count(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    phone(MOBILE).press("0142685300#").press("1111#").press("2222#").press("4827#")
    assert mailbox(session).strikes == 0
    phone(MOBILE).press("0142685300#").press("1111#").press("2222#").hang_up()
    assert mailbox(session).strikes == 2


def test_a_retried_code_counts_once(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    call = phone(MOBILE).press("0142685300#").press("1111#")
    first = call.retry()
    second = call.retry()
    assert first == second
    assert first[0] == 200
    assert mailbox(session).strikes == 1


def test_a_code_sent_for_an_ended_call_changes_nothing(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    call = phone(MOBILE).press("0142685300#")
    waiting = call.waiting
    call.hang_up()
    call.post(waiting.action, {"Digits": "1111"})
    call.post(waiting.action, {"Digits": "4827"})
    assert mailbox(session).strikes == 0
    assert session.get(Call, call.sid).context == {}


def script(phone, number: str) -> list[list[str]]:
    """Three calls probing one line number: two wrong codes, one more, then another call."""
    said = []
    call = phone(MOBILE).press(f"{number}#").press("1111#").press("2222#")
    said.append(call.said)
    call.hang_up()
    said.append(phone(MOBILE).press(f"{number}#").press("3333#").said)
    said.append(phone(MOBILE).press(f"{number}#").said)
    return said


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_unknown_line_is_indistinguishable_from_a_wrong_code(
    app, session, make_line, phone, language
):
    app.config["IVR_DEFAULT_LANGUAGE"] = language
    make_line(language=language)
    give_code(app, session)
    real, unknown = script(phone, "0142685300"), script(phone, UNKNOWN)
    assert real == unknown
    assert real[1][-1] == sentence(language, "locked")
    assert real[2][-1] == real[1][-1]
    # Counted across calls, under a key that is not the number.
    [phantom] = session.scalars(select(PhantomStrikes)).all()
    assert phantom.strikes == 3
    assert UNKNOWN not in phantom.key
    assert "145999999" not in phantom.key


def test_an_unknown_line_spends_the_time_of_a_real_check(
    app, session, make_line, phone, monkeypatch
):
    make_line()
    give_code(app, session)
    checks: list[str | None] = []
    original = Hasher.verify

    def counting(self, purpose, line, digits, stored):
        checks.append(stored and "real")
        return original(self, purpose, line, digits, stored)

    monkeypatch.setattr(Hasher, "verify", counting)
    phone(MOBILE).press("0142685300#").press("1111#")
    phone(MOBILE).press(f"{UNKNOWN}#").press("1111#")
    assert checks == ["real", None]  # one bcrypt each: the stored hash, then the dummy


def test_the_same_unknown_number_in_any_form_is_one_line(app, session, phone):
    phone(MOBILE).press(f"{UNKNOWN}#").press("1111#").press("2222#").hang_up()
    call = phone(MOBILE).press("0033145999999#").press("3333#")
    assert call.last_said == EN["locked"]


def test_a_line_without_a_code_cannot_be_reached_remotely(make_line, phone):
    make_line()
    call = phone(MOBILE).press("0142685300#")
    assert call.said[-2:] == [EN["remote_needs_code"], sentence("en", "goodbye")]
    assert call.ended


def test_the_lock_ends_after_the_lockout(settings, make_line, phone):
    clock = Clock()
    settings.update(IVR_LOCKOUT_SECONDS="900", IVR_CLOCK=clock)
    app = create_app(settings)
    try:
        _line(app)
        with app.extensions["ivr.sessions"]() as session:
            give_code(app, session)
            call = place(app, MOBILE)
            call.press("0142685300#").press("1111#").press("2222#").press("3333#")
            assert call.last_said == EN["locked"]
            clock.now += timedelta(seconds=899)
            assert place(app, MOBILE).press("0142685300#").last_said == EN["locked"]
            clock.now += timedelta(seconds=2)
            assert (
                place(app, MOBILE).press("0142685300#").press("4827#").last_said == EN["main_menu"]
            )
            assert mailbox(session).strikes == 0
    finally:
        app.extensions["ivr.engine"].dispose()


def _line(app) -> Line:
    from store.lines import add_line

    with app.extensions["ivr.sessions"]() as session:
        line = add_line(session, HOME, region="FR", language="en")
        session.commit()
        return line


def place(app, caller):
    from ivr.phone import PhoneCall

    return PhoneCall(CheckedTransport(app), AUTH_TOKEN, caller=caller, called="/voice/access").dial(
        "/voice/access"
    )


# -- Reset -------------------------------------------------------------------


def lock(phone) -> None:
    phone(MOBILE).press("0142685300#").press("1111#").press("2222#").press("3333#")


def test_locked_then_reset_then_a_new_code_from_the_fixed_line(
    app, session, make_line, phone, runner
):
    make_line()
    give_code(app, session)
    leave_message(app).hang_up()
    greeting = "https://api.example/Recordings/REgreet"
    box = mailbox(session)
    box.greeting_sid, box.greeting_url = "REgreet", greeting
    session.commit()
    lock(phone)
    refused = runner.invoke(
        args=["ivr", "reset-mailbox", "01 42 68 53 00", "--reason", "customer locked out"]
    )
    assert refused.exit_code != 0
    assert "--override" in refused.output
    assert mailbox(session).strikes == 3
    done = runner.invoke(
        args=[
            "ivr",
            "reset-mailbox",
            "01 42 68 53 00",
            "--reason",
            "customer locked out",
            "--override",
        ]
    )
    assert done.exit_code == 0, done.output
    box = mailbox(session)
    assert (box.code_hash, box.strikes, box.locked_at) == (None, 0, None)
    assert box.greeting_url == greeting
    assert session.scalar(select(func.count()).select_from(Message)) == 1
    [entry] = audit.entries(session, line_number=HOME, limit=1)
    assert (entry.action, entry.actor, entry.override, entry.reason) == (
        "mailbox.reset",
        f"cli:{getpass.getuser()}",
        True,
        "customer locked out",
    )
    call = phone(HOME).press("2").press("2").press("1").press("5190#").press("1")
    assert call.said[-2:] == [EN["saved"], EN["customise_menu"]]
    assert code_matches(app, session, "5190")
    remote = phone(MOBILE).press("0142685300#").press("5190#").press("1")
    assert remote.said[-5] == "You have 1 new message and 0 saved messages."


def test_reset_after_a_verified_support_call_needs_no_override(
    app, session, make_line, phone, runner
):
    line = make_line()
    give_code(app, session)
    lock(phone)
    now = app.config["IVR_CLOCK"]()
    session.add(
        SupportCall(
            sid="CA" + "9" * 32,
            line_id=line.id,
            caller=HOME,
            verified_by="permanent",
            verified_at=now,
            started_at=now,
        )
    )
    session.commit()
    done = runner.invoke(args=["ivr", "reset-mailbox", HOME, "--reason", "verified caller"])
    assert done.exit_code == 0, done.output
    [entry] = audit.entries(session, line_number=HOME, limit=1)
    assert entry.override is False
    assert mailbox(session).strikes == 0


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["0999999998", "--reason", "x", "--override"], "no line"),
        (["12", "--reason", "x", "--override"], "phone number"),
        (["0142685300", "--reason", "  ", "--override"], "reason"),
    ],
)
def test_reset_errors_are_clear(make_line, runner, args, error):
    make_line()
    result = runner.invoke(args=["ivr", "reset-mailbox", *args])
    assert result.exit_code != 0
    assert error in result.output


# -- Retention ---------------------------------------------------------------


def test_purge_deletes_old_messages_their_recordings_and_stale_calls(
    app, session, make_line, phone, runner, platform_api
):
    http = platform_api
    make_line()
    now = app.config["IVR_CLOCK"]()
    add_message(app, session, sid="REold", at=now - timedelta(days=31))
    add_message(app, session, sid="REkept", at=now - timedelta(days=29))
    stale = phone(MOBILE)
    session.get(Call, stale.sid).updated_at = now - timedelta(days=2)
    fresh = phone(MOBILE)
    session.commit()
    result = runner.invoke(args=["ivr", "purge"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert list(session.scalars(select(Message.recording_sid))) == ["REkept"]
    assert http.deleted == ["REold"]
    assert session.get(Call, stale.sid) is None
    assert session.get(Call, fresh.sid) is not None
    assert "1 messages older than 30 days deleted" in result.output
