"""The customer-service number (SPEC §4.4): a service PIN, then an adviser.

`/support/incoming` opens the call in the `support` flow (menus/support_flow.py);
later steps post to `/voice/step/<n>` like every flow. The operations below
are thin calls into store/pins.py. The adviser hears whether the caller was
verified from `/support/whisper/<sid>`, which reads the stored outcome.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from ivr import voice
from ivr.database import db
from ivr.signature import signed
from ivr.steps import StepContext, call_sid, default_language, enter
from ivr.twiml import Destination, goodbye, say, twiml
from menus.flow import Transfer
from menus.operations import Given, PinEntry, SupportRoute
from store import pins
from store.models import Call, SupportCall

bp = Blueprint("support", __name__, url_prefix="/support")
bp.register_error_handler(Exception, voice.answer_errors)

# PINs tried in this call: after the third the caller goes through unverified,
# whether the line exists, is locked, or neither.
ATTEMPTS = "pin_attempts"
ANSWERED = frozenset({"completed", "answered"})


def route_support(c: StepContext, _digits: str | None) -> SupportRoute:
    """From the caller's own line the PIN alone; from anywhere else the customer number first."""
    line_id = c.call.line_id if c.call.home else None
    pins.open_support_call(c.session, c.call, line_id, c.now)
    return SupportRoute.OWN_LINE if line_id is not None else SupportRoute.OTHER


def find_customer(c: StepContext, digits: str | None) -> Given:
    """Remember whose account the caller names; an unknown one goes on like a real one."""
    line = pins.line_for_customer(c.session, digits or "")
    pins.name_customer(c.session, c.call, line.id if line else None)
    return Given.GIVEN


def check_pin(c: StepContext, digits: str | None) -> PinEntry:
    """Check the PIN (a failure taken first); verified, wrong, failed (third) or locked.

    Only the call's line id is used, never its Line: a known customer number
    and an unknown one run the same statements (store/pins.py).
    """
    attempts = c.memory.get(ATTEMPTS, 0) + 1
    c.memory[ATTEMPTS] = attempts
    line_id = c.call.line_id
    own_line = c.call.home and line_id is not None
    outcome = pins.check_service_pin(
        c.session, c.hasher, line_id, digits or "", from_own_line=own_line, now=c.now
    )
    if outcome is pins.PinCheck.LOCKED and not own_line:
        # After a customer number, a lock must sound as a wrong PIN does
        # for an unknown number, or customer numbers could be probed.
        outcome = pins.PinCheck.WRONG
    if outcome.verified:
        pins.record_support_outcome(
            c.session, c.call.sid, line_id, c.call.caller, outcome.value, c.now
        )
        return PinEntry.VERIFIED
    if outcome is pins.PinCheck.LOCKED:
        return PinEntry.LOCKED
    return PinEntry.FAILED if attempts >= pins.MAX_FAILURES else PinEntry.WRONG


OPERATIONS = {
    "route_support": route_support,
    "find_customer": find_customer,
    "check_pin": check_pin,
}


def support_desk(call: Call, node: Transfer) -> Destination | None:
    """The advisers (`IVR_SUPPORT_DIAL`), told by a whisper whether the caller is verified."""
    address = current_app.config["IVR_SUPPORT_DIAL"]
    if not address:
        return None
    return Destination(
        address,
        whisper_url=url_for("support.whisper", sid=call.sid),
        action_url=url_for("support.after_dial"),
        parameters={"verification": node.label, "support_call": call.sid},
    )


DESTINATIONS = {"support_desk": support_desk}


@bp.post("/incoming")
@signed
def incoming() -> Response:
    """A call to the customer-service number."""
    line = voice.home_line()
    return enter("support", line, home=line is not None)


@bp.post("/whisper/<sid>")
@signed
def whisper(sid: str) -> Response:
    """Said to the adviser before the call is bridged: verified (and how) or not."""
    outcome = db().get(SupportCall, sid)
    verified_by = outcome.verified_by if outcome is not None else None
    key = f"whisper_verified_{verified_by}" if verified_by else "whisper_unverified"
    response = VoiceResponse()
    say(response, default_language(), [key])
    return twiml(response)


@bp.post("/after-dial")
@signed
def after_dial() -> Response:
    """The <Dial> ended: hang up after a conversation, apologise if nobody answered."""
    if request.form.get("DialCallStatus") in ANSWERED:
        response = VoiceResponse()
        response.hangup()
        return twiml(response)
    sid = call_sid()
    call = db().get(Call, sid) if sid else None
    return twiml(goodbye(call.language if call else default_language(), "support_unavailable"))
