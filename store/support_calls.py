"""Support calls as other doors read them: resets, the console's pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Call, Line, SupportCall

# A reset without an override needs a support call verified this recently (SPEC §4.5).
VERIFIED_CALL_WINDOW = timedelta(hours=2)


def recent_verified_call(
    session: Session, line_id: int, now: datetime, within: timedelta = VERIFIED_CALL_WINDOW
) -> SupportCall | None:
    """The newest support call on this line verified within `within`, if any."""
    return session.scalars(
        select(SupportCall)
        .where(
            SupportCall.line_id == line_id,
            SupportCall.verified_by.is_not(None),
            SupportCall.verified_at >= now - within,
        )
        .order_by(SupportCall.verified_at.desc())
        .limit(1)
    ).first()


def recent_calls(
    session: Session, line_id: int | None = None, limit: int = 50
) -> list[SupportCall]:
    """Support calls, newest first: of all lines, or of one."""
    query = select(SupportCall).order_by(SupportCall.started_at.desc()).limit(limit)
    if line_id is not None:
        query = query.where(SupportCall.line_id == line_id)
    return list(session.scalars(query))


def calls_since(session: Session, line_id: int, since: datetime, limit: int) -> list[SupportCall]:
    """The line's support calls started at `since` or later, newest first."""
    return list(
        session.scalars(
            select(SupportCall)
            .where(SupportCall.line_id == line_id, SupportCall.started_at >= since)
            .order_by(SupportCall.started_at.desc())
            .limit(limit)
        )
    )


def find_call(session: Session, sid: str) -> SupportCall | None:
    """The support call with this CallSid, if any."""
    return session.get(SupportCall, sid)


def from_own_line(session: Session, line: Line, sid: str) -> bool:
    """Whether call `sid` came from `line` itself, by the phone's rules of trust."""
    call = session.get(Call, sid)
    return call is not None and call.home and call.line_id == line.id
