"""The owner learns of a lock (issue 9, item 10): the notice, the history, and its purge.

Anyone who knows a line number can lock its owner out; the seed's rule
stands (three wrong codes lock), but the subscriber gets one e-mail naming
the time and the calling numbers, and the console shows the lock's history.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from menus.catalogue import sentence
from store import codes, locks
from store.credentials import Hasher
from store.models import AuditEntry, Line, MailboxLock, OutboxMessage
from tests.console import make_adviser, post_form, sign_in
from tests.helpers import HOME, MOBILE, give_code, statements

OTHER = "+447700900123"
LOCKED = sentence("en", "locked")


@pytest.fixture
def settings(settings, clock, request):
    settings = {**settings, "IVR_CLOCK": clock}
    if "smtp" in request.fixturenames:
        settings.update(
            IVR_SMTP_URL=request.getfixturevalue("smtp").url,
            IVR_MAIL_FROM="Voicemail <voicemail@operator.example>",
        )
    return settings


def lock_from_two_numbers(phone, clock) -> None:
    """Two wrong codes from a mobile, hang up; a third from another number a minute later."""
    first = phone(MOBILE).press("0142685300#").press("1111#").press("2222#")
    assert not first.ended
    clock.advance(minutes=1)
    second = phone(OTHER).press("0142685300#").press("3333#")
    assert second.said[-1] == LOCKED


def notices(session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "lock_notice")))


def test_a_lock_tells_the_owner_once_with_the_time_and_both_numbers(
    app, session, make_line, phone, clock, runner, smtp
):  # noqa: F811
    make_line(email="sub@example.com", language="fr", time_zone="Europe/Paris")
    give_code(app, session)
    lock_from_two_numbers(phone, clock)
    [queued] = notices(session)
    assert queued.recipient == "sub@example.com"
    assert queued.sent_at is not None
    [(_, recipients, message)] = smtp.messages
    assert recipients == ["sub@example.com"]
    assert message["Subject"] == "Votre messagerie a été verrouillée"
    body = message.get_content()
    assert MOBILE in body
    assert OTHER in body
    assert HOME in body
    assert "23 nov. 2026" in body
    assert "10:01" in body
    assert "10:00" in body  # the first wrong code, in Paris time
    assert "1111" not in body
    assert "2222" not in body
    assert "3333" not in body
    result = runner.invoke(args=["ivr", "send-mail"])
    assert result.exit_code == 0
    assert "0 sent" in result.output
    assert len(smtp.messages) == 1
    assert len(notices(session)) == 1


def test_the_notice_speaks_the_lines_language(app, session, make_line, phone, clock):
    make_line(email="sub@example.com", language="de", time_zone="Europe/Berlin")
    give_code(app, session)
    lock_from_two_numbers(phone, clock)
    [queued] = notices(session)
    assert queued.subject == "Ihre Mailbox wurde gesperrt"
    body = queued.body or ""
    assert MOBILE in body
    assert OTHER in body
    assert "23.11.2026, 10:01" in body


def test_an_unknown_line_never_queues_anything(app, session, make_line, phone, clock):
    make_line(email="sub@example.com")
    give_code(app, session)
    call = phone(MOBILE).press("0145999999#")
    for wrong in ("1111#", "2222#", "3333#"):
        call.press(wrong)
    assert call.said[-1] == LOCKED
    assert session.scalars(select(OutboxMessage)).all() == []
    assert session.scalars(select(MailboxLock)).all() == []


def test_a_right_third_code_reopens_and_sends_nothing(app, session, make_line, phone, clock, smtp):  # noqa: F811
    make_line(email="sub@example.com")
    give_code(app, session)
    phone(MOBILE).press("0142685300#").press("1111#").press("2222#").press("4827#")
    line = session.scalars(select(Line)).one()
    assert line.mailbox.strikes == 0
    assert smtp.messages == []
    assert notices(session) == []
    [lock] = session.scalars(select(MailboxLock)).all()  # closed while its code was hashed
    assert lock.ended_by == "phone:right-code"
    assert lock.ended_at is not None
    assert lock.notice_id is None
    assert session.scalars(select(OutboxMessage)).all() == []


def test_a_worker_dying_in_bcrypt_still_records_and_tells(
    app, session, make_line, phone, clock, runner, smtp, monkeypatch
):  # noqa: F811
    make_line(email="sub@example.com")
    give_code(app, session)
    call = phone(MOBILE).press("0142685300#").press("1111#").press("2222#")

    def dies(*_args):
        raise SystemExit("worker killed during bcrypt")

    monkeypatch.setattr(Hasher, "verify", dies)
    with pytest.raises(SystemExit):
        call.press("3333#")
    monkeypatch.undo()
    session.expire_all()
    line = session.scalars(select(Line)).one()
    assert line.mailbox.strikes == codes.MAX_STRIKES
    [lock] = session.scalars(select(MailboxLock)).all()
    assert [caller for _, caller in lock.strikes] == [MOBILE] * 3
    assert [e.action for e in session.scalars(select(AuditEntry))] == ["mailbox.locked"]
    [held] = notices(session)
    assert held.sent_at is None
    assert smtp.messages == []
    assert "0 sent" in runner.invoke(args=["ivr", "send-mail"]).output  # held a while
    clock.advance(seconds=locks.LOCK_NOTICE_HOLD_SECONDS + 1)
    assert "1 sent" in runner.invoke(args=["ivr", "send-mail"]).output
    assert len(smtp.messages) == 1
    assert MOBILE in smtp.messages[0][2].get_content()


def test_the_console_shows_the_history_and_the_reset(app, client, session, make_line, phone, clock):
    make_line()  # no e-mail on file: nothing sent, the history is still there
    give_code(app, session)
    lock_from_two_numbers(phone, clock)
    assert session.scalars(select(OutboxMessage)).all() == []
    sign_in(client, make_adviser(app), clock)
    page = client.get(f"/console/lines/{HOME}").get_data(as_text=True)
    assert 'id="lock-history"' in page
    assert "2026-11-23 09:01 UTC" in page
    assert MOBILE in page
    assert OTHER in page
    assert "No e-mail on file" in page
    assert "Not reset" in page
    clock.advance(minutes=5)
    answer = post_form(
        client,
        f"/console/lines/{HOME}",
        f"/console/lines/{HOME}/reset",
        {"reason": "customer locked out", "override": "y"},
    )
    assert answer.status_code == 302
    page = client.get(f"/console/lines/{HOME}").get_data(as_text=True)
    assert "Reset 2026-11-23 09:06 UTC by adviser:ann" in page
    lock = session.scalars(select(MailboxLock)).one()
    session.refresh(lock)
    assert lock.ended_by == "adviser:ann"


def test_purge_forgets_old_history(app, session, make_line, phone, clock, runner):
    make_line(email="sub@example.com")
    give_code(app, session)
    lock_from_two_numbers(phone, clock)
    clock.advance(days=app.config["IVR_RETENTION_DAYS"] - 1)
    assert runner.invoke(args=["ivr", "purge"]).exit_code == 0
    assert len(session.scalars(select(MailboxLock)).all()) == 1
    clock.advance(days=2)
    assert runner.invoke(args=["ivr", "purge"]).exit_code == 0
    session.expire_all()
    assert session.scalars(select(MailboxLock)).all() == []
    line = session.scalars(select(Line)).one()
    assert line.mailbox.recent_strikes is None  # the numbers of the cycle are gone too
    assert line.mailbox.strikes == codes.MAX_STRIKES  # the lock itself stays


def test_a_partial_cycle_is_forgotten_by_purge(app, session, make_line, phone, clock, runner):
    make_line()
    give_code(app, session)
    phone(MOBILE).press("0142685300#").press("1111#")
    session.expire_all()
    line = session.scalars(select(Line)).one()
    assert MOBILE in (line.mailbox.recent_strikes or "")
    clock.advance(days=app.config["IVR_RETENTION_DAYS"] + 1)
    assert runner.invoke(args=["ivr", "purge"]).exit_code == 0
    session.expire_all()
    assert session.scalars(select(Line)).one().mailbox.recent_strikes is None


def test_a_right_code_runs_no_more_statements(app, session, make_line):
    """The right-code path: strike, commit, bcrypt, compare-and-set reset; nothing else."""
    make_line()
    give_code(app, session)
    line = session.scalars(select(Line)).one()
    now = app.config["IVR_CLOCK"]()
    hasher = app.extensions["ivr.hasher"]
    with statements(app) as seen:
        assert (
            codes.check_code(session, hasher, line, "4827", now, 0, caller=MOBILE)
            is codes.CodeCheck.RIGHT
        )
    assert [s.split()[0] for s in seen] == ["UPDATE", "UPDATE"], seen
    with statements(app) as seen:
        assert (
            codes.check_code(session, hasher, line, "1111", now, 0, caller=MOBILE)
            is codes.CodeCheck.WRONG
        )
    assert [s.split()[0] for s in seen] == ["UPDATE"]


def test_a_lockout_that_ran_out_says_so(app, client, session, make_line, phone, clock):
    app.config["IVR_LOCKOUT_SECONDS"] = 600
    make_line()
    give_code(app, session)
    lock_from_two_numbers(phone, clock)
    sign_in(client, make_adviser(app), clock)
    page = client.get(f"/console/lines/{HOME}").get_data(as_text=True)
    assert "Not reset" in page
    assert "Lockout time over" not in page
    clock.advance(seconds=601)
    page = client.get(f"/console/lines/{HOME}").get_data(as_text=True)
    assert "Lockout time over" in page
    assert "Not reset" not in page
