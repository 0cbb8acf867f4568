"""Leaving a message (SPEC §3): the deposit webhook, its operations, and the
recording status callback that stores the message.

The callback URL names the mailbox (the platform signs it); the message is
stored only if the CallSid is a deposit call to that mailbox, which still
holds when the callback arrives after the call's `completed` status.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request, url_for

from ivr import media, recordings, voice
from ivr.database import db
from ivr.signature import signed
from ivr.steps import StepContext, call_sid, enter
from ivr.twiml import twiml
from store.lines import lookup_line, national_digits
from store.messages import MAX_URL_LENGTH, Recording, Stored, is_full, store_message
from store.models import Call, Line

log = logging.getLogger(__name__)
bp = Blueprint("deposit", __name__, url_prefix="/voice")
bp.register_error_handler(Exception, voice.answer_errors)


@bp.post("/deposit")
@signed
def deposit() -> Response:
    """An unanswered call forwarded to voicemail: the mailbox is ForwardedFrom, else To."""
    mailbox = request.form.get("ForwardedFrom") or request.form.get("To", "")
    line = lookup_line(db(), mailbox, current_app.config["IVR_DEFAULT_REGION"])
    return enter("deposit", line, home=False)


@bp.post("/recording/<int:line_id>")
@signed
def recording(line_id: int) -> Response:
    """Recording status callback: store the message once, whenever it arrives."""
    sid = call_sid()
    found = _recording()
    session = db()
    call = session.get(Call, sid) if sid else None
    if found is None or call is None or call.flow != "deposit" or call.line_id != line_id:
        return twiml("<Response/>")
    line = session.get(Line, line_id)
    assert line is not None
    stored = store_message(
        session, line, found, caller=call.caller or None, received_at=call.started_at,
        max_messages=current_app.config["IVR_MAX_MESSAGES"],
    )
    log.info("recording for line %s: %s", line_id, stored.value)
    if stored in (Stored.FULL, Stored.EMPTY):
        recordings.delete_recordings([found.sid])
    return twiml("<Response/>")


def _recording() -> Recording | None:
    """The finished recording posted by the platform, if it is one worth storing."""
    form = request.form
    sid, url = form.get("RecordingSid", ""), form.get("RecordingUrl", "")
    if form.get("RecordingStatus", "completed") != "completed":
        return None
    if not sid or len(sid) > 64 or not sid.isalnum() or not url or len(url) > MAX_URL_LENGTH:
        return None
    try:
        duration = int(form.get("RecordingDuration", "0"))
    except ValueError:
        return None
    return Recording(sid, url, duration)


# -- Operations of the deposit flow (menus/deposit.py) ------------------------


def route_deposit(c: StepContext, _digits: str | None) -> str:
    """Which greeting to play, or why no message can be left."""
    line = c.call.line
    if line is None:
        return "unknown"
    if is_full(c.session, line.id, c.settings["IVR_MAX_MESSAGES"]):
        return "full"
    c.memory["max_message_seconds"] = c.settings["IVR_MAX_MESSAGE_SECONDS"]
    c.memory["recording_callback"] = url_for("deposit.recording", line_id=line.id,
                                             _external=True)
    c.memory["mailbox_number"] = national_digits(line.number)
    if c.settings.get("IVR_TRANSCRIBE"):
        c.memory["transcription_callback"] = url_for("transcription.transcribed",
                                                     line_id=line.id, _external=True)
    if line.mailbox.greeting_url:
        c.memory["greeting_url"] = media.playback_url(line.mailbox.greeting_key,
                                                      line.mailbox.greeting_url)
        return "personal"
    return "standard"


def message_left(_c: StepContext, _recording_url: str | None) -> str:
    """The caller finished recording; the message is stored by the status callback."""
    return "left"


OPERATIONS = {"route_deposit": route_deposit, "message_left": message_left}
