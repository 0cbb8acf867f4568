"""Text from outside (API, console forms, CLI) checked before it is stored.

Every door calls these, so the rules are the same everywhere: text is valid
Unicode that UTF-8 can carry (no lone surrogates), with no control
characters, no bidirectional overrides (which make an audit line read other
than it is) and no U+FFFD (what a form decoder leaves of invalid UTF-8),
within a length. An e-mail address is exactly one address, checked and
normalised by email-validator, without DNS lookups.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL = 254  # RFC 5321's limit on a forward path
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
REPLACEMENT = "\ufffd"


class InvalidText(ValueError):
    """Text that may not be stored; the message names the field and the rule."""


def plain_text(value: str, name: str, *, max_length: int, min_length: int = 0) -> str:
    """`value` if it is plain text of `min_length` to `max_length` characters."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            raise InvalidText(f"{name} is not valid UTF-8 text")
        if category == "Cc" or char in BIDI_CONTROLS or char == REPLACEMENT:
            raise InvalidText(
                f"{name} contains a control character (U+{ord(char):04X}) or invalid UTF-8"
            )
    if not min_length <= len(value) <= max_length:
        size = f"at most {max_length}" if min_length == 0 else f"{min_length} to {max_length}"
        raise InvalidText(f"{name} has {size} characters")
    return value


def email_address(value: str, name: str = "email") -> str:
    """The one e-mail address `value` is, normalised (domain in lower case, IDNA)."""
    plain_text(value, name, max_length=MAX_EMAIL, min_length=3)
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidText(f"{name} is not one e-mail address: {error}") from None
    normalised: str = checked.normalized
    if len(normalised) > MAX_EMAIL:
        raise InvalidText(f"{name} has at most {MAX_EMAIL} characters")
    return normalised


def digits(value: str, name: str, *, max_length: int) -> str:
    """`value` if it is 1 to `max_length` ASCII digits (what a caller can type)."""
    if not (value.isascii() and value.isdigit() and 1 <= len(value) <= max_length):
        raise InvalidText(f"{name} is 1 to {max_length} digits (callers type it)")
    return value
