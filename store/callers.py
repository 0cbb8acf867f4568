"""Code attempts per calling number, across calls and lines (issue 9, item 5).

One number that keeps trying codes is refused after a bounded number of
attempts per window, answered exactly like a lock and without any bcrypt
check. The attempt is taken before the code is checked, in one upsert that
refuses past the limit, so concurrent calls from one number never get more
checks than the limit; a right code gives its attempt back. Numbers are
counted under an HMAC keyed by the pepper, never in clear. A withheld or
malformed number (anything that is not E.164, and the platforms' words and
placeholder for a hidden caller ID) cannot be told apart from another: all
of them share one bucket, with its own, higher limit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, bindparam, case, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store import audit
from store.credentials import Hasher
from store.db import commits
from store.models import CallerStrikes, UTCDateTime

# What platforms send for a hidden caller ID; +266696687 spells ANONYMOUS.
WITHHELD_WORDS = frozenset(
    {"", "anonymous", "restricted", "unknown", "private", "unavailable", "withheld", "+266696687"}
)
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

_TABLE: Any = CallerStrikes.__table__
_C = _TABLE.c
_NOW = bindparam("now", type_=UTCDateTime())
_OVER = _C.window_started_at <= bindparam("window_start", type_=UTCDateTime())


def _take(module: Any) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE ... WHERE under the limit ... RETURNING, built once."""
    return (
        module.insert(_TABLE)
        .values(key=bindparam("w_key"), strikes=1, window_started_at=_NOW, updated_at=_NOW)
        .on_conflict_do_update(
            index_elements=[_C.key],
            set_={
                "strikes": case((_OVER, 1), else_=_C.strikes + 1),
                "window_started_at": case((_OVER, _NOW), else_=_C.window_started_at),
                "updated_at": _NOW,
            },
            where=or_(_C.strikes < bindparam("limit"), _OVER),
        )
        .returning(_C.strikes)
    )


_TAKE = {"sqlite": _take(sqlite), "postgresql": _take(postgresql)}
_GIVE_BACK = (
    update(_TABLE)
    .where(_C.key == bindparam("w_key"), _C.strikes > 0)
    .values(strikes=_C.strikes - 1)
)
# Set once per window: the audit log gets one entry when a number becomes throttled.
_MARK_THROTTLED = (
    update(_TABLE)
    .where(
        _C.key == bindparam("w_key"),
        or_(_C.throttled_at.is_(None), _C.throttled_at < _C.window_started_at),
    )
    .values(throttled_at=_NOW)
)


def is_withheld(caller: str) -> bool:
    """Whether a calling number names nobody in particular (hidden, or not E.164)."""
    return caller.strip().lower() in WITHHELD_WORDS or not _E164.fullmatch(caller)


def caller_key(hasher: Hasher, caller: str) -> str:
    """The key under which a calling number's attempts are counted."""
    message = b"caller-withheld" if is_withheld(caller) else f"caller\0{caller}".encode()
    return hmac.new(hasher.pepper, message, hashlib.sha256).hexdigest()


def take_attempt(
    session: Session, key: str, limit: int, now: datetime, window_seconds: int
) -> bool:
    """Count one code attempt for the caller; False once the window's limit is reached."""
    dialect = session.get_bind().dialect.name
    taken = (
        session.connection()
        .execute(
            _TAKE[dialect],
            {
                "w_key": key,
                "now": now,
                "limit": limit,
                "window_start": now - timedelta(seconds=window_seconds),
            },
        )
        .scalar()
    )
    return taken is not None


def give_back(session: Session, key: str) -> None:
    """A right code: the attempt does not count against the caller."""
    session.connection().execute(_GIVE_BACK, {"w_key": key})


@commits
def refuse(session: Session, key: str, withheld: bool, limit: int, now: datetime) -> None:
    """Note a refused attempt: audited once per window, never the number itself."""
    marked = session.connection().execute(_MARK_THROTTLED, {"w_key": key, "now": now})
    if isinstance(marked, CursorResult) and marked.rowcount == 1:
        audit.record(
            session,
            "phone",
            "caller.throttled",
            now,
            caller=key[:16],
            withheld=withheld,
            limit=limit,
        )


def purge_callers(session: Session, now: datetime, window_seconds: int) -> int:
    """Forget callers untouched for a whole window; the caller commits."""
    result = session.execute(
        delete(CallerStrikes).where(
            CallerStrikes.updated_at < now - timedelta(seconds=window_seconds)
        ),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount) if isinstance(result, CursorResult) else 0
