"""Telling a subscriber a message arrived: e-mail (with the audio, if chosen) or SMS.

Each line chooses (`lines.notify`): none, email, email+audio, sms. The
notice is written to the outbox (store/outbox.py) by the one transaction
that sets the message's `notified_at`, so it is queued once; it is sent
after that transaction commits (e-mail by ivr/mail.py, SMS here), each row
claimed before sending, so never twice; what failed is retried by the worker.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from babel.dates import format_date, format_time
from babel.units import format_unit
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ivr import media, recordings
from store import messages, notices, outbox
from store.models import Line, Message, OutboxMessage

log = logging.getLogger(__name__)

CHOICES = notices.CHOICES
NEW_MESSAGE = "new_message"
SMS_QUEUED = "ivr.sms.queued"
LOCALES = {"en": "en_GB", "fr": "fr_FR", "de": "de_DE"}

# language -> (subject, e-mail body, SMS); str.format templates.
TEXTS = {
    "en": (
        "New voicemail message from {caller}",
        "You have a new voicemail message on your line {number}.\n\n"
        "From: {caller}\nReceived: {when}\nLength: {duration}\n{audio}{text}\n"
        "Call your voicemail to listen to it.\n",
        "New voicemail from {caller}, {when} ({duration}).{sms_text} Call your voicemail.",
    ),
    "fr": (
        "Nouveau message vocal de {caller}",
        "Vous avez un nouveau message sur la messagerie de votre ligne {number}.\n\n"
        "De : {caller}\nReçu le : {when}\nDurée : {duration}\n{audio}{text}\n"
        "Appelez votre messagerie pour l'écouter.\n",
        "Nouveau message de {caller}, {when} ({duration}).{sms_text} Appelez votre messagerie.",
    ),
    "de": (
        "Neue Sprachnachricht von {caller}",
        "Sie haben eine neue Nachricht auf der Mailbox Ihres Anschlusses {number}.\n\n"
        "Von: {caller}\nEmpfangen: {when}\nDauer: {duration}\n{audio}{text}\n"
        "Rufen Sie Ihre Mailbox an, um sie abzuhören.\n",
        "Neue Nachricht von {caller}, {when} ({duration}).{sms_text} Rufen Sie Ihre Mailbox an.",
    ),
}
UNKNOWN = {"en": "an unknown number", "fr": "un numéro inconnu", "de": "unbekannter Nummer"}
TRANSCRIPT = {"en": "Transcription", "fr": "Transcription", "de": "Transkription"}
SMS_TEXT_CHARS = 160
ATTACHED = {
    "en": "The message is attached.",
    "fr": "Le message est joint.",
    "de": "Die Nachricht ist angehängt.",
}


def wants_audio(line: Line) -> bool:
    return line.notify == "email+audio"


def _caller(caller: str | None, language: str) -> str:
    try:
        parsed = phonenumbers.parse(caller or "")
    except phonenumbers.NumberParseException:
        return UNKNOWN[language]
    if not phonenumbers.is_valid_number(parsed):
        return UNKNOWN[language]
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _when(message: Message, line: Line, locale: str) -> str:
    """Date and time of arrival in the line's time zone, as its language writes them."""
    local = message.received_at.astimezone(ZoneInfo(line.time_zone))
    return (
        f"{format_date(local, format='full', locale=locale)}, "
        f"{format_time(local, format='short', locale=locale)}"
    )


def _shorten(text: str) -> str:
    return text if len(text) <= SMS_TEXT_CHARS else text[: SMS_TEXT_CHARS - 1] + "…"


def texts(line: Line, message: Message, attached: bool) -> tuple[str, str, str]:
    """(subject, e-mail body, SMS) in the line's language, dated in its time zone."""
    language = line.language if line.language in TEXTS else "en"
    locale = LOCALES[language]
    values = {
        "number": line.number,
        "caller": _caller(message.caller, language),
        "when": _when(message, line, locale),
        "duration": format_unit(message.duration, "duration-second", length="long", locale=locale),
        "audio": ATTACHED[language] + "\n" if attached else "",
        "text": f"\n{TRANSCRIPT[language]}:\n{message.transcript}\n" if message.transcript else "",
        "sms_text": f" “{_shorten(message.transcript)}”" if message.transcript else "",
    }
    return tuple(text.format(**values) for text in TEXTS[language])  # type: ignore[return-value]


def message_arrived(
    session: Session, message: Message, now: datetime, audio_key: str | None
) -> list[int]:
    """Queue the line's notice for this message, once ever; the caller commits."""
    if not messages.claim_notice(session, message.id, now):
        return []
    line = session.get(Line, message.line_id)
    if line is None or line.notify == "none":
        return []
    attach = audio_key if wants_audio(line) and _small(audio_key) else None
    subject, body, sms = texts(line, message, attached=attach is not None)
    if line.notify == "sms":
        if not line.mobile:
            return []
        row = OutboxMessage(
            kind=NEW_MESSAGE,
            channel="sms",
            recipient=line.mobile,
            subject=subject[:200],
            body=sms,
            line_number=line.number,
            created_at=now,
            expires_at=now + timedelta(days=1),
        )
        queue = SMS_QUEUED
    else:
        if not line.email:
            return []
        row = OutboxMessage(
            kind=NEW_MESSAGE,
            channel="email",
            recipient=line.email,
            subject=subject[:200],
            body=body,
            line_number=line.number,
            created_at=now,
            attachment_key=attach,
        )
        queue = outbox.QUEUED
    session.add(row)
    session.flush()
    session.info.setdefault(queue, []).append(row.id)
    return [row.id]


def _small(key: str | None) -> bool:
    if not key:
        return False
    size = media.store().size(key)
    return size is not None and size <= current_app.config["IVR_ATTACH_MAX_BYTES"]


def deliver_sms(app: Flask, ids: list[int] | None = None) -> int:
    """Send pending text messages (all, or these ids); how many went."""
    sent = 0
    with app.extensions["ivr.sessions"]() as session:
        for row in outbox.pending(session, ids, channel="sms"):
            now = app.config["IVR_CLOCK"]()
            if not outbox.claim(session, row, now):
                continue
            if row.expires_at is not None and row.expires_at <= now:
                outbox.mark_expired(session, row, now)
            else:
                try:
                    recordings.send_sms(row.recipient, row.body or "")
                except recordings.PlatformError as error:
                    log.warning("sms for %s not sent: %s", row.line_number, error)
                    outbox.mark_failed(session, [row], str(error))
                else:
                    outbox.mark_sent(session, row, now)
                    sent += 1
    return sent


def init_app(app: Flask) -> None:
    """Send the SMS a committed transaction queued."""
    sessions = app.extensions["ivr.sessions"]

    @event.listens_for(sessions, "after_commit")
    def _send_queued(session: Session) -> None:
        ids = session.info.pop(SMS_QUEUED, None)
        if ids:
            with app.app_context():
                deliver_sms(app, ids)

    @event.listens_for(sessions, "after_rollback")
    def _forget_queued(session: Session) -> None:
        session.info.pop(SMS_QUEUED, None)
