"""Provisioning and finding lines."""

from __future__ import annotations

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import Line, Mailbox

LANGUAGES = ("en", "fr", "de")


class InvalidNumber(ValueError):
    """The text is not a valid phone number."""


class DuplicateLine(ValueError):
    """A line with this number or customer number already exists."""


def to_e164(text: str, region: str) -> str:
    """Parse a number in national or international form into E.164."""
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


def add_line(
    session: Session,
    number: str,
    *,
    region: str,
    language: str,
    customer_number: str | None = None,
    email: str | None = None,
) -> Line:
    """Provision a line and its empty mailbox; the caller commits."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    line = Line(
        number=to_e164(number, region),
        customer_number=customer_number,
        language=language,
        email=email,
    )
    line.mailbox = Mailbox(ask_code_on_fixed_line=True, strikes=0)
    session.add(line)
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
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
