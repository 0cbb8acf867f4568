"""`flask ivr add-line` and `flask ivr call` (in-process)."""

from __future__ import annotations

import socket

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


def error_lines(result) -> list[str]:
    """The output lines of a refused command: exactly one, `Error: ...`, and no traceback."""
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return [line for line in result.output.splitlines() if line.strip()]


def test_console_phone_says_the_keys_ran_out(runner, make_line):
    make_line()
    result = runner.invoke(args=["ivr", "call", "--from", HOME, "--keys", "2"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert lines[-1] == "(no keys left: the caller hangs up)"
    assert lines.count("> 2") == 1  # each key echoed once


def test_console_phone_says_the_end_of_standard_input(runner, make_line):
    make_line()
    result = runner.invoke(args=["ivr", "call", "--from", HOME], input="2\n")
    lines = [line.strip() for line in result.output.splitlines()]
    assert lines.count("> 2") == 1
    assert lines[-1] == "(end of input: the caller hangs up)"


@pytest.mark.parametrize("typed", [HOME, "01 42 68 53 00"])
def test_console_phone_says_it_calls_from_a_provisioned_line(runner, make_line, typed):
    make_line()
    result = runner.invoke(args=["ivr", "call", "--from", typed, "--keys", "2 2 1 4827# 1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"(calling from {HOME}, a provisioned line)"
    # The line's own menu, not the stranger's: the national form is the line too.
    assert sentence("en", "code_readback", {"pending_code": "4827"}) in result.output


def test_console_phone_says_a_number_is_not_a_line(runner, make_line):
    make_line()
    result = runner.invoke(args=["ivr", "call", "--from", "01 42 68 53 99", "--keys", "-"])
    assert result.output.splitlines()[0] == (
        "(calling from +33142685399, not a provisioned line: the app answers a stranger)"
    )


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "localhost", "ftp://127.0.0.1:8000"])
def test_console_phone_refuses_a_url_without_a_scheme(runner, make_line, url):
    make_line()
    result = runner.invoke(args=["ivr", "call", "--from", HOME, "--url", url])
    lines = error_lines(result)
    assert lines[-1] == (
        f"Error: --url {url!r} is not a server's base URL: give the scheme and host, "
        "e.g. --url http://127.0.0.1:8000"
    )
    assert len([line for line in lines if line.startswith("Error:")]) == 1


def test_console_phone_against_a_server_that_is_down(runner, make_line):
    make_line()
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    result = runner.invoke(args=["ivr", "call", "--from", HOME, "--url", url])
    lines = error_lines(result)
    assert lines == [
        f"(calling from {HOME}, a provisioned line)",
        f"Error: cannot reach {url}/ (ConnectionError): is the server running there "
        "(./dev serve), and is --url its address?",
    ]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["reset-mailbox", "12", "--reason", "r"], "Error: not a valid phone number: '12'"),
        (["reset-mailbox", "+33142685399", "--reason", "r"], "Error: no line +33142685399"),
        (["notify", "01 42 68 53 99", "none"], "Error: no line +33142685399"),
        (["clear-pin-lock", "hello"], "Error: not a phone number: 'hello'"),
    ],
)
def test_commands_naming_no_line_say_so_in_one_line(runner, make_line, args, error):
    make_line()
    assert error_lines(runner.invoke(args=["ivr", *args])) == [error]


def test_console_phone_sends_a_caller_id_that_is_not_a_number_as_typed(runner, make_line):
    make_line()
    result = runner.invoke(args=["ivr", "call", "--from", "anonymous", "--keys", "-"])
    assert result.output.splitlines()[0] == (
        "(calling from 'anonymous': not a phone number, sent as typed)"
    )
