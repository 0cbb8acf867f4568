"""Configuration from environment variables (SPEC §2).

A development setup (`./dev serve`) generates secrets into
`instance/development.env`; they fill only what the environment leaves
unset. Without that file, the pepper and the session key are required.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from store.lines import LANGUAGES

DEVELOPMENT_SECRETS = "development.env"
SECRETS = ("IVR_SECRET_KEY", "IVR_PIN_PEPPER")


class ConfigError(RuntimeError):
    """The configuration cannot run the service."""


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return value

    return parse


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("expected a whole number of 0 or more")
    return number


def _seconds(value: str) -> float:
    number = float(value)
    if not 0 < number <= 14:
        raise ValueError("expected seconds, more than 0 and at most 14 (the platform waits 15)")
    return number


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("expected a whole number of 1 or more")
    return number


def _rounds(value: str) -> int:
    number = int(value)
    if not 4 <= number <= 31:
        raise ValueError("expected a bcrypt cost from 4 to 31")
    return number


def _smtp_url(value: str) -> str:
    from ivr.mail import parse_smtp_url

    parse_smtp_url(value)
    return value


_DIAL_ADDRESS = re.compile(r"\+[1-9][0-9]{6,14}|client:[A-Za-z0-9_.-]{1,121}|sip:\S{3,250}")


def _dial_address(value: str) -> str:
    if not _DIAL_ADDRESS.fullmatch(value):
        raise ValueError("expected an E.164 number (+33...), client:NAME or sip:URI")
    return value


def _public_key(value: str) -> str:
    from ivr.platforms.telnyx import public_key

    public_key(value)
    return value


def _base_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+", value.rstrip("/")):
        raise ValueError("expected a base URL such as https://example.signalwire.com")
    return value.rstrip("/")


def _flag(value: str) -> bool:
    if value not in ("0", "1"):
        raise ValueError("expected 0 or 1")
    return value == "1"


def _recordings_url(value: str) -> str:
    if value.startswith("s3://") and not value[5:].split("/")[0]:
        raise ValueError("expected s3://bucket/prefix or a directory")
    return value


# name: (parser, default)
SETTINGS: Mapping[str, tuple[Callable[[str], Any], Any]] = {
    "IVR_DATABASE_URL": (str, None),
    "TWILIO_AUTH_TOKEN": (str, None),
    "IVR_SECRET_KEY": (str, None),
    "IVR_PIN_PEPPER": (str, None),
    "IVR_BCRYPT_ROUNDS": (_rounds, 12),
    "IVR_DEFAULT_LANGUAGE": (_choice(*LANGUAGES), "en"),
    "IVR_DEFAULT_REGION": (str.upper, "FR"),
    "IVR_LOCKOUT_SECONDS": (_non_negative, 0),
    # Code attempts per calling number and window, across calls and lines
    # (docs/security.md, "Codes and strikes")
    "IVR_CALLER_MAX_CODES": (_positive, 10),
    "IVR_WITHHELD_MAX_CODES": (_positive, 30),
    "IVR_CALLER_WINDOW_SECONDS": (_positive, 3600),
    "IVR_TEMP_PIN_SECONDS": (_positive, 7200),
    "IVR_TRUST_CALLER_ID": (_choice("always", "attested"), "always"),
    "IVR_SUPPORT_DIAL": (_dial_address, None),
    "IVR_OPERATOR_DIAL": (_dial_address, None),
    "IVR_TRUSTED_PROXIES": (_non_negative, 0),
    # Voicemail
    "TWILIO_ACCOUNT_SID": (str, None),
    "IVR_MAX_MESSAGE_SECONDS": (_positive, 180),
    "IVR_MAX_MESSAGES": (_positive, 100),
    "IVR_MIN_MESSAGE_SECONDS": (_non_negative, 2),
    "IVR_RETENTION_DAYS": (_positive, 30),
    # Customer-service console and subscriber e-mail (issue #5)
    "IVR_CONSOLE_IDLE_SECONDS": (_positive, 900),
    "IVR_SMTP_URL": (_smtp_url, None),
    "IVR_MAIL_FROM": (str, "voicemail@localhost"),
    # Recordings the operator owns, notices, MWI (issue 12; docs/messages.md)
    "IVR_RECORDINGS_URL": (_recordings_url, None),
    "IVR_S3_ENDPOINT_URL": (str, None),
    "IVR_DELETE_PLATFORM_RECORDINGS": (_flag, False),
    "IVR_MEDIA_URL_SECONDS": (_positive, 600),
    "IVR_JOB_LEASE_SECONDS": (_positive, 120),
    "TWILIO_API_KEY": (str, None),
    "TWILIO_API_SECRET": (str, None),
    "IVR_SMS_FROM": (_dial_address, None),
    "IVR_ATTACH_MAX_BYTES": (_positive, 10 * 1024 * 1024),
    "IVR_MWI_URL": (str, None),
    "IVR_MWI_SECRET": (str, None),
    "IVR_TRANSCRIBE": (_flag, False),
    "IVR_TRANSCRIBE_WAIT_SECONDS": (_positive, 120),
    # Production
    "IVR_DATABASE_TIMEOUT": (_seconds, 5.0),
    # Connections each process keeps open; gunicorn.conf.py sets it to the
    # request threads, so a busy worker never opens and closes one per request
    "IVR_DATABASE_POOL_SIZE": (_positive, 5),
    # Telephony platform (issue 14, docs/platforms/)
    "IVR_PLATFORM": (_choice("twilio", "signalwire", "telnyx"), "twilio"),
    "IVR_PLATFORM_SIGNING_KEY": (str, None),
    "IVR_PLATFORM_PUBLIC_KEY": (_public_key, None),
    "IVR_PLATFORM_ACCOUNT": (str, None),
    "IVR_PLATFORM_API_TOKEN": (str, None),
    "IVR_PLATFORM_API_URL": (_base_url, None),
    # Low-priority bcrypt threads per process (store/credentials.py, issue #10):
    # as many as gunicorn's request threads, so no check queues behind another
    "IVR_VERIFIERS": (_positive, 2),
}


def parse_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed settings from raw strings, with defaults; a clear error for bad values."""
    settings: dict[str, Any] = {}
    for name, (parse, default) in SETTINGS.items():
        value = raw.get(name)
        if value is None or value == "":
            settings[name] = default
            continue
        try:
            settings[name] = parse(value) if isinstance(value, str) else value
        except ValueError as error:
            raise ConfigError(f"{name}: {error}") from None
    return settings


def from_environment(instance_path: Path) -> dict[str, Any]:
    """Settings from the environment, filled in by development secrets if present."""
    raw: dict[str, Any] = {name: os.environ.get(name) for name in SETTINGS}
    secrets_file = instance_path / DEVELOPMENT_SECRETS
    development = secrets_file.is_file()
    if development:
        for name, value in dotenv_values(secrets_file).items():
            if name in SETTINGS and not raw.get(name):
                raw[name] = value
    settings = parse_settings(raw)
    missing = [name for name in SECRETS if not settings[name]]
    if missing and not development:
        raise ConfigError(
            f"{' and '.join(missing)} must be set (or run ./dev serve for a development setup)"
        )
    settings["IVR_DEVELOPMENT"] = development
    return settings


def default_database_url(instance_path: Path) -> str:
    """The embedded default: a SQLite file under instance/."""
    return f"sqlite:///{instance_path / 'ivr.sqlite3'}"
