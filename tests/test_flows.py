"""Flows check themselves when built: each rule is shown refusing a broken flow.

A tiny sound flow is built first, then broken one way at a time; the
message must name the node and what is wrong with it. The real flows are
sound because importing them builds them (ivr/flows.py).
"""

from __future__ import annotations

import string
from enum import StrEnum

import pytest

from ivr import notify
from ivr.flows import FLOWS, run_by
from ivr.steps import StepContext
from menus.catalogue import CATALOGUES, VOICES
from menus.flow import Branch, End, Entry, Flow, FlowError, Go, Menu, Node, Transfer
from menus.operations import (
    CodeEntry,
    DepositRoute,
    NewCode,
    PinEntry,
    YesNo,
)
from store import locks, outbox
from store.codes import CodeCheck, Proposal
from store.greetings import Greeting
from store.lines import LANGUAGES
from store.pins import PinCheck


class Pick(StrEnum):
    LEFT = "left"
    RIGHT = "right"


def route(_c: StepContext, _digits: str | None) -> Pick:
    return Pick.LEFT


def ask(_c: StepContext, _digits: str | None) -> YesNo:
    return YesNo.YES


def unsure(_c: StepContext, _digits: str | None) -> YesNo:
    return YesNo.NO


OPERATIONS = {"route": route, "ask": ask}


def tiny(**nodes: Node) -> dict[str, Node]:
    """A sound flow's nodes by name, with `nodes` replacing or added."""
    table: dict[str, Node] = {
        "start": Branch(
            "start", op="route", answers=Pick, outcomes={"left": "menu", "right": "ask"}
        ),
        "menu": Menu("menu", say=("main_menu",), keys={"1": "ask", "2": "bye"}, back="menu"),
        "ask": Entry(
            "ask",
            say=("enter_code",),
            op="ask",
            answers=YesNo,
            outcomes={"yes": Go("bye", say=("saved",)), "no": "menu"},
            back="menu",
        ),
        "bye": End("bye", say=("goodbye",)),
    }
    return {**table, **nodes}


def build(nodes: dict[str, Node], **names: str) -> Flow:
    ends = {"root": "start", "exhausted": "bye", "not_understood": "not_understood", **names}
    return Flow.of("tiny", nodes=nodes.values(), **ends)


def refused(nodes: dict[str, Node], **names: str) -> str:
    with pytest.raises(FlowError) as refusal:
        build(nodes, **names)
    return str(refusal.value)


def test_the_tiny_flow_is_sound_and_runs_by_its_operations():
    # Every refusal below comes from the one change it makes to this flow.
    flow = build(tiny())
    assert run_by(flow, OPERATIONS).flow is flow


def test_a_flow_has_its_root():
    assert (
        refused(tiny(), root="nowhere") == "flow tiny: no root, 'nowhere' is not one of its nodes"
    )


def test_a_flow_has_one_root():
    message = refused(tiny(orphan=End("orphan", say=("goodbye",))))
    assert message == "flow tiny, node orphan: a second root, no node leads to it"


def test_every_target_is_a_node():
    menu = Menu("menu", say=("main_menu",), keys={"1": "ask", "2": "nowhere"}, back="menu")
    message = refused(tiny(menu=menu))
    assert message == "flow tiny, node menu: key '2' leads to 'nowhere', which is not a node"


def test_every_node_is_reachable_from_the_root():
    island = {
        "here": Menu("here", say=("main_menu",), keys={"1": "there"}, back="here"),
        "there": Menu("there", say=("main_menu",), keys={"1": "here"}, back="there"),
    }
    message = refused(tiny(**island))
    assert message.splitlines() == [
        "flow tiny, node here: cannot be reached from root 'start'",
        "flow tiny, node there: cannot be reached from root 'start'",
    ]


def test_a_waiting_node_has_a_back():
    menu = Menu("menu", say=("main_menu",), keys={"1": "ask", "2": "bye"}, back="")
    assert refused(tiny(menu=menu)) == "flow tiny, node menu: back leads nowhere"


def test_the_back_key_is_no_menu_key():
    menu = Menu("menu", say=("main_menu",), keys={"1": "ask", "*": "bye"}, back="menu")
    message = refused(tiny(menu=menu))
    assert (
        message == "flow tiny, node menu: key '*' is not one a menu takes (0-9 and #; * goes back)"
    )


def test_a_waiting_node_has_a_silence_exit():
    menu = Menu(
        "menu", say=("main_menu",), keys={"1": "ask", "2": "bye"}, back="menu", silence="menu"
    )
    message = refused(tiny(menu=menu))
    assert (
        message
        == "flow tiny, node menu: silence leads back to it: a silent caller would never leave"
    )


def test_silence_and_wrong_keys_end_the_call_when_exhausted():
    message = refused(tiny(), exhausted="menu")
    assert message == (
        "flow tiny: exhausted 'menu' is a Menu, not an End or a Transfer:"
        " silence and wrong keys would never end the call"
    )


def test_a_wrong_key_is_answered():
    assert refused(tiny(), not_understood="") == (
        "flow tiny: not_understood names no prompt for a wrong key"
    )


def test_a_waiting_node_says_what_it_waits_for():
    menu = Menu("menu", say=(), keys={"1": "ask", "2": "bye"}, back="menu")
    assert refused(tiny(menu=menu)) == "flow tiny, node menu: waits without saying what for"


def test_branches_do_not_loop():
    loop = {
        "start": Branch("start", op="route", answers=Pick, outcomes={"left": "menu", "right": "a"}),
        "a": Branch("a", op="unsure", answers=YesNo, outcomes={"yes": "ask", "no": "b"}),
        "b": Branch("b", op="unsure", answers=YesNo, outcomes={"yes": "menu", "no": "a"}),
    }
    assert refused(tiny(**loop)) == "flow tiny, node a: branches loop, a -> b -> a"


def test_a_node_leads_somewhere_for_every_outcome():
    start = Branch("start", op="route", answers=Pick, outcomes={"left": "menu"})
    message = refused(tiny(start=start))
    assert message == ("flow tiny, node start: outcome 'right' of route (Pick) leads nowhere")


def test_a_node_names_only_outcomes_its_operation_answers():
    outcomes = {"left": "menu", "right": "ask", "middle": "bye"}
    start = Branch("start", op="route", answers=Pick, outcomes=outcomes)
    message = refused(tiny(start=start))
    assert message == (
        "flow tiny, node start: outcome 'middle' is not one route answers (Pick: left, right)"
    )


def test_an_operation_answers_one_outcome_type():
    again = Branch("again", op="route", answers=YesNo, outcomes={"yes": "ask", "no": "bye"})
    menu = Menu("menu", say=("main_menu",), keys={"1": "again"}, back="menu")
    message = refused(tiny(again=again, menu=menu))
    assert message == "flow tiny, node again: route answers YesNo here but Pick at node start"


def test_a_node_is_declared_once():
    with pytest.raises(FlowError, match=r"^flow tiny, node bye: declared twice$"):
        Flow.of(
            "tiny",
            root="start",
            exhausted="bye",
            not_understood="not_understood",
            nodes=[*tiny().values(), End("bye", say=())],
        )


def test_every_operation_a_node_runs_is_implemented():
    with pytest.raises(FlowError) as refusal:
        run_by(build(tiny()), {"route": route})
    assert str(refusal.value) == "flow tiny, node ask: operation ask is not implemented"


def test_an_operation_returns_the_outcome_type_its_node_expects():
    with pytest.raises(FlowError) as refusal:
        run_by(build(tiny()), {"route": unsure, "ask": ask})
    assert str(refusal.value) == (
        "flow tiny, node start: operation route returns YesNo, the node expects Pick"
    )


def test_nothing_is_given_that_no_node_uses():
    with pytest.raises(FlowError) as refusal:
        run_by(
            build(tiny()),
            {**OPERATIONS, "spare": unsure},
            {"desk": lambda _call, _node: None},
            frozenset({"check"}),
        )
    assert str(refusal.value).splitlines() == [
        "flow tiny: operation spare is given but no node runs it",
        "flow tiny: operation check is to be verified but no node runs it",
        "flow tiny: destination desk is given but no node transfers there",
    ]


def test_every_destination_is_resolved():
    desk = Transfer("desk", say=("connect_adviser",), to="desk", label="", unavailable=("goodbye",))
    menu = Menu("menu", say=("main_menu",), keys={"1": "ask", "2": "desk"}, back="menu")
    with pytest.raises(FlowError) as refusal:
        run_by(build(tiny(menu=menu, desk=desk)), OPERATIONS)
    assert str(refusal.value) == "flow tiny, node desk: destination desk cannot be resolved"


def test_outcomes_store_decides_are_stores_own():
    # An operation converts store's outcome to its own type: every member
    # store can return must be one of it, or the conversion would fail mid-call.
    assert set(CodeCheck) <= set(CodeEntry)
    assert set(Proposal) <= set(NewCode)
    assert set(Greeting) <= set(DepositRoute)
    assert {PinCheck.WRONG, PinCheck.LOCKED} <= set(PinEntry)
    assert CodeEntry(CodeCheck.WRONG) is CodeEntry.WRONG  # what check_code does


@pytest.fixture(params=sorted(FLOWS))
def flow(request) -> Flow:
    return FLOWS[request.param].flow


def test_every_prompt_exists_in_every_language(flow):
    keys: set[str] = {flow.not_understood}
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
