"""Command line: `flask db ...` for the schema, `flask ivr ...` for operators."""

from __future__ import annotations

import getpass
import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session, sessionmaker

from ivr.phone import (
    CallFailed,
    FlaskTransport,
    HttpTransport,
    PhoneCall,
    Transport,
    simulated_recording,
)
from store.lines import (
    LANGUAGES,
    DuplicateLine,
    InvalidNumber,
    add_line,
    find_line,
    to_e164,
)
from store.migrate import alembic_config
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

ENTRY_POINTS = {
    "access": "/voice/access",
    "deposit": "/voice/deposit",
    "support": "/support/incoming",
}
PLATFORMS = ("twilio", "signalwire", "telnyx")
# The setting the console phone signs with, when --secret is not given.
PHONE_SECRETS = {
    "twilio": "TWILIO_AUTH_TOKEN",
    "signalwire": "IVR_PLATFORM_SIGNING_KEY",
    "telnyx": None,
}
PHONE_SECRET_MISSING = {
    "twilio": "TWILIO_AUTH_TOKEN is not set: the app would refuse the call",
    "signalwire": "IVR_PLATFORM_SIGNING_KEY is not set: the app would refuse the call",
    "telnyx": "Telnyx signs with a private key the app never holds: pass --secret "
    "(or IVR_PHONE_SECRET), the base64 Ed25519 key of IVR_PLATFORM_PUBLIC_KEY",
}


def init_app(app: Flask) -> None:
    from ivr import console_cli, support_cli, voicemail_cli  # noqa: F401  (add their commands)

    app.cli.add_command(db_cli)
    app.cli.add_command(ivr_cli)


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


def session() -> Session:
    """A database session for one command."""
    factory: sessionmaker[Session] = current_app.extensions["ivr.sessions"]
    return factory()


def actor() -> str:
    """Who runs a command, for the audit log: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def now() -> datetime:
    """The app's clock (tests may inject one)."""
    moment: datetime = current_app.config["IVR_CLOCK"]()
    return moment


def line_argument(db: Session, number: str) -> Line:
    """The provisioned line a command names, in any form; a clear error otherwise."""
    try:
        e164 = to_e164(number, current_app.config["IVR_DEFAULT_REGION"])
    except InvalidNumber as error:
        raise click.ClickException(str(error)) from None
    line = find_line(db, e164)
    if line is None:
        raise click.ClickException(f"no line {e164}")
    return line


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
            db.commit()
        except (ValueError, DuplicateLine) as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"line {line.number} added ({line.language})")


def _keys(scripted: str | None) -> Iterator[str]:
    """What the caller types at each prompt: from --keys, else from the terminal."""
    if scripted is not None:
        yield from scripted.split()
        return
    while True:
        try:
            typed = input("keys> ") if sys.stdin.isatty() else sys.stdin.readline()
        except EOFError:
            return
        if not sys.stdin.isatty() and not typed:
            return
        yield typed.strip()


def _converse(call: PhoneCall, entry: str, keys: str | None) -> None:
    """Dial, type each key when asked, then hang up."""
    call.dial(entry)
    for typed in _keys(keys):
        if call.ended or call.waiting is None:
            break
        click.echo(f"> {typed}")
        call.press("" if typed == "-" else typed)
    if not call.ended:
        click.echo("(caller hangs up)")
    call.hang_up()


def _platform(url: str | None) -> str | None:
    """Where the console phone's recordings live: the dev server itself in development."""
    if not current_app.config.get("IVR_DEVELOPMENT"):
        return None  # where the call's platform keeps them
    server = url or "http://" + os.environ.get("IVR_BIND", "127.0.0.1:8000")
    return server.rstrip("/") + "/dev/platform"


# A caller who hears the greeting out, speaks, presses `#`, and sends from the review.
DEPOSIT_KEYS = "- 1"


@ivr_cli.command("call")
@click.option("--from", "caller", required=True, help="The caller's number (From).")
@click.option(
    "--to",
    "entry",
    type=click.Choice(sorted(ENTRY_POINTS)),
    default="access",
    show_default=True,
    help="Which number is called.",
)
@click.option("--url", help="A running server's base URL; in-process when omitted.")
@click.option(
    "--keys",
    help='Keys for each prompt in turn, e.g. "2 2 1 4827# 1"; "-" is silence. '
    "A deposit without --keys hears the greeting out, speaks, presses # and "
    'sends ("- 1").',
)
@click.option("--mailbox", help="Deposit: the line whose unanswered call is forwarded (To).")
@click.option("--forwarded-from", help="Deposit: the ForwardedFrom the platform passes on.")
@click.option(
    "--speak",
    type=click.IntRange(0, 14400),
    default=5,
    show_default=True,
    help="Seconds the caller speaks at each recording (0: says nothing).",
)
@click.option(
    "--platform",
    type=click.Choice(PLATFORMS),
    help="Sign and speak as this platform (default: IVR_PLATFORM).",
)
@click.option(
    "--secret",
    envvar="IVR_PHONE_SECRET",
    help="The platform's signing secret; Telnyx: the base64 Ed25519 private key "
    "(default: TWILIO_AUTH_TOKEN, IVR_PLATFORM_SIGNING_KEY).",
)
def call_command(
    caller: str,
    entry: str,
    url: str | None,
    keys: str | None,
    mailbox: str | None,
    forwarded_from: str | None,
    speak: int,
    platform: str | None,
    secret: str | None,
) -> None:
    """Place a call against the app from the console, as the platform would."""
    platform = platform or current_app.config["IVR_PLATFORM"]
    token = secret or current_app.config.get(PHONE_SECRETS[platform] or "")
    if not token:
        raise click.ClickException(PHONE_SECRET_MISSING[platform])
    if entry == "deposit" and not (mailbox or forwarded_from):
        raise click.ClickException("a deposit call needs --mailbox NUMBER (the line called)")
    if entry == "deposit" and keys is None:
        keys = DEPOSIT_KEYS
    transport: Transport = HttpTransport(url) if url else FlaskTransport(current_app)
    extra = {"ForwardedFrom": forwarded_from} if forwarded_from else {}
    record = simulated_recording(speak, _platform(url))

    def speaking(call: PhoneCall, verb: ET.Element) -> dict[str, str]:
        click.echo(f"(beep: the caller speaks for {speak} s, then presses #)")
        return record(call, verb)

    call = PhoneCall(
        transport,
        token,
        caller=caller,
        called=mailbox or ENTRY_POINTS[entry],
        extra=extra,
        platform=platform,
        on_say=lambda text: click.echo(f"  {text}"),
        recording=speaking,
    )
    try:
        _converse(call, ENTRY_POINTS[entry], keys)
    except CallFailed as error:  # a refused signature, a server error: one line, no traceback
        raise click.ClickException(str(error)) from None
    for number in call.dialled:
        click.echo(f"(call put through to {number})")
