"""The one signature check every webhook goes through."""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlparse

from flask import abort, current_app, request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    add_port,
    get_signature_algorithm,
    remove_port,
)
from werkzeug.datastructures import Headers

log = logging.getLogger(__name__)


def is_signed() -> bool:
    """Whether this request carries the platform's valid signature for its URL and form."""
    return verify(request.url, request.form, request.headers,
                  token=current_app.config.get("TWILIO_AUTH_TOKEN"))


def verify(url: str, form: Mapping[str, Any], headers: Mapping[str, str] | Headers, *,
           token: str | None) -> bool:
    """Whether `form` posted to `url` with `headers` is signed by the platform (no Flask needed).

    The same check as the validator's `validate`, which accepts the URL signed
    without its port or with it: the usual form is tried first, so a genuine
    request costs one HMAC instead of two.
    """
    if not token:
        log.error("TWILIO_AUTH_TOKEN is not set: refusing every webhook")
        return False
    signature = headers.get(SIGNATURE_HEADER)
    if not signature:
        return False
    algorithm = get_signature_algorithm(headers.get(SIGNATURE_SETTINGS_HEADER))
    validator, params = RequestValidator(token), _Params(form)
    parsed = urlparse(url)
    try:
        return any(
            hmac.compare_digest(validator.compute_signature(variant, params, algorithm).encode(),
                                signature.encode())
            for variant in (remove_port(parsed), add_port(parsed))
        )
    except ValueError:  # an algorithm the validator does not know: it refuses, and logs why
        return bool(validator.validate(url, form, signature, algorithm))


class _Params(dict[str, list[str]]):
    """The form as the validator reads it (`getall`), each value list built once."""

    def __init__(self, form: Mapping[str, Any]) -> None:
        getlist = getattr(form, "getlist", None)
        super().__init__((name, getlist(name) if getlist else [form[name]]) for name in form)

    def getall(self, name: str) -> list[str]:
        return self[name]


def signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403, nothing changed) a webhook without a valid signature."""

    @functools.wraps(view)
    def check(*args: Any, **kwargs: Any) -> Any:
        if not is_signed():
            log.warning("refused unsigned or wrongly signed request to %s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return check
