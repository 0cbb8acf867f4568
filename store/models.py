"""Typed SQLAlchemy models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so values are normalised on the way in and out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Store an aware datetime as UTC; a naive one is refused."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Read the stored UTC time back as an aware datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return cast(datetime, value.replace(tzinfo=UTC))
        return cast(datetime, value.astimezone(UTC))


class Base(DeclarativeBase):
    """The declarative base of every table."""


class Line(Base):
    """A subscriber's fixed line, identified by its E.164 number."""

    __tablename__ = "lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    customer_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    language: Mapped[str] = mapped_column(String(2))
    email: Mapped[str | None] = mapped_column(String(254))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # New-message notice: none, email, email+audio or sms (to `mobile`), issue 12.
    notify: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    mobile: Mapped[str | None] = mapped_column(String(16))

    # Whoever loads a line needs its mailbox: one query, not two.
    mailbox: Mapped[Mailbox] = relationship(back_populates="line", uselist=False, lazy="joined")
    service_pin: Mapped[ServicePin | None] = relationship(back_populates="line", uselist=False)


class Mailbox(Base):
    """The voicemail of one line: its secret code and three-strike state."""

    __tablename__ = "mailboxes"

    line_id: Mapped[int] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), primary_key=True
    )
    code_hash: Mapped[str | None] = mapped_column(String(60))
    code_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ask_code_on_fixed_line: Mapped[bool] = mapped_column(Boolean, default=True)
    strikes: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moves on at every change of `strikes` (store/codes.py): a right code
    # resets the count only if nothing happened since its own strike.
    strike_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The current cycle's strikes, one "<UTC time>Z <calling number>" a line, appended by
    # the strike's own UPDATE (store/codes.py); the lock's record copies them.
    recent_strikes: Mapped[str | None] = mapped_column(Text)
    greeting_sid: Mapped[str | None] = mapped_column(String(64))
    greeting_url: Mapped[str | None] = mapped_column(String(512))
    # Where our own copy of the greeting is (store key), once copied.
    greeting_key: Mapped[str | None] = mapped_column(String(256))
    # The subscriber's recorded name, said in the standard greeting instead of the digits.
    name_sid: Mapped[str | None] = mapped_column(String(64))
    name_url: Mapped[str | None] = mapped_column(String(512))
    # A temporary greeting, said instead of the others until `away_until` (then it expires).
    away_sid: Mapped[str | None] = mapped_column(String(64))
    away_url: Mapped[str | None] = mapped_column(String(512))
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    line: Mapped[Line] = relationship(back_populates="mailbox")

    @property
    def has_code(self) -> bool:
        """Whether the subscriber has set a secret code."""
        return self.code_hash is not None


class Call(Base):
    """Server-side state of one phone call, keyed by the platform's CallSid.

    `step` counts the answers given; each answer's URLs carry it, so a step
    is taken once, a retry gets `last_response` again, and anything else is
    stale. `context` holds what the flow remembers within the call (digits
    being confirmed among them) and is emptied when the call ends.
    """

    __tablename__ = "calls"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow: Mapped[str] = mapped_column(String(16))
    line_id: Mapped[int | None] = mapped_column(
        ForeignKey("lines.id", ondelete="SET NULL"), index=True
    )
    caller: Mapped[str] = mapped_column(String(64), default="")
    home: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(2))
    node: Mapped[str] = mapped_column(String(64))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    step: Mapped[int] = mapped_column(Integer, default=0)
    last_fingerprint: Mapped[str | None] = mapped_column(String(64))
    last_response: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    line: Mapped[Line | None] = relationship()


class AuditEntry(Base):
    """One line of the append-only audit log: who did what, to which line, when, why.

    The database refuses UPDATE and DELETE on this table (triggers in the
    migration), so not even the application can rewrite history.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    line_number: Mapped[str | None] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SupportCall(Base):
    """The outcome of one call to the support line, by CallSid (SPEC §4.4).

    `verified_by` is "permanent" or "temporary" (the kind of service PIN that
    verified the caller), or None while unverified.
    """

    __tablename__ = "support_calls"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    line_id: Mapped[int | None] = mapped_column(
        ForeignKey("lines.id", ondelete="SET NULL"), index=True
    )
    caller: Mapped[str] = mapped_column(String(64), default="")
    verified_by: Mapped[str | None] = mapped_column(String(16))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    line: Mapped[Line | None] = relationship()


# -- Voicemail: messages and strikes on line numbers that do not exist -------


class Message(Base):
    """A voicemail message: who left it, when, and where the platform keeps the recording.

    `heard` turns a new message into a saved one; `urgent` ones are played
    first. The recording's SID is unique, so a status callback delivered
    twice stores one message.
    """

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"), index=True)
    caller: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    duration: Mapped[int] = mapped_column(Integer)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    recording_url: Mapped[str] = mapped_column(String(512))
    heard: Mapped[bool] = mapped_column(Boolean, default=False)
    # Our own copy (store key) once fetched and verified; until then the platform's URL plays.
    stored_key: Mapped[str | None] = mapped_column(String(256))
    # Set once, by the one transaction that queued the subscriber's notice.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The platform's transcription (IVR_TRANSCRIBE); "" when it failed or was empty.
    transcript: Mapped[str | None] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CallerChoice(Base):
    """What a caller chose at the review of a recording: urgent, or recorded again.

    Kept apart from the call's state (emptied when the call ends), because
    the recording's status callback, the one place that stores a message,
    often arrives after the call ended and must still apply the choice.
    """

    __tablename__ = "caller_choices"

    recording_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"), index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    discarded: Mapped[bool] = mapped_column(Boolean, default=False)
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PhantomStrikes(Base):
    """Strikes against a line number that does not exist (SPEC §4.3).

    Keyed by an HMAC (the pepper) of the number typed, never the number, so
    an unknown line counts and locks across calls exactly like a real one.
    """

    __tablename__ = "phantom_strikes"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    strikes: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# -- Support line: service PINs and API keys (SPEC §4.4, §5) -----------------


class ServicePin(Base):
    """A line's service PINs for the support line, and their failure count.

    Both PINs are stored like the secret code (peppered bcrypt), never in
    clear. `failures` counts consecutive wrong PINs across calls and doors;
    the third sets `locked_at`, and only an adviser clears it.
    """

    __tablename__ = "service_pins"

    line_id: Mapped[int] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), primary_key=True
    )
    permanent_hash: Mapped[str | None] = mapped_column(String(60))
    permanent_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    temporary_hash: Mapped[str | None] = mapped_column(String(60))
    temporary_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    line: Mapped[Line] = relationship(back_populates="service_pin")


class ApiKey(Base):
    """A bearer key for the JSON API; only a keyed hash of it is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- Customer-service console (issue #5): advisers, their sessions, the mail outbox ---


class Adviser(Base):
    """A customer-service account for the console (SPEC §5).

    The password is stored like a code (peppered bcrypt, bound to the
    username). The TOTP secret is pending until its first code is confirmed.
    """

    __tablename__ = "advisers"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(60))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last accepted TOTP time step: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# The sign-ins waiting for a second factor (at most one per adviser).
WAITING = text("stage = 'totp' AND ended_at IS NULL")


class ConsoleSession(Base):
    """A console sign-in, kept on the server so sign-out and timeouts end it there.

    The cookie holds a random token; only its SHA-256 is stored. `stage` is
    "totp" (password accepted), "password" (must choose a new password) or
    "active". At most one sign-in per adviser waits for its second factor
    (a partial unique index): a new password sign-in replaces it.
    """

    __tablename__ = "console_sessions"
    __table_args__ = (
        Index(
            "uq_console_sessions_waiting",
            "adviser_id",
            unique=True,
            sqlite_where=WAITING,
            postgresql_where=WAITING,
        ),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    adviser_id: Mapped[int] = mapped_column(
        ForeignKey("advisers.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    adviser: Mapped[Adviser] = relationship()


class LoginThrottle(Base):
    """Failed console sign-in checks per username typed, known or not (store/signin.py).

    Keyed by an HMAC (the pepper) of the username, never the text typed: a
    password typed into the username field is not kept. `generation` moves
    on every change, so a right answer gives its attempt back only if nothing
    happened since it was taken. `total_failures` feeds the purge's summary.
    """

    __tablename__ = "console_login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    total_failures: Mapped[int] = mapped_column(Integer, default=0)


class OutboxMessage(Base):
    """An e-mail to a subscriber, waiting for the mail transport (never shown in the console).

    The body may hold a temporary PIN: it is erased once sent, and a message
    past `expires_at` is dropped unsent.
    """

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    line_number: Mapped[str | None] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # "email" (the mail transport) or "sms" (ivr/notify.py); an e-mail may attach a stored file.
    channel: Mapped[str] = mapped_column(String(8), default="email", server_default="email")
    attachment_key: Mapped[str | None] = mapped_column(String(256))
    # Not sent before this time (a lock notice waits for its own code's check).
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailboxLock(Base):
    """One time a mailbox locked: when, the wrong codes' calling numbers, how it ended.

    The numbers are the subscriber's own data (shown on the console, mailed
    to them), never logged, and purged with the retention (store/locks.py).
    """

    __tablename__ = "mailbox_locks"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"), index=True)
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # [["2026-11-23T09:00:00Z", "+33612345678"], ...], oldest first; "withheld" for none.
    strikes: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    notice_id: Mapped[int | None] = mapped_column(Integer)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(128))  # as the audit log's actor


# --- Background jobs (issue 12): copying recordings, message-waiting posts ---


class Job(Base):
    """Work done outside the webhooks, claimed by one worker at a time (a lease).

    One row per (kind, ref): queuing the same work again only bumps
    `generation`, so a worker that finished an older generation leaves the
    job pending and it runs again with the latest state (MWI coalescing).
    """

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallerStrikes(Base):
    """Code attempts from one calling number in the current window, across calls and lines.

    Keyed by an HMAC (the pepper) of the number, never the number; every
    withheld or malformed number shares one key (store/callers.py).
    """

    __tablename__ = "caller_strikes"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    strikes: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    throttled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
