"""`flask ivr reset-mailbox` and `flask ivr purge`: the operator's side of voicemail."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app

from ivr import mwi, recordings
from ivr.cli.base import ivr_cli, line_argument, session
from ivr.doors import actor, hasher, now
from store.callers import purge_callers
from store.calls import purge_calls
from store.codes import purge_phantoms
from store.db import transaction
from store.locks import purge_history
from store.messages import purge_messages
from store.resets import ResetRefused, reset_mailbox
from store.signin import purge_throttles

# Call states untouched this long are deleted by `purge` (ended or abandoned).
CALL_STATE_RETENTION = timedelta(days=1)


@ivr_cli.command("reset-mailbox")
@click.argument("number")
@click.option("--reason", required=True, help="Why the mailbox is reset (kept in the audit log).")
@click.option(
    "--override",
    is_flag=True,
    help="Reset although no support call on this line was verified in the last "
    "two hours (recorded in the audit log).",
)
def reset_mailbox_command(number: str, reason: str, override: bool) -> None:
    """Clear a line's code, strikes and lock; keep its messages and greeting."""
    with session() as db:
        line = line_argument(db, number)
        try:
            entry = reset_mailbox(
                db, line, actor=actor(), reason=reason, override=override, now=now()
            )
        except ResetRefused as error:
            hint = " (add --override)" if "override" in str(error) else ""
            raise click.ClickException(f"{error}{hint}") from None
        marked = " with an override" if entry.override else ""
        click.echo(
            f"mailbox {line.number} reset{marked}: the subscriber creates a new code "
            "from the fixed line; messages and greeting are kept"
        )


@ivr_cli.command("purge")
def purge_command() -> None:
    """Delete messages and lock records past IVR_RETENTION_DAYS (and recordings), stale call
    states and console sign-in counters untouched for a day."""
    moment = now()
    retention = timedelta(days=current_app.config["IVR_RETENTION_DAYS"])
    with session() as db, transaction(db):  # one unit of work over every table it forgets
        purged = purge_messages(db, moment, retention)
        mwi.changed(db, purged.line_ids, moment)
        calls = purge_calls(db, moment, CALL_STATE_RETENTION)
        phantoms = purge_phantoms(db, moment, retention)
        phantoms += purge_callers(db, moment, current_app.config["IVR_CALLER_WINDOW_SECONDS"])
        throttles = purge_throttles(db, hasher().pepper, moment)
        lock_records = purge_history(db, moment, retention)
    sids = purged.sids
    deleted = recordings.delete_recordings(sids)
    click.echo(
        f"{len(sids)} messages older than {retention.days} days deleted "
        f"({deleted} recordings deleted on the platform), {calls} call states "
        f"and {phantoms} unknown-number and calling-number counters purged, "
        f"{throttles} sign-in counters and {lock_records} lock records forgotten"
    )
