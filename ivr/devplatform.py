"""Development only: the platform's recording API, played by the dev server itself.

`./dev serve` has no platform behind it, so the console phone's recordings
point here (`/dev/platform/...`, the path Twilio uses) and the worker fetches
them with the development API key pair, as it would from the platform: a
two-second tone, a real WAV. Registered only when IVR_DEVELOPMENT is set
(instance/development.env exists), never in production.
"""

from __future__ import annotations

import hmac
import io
import math
import struct
import wave

from flask import Blueprint, Flask, Response, abort, current_app, request

bp = Blueprint("devplatform", __name__, url_prefix="/dev/platform")
PATH = "/2010-04-01/Accounts/<account>/Recordings/<sid>"


def tone(seconds: float = 2.0, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV of a 440 Hz tone."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(
            b"".join(
                struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * n / rate)))
                for n in range(int(seconds * rate))
            )
        )
    return out.getvalue()


@bp.get(PATH)
def recording(account: str, sid: str) -> Response:
    """The recording's audio, for the development API key pair only."""
    key, secret = (
        current_app.config.get("TWILIO_API_KEY"),
        current_app.config.get("TWILIO_API_SECRET"),
    )
    auth = request.authorization
    if not (
        key
        and secret
        and auth
        and auth.username == key
        and hmac.compare_digest((auth.password or "").encode(), secret.encode())
    ):
        abort(401)
    if not sid.startswith("RE") or not sid.isalnum():
        abort(404)
    return Response(tone(), mimetype="audio/x-wav")


def init_app(app: Flask) -> None:
    if app.config.get("IVR_DEVELOPMENT"):
        app.register_blueprint(bp)
