"""E-mails to subscribers: written to an outbox in the same transaction as the change.

Whatever door reset a mailbox or issued a PIN, the notice is queued with it
and goes out only if that change is committed. The mail transport
(ivr/mail.py) is the only reader: it sends through SMTP, erases the body and
marks the message sent. Nothing else ever shows an outbox body.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import Line, OutboxMessage

# Message ids queued by a session, for a transport that sends right after commit.
QUEUED = "ivr.outbox.queued"

RESET_NOTICE = "reset_notice"
TEMPORARY_PIN = "temporary_pin"

# kind -> language -> (subject, body); bodies are str.format templates.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    RESET_NOTICE: {
        "en": ("Your voicemail secret code was reset",
               "Customer service reset the voicemail of your line {number} on {when} (UTC).\n"
               "Your messages and greeting are kept. To use your voicemail remotely again,\n"
               "create a new secret code from your fixed line: call your voicemail, press 2,\n"
               "then 2.\n\nIf you did not ask for this, please call customer service.\n"),
        "fr": ("Votre code secret de messagerie a été réinitialisé",
               "Le service client a réinitialisé la messagerie de votre ligne {number} le {when}"
               " (UTC).\nVos messages et votre annonce sont conservés. Pour consulter votre\n"
               "messagerie à distance, créez un nouveau code depuis votre ligne fixe :\n"
               "appelez votre messagerie, tapez 2, puis 2.\n\n"
               "Si vous n'êtes pas à l'origine de cette demande, appelez le service client.\n"),
        "de": ("Ihr Mailbox-Geheimcode wurde zurückgesetzt",
               "Der Kundendienst hat die Mailbox Ihres Anschlusses {number} am {when} (UTC)\n"
               "zurückgesetzt. Ihre Nachrichten und Ihre Ansage bleiben erhalten. Um Ihre\n"
               "Mailbox wieder von unterwegs abzufragen, legen Sie an Ihrem Festnetzanschluss\n"
               "einen neuen Code an: Mailbox anrufen, 2 drücken, dann 2.\n\n"
               "Falls Sie das nicht veranlasst haben, rufen Sie bitte den Kundendienst an.\n"),
    },
    TEMPORARY_PIN: {
        "en": ("Your temporary service PIN",
               "Your temporary service PIN for the line {number} is: {pin}\n"
               "It is valid until {when} (UTC). Read it out to the adviser on the phone.\n"
               "Never give it to anyone who calls you.\n"),
        "fr": ("Votre code PIN de service temporaire",
               "Votre code PIN de service temporaire pour la ligne {number} est : {pin}\n"
               "Il est valable jusqu'au {when} (UTC). Lisez-le au conseiller au téléphone.\n"
               "Ne le donnez jamais à quelqu'un qui vous appelle.\n"),
        "de": ("Ihre vorübergehende Service-PIN",
               "Ihre vorübergehende Service-PIN für den Anschluss {number} lautet: {pin}\n"
               "Sie gilt bis {when} (UTC). Lesen Sie sie dem Berater am Telefon vor.\n"
               "Geben Sie sie niemals an jemanden weiter, der Sie anruft.\n"),
    },
}


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def enqueue(
    session: Session, line: Line, kind: str, now: datetime, *,
    expires_at: datetime | None = None, **values: str,
) -> OutboxMessage | None:
    """Queue one e-mail to the line's address on file; None when there is none."""
    if not line.email:
        return None
    texts = TEXTS[kind]
    subject, body = texts.get(line.language, texts["en"])
    message = OutboxMessage(
        kind=kind, recipient=line.email, subject=subject, line_number=line.number,
        body=body.format(number=line.number, **values), created_at=now, expires_at=expires_at,
    )
    session.add(message)
    session.flush()
    session.info.setdefault(QUEUED, []).append(message.id)
    return message


def queue_reset_notice(session: Session, line: Line, now: datetime) -> OutboxMessage | None:
    """Tell the subscriber their mailbox was reset (SPEC §4.5)."""
    return enqueue(session, line, RESET_NOTICE, now, when=_when(now))


def queue_temporary_pin(
    session: Session, line: Line, pin: str, expires_at: datetime, now: datetime
) -> OutboxMessage | None:
    """Send a temporary service PIN to the subscriber; it is dropped unsent once expired."""
    return enqueue(session, line, TEMPORARY_PIN, now, expires_at=expires_at,
                   pin=pin, when=_when(expires_at))


def pending(
    session: Session, ids: list[int] | None = None, limit: int = 100, channel: str = "email"
) -> list[OutboxMessage]:
    """Messages of one channel not yet sent, oldest first (all, or only these ids)."""
    query = (select(OutboxMessage)
             .where(OutboxMessage.sent_at.is_(None), OutboxMessage.channel == channel)
             .order_by(OutboxMessage.id).limit(limit))
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    return list(session.scalars(query))


def claim(session: Session, message: OutboxMessage, now: datetime) -> bool:
    """Take a message for sending (committed), so two transports never both send it."""
    taken = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.sent_at.is_(None))
        .values(sent_at=now),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    if getattr(taken, "rowcount", 0) != 1:
        return False
    session.refresh(message)
    return True


def mark_sent(message: OutboxMessage, now: datetime) -> None:
    """The message left: keep the envelope for the record, erase the body."""
    message.sent_at = now
    message.body = None


def mark_expired(message: OutboxMessage, now: datetime) -> None:
    """Too late to send (an expired PIN): erase the body, never send it."""
    message.sent_at = now
    message.body = None
    message.last_error = "expired before it could be sent"


def mark_failed(message: OutboxMessage, error: str) -> None:
    """Keep the message for the next attempt, with a short reason (no body)."""
    message.sent_at = None
    message.attempts += 1
    message.last_error = error[:200]
