"""The load generator: complete calls driven like the platform would, timed per step.

Each simulated caller is a thread running ivr/phone.py's PhoneCall (signed
webhooks, following the TwiML) over HTTP, call after call, for a fixed time.
Callers are spread over a few processes so the generator's own Python does
not serialise on one GIL. Every request's latency is kept with the kind of
step it was; anything but a 200 TwiML answer counts as a failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from ivr.phone import CallFailed, HttpTransport, PhoneCall
from menus.catalogue import sentence
from store.lines import national_digits

TOKEN = "bench-auth-token-0123456789abcdef"
MOBILE = "+33612345678"
MENU_KEYS = 50  # menu steps per home call: 2 (customise), * (back), ...


@dataclass
class Tally:
    """What one phase measured: latencies by step kind, and failures by reason."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    calls: int = 0

    def add(self, other: Tally) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        for reason, count in other.failures.items():
            self.failures[reason] = self.failures.get(reason, 0) + count
        self.calls += other.calls

    def fail(self, reason: str) -> None:
        self.failures[reason] = self.failures.get(reason, 0) + 1


class TimedTransport(HttpTransport):
    """HTTP to the server, timing each request under the current step kind."""

    def __init__(
        self, base_url: str, tally: Tally, lock: threading.Lock, think: float, until: float
    ) -> None:
        super().__init__(base_url)
        self.tally, self.lock, self.kind, self.think = tally, lock, "entry", think
        self.until = until

    def post(
        self, url: str, form: Mapping[str, str], headers: Mapping[str, str]
    ) -> tuple[int, str]:
        if self.think:  # the caller listens and thinks before each key (not timed)
            time.sleep(self.think)
        if time.monotonic() > self.until:
            raise PhaseOver
        started = time.perf_counter()
        status, body = super().post(url, form, headers)
        elapsed = time.perf_counter() - started
        with self.lock:
            self.tally.latencies.setdefault(self.kind, []).append(elapsed)
            if status >= 500:
                self.tally.fail("5xx")
        return status, body


Scenario = Callable[[TimedTransport, str], None]


def home_menus(transport: TimedTransport, number: str) -> None:
    """A subscriber at home walks the menus: MENU_KEYS menu steps, then hangs up."""
    call = PhoneCall(transport, TOKEN, caller=number, called="access")
    call.dial("/voice/access")
    transport.kind = "menu"
    for index in range(MENU_KEYS):
        call.press("2" if index % 2 == 0 else "*")
    expect(call, "main_menu" if MENU_KEYS % 2 == 0 else "customise_menu")
    transport.kind = "status"
    call.hang_up()


def remote_login(transport: TimedTransport, number: str) -> None:
    """A subscriber away from home: line number, the right code (one bcrypt), hang up."""
    call = PhoneCall(transport, TOKEN, caller=MOBILE, called="access")
    call.dial("/voice/access")
    transport.kind = "line"
    call.press(national_digits(number) + "#")
    transport.kind = "code"
    call.press("2580#")
    expect(call, "main_menu")
    transport.kind = "status"
    call.hang_up()


def floor(transport: TimedTransport, _number: str) -> None:
    """The same number of steps against the bare endpoint."""
    call = PhoneCall(transport, TOKEN, caller=MOBILE, called="access")
    transport.kind = "floor"
    call.dial("/voice/access")
    for _ in range(MENU_KEYS):
        call.press("2")


SCENARIOS: dict[str, Scenario] = {"menu": home_menus, "code": remote_login, "floor": floor}


class PhaseOver(Exception):
    """The phase's time is up: the call is left where it is, neither done nor failed."""


class Unexpected(RuntimeError):
    """The call heard something else than the scenario expects."""


def expect(call: PhoneCall, key: str) -> None:
    if call.last_said != sentence("en", key):
        raise Unexpected(f"expected {key!r}, heard {call.last_said!r}")


def _caller(
    base: str,
    scenario: Scenario,
    numbers: list[str],
    until: float,
    tally: Tally,
    lock: threading.Lock,
    think: float,
) -> None:
    index = 0
    while time.monotonic() < until:
        transport = TimedTransport(base, tally, lock, think, until)
        try:
            scenario(transport, numbers[index % len(numbers)])
        except PhaseOver:
            break
        except CallFailed as error:
            with lock:
                tally.fail("non-TwiML or HTTP error: " + str(error).split(":")[0])
        except Unexpected:
            with lock:
                tally.fail("unexpected prompt")
        except OSError:
            with lock:
                tally.fail("connection error")
        else:
            with lock:
                tally.calls += 1
        index += 1


def _process(job: tuple[str, str, list[list[str]], float, float]) -> Tally:
    base, name, numbers_per_thread, seconds, think = job
    tally, lock = Tally(), threading.Lock()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_caller, args=(base, SCENARIOS[name], numbers, until, tally, lock, think)
        )
        for numbers in numbers_per_thread
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def run(
    base: str,
    name: str,
    numbers: list[str],
    concurrency: int,
    seconds: float,
    think: float = 0.0,
    processes: int = 4,
) -> Tally:
    """Drive `concurrency` callers of scenario `name` for `seconds`; caller i owns numbers[i].

    With `think` 0 every caller presses its next key as soon as it is answered
    (throughput); otherwise it waits `think` seconds first, like a person.
    """
    own = [[numbers[i % len(numbers)]] for i in range(concurrency)]
    processes = max(1, min(processes, concurrency))
    jobs = [(base, name, own[p::processes], seconds, think) for p in range(processes)]
    total = Tally()
    with ProcessPoolExecutor(max_workers=processes) as pool:
        for tally in pool.map(_process, jobs):
            total.add(tally)
    return total
