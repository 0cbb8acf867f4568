"""The issue's story on a development setup: the console phone leaves a message over HTTP,
the worker copies it from the dev server's own platform stand-in, it plays from our
URL, the subscriber gets the audio by e-mail and the switch an MWI post."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from ivr import worker
from ivr.devplatform import tone
from store.models import Message
from tests.endpoints import switch_receiver
from tests.helpers import HOME, MOBILE, listen


@pytest.fixture
def switch():
    with switch_receiver(fail_first=0) as receiver:
        yield receiver


@pytest.fixture
def settings(settings, smtp, switch):  # noqa: F811
    return {
        **settings,
        "IVR_DEVELOPMENT": True,
        "TWILIO_API_KEY": "SK" + "d" * 32,
        "TWILIO_API_SECRET": "dev-secret",
        "IVR_SMTP_URL": smtp.url,
        "IVR_MWI_URL": switch.url,
    }


@pytest.fixture
def served(app):
    """The app on a loopback port, as `./dev serve` would answer."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_console_phone_message_is_copied_played_mailed_and_counted(
    app, runner, session, make_line, phone, served, smtp, switch, tmp_path
):  # noqa: F811
    make_line(email="subscriber@example.com")
    assert runner.invoke(args=["ivr", "notify", HOME, "email+audio"]).exit_code == 0
    result = runner.invoke(
        args=[
            "ivr",
            "call",
            "--from",
            MOBILE,
            "--to",
            "deposit",
            "--mailbox",
            HOME,
            "--url",
            served,
            "--speak",
            "4",
        ]
    )
    assert result.exit_code == 0, result.output
    message = session.scalars(select(Message)).one()
    assert message.recording_url.startswith(f"{served}/dev/platform/2010-04-01/Accounts/")

    assert worker.drain(app) >= 2  # the copy, the MWI post
    session.expire_all()
    key = session.scalars(select(Message)).one().stored_key
    assert (tmp_path / "recordings" / key).read_bytes() == tone()
    assert urlsplit(listen(phone)).path == f"/media/{key}"
    mail = smtp.messages[0][2]
    assert [part.get_content() for part in mail.iter_attachments()] == [tone()]
    worker.drain(app)  # listening made it saved: the switch hears that too
    assert (switch.latest(HOME)["new"], switch.latest(HOME)["saved"]) == (0, 1)


def test_the_dev_platform_wants_the_development_key(client):
    path = "/dev/platform/2010-04-01/Accounts/AC1/Recordings/RE1"
    assert client.get(path).status_code == 401
    assert client.get(path, auth=("SK" + "d" * 32, "wrong")).status_code == 401
    assert client.get(path, auth=("SK" + "d" * 32, "dev-secret")).data == tone()


def test_there_is_no_dev_platform_outside_development(settings, request):
    settings["IVR_DEVELOPMENT"] = False
    client = request.getfixturevalue("client")
    path = "/dev/platform/2010-04-01/Accounts/AC1/Recordings/RE1"
    assert client.get(path, auth=("SK" + "d" * 32, "dev-secret")).status_code == 404
