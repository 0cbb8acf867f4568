"""The doors to a line's notice choice: `PUT /api/v1/lines/<n>/notify` and `flask ivr notify`.

The console's form is in ivr/console/notify.py; all three call
store.notices.set_notify.
"""

from __future__ import annotations

import click
from flask import Response, current_app, g

from ivr import api
from ivr.cli import actor, ivr_cli, line_argument, now, session
from ivr.database import db
from store.notices import CHOICES, NotifyRefused, set_notify


@api.bp.put("/lines/<number>/notify")
def put_notify(number: str) -> Response:
    """Choose the line's new-message notice (and the mobile number for SMS)."""
    data = api.json_body({"notify": True, "mobile": False})
    line = api._line(number)
    session = db()
    moment = current_app.config["IVR_CLOCK"]()
    try:
        set_notify(
            session,
            line,
            data["notify"],
            mobile=data.get("mobile"),
            region=current_app.config["IVR_DEFAULT_REGION"],
            actor=g.api_actor,
            now=moment,
        )
    except NotifyRefused as refused:
        api.fail(422, "notify_refused", str(refused))
    session.commit()
    return api._state_answer(line)


@ivr_cli.command("notify")
@click.argument("number")
@click.argument("choice", type=click.Choice(CHOICES))
@click.option("--mobile", help='The mobile number texts go to ("" forgets it).')
def notify_command(number: str, choice: str, mobile: str | None) -> None:
    """Choose how a line hears of new messages: none, email, email+audio or sms."""
    with session() as store:
        line = line_argument(store, number)
        try:
            set_notify(
                store,
                line,
                choice,
                mobile=mobile,
                region=current_app.config["IVR_DEFAULT_REGION"],
                actor=actor(),
                now=now(),
            )
        except NotifyRefused as refused:
            raise click.ClickException(str(refused)) from None
        store.commit()
        to = (
            f" to {line.mobile}"
            if choice == "sms"
            else f" to {line.email}"
            if choice != "none"
            else ""
        )
        click.echo(f"line {line.number}: new-message notice {choice}{to}")
