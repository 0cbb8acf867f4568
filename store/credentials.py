"""Hashing and strength rules shared by secret codes and service PINs.

A credential is stored as bcrypt over an HMAC-SHA256 keyed by the server's
pepper of (purpose, line, digits): a stolen database alone cannot be searched
without the pepper, and a hash copied to another line or used for another
purpose never matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import bcrypt

T = TypeVar("T")
# Verification threads run at a low scheduling priority (nice 10): a menu
# key, at normal priority, is served as soon as it arrives while bcrypt takes
# what CPU is left. Not the lowest (19): on a shared host, checks would then
# crawl behind every other busy process and run out of the request's time.
VERIFIER_NICENESS = 10
# A check is admitted only if a verifier frees up while this many of its
# recent durations still fit in the request's time (see `Hasher.admitted`).
ADMISSION_MARGIN = 3.0

# The twenty most common four-digit PINs in published studies (SPEC §4.2).
COMMON_PINS = frozenset(
    "1234 1111 0000 1212 7777 1004 2000 4444 2222 6969 "
    "9999 3333 5555 6666 1122 1313 8888 4321 2001 1010".split()
)


def is_ascii_digits(text: str) -> bool:
    """True for a non-empty string made only of the ASCII digits 0-9."""
    return text.isascii() and text.isdigit()


def weakness(digits: str, line_number: str) -> str | None:
    """Why `digits` is too easy to guess for this line, or None.

    Refuses one digit repeated, ascending or descending runs, the common
    PINs (for four digits), and the line number's trailing digits.
    """
    if len(set(digits)) == 1:
        return "repeated"
    steps = {int(b) - int(a) for a, b in zip(digits, digits[1:], strict=False)}
    if steps in ({1}, {-1}):
        return "sequence"
    if len(digits) == 4 and digits in COMMON_PINS:
        return "common"
    if line_number.endswith(digits):
        return "line_number"
    return None


def _lower_priority() -> None:
    """Make the calling thread (a verifier) yield the CPU to every normal thread."""
    if hasattr(os, "setpriority"):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), VERIFIER_NICENESS)


class Busy(RuntimeError):
    """No verifier freed up in time for a check to finish within its request."""


class _Admission:
    """One process's verification slots, as many as its verifiers, handed out in
    arrival order; and how long an admitted check has taken lately."""

    def __init__(self, slots: int, typical: float) -> None:
        self.slots = threading.Semaphore(slots)  # waiters are woken first come, first served
        self.typical = typical
        self.lock = threading.Lock()

    @contextmanager
    def __call__(self, seconds_left: float | None) -> Iterator[None]:
        if seconds_left is None:
            self.slots.acquire()
        elif not self.slots.acquire(
            timeout=max(0.0, seconds_left - ADMISSION_MARGIN * self.typical)
        ):
            raise Busy
        started = time.monotonic()
        try:
            yield
        finally:
            self.slots.release()
            with self.lock:
                self.typical = 0.8 * self.typical + 0.2 * (time.monotonic() - started)


_POOLS: dict[int, ThreadPoolExecutor] = {}
_ADMISSIONS: dict[int, _Admission] = {}
_POOLS_LOCK = threading.Lock()


def _forget_threads() -> None:
    """A forked worker has none of its parent's threads, nor their slots."""
    _POOLS.clear()
    _ADMISSIONS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_threads)


def verifier_pool(threads: int) -> ThreadPoolExecutor:
    """The process's verifiers: `threads` low-priority threads serving bcrypt in arrival order."""
    with _POOLS_LOCK:  # two first checks at once must not start two pools
        if threads not in _POOLS:
            _POOLS[threads] = ThreadPoolExecutor(
                threads, thread_name_prefix="verifier", initializer=_lower_priority
            )
        return _POOLS[threads]


def _admission(slots: int, typical: float) -> _Admission:
    with _POOLS_LOCK:
        if slots not in _ADMISSIONS:
            _ADMISSIONS[slots] = _Admission(slots, typical)
        return _ADMISSIONS[slots]


@dataclass(frozen=True)
class Hasher:
    """Peppered bcrypt for codes and PINs, at a configured cost.

    With `verifiers` (threads per process), bcrypt runs on the process's
    verifier pool at a low priority, so code and PIN checks never hold
    up a menu key; the caller's thread waits for it. With as many verifiers
    as request threads no check queues: all share what CPU the menus leave,
    at equal rates, so checks of one cost finish in the order they arrived
    and none is starved. Fewer verifiers queue the rest in arrival order.
    A check that must not start unless it can finish in time (a code check,
    whose strike is taken first) waits for a verifier in `admitted`.
    """

    pepper: bytes
    rounds: int
    verifiers: int = field(default=0, kw_only=True)
    _dummy: bytes = field(init=False, repr=False, compare=False)
    _seconds: float = field(init=False, repr=False, compare=False)  # one hash, measured once

    def __post_init__(self) -> None:
        started = time.monotonic()
        dummy = bcrypt.hashpw(b"no such line", bcrypt.gensalt(self.rounds))
        object.__setattr__(self, "_seconds", time.monotonic() - started)
        object.__setattr__(self, "_dummy", dummy)

    @contextmanager
    def admitted(self, seconds_left: float | None) -> Iterator[None]:
        """Hold one of the process's verifiers for the checks inside this block.

        Waits, in arrival order, while every verifier is taken; raises `Busy`
        (nothing done yet) if none frees up while `seconds_left` still holds
        ADMISSION_MARGIN times what an admitted check has taken lately. Without
        verifiers, or without a limit (None), it waits as long as needed.
        """
        if not self.verifiers:
            yield
            return
        with _admission(self.verifiers, self._seconds)(seconds_left):
            yield

    def _run(self, work: Callable[..., T], *args: bytes) -> T:
        if not self.verifiers:
            return work(*args)
        return verifier_pool(self.verifiers).submit(work, *args).result()

    def _peppered(self, purpose: str, line_number: str, digits: str) -> bytes:
        message = "\x00".join((purpose, line_number, digits)).encode()
        digest = hmac.new(self.pepper, message, hashlib.sha256).digest()
        return base64.b64encode(digest)

    def hash(self, purpose: str, line_number: str, digits: str) -> str:
        """The stored form of a credential."""
        peppered = self._peppered(purpose, line_number, digits)
        return self._run(bcrypt.hashpw, peppered, bcrypt.gensalt(self.rounds)).decode()

    def verify(self, purpose: str, line_number: str, digits: str, stored: str | None) -> bool:
        """Check digits against a stored hash; with none, spend the same time and fail."""
        peppered = self._peppered(purpose, line_number, digits)
        if stored is None:
            self._run(bcrypt.checkpw, peppered, self._dummy)
            return False
        return self._run(bcrypt.checkpw, peppered, stored.encode())
