"""Provisioning and finding lines."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_time_zones
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.db import commits
from store.models import Line, Mailbox
from store.text import InvalidText, digits, email_address, plain_text

# The one list of the languages a line can have; every text in every language is
# checked against it (tests/test_flows.py: test_every_language_has_every_text).
LANGUAGES = ("en", "fr", "de")
MAX_NUMBER_TEXT = 40  # a number typed in any form, spaces and all
MAX_CUSTOMER_NUMBER = 32
MAX_TIME_ZONE = 64


class InvalidNumber(InvalidText):
    """The text is not a valid phone number."""


class DuplicateLine(ValueError):
    """A line with this number or customer number already exists."""


def to_e164(text: str, region: str) -> str:
    """Parse a number in national or international form into E.164."""
    try:
        plain_text(text, "the number", max_length=MAX_NUMBER_TEXT)
    except InvalidText as error:
        raise InvalidNumber(str(error)) from None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidNumber(f"not a phone number: {text!r}") from error
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(f"not a valid phone number: {text!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str) -> str:
    """The number as dialled within its country, digits only (0142685300)."""
    parsed = phonenumbers.parse(e164)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def default_time_zone(e164: str) -> str:
    """The number's time zone when phonenumbers knows exactly one, else UTC."""
    zones = number_time_zones.time_zones_for_number(phonenumbers.parse(e164))
    if len(zones) == 1 and zones[0] != number_time_zones.UNKNOWN_TIMEZONE:
        return str(zones[0])
    return "UTC"


def check_time_zone(name: str) -> str:
    """The IANA time zone name, if it is one."""
    plain_text(name, "time zone", max_length=MAX_TIME_ZONE)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone: {name!r}") from None
    return name


@commits
def add_line(
    session: Session,
    number: str,
    *,
    region: str,
    language: str,
    customer_number: str | None = None,
    email: str | None = None,
    time_zone: str | None = None,
) -> Line:
    """Provision a line and its empty mailbox.

    Every field is checked first (InvalidText, a ValueError, says which and
    why); the e-mail address is stored normalised. The time zone (for
    message envelopes) defaults to the number's own.
    """
    if language not in LANGUAGES:
        raise InvalidText(f"language must be one of {', '.join(LANGUAGES)}")
    e164 = to_e164(number, region)
    line = Line(
        number=e164,
        customer_number=None
        if customer_number is None
        else digits(customer_number, "customer_number", max_length=MAX_CUSTOMER_NUMBER),
        language=language,
        email=email_address(email) if email is not None else None,
        time_zone=check_time_zone(time_zone) if time_zone else default_time_zone(e164),
    )
    line.mailbox = Mailbox(ask_code_on_fixed_line=True, strikes=0)
    session.add(line)
    try:
        session.flush()
    except IntegrityError as error:
        raise DuplicateLine(f"line {line.number} or its customer number exists") from error
    return line


def find_line(session: Session, e164: str) -> Line | None:
    """The line with this E.164 number, if provisioned."""
    return session.scalar(select(Line).where(Line.number == e164))


def lookup_line(session: Session, text: str, region: str) -> Line | None:
    """The line for a number typed in any form, or None if invalid or unknown."""
    try:
        return find_line(session, to_e164(text, region))
    except InvalidNumber:
        return None


def ids_of(session: Session, numbers: list[str | None]) -> set[int]:
    """The ids of the lines with these numbers, read on the session's connection (no flush)."""
    return set(session.connection().scalars(select(Line.id).where(Line.number.in_(numbers))))
