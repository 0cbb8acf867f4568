"""`flask ivr add-line` and `flask ivr call` (in-process)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from menus.catalogue import sentence
from store.models import Line
from tests.helpers import HOME


@pytest.mark.parametrize("typed", ["+33142685300", "01 42 68 53 00", "0033142685300"])
def test_add_line_stores_e164(runner, session, typed):
    result = runner.invoke(
        args=[
            "ivr",
            "add-line",
            typed,
            "--language",
            "fr",
            "--customer-number",
            "100200300",
            "--email",
            "a@example.com",
        ]
    )
    assert result.exit_code == 0, result.output
    line = session.scalars(select(Line)).one()
    assert (line.number, line.language, line.customer_number) == (HOME, "fr", "100200300")
    assert line.mailbox.code_hash is None
    assert line.mailbox.strikes == 0


@pytest.mark.parametrize("typed", ["12", "hello", "+331", ""])
def test_add_line_refuses_invalid_numbers(runner, session, typed):
    result = runner.invoke(args=["ivr", "add-line", typed])
    assert result.exit_code != 0
    assert "not a" in result.output
    assert "phone number" in result.output
    assert session.scalars(select(Line)).all() == []


def test_add_line_refuses_duplicates_unless_exist_ok(runner, session):
    assert runner.invoke(args=["ivr", "add-line", HOME]).exit_code == 0
    again = runner.invoke(args=["ivr", "add-line", "01 42 68 53 00"])
    assert again.exit_code != 0
    assert "exists" in again.output
    assert runner.invoke(args=["ivr", "add-line", HOME, "--exist-ok"]).exit_code == 0
    assert len(session.scalars(select(Line)).all()) == 1


def test_console_phone_creates_a_code(runner, make_line):
    make_line()
    result = runner.invoke(
        args=["ivr", "call", "--from", HOME, "--to", "access", "--keys", "2 2 1 4827# 1"]
    )
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    readback = sentence("en", "code_readback", {"pending_code": "4827"})
    assert readback in lines
    assert lines.index("Your request has been taken into account.") > lines.index(readback)


def test_console_phone_reads_keys_from_standard_input(runner, make_line):
    make_line()
    result = runner.invoke(args=["ivr", "call", "--from", HOME], input="2\n*\n")
    assert result.exit_code == 0, result.output
    assert result.output.count(sentence("en", "main_menu")) == 2
