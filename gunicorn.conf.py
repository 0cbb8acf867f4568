"""gunicorn defaults for `gunicorn wsgi:app`; override any with GUNICORN_CMD_ARGS or flags."""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

bind = os.environ.get("IVR_BIND", "127.0.0.1:8000")
# Code and PIN checks wait for a low-priority verifier thread (bcrypt,
# store/credentials.py) without using the CPU: enough threads per process
# that a worker with checks queued still answers menu keys at once.
workers = int(os.environ.get("IVR_WORKERS", min(2 * multiprocessing.cpu_count(), 8)))
worker_class = "gthread"
threads = int(os.environ.get("IVR_THREADS", 16))
# One pooled database connection per request thread: with fewer, a worker
# past the pool's size opens a connection per request and closes it after
# (about 50 a second with 32 callers on 4 workers; on PostgreSQL each costs
# a backend and a few milliseconds).
os.environ.setdefault("IVR_DATABASE_POOL_SIZE", str(threads))
# The platform gives up on a webhook after 15 s; never hold a request longer.
timeout = 15
graceful_timeout = 10
keepalive = 5
# The request line and headers are bounded here, before the app sees them
# (a webhook's URL and headers are well under 2 KB; the console's cookie is
# one signed token). Bodies are bounded by the app itself, before anything
# parses them, per area (ivr/limits.py, docs/security.md "Input").
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# The app logs one JSON line per request (ivr/observability.py) to standard
# error; gunicorn's own access log would repeat it in another format.
accesslog = None
errorlog = "-"
# Run under a process supervisor; a control socket at one fixed path per user
# would be fought over by every instance on the host (several app servers, tests).
control_socket_disable = True

# Metrics: each worker writes its own files here and /metrics adds them up.
# Set before any worker imports prometheus_client. A directory given by the
# operator is emptied at start (stale counters from a previous run would add up).
_metrics_owned = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _metrics_owned:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ivr-metrics-")


def on_starting(_server: Any) -> None:
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def post_worker_init(_worker: Any) -> None:
    from ivr.observability import log_json_to_stderr

    log_json_to_stderr()


def child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(_server: Any) -> None:
    if _metrics_owned:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
