"""Each line's choice of new-message notice (issue 12): one operation for every door."""

from __future__ import annotations

from datetime import datetime

import phonenumbers
from sqlalchemy.orm import Session

from store import audit
from store.db import commits
from store.lines import InvalidNumber, to_e164
from store.models import Line

CHOICES = ("none", "email", "email+audio", "sms")
MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


class NotifyRefused(ValueError):
    """The choice cannot be made as asked."""


def mobile_number(text: str, region: str) -> str:
    """A mobile number in any form, as E.164."""
    try:
        e164 = to_e164(text, region)
    except InvalidNumber as error:
        raise NotifyRefused(str(error)) from None
    if phonenumbers.number_type(phonenumbers.parse(e164)) not in MOBILE_TYPES:
        raise NotifyRefused(f"{e164} is not a mobile number (texts go to a mobile)")
    return e164


@commits
def set_notify(
    session: Session,
    line: Line,
    notify: str,
    *,
    mobile: str | None,
    region: str,
    actor: str,
    now: datetime,
) -> None:
    """Choose how the subscriber hears of new messages (audit-logged), or raise NotifyRefused."""
    if notify not in CHOICES:
        raise NotifyRefused(f"notify must be one of {', '.join(CHOICES)}")
    if mobile is not None:
        line.mobile = mobile_number(mobile, region) if mobile else None
    if notify == "sms" and not line.mobile:
        raise NotifyRefused("sms needs a mobile number on file (give one)")
    if notify.startswith("email") and not line.email:
        raise NotifyRefused(f"{notify} needs an e-mail address on file")
    line.notify = notify
    audit.record(
        session,
        actor,
        "notify.set",
        now,
        line_number=line.number,
        notify=notify,
        mobile_on_file=line.mobile is not None,
    )
