"""./dev bench --soak: hundreds of concurrent calls for minutes, a mix of what callers do.

Callers leave messages (the platform's recording callback delivered twice
for one deposit in five, as a retrying platform would), listen to them at
home, log in remotely with a wrong code then the right one, and call
customer service with their PIN, at a human pace. The soak passes when
every answer was TwiML, none was a 5xx, and every recording the platform
delivered is stored exactly once.
"""

from __future__ import annotations

import random
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.load import (
    MOBILE,
    TOKEN,
    PhaseOver,
    Tally,
    TimedTransport,
    Unexpected,
    expect,
)
from benchmarks.provision import CODE, PIN
from ivr.phone import CallFailed, PhoneCall, simulated_recording
from store.db import make_engine
from store.lines import national_digits
from store.models import Job, Message, OutboxMessage

WRONG_CODE = "9637"
RIGHT_CODE = CODE
WRONG_PIN = "480263"


@dataclass
class Lines:
    """Numbers a soak caller may use: its own coded line, and lines to leave messages on."""

    coded: str
    plain: list[str]
    platform: str = ""  # the loopback platform serving recordings (tests/endpoints.py)


@dataclass
class Outcome:
    """What one process's callers did, for the final checks."""

    tally: Tally = field(default_factory=Tally)
    recordings: list[str] = field(default_factory=list)  # delivered and announced as left
    full: int = 0
    by_scenario: dict[str, int] = field(default_factory=dict)


def deposit(transport: TimedTransport, lines: Lines, rng: random.Random, out: Outcome) -> None:
    """Someone calls a line that does not answer and leaves a message."""
    number = rng.choice(lines.plain)
    made = simulated_recording(rng.randint(2, 30))
    sids: list[str] = []

    def speak(call: PhoneCall, verb: ET.Element) -> dict[str, str]:
        form = made(call, verb)
        sids.append(form["RecordingSid"])
        if lines.platform:  # a recording the workers can really fetch
            form["RecordingUrl"] = lines.platform + form["RecordingUrl"].split(".com", 1)[1]
        return form

    call = PhoneCall(
        transport,
        TOKEN,
        caller=MOBILE,
        called=number,
        recording=speak,
        extra={"ForwardedFrom": number},
    )
    transport.kind = "deposit"
    call.dial("/voice/deposit")
    if call.heard(_sentence("mailbox_full")):
        out.full += 1
        return
    call.silence()  # the greeting heard out, the beep, the message, `#`
    call.press("1")  # sent from the review
    expect(call, "goodbye")
    duplicate = list(call.recording_callbacks) if rng.random() < 0.2 else []
    call.hang_up()
    out.recordings.extend(sids)  # delivered: each must now be stored, once
    for url, form in duplicate:  # the platform retrying the callback
        call.post(url, form)


def listen(transport: TimedTransport, lines: Lines, rng: random.Random, _out: Outcome) -> None:
    """A subscriber at home listens to a few messages, keeping them."""
    call = PhoneCall(transport, TOKEN, caller=rng.choice(lines.plain), called="access")
    transport.kind = "entry"
    call.dial("/voice/access")
    transport.kind = "listen"
    call.press("1")
    for _ in range(rng.randint(0, 3)):
        if call.waiting is None or call.heard(_sentence("no_more_messages")):
            break
        call.press("2")
    call.hang_up()


def remote(transport: TimedTransport, lines: Lines, _rng: random.Random, _out: Outcome) -> None:
    """A subscriber away from home: a wrong code, then the right one."""
    call = PhoneCall(transport, TOKEN, caller=MOBILE, called="access")
    transport.kind = "entry"
    call.dial("/voice/access")
    transport.kind = "line"
    call.press(national_digits(lines.coded) + "#")
    transport.kind = "code"
    call.press(WRONG_CODE + "#")
    expect(call, "enter_code")
    call.press(RIGHT_CODE + "#")
    expect(call, "main_menu")
    call.hang_up()


def support(transport: TimedTransport, lines: Lines, rng: random.Random, _out: Outcome) -> None:
    """A subscriber calls customer service from home: the PIN (one in four mistypes it first)."""
    call = PhoneCall(transport, TOKEN, caller=lines.coded, called="support")
    transport.kind = "support"
    call.dial("/support/incoming")
    if rng.random() < 0.25:
        call.press(WRONG_PIN + "#")
        expect(call, "enter_service_pin")
    call.press(PIN + "#")
    if not call.dialled or not call.heard(_sentence("identity_confirmed")):
        raise Unexpected(f"not put through as verified: heard {call.said[-3:]!r}")
    call.hang_up()


Scenario = Callable[[TimedTransport, Lines, random.Random, Outcome], None]
MIX: list[tuple[Scenario, float]] = [
    (deposit, 0.40),
    (listen, 0.30),
    (remote, 0.15),
    (support, 0.15),
]


def _sentence(key: str) -> str:
    from menus.catalogue import sentence

    return sentence("en", key)


def _caller(
    base: str,
    lines: Lines,
    until: float,
    think: float,
    seed: int,
    out: Outcome,
    lock: threading.Lock,
) -> None:
    rng = random.Random(seed)
    mine = Outcome()
    while time.monotonic() < until:
        scenario = rng.choices([s for s, _ in MIX], weights=[w for _, w in MIX])[0]
        transport = TimedTransport(
            base, mine.tally, threading.Lock(), think * rng.uniform(0.5, 1.5), until
        )
        try:
            scenario(transport, lines, rng, mine)
            mine.tally.calls += 1
            mine.by_scenario[scenario.__name__] = mine.by_scenario.get(scenario.__name__, 0) + 1
        except PhaseOver:
            break
        except CallFailed as error:
            mine.tally.fail("non-TwiML or HTTP error: " + str(error)[:80])
        except Unexpected as error:
            mine.tally.fail(f"unexpected prompt in {scenario.__name__}: {str(error)[:80]}")
        except OSError as error:
            mine.tally.fail(f"connection error: {type(error).__name__}")
    with lock:
        out.tally.add(mine.tally)
        out.recordings.extend(mine.recordings)
        out.full += mine.full
        for name, count in mine.by_scenario.items():
            out.by_scenario[name] = out.by_scenario.get(name, 0) + count


def _process(job: tuple[str, list[Lines], float, float, int]) -> Outcome:
    base, per_thread, seconds, think, seed = job
    out, lock = Outcome(), threading.Lock()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_caller, args=(base, lines, until, think, seed * 1000 + i, out, lock)
        )
        for i, lines in enumerate(per_thread)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def run(
    base: str,
    coded: list[str],
    plain: list[str],
    calls: int,
    seconds: float,
    think: float,
    processes: int = 4,
    platform: str = "",
) -> Outcome:
    """`calls` callers at once for `seconds`; each owns one coded line (its strikes)."""
    if calls > len(coded):
        raise ValueError(f"{calls} callers need {calls} coded lines, have {len(coded)}")
    callers = [Lines(coded[i], plain, platform) for i in range(calls)]
    jobs = [(base, callers[p::processes], seconds, think, p) for p in range(processes)]
    total = Outcome()
    with ProcessPoolExecutor(max_workers=processes) as pool:
        for out in pool.map(_process, jobs):
            total.tally.add(out.tally)
            total.recordings.extend(out.recordings)
            total.full += out.full
            for name, count in out.by_scenario.items():
                total.by_scenario[name] = total.by_scenario.get(name, 0) + count
    return total


def stored_once(url: str, recordings: list[str]) -> tuple[int, int, int]:
    """(stored, missing, stored twice or more) for the recordings delivered."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            counts = dict(
                session.execute(
                    select(Message.recording_sid, func.count()).group_by(Message.recording_sid)
                )
                .tuples()
                .all()
            )
    finally:
        engine.dispose()
    missing = sum(1 for sid in recordings if counts.get(sid, 0) == 0)
    twice = sum(1 for count in counts.values() if count > 1)
    return len(counts), missing, twice


@dataclass
class Copies:
    """What became of the delivered recordings' copies and notices, after the workers drained."""

    pending_jobs: int
    copied: int
    not_copied: int
    files: int
    notices: int
    emails: int


def copies(url: str, recordings: list[str], store: Path, emails: int) -> Copies:
    """Every delivered recording copied once and announced once?"""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            keys = dict(
                session.execute(select(Message.recording_sid, Message.stored_key)).tuples().all()
            )
            notices = (
                session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.kind == "new_message")
                )
                or 0
            )
            pending = (
                session.scalar(select(func.count()).select_from(Job).where(Job.done_at.is_(None)))
                or 0
            )
    finally:
        engine.dispose()
    copied = sum(1 for sid in recordings if keys.get(sid))
    files = sum(1 for _ in (store / "messages").glob("*.wav")) if store.exists() else 0
    return Copies(pending, copied, len(recordings) - copied, files, int(notices), emails)


def drained(url: str, timeout: float) -> bool:
    """Wait until no job is pending (the workers caught up)."""
    engine = make_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with Session(engine) as session:
                if not session.scalar(
                    select(func.count()).select_from(Job).where(Job.done_at.is_(None))
                ):
                    return True
            time.sleep(1)
        return False
    finally:
        engine.dispose()
