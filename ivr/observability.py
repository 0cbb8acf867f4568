"""Logs, metrics and health, instrumented in one place: a hook around every request.

Each request ends with one JSON log line (CallSid, the step answered, its
outcome, status, duration) and the matching Prometheus metrics. The step
runner only notes what it did (`Notes`); what keys were
pressed is never noted, so no code or PIN digit can reach a log.

Under gunicorn, metrics live in PROMETHEUS_MULTIPROC_DIR (set up by
gunicorn.conf.py) and `/metrics` adds up every worker's; in a single process
the default registry serves.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any, cast

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    request,
)
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from store.models import AuditEntry

log = logging.getLogger("ivr.requests")
bp = Blueprint("ops", __name__)

REQUESTS = Counter("ivr_webhook_requests", "Answers by step and HTTP status", ["step", "status"])
LATENCY = Histogram(
    "ivr_webhook_seconds",
    "Time to answer, by step",
    ["step"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
)
VERIFICATIONS = Counter(
    "ivr_verifications", "Codes and PINs checked, by operation and result", ["operation", "result"]
)
STRIKES = Counter("ivr_strikes", "Wrong codes or PINs counted against a line", ["operation"])
LOCKS = Counter("ivr_locks", "Locks written to the audit log, by what was locked", ["what"])
RESETS = Counter("ivr_resets", "Resets written to the audit log, by what was reset", ["what"])
THROTTLED = Counter(
    "ivr_code_throttled",
    "Code attempts ended by a spraying limit: call, caller or withheld",
    ["scope"],
)

# Outcomes of an operation that checks a secret (a code, a PIN); the others
# are routing. Wrong ones (and the one that locks) count as strikes.
CHECK_RESULTS = frozenset({"right", "verified", "wrong", "failed", "locked", "throttled"})
STRIKE_RESULTS = frozenset({"wrong", "failed", "throttled"})
QUIET_PATHS = frozenset({"/metrics", "/healthz"})


def init_app(app: Flask) -> None:
    """Log and measure every request of `app`, and serve /healthz and /metrics.

    The request lines are INFO records of "ivr.requests"; where they go is
    the server's choice (gunicorn.conf.py calls `log_json_to_stderr`), so the
    console phone and other CLI commands stay quiet.
    """
    logger = logging.getLogger("ivr")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    app.before_request(_start)
    app.after_request(_finish)
    app.register_blueprint(bp)


class Notes:
    """What one request did, for its log line and metrics: fields, and operations run."""

    __slots__ = ("fields", "operations")

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.operations: list[tuple[str, str]] = []

    def update(self, **fields: Any) -> None:
        self.fields.update(fields)

    def operation(self, operation: str, outcome: str) -> None:
        """Record what one flow operation decided."""
        self.operations.append((operation, outcome))


def notes() -> Notes:
    """This request's notes."""
    if "ivr_notes" not in g:
        g.ivr_notes = Notes()
    return cast(Notes, g.ivr_notes)


def note(**fields: Any) -> None:
    """Add fields (flow, step, claim, ...) to this request's log line."""
    notes().update(**fields)


# -- the hook -----------------------------------------------------------------


def _start() -> None:
    g.ivr_started = time.perf_counter()


def _finish(response: Response) -> Response:
    if request.path in QUIET_PATHS or "ivr_started" not in g:
        return response
    sid = request.form.get("CallSid") if request.mimetype.endswith("form-urlencoded") else None
    record(
        request.method,
        request.path,
        sid,
        g.get("ivr_notes") or Notes(),
        response.status_code,
        time.perf_counter() - g.ivr_started,
        request.endpoint,
    )
    return response


def record(
    method: str,
    path: str,
    sid: str | None,
    noted: Notes,
    status: int,
    seconds: float,
    endpoint: str | None = None,
) -> None:
    """The metrics and the one log line of a request, whichever path answered it."""
    fields = noted.fields
    operations = noted.operations
    step = str(fields.get("step") or endpoint or "unknown")
    _requests(step, status).inc()
    _latency(step).observe(seconds)
    for operation, outcome in operations:
        if outcome in CHECK_RESULTS:
            VERIFICATIONS.labels(operation, outcome).inc()
        if outcome in STRIKE_RESULTS or (outcome == "locked" and fields.get("locked_now")):
            STRIKES.labels(operation).inc()
    if fields.get("throttled"):
        THROTTLED.labels(str(fields["throttled"])).inc()
    line = {
        "call_sid": sid,
        "method": method,
        "path": path,
        **fields,
        "step": step,
        "operations": {op: outcome for op, outcome in operations} or None,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
    }
    if not _write_directly(line):
        log.info("webhook", extra={"fields": line})


# The handler `log_json_to_stderr` installed, when it is the only one a request line reaches.
_json_handler: logging.StreamHandler[Any] | None = None


def _write_directly(fields: dict[str, Any]) -> bool:
    """Write the request line as the JSON handler would, without a LogRecord; False if not alone.

    The line is the formatter's own (`json_line`); only the `logging`
    machinery around it (record, filters, handler lookup) is skipped, and
    only while nothing else would see the record (a test's capture, a filter).
    """
    handler, parent = _json_handler, log.parent
    if (
        handler is None
        or parent is None
        or log.handlers
        or log.filters
        or parent.handlers != [handler]
        or parent.filters
        or parent.propagate
        or handler.filters
        or handler.level > logging.INFO
        or not log.isEnabledFor(logging.INFO)
    ):
        return False
    pid = os.getpid() if logging.logProcesses else None
    text = json_line(time.time(), "info", log.name, "webhook", pid, fields)
    with handler.lock or contextlib.nullcontext():
        handler.stream.write(text + handler.terminator)
        handler.flush()
    return True


@functools.cache
def _requests(step: str, status: int) -> Any:
    return REQUESTS.labels(step, str(status))


@functools.cache
def _latency(step: str) -> Any:
    return LATENCY.labels(step)


# -- locks and resets, from the audit log, whichever door wrote them ----------


@event.listens_for(Session, "before_flush")
def _audit_seen(session: Session, _context: Any, _instances: Any) -> None:
    actions = [entry.action for entry in session.new if isinstance(entry, AuditEntry)]
    if actions:
        session.info.setdefault("ivr_audit", []).extend(actions)


@event.listens_for(Session, "after_commit")
def _audit_committed(session: Session) -> None:
    for action in session.info.pop("ivr_audit", []):
        what, _, verb = action.rpartition(".")
        if verb == "locked":
            LOCKS.labels(what).inc()
            if has_request_context():
                note(locked_now=True)
        elif verb == "reset":
            RESETS.labels(what).inc()


@event.listens_for(Session, "after_rollback")
def _audit_forgotten(session: Session) -> None:
    session.info.pop("ivr_audit", None)


# -- health and metrics ---------------------------------------------------------


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers within its timeout, else 503."""
    try:
        with current_app.extensions["ivr.engine"].connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        log.warning("health check: database unreachable", exc_info=True)
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format, added up over every gunicorn worker."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    from ivr.worker import backlog_metrics  # jobs and notices waiting, from the database

    return Response(
        generate_latest(registry) + backlog_metrics(current_app), mimetype=CONTENT_TYPE_LATEST
    )


# -- JSON logs -------------------------------------------------------------------


def json_line(
    created: float,
    level: str,
    logger: str,
    message: str,
    pid: int | None,
    fields: dict[str, Any],
    error: str | None = None,
) -> str:
    """One JSON object: time, level, logger, message, pid, the fields, the error; no nulls."""
    entry: dict[str, Any] = {
        "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": logger,
        "message": message,
        "pid": pid,
    }
    entry.update(fields)
    if error:
        entry["error"] = error
    return json.dumps({k: v for k, v in entry.items() if v is not None}, default=str)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        return json_line(
            record.created,
            record.levelname.lower(),
            record.name,
            record.getMessage(),
            record.process,
            getattr(record, "fields", {}),
            self.formatException(record.exc_info) if record.exc_info else None,
        )


def log_json_to_stderr() -> None:
    """Send the app's loggers ("ivr.*") to standard error as JSON, once per process."""
    logger = logging.getLogger("ivr")
    # The lines say no source location or thread: do not compute them for
    # every record (the logging HOWTO's "Optimization"); one per request adds up.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    global _json_handler
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.propagate = False  # one line per record, whatever the root logger does
        _json_handler = handler
