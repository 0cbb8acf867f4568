"""The building blocks of a call flow.

A flow is a table of nodes. Waiting nodes (`Menu`, `Entry`) speak and wait
for keys; a `Branch` runs a named operation at once and follows its outcome;
an `End` speaks and hangs up; a `Transfer` speaks and puts the call through.
A `Record` speaks, records after a beep, and runs its operation on the
recording. Every move is a `Go`: a target node and what to say on the way
there.

What is said is a tuple of prompts: catalogue keys, or `Play` for a
recording whose URL is a call value (a greeting, a message).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class Menu:
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

    def targets(self) -> Iterator[Go]:
        """Every destination this node can send the call to."""
        yield from (go(t) for t in self.keys.values())
        yield Go(self.back)
        if self.silence is not None:
            yield go(self.silence)


@dataclass(frozen=True)
class Entry:
    """Says its prompts and waits for digits ended by `#`, then runs `op`.

    Input that is not made of ASCII digits is re-prompted and never reaches
    the operation; `*` alone goes `back`.
    """

    name: str
    say: tuple[Prompt, ...]
    op: str
    outcomes: Mapping[str, str | Go]
    back: str

    def targets(self) -> Iterator[Go]:
        """Every destination this node can send the call to."""
        yield from (go(t) for t in self.outcomes.values())
        yield Go(self.back)


@dataclass(frozen=True)
class Branch:
    """Runs `op` at once and follows the outcome it names."""

    name: str
    op: str
    outcomes: Mapping[str, str | Go]

    def targets(self) -> Iterator[Go]:
        """Every destination this node can send the call to."""
        yield from (go(t) for t in self.outcomes.values())


@dataclass(frozen=True)
class End:
    """Says its prompts and hangs up."""

    name: str
    say: tuple[Prompt, ...]

    def targets(self) -> Iterator[Go]:
        """Every destination this node can send the call to."""
        return iter(())


@dataclass(frozen=True)
class Record:
    """Says its prompts, records after a beep until `#`, then runs `op` on the recording.

    `max_seconds` is the longest recording, or the name of the call value
    holding it; `callback`, if set, names the call value holding the URL the
    platform posts the finished recording to. No recording (silence) repeats
    the node like silence at a menu.
    """

    name: str
    say: tuple[Prompt, ...]
    op: str
    outcomes: Mapping[str, str | Go]
    max_seconds: int | str
    callback: str | None = None

    def targets(self) -> Iterator[Go]:
        """Every destination this node can send the call to."""
        yield from (go(t) for t in self.outcomes.values())


@dataclass(frozen=True)
class Transfer:
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

    def targets(self) -> Iterator[Go]:
        """Every destination this node can send the call to."""
        return iter(())


Node = Menu | Entry | Branch | End | Record | Transfer
WAITING = (Menu, Entry)
# Nodes that run a named operation.
OPERATED = (Entry, Branch, Record)
# Nodes after which the flow takes no more steps.
FINAL = (End, Transfer)


@dataclass(frozen=True)
class Flow:
    """A named set of nodes with a root, a goodbye and a re-prompt."""

    name: str
    root: str
    goodbye: str
    not_understood: str
    nodes: Mapping[str, Node] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, root: str, goodbye: str, not_understood: str, *nodes: Node) -> Flow:
        """The flow named `name`, from its nodes; a name declared twice is refused."""
        table = {node.name: node for node in nodes}
        if len(table) != len(nodes):
            raise ValueError(f"flow {name} declares a node twice")
        return cls(name, root, goodbye, not_understood, table)

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]
