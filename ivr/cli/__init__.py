"""The command line: `flask db ...` for the schema, `flask ivr ...` for operators.

One module per group of commands, all on the groups of ivr/cli/base.py:
schema.py (`flask db`), lines.py (add-line, notify), phone.py (call),
voicemail.py (reset-mailbox, purge), support.py (service PINs, API keys),
console.py (add-adviser, send-mail) and worker.py (worker).
"""

from __future__ import annotations

from flask import Flask

from ivr.cli import console, lines, phone, schema, support, voicemail, worker
from ivr.cli.base import db_cli, ivr_cli

__all__ = ["console", "lines", "phone", "schema", "support", "voicemail", "worker"]


def init_app(app: Flask) -> None:
    """Give `app` its `flask db` and `flask ivr` commands."""
    app.cli.add_command(db_cli)
    app.cli.add_command(ivr_cli)
