"""What makes a flow sound, checked whenever one is built (`Flow`).

One root, every target a node, every node reachable, every waiting node
with a back, a silence and a wrong-key exit, no loop of branches, and every
operated node leading somewhere for exactly the outcomes its operation
answers (menus/operations.py). Each problem is one sentence naming the flow
and, where there is one, the node.
"""

from __future__ import annotations

from collections.abc import Iterator

from menus.flow import (
    BACK_KEY,
    FINAL,
    KEYS,
    OPERATED,
    REPEATING,
    WAITING,
    Branch,
    Entry,
    Flow,
    Menu,
    Node,
    Record,
    go,
)


def problems(flow: Flow) -> Iterator[str]:
    """What keeps `flow` from running as declared, one sentence each."""
    yield from _ends(flow)
    for node in flow.nodes.values():
        yield from (f"flow {flow.name}, node {node.name}: {p}" for p in _node_problems(flow, node))
    yield from _unreachable(flow)
    yield from _branch_loops(flow)
    yield from _operations_answering_twice(flow)


def _ends(flow: Flow) -> Iterator[str]:
    """The flow's own names: a root, an exhausted node that ends the call, a wrong-key prompt."""
    if flow.root not in flow.nodes:
        yield f"flow {flow.name}: no root, {flow.root!r} is not one of its nodes"
    exhausted = flow.nodes.get(flow.exhausted)
    if exhausted is None:
        yield f"flow {flow.name}: exhausted {flow.exhausted!r} is not one of its nodes"
    elif not isinstance(exhausted, FINAL):
        kind = type(exhausted).__name__
        yield (
            f"flow {flow.name}: exhausted {flow.exhausted!r} is a {kind}, not an End or a"
            " Transfer: silence and wrong keys would never end the call"
        )
    if not flow.not_understood:
        yield f"flow {flow.name}: not_understood names no prompt for a wrong key"


def _node_problems(flow: Flow, node: Node) -> Iterator[str]:
    for label, move in node.exits():
        if not move.to:
            yield f"{label} leads nowhere"
        elif move.to not in flow.nodes:
            yield f"{label} leads to {move.to!r}, which is not a node"
    if isinstance(node, WAITING) and not node.say:
        yield "waits without saying what for"
    if isinstance(node, Menu):
        yield from _menu_problems(node)
    if isinstance(node, OPERATED):
        yield from _outcome_problems(node)


def _menu_problems(menu: Menu) -> Iterator[str]:
    if not menu.keys:
        yield "takes no key"
    for key in menu.keys:
        if key not in KEYS:
            yield f"key {key!r} is not one a menu takes (0-9 and #; {BACK_KEY} goes back)"
    if menu.silence is not None and go(menu.silence).to == menu.name:
        yield "silence leads back to it: a silent caller would never leave"


def _outcome_problems(node: Entry | Branch | Record) -> Iterator[str]:
    answers = node.answers
    members = [member.value for member in answers]
    for outcome in members:
        if outcome not in node.outcomes:
            yield f"outcome {outcome!r} of {node.op} ({answers.__name__}) leads nowhere"
    for outcome in node.outcomes:
        if outcome not in members:
            yield (
                f"outcome {outcome!r} is not one {node.op} answers"
                f" ({answers.__name__}: {', '.join(members)})"
            )


def _led_to(flow: Flow) -> set[str]:
    """Every node some move leads to; the exhausted node, if any node repeats."""
    led = {move.to for node in flow.nodes.values() for move in node.targets()}
    if any(isinstance(node, REPEATING) for node in flow.nodes.values()):
        led.add(flow.exhausted)
    return led


def _unreachable(flow: Flow) -> Iterator[str]:
    if flow.root not in flow.nodes:
        return
    seen, frontier = set(), [flow.root]
    while frontier:
        name = frontier.pop()
        node = flow.nodes.get(name)
        if node is None or name in seen:
            continue
        seen.add(name)
        frontier.extend(move.to for move in node.targets())
        if isinstance(node, REPEATING):
            frontier.append(flow.exhausted)
    led = _led_to(flow)
    for name in flow.nodes:
        if name in seen:
            continue
        if name in led:
            yield f"flow {flow.name}, node {name}: cannot be reached from root {flow.root!r}"
        else:
            yield f"flow {flow.name}, node {name}: a second root, no node leads to it"


def _branch_loops(flow: Flow) -> Iterator[str]:
    """Branches leading, through branches only, back to themselves: a call would never stop."""
    branches = {name: n for name, n in flow.nodes.items() if isinstance(n, Branch)}
    done: set[str] = set()

    def walk(path: list[str]) -> Iterator[str]:
        for move in branches[path[-1]].targets():
            if move.to in path:
                loop = [*path[path.index(move.to) :], move.to]
                yield f"flow {flow.name}, node {move.to}: branches loop, " + " -> ".join(loop)
            elif move.to in branches and move.to not in done:
                yield from walk([*path, move.to])
        done.add(path[-1])

    for name in branches:
        if name not in done:
            yield from walk([name])


def _operations_answering_twice(flow: Flow) -> Iterator[str]:
    """One operation, one outcome type: two nodes running it cannot expect different ones."""
    first: dict[str, Entry | Branch | Record] = {}
    for node in flow.nodes.values():
        if not isinstance(node, OPERATED):
            continue
        earlier = first.setdefault(node.op, node)
        if earlier.answers is not node.answers:
            yield (
                f"flow {flow.name}, node {node.name}: {node.op} answers"
                f" {node.answers.__name__} here but {earlier.answers.__name__}"
                f" at node {earlier.name}"
            )
