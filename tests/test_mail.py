"""Subscriber e-mail: the outbox, and delivery to a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.config import ConfigError, parse_settings
from ivr.mail import parse_smtp_url
from store import audit, outbox
from store.models import Line, OutboxMessage
from store.resets import ResetRefused, reset_mailbox
from tests.helpers import HOME
from tests.server import free_port


@pytest.fixture
def settings(settings, request):
    """IVR_SMTP_URL points at the test's SMTP server when the test uses `smtp`."""
    if "smtp" in request.fixturenames:
        settings = {
            **settings,
            "IVR_SMTP_URL": request.getfixturevalue("smtp").url,
            "IVR_MAIL_FROM": "Voicemail <voicemail@operator.example>",
        }
    return settings


def _reset(app, session, **line_fields):
    line = session.scalars(select(Line)).one()
    for name, value in line_fields.items():
        setattr(line, name, value)
    reset_mailbox(
        session,
        line,
        actor="cli:ops",
        reason="locked out",
        override=True,
        now=app.config["IVR_CLOCK"](),
    )


def test_reset_notice_goes_out_after_commit(app, session, make_line, smtp):
    make_line(email="sub@example.com", language="fr")
    line = session.scalars(select(Line)).one()
    line.email = "other@example.com"
    with pytest.raises(ResetRefused):  # refused, rolled back: nothing was committed, nothing goes
        reset_mailbox(
            session, line, actor="cli:ops", reason="", override=True, now=app.config["IVR_CLOCK"]()
        )
    assert smtp.messages == []
    _reset(app, session)  # the reset commits itself, and the notice leaves then
    [(sender, recipients, message)] = smtp.messages
    assert (sender, recipients) == ("voicemail@operator.example", ["sub@example.com"])
    assert message["Subject"] == "Votre code secret de messagerie a été réinitialisé"
    assert HOME in message.get_content()
    assert "ligne fixe" in message.get_content()
    stored = session.scalars(select(OutboxMessage)).one()
    session.refresh(stored)
    assert stored.sent_at is not None
    assert stored.body is None


def test_the_cli_reset_sends_the_notice_too(app, session, make_line, runner, smtp):
    make_line(email="sub@example.com")
    result = runner.invoke(
        args=["ivr", "reset-mailbox", HOME, "--reason", "asked by phone", "--override"]
    )
    assert result.exit_code == 0, result.output
    [(_, recipients, message)] = smtp.messages
    assert recipients == ["sub@example.com"]
    assert message["Subject"] == "Your voicemail secret code was reset"


def test_a_rolled_back_reset_sends_nothing(app, session, make_line, smtp, monkeypatch):
    make_line(email="sub@example.com")

    def audit_fails(*_args, **_kwargs):
        raise RuntimeError("the audit entry could not be written")

    monkeypatch.setattr(audit, "record", audit_fails)  # after the notice is queued
    with pytest.raises(RuntimeError):
        _reset(app, session)
    session.commit()
    assert smtp.messages == []
    assert session.scalars(select(OutboxMessage)).all() == []


def test_without_smtp_mail_waits_in_the_outbox(app, session, make_line, runner):
    make_line(email="sub@example.com")
    _reset(app, session)
    session.commit()
    waiting = session.scalars(select(OutboxMessage)).one()
    assert waiting.sent_at is None
    assert "reset the voicemail" in waiting.body
    result = runner.invoke(args=["ivr", "send-mail"])
    assert result.exit_code != 0
    assert "IVR_SMTP_URL is not set" in result.output


def test_no_address_on_file_no_mail(app, session, make_line, smtp):
    make_line()
    _reset(app, session)
    session.commit()
    assert session.scalars(select(OutboxMessage)).all() == []
    assert smtp.messages == []


def test_send_mail_retries_what_could_not_be_sent(app, session, make_line, runner, smtp):
    make_line(email="sub@example.com")
    line = session.scalars(select(Line)).one()
    app.config["IVR_SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    outbox.queue_reset_notice(session, line, app.config["IVR_CLOCK"]())
    session.commit()
    failed = session.scalars(select(OutboxMessage)).one()
    session.refresh(failed)
    assert failed.sent_at is None
    assert failed.attempts == 1
    assert "cannot reach" in failed.last_error
    assert smtp.messages == []
    app.config["IVR_SMTP_URL"] = smtp.url
    result = runner.invoke(args=["ivr", "send-mail"])
    assert result.exit_code == 0
    assert "1 sent" in result.output
    assert [recipients for _, recipients, _ in smtp.messages] == [["sub@example.com"]]


def test_a_message_is_sent_by_one_transport_only(app, session, make_line, runner, smtp):
    make_line(email="sub@example.com")
    line = session.scalars(select(Line)).one()
    now = app.config["IVR_CLOCK"]()
    message = outbox.queue_reset_notice(session, line, now)
    assert message is not None
    session.info.pop(outbox.QUEUED)
    session.commit()
    with app.extensions["ivr.sessions"]() as other:
        theirs = other.get(OutboxMessage, message.id)
        assert theirs is not None
        assert outbox.claim(other, theirs, now)  # another worker is sending it
        assert not outbox.claim(session, message, now)
        result = runner.invoke(args=["ivr", "send-mail"])
        assert result.exit_code == 0
        assert "0 sent" in result.output
        assert smtp.messages == []


def test_an_expired_temporary_pin_is_never_sent(app, session, make_line, runner, smtp):
    make_line(email="sub@example.com")
    line = session.scalars(select(Line)).one()
    now = app.config["IVR_CLOCK"]()
    outbox.queue_temporary_pin(session, line, "482913", now - timedelta(seconds=1), now)
    session.info.pop(outbox.QUEUED)  # as if the transport had been down until now
    session.commit()
    result = runner.invoke(args=["ivr", "send-mail"])
    assert result.exit_code == 0
    assert "1 expired" in result.output
    assert smtp.messages == []
    stored = session.scalars(select(OutboxMessage)).one()
    session.refresh(stored)
    assert stored.body is None
    assert stored.sent_at is not None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example:2525", ("smtp", "mail.example", 2525, None, None)),
        ("smtps://user:s3cr%40t@mail.example", ("smtps", "mail.example", 465, "user", "s3cr@t")),
        (
            "smtp+starttls://u:s3cret@mail.example",
            ("smtp+starttls", "mail.example", 587, "u", "s3cret"),
        ),
    ],
)
def test_smtp_urls(url, expected):
    server = parse_smtp_url(url)
    assert (server.scheme, server.host, server.port, server.username, server.password) == expected
    assert "s3cr" not in repr(server)


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25"])
def test_bad_smtp_urls_are_refused_at_start(url):
    with pytest.raises(ConfigError, match="IVR_SMTP_URL"):
        parse_settings({"IVR_SMTP_URL": url})
