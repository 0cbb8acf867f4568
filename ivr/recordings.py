"""Recordings on the platform: deleted through the Twilio REST API when configured.

Without `TWILIO_ACCOUNT_SID` nothing is deleted remotely (the platform's own
retention applies). Tests inject a `twilio.http.HttpClient` in
`app.extensions["ivr.twilio_http"]`, so no request leaves the machine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import requests
from flask import current_app
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)
HTTP_TIMEOUT_SECONDS = 5.0
NOT_FOUND = 404


def client() -> Client | None:
    """A REST client for the configured account, or None when there is none."""
    account = current_app.config.get("TWILIO_ACCOUNT_SID")
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not account or not token:
        return None
    http = current_app.extensions.get("ivr.twilio_http") or TwilioHttpClient(
        timeout=HTTP_TIMEOUT_SECONDS)
    return Client(account, token, http_client=http)


def delete_recordings(sids: Iterable[str]) -> int:
    """Delete recordings on the platform; how many are gone (already gone counts)."""
    rest = client()
    if rest is None:
        return 0
    deleted = 0
    for sid in sids:
        try:
            rest.recordings(sid).delete()
        except TwilioRestException as error:
            if error.status != NOT_FOUND:
                log.warning("recording %s not deleted: HTTP %s", sid, error.status)
                continue
        except (TwilioException, OSError) as error:
            log.warning("recording %s not deleted: %s", sid, type(error).__name__)
            continue
        deleted += 1
    return deleted


# -- Issue 12: fetching a recording's audio, sending an SMS ---------------------
# Two small entry points for the platform adapter to route (Twilio for now).

FETCH_TIMEOUT_SECONDS = 20.0
MAX_RECORDING_BYTES = 64 * 1024 * 1024
AUDIO_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg"})
GONE = frozenset({404, 410})


class PlatformError(RuntimeError):
    """A platform request failed; `retryable` says whether trying later may succeed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def _basic_auth() -> tuple[str, str]:
    """An API key pair when configured, else the account SID and auth token."""
    config = current_app.config
    if config.get("TWILIO_API_KEY") and config.get("TWILIO_API_SECRET"):
        return config["TWILIO_API_KEY"], config["TWILIO_API_SECRET"]
    if config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN"):
        return config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"]
    raise PlatformError("no platform credentials (TWILIO_ACCOUNT_SID, or TWILIO_API_KEY "
                        "and TWILIO_API_SECRET)", retryable=True)


def fetch_recording(url: str) -> tuple[bytes, str]:
    """The recording's audio and content type, verified (status, type, length)."""
    try:
        with requests.get(url, auth=_basic_auth(), timeout=FETCH_TIMEOUT_SECONDS,
                          stream=True) as answer:
            if answer.status_code != 200:
                raise PlatformError(f"HTTP {answer.status_code}",
                                    retryable=answer.status_code not in GONE)
            kind = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind not in AUDIO_TYPES:
                raise PlatformError(f"not audio: {kind or 'no content type'}", retryable=True)
            declared = answer.headers.get("Content-Length")
            audio = answer.raw.read(MAX_RECORDING_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise PlatformError(f"cannot fetch: {type(error).__name__}", retryable=True) from None
    if not audio or len(audio) > MAX_RECORDING_BYTES:
        raise PlatformError(f"bad length: {len(audio)} bytes", retryable=True)
    if declared is not None and declared.isdigit() and int(declared) != len(audio):
        raise PlatformError(f"truncated: {len(audio)} of {declared} bytes", retryable=True)
    return audio, "audio/mpeg" if kind == "audio/mpeg" else "audio/wav"


def send_sms(to: str, body: str) -> str:
    """Send a text message from IVR_SMS_FROM; the platform's message SID."""
    sender = current_app.config.get("IVR_SMS_FROM")
    rest = client()
    if rest is None or not sender:
        raise PlatformError("SMS needs TWILIO_ACCOUNT_SID and IVR_SMS_FROM", retryable=True)
    try:
        message = rest.messages.create(to=to, from_=sender, body=body)
    except TwilioRestException as error:
        raise PlatformError(f"HTTP {error.status}", retryable=error.status >= 500
                            or error.status == 429) from None
    except (TwilioException, OSError) as error:
        raise PlatformError(f"cannot send: {type(error).__name__}", retryable=True) from None
    return str(message.sid)
