"""The building blocks of a call flow.

A flow is a table of nodes. Waiting nodes (`Menu`, `Entry`) speak and wait
for keys; a `Branch` runs a named operation at once and follows its outcome;
an `End` speaks and hangs up; a `Transfer` speaks and puts the call through.
Every move is a `Go`: a target node and what to say on the way there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Go:
    """Move to `to`, first saying the prompts in `say`."""

    to: str
    say: tuple[str, ...] = ()


def go(target: str | Go) -> Go:
    return target if isinstance(target, Go) else Go(target)


@dataclass(frozen=True)
class Menu:
    """Says its prompts and waits for one key; `*` goes `back`."""

    name: str
    say: tuple[str, ...]
    keys: Mapping[str, str | Go]
    back: str

    def targets(self) -> Iterator[Go]:
        yield from (go(t) for t in self.keys.values())
        yield Go(self.back)


@dataclass(frozen=True)
class Entry:
    """Says its prompts and waits for digits ended by `#`, then runs `op`.

    Input that is not made of ASCII digits is re-prompted and never reaches
    the operation; `*` alone goes `back`.
    """

    name: str
    say: tuple[str, ...]
    op: str
    outcomes: Mapping[str, str | Go]
    back: str

    def targets(self) -> Iterator[Go]:
        yield from (go(t) for t in self.outcomes.values())
        yield Go(self.back)


@dataclass(frozen=True)
class Branch:
    """Runs `op` at once and follows the outcome it names."""

    name: str
    op: str
    outcomes: Mapping[str, str | Go]

    def targets(self) -> Iterator[Go]:
        yield from (go(t) for t in self.outcomes.values())


@dataclass(frozen=True)
class End:
    """Says its prompts and hangs up."""

    name: str
    say: tuple[str, ...]

    def targets(self) -> Iterator[Go]:
        return iter(())


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
        return iter(())


Node = Menu | Entry | Branch | End | Transfer
WAITING = (Menu, Entry)
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
        table = {node.name: node for node in nodes}
        if len(table) != len(nodes):
            raise ValueError(f"flow {name} declares a node twice")
        return cls(name, root, goodbye, not_understood, table)

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]
