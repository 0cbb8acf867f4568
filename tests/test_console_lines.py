"""Console pages at HTTP level: find a line, read its state, reset it, support calls, audit."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from store.models import AuditEntry, Line, Message, OutboxMessage, SupportCall
from tests.console import make_adviser, post_form, sign_in
from tests.helpers import HOME, MOBILE, code_matches, lock_by_phone


@pytest.fixture
def settings(settings, clock):
    return {**settings, "IVR_CLOCK": clock}


@pytest.fixture
def adviser(app, client, clock):
    """Ann, signed in on `client`."""
    sign_in(client, make_adviser(app), clock)


@pytest.mark.parametrize(
    "typed", ["01 42 68 53 00", "+33 1 42 68 53 00", "0033142685300", "100200300"]
)
def test_search_finds_a_line_typed_in_any_form(app, client, make_line, adviser, typed):
    make_line(customer_number="100200300")
    answer = client.get("/console/search", query_string={"number": typed})
    assert answer.status_code == 302
    assert answer.location.endswith(f"/console/lines/{HOME}")


@pytest.mark.parametrize("typed", ["01 42 68 53 01", "hello", ""])
def test_search_for_an_unknown_line_says_so(client, make_line, adviser, typed):
    make_line()
    answer = client.get("/console/search", query_string={"number": typed})
    assert answer.status_code == 404
    page = answer.get_data(as_text=True)
    assert "No line found" in page or "Type a number" in page


def test_line_page_shows_a_locked_mailbox_and_never_the_code(
    app, client, session, make_line, phone, adviser
):
    make_line(customer_number="100200300", email="sub@example.com")
    lock_by_phone(app, session, phone)
    page = client.get(f"/console/lines/{HOME}").get_data(as_text=True)
    assert 'id="mailbox-status">Locked<' in page
    assert 'id="code-state">Set' in page
    assert 'id="strikes">3 of 3<' in page
    assert "2026-11-23 09:00 UTC" in page  # locked since
    line = session.scalars(select(Line)).one()
    assert line.mailbox.code_hash not in page
    assert "4827" not in page
    assert 'id="messages">0 new, 0 saved<' in page
    session.add_all(
        [
            Message(
                line_id=line.id,
                caller=MOBILE,
                duration=12,
                heard=heard,
                recording_sid=f"RE{n:032d}",
                recording_url=f"https://rec/{n}",
            )
            for n, heard in enumerate([False, False, True])
        ]
    )
    session.commit()
    page = client.get(f"/console/lines/{HOME}").get_data(as_text=True)
    assert 'id="messages">2 new, 1 saved<' in page


def test_reset_after_a_verified_call_clears_the_lock_and_notifies(
    app, client, session, make_line, phone, adviser, clock
):
    make_line(email="sub@example.com")
    lock_by_phone(app, session, phone)
    line = session.scalars(select(Line)).one()
    session.add(
        SupportCall(
            sid="CA" + "1" * 32,
            line_id=line.id,
            caller=HOME,
            verified_by="permanent",
            verified_at=clock() - timedelta(minutes=5),
        )
    )
    session.commit()
    answer = post_form(
        client,
        f"/console/lines/{HOME}",
        f"/console/lines/{HOME}/reset",
        {"reason": "Locked out, verified by PIN"},
    )
    assert answer.status_code == 302
    page = client.get(answer.location).get_data(as_text=True)
    assert 'id="mailbox-status">Open<' in page
    assert "Mailbox reset" in page
    session.expire_all()
    assert (line.mailbox.code_hash, line.mailbox.strikes, line.mailbox.locked_at) == (None, 0, None)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "mailbox.reset")).one()
    assert (entry.actor, entry.reason, entry.override) == (
        "adviser:ann",
        "Locked out, verified by PIN",
        False,
    )
    lock_notice, notice = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    assert lock_notice.kind == "lock_notice"  # the lock was told too (tests/test_lock_notice.py)
    assert (notice.kind, notice.recipient, notice.sent_at) == (
        "reset_notice",
        "sub@example.com",
        None,
    )
    # The subscriber now creates a new code from the fixed line.
    phone(HOME).press("2").press("2").press("1").press("5837#").press("1")
    assert code_matches(app, session, "5837")


def test_reset_without_a_verified_call_needs_a_second_confirmation(
    app, client, session, make_line, phone, adviser
):
    make_line()
    lock_by_phone(app, session, phone)
    answer = post_form(
        client,
        f"/console/lines/{HOME}",
        f"/console/lines/{HOME}/reset",
        {"reason": "Caller knows the account details"},
    )
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert 'id="override-confirm"' in page
    assert "Caller knows the account details" in page
    line = session.scalars(select(Line)).one()
    session.refresh(line.mailbox)
    assert line.mailbox.strikes == 3  # nothing changed yet
    answer = post_form(
        client,
        f"/console/lines/{HOME}",
        f"/console/lines/{HOME}/reset",
        {"reason": "Caller knows the account details", "override": "y"},
    )
    assert answer.status_code == 302
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "mailbox.reset")).one()
    assert entry.override is True
    audit_page = client.get("/console/audit").get_data(as_text=True)
    assert "mailbox.reset" in audit_page
    assert "override</span>" in audit_page


def test_reset_needs_a_reason(app, client, session, make_line, phone, adviser):
    make_line()
    lock_by_phone(app, session, phone)
    answer = post_form(
        client,
        f"/console/lines/{HOME}",
        f"/console/lines/{HOME}/reset",
        {"reason": "   ", "override": "y"},
    )
    assert answer.status_code == 400
    assert "A reset needs a reason" in answer.get_data(as_text=True)
    assert (
        session.scalars(select(AuditEntry).where(AuditEntry.action == "mailbox.reset")).all() == []
    )


def test_unknown_line_page_is_404(client, adviser):
    assert client.get("/console/lines/+33100000000").status_code == 404
    answer = post_form(
        client, "/console/", "/console/lines/+33100000000/reset", {"reason": "x", "override": "y"}
    )
    assert answer.status_code == 404


def test_support_calls_show_their_verification(app, client, session, make_line, adviser, clock):
    line = make_line()
    session.add_all(
        [
            SupportCall(
                sid="CA" + "2" * 32,
                line_id=line.id,
                caller=HOME,
                verified_by="permanent",
                verified_at=clock(),
                started_at=clock() - timedelta(minutes=3),
            ),
            SupportCall(
                sid="CA" + "3" * 32,
                line_id=line.id,
                caller=MOBILE,
                started_at=clock() - timedelta(minutes=1),
            ),
            SupportCall(
                sid="CA" + "4" * 32,
                line_id=None,
                caller="+33698765432",
                started_at=clock() - timedelta(minutes=2),
            ),
        ]
    )
    session.commit()
    page = client.get("/console/calls").get_data(as_text=True)
    assert page.count("Verified · permanent PIN") == 1
    assert page.count("Not verified") == 2
    mobile, stranger = "+33 6 12 34 56 78", "+33 6 98 76 54 32"  # as advisers read them
    assert page.index(mobile) < page.index(stranger) < page.index("(own line)")
    line_page = client.get(f"/console/lines/{HOME}").get_data(as_text=True)
    assert stranger not in line_page
    assert mobile in line_page


def test_audit_csv_export(app, client, session, make_line, phone, adviser):
    make_line()
    lock_by_phone(app, session, phone)
    post_form(
        client,
        f"/console/lines/{HOME}",
        f"/console/lines/{HOME}/reset",
        {"reason": '=HYPERLINK("http://evil")', "override": "y"},
    )
    answer = client.get("/console/audit.csv")
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    reset = next(row for row in rows if row["action"] == "mailbox.reset")
    assert reset["actor"] == "adviser:ann"
    assert reset["line"] == HOME
    assert reset["reason"].startswith("'=")
    assert reset["override"] == "yes"
    # An adviser's export holds only their own actions, like the page.
    assert {row["actor"] for row in rows} == {"adviser:ann"}
    only = client.get("/console/audit.csv", query_string={"action": "mailbox.", "line": HOME})
    assert [row["action"] for row in csv.DictReader(io.StringIO(only.get_data(as_text=True)))] == [
        "mailbox.reset"
    ]
    none = client.get("/console/audit.csv", query_string={"action": "mailbox%"})
    assert len(none.get_data(as_text=True).splitlines()) == 1  # header only: % is literal
