"""Store operations: a unit of work commits or leaves nothing; the queries doors use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from store import audit, pins, support_calls
from store.lines import DuplicateLine, add_line, find_line
from store.messages import find_recording, keep_transcript
from store.models import AuditEntry, Call, Job, Line, Message, OutboxMessage, SupportCall
from store.notices import NotifyRefused, set_notify
from tests.helpers import HOME, MOBILE


def _now(app):
    return app.config["IVR_CLOCK"]()


def _line(session, number):
    line = find_line(session, number)
    assert line is not None
    return line


def _fresh(app, number=HOME):
    """The line as another session reads it: what was committed."""
    with app.extensions["ivr.sessions"]() as other:
        return find_line(other, number)


def test_an_operation_commits_without_the_door(app, session):
    add_line(session, HOME, region="FR", language="fr")
    assert _fresh(app) is not None


def test_a_refused_operation_leaves_nothing_pending(app, session, make_line):
    make_line()  # no e-mail address on file
    line = _line(session, HOME)
    with pytest.raises(NotifyRefused):  # the mobile is taken, then the e-mail is found missing
        set_notify(session, line, "email", mobile=MOBILE, region="FR", actor="t", now=_now(app))
    assert not session.new
    assert not session.dirty
    assert _line(session, HOME).mobile is None
    assert session.scalars(select(AuditEntry)).all() == []


def test_a_duplicate_line_leaves_the_session_usable(app, session, make_line):
    make_line()
    with pytest.raises(DuplicateLine):
        add_line(session, HOME, region="FR", language="en")
    add_line(session, MOBILE, region="FR", language="en")
    assert _fresh(app, MOBILE) is not None


def test_audit_entries_filter_by_actor_line_and_action_prefix(app, session):
    now = _now(app)
    audit.record(session, "adviser:ann", "service_pin.checked", now, line_number=HOME)
    audit.record(session, "adviser:bob", "service_pin.set", now, line_number=MOBILE)
    audit.record(session, "adviser:ann", "mailbox.reset", now, line_number=MOBILE)
    audit.record(session, "adviser:ann", "service%pin", now)
    session.commit()

    def actions(**filters):
        return [entry.action for entry in audit.entries(session, **filters)]

    assert actions() == ["service%pin", "mailbox.reset", "service_pin.set", "service_pin.checked"]
    assert actions(actor="adviser:ann", action="service_pin.") == ["service_pin.checked"]
    assert actions(line_number=MOBILE) == ["mailbox.reset", "service_pin.set"]
    assert actions(action="service%") == ["service%pin"]  # a wildcard is matched as text
    assert actions(limit=1) == ["service%pin"]


def test_support_calls_newest_first_by_line_and_since(app, session, make_line):
    make_line()
    make_line(MOBILE)
    home, mobile = _line(session, HOME), _line(session, MOBILE)
    now = _now(app)
    for minutes, sid, line in ((90, "CA1", home), (30, "CA2", mobile), (10, "CA3", home)):
        session.add(
            SupportCall(
                sid=sid, caller=MOBILE, line_id=line.id, started_at=now - timedelta(minutes=minutes)
            )
        )
    session.commit()

    def sids(calls):
        return [call.sid for call in calls]

    assert sids(support_calls.recent_calls(session)) == ["CA3", "CA2", "CA1"]
    assert sids(support_calls.recent_calls(session, home.id)) == ["CA3", "CA1"]
    assert sids(support_calls.recent_calls(session, limit=1)) == ["CA3"]
    assert sids(support_calls.calls_since(session, home.id, now - timedelta(hours=1), 10)) == [
        "CA3"
    ]
    found = support_calls.find_call(session, "CA2")
    assert found is not None
    assert found.line_id == mobile.id
    assert support_calls.find_call(session, "CA9") is None


def test_from_own_line_trusts_only_a_home_call_of_that_line(app, session, make_line):
    make_line()
    make_line(MOBILE)
    home, mobile = _line(session, HOME), _line(session, MOBILE)
    for sid, is_home, line in (("CAh", True, home), ("CAr", False, home), ("CAo", True, mobile)):
        session.add(
            Call(
                sid=sid,
                flow="support",
                caller=HOME,
                home=is_home,
                line_id=line.id,
                language="en",
                node="start",
            )
        )
    session.commit()
    assert support_calls.from_own_line(session, home, "CAh")
    assert not support_calls.from_own_line(session, home, "CAr")
    assert not support_calls.from_own_line(session, home, "CAo")
    assert not support_calls.from_own_line(session, home, "CAnone")


def test_sending_a_temporary_pin_queues_its_mail_in_the_same_commit(app, session, make_line):
    make_line(email="sub@example.com")
    line = _line(session, HOME)
    issued = pins.send_temporary_pin(
        session, app.extensions["ivr.hasher"], line, actor="t", now=_now(app), ttl_seconds=600
    )
    with app.extensions["ivr.sessions"]() as other:
        [mail] = other.scalars(select(OutboxMessage)).all()
        assert mail.recipient == "sub@example.com"
        assert issued.pin in (mail.body or "")
        assert other.get(Line, line.id).service_pin.temporary_hash is not None


def test_a_transcript_is_kept_and_notifies_once_copied(app, session, make_line):
    make_line()
    line = _line(session, HOME)
    for sid, key in (("REcopied", "messages/REcopied.wav"), ("REwaiting", None)):
        session.add(
            Message(
                line_id=line.id,
                recording_sid=sid,
                recording_url=f"https://example.com/{sid}",
                duration=5,
                caller=MOBILE,
                received_at=_now(app),
                stored_key=key,
            )
        )
    session.commit()
    assert find_recording(session, line.id + 1, "REcopied") is None
    for sid in ("REcopied", "REwaiting"):
        message = find_recording(session, line.id, sid)
        assert message is not None
        keep_transcript(session, message, f"text {sid}", _now(app))
    with app.extensions["ivr.sessions"]() as other:
        texts = dict(other.execute(select(Message.recording_sid, Message.transcript)).all())
        assert texts == {"REcopied": "text REcopied", "REwaiting": "text REwaiting"}
        assert [job.ref for job in other.scalars(select(Job))] == ["REcopied"]
