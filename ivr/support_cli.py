"""`flask ivr ...` commands for service PINs and API keys: the same store
operations as the JSON API (store/pins.py, store/apikeys.py)."""

from __future__ import annotations

import getpass

import click
from flask import current_app
from sqlalchemy.orm import Session

from ivr.cli import ivr_cli
from store import apikeys, pins
from store.lines import InvalidNumber, find_line, to_e164
from store.models import Line


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _session() -> Session:
    return current_app.extensions["ivr.sessions"]()


def _line(session: Session, number: str) -> Line:
    try:
        e164 = to_e164(number, current_app.config["IVR_DEFAULT_REGION"])
    except InvalidNumber as error:
        raise click.ClickException(str(error)) from None
    line = find_line(session, e164)
    if line is None:
        raise click.ClickException(f"no line {e164}")
    return line


def _now():  # type: ignore[no-untyped-def]
    return current_app.config["IVR_CLOCK"]()


@ivr_cli.command("set-service-pin")
@click.argument("number")
@click.argument("pin", required=False)
def set_service_pin_command(number: str, pin: str | None) -> None:
    """Set the permanent service PIN of line NUMBER (asked for when PIN is omitted)."""
    if pin is None:
        pin = click.prompt("Service PIN", hide_input=True, confirmation_prompt=True)
    with _session() as session:
        line = _line(session, number)
        try:
            pins.set_permanent_pin(session, current_app.extensions["ivr.hasher"], line, pin,
                                   actor=_actor(), now=_now())
        except pins.PinRefused as refused:
            raise click.ClickException(f"PIN refused: {refused}") from None
        session.commit()
        click.echo(f"permanent service PIN set for {line.number}")


@ivr_cli.command("issue-temporary-pin")
@click.argument("number")
def issue_temporary_pin_command(number: str) -> None:
    """Issue a new temporary service PIN for line NUMBER and print it (once)."""
    with _session() as session:
        line = _line(session, number)
        issued = pins.issue_temporary_pin(
            session, current_app.extensions["ivr.hasher"], line, actor=_actor(), now=_now(),
            ttl_seconds=current_app.config["IVR_TEMP_PIN_SECONDS"],
        )
        session.commit()
        click.echo(f"temporary service PIN for {line.number}: {issued.pin} "
                   f"(valid until {issued.expires_at.isoformat(timespec='seconds')})")


@ivr_cli.command("clear-pin-lock")
@click.argument("number")
def clear_pin_lock_command(number: str) -> None:
    """Clear the service-PIN failure count and lock of line NUMBER."""
    with _session() as session:
        line = _line(session, number)
        pins.clear_pin_lock(session, line, actor=_actor(), now=_now())
        session.commit()
        click.echo(f"service PIN lock cleared for {line.number}")


@ivr_cli.command("create-api-key")
@click.argument("name")
def create_api_key_command(name: str) -> None:
    """Create a bearer key for the JSON API and print it (only this once)."""
    with _session() as session:
        try:
            key = apikeys.create_api_key(session, current_app.config["IVR_PIN_PEPPER"].encode(),
                                         name, actor=_actor(), now=_now())
        except apikeys.ApiKeyRefused as refused:
            raise click.ClickException(str(refused)) from None
        session.commit()
    click.echo(key)


@ivr_cli.command("revoke-api-key")
@click.argument("name")
def revoke_api_key_command(name: str) -> None:
    """Revoke the API key NAME: it is refused from now on."""
    with _session() as session:
        try:
            apikeys.revoke_api_key(session, name, actor=_actor(), now=_now())
        except apikeys.ApiKeyRefused as refused:
            raise click.ClickException(str(refused)) from None
        session.commit()
    click.echo(f"API key {name} revoked")
