"""What every command shares: the two groups, the plain-text check, a session,
and the line a command names (or one `Error:` line)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session, sessionmaker

from ivr.doors import InvalidNumber, NoSuchLine, line_named
from store.models import Line
from store.text import InvalidText, plain_text

# Backstop for any argument or option; each command's own rules are tighter.
MAX_ARGUMENT = 1000


class CheckedCommand(click.Command):
    """A command whose text arguments must be plain text (store/text.py), or one clear line."""

    def invoke(self, ctx: click.Context) -> object:
        for name, value in ctx.params.items():
            if isinstance(value, str):
                try:
                    plain_text(value, name.replace("_", "-"), max_length=MAX_ARGUMENT)
                except InvalidText as error:
                    raise click.ClickException(str(error)) from None
        return super().invoke(ctx)


db_cli = AppGroup("db", help="Create or upgrade the database schema (Alembic).")
ivr_cli = AppGroup("ivr", help="Operate the voicemail service.")
ivr_cli.command_class = CheckedCommand


def session() -> Session:
    """A database session for one command."""
    factory: sessionmaker[Session] = current_app.extensions["ivr.sessions"]
    return factory()


def line_argument(db: Session, number: str) -> Line:
    """The provisioned line a command names, in any form; one `Error:` line otherwise."""
    try:
        return line_named(db, number)
    except (InvalidNumber, NoSuchLine) as error:
        raise click.ClickException(str(error)) from None
