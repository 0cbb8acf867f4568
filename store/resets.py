"""The adviser's mailbox reset (SPEC §4.5): one operation for console and CLI."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from store import audit, codes, locks, outbox
from store.db import commits
from store.models import AuditEntry, Line
from store.support_calls import recent_verified_call


class ResetRefused(ValueError):
    """The reset cannot be made as asked (no reason, or an override is needed)."""


@commits
def reset_mailbox(
    session: Session, line: Line, *, actor: str, reason: str, override: bool, now: datetime
) -> AuditEntry:
    """Clear the code, the strikes and the lock; keep messages and greeting.

    Needs a reason. Without a support call on the line verified in the last
    two hours, the adviser must confirm an override, and the entry says so.
    The subscriber's notice is queued in the same transaction, so every door
    (console, CLI) sends it.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ResetRefused("a reset needs a reason")
    verified = recent_verified_call(session, line.id, now)
    if verified is None and not override:
        raise ResetRefused(
            "no support call on this line was verified in the last two hours: "
            "confirm an override to reset anyway"
        )
    mailbox = line.mailbox
    was_locked = mailbox.strikes > 0 or mailbox.locked_at is not None
    mailbox.code_hash = None
    mailbox.code_changed_at = now
    codes.clear_strikes(mailbox)
    locks.end_by_reset(session, line, actor, now)
    mailbox.ask_code_on_fixed_line = True
    outbox.queue_reset_notice(session, line, now)
    return audit.record(
        session,
        actor,
        "mailbox.reset",
        now,
        line_number=line.number,
        reason=reason,
        override=verified is None,
        was_locked=was_locked,
        verified_call=verified.sid if verified else None,
    )
