"""The one signature check every webhook goes through."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

log = logging.getLogger(__name__)


def is_signed() -> bool:
    """Whether this request carries the platform's valid signature for its URL and form."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not token:
        log.error("TWILIO_AUTH_TOKEN is not set: refusing every webhook")
        return False
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    return bool(RequestValidator(token).validate(request.url, request.form, signature, algorithm))


def signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403, nothing changed) a webhook without a valid signature."""

    @functools.wraps(view)
    def check(*args: Any, **kwargs: Any) -> Any:
        if not is_signed():
            log.warning("refused unsigned or wrongly signed request to %s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return check
