"""The OpenAPI 3 description of the JSON API, served at /api/v1/openapi.json.

tests/test_api_schema.py validates it and fuzzes the API against it, so it
stays true to ivr/api.py.
"""

from __future__ import annotations

from typing import Any

from ivr.limits import KIB, limit_for
from store.lines import LANGUAGES, MAX_CUSTOMER_NUMBER, MAX_NUMBER_TEXT
from store.text import MAX_EMAIL

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref("Error")}}}


def _ok(description: str, schema: str, **headers: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": _ref(schema)}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def _body(schema: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": _ref(schema)}}}


AUTH_ERRORS = {
    "401": _error("No API key, or an unknown one"),
    "403": _error("The API key has been revoked"),
}
BODY_ERRORS = {
    "400": _error("The body is not valid JSON, or the line number is not a phone number"),
    "413": _error(f"The body is larger than {limit_for('/api/') // KIB} KiB"),
    "415": _error("The body is not sent as application/json"),
    "422": _error(
        "The body is not an object of the documented fields and types, or a field "
        "breaks its rules: plain text (no control characters, no lone surrogates), "
        "lengths, one valid e-mail address"
    ),
}
LINE_ERRORS = {
    "400": _error("The line number is not a phone number"),
    "404": _error("No such line"),
}

NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "description": "The line's number in any form phonenumbers reads "
    "(E.164 with the + URL-encoded as %2B, or national form)",
    "schema": {"type": "string", "minLength": 1},
}

NULLABLE_STRING = {"type": ["string", "null"]}
DATE_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {
            "error": {"type": "string", "description": "A stable code, e.g. pin_refused"},
            "detail": {"type": "string", "description": "What went wrong, for people"},
            "reason": {"type": "string", "description": "Why a PIN was refused"},
        },
    },
    "NewLine": {
        "type": "object",
        "required": ["number"],
        "additionalProperties": False,
        "properties": {
            "number": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_NUMBER_TEXT,
                "description": "Any form phonenumbers reads",
            },
            "customer_number": {
                **NULLABLE_STRING,
                "pattern": f"^[0-9]{{1,{MAX_CUSTOMER_NUMBER}}}$",
                "description": "Digits the caller types",
            },
            "language": {"type": ["string", "null"], "enum": [*LANGUAGES, None]},
            "email": {
                **NULLABLE_STRING,
                "format": "email",
                "maxLength": MAX_EMAIL,
                "description": "Exactly one address; stored normalised "
                "(email-validator, no DNS lookup)",
            },
        },
    },
    "ServicePin": {
        "type": "object",
        "required": ["pin"],
        "additionalProperties": False,
        "properties": {"pin": {"type": "string", "description": "4 to 8 digits, not weak"}},
    },
    "Notify": {
        "type": "object",
        "required": ["notify"],
        "additionalProperties": False,
        "properties": {
            "notify": {"type": "string", "enum": ["none", "email", "email+audio", "sms"]},
            "mobile": {**NULLABLE_STRING, "description": 'Where texts go ("" forgets it)'},
        },
    },
    "Empty": {"type": "object", "additionalProperties": False, "properties": {}},
    "TemporaryPin": {
        "type": "object",
        "required": ["pin", "expires_at"],
        "properties": {
            "pin": {"type": "string", "pattern": "^[0-9]{6}$"},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    },
    "LineState": {
        "type": "object",
        "required": ["number", "customer_number", "language", "email", "mailbox", "service_pin"],
        "properties": {
            "number": {"type": "string", "description": "E.164"},
            "customer_number": NULLABLE_STRING,
            "language": {"type": "string", "enum": list(LANGUAGES)},
            "email": NULLABLE_STRING,
            "notify": {
                "type": "object",
                "required": ["choice", "mobile"],
                "properties": {
                    "choice": {"type": "string", "enum": ["none", "email", "email+audio", "sms"]},
                    "mobile": NULLABLE_STRING,
                },
            },
            "mailbox": {
                "type": "object",
                "required": [
                    "code_set",
                    "strikes",
                    "locked",
                    "locked_since",
                    "messages",
                    "greetings",
                ],
                "properties": {
                    "code_set": {"type": "boolean"},
                    "strikes": {"type": "integer", "minimum": 0},
                    "locked": {"type": "boolean"},
                    "locked_since": DATE_TIME_OR_NULL,
                    "messages": {
                        "type": "object",
                        "required": ["new", "saved", "urgent"],
                        "properties": {
                            "new": {"type": "integer", "minimum": 0},
                            "saved": {"type": "integer", "minimum": 0},
                            "urgent": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "new messages marked urgent",
                            },
                        },
                    },
                    "greetings": {
                        "type": "object",
                        "required": ["kinds_active", "away_until"],
                        "properties": {
                            "kinds_active": {
                                "type": "array",
                                "items": {"type": "string", "enum": ["personal", "name", "away"]},
                            },
                            "away_until": DATE_TIME_OR_NULL,
                        },
                    },
                },
            },
            "service_pin": {
                "type": "object",
                "required": [
                    "permanent_active",
                    "temporary_active",
                    "temporary_expires_at",
                    "kinds_active",
                    "failures",
                    "locked",
                ],
                "properties": {
                    "permanent_active": {"type": "boolean"},
                    "temporary_active": {"type": "boolean"},
                    "temporary_expires_at": DATE_TIME_OR_NULL,
                    "kinds_active": {
                        "type": "array",
                        "items": {"type": "string", "enum": ["permanent", "temporary"]},
                    },
                    "failures": {"type": "integer", "minimum": 0},
                    "locked": {"type": "boolean"},
                },
            },
        },
    },
}


def _operation(summary: str, responses: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {**responses, **AUTH_ERRORS}, **more}


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    line_path = "/lines/{number}"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Voicemail IVR account API",
            "version": "1.0.0",
            "description": "Provision lines, read their state and manage service PINs. "
            "Errors are JSON {error, detail}.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "flask ivr create-api-key NAME",
                }
            },
            "schemas": SCHEMAS,
        },
        "paths": {
            "/lines": {
                "post": _operation(
                    "Provision a line",
                    {
                        "201": _ok(
                            "The new line", "LineState", Location={"schema": {"type": "string"}}
                        ),
                        **BODY_ERRORS,
                        "409": _error("The number or the customer number is already provisioned"),
                    },
                    requestBody=_body("NewLine"),
                )
            },
            line_path: {
                "parameters": [NUMBER],
                "get": _operation(
                    "A line's state (never a secret)",
                    {"200": _ok("The line", "LineState"), **LINE_ERRORS},
                ),
            },
            f"{line_path}/service-pin": {
                "parameters": [NUMBER],
                "put": _operation(
                    "Set the permanent service PIN",
                    {"200": _ok("The line, PIN set", "LineState"), **BODY_ERRORS, **LINE_ERRORS},
                    requestBody=_body("ServicePin"),
                ),
            },
            f"{line_path}/service-pin/temporary": {
                "parameters": [NUMBER],
                "post": _operation(
                    "Issue a temporary service PIN (returned this once)",
                    {
                        "201": _ok("The PIN and its expiry", "TemporaryPin"),
                        **BODY_ERRORS,
                        **LINE_ERRORS,
                    },
                    requestBody=_body("Empty", required=False),
                ),
            },
            f"{line_path}/notify": {
                "parameters": [NUMBER],
                "put": _operation(
                    "Choose the new-message notice: none, email, email+audio or sms",
                    {"200": _ok("The line", "LineState"), **BODY_ERRORS, **LINE_ERRORS},
                    requestBody=_body("Notify"),
                ),
            },
            f"{line_path}/credential-reset": {
                "parameters": [NUMBER],
                "post": _operation(
                    "The account's password was reset: disable the permanent PIN",
                    {"200": _ok("The line", "LineState"), **BODY_ERRORS, **LINE_ERRORS},
                    requestBody=_body("Empty", required=False),
                ),
            },
        },
    }
