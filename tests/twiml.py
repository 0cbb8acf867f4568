"""Checks every TwiML document the tests receive against Twilio's schema."""

from __future__ import annotations

import functools
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

SHARED = Path(__file__).resolve().parents[2] / "shared" / "twiml-xsd"
ENTRY = SHARED / "twiml_v20100401_twilioRealtimeCallSchema.xsd"
LOCAL_XML_XSD = Path(__file__).resolve().parent / "data" / "xml.xsd"


@functools.cache
def schema() -> xmlschema.XMLSchema | None:
    if not ENTRY.is_file():
        warnings.warn(
            f"TwiML schema not found at {ENTRY}: documents are parsed, not validated", stacklevel=1
        )
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xmlschema.XMLSchema(
            str(ENTRY), locations=[("http://www.w3.org/XML/1998/namespace", str(LOCAL_XML_XSD))]
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
