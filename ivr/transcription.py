"""Transcriptions (IVR_TRANSCRIBE=1): the platform's signed callback, and the notice's wait.

The deposit's `<Record>` asks for a transcription when IVR_TRANSCRIBE is
set; the platform posts it to `/voice/transcription/<line id>` (signed like
every webhook). The notice waits for it at most IVR_TRANSCRIBE_WAIT_SECONDS
after the message arrived: a missing or failed transcription never holds it
longer (a `notify_message` job due at that deadline sends it anyway).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Blueprint, Response, current_app, request
from sqlalchemy.orm import Session

from ivr import notify, voice
from ivr.database import db
from ivr.doors import now
from ivr.signature import signed
from ivr.twiml import twiml
from store import jobs, messages

log = logging.getLogger(__name__)
bp = Blueprint("transcription", __name__, url_prefix="/voice")
bp.register_error_handler(Exception, voice.answer_errors)
MAX_TRANSCRIPT = 4000


def awaited_until(received_at: datetime, transcript: str | None, now: datetime) -> datetime | None:
    """When the notice stops waiting for a transcription; None: do not wait."""
    if not current_app.config["IVR_TRANSCRIBE"] or transcript is not None:
        return None
    deadline = received_at + timedelta(seconds=current_app.config["IVR_TRANSCRIBE_WAIT_SECONDS"])
    return deadline if deadline > now else None


@bp.post("/transcription/<int:line_id>")
@signed
def transcribed(line_id: int) -> Response:
    """Keep the message's text (once); the notice goes now if the copy is done."""
    form = request.form
    session = db()
    message = messages.find_recording(session, line_id, form.get("RecordingSid", ""))
    if message is None or message.transcript is not None:
        return twiml("<Response/>")
    completed = form.get("TranscriptionStatus") == "completed"
    text = form.get("TranscriptionText", "")[:MAX_TRANSCRIPT] if completed else ""
    messages.keep_transcript(session, message, text, now())
    log.info("transcription for line %s: %s", line_id, "completed" if completed else "failed")
    return twiml("<Response/>")


def notify_message(session: Session, sid: str, _job: jobs.Claimed, now: datetime) -> None:
    """The notice that waited for a transcription (or its deadline)."""
    message = messages.by_recording(session, sid)
    if message is not None:
        notify.message_arrived(session, message, now, audio_key=message.stored_key)


HANDLERS = {jobs.NOTIFY_MESSAGE: notify_message}
