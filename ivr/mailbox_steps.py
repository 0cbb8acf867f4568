"""Operations of the mailbox nodes (menus/mailbox_flow.py): listening.

Greetings and the recorded name: ivr/greeting_steps.py.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import phonenumbers
from babel.dates import format_date, format_time

from ivr import greeting_steps, media, recordings
from ivr.steps import StepContext
from menus.catalogue import VOICES
from menus.operations import Deleted, MessageCount, MessageKind, NextMessage, PreviousMessage
from store import messages
from store.models import Line, Message

# The messages played in this call, in order, and where the subscriber is among them.
SEEN = "messages_seen"
AT = "message_at"
CURRENT = "message_id"


def count_messages(c: StepContext, _digits: str | None) -> MessageCount:
    """Announce the counts (how many new ones are urgent) and start from the first message."""
    line = greeting_steps.mailbox_line(c)
    new, saved = messages.count_messages(c.session, line.id)
    urgent = messages.count_urgent(c.session, line.id)
    c.values.update(new_count=new, saved_count=saved, urgent_count=urgent)
    c.memory[SEEN], c.memory[AT] = [], -1
    if not new + saved:
        return MessageCount.NONE
    return MessageCount.URGENT if urgent else MessageCount.SOME


def next_message(c: StepContext, _digits: str | None) -> NextMessage:
    """Play the message after the current one: one heard again, or the next unheard."""
    line, seen = greeting_steps.mailbox_line(c), c.memory.get(SEEN, [])
    for at in range(c.memory.get(AT, -1) + 1, len(seen)):
        message = _message(c, line, seen[at])
        if message is not None:
            return NextMessage(_play(c, line, message, at))
    message = messages.next_message(c.session, line.id, seen)
    if message is None:
        for name in (CURRENT, "message_url"):
            c.memory.pop(name, None)
        c.memory[AT] = len(seen) - 1
        return NextMessage.NONE
    c.memory[SEEN] = [*seen, message.id]
    messages.mark_heard(c.session, message.id)  # it is saved once heard
    return NextMessage(_play(c, line, message, len(seen)))


def previous_message(c: StepContext, _digits: str | None) -> PreviousMessage:
    """Play the message before the current one, if any is left."""
    line, seen = greeting_steps.mailbox_line(c), c.memory.get(SEEN, [])
    for at in range(c.memory.get(AT, 0) - 1, -1, -1):
        message = _message(c, line, seen[at])
        if message is not None:
            return PreviousMessage(_play(c, line, message, at))
    return PreviousMessage.FIRST


def current_message(c: StepContext, _digits: str | None) -> MessageKind:
    """The envelope of the message being heard, again."""
    line = greeting_steps.mailbox_line(c)
    message = _message(c, line, c.memory.get(CURRENT))
    if message is None:
        return MessageKind.UNKNOWN
    c.values.update(_envelope(line, message))
    return _kind(c, message)


def _message(c: StepContext, line: Line, message_id: int | None) -> Message | None:
    """One of the line's messages, if it is still there."""
    message = c.session.get(Message, message_id) if message_id is not None else None
    return message if message is not None and message.line_id == line.id else None


def _play(c: StepContext, line: Line, message: Message, at: int) -> MessageKind:
    """Make `message` the current one: its envelope, its recording."""
    c.memory[AT], c.memory[CURRENT] = at, message.id
    c.memory["message_url"] = media.playback_url(message.stored_key, message.recording_url)
    c.values.update(_envelope(line, message))
    return _kind(c, message)


def _kind(c: StepContext, message: Message) -> MessageKind:
    if c.values.get("caller"):
        return MessageKind.URGENT_KNOWN if message.urgent else MessageKind.KNOWN
    return MessageKind.URGENT_UNKNOWN if message.urgent else MessageKind.UNKNOWN


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


def delete_message(c: StepContext, _digits: str | None) -> Deleted:
    """Delete the message just heard, here and on the platform."""
    message_id = c.memory.pop(CURRENT, None)
    c.memory.pop("message_url", None)
    seen, at = c.memory.get(SEEN, []), c.memory.get(AT, -1)
    if message_id in seen:  # the next one is the one after it
        c.memory[SEEN] = [m for m in seen if m != message_id]
        c.memory[AT] = at - 1
    if message_id is not None:
        sid = messages.delete_message(c.session, greeting_steps.mailbox_line(c).id, message_id)
        if sid:
            recordings.delete_recordings([sid])
    return Deleted.DELETED


OPERATIONS = {
    "count_messages": count_messages,
    "next_message": next_message,
    "previous_message": previous_message,
    "current_message": current_message,
    "delete_message": delete_message,
    **greeting_steps.OPERATIONS,
}
