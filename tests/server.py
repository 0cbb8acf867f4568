"""Run the app under gunicorn on loopback for tests that need real HTTP."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(settings: Mapping[str, object]) -> dict[str, str]:
    """The process environment for the app's settings (strings only)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IVR_", "TWILIO_"))}
    env.update(
        {
            k: str(v)
            for k, v in settings.items()
            if k.startswith(("IVR_", "TWILIO_")) and v is not None and not callable(v)
        }
    )
    env.pop("IVR_DEVELOPMENT", None)
    return env


def answering(port: int) -> bool:
    """A worker answers HTTP (any status: the app may not serve /healthz).

    The port accepts connections as soon as the master binds it, before any
    worker has imported the app; a request shows one is ready.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        connection.getresponse().read()
    except (OSError, http.client.HTTPException):
        return False
    else:
        return True
    finally:
        connection.close()


@dataclass
class Server:
    """A running gunicorn: where it answers, and its master process."""

    base: str
    pid: int

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@contextmanager
def gunicorn(
    settings: Mapping[str, object],
    workers: int = 2,
    threads: int = 4,
    log: Path | None = None,
    app: str = "wsgi:app",
    args: Sequence[str] = (),
) -> Iterator[str]:
    """Serve `app` with these settings (any database URL); yields the base URL."""
    with serve(settings, workers, threads, log, app, args) as server:
        yield server.base


@contextmanager
def serve(
    settings: Mapping[str, object],
    workers: int | None = 2,
    threads: int | None = 4,
    log: Path | None = None,
    app: str = "wsgi:app",
    args: Sequence[str] = (),
) -> Iterator[Server]:
    """Serve `app` under gunicorn.conf.py (None: its default workers or threads).

    Its logs (JSON lines) go to `log`, or to a temporary file, never to a
    pipe nobody reads (a full pipe would block the server).
    """
    port = free_port()
    env = environment(settings)
    env["IVR_BIND"] = f"127.0.0.1:{port}"
    for name, value in (("IVR_WORKERS", workers), ("IVR_THREADS", threads)):
        if value is not None:
            env[name] = str(value)
    errors = open(log, "w+b") if log else tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *args, app],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    try:
        deadline = time.monotonic() + 60  # workers import the app, slower under coverage
        while not answering(port):
            if process.poll() is not None or time.monotonic() > deadline:
                errors.seek(0)
                output = errors.read().decode(errors="replace")
                raise RuntimeError(f"gunicorn did not start: {output}")
            time.sleep(0.1)
        yield Server(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.terminate()
        process.wait(timeout=15)
        errors.close()
