"""Message-waiting indicator: the operator's switch hears every change of a line's counts.

With `IVR_MWI_URL` set, any transaction that stores, hears or deletes a
message, or resets a mailbox, queues one "mwi" job for the line (in that
transaction). The job posts the counts *as they are when it runs*, signed
with HMAC-SHA256 (`X-IVR-Signature: sha256=<hex>`, keyed by IVR_MWI_SECRET).
A change while a post is on its way queues the job again, so it runs once
more: the switch always ends on the latest counts, and one line never has
two posts in flight (the job is claimed by one worker at a time).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import requests
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, attributes

from store import jobs, lines
from store.messages import count_messages
from store.models import AuditEntry, Line, Message

MWI = "mwi"
TIMEOUT_SECONDS = 5.0
SIGNATURE = "X-IVR-Signature"


class Refused(Exception):
    """The switch did not take the post (network error, timeout, non-2xx)."""


def changed(session: Session, line_ids: Iterable[int], now: datetime) -> None:
    """Queue a post of these lines' counts (same transaction); nothing without IVR_MWI_URL."""
    if not current_app.config.get("IVR_MWI_URL"):
        return
    for line_id in sorted(set(line_ids)):
        jobs.enqueue(session, MWI, str(line_id), now, again=True)


def signature(secret: str, body: bytes) -> str:
    """The header value the switch checks."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_counts(session: Session, ref: str, _job: jobs.Claimed, now: datetime) -> None:
    """Post the line's current counts to the switch."""
    url = current_app.config.get("IVR_MWI_URL")
    line = session.get(Line, int(ref))
    if not url or line is None:
        return
    new, saved = count_messages(session, line.id)
    session.rollback()  # hold no transaction while the switch answers
    body = json.dumps(
        {"line": line.number, "new": new, "saved": saved, "at": now.isoformat()}
    ).encode()
    headers = {"Content-Type": "application/json"}
    secret = current_app.config.get("IVR_MWI_SECRET")
    if secret:
        headers[SIGNATURE] = signature(secret, body)
    try:
        answer = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise Refused(f"cannot reach the switch: {type(error).__name__}") from None
    if not 200 <= answer.status_code < 300:
        raise Refused(f"the switch answered HTTP {answer.status_code}")


def _lines_changed(session: Session) -> set[int]:
    """Lines whose counts this flush changes (ORM changes; bulk ones call `changed`)."""
    found: set[int] = set()
    for item in session.new:
        if isinstance(item, Message):
            found.add(item.line_id)
    for item in session.deleted:
        if isinstance(item, Message):
            found.add(item.line_id)
    for item in session.dirty:
        if isinstance(item, Message) and attributes.get_history(item, "heard").has_changes():
            found.add(item.line_id)
    resets = [
        item.line_number
        for item in session.new
        if isinstance(item, AuditEntry) and item.action == "mailbox.reset"
    ]
    if resets:
        found.update(lines.ids_of(session, resets))
    return found


def init_app(app: Flask) -> None:
    """Watch every session of the app for count changes."""
    if not app.config.get("IVR_MWI_URL"):
        return

    @event.listens_for(app.extensions["ivr.sessions"], "before_flush")
    def _queue(session: Session, _context: Any, _instances: Any) -> None:
        line_ids = _lines_changed(session)
        if line_ids:
            with app.app_context():
                changed(session, line_ids, app.config["IVR_CLOCK"]())


HANDLERS = {MWI: post_counts}
