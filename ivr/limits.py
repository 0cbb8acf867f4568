"""Request bodies: refused over a small limit, before anything reads them.

The limit is enforced in front of the Flask app (WSGI middleware), so no
signature check, CSRF check or request log parses a form first. A body with
a Content-Length over the limit is refused unread; a chunked one (no
Content-Length) is read up to the limit and no further. Either way the
answer is 413 and memory stays flat. Flask's own limits (ivr/config.py) stand
behind it for anything that reaches the app.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

KIB = 1024
# Path prefix: the largest body accepted there. Webhook forms from the
# platform are 1 to 3 KB (a CallToken included); console forms are a CSRF
# token and at most a 500-character reason; API bodies are small JSON
# objects (ivr/api.py, documented in the OpenAPI document).
AREAS = (
    ("/voice/", 16 * KIB),
    ("/support/", 16 * KIB),
    ("/console/", 8 * KIB),
    ("/api/", 16 * KIB),
)
ELSEWHERE = 1 * KIB  # nothing else takes a body
LARGEST = max(limit for _, limit in AREAS)
READ_SIZE = 4 * KIB
JSON = "application/json"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def limit_for(path: str) -> int:
    """The largest body accepted at `path`."""
    return next((limit for prefix, limit in AREAS if path.startswith(prefix)), ELSEWHERE)


class BodyLimit:
    """WSGI middleware: a body over its area's limit is answered 413, unparsed."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        limit = limit_for(environ.get("PATH_INFO", ""))
        length = _content_length(environ)
        if length is None and environ.get("wsgi.input_terminated"):
            body = _read_at_most(environ["wsgi.input"], limit + 1)
            length = len(body)
            if length <= limit:
                environ["wsgi.input"] = io.BytesIO(body)
                environ["CONTENT_LENGTH"] = str(length)
                environ.pop("wsgi.input_terminated", None)
        if length is not None and length > limit:
            return _too_large(environ, start_response, limit)
        return self.app(environ, start_response)


def _content_length(environ: dict[str, Any]) -> int | None:
    """The declared body length; None when there is none (chunked, or no body)."""
    value = environ.get("CONTENT_LENGTH", "")
    try:
        return max(int(value), 0) if value else None
    except ValueError:
        return LARGEST + 1  # not a length: refused like one too large


def _read_at_most(stream: Any, size: int) -> bytes:
    """Up to `size` bytes of `stream`, in small reads."""
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = stream.read(min(READ_SIZE, left))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _too_large(
    environ: dict[str, Any], start_response: StartResponse, limit: int
) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    log.warning("refused a request body over %d bytes to %s", limit, path)
    detail = f"the request body is larger than {limit // KIB} KiB"
    if path.startswith("/api/"):  # the API's errors are JSON (ivr/api.py)
        body, kind = json.dumps({"error": "request_entity_too_large", "detail": detail}), JSON
    else:
        body, kind = detail + "\n", "text/plain; charset=utf-8"
    encoded = body.encode()
    start_response(
        "413 Request Entity Too Large",
        [
            ("Content-Type", kind),
            ("Content-Length", str(len(encoded))),
        ],
    )
    return [encoded]
