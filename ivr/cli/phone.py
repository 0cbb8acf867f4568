"""`flask ivr call`: the console phone (ivr/phone.py) places a call, as the platform would.

It says which number it calls from and whether a line has that number, prints
what is said and each key typed (once), and says why the call ends: the
app hung up, or the keys ran out. A server it cannot reach, or a `--url`
that is not one, is one `Error:` line.
"""

from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import urlsplit

import click
from flask import current_app

from ivr.cli.base import ivr_cli, session
from ivr.doors import InvalidNumber, NoSuchLine, line_named
from ivr.phone import (
    CallFailed,
    FlaskTransport,
    HttpTransport,
    PhoneCall,
    Transport,
    simulated_recording,
)

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
    """Dial, type each key when asked, then hang up; say so when the keys run out."""
    call.dial(entry)
    typing = _keys(keys)
    echo = keys is not None or not sys.stdin.isatty()  # a terminal shows what was typed
    while not call.ended and call.waiting is not None:
        typed = next(typing, None)
        if typed is None:
            ran_out = "no keys left" if keys is not None else "end of input"
            click.echo(f"({ran_out}: the caller hangs up)")
            break
        if echo:
            click.echo(f"> {typed}")
        call.press("" if typed == "-" else typed)
    else:
        unused = list(typing) if keys is not None else []
        if unused:
            click.echo(f"(the call ended before these keys: {' '.join(unused)})")
    call.hang_up()


def _caller(typed: str) -> str:
    """The From the platform sends for --from, said aloud: E.164, and whether a line has it."""
    with session() as db:
        try:
            number = line_named(db, typed).number
        except InvalidNumber:
            click.echo(f"(calling from {typed!r}: not a phone number, sent as typed)")
            return typed
        except NoSuchLine as missing:
            click.echo(
                f"(calling from {missing.e164}, not a provisioned line: the app answers a stranger)"
            )
            return missing.e164
    click.echo(f"(calling from {number}, a provisioned line)")
    return number


def _base_url(url: str) -> str:
    """A server's base URL, or one `Error:` line saying what is wrong with it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.ClickException(
            f"--url {url!r} is not a server's base URL: give the scheme and host, "
            "e.g. --url http://127.0.0.1:8000"
        )
    return url


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
    transport: Transport = HttpTransport(_base_url(url)) if url else FlaskTransport(current_app)
    extra = {"ForwardedFrom": forwarded_from} if forwarded_from else {}
    record = simulated_recording(speak, _platform(url))

    def speaking(call: PhoneCall, verb: ET.Element) -> dict[str, str]:
        click.echo(f"(beep: the caller speaks for {speak} s, then presses #)")
        return record(call, verb)

    call = PhoneCall(
        transport,
        token,
        caller=_caller(caller),
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
