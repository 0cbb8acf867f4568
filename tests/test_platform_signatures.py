"""Webhook signatures on each platform: forged ones refused (403, nothing changed),
and ours agreeing with each platform's own validator (twilio, telnyx, signalwire)."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from ivr.phone import FORM, PhoneCall, encoded
from ivr.platforms import build
from ivr.platforms.caller import new_keypair
from ivr.signature import verify
from menus.catalogue import sentence
from store.models import Call, Mailbox
from tests.helpers import (
    AUTH_TOKEN,
    HOME,
    PLATFORMS,
    SIGNING_KEY,
    TELNYX_PRIVATE,
    TELNYX_PUBLIC,
    CheckedTransport,
    give_code,
    phone_secret,
)

VECTORS = json.loads((Path(__file__).parent / "data" / "signalwire_vectors.json").read_text())
KEYS = {
    "twilio": "TWILIO_AUTH_TOKEN",
    "signalwire": "IVR_PLATFORM_SIGNING_KEY",
    "telnyx": "IVR_PLATFORM_PUBLIC_KEY",
}


def calls(session) -> int:
    return session.scalar(select(func.count()).select_from(Call))


def unsent(app, platform: str, secret: str | None = None) -> PhoneCall:
    return PhoneCall(
        CheckedTransport(app),
        secret or phone_secret(platform),
        caller=HOME,
        called="+33900000000",
        platform=platform,
    )


def shifted(app, seconds: float) -> Callable[[], float]:
    """The platform's clock, `seconds` away from the app's."""
    return lambda: app.config["IVR_CLOCK"]().timestamp() + seconds


def post(client, url, form, headers):
    return client.post(url, data=encoded(form), headers={"Content-Type": FORM, **headers})


FORGERIES = [
    (p, case)
    for p in PLATFORMS
    for case in ("missing", "wrong_secret", "tampered", "no_key", "other_url")
    if not (p == "telnyx" and case == "other_url")
]  # Telnyx does not sign the URL
FORGERIES += [("telnyx", case) for case in ("stale", "future", "not_base64", "wrong_length")]


@pytest.mark.parametrize(("platform_name", "case"), FORGERIES)
def test_forged_webhooks_get_403_and_change_nothing(
    app, client, session, make_line, platform_name, case
):
    make_line()
    wrong = new_keypair()[0] if platform_name == "telnyx" else "not-the-secret"
    phone = unsent(app, platform_name, wrong if case == "wrong_secret" else None)
    sign_path = "/voice/deposit" if case == "other_url" else "/voice/access"
    if case in ("stale", "future"):
        phone.clock = shifted(app, -310 if case == "stale" else 310)
    _url, form, headers = phone.signed(sign_path, {})
    if case == "missing":
        headers = {}
    elif case == "tampered":
        form = {**form, "From": "+33612345678"}
    elif case == "no_key":
        app.config[KEYS[platform_name]] = None
    elif case == "not_base64":
        headers = {**headers, "telnyx-signature-ed25519": "not base64!"}
    elif case == "wrong_length":
        headers = {**headers, "telnyx-signature-ed25519": base64.b64encode(b"x" * 32).decode()}
    answer = post(client, "http://localhost/voice/access", form, headers)
    assert answer.status_code == 403
    assert calls(session) == 0


@pytest.mark.parametrize("platform_name", PLATFORMS)
def test_a_signed_call_is_answered_and_stored_under_its_sid(
    session, make_line, phone, platform_name
):
    make_line()
    call = phone(HOME)
    assert call.last_said == sentence("en", "main_menu")
    stored = session.get(Call, call.stored_sid)
    assert stored is not None
    assert stored.caller == HOME
    assert stored.sid.isalnum()


@pytest.mark.parametrize("platform_name", PLATFORMS)
def test_a_retry_is_answered_the_same_and_counts_once(
    app, session, make_line, phone, platform_name
):
    """Retries carry no idempotency token on SignalWire and Telnyx: the step and keys do."""
    make_line()
    give_code(app, session)
    call = phone(HOME).press("1111#")
    first = [s.text for s in call.documents[-1].iter("Say")]
    status, body = call.retry()
    assert status == 200
    assert sentence("en", "wrong_code") in body
    assert first[0] == sentence("en", "wrong_code")
    session.expire_all()
    assert session.get(Mailbox, 1).strikes == 1


@pytest.mark.parametrize("platform_name", ["telnyx"])
def test_telnyx_accepts_a_timestamp_inside_the_window(app, client, make_line, platform_name):
    make_line()
    for offset in (-290, 290):
        phone = unsent(app, "telnyx")
        phone.clock = shifted(app, offset)
        url, form, headers = phone.signed("/voice/access", {})
        assert post(client, url, form, headers).status_code == 200


# -- ours against the platforms' own validators ----------------------------------------


TWILIO_FORMS = [
    {"CallSid": "CA" + "1" * 32, "From": HOME, "Digits": "4827#"},
    {"CallerName": "Zoë Müller", "To": "+33900000000", "Empty": ""},
    {},
]
TWILIO_URLS = [
    "https://voicemail.example.net/voice/step/3",
    "https://voicemail.example.net:443/voice/step/3?x=1",
    "http://127.0.0.1:8000/voice/access",
]


@pytest.mark.parametrize("url", TWILIO_URLS)
@pytest.mark.parametrize("form", TWILIO_FORMS)
def test_twilio_ours_and_the_sdk_agree(app, url, form):
    twilio = build({**app.config, "IVR_PLATFORM": "twilio"})
    sdk = RequestValidator(AUTH_TOKEN)
    signed = sdk.compute_signature(url, form)
    assert twilio.verify(url, form, {"X-Twilio-Signature": signed})
    assert sdk.validate(url, form, signed)
    tampered = {**form, "Digits": "0000"}
    assert not twilio.verify(url, tampered, {"X-Twilio-Signature": signed})
    assert not sdk.validate(url, tampered, signed)
    sha256 = sdk.compute_signature(url, form, "HMAC_SHA256")
    settings = {"X-Twilio-Webhooks-Signature-Settings": "key=k1,algorithm=HMAC_SHA256"}
    assert twilio.verify(url, form, {"X-Twilio-Signature": sha256, **settings})
    assert not twilio.verify(url, form, {"X-Twilio-Signature": sha256})
    unknown = {"X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_MD5"}
    assert not twilio.verify(url, form, {"X-Twilio-Signature": signed, **unknown})


def test_twilio_repeated_parameters_match_the_sdk(app):
    form = MultiDict([("Digits", "2"), ("Digits", "1"), ("From", HOME)])
    signed = RequestValidator(AUTH_TOKEN).compute_signature(TWILIO_URLS[0], form)
    assert build(app.config).verify(TWILIO_URLS[0], form, {"X-Twilio-Signature": signed})


def test_twilio_computes_one_hmac_unless_the_port_differs(app, monkeypatch):

    twilio, form = build(app.config), TWILIO_FORMS[0]
    url = "https://voicemail.example.net/voice/step/3"
    plain = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    with_port = RequestValidator(AUTH_TOKEN).compute_signature(
        "https://voicemail.example.net:443/voice/step/3", form
    )
    made: list[bytes] = []
    real = hmac.new

    def counted(key: bytes, *args, **kwargs):
        made.append(key)
        return real(key, *args, **kwargs)

    monkeypatch.setattr(hmac, "new", counted)
    assert twilio.verify(url, form, {"X-Twilio-Signature": plain})
    assert len(made) == 1
    assert twilio.verify(url, form, {"X-Twilio-Signature": with_port})
    assert len(made) == 3


@pytest.mark.parametrize("vector", VECTORS["cases"], ids=lambda v: v["name"])
def test_signalwire_ours_accepts_exactly_what_the_sdk_accepts(app, vector):
    """Verdicts of the signalwire SDK's validator, recorded by scripts/signalwire-vectors."""
    signalwire = build(
        {**app.config, "IVR_PLATFORM": "signalwire", "IVR_PLATFORM_SIGNING_KEY": VECTORS["key"]}
    )
    form = vector.get("form", {})
    body = vector["body"].encode() if "body" in vector else urlencode(form).encode()
    for name in ("X-SignalWire-Signature", "X-Twilio-Signature"):
        assert (
            signalwire.verify(vector["url"], form, {name: vector["signature"]}, body)
            is vector["sdk_accepts"]
        )


def test_signalwire_refuses_the_twilio_auth_token(app):
    signalwire = build(
        {**app.config, "IVR_PLATFORM": "signalwire", "IVR_PLATFORM_SIGNING_KEY": SIGNING_KEY}
    )
    url, form = TWILIO_URLS[0], TWILIO_FORMS[0]
    signed = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    assert not signalwire.verify(url, form, {"X-SignalWire-Signature": signed})
    signed = RequestValidator(SIGNING_KEY).compute_signature(url, form)
    assert signalwire.verify(url, form, {"X-SignalWire-Signature": signed})


TELNYX_CASES = ["valid", "tampered", "other_key", "stale", "future", "missing_timestamp", "garbled"]


@pytest.mark.parametrize("case", TELNYX_CASES)
def test_telnyx_ours_and_the_sdk_agree(app, case):
    from telnyx.lib.webhook_verification import WebhookVerificationError, verify_webhook_signature

    telnyx = build(
        {**app.config, "IVR_PLATFORM": "telnyx", "IVR_PLATFORM_PUBLIC_KEY": TELNYX_PUBLIC}
    )
    phone = unsent(app, "telnyx", new_keypair()[0] if case == "other_key" else TELNYX_PRIVATE)
    offset = {"stale": -320, "future": 320}.get(case, 0)
    phone.clock = shifted(app, offset)
    url, form, headers = phone.signed("/voice/access", {"Digits": "4827"})
    body = encoded(form)
    if case == "tampered":
        body = body.replace(b"4827", b"1111")
    elif case == "missing_timestamp":
        headers.pop("telnyx-timestamp")
    elif case == "garbled":
        headers["telnyx-signature-ed25519"] = headers["telnyx-signature-ed25519"][::-1]
    try:
        verify_webhook_signature(body, headers, TELNYX_PUBLIC)
        sdk_accepts = True
    except WebhookVerificationError:
        sdk_accepts = False
    assert telnyx.verify(url, form, headers, body) is sdk_accepts is (case == "valid")


def test_verify_needs_no_flask_request(app):
    """The WSGI-level path: a plain dict of headers, lower-case names, the adapter passed in."""
    twilio = build(app.config)
    url, form = TWILIO_URLS[2], TWILIO_FORMS[0]
    signed = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    assert verify(url, form, {"x-twilio-signature": signed}, platform=twilio)
    assert not verify(url, form, {"x-twilio-signature": signed[:-2] + "=="}, platform=twilio)


@pytest.mark.parametrize("platform_name", ["signalwire", "telnyx"])
def test_signature_behind_trusted_proxies(settings, platform_name):
    from ivr import create_app
    from store.lines import add_line

    app = create_app({**settings, "IVR_TRUSTED_PROXIES": 1})
    with app.extensions["ivr.sessions"]() as session:
        add_line(session, HOME, region="FR", language="en")
        session.commit()
    phone = unsent(app, platform_name)
    phone.transport.base_url = "https://voicemail.example.net/"
    url, form, headers = phone.signed("/voice/access", {})
    assert url == "https://voicemail.example.net/voice/access"
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "voicemail.example.net",
        "X-Forwarded-For": "203.0.113.9",
    }
    answer = post(
        app.test_client(), "http://localhost/voice/access", form, {**headers, **forwarded}
    )
    assert answer.status_code == 200
    app.extensions["ivr.engine"].dispose()


@pytest.mark.parametrize("platform_name", ["telnyx"])
def test_the_console_phone_signs_as_the_platform_named(runner, make_line, platform_name):
    make_line()
    refused = runner.invoke(args=["ivr", "call", "--from", HOME, "--keys", "-"])
    assert refused.exit_code != 0
    assert "private key the app never holds" in refused.output
    answered = runner.invoke(
        args=[
            "ivr",
            "call",
            "--platform",
            "telnyx",
            "--from",
            HOME,
            "--secret",
            TELNYX_PRIVATE,
            "--keys",
            "2",
        ]
    )
    assert answered.exit_code == 0, answered.output
    assert sentence("en", "customise_menu") in answered.output
    wrong = runner.invoke(
        args=[
            "ivr",
            "call",
            "--platform",
            "signalwire",
            "--from",
            HOME,
            "--secret",
            SIGNING_KEY,
            "--keys",
            "2",
        ]
    )
    assert wrong.exit_code != 0
    assert "HTTP 403" in wrong.output
