"""./dev bench: server CPU per step of the real app against a bare floor, measured in one run.

For each database size (lines provisioned), serve wsgi:app under gunicorn
(gunicorn.conf.py's workers and threads, bcrypt cost 12) and drive complete
calls at it: menu steps (a subscriber at home walking the menus) and code
checks (a remote login with the right code). In the same run, serve the
floor (benchmarks/floor.py: a fixed TwiML document) under the same settings
with the same generator. Server CPU is read from /proc (the gunicorn master
and its workers). `--storm` runs paced menu callers beside flat-out logins
instead (benchmarks/storm.py). Prints each target beside its measurement;
docs/benchmarks.md explains them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import bcrypt
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import load, soak, storm
from benchmarks.load import MENU_KEYS
from benchmarks.provision import Provisioned, plan, provision
from benchmarks.report import latency_rows, percentile, print_table, verdict
from store.migrate import upgrade
from tests.endpoints import ACCOUNT_SID, Inbox, Platform, platform_api, smtp_server
from tests.server import ROOT, Server, environment, serve

RESULTS = Path(__file__).resolve().parent / "results"
PEPPER = "bench-pepper"
ROUNDS = 12
OVERHEAD_ROUNDS = 4  # the code-check overhead is measured where bcrypt is cheap
SOAK_LINES = 10_000
WARM_UP = 3.0  # seconds of calls before measuring
CODED_LINES = 32  # one per concurrent code caller: a line's strikes are its own
# The targets (issue 10): CPU per menu step against the floor's, by engine;
# what a code check costs above its one bcrypt verification.
CPU_RATIO_TARGET = {"SQLite": 2.0, "PostgreSQL": 2.5}
CODE_OVERHEAD_TARGET_MS = 3.0


def settings(url: str, rounds: int = ROUNDS) -> dict[str, object]:
    return {
        "IVR_DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": load.TOKEN,
        "IVR_PIN_PEPPER": PEPPER,
        "IVR_SECRET_KEY": "bench",
        "IVR_BCRYPT_ROUNDS": rounds,
        "IVR_SUPPORT_DIAL": "+33199000000",
    }


def database(
    lines: int, coded: int, postgres: str | None, with_pins: bool = False, rounds: int = ROUNDS
) -> Provisioned:
    """A fresh copy of the provisioned database for `lines` (built once, kept as a template)."""
    name = f"lines-{lines}-coded-{coded}{'-pins' if with_pins else ''}-cost-{rounds}"
    if postgres:
        return _postgres_database(postgres, name.replace("-", "_"), lines, coded, with_pins, rounds)
    template = RESULTS / f"{name}.sqlite3"
    if not template.with_suffix(".done").exists():
        template.unlink(missing_ok=True)
        _provision(f"sqlite:///{template}", lines, coded, with_pins, rounds)
        template.with_suffix(".done").touch()
    upgrade(f"sqlite:///{template}")  # the schema may have moved on since it was built
    copy = RESULTS / f"run-{lines}.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, copy)
    return plan(f"sqlite:///{copy}", lines, coded)


def _postgres_database(
    server: str, name: str, lines: int, coded: int, with_pins: bool, rounds: int
) -> Provisioned:
    """The same on PostgreSQL: a template database, cloned for each run."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    template, run = f"ivr_bench_{name}", f"ivr_bench_run_{lines}"
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": template}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{template}"'))
            _provision(_on(server, template), lines, coded, with_pins, rounds)
        upgrade(_on(server, template))
        connection.execute(text(f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{run}" TEMPLATE "{template}"'))
    admin.dispose()
    return plan(_on(server, run), lines, coded)


def _on(server: str, database: str) -> str:
    return make_url(server).set(database=database).render_as_string(hide_password=False)


def _provision(url: str, lines: int, coded: int, with_pins: bool, rounds: int) -> None:
    started = time.monotonic()
    provision(url, lines, coded, PEPPER, rounds, with_pins)
    print(f"provisioned {lines:,} lines in {time.monotonic() - started:.0f} s", file=sys.stderr)


def peak_rss_mb(server: Server) -> float:
    """The largest peak resident set (VmHWM) among the server's workers, in MB."""
    peaks = []
    for pid in server.worker_pids():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks, default=0.0)


def server_cpu(server: Server) -> float:
    """CPU seconds used so far by the gunicorn master and its workers (user + system)."""
    total = 0
    for pid in [server.pid, *server.worker_pids()]:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """The 1-minute load average: how busy the shared machine was around a phase."""
    return os.getloadavg()[0]


@dataclass
class Phase:
    """One measurement: which steps, how many calls at once, and how fast they press."""

    scenario: str
    kind: str
    concurrency: int
    think: float


@dataclass
class Measured:
    """What one phase gave: the tally, its length, and the server CPU it cost."""

    phase: Phase
    tally: load.Tally
    seconds: float
    cpu: float
    rss: float
    load: float

    def cpu_ms_per_request(self) -> float:
        requests = sum(len(values) for values in self.tally.latencies.values())
        return self.cpu / requests * 1000 if requests else 0.0

    def row(self, size: str) -> dict[str, object]:
        values = self.tally.latencies.get(self.phase.kind, [])
        return {
            "lines": size,
            "step": self.phase.kind,
            "calls": self.phase.concurrency,
            "pace": f"{self.phase.think:g} s/key" if self.phase.think else "flat out",
            "steps/s": f"{len(values) / self.seconds:.0f}",
            "CPU ms/request": f"{self.cpu_ms_per_request():.2f}",
            "p50 ms": f"{percentile(values, 0.50) * 1000:.1f}",
            "p99 ms": f"{percentile(values, 0.99) * 1000:.1f}",
            "RSS MB": f"{self.rss:.0f}",
            "load": f"{self.load:.1f}",
            "failures": sum(self.tally.failures.values()) or "-",
        }


def bcrypt_ms(rounds: int = ROUNDS) -> float:
    """One bcrypt verification at `rounds`: the best of 5 (least disturbed)."""
    stored = bcrypt.hashpw(b"x" * 44, bcrypt.gensalt(rounds))
    times = []
    for _ in range(5):
        started = time.perf_counter()
        bcrypt.checkpw(b"x" * 44, stored)
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def measure(
    server: Server, phases: list[Phase], numbers: list[str], seconds: float
) -> list[Measured]:
    # Warm up: workers boot and import lazily; their first requests are not the steady state.
    load.run(server.base, phases[0].scenario, numbers, phases[0].concurrency, WARM_UP)
    measured = []
    for phase in phases:
        cpu = server_cpu(server)
        tally = load.run(
            server.base, phase.scenario, numbers, phase.concurrency, seconds, phase.think
        )
        measured.append(
            Measured(
                phase, tally, seconds, server_cpu(server) - cpu, peak_rss_mb(server), machine_busy()
            )
        )
        for reason, count in tally.failures.items():
            print(f"  {phase.kind}: {count} x {reason}", file=sys.stderr)
    return measured


def bench_floor(args: argparse.Namespace, server: Server) -> list[Measured]:
    phases = [
        Phase("floor", "floor", args.concurrency, 0.0),
        Phase("floor", "floor", args.concurrency, args.think),
        Phase("floor", "floor", 1, 0.0),
    ]  # the round trip any one request pays
    return measure(server, phases, ["-"], args.seconds)


def serve_floor(args: argparse.Namespace) -> AbstractContextManager[Server]:
    return serve({}, args.workers, args.threads, RESULTS / "floor.log", app="benchmarks.floor:app")


@dataclass
class Menus:
    """The app's phases at one database size, and the flat-out pairs the ratio is taken from."""

    measured: list[Measured]  # menu flat out, menu paced, one login, logins flat out
    pairs: list[tuple[Measured, Measured]]  # (floor, menu), both flat out, one after the other

    def ratio(self) -> tuple[float, float]:
        """Server CPU per request of the app's menu steps and of the floor, over every pair."""
        return (
            cpu_ms_per_request([menu for _, menu in self.pairs]),
            cpu_ms_per_request([floor for floor, _ in self.pairs]),
        )


def bench_menus(
    lines: int, args: argparse.Namespace, floor_server: Server, floor: Measured
) -> Menus:
    """The app's phases; then more flat-out floor and menu phases, taken in turns.

    A shared machine drifts over minutes: the ratio is taken over pairs of a
    floor phase and a menu phase measured one after the other, so what the
    machine does meanwhile weighs on both alike.
    """
    made = database(lines, CODED_LINES, args.postgres, rounds=args.rounds)
    flat_out = Phase("menu", "menu", args.concurrency, 0.0)
    with serve(
        settings(made.url, args.rounds), args.workers, args.threads, RESULTS / f"app-{lines}.log"
    ) as server:
        measured = measure(
            server,
            [flat_out, Phase("menu", "menu", args.concurrency, args.think)],
            made.without_code,
            args.seconds,
        )
        measured += measure(
            server,
            [Phase("code", "code", 1, 0.0), Phase("code", "code", args.concurrency, 0.0)],
            made.with_code,
            args.seconds,
        )
        pairs = [(floor, measured[0])]
        for _ in range(args.pairs - 1):
            floor_again = measure(floor_server, [floor.phase], ["-"], args.seconds)[0]
            pairs.append(
                (floor_again, measure(server, [flat_out], made.without_code, args.seconds)[0])
            )
    return Menus(measured, pairs)


def cpu_ms_per_request(phases: list[Measured]) -> float:
    """Server CPU per request over several phases together."""
    requests = sum(len(v) for m in phases for v in m.tally.latencies.values())
    return sum(m.cpu for m in phases) / requests * 1000 if requests else 0.0


def bench_code_overhead(args: argparse.Namespace) -> Measured:
    """One caller logging in again and again on a server at cost 4."""
    made = database(1000, CODED_LINES, args.postgres, rounds=OVERHEAD_ROUNDS)
    with serve(
        settings(made.url, OVERHEAD_ROUNDS),
        args.workers,
        args.threads,
        RESULTS / "app-overhead.log",
    ) as server:
        return measure(server, [Phase("code", "code", 1, 0.0)], made.with_code, args.seconds)[0]


def bench_soak(args: argparse.Namespace) -> int:
    """The soak: prints what happened; 0 if nothing failed, else 1."""
    made = database(SOAK_LINES, args.calls, args.postgres, with_pins=True)
    seconds = args.minutes * 60
    store = RESULTS / "soak-recordings"
    shutil.rmtree(store, ignore_errors=True)
    _announce_by_email(made.url)
    with soak_outside() as (platform, inbox):
        # an API key pair: fetches authenticate, but no REST client (no deletions) exists
        env = {
            **settings(made.url),
            "TWILIO_API_KEY": ACCOUNT_SID,
            "TWILIO_API_SECRET": load.TOKEN,
            "IVR_RECORDINGS_URL": str(store),
            "IVR_SMTP_URL": inbox.url,
            "IVR_JOB_LEASE_SECONDS": 30,
        }
        with (
            serve(env, args.workers, args.threads, RESULTS / "soak.log") as server,
            job_workers(env, 2, RESULTS / "soak-workers.log"),
        ):
            out = soak.run(
                server.base,
                made.with_code,
                made.without_code,
                args.calls,
                seconds,
                args.think,
                platform=platform.base,
            )
            rss = peak_rss_mb(server)
            caught_up = soak.drained(made.url, 120)
        copies = soak.copies(made.url, out.recordings, store, len(inbox.messages))
    stored, missing, twice = soak.stored_once(made.url, out.recordings)
    five = sum(
        1 for line in (RESULTS / "soak.log").read_text().splitlines() if '"status": 5' in line
    )
    print(
        f"\nSoak: {args.calls} callers at once for {args.minutes:g} min, "
        f"~{args.think:g} s per key, {engine_name(args)}, bcrypt cost {ROUNDS}, "
        f"{SOAK_LINES:,} lines"
    )
    print(f"calls completed: {out.tally.calls} ({out.by_scenario}); peak RSS/worker {rss:.0f} MB")
    print_table(latency_rows(out.tally))
    failures = sum(out.tally.failures.values())
    print(f"failures: {failures} {out.tally.failures or ''}; 5xx logged by the server: {five}")
    print(
        f"recordings delivered: {len(out.recordings)}; messages stored: {stored}; "
        f"missing: {missing}; stored twice: {twice}; deposits on full mailboxes: {out.full}"
    )
    lost_notices = max(stored - copies.emails, 0)
    extra_notices = max(copies.emails - stored, 0) + max(copies.notices - stored, 0)
    print(
        f"copies (2 workers, the platform refusing 1 fetch in {FAIL_EVERY}): "
        f"{copies.copied} copied, {copies.not_copied} not copied, {copies.files} files, "
        f"{len(platform.fetches)} fetches; jobs left pending: {copies.pending_jobs}"
        f"{'' if caught_up else ' (workers did not catch up in 120 s)'}"
    )
    print(
        f"notices: {copies.emails} e-mails received for {stored} messages "
        f"({copies.notices} queued): lost {lost_notices}, duplicated {extra_notices}"
    )
    copied_once = copies.not_copied == 0 and copies.files == copies.copied
    return (
        0
        if (
            failures == 0
            and five == 0
            and missing == 0
            and twice == 0
            and copied_once
            and lost_notices == 0
            and extra_notices == 0
        )
        else 1
    )


FAIL_EVERY = 7  # the soak's platform refuses one fetch in 7 with a 503


def _announce_by_email(url: str) -> None:
    """Every line of the soak's copy wants an e-mail for each new message."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE lines SET notify = 'email', email = 'subscriber@example.com'")
        )
    engine.dispose()


@contextmanager
def soak_outside() -> Iterator[tuple[Platform, Inbox]]:
    """The platform's recording API and an SMTP server, on loopback (tests/endpoints.py)."""
    with smtp_server() as inbox, platform_api(load.TOKEN, fail_first=0) as platform:
        platform.fail_every = FAIL_EVERY
        yield platform, inbox


@contextmanager
def job_workers(env: dict[str, object], count: int, log: Path) -> Iterator[None]:
    """`count` processes of `flask ivr worker` against the soak's database."""
    errors = open(log, "wb")  # noqa: SIM115
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "ivr", "worker"],
            cwd=ROOT,
            env=environment(env),
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        errors.close()


def bench_storm(args: argparse.Namespace) -> int:
    """Paced menu callers beside flat-out logins at cost 12; 0 if the targets hold."""
    made = database(1000, CODED_LINES, args.postgres, rounds=args.rounds)
    with serve(
        settings(made.url, args.rounds), args.workers, args.threads, RESULTS / "storm.log"
    ) as server:
        load.run(server.base, "menu", made.without_code, 4, WARM_UP)
        out = storm.run(server.base, made, args.concurrency, args.logins, args.seconds, args.think)
    print(
        f"\nStorm: {args.concurrency} menu callers at {args.think:g} s/key beside "
        f"{args.logins} callers logging in flat out, {engine_name(args)}, bcrypt cost "
        f"{args.rounds} (one verification alone: {bcrypt_ms(args.rounds):.0f} ms), "
        f"{args.seconds:g} s, "
        f"machine load {machine_busy():.1f} on {os.cpu_count()} cores\n"
    )
    print_table(latency_rows(out))
    menu_p99 = percentile(out.latencies.get("menu", []), 0.99) * 1000
    code_max = max(out.latencies.get("code", [0.0]))
    print()
    print_table(
        [
            verdict(
                "menu step p99 (paced callers)",
                f"{menu_p99:.1f} ms",
                f"≤ {storm.MENU_P99_TARGET_MS:g} ms",
                menu_p99 <= storm.MENU_P99_TARGET_MS,
            ),
            verdict(
                "longest code check",
                f"{code_max:.2f} s",
                f"≤ {storm.CODE_WAIT_TARGET_S:g} s",
                code_max <= storm.CODE_WAIT_TARGET_S,
            ),
        ]
    )
    failures = sum(out.failures.values())
    if failures:
        print(f"failures: {out.failures}")
    return 0 if failures == 0 else 1


def engine_name(args: argparse.Namespace) -> str:
    return "PostgreSQL" if args.postgres else "SQLite"


def bench(args: argparse.Namespace) -> None:
    """The table and the targets: floor and app measured in the same run."""
    sizes = [int(size) for size in args.lines.split(",")]
    RESULTS.mkdir(exist_ok=True)
    alone, alone_cheap = bcrypt_ms(args.rounds), bcrypt_ms(OVERHEAD_ROUNDS)
    ratios, capacity = [], []
    with serve_floor(args) as floor_server:
        floor = bench_floor(args, floor_server)
        rows = [m.row("-") for m in floor]
        for lines in sizes:
            menus = bench_menus(lines, args, floor_server, floor[0])
            measured = menus.measured
            rows += [m.row(f"{lines:,}") for m in measured]
            rows += [
                m.row(f"{lines:,}, pair {n}")
                for n, pair in enumerate(menus.pairs[1:], 2)
                for m in pair
            ]
            ratios.append((lines, menus))
            logins = len(measured[2].tally.latencies.get("code", []))
            capacity.append(
                (
                    lines,
                    1000 / menus.ratio()[0],
                    logins / measured[2].cpu if measured[2].cpu else 0.0,
                )
            )
    overhead = bench_code_overhead(args)
    rows.append(overhead.row(f"1,000 (cost {OVERHEAD_ROUNDS})"))
    print(
        f"\n{engine_name(args)}, bcrypt cost {args.rounds} (one verification alone: "
        f"{alone:.0f} ms), "
        f"{args.seconds:g} s per phase, gunicorn.conf.py defaults, "
        f"{MENU_KEYS} menu keys per home call, {os.cpu_count()} cores; "
        f"'load' is the machine's 1-minute load average after the phase\n"
    )
    print_table(rows)
    target = CPU_RATIO_TARGET[engine_name(args)]
    verdicts = []
    for lines, menus in ratios:
        cpu, floor_cpu = menus.ratio()
        each = ", ".join(
            f"{menu.cpu_ms_per_request() / f.cpu_ms_per_request():.2f}×"
            for f, menu in menus.pairs
            if f.cpu_ms_per_request()
        )
        verdicts.append(
            verdict(
                f"server CPU per menu step ÷ floor's ({lines:,} lines, "
                f"{len(menus.pairs)} pairs of phases: {each})",
                f"{cpu:.2f} / {floor_cpu:.2f} ms = {cpu / floor_cpu:.2f}×",
                f"≤ {target:g}×",
                cpu / floor_cpu <= target,
            )
        )
    code_p50 = percentile(overhead.tally.latencies.get("code", []), 0.5) * 1000
    # The whole request as the client sees it, HTTP included; the floor's
    # round trip at one caller is printed beside it for what HTTP alone costs.
    round_trip = percentile(floor[2].tally.latencies.get("floor", []), 0.5) * 1000
    verdicts.append(
        verdict(
            f"code check above one bcrypt (cost {OVERHEAD_ROUNDS}, 1 caller, p50; "
            f"the floor's round trip: {round_trip:.1f} ms)",
            f"{code_p50:.1f} − {alone_cheap:.1f} ms = {code_p50 - alone_cheap:.1f} ms",
            f"≤ {CODE_OVERHEAD_TARGET_MS:g} ms",
            code_p50 - alone_cheap <= CODE_OVERHEAD_TARGET_MS,
        )
    )
    print()
    print_table(verdicts)
    print()
    print_table(
        [
            {
                "lines": f"{lines:,}",
                "menu steps per core-second": f"{steps:.0f}",
                f"logins per core-second (cost {args.rounds})": f"{logins:.2f}",
            }
            for lines, steps, logins in capacity
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lines",
        default="1000,1000000",
        help="comma-separated database sizes (default: 1000,1000000)",
    )
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--concurrency", type=int, default=32, help="calls at once")
    parser.add_argument(
        "--pairs",
        type=int,
        default=3,
        help="flat-out floor and menu phases taken in turns for the ratio (default 3)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="seconds a paced caller waits before each key (default 1; soak 3)",
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument(
        "--threads", type=int, help="threads per worker (default: gunicorn.conf.py)"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="benchmark on this PostgreSQL server instead of SQLite "
        "(postgresql+psycopg://user@host:port/postgres)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=ROUNDS,
        help=f"bcrypt cost of the app's codes (default {ROUNDS})",
    )
    parser.add_argument(
        "--storm", action="store_true", help="paced menu callers beside callers logging in flat out"
    )
    parser.add_argument("--logins", type=int, default=8, help="storm: callers logging in")
    parser.add_argument(
        "--soak",
        action="store_true",
        help="run the soak instead: many calls, several minutes, mixed",
    )
    parser.add_argument("--calls", type=int, default=200, help="soak: callers at once")
    parser.add_argument("--minutes", type=float, default=5, help="soak: how long")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    if args.soak:
        if args.think == 1.0:
            args.think = 3.0  # people take a few seconds per key
        sys.exit(bench_soak(args))
    if args.storm:
        sys.exit(bench_storm(args))
    bench(args)


if __name__ == "__main__":
    main()
