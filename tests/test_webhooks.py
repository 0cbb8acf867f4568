"""The telephony contract (SPEC §3, §6): signatures, step URLs, retries, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from ivr.phone import ACCOUNT_SID
from menus.catalogue import sentence
from store.models import Call, Mailbox
from tests import twiml
from tests.helpers import AUTH_TOKEN, HOME, MOBILE, give_code

ENTRY = "http://localhost/voice/access"


def signed_post(client, url, form, token=AUTH_TOKEN, sign_url=None, headers=None):
    signature = RequestValidator(token).compute_signature(sign_url or url, form)
    return client.post(url, data=form, headers={"X-Twilio-Signature": signature, **(headers or {})})


def form(**extra):
    return {
        "CallSid": "CA" + "1" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": HOME,
        "To": "+33900000000",
        **extra,
    }


def calls(session) -> int:
    return session.scalar(select(func.count()).select_from(Call))


@pytest.mark.parametrize("case", ["missing", "wrong_token", "other_url", "tampered"])
def test_bad_signatures_get_403_and_change_nothing(client, session, make_line, case):
    make_line()
    body = form()
    if case == "missing":
        answer = client.post(ENTRY, data=body)
    elif case == "wrong_token":
        answer = signed_post(client, ENTRY, body, token="not-the-token")
    elif case == "other_url":
        answer = signed_post(client, ENTRY, body, sign_url="http://localhost/voice/deposit")
    else:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(ENTRY, body)
        answer = client.post(
            ENTRY, data={**body, "From": MOBILE}, headers={"X-Twilio-Signature": signature}
        )
    assert answer.status_code == 403
    assert calls(session) == 0


def test_every_webhook_checks_the_signature(client):
    for path in ("/voice/access", "/voice/step/1", "/voice/status", "/voice/fallback"):
        assert client.post(path, data=form()).status_code == 403, path


def test_no_auth_token_refuses_to_serve(app, client, session, make_line):
    make_line()
    app.config["TWILIO_AUTH_TOKEN"] = None
    assert signed_post(client, ENTRY, form()).status_code == 403
    assert calls(session) == 0


@pytest.mark.parametrize("proxies", [1, 2])
def test_signature_behind_trusted_proxies(settings, make_line, proxies):
    from ivr import create_app

    settings["IVR_TRUSTED_PROXIES"] = proxies
    app = create_app(settings)
    client = app.test_client()
    public = "https://voicemail.example.net/voice/access"
    hops = ", ".join(["voicemail.example.net"] + ["internal"] * (proxies - 1))
    headers = {
        "X-Forwarded-Proto": ", ".join(["https"] * proxies),
        "X-Forwarded-Host": hops,
        "X-Forwarded-For": ", ".join(["203.0.113.9"] * proxies),
    }
    with app.extensions["ivr.sessions"]() as session:
        from store.lines import add_line

        add_line(session, HOME, region="FR", language="en")
        session.commit()
    answer = signed_post(client, ENTRY, form(), sign_url=public, headers=headers)
    assert answer.status_code == 200
    twiml.check(answer.get_data(as_text=True))
    # Without trusting the proxy, the same request's URL does not match its signature.
    plain = create_app({**settings, "IVR_TRUSTED_PROXIES": 0}).test_client()
    other = form(CallSid="CA" + "2" * 32)
    assert signed_post(plain, ENTRY, other, sign_url=public, headers=headers).status_code == 403


def test_a_step_url_from_another_call_does_nothing(app, session, make_line, phone):
    make_line()
    victim = phone(HOME).press("2").press("2").press("1")
    attacker = phone(MOBILE)  # a remote caller, waiting for a line number
    # The attacker's call posts the victim's next step URL with a code.
    status, body = attacker.post(victim.waiting.action, {"Digits": "4827"})
    assert status == 200
    said = [s.text for s in twiml.check(body).iter("Say")]
    assert said == [sentence("en", "enter_line")]
    assert session.get(Mailbox, 1).code_hash is None
    session.expire_all()
    assert session.get(Call, attacker.sid).node == "remote_line"


def test_steps_out_of_order_do_nothing(session, make_line, phone):
    make_line()
    call = phone(HOME).press("2")
    # Replaying step 1 (the main menu) asking for "customise" again.
    status, body = call.post("/voice/step/1", {"Digits": "2"})
    assert [s.text for s in twiml.check(body).iter("Say")] == [sentence("en", "customise_menu")]
    # A step the call has not reached.
    status, body = call.post("/voice/step/9", {"Digits": "2"})
    assert [s.text for s in twiml.check(body).iter("Say")] == [sentence("en", "customise_menu")]
    session.expire_all()
    stored = session.get(Call, call.sid)
    assert (stored.node, stored.step) == ("customise", 2)


def test_a_retried_step_answers_the_same_and_counts_once(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    call = phone(HOME).press("1111#")
    first = call.documents[-1]
    status, body = call.retry()
    assert status == 200
    assert [s.text for s in twiml.check(body).iter("Say")] == [s.text for s in first.iter("Say")]
    session.expire_all()
    assert session.get(Mailbox, 1).strikes == 1


def test_a_retried_entry_answers_the_same(session, make_line, phone):
    make_line()
    call = phone(HOME)
    status, body = call.retry()
    assert [s.text for s in twiml.check(body).iter("Say")] == [sentence("en", "main_menu")]
    assert calls(session) == 1


GARBAGE = ["abcd", "٤٨٢٧", "４８２７", "4" * 5000, "12*4", "#", "", " ", "4827\n"]


@pytest.mark.parametrize("digits", GARBAGE + [None])
def test_garbage_digits_are_reprompted_never_a_strike(app, session, make_line, phone, digits):
    make_line()
    give_code(app, session)
    call = phone(HOME)
    call.send_digits(digits)
    assert call.last_said == sentence("en", "enter_code")
    assert not call.ended
    session.expire_all()
    assert session.get(Mailbox, 1).strikes == 0


@pytest.mark.parametrize("digits", GARBAGE + [None, "*"])
def test_garbage_in_code_entry(session, make_line, phone, digits):
    make_line()
    call = phone(HOME).press("2").press("2").press("1")
    before = len(call.said)
    call.send_digits(digits)
    if digits == "*":
        expected = ["no_code_yet", "create_code"]
    elif digits == "4" * 5000:
        expected = ["code_length", "choose_code"]
    elif not digits:
        expected = ["choose_code"]
    else:
        expected = ["not_understood", "choose_code"]
    assert call.said[before:] == [sentence("en", key) for key in expected]
    assert not call.ended
    session.expire_all()
    assert session.get(Mailbox, 1).code_hash is None


@pytest.mark.parametrize("digits", GARBAGE + [None, "22", "9"])
def test_garbage_in_a_menu(make_line, phone, digits):
    make_line()
    call = phone(HOME)
    call.send_digits(digits)
    expected = ["main_menu"] if not digits else ["not_understood", "main_menu"]
    assert call.said[1:] == [sentence("en", key) for key in expected]


def test_unknown_and_ended_calls_change_nothing(session, make_line, phone):
    make_line()
    call = phone(HOME).press("2")
    call.hang_up()
    status, body = call.post("/voice/step/2", {"Digits": "2"})
    assert status == 200
    document = twiml.check(body)
    assert document.find("Hangup") is not None
    session.expire_all()
    assert session.get(Call, call.sid).step == 2
    unknown = {"CallSid": "CA" + "f" * 32, "From": HOME, "To": "x", "Digits": "2"}
    status, body = call.post("/voice/step/1", unknown)
    assert twiml.check(body).find("Hangup") is not None
    assert session.get(Call, "CA" + "f" * 32) is None


def test_a_reused_call_sid_does_not_restart_an_ended_call(session, make_line, phone):
    make_line()
    call = phone(HOME)
    call.hang_up()
    status, body = call.post("/voice/access", {})
    assert twiml.check(body).find("Hangup") is not None


def test_missing_call_sid_is_answered(client, make_line):
    make_line()
    body = {"From": HOME, "To": "x"}
    answer = signed_post(client, ENTRY, body)
    assert answer.status_code == 200
    assert twiml.check(answer.get_data(as_text=True)).find("Hangup") is not None


def test_fallback_apologises_and_hangs_up(client):
    answer = signed_post(client, "http://localhost/voice/fallback", form())
    document = twiml.check(answer.get_data(as_text=True))
    assert [s.text for s in document.iter("Say")] == [sentence("en", "apology")]
    assert document.find("Hangup") is not None


def test_an_internal_error_still_answers_twiml(app, session, make_line, phone, monkeypatch):
    make_line()
    import ivr.access_steps

    def broken(*_args):
        raise RuntimeError("database fell over")

    monkeypatch.setitem(ivr.access_steps.OPERATIONS, "code_menu", broken)
    call = phone(HOME).press("2").press("2")
    assert call.last_said == sentence("en", "apology")
    assert call.ended
