"""The console's side of issue 12: a line's new-message notice, and jobs that keep failing."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ivr.console import bp, line_or_404
from ivr.database import db
from ivr.doors import actor, now
from store import jobs
from store.notices import CHOICES, NotifyRefused, set_notify

LABELS = {
    "none": "None",
    "email": "E-mail",
    "email+audio": "E-mail with the audio attached",
    "sms": "Text message (SMS)",
}


@bp.post("/lines/<number>/notify")
def set_line_notify(number: str) -> Response:
    """Choose how the subscriber hears of new messages."""
    store = db()
    line = line_or_404(number)
    choice = request.form.get("notify", "")
    mobile = request.form.get("mobile", "").strip()
    try:
        set_notify(
            store,
            line,
            choice,
            mobile=mobile if mobile or line.mobile else None,
            region=current_app.config["IVR_DEFAULT_REGION"],
            actor=actor(),
            now=now(),
        )
    except NotifyRefused as refused:
        flash(f"Notice not changed: {refused}.", "error")
    else:
        flash(f"New-message notice: {LABELS[choice]}.", "success")
    return redirect(url_for("console.line_page", number=number) + "#notify-title")


@bp.get("/jobs")
def failing_jobs() -> str:
    """Background work still pending after several tries: copies, MWI posts."""
    store = db()
    return render_template(
        "console/jobs.html",
        failing=jobs.failing(store, limit=100),
        backlog=jobs.backlog(store),
        threshold=jobs.FAILING_ATTEMPTS,
    )


@bp.app_context_processor
def _notices() -> dict[str, object]:
    failing = 0
    if g.get("adviser") is not None:  # signed-in pages show failing jobs in the menu
        failing = sum(stuck for _, stuck in jobs.backlog(db()).values())
    return {
        "notify_choices": [(choice, LABELS[choice]) for choice in CHOICES],
        "failing_job_count": failing,
    }
