"""The support line (SPEC §4.4), call by call: service PINs, then an adviser."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from menus.catalogue import sentence
from store import pins
from store.models import AuditEntry, Call, Line, ServicePin, SupportCall
from tests import twiml
from tests.helpers import (
    CUSTOMER,
    DESK,
    HOME,
    MOBILE,
    PERMANENT_PIN,
    TEMPORARY_PIN_SECONDS,
    line_of,
    set_pin,
    support,
    support_settings,
)

EN = {
    key: sentence("en", key)
    for key in (
        "enter_service_pin",
        "enter_customer_number",
        "identity_confirmed",
        "pin_not_valid",
        "identity_not_confirmed",
        "connect_adviser",
        "support_unavailable",
        "not_understood",
    )
}
VERIFIED = [EN["identity_confirmed"], EN["connect_adviser"]]
UNVERIFIED = [EN["identity_not_confirmed"], EN["connect_adviser"]]


@pytest.fixture
def settings(settings, clock):
    return support_settings(settings, clock)


@pytest.fixture
def line(make_line) -> Line:
    return make_line(customer_number=CUSTOMER)


def temporary_pin(app, session, number=HOME) -> str:
    issued = pins.issue_temporary_pin(
        session,
        app.extensions["ivr.hasher"],
        line_of(session, number),
        actor="test",
        now=app.config["IVR_CLOCK"](),
        ttl_seconds=TEMPORARY_PIN_SECONDS,
    )
    session.commit()
    return issued.pin


def outcome(session, call) -> SupportCall:
    session.expire_all()
    return session.get(SupportCall, call.sid)


def pin_row(session, number=HOME) -> ServicePin:
    row = line_of(session, number).service_pin
    assert row is not None
    return row


def test_own_line_permanent_pin_is_confirmed_and_put_through(app, session, line, phone, clock):
    set_pin(app, session)
    call = support(phone)
    assert call.said == [EN["enter_service_pin"]]
    call.press(PERMANENT_PIN + "#")
    assert call.said[1:] == VERIFIED
    assert call.dialled == [DESK]
    assert call.ended
    dial = call.documents[-1].find("Dial")
    assert dial is not None
    assert dial.get("action") == "/support/after-dial"
    number = dial.find("Number")
    assert number is not None
    assert number.get("url") == f"/support/whisper/{call.sid}"
    record = outcome(session, call)
    assert (record.verified_by, record.line_id, record.caller) == ("permanent", line.id, HOME)
    assert record.verified_at == clock.now
    assert session.get(Call, call.sid).ended_at is not None
    assert PERMANENT_PIN not in str(session.get(Call, call.sid).context)


def test_own_line_temporary_pin_is_confirmed(app, session, line, phone):
    pin = temporary_pin(app, session)
    call = support(phone).press(pin + "#")
    assert call.said[1:] == VERIFIED
    assert call.dialled == [DESK]
    assert outcome(session, call).verified_by == "temporary"


def test_mobile_gives_customer_number_then_temporary_pin(app, session, line, phone):
    set_pin(app, session)
    pin = temporary_pin(app, session)
    call = support(phone, MOBILE)
    assert call.said == [EN["enter_customer_number"]]
    call.press(CUSTOMER + "#")
    assert call.last_said == EN["enter_service_pin"]
    call.press(pin + "#")
    assert call.said[2:] == VERIFIED
    assert call.dialled == [DESK]
    record = outcome(session, call)
    assert (record.verified_by, record.line_id, record.caller) == ("temporary", line.id, MOBILE)


def test_permanent_pin_is_refused_from_another_number(app, session, line, phone):
    set_pin(app, session)
    call = support(phone, MOBILE).press(CUSTOMER + "#").press(PERMANENT_PIN + "#")
    assert call.said[-2:] == [EN["pin_not_valid"], EN["enter_service_pin"]]
    assert call.dialled == []
    assert outcome(session, call).verified_by is None
    assert pin_row(session).failures == 1


@pytest.mark.parametrize("withheld", ["anonymous", "+266696687", ""])
def test_withheld_number_is_asked_for_the_customer_number(app, session, line, phone, withheld):
    pin = temporary_pin(app, session)
    call = support(phone, withheld)
    assert call.said == [EN["enter_customer_number"]]
    call.press(CUSTOMER + "#").press(pin + "#")
    assert call.said[2:] == VERIFIED


def test_three_wrong_pins_route_the_call_unverified_and_lock(app, session, line, phone):
    set_pin(app, session)
    call = support(phone).press("11223#").press("99887#")
    assert call.said[1:] == [EN["pin_not_valid"], EN["enter_service_pin"]] * 2
    call.press("55661#")
    assert call.said[5:] == UNVERIFIED
    assert call.dialled == [DESK]
    assert outcome(session, call).verified_by is None
    row = pin_row(session)
    assert row.failures == 3
    assert row.locked_at is not None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "service_pin.locked"))
    assert [e.line_number for e in entry] == [HOME]


def test_lock_holds_until_an_adviser_clears_it_even_after_a_new_temporary_pin(
    app, session, line, phone, clock
):
    set_pin(app, session)
    support(phone).press("11223#").press("99887#").press("55661#")
    clock.advance(86400)
    call = support(phone).press(PERMANENT_PIN + "#")
    assert call.said[1:] == UNVERIFIED
    assert outcome(session, call).verified_by is None
    pin = temporary_pin(app, session)
    assert pin_row(session).failures == 3
    call = support(phone, MOBILE).press(CUSTOMER + "#").press(pin + "#")
    assert outcome(session, call).verified_by is None
    pins.clear_pin_lock(session, line_of(session), actor="adviser:ann", now=clock.now)
    session.commit()
    call = support(phone, MOBILE).press(CUSTOMER + "#").press(pin + "#")
    assert call.said[2:] == VERIFIED
    assert pin_row(session).failures == 0


def test_failures_count_per_line_across_calls_and_a_right_pin_resets_them(
    app, session, line, phone
):
    set_pin(app, session)
    support(phone).press("11223#").hang_up()
    support(phone).press("99887#").hang_up()
    assert pin_row(session).failures == 2
    support(phone).press(PERMANENT_PIN + "#")
    assert pin_row(session).failures == 0


def test_temporary_pin_expires(app, session, line, phone, clock):
    pin = temporary_pin(app, session)
    clock.advance(TEMPORARY_PIN_SECONDS - 1)
    assert support(phone).press(pin + "#").said[1:] == VERIFIED
    clock.advance(1)
    call = support(phone).press(pin + "#")
    assert call.said[-2:] == [EN["pin_not_valid"], EN["enter_service_pin"]]


def test_a_new_temporary_pin_replaces_the_old(app, session, line, phone):
    old = new = temporary_pin(app, session)
    while new == old:  # one chance in a million that a new PIN repeats the old one
        new = temporary_pin(app, session)
    call = support(phone).press(old + "#")
    assert call.said[-2:] == [EN["pin_not_valid"], EN["enter_service_pin"]]
    call.press(new + "#")
    assert call.said[-2:] == VERIFIED


def test_credential_reset_disables_the_permanent_pin(app, session, line, phone, clock):
    set_pin(app, session)
    pins.credential_reset(session, line_of(session), actor="api:portal", now=clock.now)
    session.commit()
    call = support(phone).press(PERMANENT_PIN + "#")
    assert call.said[-2:] == [EN["pin_not_valid"], EN["enter_service_pin"]]


def _words_and_hashes(phone, monkeypatch, caller, keys) -> tuple[list[str], int]:
    """What a caller hears, and how many bcrypt checks run, for these keys."""
    import bcrypt

    checks = 0
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        nonlocal checks
        checks += 1
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    call = support(phone, caller)
    for typed in keys:
        call.press(typed)
    monkeypatch.setattr(bcrypt, "checkpw", real)
    return call.said, checks


@pytest.mark.parametrize("state", ["no_pin", "temporary_pin", "locked"])
def test_unknown_customer_number_sounds_and_costs_like_a_wrong_pin(
    app, session, line, phone, monkeypatch, state
):
    set_pin(app, session)
    if state == "temporary_pin":
        temporary_pin(app, session)
    if state == "locked":
        support(phone).press("11223#").press("99887#").press("55661#")
    keys = ["11223#", "99887#", "55661#"]
    known = _words_and_hashes(phone, monkeypatch, MOBILE, [CUSTOMER + "#", *keys])
    unknown = _words_and_hashes(phone, monkeypatch, MOBILE, ["999888777#", *keys])
    assert known == unknown
    assert known[0][-2:] == UNVERIFIED
    assert known[1] == 3


def test_input_that_is_not_a_pin_is_not_a_failure(app, session, line, phone):
    set_pin(app, session)
    call = support(phone).send_digits("48a71")
    assert call.said[-2:] == [EN["not_understood"], EN["enter_service_pin"]]
    call.press("12#")
    assert call.said[-2:] == [EN["pin_not_valid"], EN["enter_service_pin"]]
    call.press("123456789#")
    assert pin_row(session).failures == 0
    call.press(PERMANENT_PIN + "#")
    assert call.said[-2:] == VERIFIED
    # Three such tries in one call end the tries, still without counting on the line.
    call = support(phone).press("1#").press("22#").press("333#")
    assert call.said[-3:] == [EN["pin_not_valid"], *UNVERIFIED]
    assert pin_row(session).failures == 0


def test_star_at_the_pin_goes_back_to_the_customer_number(app, session, line, phone):
    call = support(phone, MOBILE).press("555#").press("*")
    assert call.last_said == EN["enter_customer_number"]
    call = support(phone).press("*")
    assert call.said == [EN["enter_service_pin"]] * 2


def test_silence_puts_the_caller_through_unverified(app, session, line, phone):
    call = support(phone)
    for _ in range(4):
        call.silence()
    assert call.said == [EN["enter_service_pin"]] * 4 + UNVERIFIED
    assert call.dialled == [DESK]


def test_a_retried_pin_step_counts_once(app, session, line, phone):
    set_pin(app, session)
    call = support(phone).press("11223#")
    first = call.documents[-1]
    status, body = call.retry()
    assert status == 200
    assert "This PIN is not valid." in body
    assert pin_row(session).failures == 1
    assert first.find("Gather") is not None


def test_status_callback_after_the_transfer(app, session, line, phone):
    set_pin(app, session)
    call = support(phone).press(PERMANENT_PIN + "#")
    call.hang_up()
    session.expire_all()
    stored = session.get(Call, call.sid)
    assert stored.ended_at is not None
    assert stored.context == {}
    assert outcome(session, call).verified_by == "permanent"


def test_french_line_hears_french(app, session, make_line, phone):
    make_line(language="fr", customer_number=CUSTOMER)
    set_pin(app, session)
    call = support(phone).press(PERMANENT_PIN + "#")
    assert call.said == [
        sentence("fr", "enter_service_pin"),
        sentence("fr", "identity_confirmed"),
        sentence("fr", "connect_adviser"),
    ]


@pytest.mark.parametrize(
    ("address", "element"),
    [
        ("client:advisers", "Client"),
        ("sip:desk@pbx.example.net", "Sip"),
        (DESK, "Number"),
    ],
)
def test_support_desk_as_a_number_client_or_sip(
    settings, app, session, line, phone, address, element
):
    app.config["IVR_SUPPORT_DIAL"] = address
    set_pin(app, session)
    call = support(phone).press(PERMANENT_PIN + "#")
    target = call.documents[-1].find(f"Dial/{element}")
    assert target is not None
    assert target.get("url") == f"/support/whisper/{call.sid}"
    if element == "Client":
        assert target.findtext("Identity") == "advisers"
        parameters = {p.get("name"): p.get("value") for p in target.findall("Parameter")}
        assert parameters == {"verification": "verified", "support_call": call.sid}
    else:
        assert (target.text or "").strip() == address


def test_without_a_support_desk_the_caller_is_told_and_the_call_ends(app, session, line, phone):
    app.config["IVR_SUPPORT_DIAL"] = None
    set_pin(app, session)
    call = support(phone).press(PERMANENT_PIN + "#")
    assert call.said[1:] == [*VERIFIED, EN["support_unavailable"]]
    assert call.dialled == []
    assert call.documents[-1].find("Hangup") is not None
    assert outcome(session, call).verified_by == "permanent"


def test_whisper_tells_the_adviser_from_the_stored_outcome(app, session, line, phone):
    set_pin(app, session)
    verified = support(phone).press(PERMANENT_PIN + "#")
    unverified = support(phone, MOBILE).press("1#").press("11223#").press("1#").press("2#")
    assert unverified.said[-2:] == UNVERIFIED

    def whisper(call, sid):
        status, body = call.post(f"/support/whisper/{sid}", {"ParentCallSid": call.sid})
        assert status == 200
        return [say.text for say in twiml.check(body).findall("Say")]

    assert whisper(verified, verified.sid) == [sentence("en", "whisper_verified_permanent")]
    assert whisper(unverified, unverified.sid) == [sentence("en", "whisper_unverified")]
    assert whisper(verified, "CAunknown") == [sentence("en", "whisper_unverified")]


def test_support_webhooks_check_the_signature(client, line):
    for path in ("/support/incoming", "/support/whisper/CA1", "/support/after-dial"):
        answer = client.post(path, data={"CallSid": "CA1", "From": HOME})
        assert answer.status_code == 403, path


@pytest.mark.parametrize(
    ("status", "said"),
    [
        ("completed", []),
        ("no-answer", [EN["support_unavailable"]]),
        ("busy", [EN["support_unavailable"]]),
    ],
)
def test_after_dial(app, session, line, phone, status, said):
    call = support(phone).press("*")
    before = len(call.said)
    code, body = call.post("/support/after-dial", {"DialCallStatus": status})
    assert code == 200
    document = twiml.check(body)
    assert [say.text for say in document.findall("Say")] == said
    assert document.find("Hangup") is not None
    assert len(call.said) == before


@pytest.mark.parametrize(
    ("verstat", "asked"),
    [
        (None, "enter_customer_number"),
        ("TN-Validation-Passed-B", "enter_customer_number"),
        ("TN-Validation-Passed-A", "enter_service_pin"),
    ],
)
def test_attested_caller_id_is_needed_for_the_own_line_path(app, line, phone, verstat, asked):
    app.config["IVR_TRUST_CALLER_ID"] = "attested"
    extra = {"StirVerstat": verstat} if verstat else {}
    assert support(phone, **extra).said == [EN[asked]]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("+33199000000", True),
        ("client:advisers", True),
        ("sip:desk@pbx.example.net", True),
        ("0199000000", False),
        ("client:", False),
        ("tel:+33199000000", False),
        ("+33 1 99", False),
    ],
)
def test_support_dial_setting_is_checked(value, ok):
    from ivr.config import ConfigError, parse_settings

    if ok:
        assert parse_settings({"IVR_SUPPORT_DIAL": value})["IVR_SUPPORT_DIAL"] == value
    else:
        with pytest.raises(ConfigError, match="IVR_SUPPORT_DIAL"):
            parse_settings({"IVR_SUPPORT_DIAL": value})


def test_temporary_pin_lifetime_must_be_positive():
    from ivr.config import ConfigError, parse_settings

    with pytest.raises(ConfigError, match="IVR_TEMP_PIN_SECONDS"):
        parse_settings({"IVR_TEMP_PIN_SECONDS": "0"})
    assert parse_settings({"IVR_TEMP_PIN_SECONDS": "60"})["IVR_TEMP_PIN_SECONDS"] == 60
