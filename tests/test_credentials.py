"""Code strength rules and peppered hashing (SPEC §4.2)."""

from __future__ import annotations

import os
import threading
import time

import bcrypt
import pytest

from store import credentials
from store.credentials import COMMON_PINS, Hasher, is_ascii_digits, weakness


@pytest.mark.parametrize("code", sorted(COMMON_PINS))
def test_the_twenty_common_pins_are_weak(code):
    assert weakness(code, "+33142685300")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("0000", "repeated"),
        ("9999", "repeated"),
        ("1234", "sequence"),
        ("6789", "sequence"),
        ("0123", "sequence"),
        ("4321", "sequence"),
        ("3210", "sequence"),
        ("9876", "sequence"),
        ("5300", "line_number"),
    ],
)
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


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("4827", True),
        ("", False),
        ("٤٨٢٧", False),
        ("４８２７", False),
        ("48 7", False),
        ("²", False),
    ],
)
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


def test_verifiers_check_on_low_priority_threads_in_arrival_order(monkeypatch):
    hasher = Hasher(b"pepper", 4, verifiers=1)
    stored = hasher.hash("mailbox-code", "+33142685300", "4827")
    pool = credentials.verifier_pool(1)
    seen: list[tuple[str, int, bytes]] = []
    real, entered, gate = bcrypt.checkpw, threading.Event(), threading.Event()

    def checkpw(password: bytes, hashed: bytes) -> bool:
        entered.set()
        gate.wait(5)  # hold the one verifier until every check is queued
        seen.append(
            (
                threading.current_thread().name,
                os.getpriority(os.PRIO_PROCESS, threading.get_native_id()),
                password,
            )
        )
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", checkpw)
    codes = ["4827", "1111", "4827", "9051"]
    results: list[bool | None] = [None] * len(codes)

    def check(index: int) -> None:
        results[index] = hasher.verify("mailbox-code", "+33142685300", codes[index], stored)

    callers = [threading.Thread(target=check, args=(i,)) for i in range(len(codes))]
    for index, caller in enumerate(callers):
        caller.start()
        if index == 0:
            assert entered.wait(5)
        while pool._work_queue.qsize() < index:  # the next arrives after this one queued
            time.sleep(0.001)
    gate.set()
    for caller in callers:
        caller.join(10)
    assert results == [True, False, True, False]
    assert all(name.startswith("verifier") for name, _, _ in seen)
    assert {nice for _, nice, _ in seen} == {credentials.VERIFIER_NICENESS}
    arrived = [hasher._peppered("mailbox-code", "+33142685300", code) for code in codes]
    assert [password for _, _, password in seen] == arrived
