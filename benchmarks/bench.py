"""./dev bench: steps per second and latency of the real app against a bare floor.

For each database size (lines provisioned), serve wsgi:app under gunicorn
(gunicorn.conf.py's workers and threads, bcrypt cost 12) and drive complete
calls at it: menu steps (a subscriber at home walking the menus) and code
checks (a remote login with the right code). In the same run, serve the
floor (benchmarks/floor.py: a fixed TwiML document) under the same settings
with the same generator. Prints one table; see the README for the targets.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bcrypt
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import load, soak
from benchmarks.load import MENU_KEYS
from benchmarks.provision import Provisioned, plan, provision
from store.migrate import upgrade
from tests.endpoints import ACCOUNT_SID, Platform, platform_api
from tests.server import ROOT, Server, environment, free_port, serve
from tests.test_mail import Inbox

RESULTS = Path(__file__).resolve().parent / "results"
PEPPER = "bench-pepper"
ROUNDS = 12
SOAK_LINES = 10_000
WARM_UP = 3.0  # seconds of calls before measuring
CODED_LINES = 32  # one per concurrent code caller: a line's strikes are its own


def settings(url: str) -> dict[str, object]:
    return {"IVR_DATABASE_URL": url, "TWILIO_AUTH_TOKEN": load.TOKEN, "IVR_PIN_PEPPER": PEPPER,
            "IVR_SECRET_KEY": "bench", "IVR_BCRYPT_ROUNDS": ROUNDS,
            "IVR_SUPPORT_DIAL": "+33199000000"}


def database(lines: int, coded: int, postgres: str | None, with_pins: bool = False
             ) -> Provisioned:
    """A fresh copy of the provisioned database for `lines` (built once, kept as a template)."""
    name = f"lines-{lines}-coded-{coded}{'-pins' if with_pins else ''}-cost-{ROUNDS}"
    if postgres:
        return _postgres_database(postgres, name.replace("-", "_"), lines, coded, with_pins)
    template = RESULTS / f"{name}.sqlite3"
    if not template.with_suffix(".done").exists():
        template.unlink(missing_ok=True)
        _provision(f"sqlite:///{template}", lines, coded, with_pins)
        template.with_suffix(".done").touch()
    upgrade(f"sqlite:///{template}")  # the schema may have moved on since it was built
    copy = RESULTS / f"run-{lines}.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, copy)
    return plan(f"sqlite:///{copy}", lines, coded)


def _postgres_database(server: str, name: str, lines: int, coded: int, with_pins: bool
                       ) -> Provisioned:
    """The same on PostgreSQL: a template database, cloned for each run."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    template, run = f"ivr_bench_{name}", f"ivr_bench_run_{lines}"
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": template})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{template}"'))
            _provision(_on(server, template), lines, coded, with_pins)
        upgrade(_on(server, template))
        connection.execute(text(f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{run}" TEMPLATE "{template}"'))
    admin.dispose()
    return plan(_on(server, run), lines, coded)


def _on(server: str, database: str) -> str:
    return make_url(server).set(database=database).render_as_string(hide_password=False)


def _provision(url: str, lines: int, coded: int, with_pins: bool) -> None:
    started = time.monotonic()
    provision(url, lines, coded, PEPPER, ROUNDS, with_pins)
    print(f"provisioned {lines:,} lines in {time.monotonic() - started:.0f} s", file=sys.stderr)


def peak_rss_mb(server: Server) -> float:
    """The largest peak resident set (VmHWM) among the server's workers, in MB."""
    peaks = []
    for pid in server.worker_pids():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks, default=0.0)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


@dataclass
class Phase:
    """One measurement: which steps, how many calls at once, and how fast they press."""

    scenario: str
    kind: str
    concurrency: int
    think: float


def row(size: str, phase: Phase, tally: load.Tally, seconds: float, rss: float,
        floor_rate: float | None) -> dict[str, object]:
    values = tally.latencies.get(phase.kind, [])
    rate = len(values) / seconds
    return {"lines": size, "step": phase.kind, "calls": phase.concurrency,
            "pace": f"{phase.think:g} s/key" if phase.think else "flat out",
            "steps/s": f"{rate:.0f}",
            "p50 ms": f"{percentile(values, 0.50) * 1000:.1f}",
            "p99 ms": f"{percentile(values, 0.99) * 1000:.1f}",
            "vs floor": f"{rate / floor_rate:.0%}" if floor_rate and not phase.think else "-",
            "RSS MB": f"{rss:.0f}",
            "failures": sum(tally.failures.values()) or "-"}


def bcrypt_ms() -> float:
    """One bcrypt verification at the benchmark's cost: the best of 5 (least disturbed)."""
    stored = bcrypt.hashpw(b"x" * 44, bcrypt.gensalt(ROUNDS))
    times = []
    for _ in range(5):
        started = time.perf_counter()
        bcrypt.checkpw(b"x" * 44, stored)
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def measure(server: Server, size: str, phases: list[Phase], numbers: list[str],
            args: argparse.Namespace, floor_rate: float | None) -> list[dict[str, object]]:
    # Warm up: workers boot and import lazily; their first requests are not the steady state.
    load.run(server.base, phases[0].scenario, numbers, phases[0].concurrency, WARM_UP)
    rows = []
    for phase in phases:
        tally = load.run(server.base, phase.scenario, numbers, phase.concurrency, args.seconds,
                         phase.think)
        rows.append(row(size, phase, tally, args.seconds, peak_rss_mb(server), floor_rate))
        for reason, count in tally.failures.items():
            print(f"  {size} lines, {phase.kind}: {count} x {reason}", file=sys.stderr)
    return rows


def bench_floor(args: argparse.Namespace) -> list[dict[str, object]]:
    phases = [Phase("floor", "floor", args.concurrency, 0.0),
              Phase("floor", "floor", args.concurrency, args.think)]
    with serve({}, args.workers, args.threads, RESULTS / "floor.log",
               app="benchmarks.floor:app") as server:
        return measure(server, "-", phases, ["-"], args, None)


def bench_size(lines: int, args: argparse.Namespace, floor_rate: float
               ) -> list[dict[str, object]]:
    made = database(lines, CODED_LINES, args.postgres)
    size = f"{lines:,}"
    with serve(settings(made.url), args.workers, args.threads,
               RESULTS / f"app-{lines}.log") as server:
        rows = measure(server, size, [Phase("menu", "menu", args.concurrency, 0.0),
                                      Phase("menu", "menu", args.concurrency, args.think)],
                       made.without_code, args, floor_rate)
        rows += measure(server, size, [Phase("code", "code", 1, 0.0),
                                       Phase("code", "code", args.concurrency, 0.0)],
                        made.with_code, args, floor_rate)
    return rows


def bench_soak(args: argparse.Namespace) -> int:
    """The soak: prints what happened; 0 if nothing failed, else 1."""
    made = database(SOAK_LINES, args.calls, args.postgres, with_pins=True)
    seconds = args.minutes * 60
    store = RESULTS / "soak-recordings"
    shutil.rmtree(store, ignore_errors=True)
    _announce_by_email(made.url)
    with soak_outside() as (platform, inbox):
        # an API key pair: fetches authenticate, but no REST client (no deletions) exists
        env = {**settings(made.url), "TWILIO_API_KEY": ACCOUNT_SID, "TWILIO_API_SECRET": load.TOKEN,
               "IVR_RECORDINGS_URL": str(store), "IVR_SMTP_URL": inbox.url,
               "IVR_JOB_LEASE_SECONDS": 30}
        with serve(env, args.workers, args.threads, RESULTS / "soak.log") as server, \
                job_workers(env, 2, RESULTS / "soak-workers.log"):
            out = soak.run(server.base, made.with_code, made.without_code, args.calls, seconds,
                           args.think, platform=platform.base)
            rss = peak_rss_mb(server)
            caught_up = soak.drained(made.url, 120)
        copies = soak.copies(made.url, out.recordings, store, len(inbox.messages))
    stored, missing, twice = soak.stored_once(made.url, out.recordings)
    five = sum(1 for line in (RESULTS / "soak.log").read_text().splitlines()
               if '"status": 5' in line)
    print(f"\nSoak: {args.calls} callers at once for {args.minutes:g} min, "
          f"~{args.think:g} s per key, {engine_name(args)}, bcrypt cost {ROUNDS}, "
          f"{SOAK_LINES:,} lines")
    print(f"calls completed: {out.tally.calls} ({out.by_scenario}); peak RSS/worker {rss:.0f} MB")
    rows = []
    for kind, values in sorted(out.tally.latencies.items()):
        rows.append({"step": kind, "requests": len(values),
                     "p50 ms": f"{percentile(values, 0.5) * 1000:.1f}",
                     "p99 ms": f"{percentile(values, 0.99) * 1000:.1f}"})
    print_table(rows)
    failures = sum(out.tally.failures.values())
    print(f"failures: {failures} {out.tally.failures or ''}; 5xx logged by the server: {five}")
    print(f"recordings delivered: {len(out.recordings)}; messages stored: {stored}; "
          f"missing: {missing}; stored twice: {twice}; deposits on full mailboxes: {out.full}")
    lost_notices = max(stored - copies.emails, 0)
    extra_notices = max(copies.emails - stored, 0) + max(copies.notices - stored, 0)
    print(f"copies (2 workers, the platform refusing 1 fetch in {FAIL_EVERY}): "
          f"{copies.copied} copied, {copies.not_copied} not copied, {copies.files} files, "
          f"{len(platform.fetches)} fetches; jobs left pending: {copies.pending_jobs}"
          f"{'' if caught_up else ' (workers did not catch up in 120 s)'}")
    print(f"notices: {copies.emails} e-mails received for {stored} messages "
          f"({copies.notices} queued): lost {lost_notices}, duplicated {extra_notices}")
    copied_once = copies.not_copied == 0 and copies.files == copies.copied
    return 0 if (failures == 0 and five == 0 and missing == 0 and twice == 0 and copied_once
                 and lost_notices == 0 and extra_notices == 0) else 1


FAIL_EVERY = 7  # the soak's platform refuses one fetch in 7 with a 503


def _announce_by_email(url: str) -> None:
    """Every line of the soak's copy wants an e-mail for each new message."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE lines SET notify = 'email', "
                                "email = 'subscriber@example.com'"))
    engine.dispose()


@contextmanager
def soak_outside() -> Iterator[tuple[Platform, Inbox]]:
    """The platform's recording API and an SMTP server, on loopback (tests/endpoints.py)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        with platform_api(load.TOKEN, fail_first=0) as platform:
            platform.fail_every = FAIL_EVERY
            yield platform, inbox
    finally:
        controller.stop()


@contextmanager
def job_workers(env: dict[str, object], count: int, log: Path) -> Iterator[None]:
    """`count` processes of `flask ivr worker` against the soak's database."""
    errors = open(log, "wb")  # noqa: SIM115
    processes = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "ivr",
                                   "worker"], cwd=ROOT, env=environment(env),
                                  stdout=subprocess.DEVNULL, stderr=errors)
                 for _ in range(count)]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        errors.close()


def engine_name(args: argparse.Namespace) -> str:
    return "PostgreSQL" if args.postgres else "SQLite"


def print_table(rows: list[dict[str, object]]) -> None:
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("| " + " | ".join(c.ljust(widths[c]) for c in columns) + " |")
    print("|" + "|".join("-" * (widths[c] + 2) for c in columns) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[c]).ljust(widths[c]) for c in columns) + " |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="1000,1000000",
                        help="comma-separated database sizes (default: 1000,1000000)")
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--concurrency", type=int, default=32, help="calls at once")
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a paced caller waits before each key (default 1; soak 3)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int,
                        help="threads per worker (default: gunicorn.conf.py)")
    parser.add_argument("--postgres", metavar="URL",
                        help="benchmark on this PostgreSQL server instead of SQLite "
                             "(postgresql+psycopg://user@host:port/postgres)")
    parser.add_argument("--soak", action="store_true",
                        help="run the soak instead: many calls, several minutes, mixed")
    parser.add_argument("--calls", type=int, default=200, help="soak: callers at once")
    parser.add_argument("--minutes", type=float, default=5, help="soak: how long")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    if args.soak:
        if args.think == 1.0:
            args.think = 3.0  # people take a few seconds per key
        sys.exit(bench_soak(args))
    sizes = [int(size) for size in args.lines.split(",")]
    alone = bcrypt_ms()
    rows = bench_floor(args)
    floor_rate = float(str(rows[0]["steps/s"]))
    for lines in sizes:
        rows.extend(bench_size(lines, args, floor_rate))
    print(f"\n{engine_name(args)}, bcrypt cost {ROUNDS} (one verification alone: {alone:.0f} ms), "
          f"{args.seconds:g} s per phase, gunicorn.conf.py defaults, "
          f"{MENU_KEYS} menu keys per home call\n")
    print_table(rows)


if __name__ == "__main__":
    main()
