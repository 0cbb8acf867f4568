"""`flask ivr ...` commands for service PINs and API keys: the same store
operations as the JSON API (store/pins.py, store/apikeys.py)."""

from __future__ import annotations

import click
from flask import current_app

from ivr.cli.base import ivr_cli, line_argument, session
from ivr.doors import actor, hasher, now
from store import apikeys, pins


@ivr_cli.command("set-service-pin")
@click.argument("number")
@click.argument("pin", required=False)
def set_service_pin_command(number: str, pin: str | None) -> None:
    """Set the permanent service PIN of line NUMBER (asked for when PIN is omitted)."""
    if pin is None:
        pin = click.prompt("Service PIN", hide_input=True, confirmation_prompt=True)
    with session() as db:
        line = line_argument(db, number)
        try:
            pins.set_permanent_pin(db, hasher(), line, pin, actor=actor(), now=now())
        except pins.PinRefused as refused:
            raise click.ClickException(f"PIN refused: {refused}") from None
        click.echo(f"permanent service PIN set for {line.number}")


@ivr_cli.command("issue-temporary-pin")
@click.argument("number")
def issue_temporary_pin_command(number: str) -> None:
    """Issue a new temporary service PIN for line NUMBER and print it (once)."""
    with session() as db:
        line = line_argument(db, number)
        issued = pins.issue_temporary_pin(
            db,
            hasher(),
            line,
            actor=actor(),
            now=now(),
            ttl_seconds=current_app.config["IVR_TEMP_PIN_SECONDS"],
        )
        click.echo(
            f"temporary service PIN for {line.number}: {issued.pin} "
            f"(valid until {issued.expires_at.isoformat(timespec='seconds')})"
        )


@ivr_cli.command("clear-pin-lock")
@click.argument("number")
def clear_pin_lock_command(number: str) -> None:
    """Clear the service-PIN failure count and lock of line NUMBER."""
    with session() as db:
        line = line_argument(db, number)
        pins.clear_pin_lock(db, line, actor=actor(), now=now())
        click.echo(f"service PIN lock cleared for {line.number}")


@ivr_cli.command("create-api-key")
@click.argument("name")
def create_api_key_command(name: str) -> None:
    """Create a bearer key for the JSON API and print it (only this once)."""
    with session() as db:
        try:
            key = apikeys.create_api_key(db, hasher().pepper, name, actor=actor(), now=now())
        except apikeys.ApiKeyRefused as refused:
            raise click.ClickException(str(refused)) from None
    click.echo(key)


@ivr_cli.command("revoke-api-key")
@click.argument("name")
def revoke_api_key_command(name: str) -> None:
    """Revoke the API key NAME: it is refused from now on."""
    with session() as db:
        try:
            apikeys.revoke_api_key(db, name, actor=actor(), now=now())
        except apikeys.ApiKeyRefused as refused:
            raise click.ClickException(str(refused)) from None
    click.echo(f"API key {name} revoked")
