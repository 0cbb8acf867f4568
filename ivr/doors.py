"""What every door (webhooks, console, API, CLI) takes from the app: the clock,
the hasher, who acts, and the line a number names.

Each door turns a missing or invalid line into its own answer: the API a 4xx
JSON error, the console a 404, the CLI one `Error:` line.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import cast

from flask import current_app, g, has_request_context
from sqlalchemy.orm import Session

from store.credentials import Hasher
from store.lines import InvalidNumber, find_line, to_e164
from store.models import Line

__all__ = ["InvalidNumber", "NoSuchLine", "actor", "hasher", "line_named", "now"]


class NoSuchLine(LookupError):
    """No line is provisioned for this (valid) number."""

    def __init__(self, e164: str) -> None:
        super().__init__(f"no line {e164}")
        self.e164 = e164


def now() -> datetime:
    """The app's clock (tests inject one)."""
    return cast(datetime, current_app.config["IVR_CLOCK"]())


def hasher() -> Hasher:
    """The app's hasher for codes, PINs and passwords (store/credentials.py)."""
    return cast(Hasher, current_app.extensions["ivr.hasher"])


def actor() -> str:
    """Who acts, as the audit log names them.

    In a request, what the door set when it let the request in (`api:<key>`,
    `adviser:<username>`); at the command line, the operating-system user.
    """
    if has_request_context():
        return cast(str, g.actor)
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def line_named(session: Session, number: str) -> Line:
    """The provisioned line `number` names, in any form phonenumbers reads.

    Raises InvalidNumber when it is not a phone number, NoSuchLine when no
    line has it.
    """
    e164 = to_e164(number, current_app.config["IVR_DEFAULT_REGION"])
    line = find_line(session, e164)
    if line is None:
        raise NoSuchLine(e164)
    return line
