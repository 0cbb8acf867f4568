"""Recordings and text messages on the platform, through its REST API (ivr/platforms).

Without API credentials nothing is deleted remotely (the platform's own
retention applies) and nothing can be fetched or sent. Which credentials
each platform needs: docs/platforms/.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ivr.platforms import PlatformError, current

__all__ = ["PlatformError", "delete_recordings", "fetch_recording", "has_api", "send_sms"]
log = logging.getLogger(__name__)


def has_api() -> bool:
    """Whether the platform's REST API can be reached with the configured credentials."""
    return current().has_api()


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
    """The recording's audio and content type, verified (status, type, length)."""
    return current().fetch_recording(url)


def send_sms(to: str, body: str) -> str:
    """Send a text message from IVR_SMS_FROM; the platform's id for it."""
    return current().send_sms(to, body)
