"""Moves a call through a flow: from a waiting node and the keys pressed to
the next waiting node (or end), and what is said on the way.

Operations are named in the flow and run by the caller of this module
through `run(op, digits)`, which returns the outcome's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from menus.flow import BACK_KEY, WAITING, Branch, Entry, Flow, Go, Menu, Prompt, Record, go

# How often a waiting node is repeated on silence or a wrong key before the
# flow is exhausted.
MAX_REPEATS = 3

Run = Callable[[str, str | None], str]


@dataclass
class Turn:
    """Where the call stands after a step, and the prompts said on the way."""

    node: str
    say: list[Prompt] = field(default_factory=list)
    repeats: int = 0


def start(flow: Flow, run: Run) -> Turn:
    """Enter the flow at its root."""
    return follow(flow, Go(flow.root), run)


def answer(flow: Flow, at: str, digits: str | None, repeats: int, run: Run) -> Turn:
    """Apply the keys pressed (None on silence) at waiting node `at`.

    At a `Record` node the input is the recording's URL (None: nothing recorded).
    """
    node = flow[at]
    if isinstance(node, Record):
        if not digits:
            return _repeat(flow, node.name, repeats, ())
        return follow(flow, go(node.outcomes[run(node.op, digits)]), run)
    if not isinstance(node, WAITING):
        raise ValueError(f"{flow.name}.{at} does not wait for keys")
    if not digits and isinstance(node, Menu) and node.silence is not None:
        return follow(flow, go(node.silence), run)
    if not digits:
        return _repeat(flow, node.name, repeats, ())
    if digits == BACK_KEY:
        return follow(flow, Go(node.back), run)
    if isinstance(node, Menu):
        target = node.keys.get(digits)
        if target is None:
            return _repeat(flow, node.name, repeats, (flow.not_understood,))
        return follow(flow, go(target), run)
    assert isinstance(node, Entry)
    if not (digits.isascii() and digits.isdigit()):
        return _repeat(flow, node.name, repeats, (flow.not_understood,))
    return follow(flow, go(node.outcomes[run(node.op, digits)]), run)


def follow(flow: Flow, move: Go, run: Run) -> Turn:
    """Follow a move through any branches to the next waiting or end node.

    A flow has no loop of branches (menus/soundness.py), so this ends.
    """
    said = list(move.say)
    node = flow[move.to]
    while isinstance(node, Branch):
        move = go(node.outcomes[run(node.op, None)])
        said.extend(move.say)
        node = flow[move.to]
    return Turn(node.name, said)


def _repeat(flow: Flow, at: str, repeats: int, say: tuple[Prompt, ...]) -> Turn:
    if repeats >= MAX_REPEATS:
        return Turn(flow.exhausted, list(say))
    return Turn(at, list(say), repeats + 1)
