"""The caller's controls (issue 13): skip the greeting, reach a person, review the
message, mark it urgent, record it again; the shortest message; what a caller hears
when the subscriber recorded a name or an away greeting."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ivr.phone import PhoneCall, simulated_recording
from menus.catalogue import sentence
from store import greetings
from store.lines import LANGUAGES
from store.messages import Recording, set_greeting
from store.models import Line, Message
from tests.clock import Clock
from tests.helpers import (
    AUTH_TOKEN,
    GREETING_URL,
    HOME,
    MOBILE,
    KeepingTransport,
    forwarded,
    leave_message,
    messages,
)

NAME_URL = GREETING_URL.replace("REgreet", "REname")
AWAY_URL = GREETING_URL.replace("REgreet", "REaway")


@pytest.fixture(autouse=True)
def _clock(settings, clock: Clock) -> None:
    settings["IVR_CLOCK"] = clock


@pytest.fixture
def platform(platform_api):
    """The platform's REST API on loopback: deletions are recorded, nothing leaves the machine."""
    return platform_api


def greeting(language: str) -> str:
    return sentence(language, "standard_greeting", {"mailbox_number": "0142685300"})


def sid_of(url_said: str) -> str:
    return url_said.removesuffix("]").rsplit("/", 1)[-1]


def recorded(call: PhoneCall) -> list[str]:
    """SIDs of the recordings made in this call, in order."""
    return [
        form["RecordingSid"]
        for _url, form, _h in call_requests(call)
        if "RecordingSid" in form and "RecordingStatus" not in form
    ]


def call_requests(call: PhoneCall) -> list[Any]:
    return call.transport.sent  # type: ignore[attr-defined]


def reviewing(app, language_seconds: int = 7) -> PhoneCall:
    """A caller who hears the greeting out, speaks, presses `#`: at the review."""
    call = PhoneCall(
        KeepingTransport(app),
        AUTH_TOKEN,
        caller=MOBILE,
        called=HOME,
        recording=simulated_recording(language_seconds),
    )
    call.dial("/voice/deposit").silence()
    return call


# -- During the greeting ------------------------------------------------------


def test_every_greeting_takes_hash_and_zero_and_leads_to_the_beep():
    from menus.deposit_flow import DEPOSIT
    from menus.flow import Menu, Record, go

    greetings_said = [
        DEPOSIT[go(t).to]
        for t in DEPOSIT["deposit"].targets()
        if isinstance(DEPOSIT[go(t).to], Menu)
    ]
    assert {node.name for node in greetings_said} == {
        "greeting_away",
        "greeting_personal",
        "greeting_name",
        "greeting_standard",
    }
    for node in greetings_said:
        assert isinstance(node, Menu)
        assert node.silence is not None
        assert isinstance(DEPOSIT[go(node.silence).to], Record)
        assert set(node.keys) == {"#", "0"}
        assert isinstance(DEPOSIT[go(node.keys["#"]).to], Record)


@pytest.mark.parametrize("language", LANGUAGES)
def test_hash_during_the_greeting_skips_to_the_beep(app, make_line, language):
    make_line(language=language)
    call = forwarded(app)
    gather = call.documents[-1].find("Gather")
    assert gather is not None
    assert gather.get("finishOnKey") == ""
    assert gather.get("timeout") == "1"
    call.press("#")
    assert call.said == [greeting(language), sentence(language, "review_options")]
    assert call.documents[-2].find("Record") is not None  # the beep came at once


@pytest.mark.parametrize(
    ("language", "operator", "noun", "address"),
    [
        ("en", "+33145000000", "Number", "+33145000000"),
        ("fr", "client:standard", "Client", "standard"),
        ("de", "sip:accueil@pbx.example", "Sip", "sip:accueil@pbx.example"),
    ],
)
def test_zero_during_the_greeting_reaches_the_operator(
    app, session, make_line, language, operator, noun, address
):
    app.config["IVR_OPERATOR_DIAL"] = operator
    make_line(language=language)
    call = forwarded(app).press("0")
    assert call.said == [greeting(language), sentence(language, "connect_operator")]
    dial = call.documents[-1].find("Dial")
    assert dial is not None
    [dialled] = list(dial)
    assert dialled.tag == noun
    assert "".join(dialled.itertext()).strip() == address
    assert call.ended
    call.hang_up()
    assert messages(session) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_zero_without_an_operator_goes_on_to_the_message(app, session, make_line, language):
    make_line(language=language)
    call = forwarded(app, finish="").press("0")
    assert call.dialled == []
    assert call.said == [
        greeting(language),
        sentence(language, "message_recorded"),
        sentence(language, "goodbye"),
    ]
    call.hang_up()
    assert len(messages(session)) == 1


def test_operator_dial_is_checked_when_configured(settings):
    from ivr.config import ConfigError, parse_settings

    assert (
        parse_settings({"IVR_OPERATOR_DIAL": "sip:desk@pbx.example"})["IVR_OPERATOR_DIAL"]
        == "sip:desk@pbx.example"
    )
    with pytest.raises(ConfigError, match="IVR_OPERATOR_DIAL"):
        parse_settings({"IVR_OPERATOR_DIAL": "0145000000"})


def test_another_key_during_the_greeting_says_it_again(app, make_line):
    make_line()
    call = forwarded(app).press("7")
    assert call.said == [greeting("en"), sentence("en", "not_understood"), greeting("en")]


# -- The review after `#` -----------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_send_from_the_review(app, session, make_line, language):
    make_line(language=language)
    call = reviewing(app)
    assert call.said == [greeting(language), sentence(language, "review_options")]
    call.press("1")
    assert call.said[-2:] == [sentence(language, "message_recorded"), sentence(language, "goodbye")]
    assert call.ended
    call.hang_up()
    [message] = messages(session)
    assert message.recording_sid == recorded(call)[0]
    assert not message.urgent


@pytest.mark.parametrize("language", LANGUAGES)
def test_listen_then_record_again_keeps_only_the_second(
    app, session, make_line, platform, language
):
    make_line(language=language)
    call = reviewing(app).press("2")
    first = recorded(call)[0]
    assert call.said[-2:] == [
        f"[recording {GREETING_URL.replace('REgreet', first)}]",
        sentence(language, "review_options"),
    ]
    call.press("3")
    assert call.said[-2] == sentence(language, "record_again")
    assert call.last_said == sentence(language, "review_options")  # the new one, after `#`
    call.press("1").hang_up()  # both recordings' callbacks arrive now
    second = recorded(call)[1]
    assert [m.recording_sid for m in messages(session)] == [second]
    assert platform.deleted == [first]


@pytest.mark.parametrize("language", LANGUAGES)
def test_mark_urgent_and_send(app, session, make_line, language):
    make_line(language=language)
    call = reviewing(app).press("4")
    assert call.said[-3:] == [
        sentence(language, "marked_urgent"),
        sentence(language, "message_recorded"),
        sentence(language, "goodbye"),
    ]
    assert call.ended
    call.hang_up()
    [message] = messages(session)
    assert message.urgent


def test_hanging_up_at_the_review_sends_it_once(app, session, make_line):
    make_line()
    call = reviewing(app).hang_up()
    call.retry()  # the callback delivered twice
    [message] = messages(session)
    assert not message.urgent


def test_choices_made_after_the_callback_arrived_still_apply(app, session, make_line, platform):
    make_line()
    call = reviewing(app).deliver_recordings()  # stored while the caller reviews
    [early] = messages(session)
    call.press("4").hang_up()
    [message] = messages(session)
    assert message.id == early.id
    assert message.urgent
    again = reviewing(app).deliver_recordings()
    assert len(messages(session)) == 2
    again.press("3")
    assert len(messages(session)) == 1
    assert platform.deleted == [recorded(again)[0]]
    again.hang_up()
    assert [m.recording_sid for m in messages(session)] == [early.recording_sid, recorded(again)[1]]


@pytest.mark.parametrize("choice", ["4", "3"])
def test_a_choice_racing_the_callback_is_applied_either_way(
    app, session, make_line, platform, choice
):
    """The caller's key and the recording's callback at the same moment, many times."""
    make_line()
    for _round in range(6):
        call = reviewing(app)
        callback_url, callback_form = call.recording_callbacks.pop()
        start = threading.Barrier(2)

        def callback(call=call, url=callback_url, form=callback_form, start=start) -> None:
            start.wait()
            call.post(url, form)

        def press(call=call, start=start) -> None:
            start.wait()
            call.press(choice)

        threads = [threading.Thread(target=callback), threading.Thread(target=press)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sid = callback_form["RecordingSid"]
        session.expire_all()
        message = session.scalars(select(Message).where(Message.recording_sid == sid)).first()
        if choice == "4":
            assert message is not None
            assert message.urgent
        else:
            assert message is None
            assert sid in platform.deleted
        call.hang_up()


# -- The shortest message -----------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_recording_shorter_than_the_minimum_is_asked_again_and_not_stored(
    app, session, make_line, platform, language
):
    make_line(language=language)
    call = forwarded(app, seconds=1, finish="").silence()
    # Asked again three times, like silence at a menu, then the call ends.
    too_short = sentence(language, "message_too_short")
    assert call.said == [greeting(language), *[too_short] * 4, sentence(language, "goodbye")]
    call.hang_up()
    assert messages(session) == []
    assert sorted(platform.deleted) == sorted(recorded(call))
    assert len(recorded(call)) == 4


def test_a_short_first_try_then_a_real_message(app, session, make_line, platform):
    make_line()
    tries = iter([simulated_recording(1, finish=""), simulated_recording(6, finish="")])
    call = forwarded(app)
    call.recording = lambda call, verb: next(tries)(call, verb)
    call.silence()
    assert call.said == [
        greeting("en"),
        sentence("en", "message_too_short"),
        sentence("en", "message_recorded"),
        sentence("en", "goodbye"),
    ]
    call.hang_up()
    [message] = messages(session)
    assert message.recording_sid == recorded(call)[1]
    assert message.duration == 6
    assert platform.deleted == [recorded(call)[0]]


def test_a_hang_up_during_the_beep_is_not_a_message(app, session, make_line, platform):
    make_line()
    call = forwarded(app, seconds=1, finish="hangup").silence().hang_up()
    assert messages(session) == []
    assert sorted(platform.deleted) == sorted(recorded(call))


def test_the_minimum_is_configurable(settings, make_line):
    from ivr import create_app

    settings["IVR_MIN_MESSAGE_SECONDS"] = "0"
    app = create_app(settings)
    try:
        with app.extensions["ivr.sessions"]() as session:
            from store.lines import add_line

            add_line(session, HOME, region="FR", language="en")
            session.commit()
            leave_message(app, seconds=1, finish="").hang_up()
            assert len(messages(session)) == 1
    finally:
        app.extensions["ivr.engine"].dispose()


# -- What the subscriber recorded ---------------------------------------------


def _mailbox(session):
    session.expire_all()
    return session.scalars(select(Line).where(Line.number == HOME)).one().mailbox


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_recorded_name_replaces_the_digits(app, session, make_line, language):
    make_line(language=language)
    greetings.set_name(_mailbox(session), Recording("REname", NAME_URL, 0))
    session.commit()
    call = forwarded(app)
    assert call.said == [
        sentence(language, "greeting_name_before"),
        f"[recording {NAME_URL}]",
        sentence(language, "greeting_name_after"),
    ]
    call.press("#")
    assert call.last_said == sentence(language, "review_options")


def test_a_personal_greeting_wins_over_the_name(app, session, make_line):
    make_line()
    box = _mailbox(session)
    greetings.set_name(box, Recording("REname", NAME_URL, 0))
    set_greeting(box, Recording("REgreet", GREETING_URL, 0))
    session.commit()
    assert forwarded(app).said == [f"[recording {GREETING_URL}]"]


def test_the_away_greeting_replaces_the_others_until_it_expires(app, session, make_line, clock):
    make_line()
    box = _mailbox(session)
    set_greeting(box, Recording("REgreet", GREETING_URL, 0))
    greetings.set_away(box, Recording("REaway", AWAY_URL, 0), clock.now + timedelta(hours=2))
    session.commit()
    call = forwarded(app)
    assert call.said == [f"[recording {AWAY_URL}]"]
    call.press("#").press("1").hang_up()
    assert len(messages(session)) == 1
    clock.advance(hours=2)
    assert forwarded(app).said == [f"[recording {GREETING_URL}]"]


def test_purge_forgets_old_review_choices(app, session, make_line, runner, clock):
    from store.models import CallerChoice

    make_line()
    reviewing(app).press("4").hang_up()
    clock.advance(days=29)
    kept = reviewing(app)
    kept.press("4").hang_up()
    clock.advance(days=2)
    assert runner.invoke(args=["ivr", "purge"]).exit_code == 0
    session.expire_all()
    assert list(session.scalars(select(CallerChoice.recording_sid))) == [recorded(kept)[0]]


def test_listening_at_the_review_plays_our_own_copy_once_there(app, session, make_line):
    make_line()
    call = reviewing(app).deliver_recordings()
    [message] = messages(session)
    message.stored_key = f"messages/{message.recording_sid}.wav"  # as the copy job leaves it
    session.commit()
    call.press("2")
    played = call.said[-2].removeprefix("[recording ").removesuffix("]")
    assert f"/media/messages/{message.recording_sid}.wav?" in played
    assert "api.twilio.com" not in played
