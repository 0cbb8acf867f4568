"""Service-PIN actions in the console: send a temporary PIN, check one, clear a lock.

The console only calls store/pins.py, like the phone and the API. The
adviser never sees a PIN: a temporary one goes to the subscriber's e-mail
address on file, and the one the caller reads out is typed in and checked
like on the phone (a failure counts towards the line's lock).

A check is made for one support call the adviser picks on the line's page
(by CallSid, never "the latest"): only that call can become verified, so a
second caller naming the same customer number gains nothing from the
first caller's PIN. A permanent PIN verifies it only if the call came from
the line itself (caller ID trusted as on the phone); a temporary PIN once
the call named this line (from the line, or by customer number).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, url_for
from werkzeug.wrappers import Response

from ivr.console import bp, line_or_404
from ivr.console.forms import PinCheckForm
from ivr.database import db
from ivr.doors import actor, hasher, now
from store import pins, support_calls
from store.models import Line, SupportCall

# The support calls an adviser may check a PIN for: those of the line started this recently.
LIVE_CALL = timedelta(hours=1)
LIVE_CALLS_SHOWN = 10

OUTCOMES = {
    pins.PinCheck.VERIFIED_TEMPORARY: ("Verified: the temporary PIN is right.", "success"),
    pins.PinCheck.VERIFIED_PERMANENT: ("Verified: the service PIN is right.", "success"),
    pins.PinCheck.WRONG: ("Not verified: this PIN is not valid.", "error"),
    pins.PinCheck.LOCKED: (
        "Not verified: PIN checks are locked on this line after three "
        "failures. A supervisor or adviser can clear the lock.",
        "error",
    ),
}


def state(line: Line, moment: datetime) -> pins.PinState:
    """The line's service-PIN state (never a PIN)."""
    return pins.pin_state(line, moment)


def masked(email: str) -> str:
    """s…@example.com: enough for the caller to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def _back(line: Line) -> Response:
    return redirect(url_for("console.line_page", number=line.number))


def live_support_calls(line: Line, moment: datetime) -> list[SupportCall]:
    """The line's support calls started within the last hour, newest first."""
    return support_calls.calls_since(db(), line.id, moment - LIVE_CALL, LIVE_CALLS_SHOWN)


def pin_form(line: Line, moment: datetime) -> PinCheckForm:
    """The PIN check form, offering the line's live support calls (none preselected)."""
    form = PinCheckForm()
    form.support_call.choices = [
        (
            call.sid,
            f"{call.caller or 'unknown number'}, started {call.started_at:%H:%M} UTC"
            + (f", verified ({call.verified_by} PIN)" if call.verified_by else ""),
        )
        for call in live_support_calls(line, moment)
    ]
    return form


@bp.post("/lines/<number>/pin/send")
def send_temporary_pin(number: str) -> Response:
    """Issue a temporary PIN and e-mail it to the subscriber; the adviser never sees it."""
    line, store = line_or_404(number), db()
    if not line.email:
        flash("No e-mail address on file for this line: no PIN was sent.", "error")
        return _back(line)
    issued = pins.send_temporary_pin(
        store,
        hasher(),
        line,
        actor=actor(),
        now=now(),
        ttl_seconds=current_app.config["IVR_TEMP_PIN_SECONDS"],
    )
    flash(
        f"A temporary PIN is on its way to {masked(line.email)}, valid until "
        f"{issued.expires_at:%H:%M} UTC. Ask the caller to read it out.",
        "success",
    )
    return _back(line)


@bp.post("/lines/<number>/pin/check")
def check_pin(number: str) -> Response | tuple[str, int]:
    """Check the PIN the caller reads out for the chosen call; a success verifies that call."""
    from ivr.console.lines_views import render_line

    line, store, moment = line_or_404(number), db(), now()
    form = pin_form(line, moment)
    if not form.validate_on_submit():
        return render_line(line, 400, pin_form=form)
    call = support_calls.find_call(store, form.support_call.data or "")
    if call is None:  # one of the choices read above, gone since
        abort(409)
    result = pins.check_for_support_call(
        store,
        hasher(),
        line,
        call,
        (form.pin.data or "").strip(),
        actor=actor(),
        now=moment,
    )
    flash(*OUTCOMES[result])
    return _back(line)


@bp.post("/lines/<number>/pin/clear-lock")
def clear_pin_lock(number: str) -> Response:
    """Let the line's PIN be checked again after three failures."""
    line, store = line_or_404(number), db()
    pins.clear_pin_lock(store, line, actor=actor(), now=now())
    flash("PIN checks are unlocked for this line.", "success")
    return _back(line)
