"""Plain keys answered before Flask: the same step function, without the framework around it.

Most webhooks are a key pressed at a menu that runs no operation. For those,
Flask's request and response objects, routing and hooks cost as much as the
step itself, so this WSGI middleware answers them by calling the same step
function (`ivr.steps.answer_press`) after the same signature check, within
the same deadline, with the same log line and metrics, and the same apology
if anything fails. Whatever is not a plain key (another path, no or a bad
signature or CallSid, a key that runs an operation or puts the call
through, a retry, a stale or ended call, a lost race) goes on to Flask with
the body handed back, nothing having changed.
"""

from __future__ import annotations

import io
import re
import string
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import EnvironHeaders, MultiDict
from werkzeug.wsgi import get_current_url

from ivr import voice
from ivr.database import deadline
from ivr.observability import Notes, record
from ivr.signature import verify
from ivr.steps import IDEMPOTENCY_HEADER, SEEN, Deferred, Press, answer_press, valid_sid
from store.calls import own_connection

ENDPOINT = "voice.step"  # the Flask view these requests would reach
STEP_PATH = re.compile(r"/voice/step/([0-9]{1,9})")
FORM = "application/x-www-form-urlencoded"
MAX_BODY = 64 * 1024  # a platform's form is a few hundred bytes
# A mount point made of these needs no escaping in a URL or in XML.
PLAIN_ROOT = frozenset(string.ascii_letters + string.digits + "/-._")
PLAIN_HOST = frozenset(string.ascii_lowercase + string.digits + ".-:")
DEFAULT_PORTS = {"http": ":80", "https": ":443"}
HEADERS = [("Content-Type", "text/xml; charset=utf-8")]

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class PlainKeys:
    """WSGI middleware in front of the app's own WSGI callable."""

    def __init__(
        self, app: Flask, flask: Callable[[Environ, StartResponse], Iterable[bytes]]
    ) -> None:
        self.app = app
        self.flask = flask

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        answer = self.answer(environ)
        if answer is None:
            return self.flask(environ, start_response)
        body = answer.encode()
        start_response("200 OK", [*HEADERS, ("Content-Length", str(len(body)))])
        return [body]

    def answer(self, environ: Environ) -> str | None:
        """The TwiML for a plain key, or None to let Flask answer."""
        match = STEP_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or environ.get("REQUEST_METHOD") != "POST":
            return None
        root = environ.get("SCRIPT_NAME", "")
        if environ.get("CONTENT_TYPE", "").partition(";")[
            0
        ].strip().lower() != FORM or not PLAIN_ROOT.issuperset(root):
            return None
        started = time.perf_counter()
        form = _form(environ)
        sid = valid_sid(form.get("CallSid", "")) if form is not None else None
        if form is None or sid is None:
            return None
        headers = EnvironHeaders(environ)
        config = self.app.config
        if not verify(
            request_url(environ),
            form,
            headers,
            environ["wsgi.input"].getvalue(),
            platform=self.app.extensions["ivr.platform"],
        ):
            return None  # Flask refuses it, and logs why
        pressed = Press(sid, int(match[1]), form, headers.get(IDEMPOTENCY_HEADER), root)
        noted = Notes()
        runs = self.app.extensions["ivr.phone"]
        connection = own_connection(self.app.extensions["ivr.engine"])
        try:
            with deadline(config["IVR_REQUEST_BUDGET"]):
                answer = answer_press(None, runs, pressed, noted, plain=connection)
        except Deferred as deferred:
            environ[SEEN] = deferred.seen
            return None
        except Exception as error:
            if isinstance(error, DBAPIError) and error.connection_invalidated:
                return None  # a connection the server had closed: Flask's path tries once more
            # Closing undoes it: the pool rolls back what a connection gives back.
            answer = voice.apologise(connection.close, environ["PATH_INFO"], runs.default_language)
        finally:
            connection.close()
        record(
            "POST",
            environ["PATH_INFO"],
            form.get("CallSid"),
            noted,
            200,
            time.perf_counter() - started,
            ENDPOINT,
        )
        return answer


def request_url(environ: Environ) -> str:
    """The request's URL as werkzeug gives it (`request.url`), built directly for a plain host."""
    host, scheme = environ.get("HTTP_HOST", ""), environ.get("wsgi.url_scheme")
    if (
        not PLAIN_HOST.issuperset(host)
        or "xn--" in host
        or environ.get("QUERY_STRING")
        or scheme not in DEFAULT_PORTS
        or not host
    ):
        return get_current_url(environ)
    host = host.removesuffix(DEFAULT_PORTS[scheme])
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '').rstrip('/')}{environ['PATH_INFO']}"


def _form(environ: Environ) -> MultiDict[str, str] | None:
    """The posted form, parsed as werkzeug parses it; the body is put back for Flask."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return None
    return MultiDict(parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"))
