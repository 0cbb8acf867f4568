"""Operations of the greeting nodes (menus/mailbox_flow.py): personal greeting, recorded name,
away greeting, and the reminder said on entering the mailbox while one is on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from babel.dates import format_date
from flask import request

from ivr import recordings
from ivr.steps import StepContext
from menus.catalogue import VOICES
from menus.operations import DateChosen, Held, Kept, OnOff, Saved
from store import greetings, messages
from store.models import Line, Mailbox

# A recording held in the call until the subscriber keeps it.
PENDING_SID = "pending_greeting_sid"
PENDING_URL = "pending_greeting_url"
# The end of the away greeting being recorded (ISO 8601, UTC).
AWAY_UNTIL = "pending_away_until"


def mailbox_line(c: StepContext) -> Line:
    """The line whose mailbox menus the call is in."""
    line = c.call.line
    assert line is not None, "the mailbox menus are reached only with a line"
    return line


def _deleted(c: StepContext, replaced: str | None) -> None:
    """Commit, then delete the replaced recording on the platform."""
    c.session.commit()
    if replaced:
        recordings.delete_recordings([replaced])


def _say_away_until(c: StepContext, line: Line) -> None:
    until = line.mailbox.away_until
    assert until is not None
    locale = VOICES[line.language].language.replace("-", "_")
    c.values["away_until"] = format_date(
        greetings.last_away_day(line, until), format="long", locale=locale
    )


def away_reminder(c: StepContext, _digits: str | None) -> OnOff:
    """On entering the mailbox: remind the subscriber an away greeting is on."""
    line = mailbox_line(c)
    expired = greetings.expire_away(line.mailbox, c.now)
    if expired:
        _deleted(c, expired)
    if not greetings.away_active(line.mailbox, c.now):
        return OnOff.OFF
    _say_away_until(c, line)
    return OnOff.ON


def hold_greeting(c: StepContext, url: str | None) -> Held:
    """Keep a new recording (greeting, name, away) in the call until the subscriber keeps it."""
    old = c.memory.get(PENDING_SID)
    if old:
        recordings.delete_recordings([old])
    c.memory[PENDING_SID] = request.form.get("RecordingSid", "")[:64]
    c.memory[PENDING_URL] = (url or "")[: messages.MAX_URL_LENGTH]
    return Held.HELD


def _pending(c: StepContext) -> messages.Recording | None:
    sid, url = c.memory.pop(PENDING_SID, None), c.memory.pop(PENDING_URL, None)
    return messages.Recording(sid, url, 0) if sid and url else None


def keep_greeting(c: StepContext, _digits: str | None) -> Kept:
    """Make the greeting just heard the mailbox's greeting."""
    return _keep(c, messages.set_greeting)


def _keep(c: StepContext, keep: Callable[[Mailbox, messages.Recording], str | None]) -> Kept:
    """Keep the recording just heard with `keep`; the one it replaces is deleted."""
    recording = _pending(c)
    if recording is None:
        return Kept.NONE
    _deleted(c, keep(mailbox_line(c).mailbox, recording))
    return Kept.SAVED


def standard_greeting(c: StepContext, _digits: str | None) -> Saved:
    """Go back to the standard greeting."""
    _deleted(c, messages.set_greeting(mailbox_line(c).mailbox, None))
    return Saved.SAVED


def keep_name(c: StepContext, _digits: str | None) -> Kept:
    """Make the name just heard the one said in the standard greeting."""
    return _keep(c, greetings.set_name)


def away_state(c: StepContext, _digits: str | None) -> OnOff:
    """Whether an away greeting is on (and until when)."""
    line = mailbox_line(c)
    if not greetings.away_active(line.mailbox, c.now):
        return OnOff.OFF
    _say_away_until(c, line)
    return OnOff.ON


def choose_away_date(c: StepContext, digits: str | None) -> DateChosen:
    """The last away day typed as DDMM, within the coming year."""
    until = greetings.away_end(mailbox_line(c), digits or "", c.now)
    if until is None:
        return DateChosen.INVALID
    c.memory[AWAY_UNTIL] = until.isoformat()
    return DateChosen.OK


def keep_away(c: StepContext, _digits: str | None) -> Kept:
    """Turn the away greeting just heard on until the day chosen."""
    recording, until = _pending(c), c.memory.pop(AWAY_UNTIL, None)
    if recording is None or until is None:
        return Kept.NONE
    line = mailbox_line(c)
    replaced = greetings.set_away(line.mailbox, recording, datetime.fromisoformat(until))
    _say_away_until(c, line)
    _deleted(c, replaced)
    return Kept.SAVED


def away_off(c: StepContext, _digits: str | None) -> Saved:
    """Turn the away greeting off now."""
    _deleted(c, greetings.set_away(mailbox_line(c).mailbox, None, None))
    return Saved.SAVED


OPERATIONS = {
    "away_reminder": away_reminder,
    "hold_greeting": hold_greeting,
    "keep_greeting": keep_greeting,
    "standard_greeting": standard_greeting,
    "keep_name": keep_name,
    "away_state": away_state,
    "choose_away_date": choose_away_date,
    "keep_away": keep_away,
    "away_off": away_off,
}
