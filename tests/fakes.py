"""A platform's REST API on loopback: Twilio's, SignalWire's or Telnyx's shapes.

It checks the credentials the way the platform does (Basic account:token,
or Bearer API key), records every request, and answers like the API:
204 for a deleted recording (or `status` when a test sets one), the
message resource for an SMS, audio for a recording's media URL.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

ACCOUNTS = {
    "twilio": "AC" + "2" * 32,
    "signalwire": "8c1e7f2a-0d3b-4a55-9e1f-6b2c3d4e5f60",
    "telnyx": "cb6cfbbc-eb00-41af-a3f3-0d7b32009e4b",
}
TOKENS = {
    "twilio": "test-auth-token-0123456789abcdef",
    "signalwire": "PTsignalwire-api-token",
    "telnyx": "KEYtelnyx-api-key",
}
AUDIO = b"RIFF\x24\x00\x00\x00WAVEfmt "
LAML = r"/2010-04-01/Accounts/(?P<account>[^/]+)/"
SHAPES = {
    "twilio": {
        "delete": re.compile(LAML + r"Recordings/(?P<sid>[^/]+)\.json$"),
        "sms": re.compile(LAML + r"Messages\.json$"),
    },
    "signalwire": {
        "delete": re.compile("/api/laml" + LAML + r"Recordings/(?P<sid>[^/]+)\.json$"),
        "sms": re.compile("/api/laml" + LAML + r"Messages\.json$"),
    },
    "telnyx": {
        "delete": re.compile(
            r"/v2/texml/Accounts/(?P<account>[^/]+)/Recordings/"
            r"(?P<sid>[0-9a-f-]{36})\.json$"
        ),
        "sms": re.compile(r"/v2/messages$"),
    },
}


@dataclass
class FakeApi:
    """The running fake: where it answers, and what it was asked."""

    platform: str
    url: str = ""
    status: int = 204
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    # SIDs of the recordings actually removed (answered 204), in the platform's form, in order.
    removed: list[str] = field(default_factory=list)

    @property
    def deleted(self) -> list[str]:
        """SIDs of the recordings it was asked to delete, in the platform's form, in order."""
        pattern = SHAPES[self.platform]["delete"]
        return [
            m.group("sid")
            for method, path, _, _ in self.requests
            if method == "DELETE" and (m := pattern.search(path))
        ]

    def settings(self) -> dict[str, str]:
        """The app settings that point this platform's REST operations here."""
        account, token = ACCOUNTS[self.platform], TOKENS[self.platform]
        if self.platform == "twilio":
            return {"TWILIO_ACCOUNT_SID": account, "IVR_PLATFORM_API_URL": self.url}
        return {
            "IVR_PLATFORM_ACCOUNT": account,
            "IVR_PLATFORM_API_TOKEN": token,
            "IVR_PLATFORM_API_URL": self.url,
        }

    def authorised(self, headers: dict[str, str]) -> bool:
        given = headers.get("authorization", "")
        if self.platform == "telnyx":
            return given == f"Bearer {TOKENS['telnyx']}"
        pair = f"{ACCOUNTS[self.platform]}:{TOKENS[self.platform]}".encode()
        return given == "Basic " + base64.b64encode(pair).decode()

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request."""
        self.requests.append((method, path, headers, body))
        shape = SHAPES[self.platform]
        if method == "GET" and path.startswith("/media/"):
            return 200, "audio/x-wav", AUDIO
        if method == "GET" and path.startswith("/page/"):  # a login page, say: not audio
            return 200, "text/html", b"<html></html>"
        if not self.authorised(headers):
            return 401, "application/json", b'{"code": 20003, "message": "Authenticate"}'
        found = shape["delete"].search(path)
        if method == "DELETE" and found:
            if found.group("account") != ACCOUNTS[self.platform]:
                return 400, "application/json", b'{"errors": [{"detail": "wrong account"}]}'
            if self.status == 204:
                self.removed.append(found.group("sid"))
                return 204, "application/json", b""
            return self.status, "application/json", b'{"errors": [{"detail": "not found"}]}'
        if method == "POST" and shape["sms"].search(path):
            return self.send(headers, body)
        return 404, "application/json", b'{"errors": [{"detail": "no such resource"}]}'

    def send(self, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        if self.platform == "telnyx":
            sent = json.loads(body)
            self.messages.append({"to": sent["to"], "from": sent["from"], "text": sent["text"]})
            reply: dict[str, Any] = {
                "data": {
                    "id": str(uuid.uuid4()),
                    "to": [{"phone_number": sent["to"]}],
                    "text": sent["text"],
                }
            }
            return 200, "application/json", json.dumps(reply).encode()
        form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
        self.messages.append({"to": form["To"], "from": form["From"], "text": form["Body"]})
        sid = "SM" + uuid.uuid4().hex if self.platform == "twilio" else str(uuid.uuid4())
        return 201, "application/json", json.dumps({"sid": sid, "status": "queued"}).encode()


@contextmanager
def fake_api(platform: str) -> Iterator[FakeApi]:
    """Serve a platform's REST API on 127.0.0.1 for the duration of the block."""
    api = FakeApi(platform)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, kind, content = api.answer(self.command, self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
