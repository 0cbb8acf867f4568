"""The telephony platform behind one small interface: Twilio, SignalWire or Telnyx.

`IVR_PLATFORM` picks the adapter. Everything else (flows, operations, store)
speaks Twilio's vocabulary; the adapter checks each webhook's signature,
translates the platform's request parameters into that vocabulary, names
the voice of a `<Say>`, and runs the REST operations (recordings, SMS).
`tests` and the console phone use the platform's other side
(`ivr.platforms.caller`) to sign and speak like the platform.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from flask import Flask, current_app

from menus.catalogue import VOICES

log = logging.getLogger(__name__)
NAMES = ("twilio", "signalwire", "telnyx")


class Headers(Protocol):
    """Request headers: werkzeug's (any case) or a plain dict."""

    def get(self, key: str, /) -> str | None: ...


@dataclass(frozen=True)
class Voice:
    """The `voice` and `language` attributes of a `<Say>`."""

    voice: str
    language: str


class PlatformError(RuntimeError):
    """A REST operation failed; `retryable` says whether trying later may succeed."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class Platform(ABC):
    """What the rest of the app may ask of the platform."""

    name: ClassVar[str]
    # Voices for the catalogue's languages; any other language gets `fallback`.
    voices: ClassVar[Mapping[str, Voice]] = {
        code: Voice(voice.voice, voice.language) for code, voice in VOICES.items()
    }
    fallback: ClassVar[Voice] = Voice("woman", "en-US")

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config  # the app's own config: read when used, as tests change it

    def now(self) -> datetime:
        clock: Callable[[], datetime] = self.config["IVR_CLOCK"]
        return clock()

    # -- webhooks ---------------------------------------------------------

    @abstractmethod
    def verify(
        self, url: str, form: Mapping[str, str], headers: Headers, body: bytes = b""
    ) -> bool:
        """Whether the request carries this platform's valid signature."""

    def inbound(self, form: Mapping[str, str]) -> dict[str, str] | None:
        """The request's parameters in Twilio's vocabulary; None when already so."""
        return None

    def say(self, language: str) -> Voice:
        """The voice and language to speak `language` with."""
        return self.voices.get(language, self.fallback)

    # -- REST -------------------------------------------------------------

    def has_api(self) -> bool:
        """Whether credentials for the REST API are configured."""
        return False

    def delete_recording(self, sid: str) -> None:
        """Delete one recording; one already gone is not an error."""
        raise PlatformError("no REST API configured")

    def fetch_recording(self, url: str) -> tuple[bytes, str]:
        """The audio of a recording and its content type."""
        raise PlatformError("no REST API configured")

    def send_sms(self, to: str, body: str) -> str:
        """Send a text message; the platform's id for it."""
        raise PlatformError("no REST API configured")


def build(config: Mapping[str, Any]) -> Platform:
    """The adapter `IVR_PLATFORM` names, for these settings."""
    from ivr.platforms import signalwire, telnyx, twilio

    kinds: dict[str, type[Platform]] = {
        "twilio": twilio.Twilio,
        "signalwire": signalwire.SignalWire,
        "telnyx": telnyx.Telnyx,
    }
    return kinds[config.get("IVR_PLATFORM") or "twilio"](config)


def init_app(app: Flask) -> None:
    """Build the configured adapter once, for every request of this app."""
    app.extensions["ivr.platform"] = build(app.config)


def current() -> Platform:
    """The adapter of the app handling this request or command."""
    platform: Platform = current_app.extensions["ivr.platform"]
    return platform
