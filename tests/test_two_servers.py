"""Two app servers sharing one PostgreSQL: any step of a call may reach either.

This is the multi-host deployment (docs/production.md, "Deployment"): stateless app
servers behind a load balancer, all state in the database. Runs in the
PostgreSQL pass (scripts/test-postgres, CI); SQLite is one host's database.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.phone import HttpTransport, PhoneCall
from menus.catalogue import sentence
from store import codes
from store.credentials import Hasher
from store.db import make_engine
from store.lines import add_line
from store.models import Line
from tests.databases import requires_postgresql
from tests.helpers import AUTH_TOKEN, HOME, MOBILE
from tests.server import gunicorn

pytestmark = requires_postgresql

PEPPER = "two-servers-pepper"
OTHER = "+33142685301"


class Alternating:
    """A platform whose requests go to each server in turn (round-robin balancing)."""

    def __init__(self, *bases: str) -> None:
        self.servers = [HttpTransport(base) for base in bases]
        self.served: list[str] = []

        self.base_url = self.servers[0].base_url  # where the next request goes

    def post(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]):
        server = self.servers[len(self.served) % len(self.servers)]
        assert url.startswith(server.base_url)
        self.served.append(server.base_url)
        self.base_url = self.servers[len(self.served) % len(self.servers)].base_url
        return server.post(url, form, headers)


@pytest.fixture(scope="module")
def two_servers(databases):
    url = databases.create()
    engine = make_engine(url)
    with Session(engine) as session:
        for number in (HOME, OTHER):
            add_line(session, number, region="FR", language="en")
        session.commit()
    settings = {
        "IVR_DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "IVR_PIN_PEPPER": PEPPER,
        "IVR_SECRET_KEY": "k",
        "IVR_BCRYPT_ROUNDS": 4,
    }
    with gunicorn(settings) as first, gunicorn(settings) as second:
        yield first, second, engine
    engine.dispose()
    databases.drop(url)


def call(transport: Alternating, caller: str) -> PhoneCall:
    return PhoneCall(transport, AUTH_TOKEN, caller=caller, called="access").dial("/voice/access")


def mailbox(engine, number):
    with Session(engine) as session:
        return session.scalars(select(Line).where(Line.number == number)).one().mailbox


def test_one_call_alternating_between_servers_to_the_end(two_servers):
    first, second, engine = two_servers
    transport = Alternating(first, second)
    home = call(transport, HOME).press("2").press("2").press("1").press("4827#").press("1")
    assert home.heard(sentence("en", "saved"))
    home.press("*").press("*")  # back up the menus, then silence until the server says goodbye
    for _ in range(8):
        if home.ended:
            break
        home.silence()
    assert home.ended
    assert home.last_said == sentence("en", "goodbye")
    assert transport.served[:4] == [first + "/", second + "/", first + "/", second + "/"]
    assert len(transport.served) >= 10
    stored = mailbox(engine, HOME).code_hash
    assert Hasher(PEPPER.encode(), 4).verify(codes.PURPOSE, HOME, "4827", stored)


def test_three_wrong_codes_lock_across_both_servers(two_servers):
    first, second, engine = two_servers
    transport = Alternating(first, second)
    setup = call(transport, OTHER).press("2").press("2").press("1").press("5190#").press("1")
    assert setup.heard(sentence("en", "saved"))
    # Two calls, each step on alternating servers, three wrong codes in all.
    one = call(Alternating(second, first), MOBILE).press("0142685301#")
    one.press("1111#").press("2222#")
    assert one.last_said == sentence("en", "enter_code")
    two = call(Alternating(first, second), MOBILE).press("0142685301#").press("3333#")
    assert two.heard(sentence("en", "locked"))
    assert two.ended
    # Now even the right code, on either server, hears the lock.
    for order in ((first, second), (second, first)):
        again = call(Alternating(*order), MOBILE).press("0142685301#")
        assert again.heard(sentence("en", "locked"))
        assert again.ended
    box = mailbox(engine, OTHER)
    assert box.strikes == codes.MAX_STRIKES
    assert box.locked_at is not None
