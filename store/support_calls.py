"""Support-call outcomes, as other doors need them (resets, the console)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import SupportCall

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
