"""The console's notice choice and its jobs page (issue 12)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from store import jobs
from store.models import AuditEntry, Job, Line
from tests.console import make_adviser, post_form, sign_in
from tests.helpers import HOME


@pytest.fixture
def settings(settings, clock):
    return {**settings, "IVR_CLOCK": clock}


@pytest.fixture
def adviser(app, client, clock):
    sign_in(client, make_adviser(app), clock)


def line_of(session) -> Line:
    session.expire_all()
    return session.scalars(select(Line)).one()


def test_an_adviser_chooses_sms_with_a_mobile_number(app, client, session, make_line, adviser):
    make_line(email="sub@example.com")
    page = f"/console/lines/{HOME}"
    assert 'id="notify-title"' in client.get(page).get_data(as_text=True)
    answer = post_form(
        client, page, f"/console/lines/{HOME}/notify", {"notify": "sms", "mobile": "06 98 76 54 32"}
    )
    assert answer.status_code == 302
    line = line_of(session)
    assert (line.notify, line.mobile) == ("sms", "+33698765432")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "notify.set")).one()
    assert entry.actor == "adviser:ann"
    assert entry.line_number == HOME

    refused = post_form(
        client, page, f"/console/lines/{HOME}/notify", {"notify": "sms", "mobile": "01 42 68 53 00"}
    )  # a fixed line
    assert refused.status_code == 302
    assert "not a mobile number" in client.get(page).get_data(as_text=True)
    assert line_of(session).mobile == "+33698765432"


def test_an_unknown_choice_changes_nothing(app, client, session, make_line, adviser):
    make_line(email="sub@example.com")
    page = f"/console/lines/{HOME}"
    post_form(client, page, f"/console/lines/{HOME}/notify", {"notify": "pager"})
    assert line_of(session).notify == "none"


def test_jobs_that_keep_failing_show_in_the_menu_and_on_the_jobs_page(
    app, client, session, make_line, adviser, clock
):
    make_line()
    jobs.enqueue(session, jobs.FETCH_MESSAGE, "RE" + "f" * 32, clock())
    session.commit()
    assert "failing" not in client.get("/console/").get_data(as_text=True)
    session.execute(update(Job).values(attempts=jobs.FAILING_ATTEMPTS, last_error="HTTP 503"))
    session.commit()
    assert "1 failing" in client.get("/console/").get_data(as_text=True)
    page = client.get("/console/jobs").get_data(as_text=True)
    assert "RE" + "f" * 32 in page
    assert "HTTP 503" in page


def test_metrics_count_failing_jobs(app, client, session, make_line, clock):
    make_line()
    jobs.enqueue(session, jobs.FETCH_MESSAGE, "RE" + "f" * 32, clock())
    session.execute(update(Job).values(attempts=jobs.FAILING_ATTEMPTS))
    session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert 'ivr_jobs_failing{kind="fetch_message"} 1.0' in text
    assert 'ivr_jobs_pending{kind="fetch_message"} 1.0' in text
