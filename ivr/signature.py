"""The one signature check every webhook goes through, whatever the platform.

`verify` needs no Flask request (a WSGI-level path can call it with the
raw body); `signed` wraps a Flask view: it refuses (403, nothing changed) a
request the configured platform did not sign, then hands the view the
request's parameters in Twilio's vocabulary (see ivr/platforms).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, cast

from flask import abort, request
from werkzeug.datastructures import ImmutableMultiDict

from ivr.platforms import Headers, Platform, current

log = logging.getLogger(__name__)


def verify(
    url: str,
    form: Mapping[str, str],
    headers: Headers,
    body: bytes = b"",
    platform: Platform | None = None,
) -> bool:
    """Whether the request is signed by `platform` (default: the current app's)."""
    return (platform or current()).verify(url, form, headers, body)


def signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403, nothing changed) a webhook without a valid signature."""

    @functools.wraps(view)
    def check(*args: Any, **kwargs: Any) -> Any:
        platform = current()
        body = request.get_data(cache=True)
        if not platform.verify(request.url, request.form, request.headers, body):
            log.warning("refused unsigned or wrongly signed request to %s", request.path)
            abort(403)
        translated = platform.inbound(request.form)
        if translated is not None:
            # Where werkzeug keeps the parsed form: every later read sees the translation.
            parsed = cast(Any, request)._get_current_object().__dict__
            parsed["form"] = ImmutableMultiDict(translated)
        return view(*args, **kwargs)

    return check
