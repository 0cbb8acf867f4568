"""`flask db ...`: the schema, through Alembic's own commands."""

from __future__ import annotations

import click
from alembic import command
from alembic.config import Config
from flask import current_app

from ivr.cli.base import db_cli
from store.migrate import alembic_config


def _alembic() -> Config:
    return alembic_config(current_app.config["IVR_DATABASE_URL"])


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    command.upgrade(_alembic(), revision)


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    command.downgrade(_alembic(), revision)


@db_cli.command("current")
def db_current() -> None:
    """Show the schema's current revision."""
    command.current(_alembic())


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration script."""
    command.revision(_alembic(), message=message, autogenerate=autogenerate)
