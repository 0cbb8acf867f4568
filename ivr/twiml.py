"""TwiML out: the one helper that answers `text/xml`, and speech from prompt keys."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Response, has_app_context
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ivr.platforms import current
from menus.catalogue import CATALOGUES, VOICES, sentence
from menus.engine import Turn
from menus.flow import End, Entry, Flow, Menu, Node, Play, Prompt, Record, Transfer

# Seconds of silence before a <Gather> gives up: a key, then a code.
MENU_TIMEOUT = 6
ENTRY_TIMEOUT = 8
# Seconds of silence that end a recording.
RECORD_TIMEOUT = 5
# Seconds a menu that leads somewhere on silence (a greeting) waits after its prompts.
SILENCE_TIMEOUT = 1


@dataclass(frozen=True)
class Destination:
    """Where a `Transfer` goes: a number, `client:NAME` or `sip:URI`, and our callbacks.

    `whisper_url` is played to whoever answers before the call is bridged;
    `parameters` reach a `client:` destination with the call.
    """

    address: str
    whisper_url: str | None = None
    action_url: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)


def twiml(response: VoiceResponse | str) -> Response:
    """Answer the platform with a TwiML document."""
    return Response(str(response), status=200, mimetype="text/xml")


def say(
    verb: VoiceResponse | Gather,
    language: str,
    keys: Iterable[Prompt],
    values: Mapping[str, Any] | None = None,
) -> None:
    """Append one <Say> per prompt key, in the platform's voice for the language, or a <Play>."""
    # Plain keys answer outside Flask (ivr/plainkeys.py): every platform speaks en/fr/de so.
    voice = current().say(language) if has_app_context() else VOICES[language]
    for key in keys:
        if isinstance(key, Play):
            verb.play((values or {})[key.value])
        else:
            verb.say(sentence(language, key, values), voice=voice.voice, language=voice.language)


def render_turn(
    flow: Flow,
    turn: Turn,
    language: str,
    values: Mapping[str, Any],
    action: str,
    destination: Destination | None = None,
) -> str:
    """The TwiML for where a call now stands: speak, then wait, put through or hang up.

    Every <Gather> is followed by a <Redirect> to the same step, which is what
    the platform does on silence. A turn that says no call value (most menus)
    is rendered once per (flow, node, prompts, language) and kept; only the
    step URL changes from one call to the next.
    """
    node = flow[turn.node]
    if (
        not isinstance(node, FIXED)
        or _MARKUP.intersection(action)
        or not all(map(_is_fixed, (*turn.say, *node.say)))
    ):
        return str(_build(node, turn, language, values, action, destination))
    key = (flow.name, turn.node, tuple(turn.say), language)
    rendered = _RENDERED.get(key)
    if rendered is None:
        rendered = str(_build(node, turn, language, {}, _ACTION, None))
        if len(_RENDERED) < MAX_RENDERED:
            _RENDERED[key] = rendered
    return rendered.replace(_ACTION, action)


# Nodes whose TwiML depends only on their prompts, when those name no call value.
FIXED = (Menu, Entry, End)
MAX_RENDERED = 4096
_RENDERED: dict[tuple[str, str, tuple[Prompt, ...], str], str] = {}
_ACTION = "ivr-step-action-placeholder"
_MARKUP = frozenset("&<>\"'")  # a step URL with any of these is escaped, so never cached


@functools.cache
def _is_fixed(prompt: Prompt) -> bool:
    """A catalogue key whose sentence names no call value, in every language."""
    return isinstance(prompt, str) and all(
        "{" not in catalogue.get(prompt, "{") for catalogue in CATALOGUES.values()
    )


def _build(
    node: Node,
    turn: Turn,
    language: str,
    values: Mapping[str, Any],
    action: str,
    destination: Destination | None,
) -> VoiceResponse:
    response = VoiceResponse()
    if isinstance(node, Transfer):
        say(response, language, [*turn.say, *node.say], values)
        if destination is None:
            say(response, language, node.unavailable, values)
            response.hangup()
        else:
            response.append(dial(destination))
        return response
    if isinstance(node, End):
        say(response, language, [*turn.say, *node.say], values)
        response.hangup()
        return response
    if isinstance(node, Record):
        return _record(node, turn, language, values, action)
    if isinstance(node, Menu):
        # A menu taking `#` as a key has no key that ends its input.
        gather = Gather(
            input="dtmf",
            num_digits=1,
            action=action,
            method="POST",
            timeout=MENU_TIMEOUT if node.silence is None else SILENCE_TIMEOUT,
            finish_on_key="" if "#" in node.keys else None,
        )
    elif isinstance(node, Entry):
        gather = Gather(
            input="dtmf", finish_on_key="#", timeout=ENTRY_TIMEOUT, action=action, method="POST"
        )
    else:
        raise TypeError(f"cannot render {type(node).__name__} {node.name}")
    say(gather, language, [*turn.say, *node.say], values)
    response.append(gather)
    response.redirect(action, method="POST")
    return response


def _record(
    node: Record, turn: Turn, language: str, values: Mapping[str, Any], action: str
) -> VoiceResponse:
    """Speak, then record after a beep; an empty recording goes on to the <Redirect>."""
    response = VoiceResponse()
    say(response, language, [*turn.say, *node.say], values)
    limit = node.max_seconds
    options: dict[str, Any] = {}
    if node.callback:
        options.update(
            recording_status_callback=values[node.callback],
            recording_status_callback_method="POST",
            recording_status_callback_event="completed",
        )
    if values.get("transcription_callback"):  # IVR_TRANSCRIBE (docs/messages.md)
        options.update(transcribe=True, transcribe_callback=values["transcription_callback"])
    response.record(
        action=action,
        method="POST",
        play_beep=True,
        trim="trim-silence",
        finish_on_key="#",
        timeout=RECORD_TIMEOUT,
        max_length=int(values[limit] if isinstance(limit, str) else limit),
        **options,
    )
    response.redirect(action, method="POST")
    return response


def dial(destination: Destination) -> Dial:
    """A <Dial> to a number, a `client:` or a `sip:` address, whispering first."""
    verb = Dial(action=destination.action_url, method="POST") if destination.action_url else Dial()
    address, whisper = destination.address, destination.whisper_url
    options = {"url": whisper, "method": "POST"} if whisper else {}
    if address.startswith("client:"):
        client = verb.client(**options)
        client.identity(address.removeprefix("client:"))
        for name, value in destination.parameters.items():
            client.parameter(name=name, value=value)
    elif address.startswith("sip:"):
        verb.sip(address, **options)
    else:
        verb.number(address, **options)
    return verb


def goodbye(language: str, key: str = "apology") -> VoiceResponse:
    """Say one prompt and hang up."""
    response = VoiceResponse()
    say(response, language, [key])
    response.hangup()
    return response
