"""A console phone: places a call against the app as the platform would.

It signs every request as its platform does (Twilio, SignalWire or Telnyx:
ivr/platforms/caller.py), speaks that platform's dialect, follows the TwiML
(<Say>, <Play>, <Gather>, <Redirect>, <Record>, <Dial>, <Hangup>), and
keeps what was said. A `recording` hook stands in for the caller speaking
at a <Record>; like the platform, the phone then posts the recording status
callback, after the call's `completed` status (the usual order). The CLI's
`flask ivr call` and the tests use it, either in-process (Flask test client)
or over HTTP against a running server.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlencode, urljoin

import requests

from ivr.platforms import build
from ivr.platforms.caller import IDEMPOTENCY_HEADER, SIDES, TWILIO_ACCOUNT, TwilioSide

__all__ = ["IDEMPOTENCY_HEADER"]
ACCOUNT_SID = TWILIO_ACCOUNT
FORM = "application/x-www-form-urlencoded"


def encoded(form: Mapping[str, str]) -> bytes:
    """A form as the bytes sent (and, for Telnyx, signed): the same bytes every time."""
    return urlencode(dict(form)).encode()


class Transport(Protocol):
    """Sends one signed POST (the form as `encoded` writes it) and returns (status, body)."""

    base_url: str

    def post(
        self, url: str, form: Mapping[str, str], headers: Mapping[str, str]
    ) -> tuple[int, str]: ...


class CallFailed(RuntimeError):
    """The server answered something the platform would not accept, or nothing at all."""


class HttpTransport:
    """Posts to a running server; a server that cannot be reached is a CallFailed."""

    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.http = requests.Session()

    def post(
        self, url: str, form: Mapping[str, str], headers: Mapping[str, str]
    ) -> tuple[int, str]:
        try:
            answer = self.http.post(
                url,
                data=encoded(form),
                timeout=self.timeout,
                headers={"Content-Type": FORM, **headers},
            )
        except requests.Timeout:
            raise CallFailed(
                f"{url} did not answer within {self.timeout:g} s (the platform gives up too)"
            ) from None
        except requests.RequestException as error:
            raise CallFailed(
                f"cannot reach {self.base_url} ({type(error).__name__}): "
                "is the server running there (./dev serve), and is --url its address?"
            ) from None
        return answer.status_code, answer.text


@dataclass
class Waiting:
    """A <Gather> waiting for keys, and the verbs to run on silence."""

    action: str
    num_digits: int | None
    finish_on_key: str
    after: list[ET.Element]


@dataclass
class PhoneCall:
    """One call: what was said, what is awaited, whether it has ended."""

    transport: Transport
    token: str
    caller: str
    called: str
    extra: dict[str, str] = field(default_factory=dict)
    sid: str = ""  # the platform's CallSid; a new one in the platform's form by default
    on_say: Callable[[str], None] | None = None
    said: list[str] = field(default_factory=list)
    documents: list[ET.Element] = field(default_factory=list)
    dialled: list[str] = field(default_factory=list)
    waiting: Waiting | None = None
    ended: bool = False
    last_request: tuple[str, dict[str, str], dict[str, str]] | None = None
    recording: Callable[[PhoneCall, ET.Element], dict[str, str]] | None = None
    recording_callbacks: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    platform: str = "twilio"
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if not self.sid:
            self.sid = self.side.call_sid()

    @property
    def side(self) -> TwilioSide:
        """How this call's platform names things and signs."""
        return SIDES[self.platform]

    @property
    def stored_sid(self) -> str:
        """The CallSid as the app stores it, once the platform adapter translated it."""
        translated = build({"IVR_PLATFORM": self.platform}).inbound({"CallSid": self.sid})
        return (translated or {}).get("CallSid", self.sid)

    # -- placing and driving the call -------------------------------------

    def dial(self, path: str) -> PhoneCall:
        """Place the call to an entry webhook (`/voice/access`, ...)."""
        self._fetch(path, {})
        return self

    def press(self, keys: str) -> PhoneCall:
        """Type keys at the waiting <Gather>; an empty string is silence."""
        waiting = self._awaited()
        digits = keys
        if waiting.finish_on_key and waiting.finish_on_key in keys:
            digits = keys.split(waiting.finish_on_key, 1)[0]
        elif waiting.num_digits:
            digits = keys[: waiting.num_digits]
        if not digits:
            return self.silence()
        self.waiting = None
        self._fetch(waiting.action, {"Digits": digits})
        return self

    def send_digits(self, digits: str | None) -> PhoneCall:
        """Post exactly this `Digits` value (None: no field) to the waiting action."""
        waiting = self._awaited()
        self.waiting = None
        self._fetch(waiting.action, {} if digits is None else {"Digits": digits})
        return self

    def silence(self) -> PhoneCall:
        """Say nothing: the platform goes on with the verbs after the <Gather>."""
        waiting = self._awaited()
        self.waiting = None
        self._run(waiting.after)
        return self

    def hang_up(self, status: str = "completed") -> PhoneCall:
        """End the call and send the status callback."""
        self.ended = True
        self.waiting = None
        self.post("/voice/status", {"CallStatus": status})
        self.deliver_recordings()
        return self

    def deliver_recordings(self) -> PhoneCall:
        """Post the recording status callbacks still due."""
        while self.recording_callbacks:
            url, form = self.recording_callbacks.pop(0)
            self.post(url, form)
        return self

    def retry(self) -> tuple[int, str]:
        """Send the last request again, as the platform does after a timeout."""
        assert self.last_request is not None
        url, form, headers = self.last_request
        return self.transport.post(url, form, headers)

    # -- what the call heard ----------------------------------------------

    @property
    def last_said(self) -> str:
        return self.said[-1] if self.said else ""

    def heard(self, sentence: str) -> bool:
        """Whether any prompt said so far contains `sentence`."""
        return any(sentence in text for text in self.said)

    # -- the platform's side --------------------------------------------------

    def params(self) -> dict[str, str]:
        """The parameters the platform sends with every request of this call."""
        return {
            "CallSid": self.sid,
            "AccountSid": self.side.account,
            "From": self.caller,
            "To": self.called,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **self.extra,
        }

    def post(self, url: str, form: Mapping[str, str]) -> tuple[int, str]:
        """Sign and send one request of this call."""
        self.last_request = self.signed(url, form)
        return self.transport.post(*self.last_request)

    def signed(
        self, url: str, form: Mapping[str, str]
    ) -> tuple[str, dict[str, str], dict[str, str]]:
        """One request of this call, signed but not sent: (absolute URL, form, headers)."""
        absolute = urljoin(self.transport.base_url, url)
        fields = {**self.params(), **form}
        return (
            absolute,
            fields,
            self.side.sign(self.token, absolute, fields, encoded(fields), self.clock()),
        )

    def _awaited(self) -> Waiting:
        if self.waiting is None:
            raise CallFailed("no <Gather> is waiting for keys")
        return self.waiting

    def _fetch(self, url: str, form: Mapping[str, str]) -> None:
        status, body = self.post(url, form)
        if status != 200:
            raise CallFailed(f"{url} answered HTTP {status}")
        try:
            document = ET.fromstring(body)
        except ET.ParseError as error:
            raise CallFailed(f"{url} answered something that is not XML: {error}") from None
        if document.tag != "Response":
            raise CallFailed(f"{url} answered <{document.tag}>, not <Response>")
        self.documents.append(document)
        self._run(list(document))

    def _run(self, verbs: list[ET.Element]) -> None:
        for index, verb in enumerate(verbs):
            if self._follow(verb, verbs[index + 1 :]):
                return
        self.ended = True

    def _follow(self, verb: ET.Element, after: list[ET.Element]) -> bool:
        """Act on one verb; True when it hands the call on (waits, fetches or ends it)."""
        if verb.tag in ("Say", "Play"):
            self._speak(verb)
            return False
        if verb.tag == "Gather":
            for inner in verb:
                self._speak(inner)
            num = verb.get("numDigits")
            self.waiting = Waiting(
                action=verb.get("action") or "",
                num_digits=int(num) if num else None,
                finish_on_key=verb.get("finishOnKey", "#"),
                after=after,
            )
            return True
        if verb.tag == "Redirect":
            self._fetch(verb.text or "", {})
            return True
        if verb.tag == "Record" and self.recording is not None:
            return self._record(verb)
        if verb.tag == "Dial":
            self.dialled.append("".join(verb.itertext()).strip())
        elif verb.tag not in ("Hangup", "Reject"):
            return False
        self.ended = True
        return True

    def _record(self, verb: ET.Element) -> bool:
        assert self.recording is not None
        form = self.recording(self, verb)
        if not form.get("RecordingUrl"):
            return False  # nothing recorded: the platform goes on with the next verb
        callback = verb.get("recordingStatusCallback")
        if callback:
            self.recording_callbacks.append((callback, _status_of(form)))
        self._fetch(verb.get("action") or "", form)
        return True

    def _speak(self, verb: ET.Element) -> None:
        if verb.tag == "Say":
            self._say(verb.text or "")
        elif verb.tag == "Play":
            self._say(f"[recording {verb.text or ''}]")

    def _say(self, text: str) -> None:
        self.said.append(text)
        if self.on_say is not None:
            self.on_say(text)


def simulated_recording(
    seconds: int = 5, platform: str | None = None, *, finish: str = "#"
) -> Callable[[PhoneCall, ET.Element], dict[str, str]]:
    """A caller who speaks for `seconds` (capped by maxLength) then presses `finish`
    ("#"; "" for silence until the recording times out).

    The recording's URL is where the call's platform keeps it, or, given a
    `platform` base URL (the dev server's own, in development), in Twilio's
    path shape there.
    """

    def record(call: PhoneCall, verb: ET.Element) -> dict[str, str]:
        length = min(seconds, int(verb.get("maxLength") or 3600))
        if length <= 0:
            return {}
        sid = call.side.recording_sid()
        url = (
            call.side.recording_url(sid)
            if platform is None
            else f"{platform}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"
        )
        form = {"RecordingSid": sid, "RecordingUrl": url, "RecordingDuration": str(length)}
        return {**form, "Digits": finish} if finish else form

    return record


def _status_of(form: Mapping[str, str]) -> dict[str, str]:
    """The recording status callback the platform posts for a finished recording."""
    return {
        "RecordingSid": form["RecordingSid"],
        "RecordingUrl": form["RecordingUrl"],
        "RecordingDuration": form.get("RecordingDuration", "0"),
        "RecordingStatus": "completed",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }


class FlaskTransport:
    """Posts to the app in-process through Flask's test client."""

    base_url = "http://localhost/"

    def __init__(self, app: object) -> None:
        self.client = app.test_client()  # type: ignore[attr-defined]

    def post(
        self, url: str, form: Mapping[str, str], headers: Mapping[str, str]
    ) -> tuple[int, str]:
        answer = self.client.post(
            url, data=encoded(form), headers={"Content-Type": FORM, **headers}
        )
        return answer.status_code, answer.get_data(as_text=True)
