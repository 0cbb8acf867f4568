"""The path of one webhook: claim the call's step (before any operation runs,
or with the save when none does), let the flow decide, run its operations,
save, render.

Entry webhooks open the call's state and take step 0; every later answer
posts to `/voice/step/<n>`. The step number is checked against the call's
state (see `store.calls`), so URLs are never trusted.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Response, current_app, request, url_for
from sqlalchemy.orm import Session

from ivr.database import db
from ivr.observability import note, note_operation
from ivr.twiml import Destination, goodbye, render_turn, twiml
from menus import engine
from menus.flow import FINAL, Record, Transfer
from menus.flows import FLOWS
from store.calls import Claim, claim_step, open_call, take, take_and_save
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
OPERATIONS: dict[str, Mapping[str, Operation]] = {}
# How to reach each destination a `Transfer` names (None: cannot be reached now).
Resolver = Callable[[Call, Transfer], Destination | None]
DESTINATIONS: dict[str, Resolver] = {}


def register(flow: str, operations: Mapping[str, Operation]) -> None:
    """Declare the operations that run a flow's branches and entries."""
    OPERATIONS[flow] = operations


def register_destination(name: str, resolve: Resolver) -> None:
    """Declare how calls reach the destination `name` of a `Transfer`."""
    DESTINATIONS[name] = resolve


def hasher() -> Hasher:
    return current_app.extensions["ivr.hasher"]


def now() -> datetime:
    return current_app.config["IVR_CLOCK"]()


def call_sid() -> str | None:
    """The request's CallSid, if it looks like one."""
    sid = request.form.get("CallSid", "")
    if not sid or len(sid) > MAX_SID_LENGTH or not sid.isascii() or not sid.isalnum():
        return None
    return sid


def enter(flow: str, line: Line | None, *, home: bool) -> Response:
    """Open a new call's state at the root of `flow` (entry webhooks) and take its first step.

    `line` is the line the call is about (the caller's own, or the mailbox
    called), if provisioned; `home` says whether it is the caller's own line.
    """
    sid = call_sid()
    if sid is None:
        return twiml(goodbye(default_language()))
    started = now()
    open_call(db(), Call(
        sid=sid,
        flow=flow,
        line_id=line.id if line else None,
        caller=request.form.get("From", "")[:64],
        home=home,
        language=line.language if line else default_language(),
        node=FLOWS[flow].root,
        context={},
        step=0,
        started_at=started,
        updated_at=started,
    ))
    return take_step(sid, 0)


class _Lost(Exception):
    """Another request took this step first: nothing was changed, answer as it says."""


def take_step(sid: str, step: int) -> Response:
    """Answer step `step` of call `sid`: run it once, replay a retry, ignore the rest.

    A later step is first decided from the call as read, and claimed only
    when an operation is about to run, or together with saving its answer
    when none does (most menu keys): the write lock is then held for one
    statement. Losing the race changes nothing and falls back to the claim.
    """
    session = db()
    fingerprint = _fingerprint(step)
    if step > 0:
        call = session.get(Call, sid)
        session.commit()  # end the read: SQLite cannot turn an old read into a write
        if call is not None and call.step == step and call.ended_at is None:
            try:
                return _answer(session, call, step, fingerprint, claimed=False)
            except _Lost:
                session.rollback()
    claimed = claim_step(session, sid, step, fingerprint, now())
    if claimed.call is not None:
        note(flow=claimed.call.flow, step=claimed.call.node)
    note(step_number=step, claim=claimed.outcome.value)
    if claimed.outcome is not Claim.PROCEED:
        session.rollback()
        if claimed.response:
            return twiml(claimed.response)
        language = claimed.call.language if claimed.call else default_language()
        key = "goodbye" if claimed.outcome is Claim.ENDED else "apology"
        return twiml(goodbye(language, key))
    assert claimed.call is not None
    return _answer(session, claimed.call, step, fingerprint, claimed=True)


def _answer(session: Session, call: Call, step: int, fingerprint: str, claimed: bool
            ) -> Response:
    """Let the flow decide, claiming before any operation runs; save and render."""
    note(flow=call.flow, step=call.node, step_number=step, claim="proceed")
    flow = FLOWS[call.flow]
    context = StepContext(session, call, dict(call.context), hasher(),
                          current_app.config, now())
    operations = OPERATIONS[call.flow]

    def run(op: str, digits: str | None) -> str:
        nonlocal claimed
        if not claimed:
            if take(session, call.sid, step, fingerprint, context.now) is None:
                raise _Lost
            claimed = True
        outcome = operations[op](context, digits)
        note_operation(op, outcome)
        return outcome

    if step == 0:
        turn = engine.start(flow, run)
    else:
        # A recording's input is its URL; any other node's, the keys pressed.
        field_name = "RecordingUrl" if isinstance(flow[call.node], Record) else "Digits"
        digits = request.form.get(field_name)
        turn = engine.answer(flow, call.node, digits, context.memory.get("repeats", 0), run)
    context.memory["repeats"] = turn.repeats
    note(outcome=turn.node)
    values = {**context.memory, **context.values}
    action = url_for("voice.step", step=step + 1)
    node = flow[turn.node]
    destination = DESTINATIONS[node.to](call, node) if isinstance(node, Transfer) else None
    answer = str(render_turn(flow, turn, call.language, values, action, destination))
    ended = isinstance(node, FINAL)
    if ended:
        context.memory.clear()
    _save(session, call, step, fingerprint, context.now, claimed, node=turn.node,
          last_response=answer, context=context.memory, ended_at=context.now if ended else None)
    return twiml(answer)


def _save(session: Session, call: Call, step: int, fingerprint: str, at: datetime,
          claimed: bool, **saved: Any) -> None:
    """Store the call's new state: on the claimed row, or claiming it in the same UPDATE."""
    if claimed:
        for name, value in saved.items():
            setattr(call, name, value)
    else:
        if session.in_transaction():  # a read since (nothing written): a fresh snapshot
            session.commit()
        if not take_and_save(session, call.sid, step, fingerprint, at, **saved):
            raise _Lost
    session.commit()


def default_language() -> str:
    return current_app.config["IVR_DEFAULT_LANGUAGE"]


def _fingerprint(step: int) -> str:
    """What makes a retry of this request recognisable, keyed so digits never show."""
    token = request.headers.get(IDEMPOTENCY_HEADER)
    basis = f"token\0{token}" if token else f"{step}\0{request.form.get('Digits', '')}"
    key = current_app.config["IVR_PIN_PEPPER"].encode()
    return hmac.new(key, basis.encode(), hashlib.sha256).hexdigest()
