"""Checks every TwiML document the tests receive against Twilio's schema.

The schema is Twilio's published XSD, kept outside the repository in
`../shared/twiml-xsd` (or the folder `IVR_TEST_TWIML_XSD` names). Without it
answers are only parsed: the run warns, and under `CI=true` it fails.
"""

from __future__ import annotations

import functools
import os
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import xmlschema

SHARED = Path(__file__).resolve().parents[2] / "shared" / "twiml-xsd"
ENTRY_NAME = "twiml_v20100401_twilioRealtimeCallSchema.xsd"
LOCAL_XML_XSD = Path(__file__).resolve().parent / "data" / "xml.xsd"


def entry(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the schema's entry point is looked for."""
    return Path(environ.get("IVR_TEST_TWIML_XSD") or SHARED) / ENTRY_NAME


def missing(environ: Mapping[str, str] = os.environ) -> str | None:
    """Why answers cannot be validated and how to fix it, or None when they can."""
    where = entry(environ)
    if where.is_file():
        return None
    return (
        f"TwiML schema not found at {where}: answers are parsed, not validated. "
        "Copy twiml_generator/xsd/ from github.com/TwilioDevEd/twiml-generator "
        f"into {where.parent} (or set IVR_TEST_TWIML_XSD to a folder holding {ENTRY_NAME})."
    )


def required(environ: Mapping[str, str] = os.environ) -> bool:
    """In CI the schema must be there: a missing one fails the run instead of warning."""
    return environ.get("CI", "").lower() in ("true", "1")


@functools.cache
def schema() -> xmlschema.XMLSchema | None:
    if missing() is not None:
        return None  # conftest.py has warned, or failed the run under CI=true
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xmlschema.XMLSchema(
            str(entry()), locations=[("http://www.w3.org/XML/1998/namespace", str(LOCAL_XML_XSD))]
        )


def check(body: str) -> ET.Element:
    """Parse a webhook answer; it must be a valid TwiML <Response>."""
    document = ET.fromstring(body)
    assert document.tag == "Response", f"root is <{document.tag}>"
    validator = schema()
    if validator is not None:
        errors = list(validator.iter_errors(body))
        assert not errors, f"invalid TwiML: {errors[0].reason} in {body}"
    return document
