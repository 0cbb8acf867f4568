"""`./dev`: its help, a busy port, `flask` from outside the repository, a wrong setting."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from sqlalchemy import select

from store.models import Line
from tests.helpers import HOME
from tests.server import ROOT, environment

DEV = str(ROOT / "dev")


def dev(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DEV, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def subcommands() -> list[str]:
    """The branches of dev's `case`: every subcommand it runs."""
    labels = re.findall(r"^  ([^ ()]+)\)$", (ROOT / "dev").read_text(), re.MULTILINE)
    names = [name.strip('"') for label in labels for name in label.split("|")]
    return [name for name in names if name and name != "*" and not name.startswith("-")]


@pytest.mark.parametrize("args", [(), ("help",)])
def test_help_lists_every_subcommand_on_one_line(tmp_path, args):
    answer = dev(*args, cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    lines = answer.stdout.splitlines()
    assert lines[0] == "usage: ./dev SUBCOMMAND [ARGS]"
    described = [line.split()[0] for line in lines[1:]]
    assert sorted(described) == sorted(subcommands())
    assert {"serve", "test", "test-postgres", "bench", "flask", "help"} <= set(described)


def test_an_unknown_subcommand_is_one_error_then_the_list(tmp_path):
    answer = dev("srve", cwd=tmp_path)
    assert answer.returncode == 2
    assert answer.stderr.splitlines()[:2] == [
        "Error: no subcommand 'srve'",
        "usage: ./dev SUBCOMMAND [ARGS]",
    ]


def test_serve_on_a_busy_port_names_the_variable_and_sets_up_nothing(tmp_path):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        bind = f"127.0.0.1:{held.getsockname()[1]}"
        venv = tmp_path / "venv"
        env = {**os.environ, "IVR_BIND": bind, "IVR_VENV": str(venv)}
        answer = dev("serve", cwd=tmp_path, env=env)
    assert answer.returncode == 1
    assert answer.stderr.splitlines() == [
        f"Error: cannot serve on {bind} (Address already in use): another server "
        "(./dev serve?) may hold it; set IVR_BIND to pick another, e.g. "
        "IVR_BIND=127.0.0.1:8001 ./dev serve"
    ]
    assert answer.stdout == ""
    assert not venv.exists()  # refused before the set-up


@pytest.fixture
def venv(tmp_path):
    """A virtualenv `./dev` takes as set up: the test's packages, requirements stamped."""
    made = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(made)], check=True)
    site = Path(sysconfig.get_paths(vars={"base": str(made), "platbase": str(made)})["purelib"])
    (site / "test-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wanted = (ROOT / "requirements.txt").read_bytes() + (ROOT / "requirements-dev.txt").read_bytes()
    (made / ".requirements.sha256").write_text(hashlib.sha256(wanted).hexdigest() + "\n")
    return made


def test_flask_commands_run_from_any_directory(tmp_path, venv, settings, session):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**environment(settings), "IVR_VENV": str(venv)}
    added = dev("flask", "ivr", "add-line", HOME, cwd=elsewhere, env=env)
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == f"line {HOME} added (en)"
    assert session.scalars(select(Line.number)).all() == [HOME]
    # The set-up put the repository on the virtualenv's path: its own flask finds the app too.
    again = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "flask", "ivr", "add-line", HOME, "--exist-ok"],
        cwd=elsewhere,
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"line {HOME} already exists"


def test_the_set_up_leaves_another_interpreters_packages_alone(tmp_path, venv, settings):
    wrapper = tmp_path / "wrapper"
    (wrapper / "bin").mkdir(parents=True)
    python = wrapper / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{venv / "bin" / "python"}" "$@"\n')
    python.chmod(0o755)
    (wrapper / ".requirements.sha256").write_text((venv / ".requirements.sha256").read_text())
    env = {**environment(settings), "IVR_VENV": str(wrapper)}
    answer = dev("flask", "ivr", "--help", cwd=ROOT, env=env)
    assert answer.returncode == 0, answer.stderr
    assert "add-line" in answer.stdout
    assert list(venv.glob("lib/*/site-packages/ivr-repository.pth")) == []


def test_a_wrong_setting_is_one_error_line_not_a_traceback():
    env = {**os.environ, "IVR_BCRYPT_ROUNDS": "lots"}
    answer = subprocess.run(
        [sys.executable, "-m", "flask", "ivr", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 1
    assert answer.stderr.splitlines() == [
        "Error: IVR_BCRYPT_ROUNDS: invalid literal for int() with base 10: 'lots'"
    ]
