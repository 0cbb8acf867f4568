"""Each process keeps one database connection per request thread (IVR_DATABASE_POOL_SIZE).

With a pool smaller than the threads, a worker serving more requests at once
than the pool holds opens a connection for each extra request and closes it
afterwards, again and again: on PostgreSQL each is a new backend.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import event

from ivr import create_app

THREADS = 8
ROUNDS = 4
ROOT = Path(__file__).resolve().parent.parent


def test_a_busy_process_opens_each_connection_once(settings):
    app = create_app({**settings, "IVR_DATABASE_POOL_SIZE": THREADS})
    engine = app.extensions["ivr.engine"]
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    # In each round, every request holds its connection until all of them hold
    # one, and the next round starts when all of them have given theirs back.
    holding, done = threading.Barrier(THREADS, timeout=10), threading.Barrier(THREADS, timeout=10)
    event.listen(engine, "before_cursor_execute", lambda *_args: holding.wait())
    statuses: list[int] = []

    def requests() -> None:
        client = app.test_client()
        for _ in range(ROUNDS):
            statuses.append(client.get("/healthz").status_code)
            done.wait()

    threads = [threading.Thread(target=requests) for _ in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        holding.abort()
        done.abort()
        engine.dispose()
    assert statuses == [200] * (THREADS * ROUNDS)
    assert len(opened) == THREADS


def _pool_size_under_gunicorn(tmp_path: Path, **env: str) -> str:
    """IVR_DATABASE_POOL_SIZE as gunicorn.conf.py leaves it for the workers."""
    script = (
        "import os, runpy; runpy.run_path('gunicorn.conf.py'); "
        "print(os.environ['IVR_DATABASE_POOL_SIZE'])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_gunicorn_gives_each_request_thread_a_pooled_connection(tmp_path):
    assert _pool_size_under_gunicorn(tmp_path) == "16"
    assert _pool_size_under_gunicorn(tmp_path, IVR_THREADS="7") == "7"
    assert _pool_size_under_gunicorn(tmp_path, IVR_THREADS="7", IVR_DATABASE_POOL_SIZE="3") == "3"
