"""Spraying codes across lines in one call (issue 9, item 5, the call's part).

`*` at the code prompt goes back to the line-number prompt; wrong codes are
counted per call as well as per line, so the third ends the call, with the
lock's words, whatever lines (real or unknown) it named.
"""

from __future__ import annotations

from prometheus_client import REGISTRY
from sqlalchemy import select

from menus.catalogue import sentence
from store.models import Line, Mailbox, PhantomStrikes
from tests.helpers import HOME, MOBILE, give_code

OTHER = "+33142685301"
UNKNOWN = "0145999999"


def strikes(session, number: str) -> int:
    session.expire_all()
    return session.scalars(select(Mailbox.strikes).join(Line).where(Line.number == number)).one()


def throttled() -> float:
    return REGISTRY.get_sample_value("ivr_code_throttled_total", {"scope": "call"}) or 0.0


def test_the_third_wrong_code_of_a_call_ends_it_whatever_lines_it_named(
    app, session, make_line, phone
):
    make_line()
    make_line(OTHER)
    give_code(app, session)
    give_code(app, session, number=OTHER, digits="5190")
    before = throttled()
    call = phone(MOBILE).press("0142685300#").press("1111#").press("*")
    call.press("0142685301#").press("2222#").press("*")
    assert call.last_said == sentence("en", "enter_line")
    assert not call.ended
    call.press(f"{UNKNOWN}#").press("3333#")
    assert call.last_said == sentence("en", "locked")
    assert call.ended
    # No line is locked: each took one strike; the call is what was stopped.
    assert (strikes(session, HOME), strikes(session, OTHER)) == (1, 1)
    assert [row.strikes for row in session.scalars(select(PhantomStrikes))] == [1]
    assert throttled() == before + 1


def test_unknown_lines_only_end_the_call_too(phone):
    call = phone(MOBILE).press(f"{UNKNOWN}#").press("1111#").press("*")
    call.press("0145999998#").press("2222#").press("*").press("0145999997#")
    assert call.last_said == sentence("en", "enter_code")
    call.press("3333#")
    assert call.ended
    assert call.last_said == sentence("en", "locked")


def test_two_wrong_codes_and_the_right_one_still_open_the_mailbox(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    call = phone(MOBILE).press("0142685300#").press("1111#").press("2222#").press("4827#")
    assert call.last_said == sentence("en", "main_menu")
    assert strikes(session, HOME) == 0
