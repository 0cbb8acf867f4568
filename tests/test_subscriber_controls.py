"""The subscriber's controls (issue 13): keys while a message plays, urgent messages
first, the recorded name, the away greeting with its end date and reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ivr.phone import simulated_recording
from menus.catalogue import sentence
from store.lines import LANGUAGES
from store.models import Line, Mailbox, Message
from tests.clock import START, Clock
from tests.helpers import HOME, MOBILE, add_message, forwarded, give_code, messages, options, play

# START is Monday 23 November 2026, 10:00 in Paris.
BEFORE = START - timedelta(days=3)


@pytest.fixture(autouse=True)
def _clock(settings, clock: Clock) -> None:
    settings["IVR_CLOCK"] = clock


@pytest.fixture
def platform(platform_api):
    """The platform's REST API on loopback: deletions are recorded, nothing leaves the machine."""
    return platform_api


def three_messages(app, session) -> None:
    for day, sid in ((1, "REa"), (2, "REb"), (3, "REc")):
        add_message(app, session, sid=sid, at=BEFORE + timedelta(hours=day))


def envelope(language: str, hour: int) -> str:
    """The envelope of a message of three_messages (20 November, 14:00 + hour in Paris)."""
    local = {
        "en": "Message received on Friday, 20 November 2026 at {}, "
        "from 0, 6, 1, 2, 3, 4, 5, 6, 7, 8.",
        "fr": "Message reçu le vendredi 20 novembre 2026 à {}, du 0, 6, 1, 2, 3, 4, 5, 6, 7, 8.",
        "de": "Nachricht vom Freitag, 20. November 2026 um {}, von 0, 6, 1, 2, 3, 4, 5, 6, 7, 8.",
    }[language]
    return local.format(f"{10 + hour}:00")


# -- Keys while a message plays -------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_message_plays_inside_the_gather(app, session, make_line, phone, language):
    make_line(language=language)
    three_messages(app, session)
    call = phone(HOME).press("1")
    gather = call.documents[-1].find("Gather")
    assert gather is not None
    assert gather.get("finishOnKey") == ""
    assert gather.get("numDigits") == "1"
    inside = [(verb.tag, verb.text) for verb in gather]
    assert inside[-4:] == [
        ("Say", envelope(language, 1)),
        ("Play", "https://api.example/Recordings/REa"),
        ("Say", sentence(language, "message_options")),
        ("Say", sentence(language, "message_more_options")),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_during_playback(app, session, make_line, phone, platform, language):
    make_line(language=language)
    three_messages(app, session)
    call = phone(HOME).press("1")
    assert call.said[-4:] == [envelope(language, 1), play("REa"), *options(language)]
    call.press("2")  # keep it, the next one
    assert call.said[-4:] == [envelope(language, 2), play("REb"), *options(language)]
    call.press("4")  # the previous one
    assert call.said[-4:] == [envelope(language, 1), play("REa"), *options(language)]
    call.press("4")
    assert call.said[-3:] == [sentence(language, "no_previous_message"), *options(language)]
    call.press("5")  # its envelope again
    assert call.said[-3:] == [envelope(language, 1), *options(language)]
    call.press("1")  # the recording again
    assert call.said[-3:] == [play("REa"), *options(language)]
    call.press("#")  # skip to the options
    assert call.said[-2:] == options(language)
    call.press("0")  # the options again
    assert call.said[-2:] == options(language)
    call.press("2")  # back to b, already heard in this call
    assert call.said[-4:] == [envelope(language, 2), play("REb"), *options(language)]
    call.press("3")  # delete b: c follows
    assert call.said[-5:] == [
        sentence(language, "message_deleted"),
        envelope(language, 3),
        play("REc"),
        *options(language),
    ]
    call.press("4")  # b is gone: a is the previous one
    assert call.said[-4:-2] == [envelope(language, 1), play("REa")]
    call.press("2").press("2")  # c again, then the end
    assert call.said[-2:] == [
        sentence(language, "no_more_messages"),
        sentence(language, "main_menu"),
    ]
    assert [m.recording_sid for m in messages(session)] == ["REa", "REc"]
    assert all(m.heard for m in messages(session))
    assert platform.deleted == ["REb"]


def test_star_still_goes_back_and_a_wrong_key_is_refused(app, session, make_line, phone):
    make_line()
    three_messages(app, session)
    call = phone(HOME).press("1").press("9")
    assert call.said[-3:] == [sentence("en", "not_understood"), *options()]
    call.press("*")
    assert call.last_said == sentence("en", "main_menu")


# -- Urgent messages ------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "count", "urgent"),
    [
        ("en", "You have 3 new messages and 1 saved message.", "2 of them are urgent."),
        ("fr", "Vous avez 3 nouveaux messages et 1 message sauvegardé.", "Dont 2 urgents."),
        (
            "de",
            "Sie haben 3 neue Nachrichten und 1 gespeicherte Nachricht.",
            "Davon sind 2 dringend.",
        ),
    ],
)
def test_urgent_messages_are_counted_announced_and_played_first(
    app, session, make_line, phone, language, count, urgent
):
    make_line(language=language)
    three_messages(app, session)
    add_message(app, session, sid="REsaved", at=BEFORE, heard=True)
    for sid in ("REb", "REc"):
        message = session.scalars(select(Message).where(Message.recording_sid == sid)).one()
        message.urgent = True
    session.commit()
    call = phone(HOME).press("1")
    assert call.said[1:3] == [count, urgent]
    assert call.said[3:6] == [
        sentence(language, "urgent_message"),
        envelope(language, 2),
        play("REb"),
    ]
    call.press("2")
    assert call.said[-5:-2] == [
        sentence(language, "urgent_message"),
        envelope(language, 3),
        play("REc"),
    ]
    call.press("5")
    assert call.said[-4:-2] == [sentence(language, "urgent_message"), envelope(language, 3)]
    call.press("2")
    assert call.said[-4:-2] == [envelope(language, 1), play("REa")]
    call.press("2")
    assert call.said[-3] == play("REsaved")


def test_one_urgent_message_in_english(app, session, make_line, phone):
    make_line()
    add_message(app, session, sid="REu")
    session.scalars(select(Message)).one().urgent = True
    session.commit()
    assert phone(HOME).press("1").said[1:3] == [
        "You have 1 new message and 0 saved messages.",
        "1 of them is urgent.",
    ]


def test_a_deposit_marked_urgent_is_heard_first(app, session, make_line, phone):
    make_line()
    add_message(app, session, sid="REfirst", at=BEFORE)
    forwarded(app).silence().press("4").hang_up()
    call = phone(HOME).press("1")
    assert call.said[1:4] == [
        "You have 2 new messages and 0 saved messages.",
        "1 of them is urgent.",
        sentence("en", "urgent_message"),
    ]
    assert call.said[5].startswith("[recording https://api.twilio.com/")


# -- The recorded name ----------------------------------------------------------


def mailbox(session) -> Mailbox:
    session.expire_all()
    return session.scalars(select(Mailbox).join(Line).where(Line.number == HOME)).one()


@pytest.mark.parametrize("language", LANGUAGES)
def test_record_review_and_keep_a_name(app, session, make_line, phone, platform, language):
    make_line(language=language)
    call = phone(HOME).press("2").press("1")
    assert call.said[-2:] == [
        sentence(language, "greeting_menu"),
        sentence(language, "greeting_more_options"),
    ]
    call.recording = simulated_recording(2)
    call.press("3")
    assert call.said[-3] == sentence(language, "name_record")
    first = call.said[-2]
    assert call.last_said == sentence(language, "name_review")
    call.press("2")  # record it again
    second = call.said[-2]
    assert second != first
    assert mailbox(session).name_url is None
    call.press("1")
    assert call.said[-2:] == [sentence(language, "saved"), sentence(language, "customise_menu")]
    box = mailbox(session)
    assert f"[recording {box.name_url}]" == second
    assert box.greeting_url is None
    assert platform.deleted == [first.removesuffix("]").rsplit("/", 1)[-1]]
    assert forwarded(app).said == [
        sentence(language, "greeting_name_before"),
        second,
        sentence(language, "greeting_name_after"),
    ]


# -- The away greeting ----------------------------------------------------------


def away(phone, date: str):
    """The subscriber at home sets an away greeting ending on `date` (DDMM)."""
    call = phone(HOME).press("2").press("1").press("4")
    call.recording = simulated_recording(4)
    return call.press(f"{date}#")


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Your away greeting is on until 24 December 2026."),
        ("fr", "Votre annonce d'absence est active jusqu'au 24 décembre 2026."),
        ("de", "Ihre Abwesenheitsansage ist bis 24. Dezember 2026 eingeschaltet."),
    ],
)
def test_an_away_greeting_until_a_date_then_it_expires(
    app, session, make_line, phone, clock, platform, language, said
):
    make_line(language=language)
    call = phone(HOME).press("2").press("1").press("4")
    assert call.last_said == sentence(language, "away_date")
    call.recording = simulated_recording(4)
    call.press("2412#")
    assert call.said[-3] == sentence(language, "away_record")
    recording = call.said[-2]
    assert call.last_said == sentence(language, "away_review")
    call.press("1")
    assert call.said[-2:] == [said, sentence(language, "customise_menu")]
    box = mailbox(session)
    # On until the end of 24 December in Paris.
    assert box.away_until == datetime(2026, 12, 24, 23, 0, tzinfo=UTC)
    assert forwarded(app).said == [recording]
    reminded = phone(HOME)
    assert reminded.said == [said, sentence(language, "main_menu")]
    clock.advance(days=31, hours=13)  # 25 December, 00:00 in Paris... minus an hour
    assert forwarded(app).said == [recording]
    clock.advance(hours=1)
    assert (
        forwarded(app)
        .said[0]
        .startswith(sentence(language, "standard_greeting", {"mailbox_number": "0142685300"})[:10])
    )
    assert phone(HOME).said == [sentence(language, "main_menu")]  # no reminder, cleared
    assert mailbox(session).away_url is None
    assert platform.deleted == [recording.removesuffix("]").rsplit("/", 1)[-1]]


@pytest.mark.parametrize("typed", ["3212", "0013", "2902", "1#", "241226", "0000"])
def test_an_away_date_that_is_not_valid_is_asked_again(make_line, phone, typed):
    make_line()
    call = (
        phone(HOME)
        .press("2")
        .press("1")
        .press("4")
        .press(typed if typed.endswith("#") else f"{typed}#")
    )
    assert call.said[-2:] == [sentence("en", "away_date_invalid"), sentence("en", "away_date")]


@pytest.mark.parametrize(
    ("typed", "until"),
    [
        ("2311", datetime(2026, 11, 23, 23, 0, tzinfo=UTC)),  # today, Paris
        ("2211", datetime(2027, 11, 22, 23, 0, tzinfo=UTC)),  # passed this year: next year
        ("0101", datetime(2027, 1, 1, 23, 0, tzinfo=UTC)),
    ],
)
def test_the_away_date_is_the_next_one_within_a_year(session, make_line, phone, typed, until):
    make_line()
    away(phone, typed).press("1")
    assert mailbox(session).away_until == until


def test_turning_the_away_greeting_off(app, session, make_line, phone, platform):
    make_line()
    away(phone, "2412").press("1")
    recording = mailbox(session).away_sid
    call = phone(HOME)
    assert call.said[0] == "Your away greeting is on until 24 December 2026."
    call.press("2").press("1").press("4")
    assert call.said[-2:] == [
        "Your away greeting is on until 24 December 2026.",
        sentence("en", "away_on_options"),
    ]
    call.press("1")
    assert call.said[-2:] == [sentence("en", "saved"), sentence("en", "customise_menu")]
    assert mailbox(session).away_url is None
    assert platform.deleted == [recording]
    assert forwarded(app).said[0].startswith("You have reached the voicemail of 0, 1")


def test_remotely_the_reminder_follows_the_code(app, session, make_line, phone):
    make_line()
    away(phone, "2412").press("1")
    give_code(app, session)
    call = phone(MOBILE).press("0142685300#").press("4827#")
    assert call.said[-2:] == [
        "Your away greeting is on until 24 December 2026.",
        sentence("en", "main_menu"),
    ]
