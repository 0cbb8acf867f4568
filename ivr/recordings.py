"""Recordings on the platform: deleted through the Twilio REST API when configured.

Without `TWILIO_ACCOUNT_SID` nothing is deleted remotely (the platform's own
retention applies). Tests inject a `twilio.http.HttpClient` in
`app.extensions["ivr.twilio_http"]`, so no request leaves the machine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)
HTTP_TIMEOUT_SECONDS = 5.0
NOT_FOUND = 404


def client() -> Client | None:
    """A REST client for the configured account, or None when there is none."""
    account = current_app.config.get("TWILIO_ACCOUNT_SID")
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not account or not token:
        return None
    http = current_app.extensions.get("ivr.twilio_http") or TwilioHttpClient(
        timeout=HTTP_TIMEOUT_SECONDS)
    return Client(account, token, http_client=http)


def delete_recordings(sids: Iterable[str]) -> int:
    """Delete recordings on the platform; how many are gone (already gone counts)."""
    rest = client()
    if rest is None:
        return 0
    deleted = 0
    for sid in sids:
        try:
            rest.recordings(sid).delete()
        except TwilioRestException as error:
            if error.status != NOT_FOUND:
                log.warning("recording %s not deleted: HTTP %s", sid, error.status)
                continue
        except (TwilioException, OSError) as error:
            log.warning("recording %s not deleted: %s", sid, type(error).__name__)
            continue
        deleted += 1
    return deleted
