"""A right code in flight never erases a lock (issue 9, item 4).

The right code's check is held between its strike and its reset: inside its
bcrypt check, a second database session takes two wrong codes that lock the
line. When the right check finishes, the lock stays and no code is checked.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.phone import HttpTransport, PhoneCall
from menus.catalogue import sentence
from store import codes
from store.credentials import Hasher
from store.db import make_engine, make_session_factory
from store.lines import add_line
from store.models import Line, Mailbox
from tests.helpers import AUTH_TOKEN, HOME, give_code
from tests.server import gunicorn


@dataclass(frozen=True)
class Interleaving(Hasher):
    """A hasher that runs `during` once, inside the first check it makes."""

    during: object = None

    def verify(self, purpose: str, line_number: str, digits: str, stored: str | None) -> bool:
        during, self.__dict__["during"] = self.__dict__.get("during"), None
        if callable(during):
            during()
        return super().verify(purpose, line_number, digits, stored)


def _line(sessions) -> tuple[Session, Line]:
    session = sessions()
    return session, session.scalars(select(Line).where(Line.number == HOME)).one()


def _mailbox(sessions) -> Mailbox:
    with sessions() as session:
        return session.scalars(select(Mailbox).join(Line).where(Line.number == HOME)).one()


def test_wrong_codes_that_lock_while_the_right_one_hashes_keep_the_lock(app, session, make_line):
    make_line()
    give_code(app, session)
    sessions, plain = app.extensions["ivr.sessions"], app.extensions["ivr.hasher"]
    now = app.config["IVR_CLOCK"]()
    seen: list[codes.CodeCheck] = []

    def two_wrong_codes() -> None:
        other, line = _line(sessions)
        with other:
            for digits in ("1111", "2222"):
                seen.append(codes.check_code(other, plain, line, digits, now, 0))
                other.commit()

    owner, line = _line(sessions)
    with owner:
        held = Interleaving(plain.pepper, plain.rounds, during=two_wrong_codes)
        right = codes.check_code(owner, held, line, "4827", now, 0)
        owner.commit()
    assert seen == [codes.CodeCheck.WRONG, codes.CodeCheck.LOCKED]
    assert right is codes.CodeCheck.LOCKED  # the line locked while it was checked
    box = _mailbox(sessions)
    assert box.strikes == codes.MAX_STRIKES
    assert box.locked_at is not None
    # Nothing more is checked: the right code too hears the lock, at once.
    again, line = _line(sessions)
    with again:
        assert codes.check_code(again, plain, line, "4827", now, 0) is codes.CodeCheck.LOCKED
    assert _mailbox(sessions).strikes == codes.MAX_STRIKES


def test_a_right_code_clears_only_its_own_strike_cycle(app, session, make_line):
    make_line()
    give_code(app, session)
    sessions, plain = app.extensions["ivr.sessions"], app.extensions["ivr.hasher"]
    now = app.config["IVR_CLOCK"]()

    def one_wrong_code() -> None:
        other, line = _line(sessions)
        with other:
            assert codes.check_code(other, plain, line, "1111", now, 0) is codes.CodeCheck.WRONG
            other.commit()

    owner, line = _line(sessions)
    with owner:
        held = Interleaving(plain.pepper, plain.rounds, during=one_wrong_code)
        assert codes.check_code(owner, held, line, "4827", now, 0) is codes.CodeCheck.RIGHT
        owner.commit()
    # The wrong code taken meanwhile still counts: the reset did not erase it.
    assert _mailbox(sessions).strikes == 2


# -- Over real HTTP: the right code first, wrong codes while it hashes ---------

SLOW_ROUNDS = 12  # like production: the right code's bcrypt takes a few hundred ms
PEPPER = "in-flight-pepper"


def test_over_gunicorn_a_right_code_in_flight_leaves_the_lock(databases):
    url = databases.create()
    settings = {
        "IVR_DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "IVR_PIN_PEPPER": PEPPER,
        "IVR_SECRET_KEY": "k",
        "IVR_BCRYPT_ROUNDS": SLOW_ROUNDS,
    }
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        with sessions() as session:
            line = add_line(session, HOME, region="FR", language="en")
            codes.save_code(
                session, Hasher(PEPPER.encode(), SLOW_ROUNDS), line, "4827", line.created_at
            )
            session.commit()
        with gunicorn(settings, workers=2, threads=4) as base:
            owner, *attackers = [
                _remote(base, f"+3360000000{i}").press("0142685300#") for i in range(3)
            ]
            threads = [threading.Thread(target=owner.press, args=("4827#",))]
            threads[0].start()
            time.sleep(0.03)  # the owner's strike is taken; its bcrypt runs
            threads += [
                threading.Thread(target=call.press, args=(digits,))
                for call, digits in zip(attackers, ("1111#", "2222#"), strict=True)
            ]
            for thread in threads[1:]:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            box = _mailbox(sessions)
            assert box.strikes == codes.MAX_STRIKES
            assert box.locked_at is not None
            later = _remote(base, "+33600000009").press("0142685300#")
            assert later.last_said == sentence("en", "locked")
            assert later.ended
    finally:
        engine.dispose()
        databases.drop(url)


def _remote(base: str, caller: str) -> PhoneCall:
    return PhoneCall(HttpTransport(base), AUTH_TOKEN, caller=caller, called="/voice/access").dial(
        "/voice/access"
    )
