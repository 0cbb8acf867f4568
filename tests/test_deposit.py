"""Leaving a message (SPEC §3): greetings, the recording, and the status callback."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.phone import PhoneCall
from menus.catalogue import sentence
from store.lines import LANGUAGES
from store.messages import Recording, set_greeting
from store.models import Line
from tests.helpers import (
    AUTH_TOKEN,
    GREETING_URL,
    HOME,
    MOBILE,
    CheckedTransport,
    leave_message,
    messages,
)

OTHER = "+33145000000"


def record_of(call: PhoneCall):
    return next(d for d in call.documents if d.find("Record") is not None).find("Record")


@pytest.mark.parametrize("language", LANGUAGES)
def test_standard_greeting_reads_the_line_in_national_form(app, session, make_line, language):
    make_line(language=language)
    call = leave_message(app, finish="")
    assert call.said[0] == sentence(language, "standard_greeting", {"mailbox_number": "0142685300"})
    assert call.said[1:] == [sentence(language, "message_recorded"), sentence(language, "goodbye")]
    record = record_of(call)
    assert record.get("playBeep") == "true"
    assert record.get("finishOnKey") == "#"
    assert record.get("trim") == "trim-silence"
    assert record.get("maxLength") == "180"
    assert record.get("recordingStatusCallback").endswith(f"/voice/recording/{_line_id(session)}")


def test_english_standard_greeting_is_the_reference_sentence(app, make_line):
    make_line()
    assert leave_message(app, finish="").said[0] == (
        "You have reached the voicemail of 0, 1, 4, 2, 6, 8, 5, 3, 0, 0. "
        "Please leave a message after the tone."
    )


def test_the_message_is_stored_from_the_callback_after_completed(app, session, make_line):
    make_line()
    call = leave_message(app, seconds=12)
    assert messages(session) == []  # nothing yet: the call is still up
    call.post("/voice/status", {"CallStatus": "completed"})
    assert messages(session) == []
    call.deliver_recordings()  # the recording's callback arrives after the call ended
    [message] = messages(session)
    assert (message.caller, message.duration, message.heard) == (MOBILE, 12, False)
    assert message.recording_sid.startswith("RE")
    assert message.recording_url.endswith(message.recording_sid)
    assert message.line_id == _line_id(session)


def test_a_callback_delivered_twice_stores_one_message(app, session, make_line):
    make_line()
    call = leave_message(app).hang_up()
    status, _ = call.retry()  # the platform repeats the recording callback
    assert status == 200
    assert call.last_request is not None
    url, form, _headers = call.last_request
    call.post(url, {k: v for k, v in form.items() if k.startswith("Recording")})
    assert len(messages(session)) == 1


def test_an_empty_recording_stores_nothing(app, session, make_line):
    make_line()
    call = leave_message(app)
    url, form = call.recording_callbacks[0]
    call.recording_callbacks[0] = (url, {**form, "RecordingDuration": "0"})
    call.hang_up()
    assert messages(session) == []


def test_silence_repeats_the_beep_then_goodbye(app, session, make_line):
    make_line()
    call = leave_message(app, seconds=0)
    assert call.said == [
        sentence("en", "standard_greeting", {"mailbox_number": "0142685300"}),
        sentence("en", "goodbye"),
    ]
    assert call.ended
    assert sum(d.find("Record") is not None for d in call.documents) == 4
    assert messages(session) == []


def test_forwarded_from_names_the_mailbox(app, session, make_line):
    make_line()
    make_line(OTHER)
    call = leave_message(app, to="+33900000000", ForwardedFrom=OTHER).hang_up()
    assert "0, 1, 4, 5" in call.said[0]
    [message] = messages(session)
    assert message.line_id == session.scalar(select(Line.id).where(Line.number == OTHER))


def test_a_callback_for_another_mailbox_or_call_is_ignored(app, session, make_line):
    make_line()
    other = make_line(OTHER)
    call = leave_message(app)
    _url, form = call.recording_callbacks.pop()
    call.post(f"/voice/recording/{other.id}", form)
    stranger = PhoneCall(CheckedTransport(app), AUTH_TOKEN, caller=MOBILE, called=HOME)
    stranger.post(f"/voice/recording/{_line_id(session)}", form)
    assert messages(session) == []


def test_personal_greeting_is_played(app, session, make_line):
    line = make_line()
    box = session.get(Line, line.id).mailbox
    set_greeting(box, Recording("REgreet", GREETING_URL, 0))
    session.commit()
    call = leave_message(app)
    assert call.said[0] == f"[recording {GREETING_URL}]"
    assert record_of(call) is not None


def test_unknown_line_is_told_politely_and_the_call_ends(app, session):
    call = leave_message(app, to="+33145999999")
    assert call.said == [sentence("en", "deposit_unknown_line"), sentence("en", "goodbye")]
    assert call.ended
    assert all(d.find("Record") is None for d in call.documents)


def test_a_full_mailbox_says_so(app, session, make_line, platform_api):
    app.config["IVR_MAX_MESSAGES"] = 2
    make_line()
    leave_message(app).hang_up()
    late = leave_message(app)  # offered while the mailbox had one message
    leave_message(app).hang_up()
    assert len(messages(session)) == 2
    full = leave_message(app)
    assert full.said == [sentence("en", "mailbox_full"), sentence("en", "goodbye")]
    http = platform_api
    late.hang_up()  # its recording arrives once the mailbox is full: not stored, deleted
    assert len(messages(session)) == 2
    assert http.deleted == [late_sid(late)]


def late_sid(call: PhoneCall) -> str:
    assert call.last_request is not None
    _url, form, _headers = call.last_request
    return form["RecordingSid"]


def test_the_longest_message_is_configurable(settings, make_line):
    settings["IVR_MAX_MESSAGE_SECONDS"] = "30"
    from ivr import create_app

    app = create_app(settings)
    make_line_in(app)
    assert record_of(leave_message(app, seconds=90)).get("maxLength") == "30"
    app.extensions["ivr.engine"].dispose()


def make_line_in(app) -> None:
    from store.lines import add_line

    with app.extensions["ivr.sessions"]() as session:
        add_line(session, HOME, region="FR", language="en")
        session.commit()


def test_console_phone_leaves_a_message(runner, session, make_line):
    make_line()
    result = runner.invoke(
        args=[
            "ivr",
            "call",
            "--from",
            MOBILE,
            "--to",
            "deposit",
            "--mailbox",
            "01 42 68 53 00",
            "--speak",
            "9",
            "--keys",
            "- 1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert sentence("en", "message_recorded") in result.output
    [message] = messages(session)
    assert (message.caller, message.duration) == (MOBILE, 9)


def test_console_phone_deposit_needs_a_mailbox(runner, session, make_line):
    make_line()
    result = runner.invoke(args=["ivr", "call", "--from", MOBILE, "--to", "deposit"])
    assert result.exit_code != 0
    assert "--mailbox" in result.output
    assert messages(session) == []


def test_time_zone_defaults_from_the_number(session, make_line, runner):
    assert make_line().time_zone == "Europe/Paris"
    result = runner.invoke(
        args=["ivr", "add-line", "+493012345678", "--time-zone", "America/New_York"]
    )
    assert result.exit_code == 0, result.output
    assert (
        session.scalar(select(Line.time_zone).where(Line.number == "+493012345678"))
        == "America/New_York"
    )
    bad = runner.invoke(args=["ivr", "add-line", "+493012345679", "--time-zone", "Mars/Base"])
    assert bad.exit_code != 0
    assert "unknown time zone" in bad.output


def _line_id(session) -> int:
    return session.scalar(select(Line.id).where(Line.number == HOME))


def test_deposit_and_recording_webhooks_check_the_signature(client, session, make_line):
    line = make_line()
    for path in ("/voice/deposit", f"/voice/recording/{line.id}"):
        answer = client.post(
            path,
            data={
                "CallSid": "CA" + "1" * 32,
                "To": HOME,
                "RecordingSid": "RE1",
                "RecordingUrl": "https://x/RE1",
                "RecordingDuration": "5",
            },
        )
        assert answer.status_code == 403, path
    assert messages(session) == []


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"RecordingSid": "RE1"},
        {"RecordingSid": "RE1", "RecordingUrl": "https://x/RE1", "RecordingDuration": "five"},
        {"RecordingSid": "RE-1;", "RecordingUrl": "https://x/RE1", "RecordingDuration": "5"},
        {"RecordingSid": "RE1", "RecordingUrl": "https://x/" + "a" * 600, "RecordingDuration": "5"},
        {
            "RecordingSid": "RE1",
            "RecordingUrl": "https://x/RE1",
            "RecordingDuration": "5",
            "RecordingStatus": "failed",
        },
    ],
)
def test_a_malformed_recording_callback_stores_nothing(app, session, make_line, form):
    make_line()
    call = leave_message(app)
    call.recording_callbacks.clear()
    call.hang_up()
    status, body = call.post(f"/voice/recording/{_line_id(session)}", form)
    assert status == 200
    assert body.endswith("<Response/>")
    assert messages(session) == []
