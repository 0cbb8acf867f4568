"""The fixed-line secret-code flow (SPEC §3.1, §4.1, §4.2), call by call."""

from __future__ import annotations

import pytest

from menus.catalogue import sentence
from store.lines import LANGUAGES
from store.models import Call
from tests.helpers import HOME, MOBILE, code_matches, give_code, mailbox_of

EN = {
    key: sentence("en", key)
    for key in (
        "main_menu",
        "customise_menu",
        "no_code_yet",
        "create_code",
        "choose_code",
        "saved",
        "code_weak",
        "code_length",
        "fixed_line_only",
        "enter_code",
        "wrong_code",
        "locked",
        "code_active",
        "ask_is_on",
        "ask_is_off",
        "not_understood",
        "goodbye",
    )
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_create_a_code_from_the_fixed_line(app, session, make_line, phone, language):
    make_line(language=language)
    call = phone(HOME)
    say = lambda key, **v: sentence(language, key, v)  # noqa: E731
    assert call.said == [say("main_menu")]
    call.press("2")
    assert call.said[-1] == say("customise_menu")
    call.press("2")
    assert call.said[-2:] == [say("no_code_yet"), say("create_code")]
    call.press("1")
    assert call.last_said == say("choose_code")
    call.press("4827#")
    assert call.last_said == say("code_readback", pending_code="4827")
    assert "4, 8, 2, 7" in call.last_said
    call.press("1")
    assert call.said[-2:] == [say("saved"), say("customise_menu")]
    assert code_matches(app, session, "4827")
    voice = call.documents[-1].find("Gather/Say")
    assert voice is not None
    assert voice.get("language", "").startswith(language)


def test_reference_sentences_in_english(make_line, phone):
    make_line()
    call = phone(HOME).press("2").press("2").press("1").press("4827#")
    assert call.last_said == (
        "You dialled 4, 8, 2, 7. If this code suits you, press 1. To dial another code, press 2."
    )
    call.press("1")
    assert call.said[-2] == "Your request has been taken into account."


def test_dial_another_code_before_confirming(app, session, make_line, phone):
    make_line()
    call = phone(HOME).press("2").press("2").press("1").press("4827#").press("2")
    assert call.last_said == EN["choose_code"]
    call.press("5190#").press("1")
    assert code_matches(app, session, "5190")
    assert not code_matches(app, session, "4827")


@pytest.mark.parametrize(
    "weak",
    [
        "0000",
        "7777",
        "1234",
        "6789",
        "4321",
        "3210",
        "0123",
        "1212",
        "6969",
        "2001",
        "1004",
        "5300",
    ],
)
def test_weak_codes_are_refused_before_the_read_back(session, make_line, phone, weak):
    make_line()  # the line ends in 5300
    call = phone(HOME).press("2").press("2").press("1").press(f"{weak}#")
    assert call.said[-2:] == [EN["code_weak"], EN["choose_code"]]
    assert not any("You dialled" in text for text in call.said)
    assert mailbox_of(session).code_hash is None


@pytest.mark.parametrize("entry", ["482#", "48271#", "1#"])
def test_wrong_length_is_refused_and_entry_starts_again(session, make_line, phone, entry):
    make_line()
    call = phone(HOME).press("2").press("2").press("1").press(entry)
    assert call.said[-2:] == [EN["code_length"], EN["choose_code"]]
    assert mailbox_of(session).code_hash is None


def test_remote_caller_cannot_reach_code_creation(session, make_line, phone, app):
    make_line()
    give_code(app, session)
    call = phone(MOBILE).press("0142685300#").press("4827#")
    assert call.last_said == EN["main_menu"]
    call.press("2").press("2")
    assert call.said[-2:] == [EN["fixed_line_only"], EN["customise_menu"]]


def test_home_line_with_code_is_asked_for_it(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    call = phone(HOME)
    assert call.said == [EN["enter_code"]]
    call.press("4827#")
    assert call.last_said == EN["main_menu"]


def test_change_after_login_needs_nothing_more(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    call = phone(HOME).press("4827#").press("2").press("2")
    assert call.said[-2:] == [EN["code_active"], EN["ask_is_on"]]
    call.press("1")
    assert call.last_said == EN["choose_code"]
    call.press("4827#")  # the current code is no new code
    assert call.said[-2:] == [EN["code_weak"], EN["choose_code"]]
    call.press("9051#").press("1")
    assert code_matches(app, session, "9051")


def test_change_without_login_asks_for_the_current_code(app, session, make_line, phone):
    make_line()
    give_code(app, session, ask=False)
    call = phone(HOME)
    assert call.said == [EN["main_menu"]]
    call.press("2").press("2")
    assert call.said[-2:] == [EN["code_active"], EN["ask_is_off"]]
    call.press("1")
    assert call.last_said == EN["enter_code"]
    call.press("1111#")
    assert call.said[-2:] == [EN["wrong_code"], EN["enter_code"]]
    assert mailbox_of(session).strikes == 1
    call.press("4827#")
    assert call.last_said == EN["choose_code"]
    assert mailbox_of(session).strikes == 0
    call.press("9051#").press("1")
    assert code_matches(app, session, "9051")


def test_third_wrong_current_code_locks_and_ends_the_call(app, session, make_line, phone):
    make_line()
    give_code(app, session, ask=False)
    call = phone(HOME).press("2").press("2").press("1")
    call.press("1111#").press("2222#")
    assert not call.ended
    call.press("3333#")
    assert call.last_said == EN["locked"]
    assert call.ended
    box = mailbox_of(session)
    assert box.strikes == 3
    assert box.locked_at is not None
    # Next call on the same line: the code menu says to contact customer service.
    again = phone(HOME).press("2").press("2")
    assert again.said[-2:] == [EN["locked"], EN["customise_menu"]]
    assert code_matches(app, session, "4827")


def test_locked_line_that_asks_for_the_code_ends_at_once(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    box = mailbox_of(session)
    box.strikes, box.locked_at = 3, app.config["IVR_CLOCK"]()
    session.commit()
    call = phone(HOME)
    assert call.said == [EN["locked"]]
    assert call.ended


def test_turn_asking_on_the_fixed_line_off_and_on(app, session, make_line, phone):
    make_line()
    give_code(app, session)
    call = phone(HOME).press("4827#").press("2").press("2").press("2")
    assert call.said[-3:] == [EN["saved"], EN["code_active"], EN["ask_is_off"]]
    assert mailbox_of(session).ask_code_on_fixed_line is False
    assert phone(HOME).said == [EN["main_menu"]]
    call.press("2")
    assert mailbox_of(session).ask_code_on_fixed_line is True
    assert phone(HOME).said == [EN["enter_code"]]


def test_star_goes_back_and_silence_repeats_then_goodbye(make_line, phone):
    make_line()
    call = phone(HOME).press("2").press("2")
    call.press("*")
    assert call.last_said == EN["customise_menu"]
    call.press("*")
    assert call.last_said == EN["main_menu"]
    for _ in range(3):
        call.silence()
        assert call.last_said == EN["main_menu"]
        assert not call.ended
    call.silence()
    assert call.last_said == EN["goodbye"]
    assert call.ended


def test_wrong_key_says_so_and_repeats(make_line, phone):
    make_line()
    call = phone(HOME).press("9")
    assert call.said[-2:] == [EN["not_understood"], EN["main_menu"]]


def test_pending_digits_are_forgotten_when_the_call_ends(session, make_line, phone):
    make_line()
    call = phone(HOME).press("2").press("2").press("1").press("4827#")
    stored = session.get(Call, call.sid)
    assert stored.context.get("pending_code") == "4827"
    call.hang_up()
    session.expire_all()
    stored = session.get(Call, call.sid)
    assert stored.ended_at is not None
    assert stored.context == {}
    assert stored.last_response is None


def test_attested_trust_needs_stir_shaken_a(app, session, make_line, phone):
    app.config["IVR_TRUST_CALLER_ID"] = "attested"
    make_line()
    assert phone(HOME).said == [sentence("en", "enter_line")]
    assert phone(HOME, StirVerstat="TN-Validation-Passed-B").said == [sentence("en", "enter_line")]
    assert phone(HOME, StirVerstat="TN-Validation-Passed-A").said == [EN["main_menu"]]
