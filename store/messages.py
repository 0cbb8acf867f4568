"""Voicemail messages and greetings: storing, counting, listening, retention.

A message is stored once per recording (its SID is unique), from the
platform's recording status callback, which may arrive after the call ended.
What the caller chose at the review (urgent, record again) is kept as a
`CallerChoice` and applied whichever of the two comes second: both take the
mailbox's row lock first.
Deleting a message here does not touch the platform: the caller of
`delete_message` and `purge_messages` deletes the recordings they return.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from store import jobs
from store.db import commits
from store.models import CallerChoice, Line, Mailbox, Message, utcnow

MAX_URL_LENGTH = 512


class Stored(enum.Enum):
    """What became of a finished recording."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    EMPTY = "empty"
    SHORT = "short"
    DISCARDED = "discarded"
    FULL = "full"


@dataclass(frozen=True)
class Recording:
    """A finished recording as the platform reports it."""

    sid: str
    url: str
    duration: int


def count_messages(session: Session, line_id: int) -> tuple[int, int]:
    """(new, saved) messages in the line's mailbox."""
    rows = session.execute(
        select(Message.heard, func.count())
        .where(Message.line_id == line_id)
        .group_by(Message.heard)
    ).all()
    counts = {bool(heard): int(count) for heard, count in rows}
    return counts.get(False, 0), counts.get(True, 0)


def count_urgent(session: Session, line_id: int) -> int:
    """New messages marked urgent by their caller."""
    return int(
        session.scalar(
            select(func.count()).where(
                Message.line_id == line_id, Message.urgent.is_(True), Message.heard.is_(False)
            )
        )
        or 0
    )


def message_counts(session: Session, line_id: int) -> dict[str, int]:
    """New, saved and urgent (new) messages, as the console and the API show them."""
    new, saved = count_messages(session, line_id)
    return {"new": new, "saved": saved, "urgent": count_urgent(session, line_id)}


def is_full(session: Session, line_id: int, max_messages: int) -> bool:
    """Whether the mailbox holds as many messages as it may."""
    return sum(count_messages(session, line_id)) >= max_messages


def store_message(
    session: Session,
    line: Line,
    recording: Recording,
    *,
    caller: str | None,
    received_at: datetime,
    max_messages: int,
    min_seconds: int = 1,
) -> Stored:
    """Store a new message, unless empty, shorter than `min_seconds`, recorded again by
    its caller, already stored, or the mailbox is full; marked urgent if the caller chose so.

    Starts its own transaction with the mailbox's lock and commits (a
    concurrent duplicate is caught by the unique SID).
    """
    if recording.duration <= 0 or not recording.url:
        return Stored.EMPTY
    if recording.duration < min_seconds:
        return Stored.SHORT
    lock_mailbox(session, line.id)
    choice = session.get(CallerChoice, recording.sid, populate_existing=True)
    if choice is not None and choice.discarded:
        session.rollback()
        return Stored.DISCARDED
    if session.scalar(select(Message.id).where(Message.recording_sid == recording.sid)):
        session.rollback()
        return Stored.DUPLICATE
    if is_full(session, line.id, max_messages):
        session.rollback()
        return Stored.FULL
    message = Message(
        line_id=line.id,
        caller=caller,
        received_at=received_at,
        duration=recording.duration,
        recording_sid=recording.sid,
        recording_url=recording.url,
        heard=False,
        urgent=bool(choice and choice.urgent),
    )
    session.add(message)
    # Copied into the operator's store by a job queued with the message, never without it.
    jobs.enqueue(session, jobs.FETCH_MESSAGE, recording.sid, utcnow())
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return Stored.DUPLICATE
    return Stored.STORED


def lock_mailbox(session: Session, line_id: int) -> None:
    """Take the mailbox's row lock for the rest of the transaction (a write on SQLite)."""
    session.execute(
        update(Mailbox).where(Mailbox.line_id == line_id).values(strikes=Mailbox.strikes),
        execution_options={"synchronize_session": False},
    )


def choose(
    session: Session,
    line_id: int,
    recording_sid: str,
    now: datetime,
    *,
    urgent: bool = False,
    discarded: bool = False,
) -> str | None:
    """Record the caller's choice for a recording and apply it if already stored.

    Returns the recording SID when a stored message was deleted (recorded
    again), for the platform copy to be deleted. Part of the caller's
    transaction (a call's step).
    """
    lock_mailbox(session, line_id)
    choice = session.get(CallerChoice, recording_sid, populate_existing=True)
    if choice is None:
        choice = CallerChoice(recording_sid=recording_sid, line_id=line_id)
        session.add(choice)
    elif choice.line_id != line_id:
        return None
    choice.urgent, choice.discarded, choice.chosen_at = urgent, discarded, now
    message = session.scalars(
        select(Message).where(Message.recording_sid == recording_sid, Message.line_id == line_id)
    ).first()
    if message is None:
        return None
    if discarded:
        return _delete(session, line_id, message.id)
    message.urgent = urgent
    return None


@commits
def discard_recording(
    session: Session, line_id: int, recording_sid: str, now: datetime
) -> str | None:
    """The caller records again: the recording just made goes, stored or not yet.

    Returns its SID if a stored message was deleted, for the platform copy
    to be deleted once this is committed.
    """
    return choose(session, line_id, recording_sid, now, discarded=True)


def next_message(session: Session, line_id: int, skip: Sequence[int]) -> Message | None:
    """The next message to play: new ones first, urgent first, oldest first, leaving out `skip`."""
    return session.scalars(
        select(Message)
        .where(Message.line_id == line_id, Message.id.not_in(list(skip)))
        .order_by(Message.heard, Message.urgent.desc(), Message.received_at, Message.id)
        .limit(1)
    ).first()


def find_recording(session: Session, line_id: int, recording_sid: str) -> Message | None:
    """The line's message made from this recording, if any."""
    return session.scalar(
        select(Message).where(Message.recording_sid == recording_sid, Message.line_id == line_id)
    )


@commits
def keep_transcript(session: Session, message: Message, text: str, now: datetime) -> None:
    """Keep a message's transcription ("" when it failed); its notice goes once copied.

    A message not yet copied is notified by its copy's job, with this text.
    """
    message.transcript = text
    if message.stored_key:
        jobs.enqueue(session, jobs.NOTIFY_MESSAGE, message.recording_sid, now, again=True)


def mark_heard(session: Session, message_id: int) -> None:
    """A message played once is saved, in the caller's transaction (a call's step)."""
    message = session.get(Message, message_id)
    if message is not None:
        message.heard = True


def _drop_copy(session: Session, key: str | None) -> None:
    """The stored copy of a recording no longer kept is deleted by a job."""
    if key:
        jobs.enqueue(session, jobs.DELETE_COPY, key, utcnow())


@commits
def delete_message(session: Session, line_id: int, message_id: int) -> str | None:
    """Delete one of the line's messages (and its copy); its recording SID."""
    return _delete(session, line_id, message_id)


def _delete(session: Session, line_id: int, message_id: int) -> str | None:
    message = session.get(Message, message_id)
    if message is None or message.line_id != line_id:
        return None
    session.delete(message)
    _drop_copy(session, message.stored_key)
    return message.recording_sid


@dataclass(frozen=True)
class Purged:
    """What a purge deleted: recording SIDs (for the platform) and the lines touched."""

    sids: list[str]
    line_ids: set[int]


def purge_messages(session: Session, now: datetime, older_than: timedelta) -> Purged:
    """Delete messages received before `now - older_than`, and their stored copies."""
    cutoff = now - older_than
    rows = session.execute(
        select(Message.recording_sid, Message.stored_key, Message.line_id).where(
            Message.received_at < cutoff
        )
    ).all()
    session.execute(
        delete(Message).where(Message.received_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        delete(CallerChoice).where(CallerChoice.chosen_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    for row in rows:
        _drop_copy(session, row.stored_key)
    return Purged([row.recording_sid for row in rows], {row.line_id for row in rows})


def set_greeting(mailbox: Mailbox, recording: Recording | None) -> str | None:
    """Use a personal greeting (None: the standard one); the replaced recording's SID.

    A new greeting is copied into the operator's store by a job; a replaced
    one's copy is deleted. The caller commits.
    """
    replaced = mailbox.greeting_sid
    if replaced == (recording.sid if recording else None):
        return None
    session = object_session(mailbox)
    if session is not None:
        _drop_copy(session, mailbox.greeting_key)
        if recording:
            jobs.enqueue(session, jobs.FETCH_GREETING, recording.sid, utcnow())
    mailbox.greeting_sid = recording.sid if recording else None
    mailbox.greeting_url = recording.url if recording else None
    mailbox.greeting_key = None
    return replaced


def by_recording(session: Session, recording_sid: str) -> Message | None:
    """The message made from this recording, on any line, if any."""
    return session.scalar(select(Message).where(Message.recording_sid == recording_sid))


def record_copy(session: Session, message_id: int, key: str) -> bool:
    """Note our copy of the message's audio, unless it has one or is gone; part of the caller's
    transaction. False: the copy is not wanted (deleted meanwhile, or copied by another run)."""
    return _set_once(session, message_id, "stored_key", key)


def transcript_of(session: Session, message_id: int) -> str | None:
    """The message's transcript as stored now (another transaction may have written it)."""
    return session.scalar(select(Message.transcript).where(Message.id == message_id))


def claim_notice(session: Session, message_id: int, now: datetime) -> bool:
    """Mark the message notified, once ever; part of the caller's transaction.

    True for the one transaction that marks it: that one queues the notice.
    """
    return _set_once(session, message_id, "notified_at", now)


def _set_once(session: Session, message_id: int, column: str, value: object) -> bool:
    """Set the message's `column` to `value` only while it is NULL (a compare-and-set).

    True for the one transaction whose UPDATE matched the row.
    """
    field = getattr(Message, column)
    changed = session.execute(
        update(Message).where(Message.id == message_id, field.is_(None)).values({column: value}),
        execution_options={"synchronize_session": False},
    )
    return getattr(changed, "rowcount", 0) == 1
