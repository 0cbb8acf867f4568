"""E-mails to subscribers: written to an outbox in the same transaction as the change.

Whatever door reset a mailbox or issued a PIN, the notice is queued with it
and goes out only if that change is committed. The mail transport
(ivr/mail.py) is the only reader: it sends through SMTP, erases the body and
marks the message sent. Nothing else ever shows an outbox body.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from store.db import commits
from store.models import Line, OutboxMessage

# Message ids queued by a session, for a transport that sends right after commit.
QUEUED = "ivr.outbox.queued"

RESET_NOTICE = "reset_notice"
TEMPORARY_PIN = "temporary_pin"
LOCK_NOTICE = "lock_notice"

# kind -> language -> (subject, body); bodies are str.format templates.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    RESET_NOTICE: {
        "en": (
            "Your voicemail secret code was reset",
            "Customer service reset the voicemail of your line {number} on {when} (UTC).\n"
            "Your messages and greeting are kept. To use your voicemail remotely again,\n"
            "create a new secret code from your fixed line: call your voicemail, press 2,\n"
            "then 2.\n\nIf you did not ask for this, please call customer service.\n",
        ),
        "fr": (
            "Votre code secret de messagerie a été réinitialisé",
            "Le service client a réinitialisé la messagerie de votre ligne {number} le {when}"
            " (UTC).\nVos messages et votre annonce sont conservés. Pour consulter votre\n"
            "messagerie à distance, créez un nouveau code depuis votre ligne fixe :\n"
            "appelez votre messagerie, tapez 2, puis 2.\n\n"
            "Si vous n'êtes pas à l'origine de cette demande, appelez le service client.\n",
        ),
        "de": (
            "Ihr Mailbox-Geheimcode wurde zurückgesetzt",
            "Der Kundendienst hat die Mailbox Ihres Anschlusses {number} am {when} (UTC)\n"
            "zurückgesetzt. Ihre Nachrichten und Ihre Ansage bleiben erhalten. Um Ihre\n"
            "Mailbox wieder von unterwegs abzufragen, legen Sie an Ihrem Festnetzanschluss\n"
            "einen neuen Code an: Mailbox anrufen, 2 drücken, dann 2.\n\n"
            "Falls Sie das nicht veranlasst haben, rufen Sie bitte den Kundendienst an.\n",
        ),
    },
    LOCK_NOTICE: {
        "en": (
            "Your voicemail was locked",
            "Your voicemail on the line {number} was locked on {when}\n"
            "after three wrong secret codes, entered at these times from these numbers:\n"
            "{strikes}\n\n"
            "If these calls were not yours, someone who knows your line number tried\n"
            "to guess your code. Your messages are safe. Please call customer service\n"
            "to unlock your voicemail and choose a new code.\n",
        ),
        "fr": (
            "Votre messagerie a été verrouillée",
            "La messagerie de votre ligne {number} a été verrouillée le {when}\n"
            "après trois codes secrets erronés, tapés à ces heures depuis ces numéros :\n"
            "{strikes}\n\n"
            "Si ces appels ne sont pas les vôtres, quelqu'un qui connaît votre numéro\n"
            "a essayé de deviner votre code. Vos messages sont en sécurité. Appelez le\n"
            "service client pour déverrouiller votre messagerie et choisir un nouveau code.\n",
        ),
        "de": (
            "Ihre Mailbox wurde gesperrt",
            "Die Mailbox Ihres Anschlusses {number} wurde am {when} gesperrt,\n"
            "nach drei falschen Geheimcodes, eingegeben zu diesen Zeiten von diesen Nummern:\n"
            "{strikes}\n\n"
            "Falls das nicht Ihre Anrufe waren, hat jemand, der Ihre Nummer kennt, versucht,\n"
            "Ihren Code zu erraten. Ihre Nachrichten sind sicher. Bitte rufen Sie den\n"
            "Kundendienst an, um Ihre Mailbox zu entsperren und einen neuen Code zu wählen.\n",
        ),
    },
    TEMPORARY_PIN: {
        "en": (
            "Your temporary service PIN",
            "Your temporary service PIN for the line {number} is: {pin}\n"
            "It is valid until {when} (UTC). Read it out to the adviser on the phone.\n"
            "Never give it to anyone who calls you.\n",
        ),
        "fr": (
            "Votre code PIN de service temporaire",
            "Votre code PIN de service temporaire pour la ligne {number} est : {pin}\n"
            "Il est valable jusqu'au {when} (UTC). Lisez-le au conseiller au téléphone.\n"
            "Ne le donnez jamais à quelqu'un qui vous appelle.\n",
        ),
        "de": (
            "Ihre vorübergehende Service-PIN",
            "Ihre vorübergehende Service-PIN für den Anschluss {number} lautet: {pin}\n"
            "Sie gilt bis {when} (UTC). Lesen Sie sie dem Berater am Telefon vor.\n"
            "Geben Sie sie niemals an jemanden weiter, der Sie anruft.\n",
        ),
    },
}


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def enqueue(
    session: Session,
    line: Line,
    kind: str,
    now: datetime,
    *,
    expires_at: datetime | None = None,
    send_after: datetime | None = None,
    **values: str,
) -> OutboxMessage | None:
    """Queue one e-mail to the line's address on file; None when there is none.

    Sent right after commit unless `send_after` holds it (then by `send-mail`
    once that time has passed, or as soon as `release` lets it go).
    """
    if not line.email:
        return None
    texts = TEXTS[kind]
    subject, body = texts.get(line.language, texts["en"])
    message = OutboxMessage(
        kind=kind,
        recipient=line.email,
        subject=subject,
        line_number=line.number,
        body=body.format(number=line.number, **values),
        created_at=now,
        expires_at=expires_at,
        send_after=send_after,
    )
    session.add(message)
    session.flush()
    session.info.setdefault(QUEUED, []).append(message.id)
    return message


def release(session: Session, message_id: int) -> None:
    """Let a held message go: sent right after the caller commits."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
        .values(send_after=None),
        execution_options={"synchronize_session": False},
    )
    session.info.setdefault(QUEUED, []).append(message_id)


def queue_reset_notice(session: Session, line: Line, now: datetime) -> OutboxMessage | None:
    """Tell the subscriber their mailbox was reset (SPEC §4.5)."""
    return enqueue(session, line, RESET_NOTICE, now, when=_when(now))


def queue_temporary_pin(
    session: Session, line: Line, pin: str, expires_at: datetime, now: datetime
) -> OutboxMessage | None:
    """Send a temporary service PIN to the subscriber; it is dropped unsent once expired."""
    return enqueue(
        session, line, TEMPORARY_PIN, now, expires_at=expires_at, pin=pin, when=_when(expires_at)
    )


def pending(
    session: Session,
    ids: list[int] | None = None,
    limit: int = 100,
    channel: str = "email",
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """Messages of one channel not yet sent nor held at `now`, oldest first (all, or these ids)."""
    held: ColumnElement[bool] = OutboxMessage.send_after.is_(None)
    if now is not None:
        held = or_(held, OutboxMessage.send_after <= now)
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.channel == channel, held)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
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


@commits
def mark_sent(session: Session, message: OutboxMessage, now: datetime) -> None:
    """The message left: keep the envelope for the record, erase the body."""
    message.sent_at = now
    message.body = None


@commits
def mark_expired(session: Session, message: OutboxMessage, now: datetime) -> None:
    """Too late to send (an expired PIN): erase the body, never send it."""
    message.sent_at = now
    message.body = None
    message.last_error = "expired before it could be sent"


@commits
def mark_failed(session: Session, messages: list[OutboxMessage], error: str) -> None:
    """Keep the messages for the next attempt, with a short reason (no body)."""
    for message in messages:
        message.sent_at = None
        message.attempts += 1
        message.last_error = error[:200]


def unsent_counts(session: Session) -> dict[str, int]:
    """How many messages wait in the outbox, by channel."""
    rows = session.execute(
        select(OutboxMessage.channel, func.count())
        .where(OutboxMessage.sent_at.is_(None))
        .group_by(OutboxMessage.channel)
    ).all()
    return {channel: int(count) for channel, count in rows}
