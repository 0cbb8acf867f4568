"""`flask ivr add-line` and `flask ivr notify`: provisioning a line and its notices."""

from __future__ import annotations

import click
from flask import current_app

from ivr.cli.base import ivr_cli, line_argument, session
from ivr.doors import actor, now
from store.lines import LANGUAGES, DuplicateLine, add_line, find_line, to_e164
from store.notices import CHOICES, NotifyRefused, set_notify


@ivr_cli.command("add-line")
@click.argument("number")
@click.option("--customer-number", help="The customer's account number, for the support line.")
@click.option("--language", type=click.Choice(LANGUAGES), help="Prompt language of the line.")
@click.option("--email", help="The subscriber's e-mail address, for notices.")
@click.option("--exist-ok", is_flag=True, help="Succeed quietly if the line already exists.")
@click.option("--time-zone", help="IANA zone for message dates (default: the number's own).")
def add_line_command(
    number: str,
    customer_number: str | None,
    language: str | None,
    email: str | None,
    exist_ok: bool,
    time_zone: str | None,
) -> None:
    """Provision a subscriber's fixed line (any form phonenumbers reads)."""
    region = current_app.config["IVR_DEFAULT_REGION"]
    with session() as db:
        try:
            if exist_ok and find_line(db, to_e164(number, region)):
                click.echo(f"line {to_e164(number, region)} already exists")
                return
            line = add_line(
                db,
                number,
                region=region,
                language=language or current_app.config["IVR_DEFAULT_LANGUAGE"],
                customer_number=customer_number,
                email=email,
                time_zone=time_zone,
            )
        except (ValueError, DuplicateLine) as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"line {line.number} added ({line.language})")


@ivr_cli.command("notify")
@click.argument("number")
@click.argument("choice", type=click.Choice(CHOICES))
@click.option("--mobile", help='The mobile number texts go to ("" forgets it).')
def notify_command(number: str, choice: str, mobile: str | None) -> None:
    """Choose how a line hears of new messages: none, email, email+audio or sms."""
    with session() as db:
        line = line_argument(db, number)
        try:
            set_notify(
                db,
                line,
                choice,
                mobile=mobile,
                region=current_app.config["IVR_DEFAULT_REGION"],
                actor=actor(),
                now=now(),
            )
        except NotifyRefused as refused:
            raise click.ClickException(str(refused)) from None
        to = {"none": "", "sms": f" to {line.mobile}"}.get(choice, f" to {line.email}")
        click.echo(f"line {line.number}: new-message notice {choice}{to}")
