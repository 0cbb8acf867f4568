"""One HTTP request to a platform's REST API: a timeout, and errors as PlatformError."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from ivr.platforms import PlatformError

TIMEOUT_SECONDS = 5.0
GONE = 404


def call(method: str, url: str, **options: Any) -> requests.Response:
    """Send one request; a network failure or a 5xx/4xx (but 404) raises PlatformError."""
    try:
        answer = requests.request(method, url, timeout=TIMEOUT_SECONDS, **options)
    except requests.RequestException as error:
        raise PlatformError(f"{method} failed: {type(error).__name__}") from None
    if answer.status_code >= 400 and answer.status_code != GONE:
        raise PlatformError(f"{method} answered HTTP {answer.status_code}", answer.status_code)
    return answer


def same_origin(url: str, base: str) -> bool:
    """Whether `url` is served by the API at `base` (credentials go nowhere else)."""
    one, other = urlsplit(url), urlsplit(base)
    return (one.scheme, one.netloc.lower()) == (other.scheme, other.netloc.lower())


def media(url: str, **options: Any) -> tuple[bytes, str]:
    """GET a recording's audio: its bytes and content type."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise PlatformError("a recording URL must be http or https")
    answer = call("GET", url, **options)
    if answer.status_code == GONE:
        raise PlatformError("recording not found", GONE)
    return answer.content, answer.headers.get("Content-Type", "application/octet-stream")
