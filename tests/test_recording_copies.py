"""Recordings copied into the operator's store (issue 12), against a platform on loopback.

The platform's recording API is a real HTTP server (basic auth, the first
tries fail, a real WAV); the jobs run through the worker's own functions;
the directory store is a real directory, the bucket store moto's S3 server.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from ivr import worker
from ivr.phone import PhoneCall
from store import jobs
from store.models import Job, Mailbox, Message
from tests.endpoints import ACCOUNT_SID, platform_api
from tests.helpers import (
    AUTH_TOKEN,
    HOME,
    CheckedTransport,
    leave_platform_message,
    listen,
    run_until_done,
)
from tests.server import ROOT, environment, free_port


@pytest.fixture
def platform():
    with platform_api(AUTH_TOKEN, fail_first=2) as api:
        yield api


@pytest.fixture
def settings(settings, platform, shifted, request):
    """The platform on loopback; the bucket store when the test uses `bucket`."""
    settings = {
        **settings,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "IVR_CLOCK": shifted,
        "IVR_DELETE_PLATFORM_RECORDINGS": "1",
        "IVR_PLATFORM_API_URL": platform.base,
    }
    if "bucket" in request.fixturenames:
        settings.update(
            IVR_RECORDINGS_URL="s3://voicemail/ivr/recordings",
            IVR_S3_ENDPOINT_URL=request.getfixturevalue("bucket"),
            IVR_MEDIA_URL_SECONDS="60",
        )
    return settings


def message(session) -> Message:
    session.expire_all()
    return session.scalars(select(Message)).one()


def test_a_message_is_copied_verified_and_then_plays_from_our_own_url(
    app, client, session, make_line, phone, platform, shifted, tmp_path
):
    make_line()
    sid = "RE" + "a" * 32
    leave_platform_message(app, platform, sid)
    assert listen(phone) == platform.recording_url(sid)  # not stored yet: the platform's

    worker.drain(app)  # first try: 503
    assert message(session).stored_key is None
    job = session.scalars(select(Job).where(Job.kind == jobs.FETCH_MESSAGE)).one()
    assert job.attempts == 1
    assert job.last_error
    assert "503" in job.last_error
    assert job.run_after > shifted()  # backing off
    run_until_done(app, shifted)

    stored = message(session)
    assert stored.stored_key == f"messages/{sid}.wav"
    assert (tmp_path / "recordings" / stored.stored_key).read_bytes() == platform.wav
    assert platform.fetches == [sid, sid, sid]  # two refused, one served
    assert platform.deleted == [sid]  # IVR_DELETE_PLATFORM_RECORDINGS=1, after the copy

    url = listen(phone)
    parts = urlsplit(url)
    assert parts.path == f"/media/{stored.stored_key}"
    answer = client.get(parts.path + "?" + parts.query)
    assert answer.status_code == 200
    assert answer.mimetype == "audio/wav"
    assert answer.data == platform.wav


def test_the_media_url_needs_its_token_and_honours_ranges(
    app, client, session, make_line, phone, platform, shifted
):
    make_line()
    platform.fail_first = 0
    leave_platform_message(app, platform)
    run_until_done(app, shifted)
    parts = urlsplit(listen(phone))
    query = parse_qs(parts.query)
    path, expires, token = parts.path, query["expires"][0], query["token"][0]

    ranged = client.get(f"{path}?expires={expires}&token={token}", headers={"Range": "bytes=0-43"})
    assert ranged.status_code == 206
    assert ranged.data == platform.wav[:44]
    assert client.get(path).status_code == 403  # no token
    assert client.get(f"{path}?expires={expires}&token={'0' * 64}").status_code == 403
    later = str(int(expires) + 3600)  # a longer life is not granted by editing the URL
    assert client.get(f"{path}?expires={later}&token={token}").status_code == 403
    other = path.replace("a" * 32, "b" * 32)  # no guessing another message with this token
    assert client.get(f"{other}?expires={expires}&token={token}").status_code == 403
    assert client.get(f"/media/../ivr.sqlite3?expires={expires}&token={token}").status_code in (
        403,
        404,
    )
    assert client.get("/media/").status_code == 404  # no listing
    expired = int(time.time()) - 1
    from ivr.media import sign

    with app.app_context():
        stale = sign(path.removeprefix("/media/"), expired)
    assert client.get(f"{path}?expires={expired}&token={stale}").status_code == 403


def test_a_deleted_message_has_its_copy_deleted(
    app, session, make_line, phone, platform, shifted, tmp_path
):
    make_line()
    platform.fail_first = 0
    leave_platform_message(app, platform)
    run_until_done(app, shifted)
    copy = tmp_path / "recordings" / message(session).stored_key
    assert copy.exists()
    phone(HOME).press("1").press("3")  # listen, delete
    session.expire_all()
    assert session.scalars(select(Message)).all() == []
    run_until_done(app, shifted)
    assert not copy.exists()


def test_a_greeting_is_copied_and_played_from_our_store(
    app, client, session, make_line, phone, platform, shifted, tmp_path
):
    make_line()
    platform.fail_first = 0
    sid = "RE" + "c" * 32

    def record(_call, _verb):
        return {
            "RecordingSid": sid,
            "RecordingUrl": platform.recording_url(sid),
            "RecordingDuration": "3",
            "Digits": "#",
        }

    call = PhoneCall(
        CheckedTransport(app), AUTH_TOKEN, caller=HOME, called="/voice/access", recording=record
    ).dial("/voice/access")
    call.press("2").press("1").press("1").press("1")  # customise, greeting, record, keep
    session.expire_all()
    box = session.scalars(select(Mailbox)).one()
    assert box.greeting_sid == sid
    run_until_done(app, shifted)
    session.expire_all()
    box = session.scalars(select(Mailbox)).one()
    assert box.greeting_key == f"greetings/{sid}.wav"
    assert (tmp_path / "recordings" / box.greeting_key).read_bytes() == platform.wav
    assert platform.deleted == [sid]  # the greeting's platform copy goes too
    said = leave_platform_message(app, platform, sid="RE" + "d" * 32).said
    played = next(text for text in said if text.startswith("[recording "))
    assert urlsplit(played[11:-1]).path == f"/media/{box.greeting_key}"


def test_a_recording_gone_from_the_platform_is_given_up_and_still_listed(
    app, session, make_line, platform, shifted
):
    make_line()
    leave_platform_message(app, platform)
    platform.deleted.append("RE" + "a" * 32)  # 404 from now on
    platform.fail_first = 0
    worker.drain(app)
    job = session.scalars(select(Job).where(Job.kind == jobs.FETCH_MESSAGE)).one()
    assert job.done_at is not None
    assert "404" in (job.last_error or "")
    assert message(session).stored_key is None


def test_a_worker_killed_between_fetch_and_store_loses_nothing(
    app, session, make_line, phone, platform, shifted, tmp_path, monkeypatch
):
    """The first worker dies mid-job; the message still plays, and is stored once later."""
    make_line()
    platform.fail_first = 0
    sid = "RE" + "a" * 32
    leave_platform_message(app, platform, sid)

    class Killed(BaseException):
        """The process dies: nothing after this line runs, no handler cleans up."""

    real_put = type(app.extensions["ivr.media"]).put

    def die(*_args, **_kwargs):
        raise Killed

    monkeypatch.setattr(type(app.extensions["ivr.media"]), "put", die)
    with pytest.raises(Killed):
        worker.drain(app, token="dead-worker")
    assert platform.fetches == [sid]
    assert listen(phone) == platform.recording_url(sid)  # still plays, from the platform

    monkeypatch.setattr(type(app.extensions["ivr.media"]), "put", real_put)
    assert worker.drain(app) == 0  # the dead worker's lease still holds
    shifted.advance(app.config["IVR_JOB_LEASE_SECONDS"] + 1)
    run_until_done(app, shifted)
    assert message(session).stored_key == f"messages/{sid}.wav"
    assert [p.name for p in (tmp_path / "recordings" / "messages").iterdir()] == [f"{sid}.wav"]
    assert platform.deleted == [sid]
    assert urlsplit(listen(phone)).path.startswith("/media/")


def test_two_workers_never_claim_one_job(app, session, make_line, shifted):
    """Eight threads claim at once: each job goes to exactly one (both engines)."""
    make_line()
    now = shifted()
    for n in range(20):
        jobs.enqueue(session, "test", f"job{n}", now)
    session.commit()
    barrier = threading.Barrier(8)
    claimed: list[str] = []
    lock = threading.Lock()

    def claim_all(name: str) -> None:
        barrier.wait()
        with app.extensions["ivr.sessions"]() as mine:
            while (job := jobs.claim(mine, name, shifted(), timedelta(minutes=1))) is not None:
                with lock:
                    claimed.append(job.ref)

    threads = [threading.Thread(target=claim_all, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(f"job{n}" for n in range(20))


@pytest.fixture
def bucket(monkeypatch):
    """moto's S3 server on a free loopback port, with an empty bucket."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="voicemail")
    yield endpoint
    server.stop()


def test_the_bucket_store_keeps_the_copy_and_presigns_playback(
    app, session, make_line, phone, platform, shifted, bucket
):
    make_line()
    platform.fail_first = 0
    sid = "RE" + "a" * 32
    leave_platform_message(app, platform, sid)
    run_until_done(app, shifted)
    assert message(session).stored_key == f"messages/{sid}.wav"
    s3 = boto3.client("s3", endpoint_url=bucket)
    stored = s3.get_object(Bucket="voicemail", Key=f"ivr/recordings/messages/{sid}.wav")
    assert stored["Body"].read() == platform.wav
    assert stored["ContentType"] == "audio/wav"

    url = listen(phone)
    assert url.startswith(f"{bucket}/voicemail/ivr/recordings/messages/{sid}.wav?")
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["60"]
    assert requests.get(url, timeout=5).content == platform.wav
    assert requests.get(url.split("?")[0], timeout=5).status_code == 403  # not public

    phone(HOME).press("1").press("3")  # deleted: the object goes too
    run_until_done(app, shifted)
    assert "Contents" not in s3.list_objects_v2(Bucket="voicemail")


def test_a_worker_process_killed_mid_fetch_is_replaced_without_loss(
    app, settings, session, make_line, phone, platform, tmp_path
):
    """`flask ivr worker` gets SIGKILL while the audio is on its way; a new one finishes."""
    make_line()
    platform.fail_first = 0
    sid = "RE" + "e" * 32
    leave_platform_message(app, platform, sid)
    # (the platform copy's deletion is tested in-process above)
    # (the key pair is the same basic auth, set so a development.env cannot fill it in)
    env = environment(
        {
            **settings,
            "IVR_JOB_LEASE_SECONDS": 2,
            "IVR_DELETE_PLATFORM_RECORDINGS": "0",
            "TWILIO_API_KEY": ACCOUNT_SID,
            "TWILIO_API_SECRET": AUTH_TOKEN,
        }
    )
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "ivr", "worker"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    platform.before_serving.clear()  # the platform holds its answer: the fetch is under way
    first = start()
    try:
        deadline = time.monotonic() + 30
        while not platform.fetches and time.monotonic() < deadline:
            time.sleep(0.05)
        assert platform.fetches == [sid]
    finally:
        first.kill()
        first.wait(10)
    platform.before_serving.set()
    assert listen(phone) == platform.recording_url(sid)  # it still plays

    second = start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not message(session).stored_key:
            time.sleep(0.1)
    finally:
        second.terminate()
        assert second.wait(15) == 0  # a clean stop on SIGTERM
    assert message(session).stored_key == f"messages/{sid}.wav"
    assert [p.name for p in (tmp_path / "recordings" / "messages").iterdir()] == [f"{sid}.wav"]
    assert platform.fetches == [sid, sid]  # the killed try, and the one that stored it
