"""The flow declarations are sound: walked as data, not called."""

from __future__ import annotations

import string

import pytest

from ivr import notify
from ivr.flows import FLOWS
from menus.catalogue import CATALOGUES, VOICES
from menus.engine import MAX_REPEATS
from menus.flow import FINAL, OPERATED, WAITING, Branch, Flow, Menu, Transfer, go
from store import locks, outbox
from store.lines import LANGUAGES


def edges(flow: Flow, name: str) -> set[str]:
    return {move.to for move in flow[name].targets()}


@pytest.fixture(params=sorted(FLOWS))
def flow(request) -> Flow:
    return FLOWS[request.param].flow


def test_one_root_and_every_target_exists(flow):
    assert flow.root in flow.nodes
    for name in flow.nodes:
        assert edges(flow, name) <= set(flow.nodes), name
    assert flow.root not in {t for n in flow.nodes for t in edges(flow, n)} or isinstance(
        flow[flow.root], WAITING
    )


def test_every_node_is_reachable_from_the_root(flow):
    seen, todo = set(), [flow.root, flow.goodbye]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(edges(flow, name))
    assert seen == set(flow.nodes)


def test_every_waiting_node_has_a_no_input_and_a_wrong_key_exit(flow):
    # Silence and wrong keys repeat the node, then lead to the flow's goodbye
    # (a hang-up, or for the support line an adviser).
    assert isinstance(flow[flow.goodbye], FINAL)
    assert flow.not_understood in CATALOGUES["en"]
    assert MAX_REPEATS >= 1
    for node in flow.nodes.values():
        if isinstance(node, WAITING):
            assert node.back in flow.nodes, node.name
            assert node.say, node.name
        if isinstance(node, Menu):
            assert node.keys
            assert all(k in "0123456789#" and len(k) == 1 for k in node.keys)


def test_every_operation_and_destination_is_implemented(flow):
    runs = FLOWS[flow.name]
    assert runs.flow is flow
    named = {node.op for node in flow.nodes.values() if isinstance(node, OPERATED)}
    assert named == set(runs.operations)
    reached = {node.to for node in flow.nodes.values() if isinstance(node, Transfer)}
    assert reached == set(runs.destinations)


def test_every_branch_ends_somewhere_that_waits_or_hangs_up(flow):
    for node in flow.nodes.values():
        if isinstance(node, Branch):
            for target in node.outcomes.values():
                assert go(target).to in flow.nodes


def test_every_prompt_exists_in_every_language(flow):
    keys: set[str] = set()
    for node in flow.nodes.values():
        keys.update(p for p in getattr(node, "say", ()) if isinstance(p, str))
        keys.update(getattr(node, "unavailable", ()))
        for move in node.targets():
            keys.update(p for p in move.say if isinstance(p, str))
    for language, catalogue in CATALOGUES.items():
        assert keys <= set(catalogue), (language, keys - set(catalogue))


def test_catalogues_have_the_same_keys_and_placeholders():
    reference = CATALOGUES["en"]
    for language, catalogue in CATALOGUES.items():
        assert set(catalogue) == set(reference), language
        for key, text in catalogue.items():
            names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            expected = {f for _, f, _, _ in string.Formatter().parse(reference[key]) if f}
            assert names == expected, (language, key)


def test_every_language_has_every_text():
    """store.lines.LANGUAGES is the one list: each has every prompt, voice and message text."""
    assert set(CATALOGUES) == set(LANGUAGES)
    reference = set(CATALOGUES["en"])
    for language in LANGUAGES:
        assert set(CATALOGUES[language]) == reference, language
        assert language in VOICES, language
        assert language in locks.WITHHELD_WORDS, language
        assert all(language in texts for texts in outbox.TEXTS.values()), language
        for texts in (notify.TEXTS, notify.LOCALES, notify.UNKNOWN, notify.TRANSCRIPT):
            assert language in texts, language
        assert language in notify.ATTACHED, language
