"""Listening to messages and the greeting (SPEC §3.1), at home and remotely."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.phone import simulated_recording
from menus.catalogue import sentence
from store.models import Line, Mailbox
from tests.fakes import FakeApi
from tests.helpers import (
    HOME,
    MOBILE,
    RECEIVED,
    add_message,
    give_code,
    leave_message,
    messages,
    options,
    play,
)


@pytest.fixture
def platform(platform_api) -> FakeApi:
    """The platform's REST API on loopback: deletions are recorded, nothing leaves the machine."""
    return platform_api


@pytest.mark.parametrize(
    ("new", "saved", "expected"),
    [
        (2, 1, "You have 2 new messages and 1 saved message."),
        (1, 0, "You have 1 new message and 0 saved messages."),
        (0, 3, "You have 0 new messages and 3 saved messages."),
    ],
)
def test_message_count_in_english(app, session, make_line, phone, new, saved, expected):
    make_line()
    for index in range(new + saved):
        add_message(app, session, sid=f"RE{index}", heard=index >= new)
    call = phone(HOME).press("1")
    assert call.said[1] == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Vous avez 1 nouveau message et 2 messages sauvegardés."),
        ("de", "Sie haben 1 neue Nachricht und 2 gespeicherte Nachrichten."),
    ],
)
def test_message_count_in_french_and_german(app, session, make_line, phone, language, expected):
    make_line(language=language)
    for index in range(3):
        add_message(app, session, sid=f"RE{index}", heard=index > 0)
    assert phone(HOME).press("1").said[1] == expected


@pytest.mark.parametrize(
    ("language", "envelope"),
    [
        (
            "en",
            "Message received on Friday, 20 November 2026 at 14:05, "
            "from 0, 6, 1, 2, 3, 4, 5, 6, 7, 8.",
        ),
        (
            "fr",
            "Message reçu le vendredi 20 novembre 2026 à 14:05, du 0, 6, 1, 2, 3, 4, 5, 6, 7, 8.",
        ),
        (
            "de",
            "Nachricht vom Freitag, 20. November 2026 um 14:05, von 0, 6, 1, 2, 3, 4, 5, 6, 7, 8.",
        ),
    ],
)
def test_envelope_in_the_line_language_and_time_zone(
    app, session, make_line, phone, language, envelope
):
    make_line(language=language)
    add_message(app, session)
    call = phone(HOME).press("1")
    assert call.said[2:] == [envelope, play("RE1"), *options(language)]


def test_envelope_in_another_time_zone(app, session, make_line, phone):
    make_line(time_zone="America/New_York")
    add_message(app, session)
    assert "on Friday, 20 November 2026 at 08:05," in phone(HOME).press("1").said[2]


@pytest.mark.parametrize("caller", [None, "", "anonymous", "+266696687"])
def test_unknown_caller(app, session, make_line, phone, caller):
    make_line()
    add_message(app, session, caller=caller)
    said = phone(HOME).press("1").said[2]
    assert said == (
        "Message received on Friday, 20 November 2026 at 14:05, from an unknown number."
    )


def test_a_caller_from_abroad_is_read_in_international_form(app, session, make_line, phone):
    make_line()
    add_message(app, session, caller="+442079460000")
    assert "from 0, 0, 4, 4, 2, 0, 7, 9, 4, 6, 0, 0, 0, 0." in phone(HOME).press("1").said[2]


def test_replay_keep_delete_and_the_end(app, session, make_line, phone, platform):
    make_line()
    add_message(app, session, sid="REold", at=RECEIVED.replace(day=19), heard=True)
    add_message(app, session, sid="REnew")
    call = phone(HOME).press("1")
    assert call.said[1] == "You have 1 new message and 1 saved message."
    assert call.said[3] == play("REnew")  # new messages first
    assert [m.heard for m in messages(session)] == [True, True]  # heard is saved
    call.press("1")
    assert call.said[-3:] == [play("REnew"), *options()]
    call.press("2")
    assert call.said[-3:] == [play("REold"), *options()]
    call.press("3")
    assert call.said[-3:] == [
        sentence("en", "message_deleted"),
        sentence("en", "no_more_messages"),
        sentence("en", "main_menu"),
    ]
    assert [m.recording_sid for m in messages(session)] == ["REnew"]
    assert platform.deleted == ["REold"]
    assert phone(HOME).press("1").said[1] == "You have 0 new messages and 1 saved message."


def test_no_messages(make_line, phone):
    make_line()
    call = phone(HOME).press("1")
    assert call.said[1:] == [
        "You have 0 new messages and 0 saved messages.",
        sentence("en", "main_menu"),
    ]


def test_deleting_without_a_platform_account_keeps_the_call_going(app, session, make_line, phone):
    make_line()
    add_message(app, session)
    call = phone(HOME).press("1").press("3")
    assert call.said[-2] == sentence("en", "no_more_messages")
    assert messages(session) == []


def test_a_platform_error_on_delete_does_not_break_the_call(
    app, session, make_line, phone, platform
):
    platform.status = 500
    make_line()
    add_message(app, session)
    call = phone(HOME).press("1").press("3")
    assert call.said[-2] == sentence("en", "no_more_messages")
    assert messages(session) == []
    assert platform.deleted == ["RE1"]


def test_listening_remotely(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    add_message(app, session)
    call = phone(MOBILE).press("0142685300#").press("4827#").press("1")
    assert call.said[-3:] == [play("RE1"), *options()]


def mailbox(session) -> Mailbox:
    session.expire_all()
    return session.scalars(select(Mailbox).join(Line).where(Line.number == HOME)).one()


def test_record_hear_rerecord_and_keep_a_greeting(app, session, make_line, phone, platform):
    make_line()
    call = phone(HOME).press("2").press("1")
    assert call.said[-2:] == [
        sentence("en", "greeting_menu"),
        sentence("en", "greeting_more_options"),
    ]
    call.recording = simulated_recording(4)
    call.press("1")
    first = call.said[-2]
    assert call.said[-3] == sentence("en", "greeting_record")
    assert first.startswith("[recording ")
    assert call.last_said == sentence("en", "greeting_review")
    assert mailbox(session).greeting_url is None  # not until kept
    call.press("2")
    second = call.said[-2]
    assert second != first
    call.press("1")
    assert call.said[-2:] == [sentence("en", "saved"), sentence("en", "customise_menu")]
    box = mailbox(session)
    assert f"[recording {box.greeting_url}]" == second
    assert platform.deleted == [first.removeprefix("[recording ").split("/")[-1][:-1]]
    # A caller now hears it instead of the standard greeting.
    assert leave_message(app).said[0] == second


def test_silence_while_recording_a_greeting_asks_again(make_line, phone):
    make_line()
    call = phone(HOME).press("2").press("1")
    call.recording = simulated_recording(0)
    call.press("1")  # nothing recorded: asked again, three times at most, like a menu
    assert call.said[-5:] == [sentence("en", "greeting_record")] * 4 + [sentence("en", "goodbye")]
    assert call.ended


def test_back_to_the_standard_greeting(app, session, make_line, phone):
    make_line()
    call = phone(HOME).press("2").press("1")
    call.recording = simulated_recording(4)
    call.press("1").press("1")
    assert mailbox(session).greeting_url is not None
    call.press("1").press("2")
    assert call.said[-2:] == [sentence("en", "saved"), sentence("en", "customise_menu")]
    assert mailbox(session).greeting_url is None
    assert leave_message(app).said[0].startswith("You have reached the voicemail of 0, 1")


def test_greeting_remotely(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    call = phone(MOBILE).press("0142685300#").press("4827#").press("2").press("1")
    call.recording = simulated_recording(3)
    call.press("1").press("1")
    assert mailbox(session).greeting_url is not None
