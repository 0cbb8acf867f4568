"""The audit log in the console: an adviser reads their own actions, a supervisor all."""

from __future__ import annotations

import csv
import io
import json
import re

from flask import Response, render_template, request

from ivr.console import adviser, bp
from ivr.database import db
from ivr.doors import actor
from store import audit
from store.models import AuditEntry

PAGE = 200
EXPORT = 10_000
E164 = re.compile(r"\+\d{1,15}")


def _entries(limit: int) -> list[AuditEntry]:
    """What this adviser may read, newest first, filtered by line or action when asked."""
    return audit.entries(
        db(),
        actor=None if adviser().role == "supervisor" else actor(),
        line_number=(request.args.get("line") or "").strip() or None,
        action=(request.args.get("action") or "").strip() or None,
        limit=limit,
    )


@bp.get("/audit")
def audit_page() -> str:
    """The newest entries first."""
    return render_template(
        "console/audit.html",
        entries=_entries(PAGE),
        line=request.args.get("line", ""),
        action=request.args.get("action", ""),
    )


def _cell(value: object) -> str:
    """A spreadsheet never runs a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not E164.fullmatch(text):
        return "'" + text
    return text


@bp.get("/audit.csv")
def audit_csv() -> Response:
    """The same entries as a CSV file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "actor", "action", "line", "reason", "override", "details"])
    for entry in _entries(EXPORT):
        details = json.dumps(entry.details, sort_keys=True, ensure_ascii=False)
        writer.writerow(
            [
                _cell(cell)
                for cell in (
                    entry.at.isoformat(),
                    entry.actor,
                    entry.action,
                    entry.line_number,
                    entry.reason,
                    "yes" if entry.override else "no",
                    details,
                )
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit-log.csv"},
    )
