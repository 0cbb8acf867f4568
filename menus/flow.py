"""The building blocks of a call flow.

A flow is a table of nodes. Waiting nodes (`Menu`, `Entry`) speak and wait
for keys; a `Branch` runs a named operation at once and follows its outcome;
an `End` speaks and hangs up; a `Transfer` speaks and puts the call through.
A `Record` speaks, records after a beep, and runs its operation on the
recording. Every move is a `Go`: a target node and what to say on the way
there. A node that runs an operation names it (`op`) and the type of the
outcomes it answers (`answers`, menus/operations.py), and says where each
outcome leads.

What is said is a tuple of prompts: catalogue keys, or `Play` for a
recording whose URL is a call value (a greeting, a message).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Play:
    """Play the recording whose URL is the call value `value`."""

    value: str


Prompt = str | Play


@dataclass(frozen=True)
class Go:
    """Move to `to`, first saying the prompts in `say`."""

    to: str
    say: tuple[Prompt, ...] = ()


def go(target: str | Go) -> Go:
    """A destination, written as a node name or as a `Go`."""
    return target if isinstance(target, Go) else Go(target)


class FlowError(ValueError):
    """A flow that cannot be run as declared; the message names the flow and node."""


class _Node:
    """What every node shares: the moves it can make, each with its label."""

    def exits(self) -> Iterator[tuple[str, Go]]:
        """Every destination this node can send the call to, labelled (`key 1`, `back`)."""
        return iter(())

    def targets(self) -> Iterator[Go]:
        """Every destination this node can send the call to."""
        return (move for _, move in self.exits())


def _outcome_exits(outcomes: Mapping[str, str | Go]) -> Iterator[tuple[str, Go]]:
    return ((f"outcome {outcome!r}", go(target)) for outcome, target in outcomes.items())


@dataclass(frozen=True)
class Menu(_Node):
    """Says its prompts and waits for one key; `*` goes `back`.

    Keys act while the prompts are said (a recording too): the caller need
    not wait for the end. `#` may be one of the keys. Silence repeats the
    menu, unless `silence` names where it leads (a greeting: to the beep),
    and then the menu waits only a moment after its prompts.
    """

    name: str
    say: tuple[Prompt, ...]
    keys: Mapping[str, str | Go]
    back: str
    silence: str | Go | None = None

    def exits(self) -> Iterator[tuple[str, Go]]:
        """Every destination this node can send the call to, labelled."""
        yield from ((f"key {key!r}", go(target)) for key, target in self.keys.items())
        yield "back", Go(self.back)
        if self.silence is not None:
            yield "silence", go(self.silence)


@dataclass(frozen=True)
class Entry(_Node):
    """Says its prompts and waits for digits ended by `#`, then runs `op`.

    Input that is not made of ASCII digits is re-prompted and never reaches
    the operation; `*` alone goes `back`.
    """

    name: str
    say: tuple[Prompt, ...]
    op: str
    answers: type[StrEnum]
    outcomes: Mapping[str, str | Go]
    back: str

    def exits(self) -> Iterator[tuple[str, Go]]:
        """Every destination this node can send the call to, labelled."""
        yield from _outcome_exits(self.outcomes)
        yield "back", Go(self.back)


@dataclass(frozen=True)
class Branch(_Node):
    """Runs `op` at once and follows the outcome it names."""

    name: str
    op: str
    answers: type[StrEnum]
    outcomes: Mapping[str, str | Go]

    def exits(self) -> Iterator[tuple[str, Go]]:
        """Every destination this node can send the call to, labelled."""
        return _outcome_exits(self.outcomes)


@dataclass(frozen=True)
class End(_Node):
    """Says its prompts and hangs up."""

    name: str
    say: tuple[Prompt, ...]


@dataclass(frozen=True)
class Record(_Node):
    """Says its prompts, records after a beep until `#`, then runs `op` on the recording.

    `max_seconds` is the longest recording, or the name of the call value
    holding it; `callback`, if set, names the call value holding the URL the
    platform posts the finished recording to. No recording (silence) repeats
    the node like silence at a menu.
    """

    name: str
    say: tuple[Prompt, ...]
    op: str
    answers: type[StrEnum]
    outcomes: Mapping[str, str | Go]
    max_seconds: int | str
    callback: str | None = None

    def exits(self) -> Iterator[tuple[str, Go]]:
        """Every destination this node can send the call to, labelled."""
        return _outcome_exits(self.outcomes)


@dataclass(frozen=True)
class Transfer(_Node):
    """Says its prompts and puts the call through to the destination named `to`.

    The web layer knows how to reach each destination (a number, a `client:`
    or `sip:` URI) and tells whoever answers what `label` says about the
    caller. When the destination cannot be reached, `unavailable` is said and
    the call ends.
    """

    name: str
    say: tuple[str, ...]
    to: str
    label: str
    unavailable: tuple[str, ...]


Node = Menu | Entry | Branch | End | Record | Transfer
WAITING = (Menu, Entry)
# Nodes that run a named operation.
OPERATED = (Entry, Branch, Record)
# Nodes after which the flow takes no more steps.
FINAL = (End, Transfer)
# Nodes that repeat on silence or a wrong key, then go where the flow is `exhausted`.
REPEATING = (Menu, Entry, Record)
# The keys a menu may take; `*` is every waiting node's way back.
KEYS = frozenset("0123456789#")
BACK_KEY = "*"


@dataclass(frozen=True)
class Flow:
    """A named set of nodes, checked when it is built (menus/soundness.py).

    A call enters at `root`. Silence or a wrong key repeats a waiting node
    (a wrong key first says `not_understood`); once repeated enough the call
    goes to `exhausted`, which ends it.
    """

    name: str
    root: str
    exhausted: str
    not_understood: str
    nodes: Mapping[str, Node] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from menus.soundness import problems  # it reads these nodes: imported once they exist

        found = list(problems(self))
        if found:
            raise FlowError("\n".join(found))

    @classmethod
    def of(
        cls, name: str, *, root: str, exhausted: str, not_understood: str, nodes: Iterable[Node]
    ) -> Flow:
        """The flow named `name`, from its nodes; refused (FlowError) unless it is sound."""
        table: dict[str, Node] = {}
        for node in nodes:
            if node.name in table:
                raise FlowError(f"flow {name}, node {node.name}: declared twice")
            table[node.name] = node
        return cls(name, root, exhausted, not_understood, table)

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]
