"""The OpenAPI document is valid, covers every route, and the API keeps to it
under generated requests (schemathesis)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ivr import create_app
from ivr.openapi import document
from store.apikeys import create_api_key
from store.lines import add_line
from tests.helpers import AUTH_TOKEN, HOME

PREFIX = "/api/v1"


def test_the_document_is_valid_openapi(client):
    validate(document())
    assert client.get(f"{PREFIX}/openapi.json").get_json() == document()


def test_the_document_names_every_route_and_method(app):
    documented = {
        (f"{PREFIX}{path}", method.upper())
        for path, item in document()["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = {
        (rule.rule.replace("<number>", "{number}"), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX)
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    served.discard((f"{PREFIX}/openapi.json", "GET"))
    assert documented == served


@pytest.fixture(scope="module")
def served_api(databases):
    """One app on its own database, with a line and a key, for the generated requests."""
    url = databases.create()
    app = create_app(
        {
            "TESTING": True,
            "IVR_DATABASE_URL": url,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "IVR_SECRET_KEY": "k",
            "IVR_PIN_PEPPER": "p",
            "IVR_BCRYPT_ROUNDS": 4,
        }
    )
    with app.extensions["ivr.sessions"]() as session:
        add_line(session, HOME, region="FR", language="en", customer_number="100200300")
        key = create_api_key(
            session, b"p", "schemathesis", actor="test", now=app.config["IVR_CLOCK"]()
        )
        session.commit()
    yield app, key
    app.extensions["ivr.engine"].dispose()
    databases.drop(url)


OPERATIONS = sorted(
    (path, method.upper())
    for path, item in document()["paths"].items()
    for method in item
    if method != "parameters"
)


@pytest.fixture(scope="module")
def api_schema(served_api):
    app, _ = served_api
    return schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", app)


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_the_api_keeps_to_its_document(api_schema, served_api, path, method):
    """Generated requests: never a 500, only documented statuses, bodies and types."""
    _, key = served_api
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def conforms(case: Any) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {key}"},
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ],
        )

    conforms()
