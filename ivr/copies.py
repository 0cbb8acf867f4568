"""Copying recordings into the operator's store, and deleting what is no longer needed.

Each is a job (store/jobs.py), queued in the transaction that made it
necessary, and safe to run twice: the copy's key comes from the recording
SID, so a retry overwrites the same object, and the message row records the
key once (`stored_key IS NULL` in the UPDATE).
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from ivr import media, notify, recordings, transcription
from store import greetings, jobs, messages

log = logging.getLogger(__name__)

FETCH_MESSAGE, FETCH_GREETING = jobs.FETCH_MESSAGE, jobs.FETCH_GREETING
DELETE_COPY, DELETE_PLATFORM = jobs.DELETE_COPY, jobs.DELETE_PLATFORM
# A message whose copy failed this many times is announced without its audio.
NOTIFY_AFTER_FAILURES = 3


class Retry(Exception):
    """The job failed in a way worth trying again later."""


def _fetch(sid: str, url: str, folder: str) -> str:
    """Fetch from the platform and write the store; the key. Raises Retry or PlatformError."""
    audio, kind = recordings.fetch_recording(url)
    key = media.key_for(folder, sid, kind)
    try:
        media.store().put(key, audio, kind)
    except Exception as error:  # noqa: BLE001 - any store failure (disk, S3) is retried
        raise Retry(f"store: {type(error).__name__}: {error}") from None
    return key


def _end_transaction(session: Session, row: object) -> None:
    """Keep what was read, and hold no transaction while the platform answers."""
    session.expunge(row)
    session.rollback()


def fetch_message(session: Session, sid: str, job: jobs.Claimed, now: datetime) -> None:
    """Copy a message's recording; then notify, and let the platform copy go."""
    message = messages.by_recording(session, sid)
    if message is None or message.stored_key:
        return  # deleted meanwhile (its copy, if any, is deleted by its own job), or done
    _end_transaction(session, message)
    try:
        key = _fetch(sid, message.recording_url, "messages")
    except recordings.PlatformError as error:
        if not error.retryable or job.attempts >= NOTIFY_AFTER_FAILURES:
            notify.message_arrived(session, message, now, audio_key=None)  # without audio
            session.commit()
        if not error.retryable:
            raise  # given up: the message keeps playing from the platform while it can
        raise Retry(str(error)) from None
    if not messages.record_copy(session, message.id, key):
        session.rollback()  # deleted while we fetched: the copy goes too
        media.store().delete(key)
        return
    text = messages.transcript_of(session, message.id)
    deadline = transcription.awaited_until(message.received_at, text, now)
    if deadline is not None:  # the notice waits a little for the text, never longer
        jobs.enqueue(session, jobs.NOTIFY_MESSAGE, sid, deadline, again=True)
    else:
        notify.message_arrived(session, message, now, audio_key=key)
    _release_platform_copy(session, sid, now)


def fetch_greeting(session: Session, sid: str, _job: jobs.Claimed, now: datetime) -> None:
    """Copy a greeting's recording, if it is still the mailbox's greeting."""
    mailbox = greetings.by_greeting_recording(session, sid)
    if mailbox is None or mailbox.greeting_key or not mailbox.greeting_url:
        return
    _end_transaction(session, mailbox)
    try:
        key = _fetch(sid, mailbox.greeting_url, "greetings")
    except recordings.PlatformError as error:
        if not error.retryable:
            return
        raise Retry(str(error)) from None
    if not greetings.record_greeting_copy(session, mailbox.line_id, sid, key):
        session.rollback()
        media.store().delete(key)
        return
    _release_platform_copy(session, sid, now)


def _release_platform_copy(session: Session, sid: str, now: datetime) -> None:
    if current_app.config["IVR_DELETE_PLATFORM_RECORDINGS"]:
        jobs.enqueue(session, DELETE_PLATFORM, sid, now)


def delete_copy(_session: Session, key: str, _job: jobs.Claimed, _now: datetime) -> None:
    """Delete a stored copy (already gone is fine)."""
    try:
        media.store().delete(key)
    except Exception as error:  # noqa: BLE001 - retried
        raise Retry(f"store: {type(error).__name__}") from None


def delete_platform(_session: Session, sid: str, _job: jobs.Claimed, _now: datetime) -> None:
    """Delete the platform's copy of a recording we hold."""
    if not recordings.has_api():
        return  # no REST account: the platform's own retention applies
    if recordings.delete_recordings([sid]) != 1:
        raise Retry("the platform did not delete it")


HANDLERS = {
    FETCH_MESSAGE: fetch_message,
    FETCH_GREETING: fetch_greeting,
    DELETE_COPY: delete_copy,
    DELETE_PLATFORM: delete_platform,
}
