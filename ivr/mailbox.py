"""Operations of the mailbox nodes (menus/mailbox.py): listening and the greeting."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import phonenumbers
from babel.dates import format_date, format_time
from flask import request

from ivr import media, recordings
from ivr.steps import StepContext
from menus.catalogue import VOICES
from store import messages
from store.models import Line, Message

SEEN = "messages_seen"
CURRENT = "message_id"
PENDING_SID = "pending_greeting_sid"
PENDING_URL = "pending_greeting_url"


def _line(c: StepContext) -> Line:
    line = c.call.line
    assert line is not None, "the mailbox menus are reached only with a line"
    return line


def count_messages(c: StepContext, _digits: str | None) -> str:
    """Announce the counts and start listening from the first message."""
    new, saved = messages.count_messages(c.session, _line(c).id)
    c.values.update(new_count=new, saved_count=saved)
    c.memory[SEEN] = []
    return "some" if new + saved else "none"


def next_message(c: StepContext, _digits: str | None) -> str:
    """Play the next message's envelope and recording; it is saved once heard."""
    line = _line(c)
    message = messages.next_message(c.session, line.id, c.memory.get(SEEN, []))
    if message is None:
        c.memory.pop(CURRENT, None)
        c.memory.pop("message_url", None)
        return "none"
    c.memory[SEEN] = [*c.memory.get(SEEN, []), message.id]
    c.memory[CURRENT] = message.id
    c.memory["message_url"] = media.playback_url(message.stored_key, message.recording_url)
    messages.mark_heard(c.session, message.id)
    c.values.update(_envelope(line, message))
    return "known" if c.values.get("caller") else "unknown"


def _envelope(line: Line, message: Message) -> dict[str, str]:
    """Date and time in the line's language and zone, and the caller to read out."""
    locale = VOICES[line.language].language.replace("-", "_")
    local = message.received_at.astimezone(ZoneInfo(line.time_zone))
    return {
        "received_date": format_date(local, format="full", locale=locale),
        "received_time": format_time(local, format="short", locale=locale),
        "caller": caller_digits(message.caller, line.number),
    }


def caller_digits(caller: str | None, line_number: str) -> str:
    """The caller's number as the subscriber would dial it, or "" when unknown."""
    try:
        parsed = phonenumbers.parse(caller or "")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(parsed):
        return ""
    if parsed.country_code == phonenumbers.parse(line_number).country_code:
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return "".join(ch for ch in national if ch.isdigit())
    return "00" + phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]


def delete_message(c: StepContext, _digits: str | None) -> str:
    """Delete the message just heard, here and on the platform."""
    message_id = c.memory.pop(CURRENT, None)
    c.memory.pop("message_url", None)
    if message_id is not None:
        sid = messages.delete_message(c.session, _line(c).id, message_id)
        c.session.commit()
        if sid:
            recordings.delete_recordings([sid])
    return "deleted"


def hold_greeting(c: StepContext, url: str | None) -> str:
    """Keep a new greeting in the call until the subscriber confirms it."""
    old = c.memory.get(PENDING_SID)
    if old:
        recordings.delete_recordings([old])
    c.memory[PENDING_SID] = request.form.get("RecordingSid", "")[:64]
    c.memory[PENDING_URL] = (url or "")[: messages.MAX_URL_LENGTH]
    return "held"


def keep_greeting(c: StepContext, _digits: str | None) -> str:
    """Make the greeting just heard the mailbox's greeting."""
    sid, url = c.memory.pop(PENDING_SID, None), c.memory.pop(PENDING_URL, None)
    if not sid or not url:
        return "none"
    replaced = messages.set_greeting(_line(c).mailbox, messages.Recording(sid, url, 0))
    c.session.commit()
    if replaced:
        recordings.delete_recordings([replaced])
    return "saved"


def standard_greeting(c: StepContext, _digits: str | None) -> str:
    """Go back to the standard greeting."""
    replaced = messages.set_greeting(_line(c).mailbox, None)
    c.session.commit()
    if replaced:
        recordings.delete_recordings([replaced])
    return "saved"


OPERATIONS = {
    "count_messages": count_messages,
    "next_message": next_message,
    "delete_message": delete_message,
    "hold_greeting": hold_greeting,
    "keep_greeting": keep_greeting,
    "standard_greeting": standard_greeting,
}
