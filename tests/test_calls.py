"""store.calls.StepHold: a step is taken once, by hand-interleaved sessions on one call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.calls import Claim, Lost, StepHold, end_call
from store.db import make_engine, make_session_factory
from store.models import Call

SID = "CA" + "7" * 32
AT = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
RETRY, OTHER = "f" * 64, "e" * 64


@pytest.fixture
def sessions(database_url: str):
    engine = make_engine(database_url, timeout=2.0)
    factory = make_session_factory(engine)
    with factory() as session:
        session.add(
            Call(
                sid=SID,
                flow="access",
                caller="+33612345678",
                home=False,
                language="en",
                node="main_menu",
                context={"repeats": 0},
                step=1,
                started_at=AT,
                updated_at=AT,
            )
        )
        session.commit()
    yield factory
    engine.dispose()


def hold(session: Session, fingerprint: str = RETRY, step: int = 1) -> StepHold:
    return StepHold(session, SID, step, fingerprint, AT)


def answered(hold_: StepHold, node: str, answer: str) -> None:
    hold_.save(node=node, context={"repeats": 0}, last_response=answer, ended_at=None)
    hold_.commit()


def stored(sessions: sessionmaker[Session]) -> Call:
    with sessions() as session:
        call = session.get(Call, SID)
        assert call is not None
        return call


def test_a_plain_step_is_read_then_taken_by_its_save(sessions):
    with sessions() as a:
        first = hold(a)
        state = first.read()
        assert state is not None
        assert state.step == 1
        assert state.node == "main_menu"
        assert state.context == {"repeats": 0}
        assert not state.ended
        answered(first, "customise_menu", "<Response>A</Response>")
    call = stored(sessions)
    assert (call.step, call.node, call.last_response) == (
        2,
        "customise_menu",
        "<Response>A</Response>",
    )
    assert call.last_fingerprint == RETRY


@pytest.mark.parametrize(("fingerprint", "outcome"), [(RETRY, Claim.REPLAY), (OTHER, Claim.STALE)])
def test_the_loser_of_a_race_changes_nothing_and_hears_the_winner(sessions, fingerprint, outcome):
    # Both read the call at step 1; B saves first; A's save must not land.
    with sessions() as a, sessions() as b:
        loser, winner = hold(a, fingerprint), hold(b)
        assert loser.read() is not None
        assert winner.read() is not None
        answered(winner, "customise_menu", "<Response>B</Response>")
        with pytest.raises(Lost):
            loser.save(
                node="listen",
                context={"lost": True},
                last_response="<Response>A</Response>",
                ended_at=None,
            )
        a.rollback()
        claimed = loser.claim()
        assert claimed.outcome is outcome
        assert claimed.response == "<Response>B</Response>"
    call = stored(sessions)
    assert (call.step, call.node, call.context) == (2, "customise_menu", {"repeats": 0})


def test_a_step_taken_for_an_operation_wins_over_a_plain_save(sessions):
    with sessions() as a, sessions() as b:
        plain, operated = hold(a, OTHER), hold(b)
        assert plain.read() is not None
        taken = operated.take()  # before the operation runs: committed with it
        assert taken.step == 2
        assert taken.last_response is None
        b.commit()
        with pytest.raises(Lost):
            plain.save(node="listen", context={}, last_response="<Response/>", ended_at=None)
        a.rollback()
        answered(operated, "main_menu", "<Response>op</Response>")
        assert plain.claim().response == "<Response>op</Response>"
    assert stored(sessions).node == "main_menu"


def test_taking_a_step_twice_loses_the_second_time(sessions):
    with sessions() as a, sessions() as b:
        hold(a).take()
        a.commit()
        with pytest.raises(Lost):
            hold(b, OTHER).take()


def test_a_replayed_step_after_the_answer_is_the_same_answer(sessions):
    with sessions() as a:
        answered(hold(a), "customise_menu", "<Response>A</Response>")
    with sessions() as b:
        retry = hold(b)
        state = retry.read()
        assert state is not None
        assert state.step == 2
        claimed = retry.claim()
        assert (claimed.outcome, claimed.response) == (Claim.REPLAY, "<Response>A</Response>")
    assert stored(sessions).step == 2


@pytest.mark.parametrize("case", ["ended", "unknown"])
def test_an_ended_or_unknown_call_is_never_taken(sessions, case: str):
    with sessions() as session:
        if case == "ended":
            assert end_call(session, SID, AT)
            session.commit()
        claimed = StepHold(
            session, SID if case == "ended" else "CA" + "0" * 32, 1, RETRY, AT
        ).claim()
        assert claimed.outcome is (Claim.ENDED if case == "ended" else Claim.UNKNOWN)
    assert stored(sessions).step == 1


def test_a_read_holds_nothing_that_would_stop_a_later_save(sessions):
    # No commit between read and save: a write by another session in between
    # must not leave this one on a snapshot it cannot write from (SQLite WAL).
    with sessions() as a, sessions() as b:
        assert hold(a).read() is not None
        answered(hold(b), "customise_menu", "<Response>B</Response>")
        later = hold(a, OTHER, step=2)
        state = later.read()
        assert state is not None
        assert state.step == 2
        answered(later, "main_menu", "<Response>A</Response>")
    assert (stored(sessions).step, stored(sessions).node) == (3, "main_menu")
