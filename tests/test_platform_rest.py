"""Recordings and SMS through each platform's REST API, against a fake of it on loopback."""

from __future__ import annotations

import pytest

from ivr import recordings
from ivr.platforms import PlatformError
from ivr.platforms.caller import SIDES
from tests.fakes import AUDIO, fake_api
from tests.helpers import PLATFORMS

pytestmark = pytest.mark.parametrize("platform_name", PLATFORMS)


def stored(platform: str, sid: str) -> str:
    """A platform's recording SID as the app stores it (what deletion is given)."""
    from ivr.platforms import build

    translated = build({"IVR_PLATFORM": platform}).inbound({"RecordingSid": sid})
    return (translated or {}).get("RecordingSid", sid)


def test_deleting_recordings_reaches_the_platform(app, platform_api, platform_name):
    sids = [SIDES[platform_name].recording_sid() for _ in range(2)]
    with app.app_context():
        assert recordings.delete_recordings([stored(platform_name, sid) for sid in sids]) == 2
    assert platform_api.deleted == platform_api.removed == sids
    assert all(platform_api.authorised(headers) for _, _, headers, _ in platform_api.requests)


@pytest.mark.parametrize(("status", "gone"), [(404, 1), (500, 0), (401, 0)])
def test_a_recording_already_gone_counts_an_error_does_not(
    app, platform_api, platform_name, status, gone
):
    platform_api.status = status
    sid = SIDES[platform_name].recording_sid()
    with app.app_context():
        assert recordings.delete_recordings([stored(platform_name, sid)]) == gone


def test_wrong_credentials_delete_nothing(app, platform_api, platform_name):
    key = "TWILIO_AUTH_TOKEN" if platform_name == "twilio" else "IVR_PLATFORM_API_TOKEN"
    app.config[key] = "not-the-token"
    sid = SIDES[platform_name].recording_sid()
    with app.app_context():
        assert recordings.delete_recordings([stored(platform_name, sid)]) == 0
    assert len(platform_api.deleted) == 1
    assert platform_api.removed == []


def test_without_credentials_nothing_is_asked(app, platform_name):
    with fake_api(platform_name) as api, app.app_context():
        app.config["IVR_PLATFORM_API_URL"] = api.url  # the API, but no account or token
        assert recordings.delete_recordings(["RE" + "1" * 32]) == 0
        assert api.requests == []


def test_fetching_a_recording_sends_credentials_only_to_the_api(app, platform_api, platform_name):
    with app.app_context():
        audio, kind = recordings.fetch_recording(f"{platform_api.url}/media/RE1")
    assert (audio, kind) == (AUDIO, "audio/wav")
    assert "authorization" in platform_api.requests[-1][2]
    with fake_api(platform_name) as elsewhere, app.app_context():
        audio, _ = recordings.fetch_recording(f"{elsewhere.url}/media/RE2")
        assert audio == AUDIO
        assert "authorization" not in elsewhere.requests[-1][2]


def test_a_recording_that_cannot_be_fetched_is_a_platform_error(app, platform_api):
    with app.app_context():
        with pytest.raises(PlatformError):
            recordings.fetch_recording("file:///etc/passwd")
        with pytest.raises(PlatformError) as gone:
            recordings.fetch_recording(f"{platform_api.url}/nothing-here")
        assert not gone.value.retryable
        with pytest.raises(PlatformError, match="not audio"):
            recordings.fetch_recording(f"{platform_api.url}/page/login")


def test_sending_an_sms(app, platform_api, platform_name):
    app.config["IVR_SMS_FROM"] = "+33100000000"
    with app.app_context():
        sid = recordings.send_sms("+33612345678", "You have a new message.")
    assert sid
    assert platform_api.messages == [
        {"to": "+33612345678", "from": "+33100000000", "text": "You have a new message."}
    ]


def test_an_sms_without_a_sender_is_refused_before_the_platform(app, platform_api):
    with app.app_context(), pytest.raises(PlatformError, match="IVR_SMS_FROM"):
        recordings.send_sms("+33612345678", "text")
    assert platform_api.requests == []
