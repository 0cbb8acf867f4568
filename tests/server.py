"""Run the app under gunicorn on loopback for tests that need real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(settings: Mapping[str, object]) -> dict[str, str]:
    """The process environment for the app's settings (strings only)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IVR_", "TWILIO_"))}
    env.update({k: str(v) for k, v in settings.items()
                if k.startswith(("IVR_", "TWILIO_")) and v is not None and not callable(v)})
    env.pop("IVR_DEVELOPMENT", None)
    return env


@contextmanager
def gunicorn(settings: Mapping[str, object], workers: int = 2, threads: int = 4) -> Iterator[str]:
    """Serve `wsgi:app` with these settings; yields the base URL."""
    port = free_port()
    env = environment(settings)
    env.update(IVR_BIND=f"127.0.0.1:{port}", IVR_WORKERS=str(workers), IVR_THREADS=str(threads))
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"gunicorn did not start: {output}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)
