"""`flask ivr set-service-pin`, `issue-temporary-pin`, `clear-pin-lock` and
`call --to support` (in-process)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from menus.catalogue import sentence
from store import pins
from store.models import AuditEntry, Line, utcnow
from tests.helpers import HOME, MOBILE

DESK = "sip:desk@pbx.example.net"


@pytest.fixture
def settings(settings):
    settings["IVR_SUPPORT_DIAL"] = DESK
    return settings


def lines_of(result) -> list[str]:
    return [line.strip() for line in result.output.splitlines()]


def test_set_service_pin_then_call_from_the_line(runner, session, make_line):
    make_line(customer_number="100200300")
    result = runner.invoke(args=["ivr", "set-service-pin", "01 42 68 53 00", "48271"])
    assert result.exit_code == 0, result.output
    assert "48271" not in result.output
    call = runner.invoke(
        args=["ivr", "call", "--from", HOME, "--to", "support", "--keys", "48271#"]
    )
    assert call.exit_code == 0, call.output
    out = lines_of(call)
    assert out[:2] == [
        f"(calling from {HOME}, a provisioned line)",
        sentence("en", "enter_service_pin"),
    ]
    assert sentence("en", "identity_confirmed") in out
    assert f"(call put through to {DESK})" in out


def test_set_service_pin_refuses_weak_pins_and_unknown_lines(runner, session, make_line):
    make_line()
    weak = runner.invoke(args=["ivr", "set-service-pin", HOME, "123456"])
    assert weak.exit_code != 0
    assert "ascending or descending" in weak.output
    unknown = runner.invoke(args=["ivr", "set-service-pin", "+33142685399", "48271"])
    assert unknown.exit_code != 0
    assert "no line" in unknown.output
    invalid = runner.invoke(args=["ivr", "set-service-pin", "12", "48271"])
    assert invalid.exit_code != 0
    assert "phone number" in invalid.output
    line = session.scalars(select(Line)).one()
    assert not pins.pin_state(line, utcnow()).permanent_active


def test_set_service_pin_asks_when_the_pin_is_not_on_the_command_line(runner, session, make_line):
    make_line()
    result = runner.invoke(args=["ivr", "set-service-pin", HOME], input="48271\n48271\n")
    assert result.exit_code == 0, result.output
    assert "48271" not in result.output
    assert pins.pin_state(session.scalars(select(Line)).one(), utcnow()).permanent_active


def test_temporary_pin_from_the_cli_verifies_a_mobile_caller(runner, session, make_line):
    make_line(customer_number="100200300")
    runner.invoke(args=["ivr", "set-service-pin", HOME, "48271"])
    issued = runner.invoke(args=["ivr", "issue-temporary-pin", HOME])
    assert issued.exit_code == 0, issued.output
    pin = re.search(r": (\d{6}) \(valid until ", issued.output)
    assert pin is not None
    refused = runner.invoke(
        args=["ivr", "call", "--from", MOBILE, "--to", "support", "--keys", "100200300# 48271#"]
    )
    assert sentence("en", "pin_not_valid") in lines_of(refused)
    call = runner.invoke(
        args=[
            "ivr",
            "call",
            "--from",
            MOBILE,
            "--to",
            "support",
            "--keys",
            f"100200300# {pin.group(1)}#",
        ]
    )
    out = lines_of(call)
    assert out[:4] == [
        f"(calling from {MOBILE}, not a provisioned line: the app answers a stranger)",
        sentence("en", "enter_customer_number"),
        "> 100200300#",
        sentence("en", "enter_service_pin"),
    ]
    assert sentence("en", "identity_confirmed") in out
    audit = session.scalars(select(AuditEntry.action)).all()
    assert "service_pin.temporary_issued" in audit
    assert pin.group(1) not in str(session.scalars(select(AuditEntry.details)).all())


def test_three_wrong_pins_then_an_operator_clears_the_lock(runner, session, make_line):
    make_line()
    runner.invoke(args=["ivr", "set-service-pin", HOME, "48271"])
    call = runner.invoke(
        args=["ivr", "call", "--from", HOME, "--to", "support", "--keys", "11223# 99887# 55661#"]
    )
    out = lines_of(call)
    assert sentence("en", "identity_not_confirmed") in out
    assert f"(call put through to {DESK})" in out
    locked = runner.invoke(
        args=["ivr", "call", "--from", HOME, "--to", "support", "--keys", "48271#"]
    )
    assert sentence("en", "identity_not_confirmed") in lines_of(locked)
    cleared = runner.invoke(args=["ivr", "clear-pin-lock", HOME])
    assert cleared.exit_code == 0, cleared.output
    again = runner.invoke(
        args=["ivr", "call", "--from", HOME, "--to", "support", "--keys", "48271#"]
    )
    assert sentence("en", "identity_confirmed") in lines_of(again)


def test_keys_left_when_the_call_is_put_through_are_named(runner, session, make_line):
    make_line()
    runner.invoke(args=["ivr", "set-service-pin", HOME, "48271"])
    call = runner.invoke(
        args=[
            "ivr",
            "call",
            "--to",
            "support",
            "--from",
            HOME,
            "--keys",
            "11223# 99887# 55661# 4 5",
        ]
    )
    assert call.exit_code == 0, call.output
    assert lines_of(call)[-2:] == [
        "(the call ended before these keys: 4 5)",
        f"(call put through to {DESK})",
    ]
