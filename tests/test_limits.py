"""Request bodies over a small limit are refused before anything parses them.

The attack (issue 9, item 6): one 300 MB POST to /voice/access, unsigned,
took a gunicorn worker from 92 MB to 954 MB while the form was parsed for
the signature check and the request log. Here a 50 MB body, declared or
chunked, goes to each area; the worker's memory (VmRSS now, VmHWM at its
peak) must not move and the answer must be 413.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ivr import limits
from tests.helpers import AUTH_TOKEN
from tests.server import Server, serve

MIB = 1024 * 1024
BODY = 50 * MIB
CHUNK = b"Digits=" + b"1" * (64 * 1024 - 7)
# A worker's memory may drift by a page or two between requests; 50 MB read
# into memory would move it by 50 MB or more.
SLACK_KB = 4 * 1024


@pytest.fixture(scope="module")
def server(databases) -> Iterator[Server]:
    url = databases.create()
    settings = {
        "IVR_DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "IVR_PIN_PEPPER": "limits-pepper",
        "IVR_SECRET_KEY": "limits-key",
        "IVR_BCRYPT_ROUNDS": 4,
    }
    with serve(settings, workers=1, threads=2) as running:
        yield running
    databases.drop(url)


def memory_kb(server: Server) -> tuple[int, int]:
    """The worker's resident memory now and at its peak (VmRSS, VmHWM), in kB."""
    [pid] = server.worker_pids()
    status = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])


def post(
    server: Server,
    path: str,
    size: int,
    *,
    chunked: bool,
    content_type: str = "application/x-www-form-urlencoded",
) -> tuple[int, bytes]:
    """POST `size` bytes to `path` (declared, or chunked without a length); status, body."""
    address = urlsplit(server.base)
    connection = http.client.HTTPConnection(address.netloc, timeout=30)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", content_type)
    connection.putheader("X-Twilio-Signature", "forged")  # so a signature check would parse
    if chunked:
        connection.putheader("Transfer-Encoding", "chunked")
    else:
        connection.putheader("Content-Length", str(size))
    connection.endheaders()
    try:
        sent = 0
        while sent < size:
            piece = CHUNK[: size - sent]
            connection.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            sent += len(piece)
        if chunked:
            connection.send(b"0\r\n\r\n")
    except (TimeoutError, BrokenPipeError, ConnectionResetError):
        pass  # the server answered and stopped reading: the answer is still there
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    return answer.status, body


def warm_up(server: Server) -> None:
    """Bring the worker to its steady size: every area answered once."""
    for path in ("/voice/access", "/support/incoming", "/console/login", "/api/v1/lines"):
        post(server, path, 100, chunked=False)
        post(server, path, 100, chunked=True)


@pytest.mark.parametrize(
    "path", ["/voice/access", "/support/incoming", "/console/login", "/api/v1/lines"]
)
def test_a_50_mb_body_is_refused_without_the_worker_growing(server, path):
    warm_up(server)
    before, peak_before = memory_kb(server)
    for chunked in (False, True):
        status, body = post(server, path, BODY, chunked=chunked)
        assert status == 413, (path, chunked, body[:200])
    after, peak_after = memory_kb(server)
    assert after - before < SLACK_KB, (before, after)
    assert peak_after - peak_before < SLACK_KB, (peak_before, peak_after)


def test_the_api_says_so_in_json(server):
    status, body = post(
        server, "/api/v1/lines", 17 * 1024, chunked=True, content_type="application/json"
    )
    assert status == 413
    assert b'"error": "request_entity_too_large"' in body


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/voice/access", 16 * 1024),
        ("/voice/step/3", 16 * 1024),
        ("/support/incoming", 16 * 1024),
        ("/console/login", 8 * 1024),
        ("/api/v1/lines", 16 * 1024),
        ("/healthz", 1024),
    ],
)
def test_each_area_has_its_limit(path, limit):
    assert limits.limit_for(path) == limit


def test_a_body_within_the_limit_still_reaches_the_app(server):
    """Chunked, just under the webhook limit: the signature check answers, not the limit."""
    for chunked in (False, True):
        status, _ = post(server, "/voice/access", 16 * 1024, chunked=chunked)
        assert status == 403  # forged signature: refused by the check, after a full read
