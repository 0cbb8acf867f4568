"""Twilio: `X-Twilio-Signature` (HMAC over URL and sorted form), the 2010-04-01 REST API.

The check computes one HMAC on the common path: the URL as the request
reached us, then, only if that fails, the same URL with its port added or
removed (the platform is inconsistent about default ports). SignalWire's
cXML speaks the same dialect and REST shapes (ivr/platforms/signalwire.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from werkzeug.datastructures import MultiDict

from ivr.platforms import Headers, Platform, PlatformError, rest

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Twilio-Signature"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
DIGESTS: Mapping[str, Callable[..., Any]] = {
    "HMAC_SHA1": hashlib.sha1,
    "HMAC_SHA256": hashlib.sha256,
}
DEFAULT_PORTS = {"https": 443, "http": 80}
DEV_PLATFORM = "/dev/platform/"  # ./dev serve plays the platform's recordings (ivr/devplatform.py)


def header(headers: Headers, name: str) -> str | None:
    """A header's value from werkzeug's headers (any case) or a plain dict."""
    return headers.get(name) or headers.get(name.lower())


def form_signature(
    key: bytes, url: str, form: Mapping[str, str], digest: Callable[..., Any] = hashlib.sha1
) -> str:
    """Base64 HMAC over the URL and each parameter name and value, sorted (a repeat once)."""
    pairs = form.items(multi=True) if isinstance(form, MultiDict) else form.items()
    signed = url + "".join([name + value for name, value in sorted(set(pairs))])
    mac = hmac.new(key, signed.encode(), digest)
    return base64.b64encode(mac.digest()).decode()


def other_url(url: str) -> str:
    """The same URL with its port left out if written, or the default port written out."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return url
    if port is not None:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))
    default = DEFAULT_PORTS.get(parts.scheme, 80)
    return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{default}"))


def hmac_matches(
    key: bytes,
    url: str,
    form: Mapping[str, str],
    signature: str,
    digest: Callable[..., Any] = hashlib.sha1,
) -> bool:
    """Constant-time check of a form signature, for the URL as given or its other form."""
    given = signature.encode()
    if hmac.compare_digest(form_signature(key, url, form, digest).encode(), given):
        return True
    return hmac.compare_digest(form_signature(key, other_url(url), form, digest).encode(), given)


def algorithm(headers: Headers) -> Callable[..., Any] | None:
    """The digest named by the signature settings header (SHA-1 without it); None if unknown."""
    settings = header(headers, SETTINGS_HEADER) or ""
    for part in settings.split(","):
        name, separator, value = part.partition("=")
        if separator and name.strip() == "algorithm" and value.strip():
            return DIGESTS.get(value.strip().upper())
    return hashlib.sha1


class LamlApi(Platform):
    """The 2010-04-01 REST shapes Twilio and SignalWire share (recordings, messages)."""

    @abstractmethod
    def account(self) -> str | None:
        """The account the API is reached as."""

    @abstractmethod
    def token(self) -> str | None:
        """The secret that signs webhooks and, with the account, authenticates the API."""

    def credentials(self) -> tuple[str, str] | None:
        """The Basic auth pair for the API: the account and its token."""
        account, token = self.account(), self.token()
        return (account, token) if account and token else None

    @abstractmethod
    def api_base(self) -> str | None:
        """The URL the 2010-04-01 paths hang from."""

    def has_api(self) -> bool:
        return bool(self.account() and self.credentials() and self.api_base())

    def _auth(self) -> tuple[str, str]:
        credentials = self.credentials()
        if not (credentials and self.account() and self.api_base()):
            raise PlatformError("no REST API configured")
        return credentials

    def _resource(self, path: str) -> str:
        self._auth()
        return f"{self.api_base()}/2010-04-01/Accounts/{self.account()}/{path}"

    def recording_path(self, sid: str) -> str:
        return sid

    def delete_recording(self, sid: str) -> None:
        rest.call(
            "DELETE",
            self._resource(f"Recordings/{self.recording_path(sid)}.json"),
            auth=self._auth(),
        )

    def fetch_recording(self, url: str) -> tuple[bytes, str]:
        base = self.api_base()
        trusted = (
            base is not None
            and rest.same_origin(url, base)
            or bool(
                self.config.get("IVR_DEVELOPMENT") and urlsplit(url).path.startswith(DEV_PLATFORM)
            )
        )
        return rest.media(url, auth=self.credentials() if trusted else None)

    def send_sms(self, to: str, body: str) -> str:
        sender = self.config.get("IVR_SMS_FROM")
        if not sender:
            raise PlatformError("IVR_SMS_FROM is not set", retryable=False)
        answer = rest.call(
            "POST",
            self._resource("Messages.json"),
            auth=self._auth(),
            data={"To": to, "From": sender, "Body": body},
        )
        sid = answer.json().get("sid") if answer.status_code < 300 else None
        if not isinstance(sid, str):
            raise PlatformError(
                f"message not accepted: HTTP {answer.status_code}",
                status=answer.status_code,
                retryable=False,
            )
        return sid


class Twilio(LamlApi):
    """Twilio Programmable Voice."""

    name = "twilio"
    API = "https://api.twilio.com"

    def verify(
        self, url: str, form: Mapping[str, str], headers: Headers, body: bytes = b""
    ) -> bool:
        token = self.config.get("TWILIO_AUTH_TOKEN")
        if not token:
            log.error("TWILIO_AUTH_TOKEN is not set: refusing every webhook")
            return False
        signature, digest = header(headers, SIGNATURE_HEADER), algorithm(headers)
        if not signature or digest is None:
            return False
        return hmac_matches(token.encode(), url, form, signature, digest)

    def account(self) -> str | None:
        return self.config.get("TWILIO_ACCOUNT_SID") or self.config.get("IVR_PLATFORM_ACCOUNT")

    def token(self) -> str | None:
        return self.config.get("TWILIO_AUTH_TOKEN")

    def credentials(self) -> tuple[str, str] | None:
        """An API key pair when configured, else the account SID and auth token."""
        key, secret = self.config.get("TWILIO_API_KEY"), self.config.get("TWILIO_API_SECRET")
        return (key, secret) if key and secret else super().credentials()

    def api_base(self) -> str | None:
        return (self.config.get("IVR_PLATFORM_API_URL") or self.API).rstrip("/")
