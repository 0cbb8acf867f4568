"""`flask ivr reset-mailbox` and `flask ivr purge`: the operator's side of voicemail."""

from __future__ import annotations

import getpass
from datetime import datetime, timedelta

import click
from flask import current_app

from ivr import recordings
from ivr.cli import ivr_cli
from store.calls import purge_calls
from store.codes import purge_phantoms
from store.lines import InvalidNumber, find_line, to_e164
from store.messages import purge_messages
from store.resets import ResetRefused, reset_mailbox

# Call states untouched this long are deleted by `purge` (ended or abandoned).
CALL_STATE_RETENTION = timedelta(days=1)


def _now() -> datetime:
    now: datetime = current_app.config["IVR_CLOCK"]()
    return now


@ivr_cli.command("reset-mailbox")
@click.argument("number")
@click.option("--reason", required=True, help="Why the mailbox is reset (kept in the audit log).")
@click.option("--override", is_flag=True,
              help="Reset although no support call on this line was verified in the last "
                   "two hours (recorded in the audit log).")
def reset_mailbox_command(number: str, reason: str, override: bool) -> None:
    """Clear a line's code, strikes and lock; keep its messages and greeting."""
    try:
        e164 = to_e164(number, current_app.config["IVR_DEFAULT_REGION"])
    except InvalidNumber as error:
        raise click.ClickException(str(error)) from None
    with current_app.extensions["ivr.sessions"]() as session:
        line = find_line(session, e164)
        if line is None:
            raise click.ClickException(f"no line {e164}")
        try:
            entry = reset_mailbox(session, line, actor=f"cli:{getpass.getuser()}",
                                  reason=reason, override=override, now=_now())
        except ResetRefused as error:
            hint = " (add --override)" if "override" in str(error) else ""
            raise click.ClickException(f"{error}{hint}") from None
        session.commit()
        marked = " with an override" if entry.override else ""
        click.echo(f"mailbox {e164} reset{marked}: the subscriber creates a new code "
                   "from the fixed line; messages and greeting are kept")


@ivr_cli.command("purge")
def purge_command() -> None:
    """Delete messages past IVR_RETENTION_DAYS (and their recordings) and stale call states."""
    now = _now()
    retention = timedelta(days=current_app.config["IVR_RETENTION_DAYS"])
    with current_app.extensions["ivr.sessions"]() as session:
        sids = purge_messages(session, now, retention)
        calls = purge_calls(session, now, CALL_STATE_RETENTION)
        phantoms = purge_phantoms(session, now, retention)
        session.commit()
    deleted = recordings.delete_recordings(sids)
    click.echo(f"{len(sids)} messages older than {retention.days} days deleted "
               f"({deleted} recordings deleted on the platform), {calls} call states "
               f"and {phantoms} unknown-number counters purged")
