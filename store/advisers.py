"""Console accounts (SPEC §5): advisers and supervisors, passwords and TOTP.

Passwords are stored like codes (peppered bcrypt through `Hasher`, bound to
the username), so a stolen database alone cannot be searched. A new or reset
account gets a one-time password, shown once, to change at the next sign-in.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import audit
from store.credentials import Hasher
from store.db import commits
from store.models import Adviser, ConsoleSession

ROLES = ("adviser", "supervisor")
PASSWORD_PURPOSE = "console-password"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
TOTP_ISSUER = "Voicemail console"
TOTP_STEP_SECONDS = 30


class AccountError(ValueError):
    """The account change cannot be made (bad name, duplicate, weak password)."""


def actor_name(adviser: Adviser) -> str:
    """How the audit log names this adviser."""
    return f"adviser:{adviser.username}"


def normalise_username(typed: str) -> str:
    """Usernames are compared lower-case, without surrounding spaces."""
    return typed.strip().lower()[:64]


def find_adviser(session: Session, username: str) -> Adviser | None:
    """The account with this username, if any (disabled ones included)."""
    return session.scalar(select(Adviser).where(Adviser.username == normalise_username(username)))


def get_adviser(session: Session, adviser_id: int) -> Adviser | None:
    """The account with this id, if any."""
    return session.get(Adviser, adviser_id)


def all_advisers(session: Session) -> list[Adviser]:
    """Every account, by username."""
    return list(session.scalars(select(Adviser).order_by(Adviser.username)))


def _one_time_password() -> str:
    return secrets.token_urlsafe(12)


@commits
def create_adviser(
    session: Session, hasher: Hasher, username: str, role: str, *, actor: str, now: datetime
) -> tuple[Adviser, str]:
    """Create an account; returns it and its one-time password (show it once)."""
    username = normalise_username(username)
    if not USERNAME.fullmatch(username):
        raise AccountError("a username is 2 to 64 letters, digits, dots, dashes or underscores")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    password = _one_time_password()
    adviser = Adviser(
        username=username,
        role=role,
        created_at=now,
        must_change_password=True,
        password_hash=hasher.hash(PASSWORD_PURPOSE, username, password),
    )
    session.add(adviser)
    try:
        session.flush()
    except IntegrityError:
        raise AccountError(f"the username {username} is taken") from None
    audit.record(session, actor, "adviser.created", now, username=username, role=role)
    return adviser, password


def password_matches(hasher: Hasher, adviser: Adviser | None, password: str) -> bool:
    """Check a password; an unknown account spends the same time and fails."""
    if adviser is None:
        hasher.verify(PASSWORD_PURPOSE, "", password, None)
        return False
    return hasher.verify(PASSWORD_PURPOSE, adviser.username, password, adviser.password_hash)


def password_problem(hasher: Hasher, adviser: Adviser, new: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(new) < MIN_PASSWORD_LENGTH:
        return f"a password has at least {MIN_PASSWORD_LENGTH} characters"
    if len(new) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    if adviser.username in new.lower():
        return "a password must not contain the username"
    if password_matches(hasher, adviser, new):
        return "choose a password other than the current one"
    return None


@commits
def change_password(
    session: Session, hasher: Hasher, adviser: Adviser, new: str, *, now: datetime
) -> None:
    """Set the adviser's own new password, or raise AccountError saying why not."""
    problem = password_problem(hasher, adviser, new)
    if problem:
        raise AccountError(problem)
    adviser.password_hash = hasher.hash(PASSWORD_PURPOSE, adviser.username, new)
    adviser.must_change_password = False
    audit.record(session, actor_name(adviser), "adviser.password_changed", now)


def end_sessions(session: Session, adviser: Adviser, now: datetime) -> None:
    """End every open console session of this adviser, on the server."""
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.adviser_id == adviser.id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now),
        execution_options={"synchronize_session": False},
    )


@commits
def reset_password(
    session: Session, hasher: Hasher, adviser: Adviser, *, actor: str, now: datetime
) -> str:
    """Give the account a new one-time password (returned, show it once); signs it out."""
    password = _one_time_password()
    adviser.password_hash = hasher.hash(PASSWORD_PURPOSE, adviser.username, password)
    adviser.must_change_password = True
    end_sessions(session, adviser, now)
    audit.record(session, actor, "adviser.password_reset", now, username=adviser.username)
    return password


@commits
def reset_totp(session: Session, adviser: Adviser, *, actor: str, now: datetime) -> None:
    """Forget the second factor: the adviser enrols again at the next sign-in."""
    adviser.totp_secret = None
    adviser.totp_confirmed = False
    adviser.totp_last_step = None
    end_sessions(session, adviser, now)
    audit.record(session, actor, "adviser.totp_reset", now, username=adviser.username)


@commits
def set_disabled(
    session: Session, adviser: Adviser, disabled: bool, *, actor: str, now: datetime
) -> None:
    """Disable (signing the adviser out everywhere) or enable an account."""
    adviser.disabled_at = now if disabled else None
    if disabled:
        end_sessions(session, adviser, now)
    action = "adviser.disabled" if disabled else "adviser.enabled"
    audit.record(session, actor, action, now, username=adviser.username)


@commits
def pending_totp_secret(session: Session, adviser: Adviser) -> str:
    """The secret being enrolled: made once, kept until confirmed or reset."""
    if adviser.totp_secret is None:
        adviser.totp_secret = pyotp.random_base32()
        adviser.totp_confirmed = False
    return adviser.totp_secret


def totp_uri(adviser: Adviser) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    secret = adviser.totp_secret or ""
    return pyotp.TOTP(secret).provisioning_uri(name=adviser.username, issuer_name=TOTP_ISSUER)


def check_totp(session: Session, adviser: Adviser, code: str, now: datetime) -> bool:
    """Accept a current code (one step of clock drift either way), each time-step once only.

    The step is claimed by a conditional UPDATE on the adviser's last used
    step: of several requests racing with one code, one signs in.
    """
    if adviser.totp_secret is None or not (code.isascii() and code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(adviser.totp_secret)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return _claim_step(session, adviser, step)
    return False


def _claim_step(session: Session, adviser: Adviser, step: int) -> bool:
    last = Adviser.totp_last_step
    claimed = session.execute(
        update(Adviser)
        .where(Adviser.id == adviser.id, or_(last.is_(None), last < step))
        .values(totp_last_step=step, totp_confirmed=True)
        .returning(Adviser.id),
        execution_options={"synchronize_session": False},
    ).one_or_none()
    session.expire(adviser, ["totp_last_step", "totp_confirmed"])
    return claimed is not None
