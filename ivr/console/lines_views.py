"""Finding a line, reading its state, resetting its mailbox; recent support calls."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ivr.console import bp, line_or_404, pins_views
from ivr.console.forms import ResetForm, SearchForm
from ivr.database import db
from ivr.doors import actor, now
from store import codes, greetings, locks, pins
from store.lines import lookup_line
from store.messages import message_counts
from store.models import Line, SupportCall
from store.resets import ResetRefused, reset_mailbox
from store.support_calls import recent_calls

RECENT_CALLS = 50
LINE_CALLS = 10


def recent_support_calls(line: Line | None = None, limit: int = RECENT_CALLS) -> list[SupportCall]:
    """Support calls, newest first: all lines, or one."""
    return recent_calls(db(), line.id if line else None, limit)


@bp.get("/")
def home() -> str:
    """Search a line; the latest support calls below."""
    form = SearchForm(request.args)
    return render_template(
        "console/home.html", form=form, calls=recent_support_calls(limit=LINE_CALLS)
    )


@bp.get("/search")
def search() -> tuple[str, int] | Response:
    """A number in any form (or a customer number) leads to the line's page."""
    form = SearchForm(request.args)
    typed = (request.args.get("number") or "").strip()
    store = db()
    line = None
    valid = form.validate()
    if valid:
        region = current_app.config["IVR_DEFAULT_REGION"]
        line = lookup_line(store, typed, region) or pins.line_for_customer(store, typed)
    if line is None:
        if typed and not valid:  # never echo text that is not plain
            flash(f"Not a number to search: {' '.join(form.number.errors)}", "error")
        else:
            flash(f"No line found for “{typed}”." if typed else "Type a number to search.", "error")
        calls = recent_support_calls(limit=LINE_CALLS)
        return render_template("console/home.html", form=form, calls=calls), 404
    return redirect(url_for("console.line_page", number=line.number))


@bp.get("/calls")
def support_calls() -> str:
    """Recent support calls across all lines, with their verification."""
    return render_template("console/calls.html", calls=recent_support_calls())


def mailbox_view(line: Line) -> dict[str, Any]:
    """What the page says about the mailbox; never the code."""
    mailbox = line.mailbox
    lockout = current_app.config["IVR_LOCKOUT_SECONDS"]
    return {
        "has_code": mailbox.has_code,
        "strikes": mailbox.strikes,
        "max_strikes": codes.MAX_STRIKES,
        "locked": codes.is_locked(mailbox, now(), lockout),
        "locked_at": mailbox.locked_at,
        "ask_on_fixed_line": mailbox.ask_code_on_fixed_line,
        "code_changed_at": mailbox.code_changed_at,
        "messages": message_counts(db(), line.id),
        "greetings": greetings.kinds_active(mailbox, now()),
        "away_until": mailbox.away_until if greetings.away_active(mailbox, now()) else None,
    }


def render_line(line: Line, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The line's page, with any form that needs its errors shown."""
    forms.setdefault("reset_form", ResetForm())
    forms.setdefault("pin_form", pins_views.pin_form(line, now()))
    page = render_template(
        "console/line.html",
        line=line,
        mailbox=mailbox_view(line),
        pin=pins_views.state(line, now()),
        pin_max_failures=pins.MAX_FAILURES,
        calls=recent_support_calls(line, LINE_CALLS),
        locks=locks.history(db(), line, now(), current_app.config["IVR_LOCKOUT_SECONDS"]),
        **forms,
    )
    return page, status


@bp.get("/lines/<number>")
def line_page(number: str) -> tuple[str, int]:
    """One line: mailbox, service PIN, support calls, and the adviser's actions."""
    return render_line(line_or_404(number))


@bp.post("/lines/<number>/reset")
def reset(number: str) -> tuple[str, int] | Response:
    """Reset the mailbox; without a recent verified call, ask for an override first."""
    line, form, store = line_or_404(number), ResetForm(), db()
    if not form.validate_on_submit():
        return render_line(line, 400, reset_form=form)
    try:
        reset_mailbox(
            store,
            line,
            actor=actor(),
            reason=form.reason.data or "",
            override=bool(form.override.data),
            now=now(),
        )
    except ResetRefused as refused:
        if form.override.data:
            flash(f"Not reset: {refused}.", "error")
            return render_line(line, 400, reset_form=form)
        return render_line(line, 409, reset_form=form, confirm_override=True)
    notice = " A notice is on its way to the subscriber." if line.email else ""
    flash(
        "Mailbox reset: code, wrong-code count and lock are cleared. The subscriber creates "
        f"a new code from the fixed line.{notice}",
        "success",
    )
    return redirect(url_for("console.line_page", number=line.number))
