"""Telnyx TeXML: Ed25519 signatures over `timestamp|body`, the v2 REST API.

Each webhook carries `telnyx-timestamp` (Unix seconds) and
`telnyx-signature-ed25519` (base64): Ed25519 over the timestamp, a `|`, and
the raw body, verified with the account's public key
(`IVR_PLATFORM_PUBLIC_KEY`, base64). A timestamp more than five minutes
from our clock is refused, so a captured request cannot be replayed later;
a retry within the window is answered as the first try was (the steps'
fingerprints). The URL is not signed: see docs/platforms/telnyx.md.

CallSids (`v3:...`) are not alphanumeric: they are stored as a digest
(`TX` and 40 hex digits), the same for every request of a call.
Recording SIDs are UUIDs: stored without dashes, put back for the API.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import logging
import uuid
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ivr.platforms import Headers, Platform, PlatformError, Voice, rest
from ivr.platforms.signalwire import compact
from ivr.platforms.twilio import header

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"
TOLERANCE_SECONDS = 300
ATTESTED = "TN-Validation-Passed-A"
CALL_FIELDS = ("CallSid", "DialCallSid", "ParentCallSid")


@functools.lru_cache(maxsize=4)
def public_key(value: str) -> Ed25519PublicKey:
    """The Ed25519 key in a base64 setting; ValueError when it is not one."""
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError("expected the base64 Ed25519 public key") from None
    if len(raw) != 32:
        raise ValueError("expected the base64 of a 32-byte Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw)


def stored_call_sid(sid: str) -> str:
    """The alphanumeric SID a Telnyx CallSid is stored under."""
    if sid.isascii() and sid.isalnum():
        return sid
    return "TX" + hashlib.sha256(sid.encode()).hexdigest()[:40]


class Telnyx(Platform):
    """Telnyx Programmable Voice (TeXML applications)."""

    name = "telnyx"
    API = "https://api.telnyx.com"
    # Telnyx speaks Polly voices by name (the language attribute is then ignored).
    fallback = Voice("alice", "en-US")

    def verify(
        self, url: str, form: Mapping[str, str], headers: Headers, body: bytes = b""
    ) -> bool:
        setting = self.config.get("IVR_PLATFORM_PUBLIC_KEY")
        if not setting:
            log.error("IVR_PLATFORM_PUBLIC_KEY is not set: refusing every webhook")
            return False
        signature, stamp = header(headers, SIGNATURE_HEADER), header(headers, TIMESTAMP_HEADER)
        if not signature or not stamp or not stamp.isascii() or not stamp.isdigit():
            return False
        if abs(self.now().timestamp() - int(stamp)) > TOLERANCE_SECONDS:
            return False
        try:
            raw = base64.b64decode(signature, validate=True)
            public_key(setting).verify(raw, stamp.encode() + b"|" + body)
        except (binascii.Error, ValueError, InvalidSignature):
            return False
        return True

    def inbound(self, form: Mapping[str, str]) -> dict[str, str] | None:
        translated = dict(form.items())
        for name in CALL_FIELDS:
            if name in translated:
                translated[name] = stored_call_sid(translated[name])
        if "RecordingSid" in translated:
            translated["RecordingSid"] = compact(translated["RecordingSid"])
        for name in ("CallStatus", "DialCallStatus"):
            if name in translated:
                translated[name] = translated[name].lower().replace("_", "-")
        if (
            translated.get("ShakenStirValidated", "").lower() == "true"
            and translated.get("ShakenStirAttestation") == "A"
        ):
            translated.setdefault("StirVerstat", ATTESTED)
        return translated

    # -- REST -------------------------------------------------------------

    def _key(self) -> str:
        key = self.config.get("IVR_PLATFORM_API_TOKEN")
        if not key:
            raise PlatformError("no REST API configured")
        return str(key)

    def _base(self) -> str:
        return (self.config.get("IVR_PLATFORM_API_URL") or self.API).rstrip("/")

    def has_api(self) -> bool:
        return bool(
            self.config.get("IVR_PLATFORM_API_TOKEN") and self.config.get("IVR_PLATFORM_ACCOUNT")
        )

    def delete_recording(self, sid: str) -> None:
        account = self.config.get("IVR_PLATFORM_ACCOUNT")
        if not account:
            raise PlatformError("IVR_PLATFORM_ACCOUNT is not set")
        try:
            recording = str(uuid.UUID(hex=sid))
        except ValueError:
            recording = sid
        rest.call(
            "DELETE",
            f"{self._base()}/v2/texml/Accounts/{account}/Recordings/{recording}.json",
            headers=self._bearer(),
        )

    def fetch_recording(self, url: str) -> tuple[bytes, str]:
        # Recording URLs are signed download links; the key goes only to the API itself.
        trusted = rest.same_origin(url, self._base())
        return rest.media(url, headers=self._bearer() if trusted else {})

    def send_sms(self, to: str, body: str) -> str:
        sender = self.config.get("IVR_SMS_FROM")
        if not sender:
            raise PlatformError("IVR_SMS_FROM is not set", retryable=False)
        answer = rest.call(
            "POST",
            f"{self._base()}/v2/messages",
            headers=self._bearer(),
            json={"from": sender, "to": to, "text": body},
        )
        data = answer.json().get("data") if answer.status_code < 300 else None
        sid = data.get("id") if isinstance(data, dict) else None
        if not isinstance(sid, str):
            raise PlatformError(
                f"message not accepted: HTTP {answer.status_code}",
                status=answer.status_code,
                retryable=False,
            )
        return sid

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key()}"}
