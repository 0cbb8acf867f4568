"""What test modules share: the test numbers and secrets, checked calls, and arrangements.

Test modules import from here (and from the other helper modules, see
tests/README.md), never from one another and never from conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select

from ivr import worker
from ivr.phone import ACCOUNT_SID, FlaskTransport, PhoneCall, simulated_recording
from ivr.platforms import NAMES as PLATFORMS
from ivr.platforms.caller import new_keypair
from menus.catalogue import sentence
from store import codes, jobs, pins
from store.messages import Recording, store_message
from store.models import Line, Mailbox, Message
from tests import twiml
from tests.clock import Shifted

__all__ = ["PLATFORMS"]

# -- Numbers and the platforms' secrets ---------------------------------------

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SIGNING_KEY = "PSKtest-signalwire-signing-key"
TELNYX_PRIVATE, TELNYX_PUBLIC = new_keypair()
HOME = "+33142685300"
MOBILE = "+33612345678"


def platform_settings(platform: str) -> dict[str, Any]:
    """The settings that make the app serve `platform`, with its verification key."""
    return {
        "IVR_PLATFORM": platform,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "IVR_PLATFORM_SIGNING_KEY": SIGNING_KEY if platform == "signalwire" else None,
        "IVR_PLATFORM_PUBLIC_KEY": TELNYX_PUBLIC if platform == "telnyx" else None,
    }


def phone_secret(platform: str) -> str:
    """What the platform signs with (for Telnyx, the private key the app never holds)."""
    return {"twilio": AUTH_TOKEN, "signalwire": SIGNING_KEY, "telnyx": TELNYX_PRIVATE}[platform]


def http_settings(platform: str, **settings: Any) -> dict[str, Any]:
    """Settings for a served app on `platform`, with the console phone's secret for the CLI."""
    return {**settings, **platform_settings(platform), "IVR_PHONE_SECRET": phone_secret(platform)}


# -- Calls through the Flask test client --------------------------------------


class CheckedTransport(FlaskTransport):
    """The test client, checking every answer is valid TwiML (or a 403)."""

    def post(self, url: str, form: Any, headers: Any) -> tuple[int, str]:
        status, body = super().post(url, form, headers)
        if status == 200:
            twiml.check(body)
        return status, body


class KeepingTransport(CheckedTransport):
    """A checked transport that keeps every request the platform sent (`sent`)."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.sent: list[Any] = []

    def post(self, url: str, form: Any, headers: Any) -> tuple[int, str]:
        self.sent.append((url, dict(form), headers))
        return super().post(url, form, headers)


GREETING_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/REgreet"


def leave_message(app, to=HOME, caller=MOBILE, seconds=7, finish="#", **extra) -> PhoneCall:
    """A caller forwarded to the mailbox who hears the greeting out, speaks for `seconds`
    and presses `finish` (`#`: the review follows; "": silence, the message is sent)."""
    call = forwarded(app, to, caller, seconds, finish, **extra)
    if call.waiting is not None:
        call.silence()  # the greeting said to its end: the beep
    return call


def forwarded(app, to=HOME, caller=MOBILE, seconds=7, finish="#", **extra) -> PhoneCall:
    """A call forwarded to the mailbox, waiting at the greeting (requests kept)."""
    call = PhoneCall(
        KeepingTransport(app),
        AUTH_TOKEN,
        caller=caller,
        called=to,
        extra=extra,
        recording=simulated_recording(seconds, finish=finish),
    )
    return call.dial("/voice/deposit")


def lock_by_phone(app, session, phone) -> None:
    """Three wrong codes from a mobile: the mailbox locks."""
    give_code(app, session)
    call = phone(MOBILE).press("0142685300#")
    for wrong in ("1111#", "2222#", "3333#"):
        call.press(wrong)
    assert call.said[-1] == sentence("en", "locked")


def options(language: str = "en") -> list[str]:
    """The message options: the reference sentence, then the keys added after it."""
    return [sentence(language, "message_options"), sentence(language, "message_more_options")]


def play(sid: str) -> str:
    """What a caller hears for a message `add_message` stored."""
    return f"[recording https://api.example/Recordings/{sid}]"


# -- Stored state, arranged and read ------------------------------------------


def mailbox_of(session, number=HOME) -> Mailbox:
    session.expire_all()
    return session.scalars(select(Mailbox).join(Line).where(Line.number == number)).one()


def give_code(app, session, digits="4827", number=HOME, ask=True) -> None:
    """Arrange a line that already has a code."""
    box = mailbox_of(session, number)
    codes.save_code(
        session, app.extensions["ivr.hasher"], box.line, digits, app.config["IVR_CLOCK"]()
    )
    box.ask_code_on_fixed_line = ask
    session.commit()


def code_matches(app, session, digits, number=HOME) -> bool:
    box = mailbox_of(session, number)
    return app.extensions["ivr.hasher"].verify(codes.PURPOSE, number, digits, box.code_hash)


# 13:05 UTC is 14:05 in Paris in winter.
RECEIVED = datetime(2026, 11, 20, 13, 5, tzinfo=UTC)


def add_message(app, session, caller=MOBILE, sid="RE1", at=RECEIVED, heard=False) -> Message:
    """Store a message for HOME as if the platform had delivered it."""
    line = session.scalars(select(Line).where(Line.number == HOME)).one()
    url = f"https://api.example/Recordings/{sid}"
    store_message(
        session, line, Recording(sid, url, 10), caller=caller, received_at=at, max_messages=100
    )
    message = session.scalars(select(Message).where(Message.recording_sid == sid)).one()
    message.heard = heard
    session.commit()
    return message


def messages(session) -> list[Message]:
    """Every stored message, oldest first."""
    session.expire_all()
    return list(session.scalars(select(Message).order_by(Message.id)))


# -- The support line ---------------------------------------------------------

DESK = "+33199000000"
CUSTOMER = "100200300"
PERMANENT_PIN = "48271"
TEMPORARY_PIN_SECONDS = 7200


def support_settings(settings: dict[str, Any], clock: Any) -> dict[str, Any]:
    """`settings` with a support desk, the test's clock and a two-hour temporary PIN."""
    return {
        **settings,
        "IVR_SUPPORT_DIAL": DESK,
        "IVR_CLOCK": clock,
        "IVR_TEMP_PIN_SECONDS": TEMPORARY_PIN_SECONDS,
    }


def line_of(session, number=HOME) -> Line:
    session.expire_all()
    return session.scalars(select(Line).where(Line.number == number)).one()


def set_pin(app, session, pin=PERMANENT_PIN, number=HOME) -> None:
    pins.set_permanent_pin(
        session,
        app.extensions["ivr.hasher"],
        line_of(session, number),
        pin,
        actor="test",
        now=app.config["IVR_CLOCK"](),
    )
    session.commit()


def support(phone, caller=HOME, **extra) -> PhoneCall:
    """A call to the support line."""
    return phone(caller, to="/support/incoming", **extra)


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """The SQL the app sends while the block runs (text only, not parameters)."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        sent.append(statement)

    engine = app.extensions["ivr.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


# -- Recordings on a platform on loopback (tests.endpoints.Platform) ----------


def leave_platform_message(app, platform, sid="RE" + "a" * 32, seconds=9) -> PhoneCall:
    """A caller leaves a message; the platform posts the recording callback."""

    def record(_call, _verb):
        return {
            "RecordingSid": sid,
            "RecordingUrl": platform.recording_url(sid),
            "RecordingDuration": str(seconds),
            "Digits": "#",
        }

    call = PhoneCall(
        CheckedTransport(app), AUTH_TOKEN, caller=MOBILE, called=HOME, recording=record
    )
    call.dial("/voice/deposit").silence()  # the greeting heard out, the message, `#`
    return call.hang_up()  # at the review: sent


def listen(phone) -> str:
    """What the first message plays, as the platform is told to fetch it."""
    call = phone(HOME).press("1")
    return next(text for text in call.said if text.startswith("[recording "))[11:-1]


def run_until_done(app, shifted: Shifted, rounds=8) -> None:
    """Run the worker, letting each back-off pass, until nothing is pending."""
    with app.extensions["ivr.sessions"]() as session:
        for _ in range(rounds):
            worker.drain(app)
            if jobs.pending_count(session) == 0:
                return
            shifted.advance(3600)
    raise AssertionError("jobs still pending")
