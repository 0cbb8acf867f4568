"""Recordings on the platform, through its REST API (ivr/platforms) when configured.

Without API credentials nothing is deleted remotely (the platform's own
retention applies). Which credentials each platform needs: docs/platforms/.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ivr.platforms import PlatformError, current

log = logging.getLogger(__name__)


def delete_recordings(sids: Iterable[str]) -> int:
    """Delete recordings on the platform; how many are gone (already gone counts)."""
    platform = current()
    if not platform.has_api():
        return 0
    deleted = 0
    for sid in sids:
        try:
            platform.delete_recording(sid)
        except PlatformError as error:
            log.warning("recording %s not deleted: %s", sid, error)
            continue
        deleted += 1
    return deleted


def fetch_recording(url: str) -> tuple[bytes, str]:
    """A recording's audio and content type, fetched from the platform (PlatformError if not)."""
    return current().fetch_recording(url)


def send_sms(to: str, body: str) -> str:
    """Send a text message from IVR_SMS_FROM; the platform's id for it (PlatformError if not)."""
    return current().send_sms(to, body)
