"""`flask ivr worker`: the job worker (ivr/worker.py) as its own process."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from flask import current_app

from ivr import worker
from ivr.cli.base import ivr_cli
from ivr.observability import log_json_to_stderr


@ivr_cli.command("worker")
@click.option("--once", is_flag=True, help="Run what is due now, then exit.")
def worker_command(once: bool) -> None:
    """Copy recordings, post MWI, retry notices: run as many as you like, anywhere."""
    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        ran = worker.drain(app)
        worker.sweep_outbox(app)
        click.echo(f"{ran} jobs run")
        return
    log_json_to_stderr()
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())  # finish the job in hand, then exit
    worker.run(app, stop)
