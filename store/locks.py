"""The record of each mailbox lock and the subscriber's notice (issue 9, item 10).

Anyone who knows a line number can lock its owner out with three wrong
codes (NIST SP 800-63B §5.2.2), so the owner is told: the third strike
records the lock (`MailboxLock`: the time, each wrong code's time and
calling number), its audit entry and an e-mail to the address on file, in
the strike's own transaction, before bcrypt runs. The e-mail is held for
`LOCK_NOTICE_HOLD_SECONDS`: a wrong third code releases it at once, a right
one that reopens the line (the seed rule: three *wrong* codes lock) cancels
it, and if the worker dies in bcrypt `flask ivr send-mail` sends it once the
hold is over. The numbers are the subscriber's own data: never logged, never
in the audit log, forgotten by `flask ivr purge` after the retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from store import audit, outbox
from store.models import Line, Mailbox, MailboxLock, OutboxMessage

# Long enough for any bcrypt check to end (a worker that dies in it is gone by then).
LOCK_NOTICE_HOLD_SECONDS = 300
RIGHT_CODE = "phone:right-code"
WITHHELD = "withheld"
_STAMP = "%Y-%m-%dT%H:%M:%SZ"
WITHHELD_WORDS = {"en": "withheld number", "fr": "numéro masqué", "de": "unterdrückte Nummer"}


def stamp(moment: datetime) -> str:
    """A strike's time as stored: fixed width, UTC, so text order is time order."""
    return moment.astimezone(UTC).strftime(_STAMP)


def parse_strikes(recent: str | None) -> list[list[str]]:
    """The mailbox's `recent_strikes` text as [[time, number], ...], oldest first."""
    return [line.split(" ", 1) for line in (recent or "").splitlines() if " " in line]


def _local(line: Line, moment: datetime) -> str:
    return (
        format_datetime(moment.astimezone(ZoneInfo(line.time_zone)), "medium", locale=line.language)
        + f" ({line.time_zone})"
    )


def _strikes_text(line: Line, strikes: list[list[str]]) -> str:
    withheld = WITHHELD_WORDS.get(line.language, WITHHELD_WORDS["en"])
    return "\n".join(
        f"  - {_local(line, datetime.strptime(at, _STAMP).replace(tzinfo=UTC))}: "
        f"{withheld if number == WITHHELD else number}"
        for at, number in strikes
    )


def record_lock(session: Session, line: Line, recent: str | None, now: datetime) -> MailboxLock:
    """The third strike: the lock's record, audit entry and held notice; the caller commits."""
    strikes = parse_strikes(recent)
    notice = outbox.enqueue(
        session,
        line,
        outbox.LOCK_NOTICE,
        now,
        send_after=now + timedelta(seconds=LOCK_NOTICE_HOLD_SECONDS),
        when=_local(line, now),
        strikes=_strikes_text(line, strikes),
    )
    lock = MailboxLock(
        line_id=line.id, locked_at=now, strikes=strikes, notice_id=notice.id if notice else None
    )
    session.add(lock)
    audit.record(
        session, "phone", "mailbox.locked", now, line_number=line.number, strikes=len(strikes)
    )
    return lock


def release_notice(session: Session, lock: MailboxLock) -> None:
    """The lock stands: send its notice as soon as the caller commits."""
    if lock.notice_id is not None:
        outbox.release(session, lock.notice_id)


def reopened(session: Session, line: Line, lock: MailboxLock, now: datetime) -> None:
    """The third code was right and nothing else happened: no notice, the record says so."""
    if lock.notice_id is not None:
        session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.id == lock.notice_id, OutboxMessage.sent_at.is_(None)
            ),
            execution_options={"synchronize_session": False},
        )
    lock.ended_at, lock.ended_by, lock.notice_id = now, RIGHT_CODE, None
    audit.record(session, "phone", "mailbox.reopened", now, line_number=line.number)


def end_by_reset(session: Session, line: Line, actor: str, now: datetime) -> None:
    """An adviser's reset ends every lock of the line still open; the caller commits."""
    session.execute(
        update(MailboxLock)
        .where(MailboxLock.line_id == line.id, MailboxLock.ended_at.is_(None))
        .values(ended_at=now, ended_by=actor),
        execution_options={"synchronize_session": False},
    )


@dataclass(frozen=True)
class LockView:
    """One lock as the console shows it."""

    locked_at: datetime
    strikes: list[tuple[datetime, str]]
    notified: bool
    ended_at: datetime | None
    ended_by: str | None
    expired: bool  # no reset, but IVR_LOCKOUT_SECONDS is over


def history(
    session: Session, line: Line, now: datetime, lockout_seconds: int, limit: int = 10
) -> list[LockView]:
    """The line's locks, newest first."""
    over = now - timedelta(seconds=lockout_seconds) if lockout_seconds else None
    rows = session.scalars(
        select(MailboxLock)
        .where(MailboxLock.line_id == line.id)
        .order_by(MailboxLock.locked_at.desc(), MailboxLock.id.desc())
        .limit(limit)
    )
    return [
        LockView(
            row.locked_at,
            [
                (datetime.strptime(at, _STAMP).replace(tzinfo=UTC), number)
                for at, number in row.strikes
            ],
            row.notice_id is not None,
            row.ended_at,
            row.ended_by,
            row.ended_at is None and over is not None and row.locked_at <= over,
        )
        for row in rows
    ]


def purge_history(session: Session, now: datetime, older_than: timedelta) -> int:
    """Forget locks, and cycles begun, before the retention; the caller commits.

    A lock in force stays in force: only its numbers are forgotten.
    """
    cutoff = now - older_than
    result = session.execute(
        delete(MailboxLock).where(MailboxLock.locked_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(Mailbox).where(Mailbox.recent_strikes < stamp(cutoff)).values(recent_strikes=None),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount) if isinstance(result, CursorResult) else 0
