"""The audit log is append-only; a reset clears code and lock, with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DatabaseError

from store import audit
from store.models import AuditEntry, Line, SupportCall
from store.resets import ResetRefused, reset_mailbox
from tests.helpers import HOME, give_code


def test_audit_entries_cannot_be_changed_or_deleted(app, session):
    now = app.config["IVR_CLOCK"]()
    audit.record(session, "cli:test", "mailbox.reset", now, line_number=HOME, reason="r")
    session.commit()
    for statement in (update(AuditEntry).values(actor="someone else"), delete(AuditEntry)):
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(statement)
        session.rollback()
    assert session.scalars(select(AuditEntry)).one().actor == "cli:test"


def test_third_wrong_code_writes_the_lock_to_the_audit_log(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    phone(HOME).press("1111#").press("2222#").press("3333#")
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.line_number, entry.actor) == ("mailbox.locked", HOME, "phone")
    assert "1111" not in str(entry.details)
    assert "3333" not in str(entry.details)


def test_reset_needs_a_reason_and_an_override_without_a_verified_call(app, session, make_line):
    make_line()
    give_code(app, session)
    now = app.config["IVR_CLOCK"]()
    line = session.scalars(select(Line)).one()
    with pytest.raises(ResetRefused, match="reason"):
        reset_mailbox(session, line, actor="a", reason="  ", override=True, now=now)
    with pytest.raises(ResetRefused, match="override"):
        reset_mailbox(session, line, actor="a", reason="locked out", override=False, now=now)
    assert line.mailbox.code_hash is not None
    entry = reset_mailbox(session, line, actor="a", reason="locked out", override=True, now=now)
    session.commit()
    assert entry.override is True
    assert line.mailbox.code_hash is None


def test_reset_after_a_verified_support_call_needs_no_override(app, session, make_line):
    make_line()
    give_code(app, session)
    now = app.config["IVR_CLOCK"]()
    line = session.scalars(select(Line)).one()
    line.mailbox.strikes, line.mailbox.locked_at = 3, now
    session.add(
        SupportCall(
            sid="CA" + "9" * 32,
            line_id=line.id,
            caller=HOME,
            verified_by="permanent",
            verified_at=now - timedelta(minutes=90),
        )
    )
    session.commit()
    entry = reset_mailbox(
        session, line, actor="adviser:ann", reason="customer locked out", override=False, now=now
    )
    session.commit()
    assert entry.override is False
    assert entry.details["verified_call"] == "CA" + "9" * 32
    assert (line.mailbox.code_hash, line.mailbox.strikes, line.mailbox.locked_at) == (None, 0, None)
    # Older than two hours no longer counts.
    later = now + timedelta(minutes=31)
    with pytest.raises(ResetRefused):
        reset_mailbox(session, line, actor="adviser:ann", reason="again", override=False, now=later)
