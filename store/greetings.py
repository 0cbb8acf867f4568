"""What a caller hears before the beep: away, personal, recorded name, or standard.

An away greeting is said instead of the others until the end of the day
its subscriber chose (midnight in the line's time zone), then it expires by
itself: it is no longer said, and the next look at the mailbox clears it.
Like `store.messages`, these functions return the SIDs of recordings they
replace; the caller commits, then deletes those on the platform.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.messages import Recording
from store.models import Line, Mailbox

DAYS_AHEAD = 366  # "up to a year ahead", a leap day included


class Greeting(enum.StrEnum):
    """Which greeting a caller hears."""

    AWAY = "away"
    PERSONAL = "personal"
    NAME = "name"
    STANDARD = "standard"


def away_active(mailbox: Mailbox, now: datetime) -> bool:
    """Whether the away greeting is on at `now`."""
    return bool(mailbox.away_url and mailbox.away_until and now < mailbox.away_until)


def kinds_active(mailbox: Mailbox, now: datetime) -> list[str]:
    """The recorded greetings in use at `now`: "personal", "name", "away" (never audio)."""
    kinds = ["personal"] if mailbox.greeting_url else []
    kinds += ["name"] if mailbox.name_url else []
    return kinds + (["away"] if away_active(mailbox, now) else [])


def greeting(mailbox: Mailbox, now: datetime) -> Greeting:
    """The greeting a caller hears at `now`."""
    if away_active(mailbox, now):
        return Greeting.AWAY
    if mailbox.greeting_url:
        return Greeting.PERSONAL
    if mailbox.name_url:
        return Greeting.NAME
    return Greeting.STANDARD


def expire_away(mailbox: Mailbox, now: datetime) -> str | None:
    """Clear an away greeting whose day has passed; its recording's SID, or None."""
    if mailbox.away_until is None or now < mailbox.away_until:
        return None
    return set_away(mailbox, None, None)


def set_away(mailbox: Mailbox, recording: Recording | None, until: datetime | None) -> str | None:
    """Turn the away greeting on until `until` (None: off); the replaced recording's SID."""
    replaced = mailbox.away_sid
    mailbox.away_sid = recording.sid if recording else None
    mailbox.away_url = recording.url if recording else None
    mailbox.away_until = until if recording else None
    return replaced if replaced != mailbox.away_sid else None


def set_name(mailbox: Mailbox, recording: Recording | None) -> str | None:
    """Use a recorded name in the standard greeting (None: the digits); the replaced SID."""
    replaced = mailbox.name_sid
    mailbox.name_sid = recording.sid if recording else None
    mailbox.name_url = recording.url if recording else None
    return replaced if replaced != mailbox.name_sid else None


def away_end(line: Line, typed: str, now: datetime) -> datetime | None:
    """The end of the last away day typed as DDMM: its next occurrence from today, in the
    line's time zone, within a year; None if it is not such a date."""
    if len(typed) != 4 or not (typed.isascii() and typed.isdigit()):
        return None
    zone = ZoneInfo(line.time_zone)
    today = now.astimezone(zone).date()
    day, month = int(typed[:2]), int(typed[2:])
    for year in (today.year, today.year + 1):
        try:
            last = date(year, month, day)
        except ValueError:
            continue
        if today <= last <= today + timedelta(days=DAYS_AHEAD):
            return datetime.combine(last + timedelta(days=1), time(), zone)
    return None


def last_away_day(line: Line, until: datetime) -> date:
    """The last day the away greeting is on, in the line's time zone."""
    return (until.astimezone(ZoneInfo(line.time_zone)) - timedelta(seconds=1)).date()


def by_greeting_recording(session: Session, recording_sid: str) -> Mailbox | None:
    """The mailbox whose personal greeting is this recording, if any."""
    return session.scalar(select(Mailbox).where(Mailbox.greeting_sid == recording_sid))


def record_greeting_copy(session: Session, line_id: int, recording_sid: str, key: str) -> bool:
    """Note our copy of the greeting if it is still the mailbox's and has none; part of the
    caller's transaction. False: the copy is not wanted (replaced, deleted, or copied)."""
    recorded = session.execute(
        update(Mailbox)
        .where(
            Mailbox.line_id == line_id,
            Mailbox.greeting_sid == recording_sid,
            Mailbox.greeting_key.is_(None),
        )
        .values(greeting_key=key),
        execution_options={"synchronize_session": False},
    )
    return getattr(recorded, "rowcount", 0) == 1
