"""The console's line page and the API's line state show which greetings are on and how
many messages are urgent (issue 13), never any audio."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from store import greetings
from store.messages import Recording, set_greeting
from store.models import Line, Message
from tests.clock import Clock
from tests.console import make_adviser, sign_in
from tests.helpers import GREETING_URL, HOME, add_message

NAME_URL = GREETING_URL.replace("REgreet", "REname")
AWAY_URL = GREETING_URL.replace("REgreet", "REaway")


@pytest.fixture
def settings(settings, clock: Clock):
    return {**settings, "IVR_CLOCK": clock}


def arrange(app, session, clock: Clock, *, name: bool = True, away: bool = True) -> None:
    """A mailbox with a personal greeting, maybe a name and an away greeting; two new
    messages, one urgent, and one saved."""
    box = session.scalars(select(Line).where(Line.number == HOME)).one().mailbox
    set_greeting(box, Recording("REgreet", GREETING_URL, 0))
    if name:
        greetings.set_name(box, Recording("REname", NAME_URL, 0))
    if away:
        greetings.set_away(box, Recording("REaway", AWAY_URL, 0), clock.now + timedelta(days=2))
    session.commit()
    for sid, heard in (("REm1", False), ("REm2", False), ("REm3", True)):
        add_message(app, session, sid=sid, heard=heard)
    session.scalars(select(Message).where(Message.recording_sid == "REm2")).one().urgent = True
    session.commit()


def test_the_api_line_state(app, client, session, make_line, runner, clock):
    make_line()
    arrange(app, session, clock)
    key = runner.invoke(args=["ivr", "create-api-key", "portal"]).output.strip()
    auth = {"Authorization": f"Bearer {key}"}
    state = client.get("/api/v1/lines/%2B33142685300", headers=auth).get_json()["mailbox"]
    assert state["messages"] == {"new": 2, "saved": 1, "urgent": 1}
    assert state["greetings"] == {
        "kinds_active": ["personal", "name", "away"],
        "away_until": "2026-11-25T09:00:00+00:00",
    }
    clock.advance(days=2)  # the away greeting has expired
    state = client.get("/api/v1/lines/%2B33142685300", headers=auth).get_json()["mailbox"]
    assert state["greetings"] == {"kinds_active": ["personal", "name"], "away_until": None}


def test_the_console_line_page(app, client, session, make_line, clock):
    make_line()
    sign_in(client, make_adviser(app), clock)
    assert 'id="greetings">Standard<' in client.get(f"/console/lines/{HOME}").get_data(as_text=True)
    arrange(app, session, clock, name=False, away=False)
    page = client.get(f"/console/lines/{HOME}").get_data(as_text=True)
    assert 'id="messages">2 new (1 urgent), 1 saved<' in page
    assert 'id="greetings">Personal<' in page
    greetings.set_away(
        session.scalars(select(Line)).one().mailbox,
        Recording("REaway", AWAY_URL, 0),
        clock.now + timedelta(days=2),
    )
    greetings.set_name(
        session.scalars(select(Line)).one().mailbox, Recording("REname", NAME_URL, 0)
    )
    session.commit()
    page = client.get(f"/console/lines/{HOME}").get_data(as_text=True)
    assert 'id="greetings">Personal, Name, Away until 2026-11-25 09:00 UTC<' in page
    for audio in ("REgreet", "REname", "REaway", "REm1", "Recordings/", "<audio"):
        assert audio not in page
