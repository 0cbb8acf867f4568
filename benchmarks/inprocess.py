"""In-process cost of one step: the app's WSGI callable called directly, thousands of times.

No HTTP and no server: each request is a prepared WSGI environ handed to
`app.wsgi_app`'s outermost callable, timed with `time.perf_counter`, so the
figures are steady on a shared machine where `./dev bench` is not. The
floor (benchmarks/floor.py) is called the same way. Statements and commits
are counted by engine events (the plain path's statements fire them too).

    python -m benchmarks.inprocess                  # menu steps and code checks, SQLite
    python -m benchmarks.inprocess --postgres URL   # on a PostgreSQL server (a scratch database)
    python -m benchmarks.inprocess --profile menu   # cProfile of the menu steps, by function
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin

# Metrics as under gunicorn (one file per process), set before prometheus_client is imported.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="ivr-inprocess-"))

from flask import Flask  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from benchmarks import bench, floor, load  # noqa: E402
from benchmarks.provision import CODE, provision  # noqa: E402
from ivr import create_app  # noqa: E402
from ivr.observability import log_json_to_stderr  # noqa: E402
from ivr.phone import FORM, PhoneCall, encoded  # noqa: E402
from store.lines import national_digits  # noqa: E402

ROUNDS = bench.OVERHEAD_ROUNDS
Wsgi = Callable[[dict[str, Any], Any], Any]


class Counted:
    """Statements and commits run on an engine, by step kind."""

    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0

    def attach(self, engine: Any) -> None:
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, *_args: Any) -> None:
        self.statements += 1

    def _commit(self, *_args: Any) -> None:
        self.commits += 1


class WsgiTransport:
    """Calls a WSGI app directly; times each call under the current step kind."""

    base_url = "http://localhost/"

    def __init__(self, wsgi: Wsgi, counted: Counted | None = None) -> None:
        self.wsgi, self.counted, self.kind = wsgi, counted, "entry"
        # Enabled around the app's calls of one step kind only.
        self.profiler: cProfile.Profile | None = None
        self.profiled = ""
        self.seconds: dict[str, list[float]] = {}  # wall time
        self.cpu: dict[str, list[float]] = {}  # the process's CPU time, every thread's
        self.statements: dict[str, list[tuple[int, int]]] = {}

    def post(
        self, url: str, form: Mapping[str, str], headers: Mapping[str, str]
    ) -> tuple[int, str]:
        environ = EnvironBuilder(
            path=url.removeprefix(self.base_url.rstrip("/")),
            base_url=self.base_url,
            method="POST",
            data=encoded(form),
            content_type=FORM,
            headers=list(headers.items()),
        ).get_environ()
        status: list[str] = []
        before = (self.counted.statements, self.counted.commits) if self.counted else (0, 0)
        started, cpu = time.perf_counter(), time.process_time()
        profiler = self.profiler if self.kind == self.profiled else None
        if profiler:
            profiler.enable()
        chunks = self.wsgi(environ, lambda s, _h, _e=None: status.append(s))
        body = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        if profiler:
            profiler.disable()
        self.seconds.setdefault(self.kind, []).append(time.perf_counter() - started)
        self.cpu.setdefault(self.kind, []).append(time.process_time() - cpu)
        if self.counted:
            after = (self.counted.statements, self.counted.commits)
            self.statements.setdefault(self.kind, []).append(
                (after[0] - before[0], after[1] - before[1])
            )
        return int(status[0].split()[0]), body.decode()


def _app(url: str) -> Flask:
    config = {**bench.settings(url, ROUNDS), "IVR_DATABASE_URL": url}
    return create_app(config)


def menus(transport: WsgiTransport, number: str, calls: int) -> None:
    """`calls` home calls walking MENU_KEYS menu keys each (as benchmarks/load.py)."""
    for _ in range(calls):
        call = PhoneCall(transport, load.TOKEN, caller=number, called="access")
        transport.kind = "entry"
        call.dial("/voice/access")
        transport.kind = "menu"
        for index in range(load.MENU_KEYS):
            call.press("2" if index % 2 == 0 else "*")
        transport.kind = "status"
        call.hang_up()


def logins(transport: WsgiTransport, numbers: list[str], calls: int) -> None:
    """`calls` remote logins with the right code (one bcrypt each)."""
    for index in range(calls):
        call = PhoneCall(transport, load.TOKEN, caller=load.MOBILE, called="access")
        transport.kind = "entry"
        call.dial("/voice/access")
        transport.kind = "line"
        call.press(national_digits(numbers[index % len(numbers)]) + "#")
        transport.kind = "code"
        call.press(CODE + "#")
        load.expect(call, "main_menu")
        transport.kind = "status"
        call.hang_up()


def floor_steps(transport: WsgiTransport, count: int) -> None:
    transport.kind = "floor"
    call = PhoneCall(transport, load.TOKEN, caller=load.MOBILE, called="access")
    for _ in range(count):
        call.post(urljoin(transport.base_url, "/voice/step/1"), {"Digits": "2"})


def best(values: list[float], batch: int = 50) -> float:
    """The lowest mean over consecutive batches: the least disturbed by a shared machine."""
    means = [mean(values[i : i + batch]) for i in range(0, len(values) - batch + 1, batch)]
    return min(means, default=mean(values))


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


@contextlib.contextmanager
def database(postgres: str | None) -> Iterator[str]:
    """A fresh database with 1,000 lines, 8 of them with the code."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{directory}/inprocess.sqlite3"
            provision(url, 1000, 8, bench.PEPPER, ROUNDS)
            yield url
        return
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    name = "ivr_inprocess"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
    try:
        provision(url, 1000, 8, bench.PEPPER, ROUNDS)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a server where the role may create databases")
    parser.add_argument("--calls", type=int, default=40, help="home calls (50 keys each)")
    parser.add_argument("--logins", type=int, default=200, help="remote logins")
    parser.add_argument("--profile", choices=["menu", "code"], help="cProfile this part")
    parser.add_argument("--top", type=int, default=40, help="profile rows to print")
    parser.add_argument("--callees", nargs="*", default=[], help="functions to break down")
    args = parser.parse_args(argv)
    devnull = open(os.devnull, "w")  # noqa: SIM115 - for the whole run
    with contextlib.redirect_stderr(devnull):
        log_json_to_stderr()  # the log line is written, as under gunicorn, to nowhere
    with database(args.postgres) as url:
        from benchmarks.provision import plan

        made = plan(url, 1000, 8)
        app = _app(url)
        counted = Counted()
        counted.attach(app.extensions["ivr.engine"])
        transport = WsgiTransport(app.wsgi_app, counted)
        menus(transport, made.without_code[0], 2)  # warm up
        logins(transport, made.with_code, 4)
        transport.seconds.clear()
        transport.cpu.clear()
        transport.statements.clear()
        transport.profiler, transport.profiled = cProfile.Profile(), args.profile or ""
        menus(transport, made.without_code[0], args.calls)
        logins(transport, made.with_code, args.logins)
        profiler, transport.profiler = transport.profiler, None
        floored = WsgiTransport(floor.app.wsgi_app)
        floor_steps(floored, 200)
        floored.seconds.clear()
        floored.cpu.clear()
        floor_steps(floored, args.calls * load.MENU_KEYS)
        app.extensions["ivr.engine"].dispose()
    report(transport, floored)
    if args.profile:
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        for name in args.callees:
            stats.print_callees(name)


def report(transport: WsgiTransport, floored: WsgiTransport) -> None:
    """Wall and CPU time per step kind (best batch means), against the floor's and one bcrypt."""
    floor_us, floor_cpu = best(floored.seconds["floor"]) * 1e6, best(floored.cpu["floor"]) * 1e6
    bcrypt_ms = bench.bcrypt_ms(ROUNDS)
    print(f"load average {os.getloadavg()[0]:.1f}; one bcrypt at cost {ROUNDS}: {bcrypt_ms:.2f} ms")
    print(f" floor: {floor_us:5.0f} µs wall, {floor_cpu:5.0f} µs CPU (best mean of 50)")
    for kind in ("menu", "line", "code", "entry", "status"):
        values = transport.seconds.get(kind, [])
        if not values:
            continue
        counts = transport.statements.get(kind, [])
        statements = sum(s for s, _ in counts) / len(counts)
        commits = sum(c for _, c in counts) / len(counts)
        batch = 50 if kind == "menu" else 20
        wall, cpu = best(values, batch) * 1e6, best(transport.cpu[kind], batch) * 1e6
        extra = ""
        if kind == "menu":
            extra = f" = {wall / floor_us:.2f}× / {cpu / floor_cpu:.2f}× the floor"
        if kind == "code":
            extra = (
                f": {wall / 1000 - bcrypt_ms:.2f} / {cpu / 1000 - bcrypt_ms:.2f} ms above bcrypt"
            )
        print(
            f"{kind:>6}: {wall:5.0f} µs wall, {cpu:5.0f} µs CPU{extra}; "
            f"{statements:.2f} statements, {commits:.2f} commits (n={len(values)})"
        )


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


if __name__ == "__main__":
    main()
