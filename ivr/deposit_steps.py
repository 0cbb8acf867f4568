"""Leaving a message (SPEC §3): the deposit webhook, its operations, and the
recording status callback that stores the message.

The callback URL names the mailbox (the platform signs it); the message is
stored only if the CallSid is a deposit call to that mailbox, which still
holds when the callback arrives after the call's `completed` status. It is
the one place that stores a message: the caller's review choices (urgent,
record again) are kept apart and applied by whichever comes second.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request, url_for

from ivr import media, recordings, voice
from ivr.database import db
from ivr.signature import signed
from ivr.steps import StepContext, call_sid, enter
from ivr.twiml import Destination, twiml
from menus.engine import MAX_REPEATS
from menus.flow import Transfer
from menus.operations import DepositRoute, Discarded, Marked, MessageLeft, Ready, YesNo
from store import greetings, messages
from store.lines import lookup_line, national_digits
from store.messages import (
    MAX_URL_LENGTH,
    Recording,
    Stored,
    choose,
    discard_recording,
    is_full,
    store_message,
)
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
    session.commit()  # end the read: storing starts with the mailbox's lock
    stored = store_message(
        session,
        line,
        found,
        caller=call.caller or None,
        received_at=call.started_at,
        max_messages=current_app.config["IVR_MAX_MESSAGES"],
        min_seconds=current_app.config["IVR_MIN_MESSAGE_SECONDS"],
    )
    log.info("recording for line %s: %s", line_id, stored.value)
    if stored in (Stored.FULL, Stored.EMPTY, Stored.SHORT, Stored.DISCARDED):
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


# -- Operations of the deposit flow (menus/deposit_flow.py) ------------------------

LEFT_SID = "left_sid"
LEFT_URL = "left_url"
SHORT_TRIES = "short_recordings"


def route_deposit(c: StepContext, _digits: str | None) -> DepositRoute:
    """Which greeting to play, or why no message can be left."""
    line = c.call.line
    if line is None:
        return DepositRoute.UNKNOWN
    if is_full(c.session, line.id, c.settings["IVR_MAX_MESSAGES"]):
        return DepositRoute.FULL
    c.memory["max_message_seconds"] = c.settings["IVR_MAX_MESSAGE_SECONDS"]
    c.memory["recording_callback"] = url_for("deposit.recording", line_id=line.id, _external=True)
    if c.settings.get("IVR_TRANSCRIBE"):
        c.memory["transcription_callback"] = url_for(
            "transcription.transcribed", line_id=line.id, _external=True
        )
    box = line.mailbox
    chosen = greetings.greeting(box, c.now)
    if chosen is greetings.Greeting.AWAY:
        c.memory["away_url"] = box.away_url
    elif chosen is greetings.Greeting.PERSONAL:
        c.memory["greeting_url"] = media.playback_url(box.greeting_key, box.greeting_url or "")
    elif chosen is greetings.Greeting.NAME:
        c.memory["name_url"] = box.name_url
    else:
        c.memory["mailbox_number"] = national_digits(line.number)
    return DepositRoute(chosen)


def operator_configured(c: StepContext, _digits: str | None) -> YesNo:
    """Whether `0` during the greeting can reach a person (IVR_OPERATOR_DIAL)."""
    return YesNo.YES if c.settings.get("IVR_OPERATOR_DIAL") else YesNo.NO


def operator(_call: Call, _node: Transfer) -> Destination | None:
    """The operator a caller reaches with `0` during the greeting."""
    address = current_app.config.get("IVR_OPERATOR_DIAL")
    return Destination(address) if address else None


def message_left(c: StepContext, recording_url: str | None) -> MessageLeft:
    """The caller finished recording: `#` opens the review, anything else sends it.

    The message is stored by the status callback, whatever the caller does
    next; a recording too short to be a message is not, and is asked again.
    """
    form = request.form
    c.memory[LEFT_SID] = form.get("RecordingSid", "")[:64]
    c.memory[LEFT_URL] = (recording_url or "")[:MAX_URL_LENGTH]
    try:
        seconds = int(form.get("RecordingDuration", ""))
    except ValueError:
        seconds = c.settings["IVR_MIN_MESSAGE_SECONDS"]  # not said: the callback decides
    if seconds < c.settings["IVR_MIN_MESSAGE_SECONDS"]:
        tries = c.memory[SHORT_TRIES] = c.memory.get(SHORT_TRIES, 0) + 1
        return MessageLeft.SHORT if tries <= MAX_REPEATS else MessageLeft.GAVE_UP
    return MessageLeft.REVIEW if form.get("Digits") == "#" else MessageLeft.LEFT


def listen_left(c: StepContext, _digits: str | None) -> Ready:
    """The recording just made, from our own copy once the message has one."""
    sid = c.memory.get(LEFT_SID, "")
    message = messages.by_recording(c.session, sid) if sid else None
    if message is not None and message.line_id == c.call.line_id:
        c.memory[LEFT_URL] = media.playback_url(message.stored_key, message.recording_url)
    return Ready.READY


def record_again(c: StepContext, _digits: str | None) -> Discarded:
    """Forget the recording just made (stored or not yet) and record a new one."""
    line, sid = c.call.line, c.memory.pop(LEFT_SID, "")
    c.memory.pop(LEFT_URL, None)
    if line is not None and sid:
        stored = discard_recording(c.session, line.id, sid, c.now)
        if stored:
            recordings.delete_recordings([stored])
    return Discarded.DISCARDED


def mark_urgent(c: StepContext, _digits: str | None) -> Marked:
    """Mark the recording just made urgent (stored or not yet); it is sent."""
    line, sid = c.call.line, c.memory.get(LEFT_SID, "")
    if line is not None and sid:
        choose(c.session, line.id, sid, c.now, urgent=True)
    return Marked.MARKED


OPERATIONS = {
    "route_deposit": route_deposit,
    "operator_configured": operator_configured,
    "message_left": message_left,
    "listen_left": listen_left,
    "record_again": record_again,
    "mark_urgent": mark_urgent,
}
DESTINATIONS = {"operator": operator}
