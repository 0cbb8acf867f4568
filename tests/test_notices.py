"""New-message notices and MWI (issue 12): aiosmtpd, the platform and a switch on loopback."""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from ivr import worker
from store.models import Job, Line, Message, OutboxMessage
from tests.endpoints import ACCOUNT_SID, platform_api, switch_receiver
from tests.helpers import AUTH_TOKEN, HOME, leave_platform_message, run_until_done
from tests.server import free_port

SUBSCRIBER_MOBILE = "+33698765432"
MWI_SECRET = "mwi-test-secret"
HOUR = timedelta(hours=1)


@pytest.fixture
def platform():
    with platform_api(AUTH_TOKEN, fail_first=0) as api:
        yield api


@pytest.fixture
def switch():
    with switch_receiver(fail_first=2) as receiver:
        yield receiver


@pytest.fixture
def settings(settings, platform, smtp, shifted, request):
    settings = {
        **settings,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "IVR_CLOCK": shifted,
        "IVR_SMTP_URL": smtp.url,
        "IVR_SMS_FROM": "+33700000000",
        "IVR_PLATFORM_API_URL": platform.base,
    }
    if "switch" in request.fixturenames:
        switch = request.getfixturevalue("switch")
        settings.update(IVR_MWI_URL=switch.url, IVR_MWI_SECRET=MWI_SECRET)
    return settings


def subscriber(make_line, notify, language="en", **fields):
    fields.setdefault("email", "sub@example.com")
    return make_line(language=language, time_zone="Europe/Paris", **fields)


def choose(runner, notify, *more):
    result = runner.invoke(args=["ivr", "notify", HOME, notify, *more])
    assert result.exit_code == 0, result.output
    return result.output


def test_email_with_the_audio_attached_in_the_lines_language(
    app, runner, session, make_line, platform, smtp, shifted
):
    subscriber(make_line, "email+audio", language="fr")
    choose(runner, "email+audio")
    leave_platform_message(app, platform, seconds=65)
    assert smtp.messages == []  # nothing until the copy is stored
    run_until_done(app, shifted)
    worker.sweep_outbox(app)  # a later sweep sends nothing again
    assert len(smtp.messages) == 1
    _sender, recipients, mail = smtp.messages[0]
    assert recipients == ["sub@example.com"]
    assert mail["Subject"] == "Nouveau message vocal de +33 6 12 34 56 78"
    body = mail.get_body(("plain",)).get_content().replace("\xa0", " ")
    assert "Durée : 65 secondes" in body
    assert "Le message est joint." in body
    received = session.scalars(select(Message)).one().received_at
    local = received.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert f"{local:%H:%M}" in body  # the line's time zone, not UTC
    attachments = list(mail.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_content_type() == "audio/wav"
    assert attachments[0].get_content() == platform.wav
    row = session.scalars(select(OutboxMessage)).one()
    assert row.sent_at is not None
    assert row.body is None


def test_an_attachment_over_the_limit_is_left_out(
    app, runner, settings, make_line, platform, smtp, shifted
):
    app.config["IVR_ATTACH_MAX_BYTES"] = 100
    subscriber(make_line, "email+audio", language="de")
    choose(runner, "email+audio")
    leave_platform_message(app, platform)
    run_until_done(app, shifted)
    assert len(smtp.messages) == 1
    mail = smtp.messages[0][2]
    assert mail["Subject"] == "Neue Sprachnachricht von +33 6 12 34 56 78"
    assert list(mail.iter_attachments()) == []
    assert "angehängt" not in mail.get_body(("plain",)).get_content()


def test_a_copy_that_keeps_failing_still_notifies_once_without_audio(
    app, runner, session, make_line, platform, smtp, shifted
):
    subscriber(make_line, "email+audio")
    choose(runner, "email+audio")
    platform.fail_first = 5
    leave_platform_message(app, platform)
    for _ in range(3):
        worker.drain(app)
        shifted.advance(3600)
    assert len(smtp.messages) == 1  # after 3 failed copies, without the audio
    assert list(smtp.messages[0][2].iter_attachments()) == []
    run_until_done(app, shifted)
    assert session.scalars(select(Message)).one().stored_key  # stored in the end
    assert len(smtp.messages) == 1  # and never announced twice


def test_sms_to_the_mobile_on_file_through_the_platform(
    app, client, session, make_line, platform, shifted
):
    subscriber(make_line, "sms", language="de")
    key = app.test_cli_runner().invoke(args=["ivr", "create-api-key", "portal"])
    headers = {"Authorization": f"Bearer {key.output.split()[-1]}"}
    refused = client.put(f"/api/v1/lines/{HOME}/notify", json={"notify": "sms"}, headers=headers)
    assert refused.status_code == 422
    assert refused.json["error"] == "notify_refused"
    answer = client.put(
        f"/api/v1/lines/{HOME}/notify",
        json={"notify": "sms", "mobile": "06 98 76 54 32"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["notify"] == {"choice": "sms", "mobile": SUBSCRIBER_MOBILE}
    leave_platform_message(app, platform, seconds=30)
    run_until_done(app, shifted)
    worker.sweep_outbox(app)
    assert len(platform.texts) == 1
    text = platform.texts[0]
    assert text["To"] == SUBSCRIBER_MOBILE
    assert text["From"] == "+33700000000"
    assert text["Body"].startswith("Neue Nachricht von +33 6 12 34 56 78")
    assert "30 Sekunden" in text["Body"].replace("\xa0", " ")


def test_the_cli_refuses_what_cannot_be_sent_in_one_line(app, runner, make_line):
    make_line()  # no e-mail on file
    for args in (["email"], ["sms"], ["sms", "--mobile", "+33142685300"], ["sms", "--mobile", "x"]):
        result = runner.invoke(args=["ivr", "notify", HOME, *args])
        assert result.exit_code == 1
        assert result.output.startswith("Error: ")
        assert len(result.output.strip().splitlines()) == 1
        assert "Traceback" not in result.output
    with app.extensions["ivr.sessions"]() as session:
        assert session.scalars(select(Line)).one().notify == "none"


def _signed(body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(MWI_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_mwi_posts_signed_counts_retried_until_the_switch_takes_them(
    app, phone, session, make_line, platform, switch, shifted
):
    make_line()
    leave_platform_message(app, platform, sid="RE" + "a" * 32)
    leave_platform_message(app, platform, sid="RE" + "b" * 32)
    run_until_done(app, shifted)
    assert switch.tries >= 3  # two refused, then taken
    assert switch.latest(HOME) == {
        "line": HOME,
        "new": 2,
        "saved": 0,
        "at": switch.latest(HOME)["at"],
    }
    assert all(_signed(body, header) for _, header, body in switch.posts)

    phone(HOME).press("1")  # hears the first message: one new, one saved
    run_until_done(app, shifted)
    assert (switch.latest(HOME)["new"], switch.latest(HOME)["saved"]) == (1, 1)
    phone(HOME).press("1").press("3")  # deletes the new one... (the first played)
    run_until_done(app, shifted)
    with app.extensions["ivr.sessions"]() as fresh:
        left = len(fresh.scalars(select(Message)).all())
    assert switch.latest(HOME)["new"] + switch.latest(HOME)["saved"] == left


def test_a_change_while_a_post_is_in_flight_ends_on_the_latest_counts(
    app, session, make_line, platform, switch, shifted, monkeypatch
):
    """The switch is slow to answer the first post; a message arrives meanwhile."""
    make_line()
    switch.fail_first = 0
    leave_platform_message(app, platform, sid="RE" + "a" * 32)
    entered, release = threading.Event(), threading.Event()
    post = requests.post

    def slow_first(*args, **kwargs):
        if not entered.is_set():
            entered.set()
            release.wait(10)
        return post(*args, **kwargs)

    monkeypatch.setattr(requests, "post", slow_first)
    first = threading.Thread(target=worker.drain, args=(app, None, 1), kwargs={})
    with app.extensions["ivr.sessions"]() as s:
        pending = s.scalars(select(Job).where(Job.kind == "mwi")).one()
        s.execute(update(Job).where(Job.id != pending.id).values(run_after=shifted() + HOUR))
        s.commit()
    first.start()
    assert entered.wait(10)  # the post of new=1 is on its way
    leave_platform_message(app, platform, sid="RE" + "b" * 32)
    release.set()
    first.join(10)
    run_until_done(app, shifted)
    news = [post["new"] for post, _, _ in switch.posts]
    assert news[0] == 1
    assert news[-1] == 2


def test_mwi_follows_a_purge_and_a_mailbox_reset(
    app, runner, session, make_line, platform, switch, shifted
):
    make_line()
    switch.fail_first = 0
    leave_platform_message(app, platform)
    run_until_done(app, shifted)
    assert switch.latest(HOME)["new"] == 1
    shifted.advance(40 * 86400)  # past the retention
    result = runner.invoke(args=["ivr", "purge"])
    assert result.exit_code == 0, result.output
    run_until_done(app, shifted)
    assert (switch.latest(HOME)["new"], switch.latest(HOME)["saved"]) == (0, 0)
    posts = len(switch.posts)
    result = runner.invoke(
        args=["ivr", "reset-mailbox", HOME, "--reason", "locked out", "--override"]
    )
    assert result.exit_code == 0, result.output
    run_until_done(app, shifted)
    assert len(switch.posts) == posts + 1  # the switch is told again after a reset


@pytest.fixture
def transcribing(app):
    app.config.update(IVR_TRANSCRIBE=True, IVR_TRANSCRIBE_WAIT_SECONDS=120)


def _transcribe(call, status="completed", text="Hello, call me back about Friday."):
    record = next(d for d in call.documents if d.find("Record") is not None).find("Record")
    assert record.get("transcribe") == "true"
    url = record.get("transcribeCallback")
    assert "/voice/transcription/" in url
    form = {
        "RecordingSid": "RE" + "a" * 32,
        "TranscriptionSid": "TR" + "1" * 32,
        "TranscriptionStatus": status,
        "TranscriptionText": text,
    }
    assert call.post(url, form)[0] == 200


def test_the_notice_includes_the_transcription_that_arrives_in_time(
    app, runner, session, make_line, platform, smtp, shifted, transcribing
):
    subscriber(make_line, "email+audio")
    choose(runner, "email+audio")
    call = leave_platform_message(app, platform)
    worker.drain(app)
    assert smtp.messages == []  # copied, waiting for the text
    _transcribe(call)
    worker.drain(app)
    assert len(smtp.messages) == 1
    body = smtp.messages[0][2].get_body(("plain",)).get_content()
    assert "Transcription:\nHello, call me back about Friday." in body.replace("\r\n", "\n")
    assert len(list(smtp.messages[0][2].iter_attachments())) == 1
    shifted.advance(3600)
    worker.drain(app)
    assert len(smtp.messages) == 1


def test_a_missing_transcription_delays_the_notice_no_longer_than_the_wait(
    app, runner, make_line, platform, smtp, shifted, transcribing
):
    subscriber(make_line, "email")
    choose(runner, "email")
    leave_platform_message(app, platform)
    worker.drain(app)
    shifted.advance(60)
    worker.drain(app)
    assert smtp.messages == []
    shifted.advance(61)  # 121 s after the message: past IVR_TRANSCRIBE_WAIT_SECONDS
    worker.drain(app)
    assert len(smtp.messages) == 1
    assert "Transcription" not in smtp.messages[0][2].get_body(("plain",)).get_content()


def test_a_failed_transcription_sends_the_notice_at_once(
    app, runner, make_line, platform, smtp, shifted, transcribing
):
    subscriber(make_line, "email")
    choose(runner, "email")
    call = leave_platform_message(app, platform)
    worker.drain(app)
    _transcribe(call, status="failed", text="")
    worker.drain(app)
    assert len(smtp.messages) == 1


def test_an_unsigned_transcription_is_refused(
    app, client, session, make_line, platform, transcribing
):
    make_line()
    leave_platform_message(app, platform)
    line_id = session.scalars(select(Line)).one().id
    answer = client.post(
        f"/voice/transcription/{line_id}",
        data={
            "RecordingSid": "RE" + "a" * 32,
            "TranscriptionStatus": "completed",
            "TranscriptionText": "forged",
        },
    )
    assert answer.status_code == 403
    session.expire_all()
    assert session.scalars(select(Message)).one().transcript is None


def test_an_email_the_smtp_server_could_not_take_is_retried_and_sent_once(
    app, runner, session, make_line, platform, smtp, shifted
):
    subscriber(make_line, "email")
    choose(runner, "email")
    leave_platform_message(app, platform)
    app.config["IVR_SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens
    worker.drain(app)
    row = session.scalars(select(OutboxMessage)).one()
    assert row.sent_at is None
    assert row.attempts == 1
    assert smtp.messages == []
    app.config["IVR_SMTP_URL"] = smtp.url  # the server is back
    worker.sweep_outbox(app)
    worker.sweep_outbox(app)
    assert len(smtp.messages) == 1
