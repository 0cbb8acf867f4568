"""Provision a benchmark database: N lines with their mailboxes, in bulk.

Lines are +3314xxxxxxx (valid Paris numbers), inserted by batches of plain
INSERTs in one transaction (the ORM would take minutes for a million). A
handful of lines spread over the range get a real secret code (peppered
bcrypt at the benchmark's cost) for the code-check steps; those lines do not
ask for it at home, so home calls go straight to the main menu.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from store import codes, pins
from store.credentials import Hasher
from store.db import make_engine
from store.migrate import upgrade
from store.models import Line, Mailbox, ServicePin, utcnow

BATCH = 20_000
Rows = list[dict[str, object]]  # one INSERT's parameters
CODE = "2580"
PIN = "739154"  # the coded lines' permanent service PIN, when asked for


@dataclass(frozen=True)
class Provisioned:
    """What the load generator needs to know about the database."""

    url: str
    lines: int
    with_code: list[str]  # numbers that have CODE, one per concurrent code caller
    without_code: list[str]  # numbers for home calls


def number(index: int) -> str:
    return f"+3314{index:07d}"


def plan(url: str, lines: int, coded: int) -> Provisioned:
    """Which numbers have a code and which do not, for a database of `lines` lines."""
    step = max(1, lines // (2 * coded))
    with_code = [number(i * step) for i in range(coded)]
    without_code = [number(i * step + (step // 2 or 1)) for i in range(coded)]
    return Provisioned(url, lines, with_code, without_code)


def provision(
    url: str, lines: int, coded: int, pepper: str, rounds: int, with_pins: bool = False
) -> Provisioned:
    """Create the schema and `lines` lines, `coded` of them with CODE (and PIN)."""
    upgrade(url)
    made = plan(url, lines, coded)
    engine = make_engine(url)
    try:
        _insert_lines(engine, lines)
        _give_codes(engine, made.with_code, pepper, rounds, with_pins)
    finally:
        engine.dispose()
    return made


def _batches(lines: int, now: datetime) -> Iterator[tuple[Rows, Rows]]:
    for start in range(0, lines, BATCH):
        ids = range(start + 1, min(start + BATCH, lines) + 1)
        yield (
            [{"id": i, "number": number(i - 1), "language": "en", "created_at": now} for i in ids],
            [{"line_id": i, "ask_code_on_fixed_line": False, "strikes": 0} for i in ids],
        )


def _insert_lines(engine: Engine, lines: int) -> None:
    now = utcnow()
    with engine.begin() as connection:
        for line_rows, mailbox_rows in _batches(lines, now):
            connection.execute(insert(Line), line_rows)
            connection.execute(insert(Mailbox), mailbox_rows)


@functools.cache
def _hasher(pepper: str, rounds: int) -> Hasher:
    return Hasher(pepper.encode(), rounds)


def _hash(args: tuple[str, str, int, str, str]) -> str:
    number_, pepper, rounds, purpose, secret = args
    return _hasher(pepper, rounds).hash(purpose, number_, secret)


def _give_codes(
    engine: Engine, numbers: list[str], pepper: str, rounds: int, with_pins: bool
) -> None:
    jobs = [(n, pepper, rounds, codes.PURPOSE, CODE) for n in numbers]
    if with_pins:
        jobs += [(n, pepper, rounds, pins.PERMANENT_PURPOSE, PIN) for n in numbers]
    with ProcessPoolExecutor(max_workers=2) as pool:
        hashes = list(pool.map(_hash, jobs))
    now = utcnow()
    with Session(engine) as session:
        for index, number_ in enumerate(numbers):
            line = session.query(Line).filter_by(number=number_).one()
            line.mailbox.code_hash = hashes[index]
            line.mailbox.code_changed_at = now
            if with_pins:
                session.add(
                    ServicePin(
                        line_id=line.id,
                        permanent_hash=hashes[len(numbers) + index],
                        permanent_set_at=now,
                        failures=0,
                    )
                )
        session.commit()
