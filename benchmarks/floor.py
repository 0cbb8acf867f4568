"""The floor: a bare Flask app answering every POST with one fixed TwiML menu.

Served by the same gunicorn settings as the real app, it is what a step
would cost if the IVR did no work at all: HTTP, WSGI, Flask and the XML.
"""

from __future__ import annotations

from flask import Flask, Response

MENU = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/voice/step/1" input="dtmf" method="POST" numDigits="1" timeout="6">'
    '<Say language="en-GB" voice="Polly.Amy">To listen to your messages, press 1. '
    "To customise your voicemail, press 2.</Say></Gather>"
    '<Redirect method="POST">/voice/step/1</Redirect></Response>'
)

app = Flask(__name__)


@app.post("/voice/<path:_anything>")
def answer(_anything: str) -> Response:
    """The same document for every step."""
    return Response(MENU, mimetype="text/xml")
