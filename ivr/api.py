"""The JSON API (SPEC §5): provision lines, read their state, manage service PINs.

Every request but the OpenAPI document needs `Authorization: Bearer <key>`
(`flask ivr create-api-key NAME`). Every error is JSON
`{"error": code, "detail": message}` with a 4xx status; bodies are small
JSON objects (16 KiB at most, refused unread above: ivr/limits.py) checked
field by field before anything changes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NoReturn
from urllib.parse import quote

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ivr.database import db
from ivr.doors import InvalidNumber, NoSuchLine, actor, hasher, line_named, now
from ivr.openapi import document
from store import apikeys, codes, greetings, pins
from store.lines import DuplicateLine, add_line
from store.messages import message_counts
from store.models import Line
from store.text import InvalidText, plain_text

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Any string field, before its own rules: no field of this API is longer.
MAX_FIELD = 254


class ApiError(Exception):
    """An answer with a 4xx status and a JSON error body."""

    def __init__(self, status: int, error: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.extra = status, error, detail, extra


def fail(status: int, error: str, detail: str, **extra: Any) -> NoReturn:
    raise ApiError(status, error, detail, **extra)


def _error(status: int, error: str, detail: str, **extra: Any) -> Response:
    answer = jsonify({"error": error, "detail": detail, **extra})
    answer.status_code = status
    if status == 401:
        answer.headers["WWW-Authenticate"] = 'Bearer realm="ivr"'
    return answer


@bp.errorhandler(ApiError)
def answer_api_error(error: ApiError) -> Response:
    return _error(error.status, error.error, error.detail, **error.extra)


@bp.app_errorhandler(HTTPException)
@bp.errorhandler(HTTPException)
def answer_http_error(error: HTTPException) -> Response | HTTPException:
    """JSON for HTTP errors under /api/ (unknown paths, wrong methods, large bodies)."""
    if not request.path.startswith(bp.url_prefix or "/api/v1"):
        return error
    code = (error.name or "error").lower().replace(" ", "_")
    answer = _error(error.code or 500, code, error.description or error.name)
    if error.code == 405 and error.valid_methods:  # type: ignore[attr-defined]
        answer.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return answer


@bp.errorhandler(Exception)
def answer_unexpected(error: Exception) -> Response:
    log.exception("API request %s %s failed", request.method, request.path)
    db().rollback()
    return _error(500, "internal_error", "the request could not be completed")


@bp.before_request
def authenticate() -> None:
    """Every endpoint but the OpenAPI document needs a live bearer key."""
    if request.endpoint == "api.openapi":
        return
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        fail(401, "unauthorized", "send the header Authorization: Bearer <API key>")
    pepper = hasher().pepper
    key = apikeys.find_api_key(db(), pepper, presented)
    if key is None:
        fail(401, "unauthorized", "unknown API key")
    if key.revoked_at is not None:
        fail(403, "forbidden", "this API key has been revoked")
    g.actor = f"api:{key.name}"


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


# -- reading requests --------------------------------------------------------


def json_body(spec: Mapping[str, bool], *, optional_body: bool = False) -> dict[str, Any]:
    """The request's JSON object, with only the fields in `spec` (name: required).

    Every field is a string (or null when optional). An empty body is an
    empty object when `optional_body`.
    """
    raw = request.get_data(cache=True)
    data: Any = {} if not raw and optional_body else _parsed(raw)
    if not isinstance(data, dict):
        fail(422, "invalid_body", "the body must be a JSON object")
    unknown = sorted(set(data) - set(spec))
    if unknown:
        fail(422, "invalid_body", f"unknown field(s): {', '.join(unknown)}")
    for name, required in spec.items():
        _check_field(name, data.get(name), required=required)
    return data


def _parsed(raw: bytes) -> Any:
    if request.mimetype != "application/json":
        fail(415, "unsupported_media_type", "send a JSON body (Content-Type: application/json)")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        fail(400, "invalid_json", "the body is not valid JSON")


def _check_field(name: str, value: object, *, required: bool) -> None:
    if value is None:
        if required:
            fail(422, "invalid_body", f"the field {name!r} is required")
    elif not isinstance(value, str):
        fail(422, "invalid_body", f"the field {name!r} must be a string")
    else:
        try:
            plain_text(value, name, max_length=MAX_FIELD)
        except InvalidText as error:
            fail(422, "invalid_body", str(error))


def _line(number: str) -> Line:
    """The line named in the path, in any form phonenumbers reads."""
    try:
        return line_named(db(), number)
    except InvalidNumber as error:
        fail(400, "invalid_number", str(error))
    except NoSuchLine as missing:
        fail(404, "not_found", str(missing))


# -- answering -----------------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def line_state(line: Line, at: datetime) -> dict[str, Any]:
    """What a client may know of a line: state, never a secret."""
    box = line.mailbox
    locked = codes.is_locked(box, at, current_app.config["IVR_LOCKOUT_SECONDS"])
    pin = pins.pin_state(line, at)
    return {
        "number": line.number,
        "customer_number": line.customer_number,
        "language": line.language,
        "email": line.email,
        "notify": {"choice": line.notify, "mobile": line.mobile},
        "mailbox": {
            "code_set": box.has_code,
            "strikes": box.strikes,
            "locked": locked,
            "locked_since": _time(box.locked_at) if locked else None,
            "messages": message_counts(db(), line.id),
            "greetings": {
                "kinds_active": greetings.kinds_active(box, at),
                "away_until": _time(box.away_until) if greetings.away_active(box, at) else None,
            },
        },
        "service_pin": {
            "permanent_active": pin.permanent_active,
            "temporary_active": pin.temporary_expires_at is not None,
            "temporary_expires_at": _time(pin.temporary_expires_at),
            "kinds_active": pin.kinds,
            "failures": pin.failures,
            "locked": pin.locked,
        },
    }


def _state_answer(line: Line, status: int = 200) -> Response:
    answer = jsonify(line_state(line, now()))
    answer.status_code = status
    return answer


# -- endpoints -------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of this API."""
    return jsonify(document())


@bp.post("/lines")
def provision_line() -> Response:
    """Provision a line and its empty mailbox."""
    data = json_body({"number": True, "customer_number": False, "language": False, "email": False})
    session = db()
    try:
        line = add_line(
            session,
            data["number"],
            region=current_app.config["IVR_DEFAULT_REGION"],
            language=data.get("language") or current_app.config["IVR_DEFAULT_LANGUAGE"],
            customer_number=data.get("customer_number"),
            email=data.get("email"),
        )
    except InvalidNumber as error:
        fail(422, "invalid_number", str(error))
    except InvalidText as error:
        fail(422, "invalid_body", str(error))
    except DuplicateLine as error:
        fail(409, "conflict", str(error))
    answer = _state_answer(line, 201)
    answer.headers["Location"] = f"{bp.url_prefix}/lines/{quote(line.number, safe='')}"
    return answer


@bp.get("/lines/<number>")
def read_line(number: str) -> Response:
    """A line's state."""
    return _state_answer(_line(number))


@bp.put("/lines/<number>/service-pin")
def set_service_pin(number: str) -> Response:
    """Set the permanent service PIN; a weak PIN is refused with the reason."""
    data = json_body({"pin": True})
    line = _line(number)
    session = db()
    try:
        pins.set_permanent_pin(session, hasher(), line, data["pin"], actor=actor(), now=now())
    except pins.PinRefused as refused:
        fail(422, "pin_refused", str(refused), reason=refused.reason)
    return _state_answer(line)


@bp.post("/lines/<number>/service-pin/temporary")
def issue_temporary_pin(number: str) -> Response:
    """Issue a temporary PIN, replacing any other, and return it this once."""
    json_body({}, optional_body=True)
    line = _line(number)
    session = db()
    issued = pins.issue_temporary_pin(
        session,
        hasher(),
        line,
        actor=actor(),
        now=now(),
        ttl_seconds=current_app.config["IVR_TEMP_PIN_SECONDS"],
    )
    answer = jsonify({"pin": issued.pin, "expires_at": _time(issued.expires_at)})
    answer.status_code = 201
    return answer


@bp.post("/lines/<number>/credential-reset")
def credential_reset(number: str) -> Response:
    """The account's password was reset: the permanent PIN stops working."""
    json_body({}, optional_body=True)
    line = _line(number)
    session = db()
    pins.credential_reset(session, line, actor=actor(), now=now())
    return _state_answer(line)
