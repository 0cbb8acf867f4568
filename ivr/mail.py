"""The mail transport: sends the outbox (store/outbox.py) through SMTP.

With `IVR_SMTP_URL` set, what a transaction queued is sent right after it
commits, whichever door committed it (console, CLI, API); what could not be
sent stays queued for `flask ivr send-mail`. Without it, mail waits in the
outbox. A message body (it may hold a temporary PIN) is never logged.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from store import outbox
from store.text import InvalidText, email_address

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10
SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand mail over, from IVR_SMTP_URL."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never show the password
        return f"SmtpServer({self.scheme}://{self.host}:{self.port})"


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://host:port, smtp+starttls://user:pass@host, smtps://user:pass@host:465."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError("expected smtp://, smtp+starttls:// or smtps:// with a host")
    return SmtpServer(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port or SCHEMES[parts.scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


@dataclass
class Delivery:
    """What one run of the transport did."""

    sent: int = 0
    expired: int = 0
    failed: int = 0


def _connect(server: SmtpServer) -> smtplib.SMTP:
    if server.scheme == "smtps":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host,
            server.port,
            timeout=SMTP_TIMEOUT_SECONDS,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS)
        if server.scheme == "smtp+starttls":
            smtp.starttls(context=ssl.create_default_context())
    if server.username:
        smtp.login(server.username, server.password or "")
    return smtp


def _email(message: Any, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    email.set_content(message.body or "")
    if message.attachment_key:  # a new message's audio (ivr/notify.py)
        try:
            audio = current_app.extensions["ivr.media"].get(message.attachment_key)
        except Exception as error:  # noqa: BLE001 - any store failure: retried as unsent
            raise OSError(f"attachment unreadable: {type(error).__name__}") from None
        subtype = "mpeg" if message.attachment_key.endswith(".mp3") else "wav"
        email.add_attachment(
            audio,
            maintype="audio",
            subtype=subtype,
            filename=f"message.{message.attachment_key.rsplit('.', 1)[1]}",
        )
    return email


def deliver(app: Flask, ids: list[int] | None = None) -> Delivery:
    """Send pending messages (all, or these ids); each is marked as it goes."""
    server = parse_smtp_url(app.config["IVR_SMTP_URL"])
    done = Delivery()
    with app.extensions["ivr.sessions"]() as session:
        now = app.config["IVR_CLOCK"]()
        messages = outbox.pending(session, ids, now=now)
        if not messages:
            return done
        try:
            smtp = _connect(server)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mail: cannot reach %r: %s", server, type(error).__name__)
            outbox.mark_failed(session, messages, f"cannot reach the SMTP server: {error}")
            done.failed = len(messages)
            return done
        with smtp:
            for message in messages:
                _send_one(session, smtp, message, app.config["IVR_MAIL_FROM"], now, done)
    return done


def _send_one(
    session: Session, smtp: smtplib.SMTP, message: Any, sender: str, now: Any, done: Delivery
) -> None:
    if not outbox.claim(session, message, now):
        return  # another transport (send-mail, another worker) has it
    if message.expires_at is not None and message.expires_at <= now:
        outbox.mark_expired(session, message, now)
        done.expired += 1
    else:
        try:
            # To the one address on file, never to whatever a To header lists.
            recipient = email_address(message.recipient, "recipient")
            smtp.send_message(_email(message, sender), to_addrs=[recipient])
        except (OSError, smtplib.SMTPException, InvalidText) as error:
            log.warning(
                "mail: message %s to %s not sent: %s",
                message.id,
                message.line_number,
                type(error).__name__,
            )
            outbox.mark_failed(session, [message], str(error))
            done.failed += 1
        else:
            outbox.mark_sent(session, message, now)
            done.sent += 1
            log.info("mail: %s sent for %s", message.kind, message.line_number)


def init_app(app: Flask) -> None:
    """Send what each committed transaction queued, when SMTP is configured."""
    if not app.config.get("IVR_SMTP_URL"):
        return
    parse_smtp_url(app.config["IVR_SMTP_URL"])  # a bad URL fails at start, not at a reset
    sessions = app.extensions["ivr.sessions"]

    @event.listens_for(sessions, "after_commit")
    def _send_queued(session: Session) -> None:
        ids = session.info.pop(outbox.QUEUED, None)
        if ids:
            deliver(app, ids)

    @event.listens_for(sessions, "after_rollback")
    def _forget_queued(session: Session) -> None:
        session.info.pop(outbox.QUEUED, None)
