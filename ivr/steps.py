"""The path of one key press, top to bottom (`answer_press`):

1. the signature was checked before (ivr/signature.py);
2. the call is read as it stands, in one statement (store.calls.StepHold);
3. the flow decides (menus.engine), given the call's node and the keys;
4. its operations run, the step taken before the first one (StepHold.take);
5. the answer is saved, taking the step in the same conditional UPDATE when
   no operation ran (StepHold.save), and committed once;
6. it is rendered (ivr/twiml.py) and the request logged (ivr/observability.py).

A request that finds the call at another step, ended or unknown, or that
loses the race for it, changes nothing and answers what `StepHold.claim`
says (a retry hears the stored answer again). Entry webhooks open the
call's state and take step 0; every later answer posts to
`/voice/step/<n>`, so URLs are never trusted.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from flask import Flask, Response, current_app, request
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from ivr.database import db, seconds_left
from ivr.doors import now
from ivr.observability import Notes, notes
from ivr.twiml import Destination, goodbye, render_turn, twiml
from menus import engine
from menus.flow import FINAL, Flow, Record, Transfer
from store.calls import CallState, Claim, Lost, StepHold, open_call
from store.credentials import Hasher
from store.models import Call, Line

IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
MAX_SID_LENGTH = 64


@dataclass
class StepContext:
    """What an operation may use: the request's session, the call, its memory."""

    session: Session
    call: Call
    memory: dict[str, Any]
    hasher: Hasher
    settings: Mapping[str, Any]
    now: datetime
    values: dict[str, Any] = field(default_factory=dict)


Operation = Callable[[StepContext, str | None], str]
# How to reach a destination a `Transfer` names (None: cannot be reached now).
Resolver = Callable[[Call, Transfer], Destination | None]


@dataclass(frozen=True)
class PhoneFlow:
    """A flow as the phone runs it: its declaration, and what runs its named parts."""

    flow: Flow
    operations: Mapping[str, Operation]
    destinations: Mapping[str, Resolver] = field(default_factory=dict)
    # Operations that check a code: they wait for a verifier (store.credentials.
    # Hasher.admitted) before the step is taken, so no write lock is held while
    # waiting, and give up with nothing changed when none frees up in time.
    verified: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Phone:
    """What every step needs from the app, gathered once: flows, hasher, settings."""

    flows: Mapping[str, PhoneFlow]
    hasher: Hasher
    settings: Mapping[str, Any]

    def now(self) -> datetime:
        return cast(datetime, self.settings["IVR_CLOCK"]())

    @property
    def default_language(self) -> str:
        return str(self.settings["IVR_DEFAULT_LANGUAGE"])


@dataclass(frozen=True)
class Press:
    """One webhook of a call at step `step`, as the platform posted it."""

    sid: str
    step: int
    form: Mapping[str, str]
    token: str | None  # the platform's idempotency token, if any
    root: str = ""  # where the app is mounted: the next step is {root}/voice/step/{n}
    # The call as the plain-key path read it just before, if it did: (state,).
    seen: tuple[CallState | None, ...] = ()


SEEN = "ivr.seen"  # where the plain-key path leaves the call it read, for Flask's path


class Deferred(Exception):
    """A plain-key path met more than a plain key: nothing was changed, let Flask answer.

    `seen` is the call as read, which Flask's path decides from instead of
    reading it again (the step is still taken by a conditional UPDATE).
    """

    def __init__(self, seen: tuple[CallState | None, ...] = ()) -> None:
        super().__init__()
        self.seen = seen


def init_app(app: Flask, flows: Mapping[str, PhoneFlow]) -> None:
    """Give `app` its phone: the flows it runs, with their operations."""
    app.extensions["ivr.phone"] = Phone(flows, app.extensions["ivr.hasher"], app.config)


def phone() -> Phone:
    return cast(Phone, current_app.extensions["ivr.phone"])


def default_language() -> str:
    return str(current_app.config["IVR_DEFAULT_LANGUAGE"])


def call_sid() -> str | None:
    """The request's CallSid, if it looks like one."""
    return valid_sid(request.form.get("CallSid", ""))


def valid_sid(sid: str) -> str | None:
    if not sid or len(sid) > MAX_SID_LENGTH or not sid.isascii() or not sid.isalnum():
        return None
    return sid


def press(sid: str, step: int) -> Press:
    """This request as a press of step `step`."""
    return Press(
        sid,
        step,
        request.form,
        request.headers.get(IDEMPOTENCY_HEADER),
        request.script_root,
        request.environ.get(SEEN, ()),
    )


def enter(flow: str, line: Line | None, *, home: bool) -> Response:
    """Open a new call's state at the root of `flow` (entry webhooks) and take its first step.

    `line` is the line the call is about (the caller's own, or the mailbox
    called), if provisioned; `home` says whether it is the caller's own line.
    """
    sid = call_sid()
    if sid is None:
        return twiml(goodbye(default_language()))
    at, session, runs = now(), db(), phone()
    open_call(
        session,
        Call(
            sid=sid,
            flow=flow,
            line_id=line.id if line else None,
            caller=request.form.get("From", "")[:64],
            home=home,
            language=line.language if line else default_language(),
            node=runs.flows[flow].flow.root,
            context={},
            step=0,
            started_at=at,
            updated_at=at,
        ),
    )
    return twiml(answer_press(session, runs, press(sid, 0), notes()))


def answer_press(
    session: Session | None,
    runs: Phone,
    pressed: Press,
    noted: Notes,
    *,
    plain: Connection | None = None,
) -> str:
    """The TwiML answering `pressed`, the step taken at most once whoever else tries.

    With `plain` (a connection of its own, store.calls.own_connection) and no
    session, only a key that needs no operation, no transfer and no claim is
    answered; anything else raises `Deferred` having changed nothing.
    """
    hold = StepHold(
        session, pressed.sid, pressed.step, fingerprint(runs, pressed), runs.now(), plain
    )
    state = None
    if pressed.step > 0:
        state = pressed.seen[0] if pressed.seen else hold.read()
    if state is not None and state.step == pressed.step and not state.ended:
        try:
            return _decide(runs, pressed, noted, hold, state, plain is not None)
        except Deferred:
            raise Deferred((state,)) from None
        except Lost:
            hold.rollback()
    if session is None:
        raise Deferred  # Flask's path claims the step outright, or says why not
    return _claim(runs, pressed, noted, hold)


def _claim(runs: Phone, pressed: Press, noted: Notes, hold: StepHold) -> str:
    """Take the step outright, or answer as a retry, a stale request or an ended call."""
    claimed = hold.claim()
    if claimed.call is not None:
        noted.update(flow=claimed.call.flow, step=claimed.call.node)
    noted.update(step_number=pressed.step, claim=claimed.outcome.value)
    if claimed.outcome is Claim.PROCEED:
        assert claimed.call is not None
        return _decide(runs, pressed, noted, hold, CallState.of(claimed.call), plain=False)
    hold.rollback()
    if claimed.response:
        return claimed.response
    language = claimed.call.language if claimed.call else runs.default_language
    return str(goodbye(language, "goodbye" if claimed.outcome is Claim.ENDED else "apology"))


def _decide(
    runs: Phone, pressed: Press, noted: Notes, hold: StepHold, state: CallState, plain: bool
) -> str:
    """The flow decides, its operations run (the step taken first); save and render."""
    noted.update(flow=state.flow, step=state.node, step_number=pressed.step, claim="proceed")
    phone_flow = runs.flows[state.flow]
    flow = phone_flow.flow
    memory: dict[str, Any] = dict(state.context)
    values: dict[str, Any] = {}
    context: StepContext | None = None

    def run(op: str, digits: str | None) -> str:
        nonlocal context
        if plain:
            raise Deferred
        admitted = (
            runs.hasher.admitted(seconds_left()) if op in phone_flow.verified else nullcontext()
        )
        with admitted:
            if context is None:
                assert hold.session is not None  # a plain hold deferred above
                context = StepContext(
                    hold.session, hold.take(), memory, runs.hasher, runs.settings, hold.now, values
                )
            outcome = phone_flow.operations[op](context, digits)
        noted.operation(op, outcome)
        return outcome

    turn = _turn(flow, state.node, pressed, memory.get("repeats", 0), run)
    memory["repeats"] = turn.repeats
    noted.update(outcome=turn.node)
    node = flow[turn.node]
    destination = None
    if isinstance(node, Transfer):
        if plain:
            raise Deferred
        destination = phone_flow.destinations[node.to](hold.take(), node)
    language = hold.call.language if hold.call is not None else state.language
    action = f"{pressed.root}/voice/step/{pressed.step + 1}"
    answer = render_turn(flow, turn, language, {**memory, **values}, action, destination)
    ended = isinstance(node, FINAL)
    if ended:
        memory.clear()
    hold.save(
        node=turn.node, last_response=answer, context=memory, ended_at=hold.now if ended else None
    )
    hold.commit()
    return answer


def _turn(flow: Flow, node: str, pressed: Press, repeats: int, run: engine.Run) -> engine.Turn:
    """Where the flow goes from `node` with what was pressed (the root on step 0)."""
    if pressed.step == 0:
        return engine.start(flow, run)
    # A recording's input is its URL; any other node's, the keys pressed.
    name = "RecordingUrl" if isinstance(flow[node], Record) else "Digits"
    return engine.answer(flow, node, pressed.form.get(name), repeats, run)


def fingerprint(runs: Phone, pressed: Press) -> str:
    """What makes a retry of this request recognisable, keyed so digits never show."""
    token = pressed.token
    basis = f"token\0{token}" if token else f"{pressed.step}\0{pressed.form.get('Digits', '')}"
    key = runs.settings["IVR_PIN_PEPPER"].encode()
    return hmac.new(key, basis.encode(), hashlib.sha256).hexdigest()
