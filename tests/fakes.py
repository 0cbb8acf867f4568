"""A fake HTTP client for the Twilio REST API: records requests, sends none."""

from __future__ import annotations

import logging
import re
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response

RECORDING = re.compile(r"/Recordings/(RE\w+)\.json$")


class FakeTwilioHttp(HttpClient):
    """Answers every request like the API would (204 for a DELETE), with no network."""

    def __init__(self, status: int = 204) -> None:
        super().__init__(logging.getLogger(__name__), False)
        self.status = status
        self.requests: list[tuple[str, str]] = []

    def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> Response:
        self.requests.append((method, uri))
        body = "" if self.status == 204 else '{"code": 20404, "message": "not found"}'
        return Response(self.status, body)

    @property
    def deleted(self) -> list[str]:
        """SIDs of the recordings deleted, in order."""
        return [m.group(1) for method, uri in self.requests
                if method == "DELETE" and (m := RECORDING.search(uri))]
