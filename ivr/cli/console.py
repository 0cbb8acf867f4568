"""`flask ivr add-adviser` and `flask ivr send-mail`: console accounts and the mail outbox."""

from __future__ import annotations

import click
from flask import current_app

from ivr import mail
from ivr.cli.base import ivr_cli, session
from ivr.doors import actor, hasher, now
from store import advisers


@ivr_cli.command("add-adviser")
@click.argument("username")
@click.option("--role", type=click.Choice(advisers.ROLES), default="adviser", show_default=True)
def add_adviser_command(username: str, role: str) -> None:
    """Create a console account; prints its one-time password once."""
    with session() as db:
        try:
            account, password = advisers.create_adviser(
                db, hasher(), username, role, actor=actor(), now=now()
            )
        except advisers.AccountError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{account.role} {account.username} added.")
    click.echo(f"One-time password (shown once): {password}")
    click.echo("Sign in at /console: choose a new password and set up an authenticator app.")


@ivr_cli.command("send-mail")
def send_mail_command() -> None:
    """Send the e-mails waiting in the outbox through IVR_SMTP_URL."""
    if not current_app.config.get("IVR_SMTP_URL"):
        raise click.ClickException("IVR_SMTP_URL is not set: mail stays in the outbox")
    done = mail.deliver(current_app)
    click.echo(f"{done.sent} sent, {done.expired} expired unsent, {done.failed} failed")
    if done.failed:
        raise SystemExit(1)
