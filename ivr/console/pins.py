"""Service-PIN actions in the console: send a temporary PIN, check one, clear a lock.

The PIN operations live in store/pins.py (the support line's branch); the
console only calls them. The adviser never sees a PIN: a temporary one goes
to the subscriber's e-mail address, and the one the caller reads out is
typed in and checked like on the phone.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from types import ModuleType
from typing import Any

from flask import abort, current_app, flash, redirect, url_for
from werkzeug.wrappers import Response

from ivr.console import actor, bp, now
from ivr.console.forms import PinCheckForm
from ivr.database import db
from store import outbox
from store.lines import find_line
from store.models import Line


def _store_pins() -> ModuleType | None:
    try:
        return importlib.import_module("store.pins")
    except ImportError:
        return None


store_pins = _store_pins()
AVAILABLE = store_pins is not None


def state(line: Line, moment: datetime) -> Any:
    """The line's service-PIN state (never a PIN), or None before store.pins exists."""
    if store_pins is None:
        return None
    return store_pins.pin_state(line, moment)


def masked(email: str) -> str:
    """s…@example.com: enough for the caller to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def _line(number: str) -> Line:
    line = find_line(db(), number)
    if line is None or store_pins is None:
        abort(404)
    return line


def _back(line: Line) -> Response:
    return redirect(url_for("console.line_page", number=line.number))


@bp.post("/lines/<number>/pin/send")
def send_temporary_pin(number: str) -> Response:
    """Issue a temporary PIN and e-mail it to the subscriber; the adviser never sees it."""
    line, store = _line(number), db()
    assert store_pins is not None
    if not line.email:
        flash("No e-mail address on file for this line: no PIN was sent.", "error")
        return _back(line)
    issued = store_pins.issue_temporary_pin(
        store, current_app.extensions["ivr.hasher"], line, actor=actor(), now=now(),
        ttl_seconds=current_app.config["IVR_TEMP_PIN_SECONDS"])
    outbox.queue_temporary_pin(store, line, issued.pin, issued.expires_at, now())
    store.commit()
    flash(f"A temporary PIN was sent to {masked(line.email)}, valid until "
          f"{issued.expires_at:%H:%M} UTC. Ask the caller to read it out.", "success")
    return _back(line)


@bp.post("/lines/<number>/pin/check")
def check_pin(number: str) -> Response | tuple[str, int]:
    """Check the PIN the caller reads out; a failure counts like one on the phone."""
    from ivr.console.lines import render_line

    line, form, store = _line(number), PinCheckForm(), db()
    assert store_pins is not None
    if not form.validate_on_submit():
        return render_line(line, 400, pin_form=form)
    result = store_pins.check_service_pin(
        store, current_app.extensions["ivr.hasher"], line, (form.pin.data or "").strip(),
        from_own_line=False, now=now())
    store.commit()
    messages = {
        "VERIFIED_TEMPORARY": ("Verified: the temporary PIN is right.", "success"),
        "VERIFIED_PERMANENT": ("Verified: the service PIN is right.", "success"),
        "WRONG": ("Not verified: this PIN is not valid.", "error"),
        "LOCKED": ("Not verified: PIN checks are locked on this line after three failures.",
                   "error"),
    }
    flash(*messages.get(getattr(result, "name", str(result)), ("Not verified.", "error")))
    return _back(line)


@bp.post("/lines/<number>/pin/clear-lock")
def clear_pin_lock(number: str) -> Response:
    """Let the line's PIN be checked again after three failures."""
    line, store = _line(number), db()
    assert store_pins is not None
    store_pins.clear_pin_lock(store, line, actor=actor(), now=now())
    store.commit()
    flash("PIN verification is unlocked for this line.", "success")
    return _back(line)
