"""The API's door to a line's notice choice: `PUT /api/v1/lines/<n>/notify`.

The console's form is in ivr/console/notices_views.py, the command
`flask ivr notify` in ivr/cli/lines.py; all three call store.notices.set_notify.
"""

from __future__ import annotations

from flask import Response, current_app

from ivr import api
from ivr.database import db
from ivr.doors import actor, now
from store.notices import NotifyRefused, set_notify


@api.bp.put("/lines/<number>/notify")
def put_notify(number: str) -> Response:
    """Choose the line's new-message notice (and the mobile number for SMS)."""
    data = api.json_body({"notify": True, "mobile": False})
    line = api._line(number)
    session = db()
    try:
        set_notify(
            session,
            line,
            data["notify"],
            mobile=data.get("mobile"),
            region=current_app.config["IVR_DEFAULT_REGION"],
            actor=actor(),
            now=now(),
        )
    except NotifyRefused as refused:
        api.fail(422, "notify_refused", str(refused))
    return api._state_answer(line)
