"""The job worker: `flask ivr worker` (ivr/cli/worker.py), or a thread in the app by default.

Any number of workers, on any number of hosts, may run against one
database: each job is claimed by one of them under a lease
(IVR_JOB_LEASE_SECONDS); a worker that dies mid-job leaves the lease to
expire and another takes the job again. Failures worth retrying back off
(2 s, 4 s, ... capped at an hour); the outbox (e-mail, SMS) is swept for
what could not be sent.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from flask import Flask
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from ivr import copies, mail, mwi, notify, recordings, transcription
from store import jobs, outbox

log = logging.getLogger(__name__)

Handler = Callable[[Session, str, jobs.Claimed, datetime], None]
HANDLERS: dict[str, Handler] = {**copies.HANDLERS, **mwi.HANDLERS, **transcription.HANDLERS}
RETRYABLE = (copies.Retry, mwi.Refused)
IDLE_SECONDS = 1.0
SWEEP_SECONDS = 60.0


def worker_id() -> str:
    """Who holds a claim: host, process and a random part (a restarted worker is new)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_job(app: Flask, session: Session, job: jobs.Claimed) -> str:
    """Run one claimed job to its outcome: done, again (requeued meanwhile), retry or failed."""
    now = app.config["IVR_CLOCK"]()
    handler = HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise recordings.PlatformError(f"unknown job kind {job.kind}", retryable=False)
        handler(session, job.ref, job, now)
    except RETRYABLE as error:
        when = jobs.retry_later(session, job, now, str(error))
        log.warning(
            "job %s %s failed (attempt %d), retry at %s: %s",
            job.kind,
            job.ref,
            job.attempts,
            when.isoformat(),
            error,
        )
        return "retry"
    except recordings.PlatformError as error:
        jobs.give_up(session, job, now, str(error))
        log.warning("job %s %s given up: %s", job.kind, job.ref, error)
        return "failed"
    done = jobs.complete(session, job, now)
    return "done" if done else "again"


def run_once(app: Flask, token: str, kinds: tuple[str, ...] | None = None) -> bool:
    """Claim and run one due job; whether there was one."""
    lease = timedelta(seconds=app.config["IVR_JOB_LEASE_SECONDS"])
    with app.app_context(), app.extensions["ivr.sessions"]() as session:
        job = jobs.claim(session, token, app.config["IVR_CLOCK"](), lease, kinds)
        if job is None:
            return False
        try:
            outcome = run_job(app, session, job)
        except Exception:
            jobs.retry_later(session, job, app.config["IVR_CLOCK"](), "unexpected error")
            log.exception("job %s %s crashed; retried later", job.kind, job.ref)
            outcome = "retry"
        log.info("job %s %s: %s", job.kind, job.ref, outcome)
        return True


def drain(app: Flask, token: str | None = None, limit: int = 1000) -> int:
    """Run every job due now (tests, and the embedded worker); how many ran."""
    token = token or worker_id()
    ran = 0
    while ran < limit and run_once(app, token):
        ran += 1
    return ran


def sweep_outbox(app: Flask) -> None:
    """Retry the e-mail and SMS that could not be sent."""
    with app.app_context():
        if app.config.get("IVR_SMTP_URL"):
            mail.deliver(app)
        notify.deliver_sms(app)


def run(app: Flask, stop: threading.Event, idle: float = IDLE_SECONDS) -> None:
    """Work until `stop` is set: jobs as they fall due, the outbox every minute."""
    token = worker_id()
    swept = 0.0
    clock = app.config["IVR_CLOCK"]
    log.info("worker %s started", token)
    while not stop.is_set():
        try:
            busy = run_once(app, token)
            now = clock().timestamp()
            if now - swept >= SWEEP_SECONDS:
                swept = now
                sweep_outbox(app)
        except Exception:  # noqa: BLE001 - the database may be away for a while
            log.exception("worker: cannot reach the database; trying again")
            busy = False
        if not busy:
            stop.wait(idle)
    log.info("worker %s stopped", token)


def backlog_metrics(app: Flask) -> bytes:
    """Jobs and notices waiting, from the database (any worker's), in Prometheus text."""
    registry = CollectorRegistry()
    registry.register(_Backlog(app))
    try:
        return generate_latest(registry)
    except Exception:  # noqa: BLE001 - the database away: the process metrics still go out
        log.warning("metrics: job backlog unreadable", exc_info=True)
        return b""


class _Backlog(Collector):
    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pending = GaugeMetricFamily(
            "ivr_jobs_pending", "Background jobs not yet done", labels=["kind"]
        )
        failing = GaugeMetricFamily(
            "ivr_jobs_failing",
            f"Jobs still pending after {jobs.FAILING_ATTEMPTS} tries",
            labels=["kind"],
        )
        unsent = GaugeMetricFamily("ivr_outbox_unsent", "Notices not yet sent", labels=["channel"])
        with self.app.extensions["ivr.sessions"]() as session:
            for kind, (waiting, stuck) in sorted(jobs.backlog(session).items()):
                pending.add_metric([kind], waiting)
                failing.add_metric([kind], stuck)
            for channel, count in sorted(outbox.unsent_counts(session).items()):
                unsent.add_metric([channel], count)
        yield from (pending, failing, unsent)
