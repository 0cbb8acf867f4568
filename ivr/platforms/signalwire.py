"""SignalWire cXML: Twilio's dialect, signed with the project's signing key.

A cXML webhook carries `X-SignalWire-Signature` and the same value in
`X-Twilio-Signature`: base64 HMAC-SHA1 over the URL and the sorted form,
keyed by the project's signing key (`IVR_PLATFORM_SIGNING_KEY`). SignalWire's
own scheme for raw bodies, hex HMAC-SHA1 over the URL followed by the body,
is accepted too (what the `signalwire` SDK's validator accepts for a body).
SIDs are UUIDs: the dashes are dropped on the way in (the store keeps
alphanumeric SIDs) and put back for the REST API.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Mapping

from ivr.platforms import Headers
from ivr.platforms.twilio import LamlApi, header, hmac_matches, other_url

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-SignalWire-Signature"
TWILIO_HEADER = "X-Twilio-Signature"
SID_FIELDS = ("CallSid", "RecordingSid", "DialCallSid", "ParentCallSid")


def body_signature(key: bytes, url: str, body: bytes) -> str:
    """Hex HMAC-SHA1 over the URL followed by the raw body."""
    return hmac.new(key, url.encode() + body, hashlib.sha1).hexdigest()


def compact(sid: str) -> str:
    """A UUID SID without its dashes; any other value as it is."""
    try:
        return uuid.UUID(sid).hex if "-" in sid else sid
    except ValueError:
        return sid


class SignalWire(LamlApi):
    """SignalWire's Compatibility API (cXML, LaML REST)."""

    name = "signalwire"

    def verify(
        self, url: str, form: Mapping[str, str], headers: Headers, body: bytes = b""
    ) -> bool:
        key = self.config.get("IVR_PLATFORM_SIGNING_KEY")
        if not key:
            log.error("IVR_PLATFORM_SIGNING_KEY is not set: refusing every webhook")
            return False
        signature = header(headers, SIGNATURE_HEADER) or header(headers, TWILIO_HEADER)
        if not signature:
            return False
        secret = key.encode()
        if hmac_matches(secret, url, form, signature):
            return True
        given = signature.encode()
        return any(
            hmac.compare_digest(body_signature(secret, candidate, body).encode(), given)
            for candidate in (url, other_url(url))
        )

    def inbound(self, form: Mapping[str, str]) -> dict[str, str] | None:
        if not any("-" in form.get(name, "") for name in SID_FIELDS):
            return None
        translated = dict(form.items())
        for name in SID_FIELDS:
            if name in translated:
                translated[name] = compact(translated[name])
        return translated

    def account(self) -> str | None:
        return self.config.get("IVR_PLATFORM_ACCOUNT")

    def token(self) -> str | None:
        return self.config.get("IVR_PLATFORM_API_TOKEN")

    def api_base(self) -> str | None:
        space = self.config.get("IVR_PLATFORM_API_URL")
        return f"{space.rstrip('/')}/api/laml" if space else None

    def recording_path(self, sid: str) -> str:
        try:
            return str(uuid.UUID(hex=sid))
        except ValueError:
            return sid
