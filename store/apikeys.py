"""Bearer keys for the JSON API (SPEC §5): shown once, stored as a keyed hash.

Keys are 256 random bits, so a fast keyed hash (HMAC-SHA256 with the
server's pepper) is enough: there is nothing to brute-force, and a stolen
database alone does not let anyone check a guess.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import audit
from store.db import commits
from store.models import ApiKey

PREFIX = "ivr_"
PURPOSE = b"api-key\x00"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
MAX_PRESENTED_LENGTH = 128


class ApiKeyRefused(ValueError):
    """The key cannot be created (bad or duplicate name) or revoked (unknown)."""


def key_hash(pepper: bytes, presented: str) -> str:
    """The stored form of a key."""
    return hmac.new(pepper, PURPOSE + presented.encode(), hashlib.sha256).hexdigest()


@commits
def create_api_key(session: Session, pepper: bytes, name: str, *, actor: str, now: datetime) -> str:
    """Create a key named `name` and return it (the only time it is seen)."""
    if not NAME.fullmatch(name):
        raise ApiKeyRefused("a key name is 1 to 64 letters, digits, '.', '_', ':' or '-'")
    presented = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_hash=key_hash(pepper, presented), created_at=now))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ApiKeyRefused(f"an API key named {name!r} already exists") from None
    audit.record(session, actor, "api_key.created", now, name=name)
    return presented


def find_api_key(session: Session, pepper: bytes, presented: str) -> ApiKey | None:
    """The key matching `presented` (live or revoked: the caller looks), or None."""
    if not presented.startswith(PREFIX) or len(presented) > MAX_PRESENTED_LENGTH:
        return None
    return session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash(pepper, presented)))


@commits
def revoke_api_key(session: Session, name: str, *, actor: str, now: datetime) -> ApiKey:
    """Revoke the key named `name`."""
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise ApiKeyRefused(f"no API key named {name!r}")
    if key.revoked_at is None:
        key.revoked_at = now
        audit.record(session, actor, "api_key.revoked", now, name=name)
    return key
