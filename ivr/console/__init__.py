"""The customer-service console (SPEC §4.5, §5): server-rendered pages under /console.

Every request but the sign-in pages needs a console session that is alive on
the server (store/signin.py); every POST needs a CSRF token; every answer is
kept out of caches and frames. The pages call the same store functions as
every other door.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast

import phonenumbers
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response

from ivr.database import db
from ivr.doors import InvalidNumber, NoSuchLine, line_named, now
from store import signin
from store.models import Adviser, ConsoleSession, Line

bp = Blueprint(
    "console", __name__, url_prefix="/console", template_folder="templates", static_folder="static"
)
csrf = CSRFProtect()

COOKIE_KEY = "console"
# Endpoints reachable without a console session.
PUBLIC = frozenset({"console.login", "console.static"})
# Where a half-finished sign-in must go next, by stage.
STAGE_PAGES = {signin.TOTP: "console.second_factor", signin.NEW_PASSWORD: "console.new_password"}

View = TypeVar("View", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    """Register the console with secure cookie and CSRF settings."""
    relaxed = app.config.get("IVR_DEVELOPMENT") or app.config.get("TESTING")
    app.config.update(
        SESSION_COOKIE_NAME="ivr_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=not relaxed,
        SESSION_COOKIE_PATH="/console",
        # Tokens live as long as the server-side session, which is what expires.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_SSL_STRICT=not relaxed,
    )
    csrf.init_app(app)
    from ivr.console import (  # noqa: F401  (routes)
        advisers_views,
        audit_views,
        auth_views,
        lines_views,
        notices_views,
    )

    app.register_blueprint(bp)


def adviser() -> Adviser:
    """The signed-in adviser of this request."""
    return cast(Adviser, g.adviser)


def line_or_404(number: str) -> Line:
    """The line a console URL names; 404 when the number is invalid or unknown."""
    try:
        return line_named(db(), number)
    except (InvalidNumber, NoSuchLine):
        abort(404)


def start_stage(token: str) -> None:
    """Put a new console token in the cookie, with a fresh CSRF token."""
    session.clear()
    session[COOKIE_KEY] = token


@bp.before_request
def require_session() -> Response | None:
    """Check CSRF on every POST, then find the live console session or send to sign-in."""
    if request.method == "POST":
        csrf.protect()
    if request.endpoint in PUBLIC:
        return None
    token = session.get(COOKIE_KEY)
    record = signin.resume(db(), token, now(), current_app.config["IVR_CONSOLE_IDLE_SECONDS"])
    if record is None:
        session.clear()
        if token:
            flash("Your session has ended. Please sign in again.", "info")
        return redirect(url_for("console.login"))
    g.console_session, g.adviser = record, record.adviser
    g.actor = f"adviser:{record.adviser.username}"  # how the audit log names them
    wanted = STAGE_PAGES.get(record.stage)
    if wanted and request.endpoint not in (wanted, "console.logout"):
        return redirect(url_for(wanted))
    if wanted is None and request.endpoint == "console.second_factor":
        return redirect(url_for("console.home"))
    return None


def console_session() -> ConsoleSession:
    return cast(ConsoleSession, g.console_session)


def supervisor_only(view: View) -> View:
    """Refuse the page to anyone but a supervisor."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if adviser().role != "supervisor":
            abort(403)
        return view(*args, **kwargs)

    return cast(View, checked)


@bp.after_request
def protect_answers(response: Response) -> Response:
    """No caching of customer data, no framing, no outside resources; HTTPS only in production."""
    if not (current_app.config.get("IVR_DEVELOPMENT") or current_app.config.get("TESTING")):
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return response


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> tuple[str, int]:
    """A form without a valid token changes nothing."""
    return render_template(
        "console/error.html",
        title="Form expired",
        message="This form has expired or did not come from the console. "
        "Go back, reload the page and try again.",
    ), 400


@bp.errorhandler(403)
def forbidden(_error: Exception) -> tuple[str, int]:
    return render_template(
        "console/error.html", title="Not allowed", message="This page is for supervisors."
    ), 403


@bp.errorhandler(404)
def not_found(_error: Exception) -> tuple[str, int]:
    return render_template(
        "console/error.html", title="Not found", message="There is nothing at this address."
    ), 404


@bp.app_template_filter("when")
def when(moment: datetime | None) -> str:
    """A timestamp as advisers read it: 2026-11-23 14:02 UTC."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


@bp.app_template_filter("ago")
def ago(moment: datetime | None) -> str:
    """How long ago, roughly: 'just now', '12 min ago', '3 h ago', '2 days ago'."""
    if moment is None:
        return ""
    seconds = int((now() - moment).total_seconds())
    if seconds < 60:
        return "just now" if seconds > -60 else "in the future"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


@bp.app_template_filter("phone")
def phone(e164: str | None) -> str:
    """A number grouped as people read it: +33 1 42 68 53 00."""
    if not e164:
        return "—"
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
