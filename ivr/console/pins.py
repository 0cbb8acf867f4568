"""Service-PIN actions in the console: send a temporary PIN, check one, clear a lock.

The console only calls store/pins.py, like the phone and the API. The
adviser never sees a PIN: a temporary one goes to the subscriber's e-mail
address on file, and the one the caller reads out is typed in and checked
like on the phone (a failure counts towards the line's lock).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ivr.console import actor, bp, now
from ivr.console.forms import PinCheckForm
from ivr.database import db
from store import audit, outbox, pins
from store.lines import find_line
from store.models import Line, SupportCall

# The support call an adviser is on: the line's latest, if it started this recently.
LIVE_CALL = timedelta(hours=1)

OUTCOMES = {
    pins.PinCheck.VERIFIED_TEMPORARY: ("Verified: the temporary PIN is right.", "success"),
    pins.PinCheck.VERIFIED_PERMANENT: ("Verified: the service PIN is right.", "success"),
    pins.PinCheck.WRONG: ("Not verified: this PIN is not valid.", "error"),
    pins.PinCheck.LOCKED: ("Not verified: PIN checks are locked on this line after three "
                           "failures. A supervisor or adviser can clear the lock.", "error"),
}


def state(line: Line, moment: datetime) -> pins.PinState:
    """The line's service-PIN state (never a PIN)."""
    return pins.pin_state(line, moment)


def masked(email: str) -> str:
    """s…@example.com: enough for the caller to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def _line(number: str) -> Line:
    line = find_line(db(), number)
    if line is None:
        abort(404)
    return line


def _back(line: Line) -> Response:
    return redirect(url_for("console.line_page", number=line.number))


def live_support_call(line: Line, moment: datetime) -> SupportCall | None:
    """The line's latest support call if it started within the last hour."""
    return db().scalars(
        select(SupportCall)
        .where(SupportCall.line_id == line.id, SupportCall.started_at >= moment - LIVE_CALL)
        .order_by(SupportCall.started_at.desc()).limit(1)
    ).first()


@bp.post("/lines/<number>/pin/send")
def send_temporary_pin(number: str) -> Response:
    """Issue a temporary PIN and e-mail it to the subscriber; the adviser never sees it."""
    line, store = _line(number), db()
    if not line.email:
        flash("No e-mail address on file for this line: no PIN was sent.", "error")
        return _back(line)
    issued = pins.issue_temporary_pin(
        store, current_app.extensions["ivr.hasher"], line, actor=actor(), now=now(),
        ttl_seconds=current_app.config["IVR_TEMP_PIN_SECONDS"])
    outbox.queue_temporary_pin(store, line, issued.pin, issued.expires_at, now())
    store.commit()
    flash(f"A temporary PIN is on its way to {masked(line.email)}, valid until "
          f"{issued.expires_at:%H:%M} UTC. Ask the caller to read it out.", "success")
    return _back(line)


@bp.post("/lines/<number>/pin/check")
def check_pin(number: str) -> Response | tuple[str, int]:
    """Check the PIN the caller reads out; a success marks the support call verified."""
    from ivr.console.lines import render_line

    line, form, store, moment = _line(number), PinCheckForm(), db(), now()
    if not form.validate_on_submit():
        return render_line(line, 400, pin_form=form)
    call = live_support_call(line, moment)
    # A permanent PIN verifies only a call from its own line (SPEC §4.4).
    own_line = call is not None and call.caller == line.number
    result = pins.check_service_pin(
        store, current_app.extensions["ivr.hasher"], line, (form.pin.data or "").strip(),
        from_own_line=own_line, now=moment, actor=actor())
    sid = call.sid if call else None
    if result.verified:
        # Without a support call on record (the caller came another way), the
        # console's check becomes the call on record.
        sid = sid or f"console-{secrets.token_hex(12)}"
        pins.record_support_outcome(store, sid, line, call.caller if call else "console",
                                    result.value, moment)
    audit.record(store, actor(), "service_pin.checked", moment, line_number=line.number,
                 outcome=result.value, support_call=sid)
    store.commit()
    flash(*OUTCOMES[result])
    return _back(line)


@bp.post("/lines/<number>/pin/clear-lock")
def clear_pin_lock(number: str) -> Response:
    """Let the line's PIN be checked again after three failures."""
    line, store = _line(number), db()
    pins.clear_pin_lock(store, line, actor=actor(), now=now())
    store.commit()
    flash("PIN checks are unlocked for this line.", "success")
    return _back(line)
