"""The append-only audit log (SPEC §4.5): resets, PIN issues, locks, console logins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import AuditEntry


def record(
    session: Session,
    actor: str,
    action: str,
    now: datetime,
    *,
    line_number: str | None = None,
    reason: str | None = None,
    override: bool = False,
    **details: Any,
) -> AuditEntry:
    """Append one entry, in the transaction of the change it records.

    `details` must never hold a code, PIN, token or password.
    """
    entry = AuditEntry(
        at=now,
        actor=actor,
        action=action,
        line_number=line_number,
        reason=reason,
        override=override,
        details=details,
    )
    session.add(entry)
    return entry


def entries(
    session: Session,
    *,
    actor: str | None = None,
    line_number: str | None = None,
    action: str | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The newest entries first, optionally of one actor, one line, actions starting so."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if line_number is not None:
        query = query.where(AuditEntry.line_number == line_number)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    return list(session.scalars(query))
