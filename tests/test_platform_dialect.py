"""What differs between the platforms, translated in the adapter: parameters, voices."""

from __future__ import annotations

import pytest

from ivr.platforms import Voice, build
from menus.catalogue import sentence
from tests.helpers import HOME, PLATFORMS, CheckedTransport, phone_secret


def adapter(name: str):
    return build({"IVR_PLATFORM": name})


def test_twilio_requests_are_read_as_they_come():
    assert adapter("twilio").inbound({"CallSid": "CA" + "1" * 32, "CallStatus": "busy"}) is None


def test_signalwire_uuids_become_alphanumeric_sids():
    form = {
        "CallSid": "0d6c5a7e-3b1f-4c2a-9d8e-7f6a5b4c3d2e",
        "From": HOME,
        "RecordingSid": "35094891-3290-4142-b2c2-b2eda57534cf",
    }
    translated = adapter("signalwire").inbound(form)
    assert translated == {
        **form,
        "CallSid": "0d6c5a7e3b1f4c2a9d8e7f6a5b4c3d2e",
        "RecordingSid": "3509489132904142b2c2b2eda57534cf",
    }
    assert adapter("signalwire").recording_path(translated["RecordingSid"]) == form["RecordingSid"]


def test_telnyx_call_sids_statuses_and_attestation():
    telnyx = adapter("telnyx")
    form = {
        "CallSid": "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ",
        "CallStatus": "No_Answer",
        "ShakenStirAttestation": "A",
        "ShakenStirValidated": "true",
        "RecordingSid": "35094891-3290-4142-b2c2-b2eda57534cf",
    }
    translated = telnyx.inbound(form)
    assert translated is not None
    assert translated["CallSid"].isalnum()
    assert len(translated["CallSid"]) <= 64
    assert translated["CallSid"] == telnyx.inbound(form)["CallSid"]  # the same for every request
    assert translated["CallStatus"] == "no-answer"
    assert translated["StirVerstat"] == "TN-Validation-Passed-A"
    assert translated["RecordingSid"] == "3509489132904142b2c2b2eda57534cf"
    unattested = telnyx.inbound({**form, "ShakenStirAttestation": "B"})
    assert unattested is not None
    assert "StirVerstat" not in unattested


@pytest.mark.parametrize("platform_name", PLATFORMS)
def test_each_platform_says_each_language_in_a_voice_it_has(platform_name):
    platform = adapter(platform_name)
    assert platform.say("fr") == Voice("Polly.Celine", "fr-FR")
    assert platform.say("de") == Voice("Polly.Marlene", "de-DE")
    assert platform.say("en") == Voice("Polly.Amy", "en-GB")
    assert platform.say("xx") == platform.fallback  # a language it lacks: its default voice


@pytest.mark.parametrize("platform_name", ["telnyx"])
def test_attested_caller_id_on_telnyx(settings, platform_name):
    """IVR_TRUST_CALLER_ID=attested reads Telnyx's SHAKEN fields as Twilio's StirVerstat."""
    from ivr import create_app
    from ivr.phone import PhoneCall
    from store.lines import add_line

    app = create_app({**settings, "IVR_TRUST_CALLER_ID": "attested"})
    with app.extensions["ivr.sessions"]() as session:
        add_line(session, HOME, region="FR", language="en")
        session.commit()

    def call(**extra: str) -> PhoneCall:
        return PhoneCall(
            CheckedTransport(app),
            phone_secret("telnyx"),
            caller=HOME,
            called="+33900000000",
            extra=extra,
            platform="telnyx",
        )

    home = call(ShakenStirAttestation="A", ShakenStirValidated="true").dial("/voice/access")
    assert home.last_said == sentence("en", "main_menu")
    spoofed = call(ShakenStirAttestation="C", ShakenStirValidated="true").dial("/voice/access")
    assert spoofed.last_said == sentence("en", "enter_line")
    for document in home.documents:  # each answer checked as TwiML by CheckedTransport
        for say in document.iter("Say"):
            assert say.get("voice") == "Polly.Amy"
    app.extensions["ivr.engine"].dispose()


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("IVR_PLATFORM", "plivo", "expected one of twilio, signalwire, telnyx"),
        ("IVR_PLATFORM_PUBLIC_KEY", "not base64!", "base64 Ed25519 public key"),
        ("IVR_PLATFORM_PUBLIC_KEY", "c2hvcnQ=", "32-byte"),
        ("IVR_PLATFORM_API_URL", "example.signalwire.com", "base URL"),
    ],
)
def test_platform_settings_are_checked_at_start(name, value, says):
    from ivr.config import ConfigError, parse_settings

    with pytest.raises(ConfigError, match=says):
        parse_settings({name: value})
