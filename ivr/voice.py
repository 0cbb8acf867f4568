"""Voice webhooks: the access number, each later step, status and fallback."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from ivr.database import db
from ivr.doors import now
from ivr.observability import notes
from ivr.signature import signed
from ivr.steps import answer_press, call_sid, default_language, enter, phone, press
from ivr.twiml import goodbye, twiml
from store.calls import end_call
from store.lines import lookup_line
from store.models import Line

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")

ATTESTED = "TN-Validation-Passed-A"
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def home_line() -> Line | None:
    """The provisioned line this call comes from, if caller ID is trusted (SPEC §4.1)."""
    if (
        current_app.config["IVR_TRUST_CALLER_ID"] == "attested"
        and request.form.get("StirVerstat") != ATTESTED
    ):
        return None
    caller = request.form.get("From", "")
    return lookup_line(db(), caller, current_app.config["IVR_DEFAULT_REGION"])


@bp.post("/access")
@signed
def access_number() -> Response:
    """A call to the voicemail access number."""
    line = home_line()
    return enter("access", line, home=line is not None)


@bp.post("/step/<int:step>")
@signed
def step(step: int) -> Response:
    """Any later step of any call: keys pressed, or silence."""
    sid = call_sid()
    if sid is None:
        return twiml(goodbye(default_language()))
    return twiml(answer_press(db(), phone(), press(sid, step), notes()))


@bp.post("/status")
@signed
def status() -> Response:
    """Call status callback: a finished call's state is ended and emptied."""
    sid = call_sid()
    if sid and request.form.get("CallStatus") in FINAL_STATUSES:
        end_call(db(), sid, now())
    return twiml("<Response/>")


@bp.post("/fallback")
@signed
def fallback() -> Response:
    """The platform's fallback URL: apologise and hang up, touching nothing."""
    return twiml(goodbye(default_language()))


@bp.errorhandler(Exception)
def answer_errors(error: Exception) -> Response | HTTPException:
    """Whatever went wrong, the caller hears an apology, not the platform's error."""
    if isinstance(error, HTTPException) and error.code in (403, 405):
        return error
    return twiml(apologise(db().rollback, request.path, default_language()))


def apologise(undo: Callable[[], None], path: str, language: str) -> str:
    """Log what failed and `undo` it; the TwiML apology (inside an `except` block)."""
    log.exception("webhook %s failed", path)
    undo()
    return str(goodbye(language))
