"""Every phone flow, by the name stored with each call: its declaration (menus/)
beside the operations and destinations that run it (the blueprints' modules).

Where a flow meets what runs it, they are checked to fit, at import: every
operation a node names is in the table and returns (by its annotation) the
outcome type the node expects, every destination a `Transfer` names can be
resolved, and nothing in the tables is left unused.
"""

from collections.abc import Iterator, Mapping
from typing import get_type_hints

from ivr import access_steps, deposit_steps, support_steps
from ivr.steps import Operation, PhoneFlow, Resolver
from menus.access_flow import ACCESS
from menus.deposit_flow import DEPOSIT
from menus.flow import OPERATED, Flow, FlowError, Transfer
from menus.support_flow import SUPPORT


def run_by(
    flow: Flow,
    operations: Mapping[str, Operation],
    destinations: Mapping[str, Resolver] | None = None,
    verified: frozenset[str] = frozenset(),
) -> PhoneFlow:
    """`flow` with what runs it; refused (FlowError) unless they fit."""
    found = list(misfits(flow, operations, destinations or {}, verified))
    if found:
        raise FlowError("\n".join(found))
    return PhoneFlow(flow, operations, destinations or {}, verified)


def misfits(
    flow: Flow,
    operations: Mapping[str, Operation],
    destinations: Mapping[str, Resolver],
    verified: frozenset[str],
) -> Iterator[str]:
    """Where `flow` and the operations and destinations given for it disagree."""
    for node in flow.nodes.values():
        where = f"flow {flow.name}, node {node.name}"
        if isinstance(node, OPERATED):
            operation = operations.get(node.op)
            if operation is None:
                yield f"{where}: operation {node.op} is not implemented"
                continue
            answers = get_type_hints(operation).get("return")
            if answers is not node.answers:
                yield (
                    f"{where}: operation {node.op} returns {getattr(answers, '__name__', answers)},"
                    f" the node expects {node.answers.__name__}"
                )
        if isinstance(node, Transfer) and node.to not in destinations:
            yield f"{where}: destination {node.to} cannot be resolved"
    named = {node.op for node in flow.nodes.values() if isinstance(node, OPERATED)}
    for op in sorted(set(operations) - named):
        yield f"flow {flow.name}: operation {op} is given but no node runs it"
    for op in sorted(verified - named):
        yield f"flow {flow.name}: operation {op} is to be verified but no node runs it"
    reached = {node.to for node in flow.nodes.values() if isinstance(node, Transfer)}
    for to in sorted(set(destinations) - reached):
        yield f"flow {flow.name}: destination {to} is given but no node transfers there"


FLOWS: Mapping[str, PhoneFlow] = {
    ACCESS.name: run_by(ACCESS, access_steps.OPERATIONS, verified=access_steps.VERIFIED),
    DEPOSIT.name: run_by(DEPOSIT, deposit_steps.OPERATIONS, deposit_steps.DESTINATIONS),
    SUPPORT.name: run_by(SUPPORT, support_steps.OPERATIONS, support_steps.DESTINATIONS),
}
