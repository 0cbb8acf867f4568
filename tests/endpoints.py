"""Outside services played on loopback, over real HTTP: the platform's REST API, a switch.

`Platform` serves recordings (basic auth required, the first tries fail
with 503, a real WAV), deletes them and takes SMS, like Twilio's API.
`Switch` receives MWI posts, refusing the first ones, and keeps the rest.
"""

from __future__ import annotations

import base64
import email
import email.policy
import io
import json
import math
import re
import struct
import threading
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.server import free_port

ACCOUNT_SID = "AC" + "3" * 32
RECORDING = re.compile(r"/2010-04-01/Accounts/(AC\w+)/Recordings/(RE\w+?)(\.json)?$")
MESSAGES = re.compile(r"/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


def make_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A real mono 16-bit WAV: a 440 Hz tone."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        frames = (
            int(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(seconds * rate))
        )
        wav.writeframes(b"".join(struct.pack("<h", frame) for frame in frames))
    return out.getvalue()


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *_args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: bytes = b"", kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


class _PlatformHandler(_Handler):
    def _authorised(self) -> bool:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{self.server.token}".encode()).decode()
        return self.headers.get("Authorization") == f"Basic {expected}"

    def do_GET(self) -> None:  # noqa: N802
        platform: Platform = self.server.platform
        found = RECORDING.search(self.path)
        if not self._authorised():
            self._answer(401, b'{"code": 20003}')
            return
        if not found or found.group(2) in platform.deleted:
            self._answer(404, b'{"code": 20404}')
            return
        with platform.lock:
            platform.fetches.append(found.group(2))
            failing = platform.fail_first > 0 or (
                platform.fail_every > 0 and len(platform.fetches) % platform.fail_every == 0
            )
            platform.fail_first -= 1 if platform.fail_first > 0 else 0
        if failing:
            self._answer(503, b'{"code": 20500}')
            return
        platform.before_serving.wait()
        self._answer(200, platform.wav, "audio/x-wav")

    def do_DELETE(self) -> None:  # noqa: N802
        found = RECORDING.search(self.path)
        if not self._authorised() or not found:
            self._answer(401)
            return
        self.server.platform.deleted.append(found.group(2))
        self._answer(204)

    def do_POST(self) -> None:  # noqa: N802
        form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
        if not self._authorised() or not MESSAGES.search(self.path):
            self._answer(401)
            return
        platform: Platform = self.server.platform
        platform.texts.append(form)
        sid = f"SM{len(platform.texts):032d}"
        self._answer(
            201, json.dumps({"sid": sid, "to": form.get("To"), "status": "queued"}).encode()
        )


class Platform:
    """The platform's REST API on loopback."""

    def __init__(self, token: str, fail_first: int = 2) -> None:
        self.token = token
        self.fail_first = fail_first
        self.fail_every = 0  # also refuse every n-th fetch (the soak)
        self.wav = make_wav()
        self.fetches: list[str] = []
        self.deleted: list[str] = []
        self.texts: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.before_serving = threading.Event()
        self.before_serving.set()
        self.base = ""

    def recording_url(self, sid: str) -> str:
        return f"{self.base}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"


class _SwitchHandler(_Handler):
    def do_POST(self) -> None:  # noqa: N802
        switch: Switch = self.server.switch
        body = self._body()
        with switch.lock:
            switch.tries += 1
            refuse = switch.tries <= switch.fail_first
            if not refuse:
                switch.posts.append(
                    (json.loads(body), self.headers.get("X-IVR-Signature", ""), body)
                )
        self._answer(500 if refuse else 204)


class Switch:
    """The operator's switch taking MWI posts; the first `fail_first` are refused."""

    def __init__(self, fail_first: int = 2) -> None:
        self.fail_first = fail_first
        self.tries = 0
        self.posts: list[tuple[dict[str, Any], str, bytes]] = []
        self.lock = threading.Lock()
        self.url = ""

    def latest(self, line: str) -> dict[str, Any] | None:
        mine = [post for post, _, _ in self.posts if post["line"] == line]
        return mine[-1] if mine else None


@contextmanager
def serving(handler: type[_Handler], **attributes: Any) -> Iterator[str]:
    """Serve `handler` on a free loopback port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    for name, value in attributes.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def platform_api(token: str, fail_first: int = 2) -> Iterator[Platform]:
    platform = Platform(token, fail_first)
    with serving(_PlatformHandler, platform=platform, token=token) as base:
        platform.base = base
        yield platform


@contextmanager
def switch_receiver(fail_first: int = 2) -> Iterator[Switch]:
    switch = Switch(fail_first)
    with serving(_SwitchHandler, switch=switch) as base:
        switch.url = base + "/mwi"
        yield switch


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.url = ""
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    """A local SMTP server (aiosmtpd) on a free loopback port, keeping what it receives."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield inbox
    finally:
        controller.stop()
