"""Code strength rules and peppered hashing (SPEC §4.2)."""

from __future__ import annotations

import pytest

from store.credentials import COMMON_PINS, Hasher, is_ascii_digits, weakness


@pytest.mark.parametrize("code", sorted(COMMON_PINS))
def test_the_twenty_common_pins_are_weak(code):
    assert weakness(code, "+33142685300")


@pytest.mark.parametrize("code,reason", [
    ("0000", "repeated"), ("9999", "repeated"), ("1234", "sequence"), ("6789", "sequence"),
    ("0123", "sequence"), ("4321", "sequence"), ("3210", "sequence"), ("9876", "sequence"),
    ("5300", "line_number"),
])
def test_weak_codes_and_why(code, reason):
    assert weakness(code, "+33142685300") == reason


@pytest.mark.parametrize("code", ["4827", "9051", "1357", "8901", "2468", "0918"])
def test_ordinary_codes_are_accepted(code):
    assert weakness(code, "+33142685300") is None


def test_longer_pins_follow_the_same_rules():
    assert weakness("123456", "+33142685300") == "sequence"
    assert weakness("77777777", "+33142685300") == "repeated"
    assert weakness("685300", "+33142685300") == "line_number"
    assert weakness("482705", "+33142685300") is None


@pytest.mark.parametrize("text,ok", [("4827", True), ("", False), ("٤٨٢٧", False),
                                     ("４８２７", False), ("48 7", False), ("²", False)])
def test_only_ascii_digits_count(text, ok):
    assert is_ascii_digits(text) is ok


def test_hashes_are_bound_to_line_purpose_and_pepper():
    hasher = Hasher(b"pepper", 4)
    stored = hasher.hash("mailbox-code", "+33142685300", "4827")
    assert "4827" not in stored
    assert hasher.verify("mailbox-code", "+33142685300", "4827", stored)
    assert not hasher.verify("mailbox-code", "+33142685301", "4827", stored)
    assert not hasher.verify("service-pin", "+33142685300", "4827", stored)
    assert not Hasher(b"other pepper", 4).verify("mailbox-code", "+33142685300", "4827", stored)
    assert not hasher.verify("mailbox-code", "+33142685300", "4827", None)
    assert stored.startswith("$2b$04$")
