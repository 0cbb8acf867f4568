"""The platform's side of a webhook, for the console phone and the tests.

How each platform names a call, an account and a recording, and how it
signs what it posts. The secret is the platform's: Twilio's auth token,
SignalWire's signing key, or for Telnyx the Ed25519 private key (base64 of
its 32-byte seed) whose public key the app is given. The app never signs.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ivr.platforms.twilio import SIGNATURE_HEADER, form_signature

TWILIO_ACCOUNT = "AC" + "0" * 32
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"


class TwilioSide:
    """Twilio: `CA`/`RE` SIDs, HMAC-SHA1 over URL and form, an idempotency token."""

    name = "twilio"
    account = TWILIO_ACCOUNT
    recordings = "https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/{sid}"

    def call_sid(self) -> str:
        return "CA" + uuid.uuid4().hex

    def recording_sid(self) -> str:
        return "RE" + uuid.uuid4().hex

    def recording_url(self, sid: str) -> str:
        return self.recordings.format(account=self.account, sid=sid)

    def sign(
        self, secret: str, url: str, form: Mapping[str, str], body: bytes, now: float
    ) -> dict[str, str]:
        return {
            SIGNATURE_HEADER: form_signature(secret.encode(), url, form),
            IDEMPOTENCY_HEADER: uuid.uuid4().hex,
        }


class SignalWireSide(TwilioSide):
    """SignalWire: UUID SIDs, the Twilio scheme under both signature headers."""

    name = "signalwire"
    account = "4d7f2a4e-7c1b-4b8e-9a57-2f0c9d6e1a11"
    recordings = (
        "https://example.signalwire.com/api/laml/2010-04-01/Accounts/{account}/Recordings/{sid}"
    )

    def call_sid(self) -> str:
        return str(uuid.uuid4())

    def recording_sid(self) -> str:
        return str(uuid.uuid4())

    def sign(
        self, secret: str, url: str, form: Mapping[str, str], body: bytes, now: float
    ) -> dict[str, str]:
        signature = form_signature(secret.encode(), url, form)
        return {"X-SignalWire-Signature": signature, SIGNATURE_HEADER: signature}


class TelnyxSide(TwilioSide):
    """Telnyx: `v3:` CallSids, UUID recordings, Ed25519 over `timestamp|body`."""

    name = "telnyx"
    account = "f5586561-8ff0-4291-a51b-c7dfe4139ff9"
    recordings = "https://recordings.telnyx.example/{account}/{sid}.mp3"

    def call_sid(self) -> str:
        token = base64.urlsafe_b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes[:8])
        return "v3:" + token.decode().rstrip("=")

    def recording_sid(self) -> str:
        return str(uuid.uuid4())

    def sign(
        self, secret: str, url: str, form: Mapping[str, str], body: bytes, now: float
    ) -> dict[str, str]:
        key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(secret))
        stamp = str(int(now))
        signature = key.sign(stamp.encode() + b"|" + body)
        return {
            "telnyx-timestamp": stamp,
            "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
        }


SIDES: Mapping[str, TwilioSide] = {
    side.name: side for side in (TwilioSide(), SignalWireSide(), TelnyxSide())
}


def new_keypair() -> tuple[str, str]:
    """A Telnyx-like key pair: (private seed, public key), both base64."""
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(seed).decode(), base64.b64encode(public).decode()
