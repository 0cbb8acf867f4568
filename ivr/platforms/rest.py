"""One HTTP request to a platform's REST API: a timeout, and errors as PlatformError."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from ivr.platforms import PlatformError

TIMEOUT_SECONDS = 5.0
MEDIA_TIMEOUT_SECONDS = 20.0
GONE = frozenset({404, 410})
MAX_RECORDING_BYTES = 64 * 1024 * 1024
AUDIO_TYPES = {
    "audio/wav": "audio/wav",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/mpeg": "audio/mpeg",
    "audio/mp3": "audio/mpeg",
}


def retryable(status: int) -> bool:
    """Whether an HTTP error may go away by itself (the platform's trouble, or a rate limit)."""
    return status >= 500 or status == 429


def call(method: str, url: str, **options: Any) -> requests.Response:
    """Send one request; a network failure or an HTTP error (but 404, 410) raises PlatformError."""
    try:
        answer = requests.request(method, url, timeout=TIMEOUT_SECONDS, **options)
    except requests.RequestException as error:
        raise PlatformError(f"{method} failed: {type(error).__name__}") from None
    if answer.status_code >= 400 and answer.status_code not in GONE:
        raise PlatformError(
            f"{method} answered HTTP {answer.status_code}",
            status=answer.status_code,
            retryable=retryable(answer.status_code),
        )
    return answer


def same_origin(url: str, base: str) -> bool:
    """Whether `url` is served by the API at `base` (credentials go nowhere else)."""
    one, other = urlsplit(url), urlsplit(base)
    return (one.scheme, one.netloc.lower()) == (other.scheme, other.netloc.lower())


def media(url: str, **options: Any) -> tuple[bytes, str]:
    """GET a recording's audio, checked (status, audio type, length): its bytes and type."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise PlatformError("a recording URL must be http or https", retryable=False)
    try:
        with requests.get(url, timeout=MEDIA_TIMEOUT_SECONDS, stream=True, **options) as answer:
            if answer.status_code != 200:
                raise PlatformError(
                    f"HTTP {answer.status_code}",
                    status=answer.status_code,
                    retryable=answer.status_code not in GONE,
                )
            given = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if given not in AUDIO_TYPES:
                raise PlatformError(f"not audio: {given or 'no content type'}")
            declared = answer.headers.get("Content-Length")
            audio = answer.raw.read(MAX_RECORDING_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise PlatformError(f"cannot fetch: {type(error).__name__}") from None
    if not audio or len(audio) > MAX_RECORDING_BYTES:
        raise PlatformError(f"bad length: {len(audio)} bytes")
    if declared is not None and declared.isdigit() and int(declared) != len(audio):
        raise PlatformError(f"truncated: {len(audio)} of {declared} bytes")
    return audio, AUDIO_TYPES[given]
