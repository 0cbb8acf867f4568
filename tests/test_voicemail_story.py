"""The issue's "done" story, end to end: CLI deposit, remote listening, lock, reset, new code."""

from __future__ import annotations

from menus.catalogue import sentence
from tests.helpers import HOME, MOBILE, code_matches, give_code


def said(result) -> list[str]:
    return [line.strip() for line in result.output.splitlines()]


def test_deposit_listen_lock_reset_and_a_new_code(app, session, make_line, phone, runner):
    make_line()
    give_code(app, session)
    # A caller leaves a message with the console phone.
    left = runner.invoke(
        args=["ivr", "call", "--from", "+33611223344", "--to", "deposit", "--mailbox", "0142685300"]
    )
    assert left.exit_code == 0, left.output
    assert sentence("en", "message_recorded") in said(left)
    # The subscriber hears it remotely after the line number and the code.
    heard = runner.invoke(args=["ivr", "call", "--from", MOBILE, "--keys", "0142685300# 4827# 1 2"])
    lines = said(heard)
    assert "You have 1 new message and 0 saved messages." in lines
    envelope = next(line for line in lines if line.startswith("Message received on"))
    assert envelope.endswith("from 0, 6, 1, 1, 2, 2, 3, 3, 4, 4.")
    assert any(line.startswith("[recording https://") for line in lines)
    assert sentence("en", "no_more_messages") in lines
    # Two wrong codes in one call and one in the next lock the line.
    first = phone(MOBILE).press("0142685300#").press("1111#").press("2222#")
    assert first.said[-2:] == [sentence("en", "wrong_code"), sentence("en", "enter_code")]
    first.hang_up()
    second = phone("+33655443322").press("0142685300#").press("3333#")
    assert second.last_said == sentence("en", "locked")
    assert second.ended
    # The right code is then refused.
    refused = phone(MOBILE).press("0142685300#")
    assert refused.last_said == sentence("en", "locked")
    assert refused.ended
    assert phone(HOME).said == [sentence("en", "locked")]
    # After the reset, the subscriber creates a new code from the fixed line.
    reset = runner.invoke(
        args=["ivr", "reset-mailbox", HOME, "--reason", "locked out", "--override"]
    )
    assert reset.exit_code == 0, reset.output
    new = phone(HOME).press("2").press("2").press("1").press("5190#").press("1")
    assert new.said[-2] == sentence("en", "saved")
    assert code_matches(app, session, "5190")
    back = phone(MOBILE).press("0142685300#").press("5190#").press("1")
    assert back.said[-5] == "You have 0 new messages and 1 saved message."
